/**
 * Master data projections: customer, product, supplier and reorder-rule upserts applied in the same
 * transaction that stores their event. Each row remembers the `events.seq` of the upsert it holds,
 * and an upsert applies only when it is newer, so replays and late duplicates never roll back.
 */
import { getTableColumns, sql, type SQL } from 'drizzle-orm';
import type { PgColumn, PgInsertValue, PgTable } from 'drizzle-orm/pg-core';
import type { EventData } from '../../domain/events/catalogue';
import type { ReorderSettings } from '../../domain/events/primitives';
import type { Tx } from '../client';
import { customers, products, reorderSettings, suppliers, type EventRow } from '../schema';
import { setLineage } from './lineage-context';

type Versioned = typeof customers | typeof suppliers | typeof products | typeof reorderSettings;

/**
 * Inserts the row, or replaces every column of the existing one (its `created_at` aside) when the
 * incoming version is newer; an older version changes nothing.
 */
async function upsertNewer<T extends Versioned>(
  tx: Tx,
  table: T,
  key: PgColumn,
  values: PgInsertValue<T>,
): Promise<void> {
  const columns = getTableColumns(table);
  const set: Record<string, SQL> = {};
  for (const [prop, column] of Object.entries(columns)) {
    // raw SQL from the schema's own column names, never from input
    if (column !== key && prop !== 'createdAt') set[prop] = sql.raw(`excluded."${column.name}"`);
  }
  await tx
    .insert(table as PgTable)
    .values(values as never)
    .onConflictDoUpdate({
      target: key,
      set,
      setWhere: sql`${columns.versionEventSeq} < excluded.version_event_seq`,
    });
}

function causedBy(event: EventRow) {
  return {
    versionEventSeq: event.seq,
    causationSource: event.source,
    causationId: event.id,
    correlationId: event.correlationId,
    updatedAt: sql`now()`,
  };
}

const upsertReorderSettings = (tx: Tx, event: EventRow, sku: string, rule: ReorderSettings) =>
  upsertNewer(tx, reorderSettings, reorderSettings.sku, { sku, ...rule, ...causedBy(event) });

const projections: Record<string, (tx: Tx, event: EventRow) => Promise<void>> = {
  'customer.upserted': async (tx, event) => {
    const d = event.data as EventData<'customer.upserted'>;
    await upsertNewer(tx, customers, customers.customerId, {
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
    });
  },
  'supplier.upserted': async (tx, event) => {
    const d = event.data as EventData<'supplier.upserted'>;
    await upsertNewer(tx, suppliers, suppliers.supplierId, {
      supplierId: d.supplierId,
      name: d.name,
      email: d.email ?? null,
      currency: d.currency ?? null,
      leadTimeDays: d.leadTimeDays ?? 0,
      minOrderQuantity: d.minOrderQuantity ?? 1,
      ...causedBy(event),
    });
  },
  'product.upserted': async (tx, event) => {
    const d = event.data as EventData<'product.upserted'>;
    await upsertNewer(tx, products, products.sku, {
      sku: d.sku,
      name: d.name,
      unitPrice: d.unitPrice,
      currency: d.currency,
      supplierId: d.supplierId ?? null,
      active: d.active ?? true,
      ...causedBy(event),
    });
    if (d.reorderSettings) await upsertReorderSettings(tx, event, d.sku, d.reorderSettings);
  },
  'inventory.reorder_settings_changed': async (tx, event) => {
    const { sku, ...rule } = event.data as EventData<'inventory.reorder_settings_changed'>;
    await upsertReorderSettings(tx, event, sku, rule);
  },
};

/** Applies the event's master data change, if its type has one; idempotent and order-safe. */
export async function projectEvent(tx: Tx, event: EventRow): Promise<boolean> {
  const project = projections[event.type];
  if (!project) return false;
  // lineage: the rows this changes were caused by the event (no workflow)
  await setLineage(tx, {
    causationSource: event.source,
    causationId: event.id,
    correlationId: event.correlationId,
  });
  await project(tx, event);
  return true;
}
