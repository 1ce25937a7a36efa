/**
 * Behaviour signals end to end: debounced scoring in the customer's workflow, sales follow-ups
 * through the contact budget (period cap, consent, quiet hours), high-value orders, task chains,
 * and the customer's timeline.
 */
import request from 'supertest';
import { and, asc, eq } from 'drizzle-orm';
import { crmTasks, customerContacts, outbox, payments } from '../../db/schema';
import { customerFollowUpStateQuery } from '../../domain/crm';
import { decideContact } from '../../db/queries/contacts';
import { customerFollowUpWorkflowId } from '../../domain/names';
import { eventually, startHarness, uniqueKey, type Harness } from '../support/harness';

let h: Harness;
beforeAll(async () => {
  h = await startHarness({
    settings: {
      crm: {
        behaviour: {
          debounceWindow: '8 seconds',
          halfLife: '20 seconds',
          threshold: 10,
          maxSignalsPerRun: 40,
        },
        highValueOrderAmount: 50_000,
        contactLimits: { sales: { max: 1, period: '7 days' } },
        taskChain: { sales_follow_up: { next: 'sales_call', delay: '2 seconds' } },
      },
    },
  });
});
afterAll(async () => {
  await h?.close();
});

const behaviour = (customerId: string, kind: string, value?: number) => ({
  specversion: '1.0',
  id: uniqueKey('evt'),
  source: 'test/shop',
  type: 'customer.behaviour',
  time: new Date().toISOString(),
  data: { customerId, kind, occurredAt: new Date().toISOString(), ...(value !== undefined ? { value } : {}) },
});

async function putCustomer(customerId: string, over: Record<string, unknown> = {}, status = 201) {
  await request(h.app)
    .put(`/v1/customers/${customerId}`)
    .send({
      name: 'Acme GmbH',
      creditLimit: 0,
      currency: 'EUR',
      paymentTerms: { netDays: 30 },
      consent: true,
      ...over,
    })
    .expect(status);
}

const burst = async (customerId: string, kind: string, n: number) => {
  const res = await request(h.app)
    .post('/v1/events/batch')
    .send(Array.from({ length: n }, () => behaviour(customerId, kind)));
  expect(res.status).toBeLessThan(300);
};

const state = (customerId: string) =>
  h.temporal.client.workflow
    .getHandle(customerFollowUpWorkflowId(customerId))
    .query(customerFollowUpStateQuery);

const evaluated = (customerId: string, evaluations: number) =>
  eventually(async () => {
    const s = await state(customerId);
    return s.evaluations === evaluations && s.deferred === null ? s : undefined;
  }, 30_000);

const tasksOf = (customerId: string, type?: string) =>
  h.database.db
    .select()
    .from(crmTasks)
    .where(and(eq(crmTasks.customerId, customerId), ...(type ? [eq(crmTasks.type, type)] : [])))
    .orderBy(asc(crmTasks.id));

const contactsOf = (customerId: string) =>
  h.database.db.select().from(customerContacts).where(eq(customerContacts.customerId, customerId));

