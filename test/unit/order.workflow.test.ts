/**
 * Order workflow logic with mocked activities: the compensations run in reverse order and keep
 * going past a failing one; a step that fails for good cancels the order; duplicate payments count once.
 */
import { randomUUID } from 'node:crypto';
import { ApplicationFailure } from '@temporalio/common';
import { orderWorkflowId, WORKFLOW_TYPES } from '../../domain/names';
import { businessSettingsSchema } from '../../domain/settings';
import {
  cancelUpdate,
  ORDER_PATCHES,
  orderStatusQuery,
  orderTimelineQuery,
  paymentReceivedSignal,
  type OrderWorkflowInput,
  type PaymentReceived,
} from '../../domain/sales';
import type { Activities } from '../../activities';
import { workflowTestbed } from '../support/workflow-testbed';
import { patchMarkers } from '../support/histories';
import { eventually, uniqueKey } from '../support/harness';

const testbed = workflowTestbed();

const settings = businessSettingsSchema.parse({ sales: { taxRateBps: 0, approvalTimeout: '1 hour' } });

/** Activities that succeed, recording the order they were called in; override any of them. */
function mockActivities(calls: string[], overrides: Partial<Activities> = {}): Partial<Activities> {
  const record =
    <T>(name: string, value: T) =>
    async () => {
      calls.push(name);
      return value;
    };
  let paid = 0;
  return {
    businessSettings: async () => settings,
    acceptOrder: jest.fn(
      record('acceptOrder', {
        subtotal: 1000,
        tax: 0,
        total: 1000,
        creditLimit: 0,
        openReceivables: 0,
        overCreditLimit: false,
      }),
    ),
    reserveStock: jest.fn(
      record('reserveStock', {
        lines: [{ sku: 'S', wanted: 1, reserved: 1 }],
        complete: true,
        reservedAny: true,
      }),
    ),
    issueInvoice: jest.fn(
      record('issueInvoice', {
        invoiceNumber: 'INV-x',
        subtotal: 1000,
        tax: 0,
        total: 1000,
        issuedOn: '2026-11-27',
        dueDate: '2026-12-27',
        issuedAt: new Date().toISOString(),
      }),
    ),
    applyPayment: jest.fn(async ({ payment }: { payment: PaymentReceived }) => {
      calls.push(`applyPayment:${payment.paymentId}`);
      paid += payment.amount;
      return { paymentId: payment.paymentId, allocated: payment.amount, credited: 0, paid, due: 1000 - paid };
    }),
    refundPayments: jest.fn(record('refundPayments', [{ refundId: 'R', paymentId: 'P1', amount: 400 }])),
    voidInvoice: jest.fn(
      record('voidInvoice', { creditNoteNumber: 'CN-x', invoiceNumber: 'INV-x', total: 1000 }),
    ),
    releaseReservations: jest.fn(record('releaseReservations', [{ sku: 'S', quantity: 1 }])),
    markCancelled: jest.fn(record('markCancelled', undefined)),
    markOrder: jest.fn(record('markOrder', undefined)),
    claimPrepaidPayments: jest.fn(async () => []),
    shipOrder: jest.fn(record('shipOrder', [])),
    ...overrides,
  };
}

async function withWorker(activities: Partial<Activities>, fn: (taskQueue: string) => Promise<void>) {
  const taskQueue = `unit-${randomUUID()}`;
  await testbed.runWorker(taskQueue, activities, () => fn(taskQueue));
}

const input = (orderId: string): OrderWorkflowInput => ({
  order: {
    orderId,
    customerId: 'C',
    currency: 'EUR',
    paymentTerms: { netDays: 30 },
    lines: [{ sku: 'S', quantity: 1, unitPrice: 1000 }],
  },
  cause: { source: 'unit', id: 'e1', correlationId: 'c1' },
});

const payment = (paymentId: string, amount: number): PaymentReceived => ({
  paymentId,
  amount,
  currency: 'EUR',
  receivedAt: '2026-11-27T10:00:00Z',
  method: 'card',
  cause: { source: 'unit', id: `pay-${paymentId}`, correlationId: 'c1' },
});

