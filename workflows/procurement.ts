/**
 * One purchase order, from draft to closed: create it, send it to the supplier, wait for the
 * confirmation (on timeout a CRM task for purchasing, then send again or cancel, per settings),
 * take receipts until the order is fully received (an alert when it is late), and tell the SKU's
 * workflow and the SKU's backordered orders about each receipt. A child of the SKU's workflow.
 */
import { condition, getExternalWorkflowHandle, log, proxyActivities, setHandler } from '@temporalio/workflow';
import { msToNumber } from '@temporalio/common';
import type { Activities } from '../activities';
import { procurementProgressSignal, type ProcurementProgress } from '../domain/inventory';
import {
  causeKey,
  goodsReceivedSignal,
  procurementStateQuery,
  purchaseOrderConfirmedSignal,
  type GoodsReceipt,
  type ProcurementInput,
  type ProcurementState,
  type PurchaseOrderConfirmation,
} from '../domain/procurement';
import { ACTIVITY_PRESETS } from './presets';
import { loadSettings } from './settings';

const {
  createPurchaseOrder,
  sendPurchaseOrder,
  confirmPurchaseOrder,
  escalateUnconfirmedPurchaseOrder,
  cancelPurchaseOrder,
  raiseLateDelivery,
  recordGoodsReceipt,
  notifyBackorderedOrders,
  closePurchaseOrder,
} = proxyActivities<Activities>(ACTIVITY_PRESETS.short);

const DAY_MS = 24 * 3600 * 1000;

/** When an order expected on `expectedDate` (YYYY-MM-DD, UTC) is late: the end of that day + grace. */
export const lateAfter = (expectedDate: string, graceMs: number): number =>
  Date.parse(`${expectedDate}T00:00:00Z`) + DAY_MS + graceMs;

/** A purchase order's procurement workflow (id: procurementWorkflowId(purchaseOrderId)). */
export async function procurementWorkflow(input: ProcurementInput): Promise<ProcurementState> {
  const { purchaseOrderId } = input;
  const state: ProcurementState = {
    purchaseOrderId,
    status: 'creating',
    quantity: input.quantity,
    received: 0,
    sendAttempts: 0,
    expectedDate: null,
    late: false,
    receipts: [],
  };
  const seen = new Set<string>();
  const confirmations: PurchaseOrderConfirmation[] = [];
  const receipts: GoodsReceipt[] = [];

  setHandler(purchaseOrderConfirmedSignal, (c) => {
    if (seen.has(causeKey(c.cause))) return;
    seen.add(causeKey(c.cause));
    confirmations.push(c);
  });
  setHandler(goodsReceivedSignal, (r) => {
    if (seen.has(causeKey(r.cause))) return;
    seen.add(causeKey(r.cause));
    receipts.push(r);
  });
  setHandler(procurementStateQuery, () => state);

  const tellParent = async (status: ProcurementProgress['status']) => {
    try {
      await getExternalWorkflowHandle(input.parentWorkflowId).signal(procurementProgressSignal, {
        purchaseOrderId,
        quantity: state.quantity,
        received: state.received,
        status,
      });
    } catch (err) {
      // the SKU's workflow is gone (terminated); its next run reads open orders from Postgres
      log.warn('SKU workflow not told of procurement progress', {
        purchaseOrderId,
        error: (err as Error).message,
      });
    }
  };

  const settings = (await loadSettings()).inventory;
  try {
    const created = await createPurchaseOrder(input);
    state.expectedDate = created.expectedDate;
  } catch (err) {
    // no purchase order (an unknown supplier): the SKU's workflow must stop counting it as on order
    state.status = 'cancelled';
    await tellParent('cancelled');
    throw err;
  }

  state.status = 'awaiting_confirmation';
  let attempt = 1;
  await sendPurchaseOrder({ purchaseOrderId, attempt });
  state.sendAttempts = attempt;
  // goods that arrive unconfirmed count as the supplier's confirmation
  while (
    !(await condition(() => confirmations.length > 0 || receipts.length > 0, settings.confirmationTimeout))
  ) {
    await escalateUnconfirmedPurchaseOrder({ purchaseOrderId, attempt });
    if (settings.onConfirmationTimeout === 'resend' && attempt <= settings.maxConfirmationRetries) {
      attempt++;
      await sendPurchaseOrder({ purchaseOrderId, attempt });
      state.sendAttempts = attempt;
      continue;
    }
    await cancelPurchaseOrder({ purchaseOrderId, reason: `not confirmed after ${attempt} send(s)` });
    state.status = 'cancelled';
    await tellParent('cancelled');
    return state;
  }

  state.status = 'awaiting_goods';
  const graceMs = msToNumber(settings.lateDeliveryGrace);
  for (;;) {
    for (let c = confirmations.shift(); c; c = confirmations.shift()) {
      state.expectedDate = (await confirmPurchaseOrder(c)).expectedDate;
    }
    for (let r = receipts.shift(); r; r = receipts.shift()) {
      const outcome = await recordGoodsReceipt(r);
      let notifiedOrders: string[] = [];
      if (outcome.status === 'applied') {
        state.received = outcome.received;
        await tellParent(state.received >= state.quantity ? 'closed' : 'open');
        notifiedOrders = (await notifyBackorderedOrders({ sku: input.sku })).notified;
      } else {
        log.warn('goods receipt rejected', {
          purchaseOrderId,
          receiptId: r.receiptId,
          reason: outcome.reason,
        });
      }
      state.receipts.push({ receiptId: r.receiptId, status: outcome.status, notifiedOrders });
    }
    if (state.received >= state.quantity) break;
    const lateAt = state.expectedDate ? lateAfter(state.expectedDate, graceMs) : Infinity;
    const more = () => confirmations.length > 0 || receipts.length > 0;
    if (state.late || lateAt === Infinity) {
      await condition(more);
    } else if (!(await condition(more, Math.max(1, lateAt - Date.now())))) {
      state.late = true;
      await raiseLateDelivery({
        purchaseOrderId,
        expectedDate: state.expectedDate as string,
        received: state.received,
        quantity: state.quantity,
      });
    }
  }

  await closePurchaseOrder({ purchaseOrderId });
  state.status = 'closed';
  return state;
}
