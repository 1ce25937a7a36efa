/** Master data the reorder scenarios need: a supplier, a product and a reorder rule for a SKU. */
import type { Db } from '../../db/client';
import { products, reorderSettings, suppliers } from '../../db/schema';

export async function seedReorderRule(
  db: Db,
  sku: string,
  rule: { reorderPoint: number; orderUpTo: number; packMultiple: number; minOrderQuantity: number },
): Promise<string> {
  const supplierId = `SUP-${sku}`;
  const causation = {
    versionEventSeq: 1,
    causationSource: 'record-histories',
    causationId: sku,
    correlationId: sku,
  };
  await db
    .insert(suppliers)
    .values({ supplierId, name: 'History supplier', currency: 'EUR', ...causation })
    .onConflictDoNothing();
  await db
    .insert(products)
    .values({ sku, name: `History ${sku}`, unitPrice: 400, currency: 'EUR', supplierId, ...causation })
    .onConflictDoNothing();
  await db
    .insert(reorderSettings)
    .values({ sku, ...rule, leadTimeDays: 2, supplierId, ...causation })
    .onConflictDoNothing();
  return supplierId;
}
