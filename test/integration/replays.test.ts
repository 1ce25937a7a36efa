/**
 * Selective replay through the real API, Temporal, workers and Postgres: a dry run answers a plan
 * and writes nothing else; executing it re-drives lost events (and already delivered ones, which
 * changes nothing), records who, when and each item's outcome, and sleeps between pages; a failed
 * execution found by `workflowStatus: ['failed']` is reset to its last good point after a data fix
 * and completes; one that ran past its execution timeout is found as timed_out and reset into a
 * new run with a fresh timeout; a key without admin is refused.
 */
import request from 'supertest';
import { and, eq, inArray } from 'drizzle-orm';
import { WorkflowFailedError } from '@temporalio/client';
import { temporal } from '@temporalio/proto';
import { createApiKey } from '../../db/queries/api-keys';
import { eventRoutes, outbox, purchaseOrders, stockLevels, stockMovements } from '../../db/schema';
import type { Scope } from '../../domain/access';
import { procurementWorkflowId, WORKFLOW_TYPES, workflowTaskQueue } from '../../domain/names';
import type { ProcurementInput } from '../../domain/procurement';
import { replayProgressQuery } from '../../domain/replays';
import { dbFingerprint, fingerprintDiff } from '../support/fingerprint';
import {
  eventually,
  offlineApp,
  startHarness,
  stockAdjusted,
  uniqueKey,
  type Harness,
  type TestEvent,
} from '../support/harness';

let h: Harness;
let admin: string;
let adminId: string;

beforeAll(async () => {
  h = await startHarness({
    auth: { mode: 'keys' },
    settings: {
      // one item per page at 10 a second: 100 ms timers between pages
      ops: { replays: { pageSize: 1, itemsPerSecond: 10 } },
      // a purchase order nobody confirms is cancelled after a second, so its workflow completes
      inventory: { confirmationTimeout: '1 second', onConfirmationTimeout: 'cancel' },
    },
  });
  const created = await newKey(['admin']);
  admin = created.key;
  adminId = created.row.id;
});
afterAll(async () => {
  await h?.close();
});

const newKey = (scopes: Scope[]) => createApiKey(h.database.db, { name: uniqueKey('key'), scopes });
const auth = (key = admin) => ({ Authorization: `Bearer ${key}` });

const post = (body: object, key = admin) =>
  request(h.app).post('/v1/replays').set(auth(key)).set('Content-Type', 'application/json').send(body);
const get = (path: string, key = admin) => request(h.app).get(path).set(auth(key));

async function sendEvent(event: TestEvent): Promise<void> {
  await request(h.app).post('/v1/events').set(auth()).send(event).expect(202);
}

const onHand = async (sku: string) =>
  (await h.database.db.select().from(stockLevels).where(eq(stockLevels.sku, sku)))[0]?.onHand;
const movementsOf = (sku: string) =>
  h.database.db.select().from(stockMovements).where(eq(stockMovements.sku, sku));
const outboxOf = (sku: string) =>
  h.database.db
    .select()
    .from(outbox)
    .where(and(eq(outbox.aggregateId, sku)));

/** What the SKU's events did: stock level, movements and outbox rows. */
async function skuState(sku: string) {
  const sort = <T extends { id?: unknown }>(rows: T[]) =>
    rows.map((r) => JSON.stringify(r)).sort((a, b) => a.localeCompare(b));
  return {
    onHand: await onHand(sku),
    movements: sort(await movementsOf(sku)),
    outbox: sort(await outboxOf(sku)),
  };
}

async function waitForRun(runId: string) {
  return eventually(async () => {
    const res = await get(`/v1/replays/${runId}`).expect(200);
    // the row is closed by the workflow's last activity, just before the workflow completes
    return res.body.status === 'completed' && res.body.workflow.status === 'COMPLETED' ? res.body : undefined;
  }, 60_000);
}

