/**
 * Events out: the domain events workflows announce through the outbox (no I/O). Each is sent in the
 * same CloudEvents 1.0 envelope as inbound events, with the outbox row's id as the CloudEvents id.
 */

/** What an outbound event is about; Kafka topics and per-aggregate ordering follow this. */
export const AGGREGATE_TYPES = [
  'order',
  'invoice',
  'payment',
  'sku',
  'purchase_order',
  'ticket',
  'customer',
  'reconciliation',
  'subscription',
  'system',
] as const;
export type AggregateType = (typeof AGGREGATE_TYPES)[number];

/** Every outbound event type; webhook subscriptions filter on these. */
export const OUTBOUND_EVENT_TYPES = [
  'order.accepted',
  'order.on_hold',
  'order.approved',
  'order.backordered',
  'order.invoiced',
  'order.paid',
  'order.shipped',
  'order.completed',
  'order.cancelled',
  'invoice.voided',
  'payment.allocated',
  'payment.unallocated',
  'payment.refunded',
  'customer.credit_added',
  'dunning.level_reached',
  'stock.reorder_triggered',
  'purchase_order.created',
  'purchase_order.sent',
  'purchase_order.confirmed',
  'purchase_order.received',
  'purchase_order.late',
  'purchase_order.cancelled',
  'ticket.acknowledged',
  'ticket.escalated',
  'ticket.resolved',
  'ticket.reopened',
  'survey.sent',
  'follow_up.created',
  'reconciliation.exception_raised',
  'alert.raised',
] as const;
export type OutboundEventType = (typeof OUTBOUND_EVENT_TYPES)[number];

/** The CloudEvents `source` of every event this system emits. */
export const OUTBOUND_SOURCE = 'erp-temporal';