describe('behaviour scoring', () => {
  it('evaluates a burst of 50 events once and creates one follow-up (across a continue-as-new)', async () => {
    const customerId = uniqueKey('C');
    await putCustomer(customerId);
    await burst(customerId, 'page_view', 50);
    const s = await evaluated(customerId, 1);
    expect(s).toMatchObject({ crossings: 1, followUpsCreated: 1, burst: null });
    // 50 signals with maxSignalsPerRun 40: the state was carried into a second run
    expect(s.signalsInRun).toBeLessThan(50);
    const tasks = await tasksOf(customerId, 'sales_follow_up');
    expect(tasks).toHaveLength(1);
    expect(tasks[0]).toMatchObject({ assignee: 'sales', status: 'open' });
    expect(await contactsOf(customerId)).toEqual([expect.objectContaining({ kind: 'sales' })]);
    const announced = await h.database.db
      .select()
      .from(outbox)
      .where(and(eq(outbox.aggregateId, customerId), eq(outbox.type, 'follow_up.created')));
    expect(announced).toHaveLength(1);
    // nothing more happens after the window
    await new Promise((r) => setTimeout(r, 8500));
    expect((await state(customerId)).evaluations).toBe(1);
  }, 60_000);

  it('the contact budget blocks a second sales contact in the period', async () => {
    const customerId = uniqueKey('C');
    await putCustomer(customerId);
    await burst(customerId, 'cart_abandoned', 4);
    await evaluated(customerId, 1);
    // let the score decay below the threshold, then cross it again
    await new Promise((r) => setTimeout(r, 6000));
    await burst(customerId, 'cart_abandoned', 4);
    const s = await evaluated(customerId, 2);
    expect(s).toMatchObject({
      crossings: 2,
      followUpsCreated: 1,
      followUpsBlocked: 1,
    });
    expect(await tasksOf(customerId, 'sales_follow_up')).toHaveLength(1);
    expect(await contactsOf(customerId)).toHaveLength(1);
  }, 60_000);

  it('consent withdrawn (PUT /v1/customers) stops contacts', async () => {
    const customerId = uniqueKey('C');
    await putCustomer(customerId);
    await putCustomer(customerId, { consent: false }, 200);
    await burst(customerId, 'churn_risk', 3);
    const s = await evaluated(customerId, 1);
    expect(s).toMatchObject({ crossings: 1, followUpsCreated: 0, followUpsBlocked: 1 });
    expect(await tasksOf(customerId)).toHaveLength(0);
    expect(await contactsOf(customerId)).toHaveLength(0);
  }, 60_000);

  it('defers a follow-up in quiet hours to their end (customer time zone), then creates it', async () => {
    // quiet hours from the current minute to the next one, on the customer's clock (Asia/Kolkata, +05:30)
    if (new Date().getUTCSeconds() > 40)
      await new Promise((r) => setTimeout(r, (61 - new Date().getUTCSeconds()) * 1000));
    const local = (d: Date) =>
      new Intl.DateTimeFormat('en-GB', {
        timeZone: 'Asia/Kolkata',
        hour: '2-digit',
        minute: '2-digit',
        hourCycle: 'h23',
      }).format(d);
    const now = new Date();
    const end = new Date(Math.floor(now.getTime() / 60_000) * 60_000 + 60_000);
    const customerId = uniqueKey('C');
    await putCustomer(customerId, {
      quietHours: {
        start: local(new Date(now.getTime() - 60_000)),
        end: local(end),
        timeZone: 'Asia/Kolkata',
      },
    });
    await burst(customerId, 'churn_risk', 3);
    const deferred = await eventually(async () => {
      const s = await state(customerId);
      return s.deferred ?? undefined;
    }, 30_000);
    expect(Date.parse(deferred.dueAt)).toBe(end.getTime());
    expect(await tasksOf(customerId)).toHaveLength(0);
    const [task] = await eventually(async () => {
      const t = await tasksOf(customerId, 'sales_follow_up');
      return t.length ? t : undefined;
    }, 90_000);
    expect(task!.createdAt.getTime()).toBeGreaterThanOrEqual(end.getTime());
    expect(await contactsOf(customerId)).toHaveLength(1);
  }, 150_000);

  it('a high-value order over the amount opens a task for sales; one under it does not', async () => {
    const customerId = uniqueKey('C');
    await request(h.app)
      .post('/v1/events')
      .send(behaviour(customerId, 'high_value_order', 75_000))
      .expect(202);
    await request(h.app)
      .post('/v1/events')
      .send(behaviour(customerId, 'high_value_order', 1_000))
      .expect(202);
    const [task] = await eventually(async () => {
      const t = await tasksOf(customerId, 'high_value_order');
      return t.length ? t : undefined;
    });
    expect(task).toMatchObject({ assignee: 'sales', status: 'open' });
    await evaluated(customerId, 1);
    expect(await tasksOf(customerId, 'high_value_order')).toHaveLength(1);
  }, 60_000);
});

describe('contact budget (db/queries/contacts.ts)', () => {
  const limit = { max: 1, periodMs: 7 * 24 * 3_600_000 };
  const decide = (customerId: string, contactKey: string) =>
    h.database.db.transaction((tx) =>
      decideContact(tx, {
        customerId,
        kind: 'sales',
        contactKey,
        now: new Date(),
        limit,
        cause: { correlationId: 'c' },
      }),
    );

  it('serialises concurrent decisions per customer: one of five takes the slot', async () => {
    const customerId = uniqueKey('C');
    await putCustomer(customerId);
    const decisions = await Promise.all(
      [1, 2, 3, 4, 5].map((i) => decide(customerId, `${customerId}/k${i}`)),
    );
    expect(decisions.filter((d) => d.outcome === 'allowed')).toHaveLength(1);
    const blocked = decisions.filter((d) => d.outcome === 'blocked');
    expect(blocked).toHaveLength(4);
    expect(blocked[0]).toMatchObject({ reason: 'budget_exhausted', nextAllowedAt: expect.any(String) });
    expect(await contactsOf(customerId)).toHaveLength(1);
  });

  it('is idempotent by contact key, and blocks an unknown customer', async () => {
    const customerId = uniqueKey('C');
    await putCustomer(customerId);
    const first = await decide(customerId, `${customerId}/same`);
    const again = await decide(customerId, `${customerId}/same`);
    expect(first).toMatchObject({ outcome: 'allowed', created: true });
    expect(again).toEqual({ ...first, created: false });
    expect(await decide(uniqueKey('C'), 'x')).toEqual({ outcome: 'blocked', reason: 'unknown_customer' });
  });
});