describe('orderWorkflow', () => {
  it('counts a payment id once, and on cancel keeps compensating past a failing refund', async () => {
    const orderId = uniqueKey('U');
    const calls: string[] = [];
    const activities = mockActivities(calls, {
      refundPayments: jest.fn(async () => {
        calls.push('refundPayments');
        throw ApplicationFailure.nonRetryable('payment provider down', 'RefundFailed');
      }),
    });
    await withWorker(activities, async (taskQueue) => {
      const handle = await testbed.client.workflow.start(WORKFLOW_TYPES.order, {
        workflowId: orderWorkflowId(orderId),
        taskQueue,
        args: [input(orderId)],
      });
      await eventually(async () =>
        (await handle.query(orderStatusQuery)) === 'invoiced' ? true : undefined,
      );
      await handle.signal(paymentReceivedSignal, payment('P1', 400));
      await handle.signal(paymentReceivedSignal, payment('P1', 400));
      await eventually(async () =>
        (await handle.query(orderStatusQuery)) === 'partially_paid' ? true : undefined,
      );
      const outcome = await handle.executeUpdate(cancelUpdate, { args: [{ reason: 'test' }] });
      expect(outcome).toEqual({
        status: 'cancelled',
        reason: 'test',
        refunds: [],
        creditNote: { creditNoteNumber: 'CN-x', invoiceNumber: 'INV-x', total: 1000 },
        released: [{ sku: 'S', quantity: 1 }],
        failures: ['refund: payment provider down'],
      });
      expect(await handle.result()).toEqual({ orderId, status: 'cancelled', reason: 'test' });
    });
    expect(calls).toEqual([
      'acceptOrder',
      'reserveStock',
      'issueInvoice',
      'applyPayment:P1',
      'refundPayments',
      'voidInvoice',
      'releaseReservations',
      'markCancelled',
    ]);
  });

  it('cancels with the compensations of what happened when a step fails for good', async () => {
    const orderId = uniqueKey('U');
    const calls: string[] = [];
    const activities = mockActivities(calls, {
      issueInvoice: jest.fn(async () => {
        calls.push('issueInvoice');
        throw ApplicationFailure.nonRetryable('nothing reserved', 'NothingToInvoice');
      }),
    });
    await withWorker(activities, async (taskQueue) => {
      const result = await testbed.client.workflow.execute(WORKFLOW_TYPES.order, {
        workflowId: orderWorkflowId(orderId),
        taskQueue,
        args: [input(orderId)],
      });
      expect(result).toEqual({ orderId, status: 'cancelled', reason: 'failed: nothing reserved' });
    });
    // the invoice never existed, but voiding is safe: it does nothing when there is no invoice
    expect(calls).toEqual([
      'acceptOrder',
      'reserveStock',
      'issueInvoice',
      'voidInvoice',
      'releaseReservations',
      'markCancelled',
    ]);
  });

  it('takes the payments that named its invoice before it existed (new executions take the patched path)', async () => {
    const orderId = uniqueKey('U');
    const calls: string[] = [];
    const activities = mockActivities(calls, {
      claimPrepaidPayments: jest.fn(async () => {
        calls.push('claimPrepaidPayments');
        return [payment('EARLY', 1000)];
      }),
    });
    await withWorker(activities, async (taskQueue) => {
      const handle = await testbed.client.workflow.start(WORKFLOW_TYPES.order, {
        workflowId: orderWorkflowId(orderId),
        taskQueue,
        args: [input(orderId)],
      });
      // the same payment handed over by reconciliation too counts once
      await handle.signal(paymentReceivedSignal, payment('EARLY', 1000));
      await eventually(async () => ((await handle.query(orderStatusQuery)) === 'shipped' ? true : undefined));
      const steps = (await handle.query(orderTimelineQuery)).map((t) => t.step);
      expect(steps).toContain('paid');
      const history = await handle.fetchHistory();
      expect(patchMarkers(history)).toEqual([ORDER_PATCHES.claimPrepaidPayments]);
      await handle.terminate('test done');
    });
    expect(calls).toEqual([
      'acceptOrder',
      'reserveStock',
      'issueInvoice',
      'claimPrepaidPayments',
      'applyPayment:EARLY',
      'shipOrder',
    ]);
  });
});