describe('selective replay of stored events', () => {
  const sku = uniqueKey('SKU');
  const delivered = [stockAdjusted({ sku, delta: 10 }), stockAdjusted({ sku, delta: -3 })];
  const lost = stockAdjusted({ sku, delta: 5 });
  const predicate = { eventTypes: ['inventory.stock_adjusted'], sku };
  let planId: string;

  beforeAll(async () => {
    // a reorder rule whose supplier is unknown: at or below 20 the SKU raises an alert (an outbox row)
    await request(h.app)
      .put(`/v1/inventory/${sku}/reorder-settings`)
      .set(auth())
      .send({
        reorderPoint: 20,
        orderUpTo: 40,
        packMultiple: 1,
        minOrderQuantity: 1,
        leadTimeDays: 3,
        supplierId: uniqueKey('SUP-unknown'),
      })
      .expect(201);
    for (const e of delivered) await sendEvent(e);
    await eventually(async () =>
      (await onHand(sku)) === 7 && (await outboxOf(sku)).length === 1 ? true : undefined,
    );
    // accepted while Temporal was unreachable, and no relay runs here: its route stays pending
    const offline = await offlineApp(h);
    try {
      await request(offline.app).post('/v1/events').send(lost).expect(202);
    } finally {
      await offline.close();
    }
    const [route] = await h.database.db.select().from(eventRoutes).where(eq(eventRoutes.eventId, lost.id));
    expect(route?.status).toBe('pending');
  });

  it('answers a dry run with counts, a sample and why, and writes nothing but the plan', async () => {
    const before = await dbFingerprint(h.database.pool);
    const res = await post({ dryRun: true, predicate, sample: 10 }).expect(201);
    const after = await dbFingerprint(h.database.pool);
    // api_keys: the key's last use is recorded (at most once a minute)
    expect(fingerprintDiff(before, after).filter((d) => d !== 'table api_keys')).toEqual([
      'table replay_plan_items',
      'table replay_plans',
    ]);
    planId = res.body.planId;
    expect(res.headers.location).toBe(`/v1/replays/plans/${planId}`);
    expect(res.body).toMatchObject({
      createdBy: adminId,
      predicate,
      counts: { matched: 3, redrive: 3, reset: 0, skipped: 0, byType: { 'inventory.stock_adjusted': 3 } },
      truncated: false,
      run: null,
    });
    expect(res.body.sample.map((s: { key: string }) => s.key)).toEqual(
      [...delivered, lost].map((e) => `event:${e.source}/${e.id}`),
    );
    expect(res.body.sample[0].why).toMatch(/^delivered to sku-.*re-driving is harmless/);
    expect(res.body.sample[2]).toMatchObject({
      kind: 'redrive',
      target: { routing: 'pending', workflowId: `sku-${sku}` },
    });
    expect(res.body.sample[2].why).toMatch(/^routing pending after 1 attempt/);
    // another SKU's events are not in it
    const other = await post({ dryRun: true, predicate: { ...predicate, sku: uniqueKey('SKU') } }).expect(
      201,
    );
    expect(other.body.counts).toMatchObject({ matched: 0, redrive: 0 });
    const stored = await get(`/v1/replays/plans/${planId}`).expect(200);
    expect(stored.body).toMatchObject({ planId, counts: res.body.counts, sample: res.body.sample });
  });

  it('executes the plan: the lost event arrives, the delivered ones change nothing; the run is recorded', async () => {
    const res = await post({ planId }).expect(202);
    expect(res.body).toMatchObject({ planId, status: 'running', startedBy: adminId, total: 3 });
    const runId: string = res.body.runId;
    expect(res.headers.location).toBe(`/v1/replays/${runId}`);
    // a plan executes at most once: again answers the same run
    const again = await post({ planId }).expect(200);
    expect(again.body.runId).toBe(runId);

    const run = await waitForRun(runId);
    expect(run).toMatchObject({
      runId,
      planId,
      startedBy: adminId,
      total: 3,
      done: 3,
      failed: 0,
      byOutcome: { redriven: 3, reset: 0, skipped_already_done: 0, failed: 0 },
      workflow: { id: `replay-${runId}`, status: 'COMPLETED' },
    });
    expect(run.finishedAt).toEqual(expect.any(String));
    expect(run.items.map((i: { key: string; outcome: string }) => [i.key, i.outcome])).toEqual(
      [...delivered, lost].map((e) => [`event:${e.source}/${e.id}`, 'redriven']),
    );
    expect(run.items[0].detail).toMatch(/had been delivered before/);
    expect(await onHand(sku)).toBe(12);
    const movements = await movementsOf(sku);
    expect(movements.map((m) => m.causationId).sort()).toEqual([...delivered, lost].map((e) => e.id).sort());
    const [route] = await h.database.db.select().from(eventRoutes).where(eq(eventRoutes.eventId, lost.id));
    expect(route?.status).toBe('delivered');

    const list = await get('/v1/replays?limit=500').expect(200);
    expect(list.body.items.map((r: { runId: string }) => r.runId)).toContain(runId);
    const plan = await get(`/v1/replays/plans/${planId}`).expect(200);
    expect(plan.body.run).toMatchObject({ runId, status: 'completed' });

    const workflow = h.temporal.client.workflow.getHandle(`replay-${runId}`);
    expect(await workflow.query(replayProgressQuery)).toMatchObject({
      runId,
      total: 3,
      done: 3,
      failed: 0,
      pages: 3,
      status: 'completed',
    });

    // the rate limit: the run slept between its pages (one item each), 100 ms each time
    const history = await workflow.fetchHistory();
    const timers = (history.events ?? []).filter(
      (e) => e.eventType === temporal.api.enums.v1.EventType.EVENT_TYPE_TIMER_STARTED,
    );
    expect(timers).toHaveLength(2);
    for (const t of timers) {
      expect(Number(t.timerStartedEventAttributes?.startToFireTimeout?.nanos ?? 0) / 1e6).toBe(100);
    }
  });

  it('replaying what already succeeded is harmless: stock, movements and outbox stay identical', async () => {
    const before = await skuState(sku);
    expect(before).toMatchObject({ onHand: 12, movements: expect.any(Array), outbox: expect.any(Array) });
    expect([before.movements.length, before.outbox.length]).toEqual([3, 1]);
    const plan = await post({ dryRun: true, predicate }).expect(201);
    expect(plan.body.counts).toMatchObject({ redrive: 3 });
    expect(plan.body.sample.every((s: { why: string }) => s.why.startsWith('delivered'))).toBe(true);
    const run = await waitForRun((await post({ planId: plan.body.planId }).expect(202)).body.runId);
    expect(run.byOutcome).toMatchObject({ redriven: 3, failed: 0 });
    // the SKU's workflow took the three signals and ignored them (it holds each causing event)
    await new Promise((r) => setTimeout(r, 1000));
    expect(await skuState(sku)).toEqual(before);
  });

  it('answers 400 with field paths for an invalid predicate and 404 for an unknown plan', async () => {
    const bad = await post({
      dryRun: true,
      predicate: { eventTypes: ['nope.nope'], failureType: 'X' },
    }).expect(400);
    expect(bad.body.errors.map((e: { path: string }) => e.path).sort()).toEqual([
      'predicate.eventTypes[0]',
      'predicate.workflowStatus',
    ]);
    const empty = await post({ dryRun: true, predicate: {} }).expect(400);
    expect(empty.body.errors[0].path).toBe('predicate');
    const noDry = await post({ predicate }).expect(400);
    expect(noDry.body.errors[0].path).toBe('dryRun');
    await post({ planId: 'plan-nope' }).expect(404);
    await get('/v1/replays/run-nope').expect(404);
    await get('/v1/replays/plans/plan-nope').expect(404);
  });
});

