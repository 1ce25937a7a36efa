/**
 * Master data over REST: customers, products (and their reorder rule) and suppliers. A PUT becomes
 * the same upsert event a producer could send, stored and applied through the same path, so the
 * audit log and replays see REST changes too.
 */
import { randomUUID } from 'node:crypto';
import { Router, type Request } from 'express';
import { eq } from 'drizzle-orm';
import { lookupEventSchema, type EventType } from '../domain/events/catalogue';
import { idSchema, skuSchema } from '../domain/events/primitives';
import { customers, products, reorderSettings, suppliers } from '../db/schema';
import type { CustomerRow, ProductRow, ReorderSettingsRow, SupplierRow } from '../db/schema';
import { Problem, requireContentType, validationProblem, zodFieldErrors } from './problem';
import { command, type CommandResponse } from './idempotency';
import { eventSelfLink, ingestEvents } from './ingest';
import type { AppDeps } from './app';

/** The CloudEvents source of changes made through the REST endpoints. */
export const REST_EVENT_SOURCE = 'erp-api/rest';
export const CORRELATION_HEADER = 'X-Correlation-Id';

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
async function upsertThroughEvent(
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
  const lookup = lookupEventSchema(type, undefined);
  if (!lookup.ok) throw new Error(`catalogue has no v1 of ${type}`);
  const data = lookup.schema.safeParse({ ...body, [key.field]: key.value });
  if (!data.success) throw validationProblem(zodFieldErrors(data.error));
  const correlationId = req.get(CORRELATION_HEADER);
  const id = randomUUID();
  await ingestEvents(deps, [
    {
      envelope: {
        specversion: '1.0',
        id,
        source: REST_EVENT_SOURCE,
        type,
        subject: key.value,
        time: new Date().toISOString(),
        ...(correlationId ? { correlationid: correlationId.slice(0, 200) } : {}),
        data: data.data,
      },
      version: lookup.version,
      data: data.data,
    },
  ]);
}

function pathKey(req: Request, name: string, schema: typeof idSchema): string {
  const parsed = schema.safeParse(req.params[name]);
  if (!parsed.success) throw validationProblem(zodFieldErrors(parsed.error, name));
  return parsed.data;
}

/** 201 when this request created the record, else 200; the record as stored. */
function saved(row: Version, body: unknown, location: string): CommandResponse {
  const created = row.createdAt.getTime() === row.updatedAt.getTime();
  return { status: created ? 201 : 200, body, headers: { Location: location } };
}

export function masterDataRouter(deps: AppDeps): Router {
  const router = Router();
  const { db } = deps;
  const loadCustomer = async (id: string) =>
    (await db.select().from(customers).where(eq(customers.customerId, id)))[0];
  const loadSupplier = async (id: string) =>
    (await db.select().from(suppliers).where(eq(suppliers.supplierId, id)))[0];
  const loadProduct = async (sku: string) =>
    (await db.select().from(products).where(eq(products.sku, sku)))[0];
  const loadRule = async (sku: string) =>
    (await db.select().from(reorderSettings).where(eq(reorderSettings.sku, sku)))[0];

  /** Create or replace a customer (stored as a customer.upserted event). */
  router.put(
    '/v1/customers/:customerId',
    command(deps, 'PUT /v1/customers/:customerId', async (req) => {
      const customerId = pathKey(req, 'customerId', idSchema);
      await upsertThroughEvent(deps, req, 'customer.upserted', { field: 'customerId', value: customerId });
      const row = (await loadCustomer(customerId)) as CustomerRow;
      const view = customerView(row);
      return saved(row, view, view.links.self);
    }),
  );
  /** One customer. */
  router.get('/v1/customers/:customerId', async (req, res) => {
    const customerId = pathKey(req, 'customerId', idSchema);
    const row = await loadCustomer(customerId);
    if (!row) throw notFound('Customer', customerId);
    res.json(customerView(row));
  });

  /** Create or replace a supplier (stored as a supplier.upserted event). */
  router.put(
    '/v1/suppliers/:supplierId',
    command(deps, 'PUT /v1/suppliers/:supplierId', async (req) => {
      const supplierId = pathKey(req, 'supplierId', idSchema);
      await upsertThroughEvent(deps, req, 'supplier.upserted', { field: 'supplierId', value: supplierId });
      const row = (await loadSupplier(supplierId)) as SupplierRow;
      const view = supplierView(row);
      return saved(row, view, view.links.self);
    }),
  );
  /** One supplier. */
  router.get('/v1/suppliers/:supplierId', async (req, res) => {
    const supplierId = pathKey(req, 'supplierId', idSchema);
    const row = await loadSupplier(supplierId);
    if (!row) throw notFound('Supplier', supplierId);
    res.json(supplierView(row));
  });

  /** Create or replace a product, optionally with its reorder rule (a product.upserted event). */
  router.put(
    '/v1/products/:sku',
    command(deps, 'PUT /v1/products/:sku', async (req) => {
      const sku = pathKey(req, 'sku', skuSchema);
      await upsertThroughEvent(deps, req, 'product.upserted', { field: 'sku', value: sku });
      const row = (await loadProduct(sku)) as ProductRow;
      const view = productView(row, await loadRule(sku));
      return saved(row, view, view.links.self);
    }),
  );
  /** One product with its reorder rule. */
  router.get('/v1/products/:sku', async (req, res) => {
    const sku = pathKey(req, 'sku', skuSchema);
    const row = await loadProduct(sku);
    if (!row) throw notFound('Product', sku);
    res.json(productView(row, await loadRule(sku)));
  });

  /** Set a SKU's reorder rule (an inventory.reorder_settings_changed event). */
  router.put(
    '/v1/products/:sku/reorder-settings',
    command(deps, 'PUT /v1/products/:sku/reorder-settings', async (req) => {
      const sku = pathKey(req, 'sku', skuSchema);
      await upsertThroughEvent(deps, req, 'inventory.reorder_settings_changed', { field: 'sku', value: sku });
      const row = (await loadRule(sku)) as ReorderSettingsRow;
      const view = reorderSettingsView(row);
      return saved(row, view, view.links.self);
    }),
  );
  /** A SKU's reorder rule. */
  router.get('/v1/products/:sku/reorder-settings', async (req, res) => {
    const sku = pathKey(req, 'sku', skuSchema);
    const row = await loadRule(sku);
    if (!row) throw notFound('Reorder rule', sku);
    res.json(reorderSettingsView(row));
  });

  return router;
}
