/**
 * Routes of finance events. Until payments are reconciled by matching, a payment whose reference names
 * an invoice number (`INV-<orderId>`) goes to that order's workflow as its paymentReceived signal;
 * any other payment is stored and not routed.
 */
import { orderWorkflowId } from '../../domain/names';
import { orderIdFromReference, paymentReceivedSignal, type PaymentReceived } from '../../domain/sales';
import type { PaymentReceivedV1 } from '../../domain/events/payments';
import type { EventType } from '../../domain/events/catalogue';
import type { RoutePlanner } from '../routing';
import { causeOf, signalRunning } from './plans';

export const financePlanners: Partial<Record<EventType, RoutePlanner>> = {
  'payment.received': (event) => {
    const data = event.data as PaymentReceivedV1;
    const orderId = orderIdFromReference(data.reference);
    if (!orderId) return null;
    const payment: PaymentReceived = { ...data, cause: causeOf(event) };
    // a closed (or not yet started) order workflow fails the signal: the route stays pending
    return signalRunning(orderWorkflowId(orderId), paymentReceivedSignal, payment);
  },
};
