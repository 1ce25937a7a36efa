/**
 * Master data projections: customer, product, supplier and reorder-rule upserts applied in the same
 * transaction that stores their event. Each row remembers the `events.seq` of the upsert it holds,
 * and an upsert applies only when it is newer, so replays and late duplicates never roll back.
 */
import { getTableColumns, sql, type SQL } from 'drizzle-orm';
import type { PgColumn, PgTable } from 'drizzle-orm/pg-core';
import type { EventData } from '../../domain/events/catalogue';
import type { ReorderSettings } from '../../domain/events/primitives';
import type { Tx } from '../client';
import { customers, products, reorderSettings, suppliers, type EventRow } from '../schema';

/** Every column but the key takes the incoming value; the row's own `created_at` is kept. */
function replaceAll(table: PgTable, keep: string[]): Record<string, SQL> {
  const set: Record<string, SQL> = {};
  for (const [prop, column] of Object.entries(getTableColumns(table))) {
    if (!keep.includes(prop)) set[prop] = sql.raw(`excluded."${column.name}"`);
  }
  return set;
}

const newer = (column: PgColumn): SQL => sql`${column} < excluded.version_event_seq`;

function causedBy(event: EventRow) {
  return {
    versionEventSeq: event.seq,
    causationSource: event.source,
    causationId: event.id,
    correlationId: event.correlationId,
    updatedAt: sql`now()`,
  };
}

async function upsertReorderSettings(tx: Tx, event: EventRow, sku: string, rule: ReorderSettings) {
  await tx
    .insert(reorderSettings)
    .values({ sku, ...rule, ...causedBy(event) })
    .onConflictDoUpdate({
      target: reorderSettings.sku,
      set: replaceAll(reorderSettings, ['sku', 'createdAt']),
      setWhere: newer(reorderSettings.versionEventSeq),
    });
}

const projections: Record<string, (tx: Tx, event: EventRow) => Promise<void>> = {
  'customer.upserted': async (tx, event) => {
    const d = event.data as EventData<'customer.upserted'>;
    await tx
      .insert(customers)
      .values({
        customerId: d.customerId,
        name: d.name,
        email: d.email ?? null,
        creditLimit: d.creditLimit,
        currency: d.currency,
        paymentTermsDays: d.paymentTerms.netDays,
        consent: d.consent,
        quietHoursStart: d.quietHours?.start ?? null,
        quietHoursEnd: d.quietHours?.end ?? null,
        timeZone: d.quietHours?.timeZone ?? null,
        ...causedBy(event),
      })
      .onConflictDoUpdate({
        target: customers.customerId,
        set: replaceAll(customers, ['customerId', 'createdAt']),
        setWhere: newer(customers.versionEventSeq),
      });
  },
  'supplier.upserted': async (tx, event) => {
    const d = event.data as EventData<'supplier.upserted'>;
    await tx
      .insert(suppliers)
      .values({
        supplierId: d.supplierId,
        name: d.name,
        email: d.email ?? null,
        currency: d.currency ?? null,
        leadTimeDays: d.leadTimeDays ?? 0,
        minOrderQuantity: d.minOrderQuantity ?? 1,
        ...causedBy(event),
      })
      .onConflictDoUpdate({
        target: suppliers.supplierId,
        set: replaceAll(suppliers, ['supplierId', 'createdAt']),
        setWhere: newer(suppliers.versionEventSeq),
      });
  },
  'product.upserted': async (tx, event) => {
    const d = event.data as EventData<'product.upserted'>;
    await tx
      .insert(products)
      .values({
        sku: d.sku,
        name: d.name,
        unitPrice: d.unitPrice,
        currency: d.currency,
        supplierId: d.supplierId ?? null,
        active: d.active ?? true,
        ...causedBy(event),
      })
      .onConflictDoUpdate({
        target: products.sku,
        set: replaceAll(products, ['sku', 'createdAt']),
        setWhere: newer(products.versionEventSeq),
      });
    if (d.reorderSettings) await upsertReorderSettings(tx, event, d.sku, d.reorderSettings);
  },
  'inventory.reorder_settings_changed': async (tx, event) => {
    const { sku, ...rule } = event.data as EventData<'inventory.reorder_settings_changed'>;
    await upsertReorderSettings(tx, event, sku, rule);
  },
};

/** Event types that change master data when stored. */
export const PROJECTED_EVENT_TYPES = Object.keys(projections);

/** Applies the event's master data change, if its type has one; idempotent and order-safe. */
export async function projectEvent(tx: Tx, event: EventRow): Promise<boolean> {
  const project = projections[event.type];
  if (!project) return false;
  await project(tx, event);
  return true;
}