describe('tasks', () => {
  it('completing a chained task opens the next type after its delay; the task list filters', async () => {
    const customerId = uniqueKey('C');
    await putCustomer(customerId);
    await burst(customerId, 'churn_risk', 3);
    const [followUp] = await eventually(async () => {
      const t = await tasksOf(customerId, 'sales_follow_up');
      return t.length ? t : undefined;
    }, 30_000);
    const open = await request(h.app)
      .get('/v1/tasks')
      .query({ assignee: 'sales', status: 'open', customerId })
      .expect(200);
    expect(open.body.items.map((t: { taskId: string }) => t.taskId)).toEqual([String(followUp!.id)]);

    const done = await request(h.app).post(`/v1/tasks/${followUp!.id}/complete`).expect(200);
    expect(done.body).toMatchObject({ status: 'done', completedAt: expect.any(String) });
    // completing again is harmless
    await request(h.app).post(`/v1/tasks/${followUp!.id}/complete`).expect(200);
    const [next] = await eventually(async () => {
      const t = await tasksOf(customerId, 'sales_call');
      return t.length ? t : undefined;
    }, 30_000);
    expect(next).toMatchObject({
      status: 'open',
      assignee: 'sales',
      taskKey: `chain/${followUp!.id}/sales_call`,
    });
    expect(next!.createdAt.getTime() - new Date(done.body.completedAt).getTime()).toBeGreaterThanOrEqual(
      1900,
    );
    await new Promise((r) => setTimeout(r, 1000));
    expect(await tasksOf(customerId, 'sales_call')).toHaveLength(1);

    const doneList = await request(h.app).get('/v1/tasks').query({ status: 'done', customerId }).expect(200);
    expect(doneList.body.items).toHaveLength(1);
    await request(h.app).post('/v1/tasks/999999999/complete').expect(404);
    await request(h.app).get('/v1/tasks').query({ status: 'nope' }).expect(400);
  }, 60_000);
});

describe('timeline', () => {
  it('lists events, payments, tickets, tasks and contacts in time order, page by page', async () => {
    const customerId = uniqueKey('C');
    await putCustomer(customerId);
    await h.database.db.insert(payments).values({
      paymentId: uniqueKey('P'),
      amount: 1200,
      currency: 'EUR',
      customerId,
      receivedAt: new Date(Date.now() - 3_600_000),
      method: 'bank_transfer',
      correlationId: 'timeline-test',
    });
    await request(h.app)
      .post('/v1/events')
      .send({
        specversion: '1.0',
        id: uniqueKey('evt'),
        source: 'test/helpdesk',
        type: 'support.requested',
        data: {
          ticketId: uniqueKey('T'),
          customerId,
          channel: 'chat',
          subject: 'Where is my order?',
          priority: 'low',
        },
      })
      .expect(202);
    await burst(customerId, 'churn_risk', 3);
    await eventually(
      async () => ((await tasksOf(customerId, 'sales_follow_up')).length ? true : undefined),
      30_000,
    );

    const all = await request(h.app)
      .get(`/v1/customers/${customerId}/timeline`)
      .query({ limit: 500 })
      .expect(200);
    const items = all.body.items as { at: string; kind: string; key: string }[];
    const kinds = new Set(items.map((i) => i.kind));
    for (const k of ['event', 'payment', 'ticket', 'task', 'contact', 'interaction'])
      expect(kinds).toContain(k);
    expect(items[0]?.kind).toBe('payment');
    const times = items.map((i) => Date.parse(i.at));
    expect([...times].sort((a, b) => a - b)).toEqual(times);
    expect(all.body.nextCursor).toBeNull();

    const paged: typeof items = [];
    let cursor: string | null = null;
    do {
      const page: request.Response = await request(h.app)
        .get(`/v1/customers/${customerId}/timeline`)
        .query({ limit: 3, ...(cursor ? { cursor } : {}) })
        .expect(200);
      paged.push(...page.body.items);
      cursor = page.body.nextCursor;
    } while (cursor);
    expect(paged).toEqual(items);

    await request(h.app)
      .get(`/v1/customers/${uniqueKey('C')}/timeline`)
      .expect(404);
    await request(h.app).get(`/v1/customers/${customerId}/timeline`).query({ cursor: 'garbage' }).expect(400);
  }, 60_000);
});
