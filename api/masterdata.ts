/**
 * Master data over REST: customers, products (and their reorder rule) and suppliers. A PUT becomes
 * the same upsert event a producer could send, stored and applied through the same path, so the
 * audit log and replays see REST changes too.
 */
import { Router, type Request } from 'express';
import { eq } from 'drizzle-orm';
import type { EventType } from '../domain/events/catalogue';
import { idSchema, skuSchema } from '../domain/events/primitives';
import { customers, products, reorderSettings, suppliers } from '../db/schema';
import type { CustomerRow, ProductRow, ReorderSettingsRow, SupplierRow } from '../db/schema';
import { Problem, pathParam, requireContentType, validationProblem } from './problem';
import { command, type CommandResponse } from './idempotency';
import { CORRELATION_HEADER, eventSelfLink, ingestRestEvent } from './ingest';
import type { AppDeps } from './app';

interface Version {
  versionEventSeq: number;
  causationSource: string;
  causationId: string;
  createdAt: Date;
  updatedAt: Date;
}

function versionView(row: Version) {
  const event = { source: row.causationSource, id: row.causationId };
  return {
    version: { eventId: event.id, source: event.source, seq: row.versionEventSeq },
    createdAt: row.createdAt.toISOString(),
    updatedAt: row.updatedAt.toISOString(),
    event: eventSelfLink(event),
  };
}

export function customerView(row: CustomerRow) {
  const { event, ...version } = versionView(row);
  return {
    customerId: row.customerId,
    name: row.name,
    email: row.email,
    creditLimit: row.creditLimit,
    currency: row.currency,
    paymentTerms: { netDays: row.paymentTermsDays },
    consent: row.consent,
    quietHours:
      row.quietHoursStart && row.quietHoursEnd
        ? { start: row.quietHoursStart, end: row.quietHoursEnd, timeZone: row.timeZone }
        : null,
    ...version,
    links: { self: `/v1/customers/${encodeURIComponent(row.customerId)}`, event },
  };
}

export function supplierView(row: SupplierRow) {
  const { event, ...version } = versionView(row);
  return {
    supplierId: row.supplierId,
    name: row.name,
    email: row.email,
    currency: row.currency,
    leadTimeDays: row.leadTimeDays,
    minOrderQuantity: row.minOrderQuantity,
    ...version,
    links: { self: `/v1/suppliers/${encodeURIComponent(row.supplierId)}`, event },
  };
}

function reorderView(row: ReorderSettingsRow) {
  return {
    reorderPoint: row.reorderPoint,
    orderUpTo: row.orderUpTo,
    packMultiple: row.packMultiple,
    minOrderQuantity: row.minOrderQuantity,
    leadTimeDays: row.leadTimeDays,
    supplierId: row.supplierId,
  };
}

export function productView(row: ProductRow, rule: ReorderSettingsRow | undefined) {
  const { event, ...version } = versionView(row);
  return {
    sku: row.sku,
    name: row.name,
    unitPrice: row.unitPrice,
    currency: row.currency,
    supplierId: row.supplierId,
    active: row.active,
    reorderSettings: rule ? reorderView(rule) : null,
    ...version,
    links: { self: `/v1/products/${encodeURIComponent(row.sku)}`, event },
  };
}

export function reorderSettingsView(row: ReorderSettingsRow) {
  const { event, ...version } = versionView(row);
  return {
    sku: row.sku,
    ...reorderView(row),
    ...version,
    links: { self: `/v1/products/${encodeURIComponent(row.sku)}/reorder-settings`, event },
  };
}

const notFound = (what: string, key: string) =>
  new Problem(404, 'not-found', `${what} not found`, `No ${what.toLowerCase()} ${key}.`);

/**
 * Validates the body as the data of `type` (with the key from the path), stores the upsert event
 * and returns its id. Field paths in errors are the body's own (`paymentTerms.netDays`).
 */
