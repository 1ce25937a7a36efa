/**
 * customerFollowUpWorkflow: a burst of behaviour signals across a continue-as-new, one evaluation
 * and one sales follow-up, a high-value order task, and a chained task after the follow-up is done.
 */
import { and, eq } from 'drizzle-orm';
import { crmTasks, customers } from '../../db/schema';
import { customerFollowUpStateQuery, type BehaviourSignal } from '../../domain/crm';
import { customerFollowUpWorkflowId } from '../../domain/names';
import { sendToCustomer } from '../../api/planners/crm';
import { eventually } from '../../test/support/harness';
import type { HistoryScenario } from './scenario';

export const customerFollowUpScenario: HistoryScenario = {
  name: 'customer-follow-up',
  settings: {
    crm: {
      behaviour: { debounceWindow: '2 seconds', maxSignalsPerRun: 5 },
      taskChain: { sales_follow_up: { next: 'sales_call', delay: '1 second' } },
    },
  },
  async run({ client, taskQueuePrefix, db, save }) {
    const customerId = 'C-HISTORY-FOLLOW-UP';
    await db.insert(customers).values({
      customerId,
      name: customerId,
      currency: 'EUR',
      consent: true,
      versionEventSeq: 0,
      causationSource: 'record-histories',
      causationId: 'customer-1',
      correlationId: 'history-follow-up',
    });
    const signal = (i: number, kind: BehaviourSignal['kind'], value?: number): BehaviourSignal => ({
      customerId,
      kind,
      ...(value !== undefined ? { value } : {}),
      occurredAt: new Date().toISOString(),
      cause: { source: 'record-histories', id: `evt-${i}`, correlationId: 'history-follow-up' },
    });
    const signals = [
      ...Array.from({ length: 6 }, (_, i) => signal(i + 1, 'cart_abandoned')),
      signal(7, 'high_value_order', 250_000),
      // delivered twice, the way a retried route would: ignored
      signal(7, 'high_value_order', 250_000),
    ];
    for (const behaviour of signals) await sendToCustomer(client, taskQueuePrefix, customerId, { behaviour });
    const handle = client.workflow.getHandle(customerFollowUpWorkflowId(customerId));
    await eventually(async () =>
      (await handle.query(customerFollowUpStateQuery)).followUpsCreated === 1 ? true : undefined,
    );
    const [followUp] = await db
      .select()
      .from(crmTasks)
      .where(and(eq(crmTasks.customerId, customerId), eq(crmTasks.type, 'sales_follow_up')));
    if (!followUp) throw new Error('no follow-up task');
    await sendToCustomer(client, taskQueuePrefix, customerId, {
      taskCompleted: {
        customerId,
        taskId: followUp.id,
        type: followUp.type,
        completedAt: new Date().toISOString(),
      },
    });
    await eventually(async () => {
      const rows = await db
        .select()
        .from(crmTasks)
        .where(and(eq(crmTasks.customerId, customerId), eq(crmTasks.type, 'sales_call')));
      return rows.length ? true : undefined;
    });
    return save(customerFollowUpWorkflowId(customerId), 'customer-follow-up');
  },
};
