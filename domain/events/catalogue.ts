/**
 * The event catalogue: one zod schema per event type and version, and the version lookup.
 * A type may carry its version in `dataschema` (ending in `/v<N>`); without one it is v1.
 */
import type { z } from 'zod';
import {
  customerBehaviourV1,
  supportAgentRespondedV1,
  supportCustomerRepliedV1,
  supportRequestedV1,
  supportResolvedV1,
} from './crm';
import {
  goodsReceivedV1,
  purchaseOrderConfirmedV1,
  reorderSettingsChangedV1,
  stockAdjustedV1,
} from './inventory';
import { customerUpsertedV1, productUpsertedV1, supplierUpsertedV1 } from './masterdata';
import { paymentReceivedV1, paymentRefundedV1 } from './payments';
import { orderApprovedV1, orderCancelRequestedV1, orderPlacedV1, shipmentConfirmedV1 } from './sales';

export const eventCatalogue = {
  'inventory.stock_adjusted': { 1: stockAdjustedV1 },
  'inventory.reorder_settings_changed': { 1: reorderSettingsChangedV1 },
  'purchase_order.confirmed': { 1: purchaseOrderConfirmedV1 },
  'goods.received': { 1: goodsReceivedV1 },
  'order.placed': { 1: orderPlacedV1 },
  'order.cancel_requested': { 1: orderCancelRequestedV1 },
  'order.approved': { 1: orderApprovedV1 },
  'shipment.confirmed': { 1: shipmentConfirmedV1 },
  'payment.received': { 1: paymentReceivedV1 },
  'payment.refunded': { 1: paymentRefundedV1 },
  'support.requested': { 1: supportRequestedV1 },
  'support.agent_responded': { 1: supportAgentRespondedV1 },
  'support.customer_replied': { 1: supportCustomerRepliedV1 },
  'support.resolved': { 1: supportResolvedV1 },
  'customer.behaviour': { 1: customerBehaviourV1 },
  'customer.upserted': { 1: customerUpsertedV1 },
  'product.upserted': { 1: productUpsertedV1 },
  'supplier.upserted': { 1: supplierUpsertedV1 },
} as const satisfies Record<string, Record<number, z.ZodType>>;

export type EventType = keyof typeof eventCatalogue;

/** The parsed `data` of version 1 of an event type. */
export type EventData<T extends EventType> = z.infer<(typeof eventCatalogue)[T][1]>;

export type EventDomain = 'sales' | 'payments' | 'inventory' | 'crm' | 'masterdata';

/** The business domain each event type belongs to. */
export const EVENT_DOMAINS = {
  'inventory.stock_adjusted': 'inventory',
  'inventory.reorder_settings_changed': 'inventory',
  'purchase_order.confirmed': 'inventory',
  'goods.received': 'inventory',
  'order.placed': 'sales',
  'order.cancel_requested': 'sales',
  'order.approved': 'sales',
  'shipment.confirmed': 'sales',
  'payment.received': 'payments',
  'payment.refunded': 'payments',
  'support.requested': 'crm',
  'support.agent_responded': 'crm',
  'support.customer_replied': 'crm',
  'support.resolved': 'crm',
  'customer.behaviour': 'crm',
  'customer.upserted': 'masterdata',
  'product.upserted': 'masterdata',
  'supplier.upserted': 'masterdata',
} as const satisfies Record<EventType, EventDomain>;

export type CatalogueLookup =
  | { ok: true; type: EventType; version: number; schema: z.ZodType }
  | { ok: false; reason: 'unknown-type' | 'unknown-version'; version?: number };

export function eventVersion(dataschema: string | undefined): number | null {
  if (dataschema === undefined) return 1;
  const m = /\/v(\d+)$/.exec(dataschema);
  return m ? Number(m[1]) : null;
}

export function lookupEventSchema(type: string, dataschema: string | undefined): CatalogueLookup {
  if (!Object.prototype.hasOwnProperty.call(eventCatalogue, type))
    return { ok: false, reason: 'unknown-type' };
  const versions: Record<number, z.ZodType> = eventCatalogue[type as EventType];
  const version = eventVersion(dataschema);
  const schema = version === null ? undefined : versions[version];
  if (!schema) return { ok: false, reason: 'unknown-version', version: version ?? undefined };
  return { ok: true, type: type as EventType, version: version as number, schema };
}