describe('resetting a failed execution', () => {
  it('finds a procurement failed on an unknown supplier, resets it after the fix, and it completes', async () => {
    const supplierId = uniqueKey('SUP');
    const purchaseOrderId = uniqueKey('PO');
    const workflowId = procurementWorkflowId(purchaseOrderId);
    const input: ProcurementInput = {
      purchaseOrderId,
      sku: uniqueKey('SKU'),
      quantity: 5,
      supplierId,
      leadTimeDays: 3,
      parentWorkflowId: `sku-${uniqueKey('none')}`,
    };
    const handle = await h.temporal.client.workflow.start(WORKFLOW_TYPES.procurement, {
      workflowId,
      taskQueue: workflowTaskQueue(h.taskQueuePrefix, WORKFLOW_TYPES.procurement),
      args: [input],
    });
    await expect(handle.result()).rejects.toBeInstanceOf(WorkflowFailedError);
    const failedRunId = handle.firstExecutionRunId;

    const predicate = {
      workflowStatus: ['failed'],
      failureType: 'UnknownSupplier',
      workflowIds: [workflowId],
    };
    // visibility is eventually consistent: ask until the failed run is listed
    const plan = await eventually(async () => {
      const res = await post({ dryRun: true, predicate }).expect(201);
      return res.body.counts.reset === 1 ? res.body : undefined;
    }, 30_000);
    expect(plan.counts).toMatchObject({
      redrive: 0,
      reset: 1,
      byWorkflowType: { procurementWorkflow: 1 },
      byStatus: { failed: 1 },
    });
    expect(plan.sample[0]).toMatchObject({
      key: `workflow:${workflowId}/${failedRunId}`,
      kind: 'reset',
      target: { workflowId, runId: failedRunId, failureType: 'UnknownSupplier', status: 'failed' },
    });
    expect(plan.sample[0].why).toMatch(
      /^failed \(UnknownSupplier: .*supplier .* is unknown\); reset to WorkflowTaskCompleted \(event \d+\) before ActivityTaskScheduled createPurchaseOrder/,
    );
    // another failure type selects nothing
    const other = await post({
      dryRun: true,
      predicate: { ...predicate, failureType: 'TimeoutFailure' },
    }).expect(201);
    expect(other.body.counts).toMatchObject({ matched: 0, reset: 0 });

    // the data fix, then the reset
    await request(h.app)
      .put(`/v1/suppliers/${supplierId}`)
      .set(auth())
      .send({ name: 'Glaswerk' })
      .expect(201);
    const started = await post({ planId: plan.planId }).expect(202);
    const run = await waitForRun(started.body.runId);
    expect(run.byOutcome).toMatchObject({ reset: 1, failed: 0 });
    expect(run.items[0].detail).toMatch(/^reset to WorkflowTaskCompleted .*; new run /);

    // the new run creates the purchase order this time and completes (unconfirmed: cancelled after 1 s)
    const current = h.temporal.client.workflow.getHandle(workflowId);
    const result = await current.result();
    expect(result).toMatchObject({ purchaseOrderId, status: 'cancelled' });
    expect((await current.describe()).runId).not.toBe(failedRunId);
    const [po] = await h.database.db
      .select()
      .from(purchaseOrders)
      .where(inArray(purchaseOrders.purchaseOrderId, [purchaseOrderId]));
    expect(po).toMatchObject({ supplierId, status: 'cancelled' });

    // the failed run is superseded now: a new dry run skips it, saying why
    const later = await post({ dryRun: true, predicate }).expect(201);
    expect(later.body.counts).toMatchObject({ reset: 0, skipped: 1 });
    expect(later.body.skipped[0].why).toMatch(/^superseded: run .* is the current run \(COMPLETED\)/);
  });
});