export async function upsertThroughEvent(
  deps: AppDeps,
  req: Request,
  type: EventType,
  key: { field: string; value: string },
): Promise<void> {
  requireContentType(req, ['application/json']);
  if (typeof req.body !== 'object' || req.body === null || Array.isArray(req.body)) {
    throw validationProblem([{ path: '(body)', message: 'expected a JSON object' }]);
  }
  const body = req.body as Record<string, unknown>;
  if (body[key.field] !== undefined && body[key.field] !== key.value) {
    throw validationProblem([
      { path: key.field, message: `must match the path (${key.value}) or be left out` },
    ]);
  }
  await ingestRestEvent(deps, {
    type,
    subject: key.value,
    data: { ...body, [key.field]: key.value },
    correlationId: req.get(CORRELATION_HEADER),
  });
}

/** 201 when this request created the record, else 200; the record as stored. */
export function saved(row: Version, body: unknown, location: string): CommandResponse {
  const created = row.createdAt.getTime() === row.updatedAt.getTime();
  return { status: created ? 201 : 200, body, headers: { Location: location } };
}

/** One master data resource: its path key, the upsert event a PUT becomes, and how to read it. */
interface Resource<Row extends Version> {
  path: string;
  param: string;
  keySchema: typeof idSchema;
  /** What a 404 calls it. */
  noun: string;
  type: EventType;
  load(key: string): Promise<Row | undefined>;
  view(row: Row): Promise<{ links: { self: string } }>;
}

/** PUT (create or replace, through the upsert event) and GET of one resource. */
function addResource<Row extends Version>(router: Router, deps: AppDeps, r: Resource<Row>): void {
  router.put(
    r.path,
    command(deps, `PUT ${r.path}`, async (req) => {
      const key = pathParam(req, r.param, r.keySchema);
      await upsertThroughEvent(deps, req, r.type, { field: r.param, value: key });
      const row = (await r.load(key)) as Row;
      const view = await r.view(row);
      return saved(row, view, view.links.self);
    }),
  );
  router.get(r.path, async (req, res) => {
    const key = pathParam(req, r.param, r.keySchema);
    const row = await r.load(key);
    if (!row) throw notFound(r.noun, key);
    res.json(await r.view(row));
  });
}

export function masterDataRouter(deps: AppDeps): Router {
  const router = Router();
  const { db } = deps;
  const loadRule = async (sku: string) =>
    (await db.select().from(reorderSettings).where(eq(reorderSettings.sku, sku)))[0];

  /** Customers (customer.upserted). */
  addResource<CustomerRow>(router, deps, {
    path: '/v1/customers/:customerId',
    param: 'customerId',
    keySchema: idSchema,
    noun: 'Customer',
    type: 'customer.upserted',
    load: async (id) => (await db.select().from(customers).where(eq(customers.customerId, id)))[0],
    view: async (row) => customerView(row),
  });
  /** Suppliers (supplier.upserted). */
  addResource<SupplierRow>(router, deps, {
    path: '/v1/suppliers/:supplierId',
    param: 'supplierId',
    keySchema: idSchema,
    noun: 'Supplier',
    type: 'supplier.upserted',
    load: async (id) => (await db.select().from(suppliers).where(eq(suppliers.supplierId, id)))[0],
    view: async (row) => supplierView(row),
  });
  /** Products with their reorder rule (product.upserted). */
  addResource<ProductRow>(router, deps, {
    path: '/v1/products/:sku',
    param: 'sku',
    keySchema: skuSchema,
    noun: 'Product',
    type: 'product.upserted',
    load: async (sku) => (await db.select().from(products).where(eq(products.sku, sku)))[0],
    view: async (row) => productView(row, await loadRule(row.sku)),
  });
  /** A SKU's reorder rule (inventory.reorder_settings_changed). */
  addResource<ReorderSettingsRow>(router, deps, {
    path: '/v1/products/:sku/reorder-settings',
    param: 'sku',
    keySchema: skuSchema,
    noun: 'Reorder rule',
    type: 'inventory.reorder_settings_changed',
    load: loadRule,
    view: async (row) => reorderSettingsView(row),
  });

  return router;
}