describe('timed-out executions', () => {
  it('selects a workflow that ran past its execution timeout as timed_out, TimeoutFailure, and resets it into a run with a fresh timeout', async () => {
    const sku = uniqueKey('SKU');
    const workflowId = `sku-${sku}`;
    const handle = await h.temporal.client.workflow.start(WORKFLOW_TYPES.inventoryItem, {
      workflowId,
      taskQueue: workflowTaskQueue(h.taskQueuePrefix, WORKFLOW_TYPES.inventoryItem),
      args: [{ sku }],
      workflowExecutionTimeout: '1 second',
    });
    await expect(handle.result()).rejects.toBeInstanceOf(WorkflowFailedError);
    const plan = await eventually(async () => {
      const res = await post({
        dryRun: true,
        predicate: { workflowStatus: ['timed_out'], failureType: 'TimeoutFailure', sku },
      }).expect(201);
      return res.body.counts.reset === 1 ? res.body : undefined;
    }, 30_000);
    expect(plan.counts).toMatchObject({ redrive: 0, byStatus: { timed_out: 1 } });
    expect(plan.sample[0]).toMatchObject({ key: `workflow:${workflowId}/${handle.firstExecutionRunId}` });
    expect(plan.sample[0].why).toMatch(
      /^timed_out \(TimeoutFailure: workflow execution timed out\); reset to WorkflowTaskCompleted \(event \d+\) before WorkflowExecutionTimedOut/,
    );

    // executed: the reset starts a new run from that point, with a fresh execution timeout counted
    // from the reset (not the spent one), so here it runs its second again and then times out
    const run = await waitForRun((await post({ planId: plan.planId }).expect(202)).body.runId);
    expect(run.byOutcome).toMatchObject({ reset: 1, failed: 0 });
    const first = await h.temporal.client.workflow
      .getHandle(workflowId, handle.firstExecutionRunId)
      .describe();
    const current = h.temporal.client.workflow.getHandle(workflowId);
    const reset = await eventually(async () => {
      const d = await current.describe();
      return d.runId !== handle.firstExecutionRunId && d.closeTime ? d : undefined;
    });
    expect(reset.status.name).toBe('TIMED_OUT');
    expect(reset.startTime.getTime()).toBeGreaterThanOrEqual(first.closeTime!.getTime());
    expect(reset.closeTime!.getTime() - reset.startTime.getTime()).toBeGreaterThanOrEqual(990);
  });
});

describe('access', () => {
  it('refuses a key without admin (403) and lets a read key see the runs', async () => {
    const { key } = await newKey(['read', 'events:write', 'orders:write']);
    const res = await post(
      { dryRun: true, predicate: { eventTypes: ['inventory.stock_adjusted'] } },
      key,
    ).expect(403);
    expect(res.body).toMatchObject({ requiredScope: 'admin' });
    await post({ planId: 'plan-x' }, key).expect(403);
    await get('/v1/replays', key).expect(200);
  });
});
