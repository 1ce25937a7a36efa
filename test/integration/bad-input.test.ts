/**
 * Malformed requests across the API, one table: each is answered with its exact 4xx as
 * application/problem+json (a title, a detail and, for validation, the exact failing field paths),
 * and the database is byte-for-byte what it was (every table and every sequence, see
 * test/support/fingerprint.ts). Text that looks like SQL or markup in fields that take free text
 * is stored as text; in fields that do not, it is a 400.
 */
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { randomUUID } from 'node:crypto';
import { eq } from 'drizzle-orm';
import { crmTickets } from '../../db/schema';
import { answerClientError, MAX_JSON_DEPTH } from '../../api/input-guard';
import { ingestKafkaMessage } from '../../api/kafka';
import { createApiMetrics } from '../../api/metrics';
import {
  eventually,
  silentLogger,
  startHarness,
  stockAdjusted,
  uniqueKey,
  type Harness,
} from '../support/harness';
import { dbFingerprint, fingerprintDiff, settledFingerprint } from '../support/fingerprint';
import { waitForStatus } from '../support/orders';

let h: Harness;
let server: Server;
let base: string;

// the fixtures every case may point at; created once, before the table runs
const customerId = uniqueKey('C-bad');
const supplierId = uniqueKey('SUP-bad');
const sku = uniqueKey('SKU-bad');
const orderId = uniqueKey('O-bad');
const ticketId = uniqueKey('T-bad');
const unknownUuid = '00000000-0000-4000-8000-000000000000';

interface Answer {
  status: number;
  contentType: string;
  text: string;
  body: unknown;
}

/** Sends exactly these bytes (no client-side JSON encoding or Content-Type unless given). */
async function send(
  method: string,
  path: string,
  opts: { body?: string | Uint8Array; headers?: Record<string, string> } = {},
): Promise<Answer> {
  const res = await fetch(`${base}${path}`, { method, headers: opts.headers, body: opts.body });
  const text = await res.text();
  let body: unknown;
  try {
    body = JSON.parse(text);
  } catch {
    body = undefined;
  }
  return { status: res.status, contentType: res.headers.get('content-type') ?? '', text, body };
}

const json = (value: unknown) => ({
  body: new TextEncoder().encode(JSON.stringify(value)),
  headers: { 'Content-Type': 'application/json' },
});
const raw = (body: string | Uint8Array, contentType?: string) => ({
  body: typeof body === 'string' ? new TextEncoder().encode(body) : body,
  headers: (contentType ? { 'Content-Type': contentType } : {}) as Record<string, string>,
});

const event = (data: Record<string, unknown>, envelope: Record<string, unknown> = {}) =>
  stockAdjusted({ sku: 'SKU-1', delta: 1, ...data }, { id: `evt-${randomUUID()}`, ...envelope });

const customer = (fields: Record<string, unknown> = {}) => ({
  name: 'Acme GmbH',
  creditLimit: 100,
  currency: 'EUR',
  paymentTerms: { netDays: 30 },
  consent: true,
  ...fields,
});

const order = (fields: Record<string, unknown> = {}) => ({
  orderId: uniqueKey('O-never'),
  customerId,
  currency: 'EUR',
  paymentTerms: { netDays: 30 },
  lines: [{ sku, quantity: 1, unitPrice: 1000 }],
  ...fields,
});

const line = (fields: Record<string, unknown>) => ({ sku, quantity: 1, unitPrice: 1000, ...fields });

const product = (fields: Record<string, unknown> = {}) => ({
  name: 'Wine glass',
  unitPrice: 1250,
  currency: 'EUR',
  ...fields,
});

const rule = (fields: Record<string, unknown> = {}) => ({
  reorderPoint: 10,
  orderUpTo: 50,
  packMultiple: 1,
  minOrderQuantity: 1,
  leadTimeDays: 5,
  supplierId,
  ...fields,
});

/** `{"a":{"a":...}}` `levels` deep, as text. */
const nestedObject = (levels: number) => '{"a":'.repeat(levels) + '1' + '}'.repeat(levels);
/** The path the input guard names in a value nested over its limit under `prefix`. */
const deepPath = (prefix: string, step: string) => prefix + step.repeat(MAX_JSON_DEPTH - (prefix ? 1 : 0));

const SQL = "x'; DROP TABLE sales_orders; --";
const SCRIPT = '<script>alert(1)</script>';
const BIG = 'x'.repeat(70 * 1024);

interface Case {
  name: string;
  method: 'GET' | 'POST' | 'PUT' | 'DELETE' | 'PATCH';
  path: string;
  body?: string | Uint8Array;
  headers?: Record<string, string>;
  status: number;
  /** The exact `errors[].path` list (sorted); required for a 400 validation problem. */
  paths?: string[];
  /** The problem's title. */
  title: string;
}

const V = 'Validation failed';
const MEDIA = 'Unsupported media type';
const ev = (name: string, req: Omit<Case, 'name' | 'method' | 'path'>): Case => ({
  name: `POST /v1/events: ${name}`,
  method: 'POST',
  path: '/v1/events',
  ...req,
});

// one case a line where it fits, so the table reads as a table
// prettier-ignore
const cases: Case[] = [
  // ---- POST /v1/events ----------------------------------------------------------------------------
  ev('specversion of the wrong type', { ...json(event({}, { specversion: 1 })), status: 400, title: V, paths: ['specversion'] }),
  ev('missing id and source', {
    ...json({ specversion: '1.0', type: 'inventory.stock_adjusted', data: {} }),
    status: 400,
    title: V,
    paths: ['id', 'source'],
  }),
  ev('an extension attribute that is not lower-case', { ...json(event({}, { Colour: 'red' })), status: 400, title: V, paths: ['Colour'] }),
  ev('an extension attribute holding an object', { ...json(event({}, { traceinfo: { a: 1 } })), status: 400, title: V, paths: ['traceinfo'] }),
  ev('an unknown data field', { ...json(event({ colour: 'red' })), status: 400, title: V, paths: ['data.colour'] }),
  ev('a 201-character id', { ...json(event({}, { id: 'e'.repeat(201) })), status: 400, title: V, paths: ['id'] }),
  ev('a 201-character reason', { ...json(event({ reason: 'r'.repeat(201) })), status: 400, title: V, paths: ['data.reason'] }),
  ev('a fractional delta', { ...json(event({ delta: 1.5 })), status: 400, title: V, paths: ['data.delta'] }),
  ev('a negative absolute quantity', { ...json(event({ delta: undefined, quantity: -1 })), status: 400, title: V, paths: ['data.quantity'] }),
  ev('a quantity beyond the integer columns', {
    ...json(event({ delta: undefined, quantity: 3_000_000_000 })),
    status: 400,
    title: V,
    paths: ['data.quantity'],
  }),
  ev('a quantity as a string', { ...json(event({ delta: '1' })), status: 400, title: V, paths: ['data.delta'] }),
  ev('an unknown type', { ...json(event({}, { type: 'inventory.exploded' })), status: 422, title: 'Unknown event type or version', paths: ['type'] }),
  ev('a script as the type', { ...json(event({}, { type: SCRIPT })), status: 422, title: 'Unknown event type or version', paths: ['type'] }),
  ev('an unknown version', {
    ...json(event({}, { dataschema: 'https://schemas.example/inventory.stock_adjusted/v9' })),
    status: 422,
    title: 'Unknown event type or version',
    paths: ['dataschema'],
  }),
  ev('a time without a date', { ...json(event({}, { time: 'yesterday' })), status: 400, title: V, paths: ['time'] }),
  ev('SQL in a SKU', { ...json(event({ sku: SQL })), status: 400, title: V, paths: ['data.sku'] }),
  ev('a NUL character in free text', { ...json(event({ reason: 'count\u0000ed' })), status: 400, title: V, paths: ['data.reason'] }),
  ev('an unpaired surrogate', {
    ...raw(JSON.stringify(event({})).replace('"test/warehouse"', '"test/\\ud800warehouse"'), 'application/json'),
    status: 400,
    title: V,
    paths: ['source'],
  }),
  ev('invalid UTF-8 bytes', {
    ...raw(
      Buffer.concat([Buffer.from('{"specversion":"1.0","id":"e-'), Buffer.from([0xc3, 0x28, 0xff]), Buffer.from('","source":"s","type":"customer.behaviour","data":{}}')]),
      'application/json',
    ),
    status: 400,
    title: V,
    paths: ['(body)'],
  }),
  ev('data nested deeper than any schema', {
    ...raw(`{"specversion":"1.0","id":"e-deep","source":"s","type":"inventory.stock_adjusted","data":${nestedObject(40)}}`, 'application/json'),
    status: 400,
    title: V,
    paths: [deepPath('data', '.a')],
  }),
  ev('an array nested 20,000 deep', {
    ...raw('['.repeat(20_000) + ']'.repeat(20_000), 'application/json'),
    status: 400,
    title: V,
    paths: [deepPath('', '[0]')],
  }),
  ev('not JSON', { ...raw('{"specversion":', 'application/json'), status: 400, title: V, paths: ['(body)'] }),
  ev('a JSON string, not an object', { ...raw('"hello"', 'application/json'), status: 400, title: V, paths: ['(root)'] }),
  ev('text/plain', { ...raw(JSON.stringify(event({})), 'text/plain'), status: 415, title: MEDIA }),
  ev('no Content-Type', { ...raw(JSON.stringify(event({}))), status: 415, title: MEDIA }),
  ev('an unsupported charset', { ...raw(JSON.stringify(event({})), 'application/json; charset=latin1'), status: 415, title: MEDIA }),
  ev('a body claiming gzip that is not', {
    ...raw(JSON.stringify(event({})), 'application/json'),
    headers: { 'Content-Type': 'application/json', 'Content-Encoding': 'gzip' },
    status: 400,
    title: 'Bad request',
  }),
  ev('a body over the limit', { ...json(event({ reason: BIG })), status: 413, title: 'Body too large' }),
  ev('an Idempotency-Key with spaces', {
    body: json(event({})).body,
    headers: { 'Content-Type': 'application/json', 'Idempotency-Key': 'not a key' },
    status: 400,
    title: V,
    paths: ['header:Idempotency-Key'],
  }),

  // ---- POST /v1/events/batch ----------------------------------------------------------------------
  { name: 'batch: an object, not an array', method: 'POST', path: '/v1/events/batch', ...json(event({})), status: 400, title: V, paths: ['(body)'] },
  { name: 'batch: an empty array', method: 'POST', path: '/v1/events/batch', ...json([]), status: 400, title: V, paths: ['(body)'] },
  {
    name: 'batch: 501 events',
    method: 'POST',
    path: '/v1/events/batch',
    ...json(Array.from({ length: 501 }, () => ({}))),
    status: 400,
    title: V,
    paths: ['(body)'],
  },
  { name: 'batch: text/plain', method: 'POST', path: '/v1/events/batch', ...raw('[]', 'text/plain'), status: 415, title: MEDIA },
  {
    name: 'batch: an event with a NUL in its subject',
    method: 'POST',
    path: '/v1/events/batch',
    ...json([event({}), event({}, { subject: 'a\u0000b' })]),
    status: 400,
    title: V,
    paths: ['[1].subject'],
  },

  // ---- POST /v1/orders ----------------------------------------------------------------------------
  {
    name: 'order: missing currency and lines',
    method: 'POST',
    path: '/v1/orders',
    ...json({ orderId: 'O-x', customerId, paymentTerms: { netDays: 30 } }),
    status: 400,
    title: V,
    paths: ['currency', 'lines'],
  },
  { name: 'order: an unknown currency', method: 'POST', path: '/v1/orders', ...json(order({ currency: 'XYZ' })), status: 400, title: V, paths: ['currency'] },
  { name: 'order: a lower-case currency', method: 'POST', path: '/v1/orders', ...json(order({ currency: 'eur' })), status: 400, title: V, paths: ['currency'] },
  {
    name: 'order: a negative quantity',
    method: 'POST',
    path: '/v1/orders',
    ...json(order({ lines: [line({ quantity: -2 })] })),
    status: 400,
    title: V,
    paths: ['lines[0].quantity'],
  },
  {
    name: 'order: a fractional quantity in the second line',
    method: 'POST',
    path: '/v1/orders',
    ...json(order({ lines: [line({}), line({ quantity: 0.5 })] })),
    status: 400,
    title: V,
    paths: ['lines[1].quantity'],
  },
  {
    name: 'order: negative and fractional prices',
    method: 'POST',
    path: '/v1/orders',
    ...json(order({ lines: [line({ unitPrice: -100 }), line({ unitPrice: 12.5 })] })),
    status: 400,
    title: V,
    paths: ['lines[0].unitPrice', 'lines[1].unitPrice'],
  },
  {
    name: 'order: a total past the largest safe integer',
    method: 'POST',
    path: '/v1/orders',
    ...json(order({ lines: [line({ quantity: 2_000_000_000, unitPrice: 9_000_000_000_000_000 })] })),
    status: 400,
    title: V,
    paths: ['lines'],
  },
  { name: 'order: no lines', method: 'POST', path: '/v1/orders', ...json(order({ lines: [] })), status: 400, title: V, paths: ['lines'] },
  { name: 'order: an extra field', method: 'POST', path: '/v1/orders', ...json(order({ discount: 10 })), status: 400, title: V, paths: ['discount'] },
  { name: 'order: SQL as the order id', method: 'POST', path: '/v1/orders', ...json(order({ orderId: SQL })), status: 400, title: V, paths: ['orderId'] },
  {
    name: 'order: a country name instead of a code',
    method: 'POST',
    path: '/v1/orders',
    ...json(order({ shippingAddress: { name: 'A', line1: 'B', city: 'C', postalCode: '1', country: 'Germany' } })),
    status: 400,
    title: V,
    paths: ['shippingAddress.country'],
  },
  {
    name: 'order: an unknown customer',
    method: 'POST',
    path: '/v1/orders',
    ...json(order({ customerId: 'C-nobody' })),
    status: 422,
    title: 'Unknown customer',
    paths: ['customerId'],
  },
  { name: 'order: a form body', method: 'POST', path: '/v1/orders', ...raw('orderId=O-1', 'application/x-www-form-urlencoded'), status: 415, title: MEDIA },

  // ---- order commands -------------------------------------------------------------------------------
  {
    name: 'approve: approvedBy of the wrong type',
    method: 'POST',
    path: `/v1/orders/${orderId}/approve`,
    ...json({ approvedBy: 123 }),
    status: 400,
    title: V,
    paths: ['approvedBy'],
  },
  { name: 'approve: an extra field', method: 'POST', path: `/v1/orders/${orderId}/approve`, ...json({ force: true }), status: 400, title: V, paths: ['force'] },
  { name: 'approve: an unknown order', method: 'POST', path: '/v1/orders/O-nobody/approve', ...json({}), status: 404, title: 'Order not found' },
  { name: 'cancel: no reason', method: 'POST', path: `/v1/orders/${orderId}/cancel`, ...json({}), status: 400, title: V, paths: ['reason'] },
  {
    name: 'cancel: a 501-character reason',
    method: 'POST',
    path: `/v1/orders/${orderId}/cancel`,
    ...json({ reason: 'r'.repeat(501) }),
    status: 400,
    title: V,
    paths: ['reason'],
  },
  {
    name: 'cancel: a JSON body sent as text/plain',
    method: 'POST',
    path: `/v1/orders/${orderId}/cancel`,
    ...raw('{"reason":"changed my mind"}', 'text/plain'),
    status: 415,
    title: MEDIA,
  },
  { name: 'cancel: an order id with a space', method: 'POST', path: '/v1/orders/O%201/cancel', ...json({ reason: 'x' }), status: 400, title: V, paths: ['orderId'] },
  {
    name: 'shipment-confirmation: no shipment id, a bad time',
    method: 'POST',
    path: `/v1/orders/${orderId}/shipment-confirmation`,
    ...json({ shippedAt: '28.11.2026 15:30' }),
    status: 400,
    title: V,
    paths: ['shipmentId', 'shippedAt'],
  },
  { name: 'GET an order: undecodable percent-encoding', method: 'GET', path: '/v1/orders/%ff', status: 400, title: V, paths: ['(path)'] },
  { name: 'GET an order: unknown', method: 'GET', path: '/v1/orders/O-nobody', status: 404, title: 'Order not found' },
  { name: 'GET an order: a NUL in the path', method: 'GET', path: '/v1/orders/O%00', status: 400, title: V, paths: ['(path)'] },

  // ---- master data ---------------------------------------------------------------------------------
  {
    name: 'customer: negative money',
    method: 'PUT',
    path: `/v1/customers/${customerId}`,
    ...json(customer({ creditLimit: -1 })),
    status: 400,
    title: V,
    paths: ['creditLimit'],
  },
  { name: 'customer: fractional money', method: 'PUT', path: `/v1/customers/${customerId}`, ...json(customer({ creditLimit: 10.5 })), status: 400, title: V, paths: ['creditLimit'] },
  { name: 'customer: XXX is no currency', method: 'PUT', path: `/v1/customers/${customerId}`, ...json(customer({ currency: 'XXX' })), status: 400, title: V, paths: ['currency'] },
  { name: 'customer: a 201-character name', method: 'PUT', path: `/v1/customers/${customerId}`, ...json(customer({ name: 'n'.repeat(201) })), status: 400, title: V, paths: ['name'] },
  {
    name: 'customer: 400 days net and consent "yes"',
    method: 'PUT',
    path: `/v1/customers/${customerId}`,
    ...json(customer({ paymentTerms: { netDays: 400 }, consent: 'yes' })),
    status: 400,
    title: V,
    paths: ['consent', 'paymentTerms.netDays'],
  },
  { name: 'customer: a bad e-mail', method: 'PUT', path: `/v1/customers/${customerId}`, ...json(customer({ email: 'not-an-email' })), status: 400, title: V, paths: ['email'] },
  {
    name: 'customer: a body id that differs from the path',
    method: 'PUT',
    path: `/v1/customers/${customerId}`,
    ...json(customer({ customerId: 'C-other' })),
    status: 400,
    title: V,
    paths: ['customerId'],
  },
  {
    name: 'customer: a __proto__ field',
    method: 'PUT',
    path: `/v1/customers/${customerId}`,
    ...raw(JSON.stringify(customer()).replace('{', '{"__proto__":{"creditLimit":0},'), 'application/json'),
    status: 400,
    title: V,
    paths: ['__proto__'],
  },
  { name: 'customer: an array body', method: 'PUT', path: `/v1/customers/${customerId}`, ...json([customer()]), status: 400, title: V, paths: ['(body)'] },
  {
    name: 'customer: an unknown time zone',
    method: 'PUT',
    path: `/v1/customers/${customerId}`,
    ...json(customer({ quietHours: { start: '20:00', end: '08:00', timeZone: 'Mars/Olympus' } })),
    status: 400,
    title: V,
    paths: ['quietHours.timeZone'],
  },
  { name: 'customer: a NUL in the name', method: 'PUT', path: `/v1/customers/${customerId}`, ...json(customer({ name: 'Acme\u0000' })), status: 400, title: V, paths: ['name'] },
  { name: 'customer: SQL as the id', method: 'PUT', path: `/v1/customers/${encodeURIComponent(SQL)}`, ...json(customer()), status: 400, title: V, paths: ['customerId'] },
  { name: 'customer: unknown', method: 'GET', path: '/v1/customers/C-nobody', status: 404, title: 'Customer not found' },
  {
    name: 'supplier: a zero minimum and negative lead time',
    method: 'PUT',
    path: `/v1/suppliers/${supplierId}`,
    ...json({ name: 'Glaswerk', minOrderQuantity: 0, leadTimeDays: -1 }),
    status: 400,
    title: V,
    paths: ['leadTimeDays', 'minOrderQuantity'],
  },
  {
    name: 'supplier: a minimum beyond the integer column',
    method: 'PUT',
    path: `/v1/suppliers/${supplierId}`,
    ...json({ name: 'Glaswerk', minOrderQuantity: 3_000_000_000 }),
    status: 400,
    title: V,
    paths: ['minOrderQuantity'],
  },
  {
    name: 'product: a price as a string, a lower-case currency',
    method: 'PUT',
    path: `/v1/products/${sku}`,
    ...json(product({ unitPrice: '12.50', currency: 'eur' })),
    status: 400,
    title: V,
    paths: ['currency', 'unitPrice'],
  },
  { name: 'product: markup in the SKU', method: 'PUT', path: `/v1/products/${encodeURIComponent(SCRIPT)}`, ...json(product()), status: 400, title: V, paths: ['sku'] },
  {
    name: 'product: order-up-to not above the reorder point',
    method: 'PUT',
    path: `/v1/products/${sku}`,
    ...json(product({ reorderSettings: rule({ reorderPoint: 50, orderUpTo: 50 }) })),
    status: 400,
    title: V,
    paths: ['reorderSettings.orderUpTo'],
  },
  {
    name: 'reorder settings: zero pack, no supplier',
    method: 'PUT',
    path: `/v1/products/${sku}/reorder-settings`,
    ...json(rule({ packMultiple: 0, supplierId: undefined })),
    status: 400,
    title: V,
    paths: ['packMultiple', 'supplierId'],
  },
  {
    name: 'reorder settings (inventory): a negative reorder point',
    method: 'PUT',
    path: `/v1/inventory/${sku}/reorder-settings`,
    ...json(rule({ reorderPoint: -5 })),
    status: 400,
    title: V,
    paths: ['reorderPoint'],
  },
  { name: 'inventory: an unknown SKU', method: 'GET', path: '/v1/inventory/SKU-nobody', status: 404, title: 'SKU not found' },
  { name: 'inventory: a SKU with a space', method: 'GET', path: '/v1/inventory/SKU%201', status: 400, title: V, paths: ['sku'] },

  // ---- purchase orders -----------------------------------------------------------------------------
  {
    name: 'purchase order confirm: a date not in ISO form',
    method: 'POST',
    path: '/v1/purchase-orders/PO-nobody/confirm',
    ...json({ expectedDate: '27/11/2026' }),
    status: 400,
    title: V,
    paths: ['expectedDate'],
  },
  { name: 'purchase order confirm: unknown', method: 'POST', path: '/v1/purchase-orders/PO-nobody/confirm', ...json({}), status: 404, title: 'Purchase order not found' },
  {
    name: 'receipt: both quantity and lines',
    method: 'POST',
    path: '/v1/purchase-orders/PO-nobody/receipts',
    ...json({ quantity: 1, lines: [{ sku, quantity: 1 }] }),
    status: 400,
    title: V,
    paths: ['quantity'],
  },
  {
    name: 'receipt: a negative quantity',
    method: 'POST',
    path: '/v1/purchase-orders/PO-nobody/receipts',
    ...json({ quantity: -3 }),
    status: 400,
    title: V,
    paths: ['quantity'],
  },
  {
    name: 'receipt: SQL as a line SKU, a fractional quantity',
    method: 'POST',
    path: '/v1/purchase-orders/PO-nobody/receipts',
    ...json({ lines: [{ sku: SQL, quantity: 1.5 }] }),
    status: 400,
    title: V,
    paths: ['lines[0].quantity', 'lines[0].sku'],
  },
  { name: 'receipt: unknown purchase order', method: 'POST', path: '/v1/purchase-orders/PO-nobody/receipts', ...json({ quantity: 1 }), status: 404, title: 'Purchase order not found' },
  { name: 'purchase order: unknown', method: 'GET', path: '/v1/purchase-orders/PO-nobody', status: 404, title: 'Purchase order not found' },

  // ---- tickets and tasks ---------------------------------------------------------------------------
  { name: 'ticket response: no agent', method: 'POST', path: `/v1/tickets/${ticketId}/responses`, ...json({ message: 'hi' }), status: 400, title: V, paths: ['agentId'] },
  {
    name: 'ticket response: a 10,001-character message',
    method: 'POST',
    path: `/v1/tickets/${ticketId}/responses`,
    ...json({ agentId: 'agent-1', message: 'm'.repeat(10_001) }),
    status: 400,
    title: V,
    paths: ['message'],
  },
  { name: 'ticket response: text/plain', method: 'POST', path: `/v1/tickets/${ticketId}/responses`, ...raw('{"agentId":"a"}', 'text/plain'), status: 415, title: MEDIA },
  { name: 'ticket resolve: unknown ticket', method: 'POST', path: '/v1/tickets/T-nobody/resolve', ...json({ resolvedBy: 'agent-1' }), status: 404, title: 'Ticket not found' },
  { name: 'survey: a score of 6', method: 'POST', path: `/v1/tickets/${ticketId}/survey-response`, ...json({ score: 6 }), status: 400, title: V, paths: ['score'] },
  { name: 'survey: a score of 4.5', method: 'POST', path: `/v1/tickets/${ticketId}/survey-response`, ...json({ score: 4.5 }), status: 400, title: V, paths: ['score'] },
  { name: 'ticket: unknown', method: 'GET', path: '/v1/tickets/T-nobody', status: 404, title: 'Ticket not found' },
  { name: 'task complete: not a task id', method: 'POST', path: '/v1/tasks/abc/complete', ...json({}), status: 400, title: V, paths: ['taskId'] },
  { name: 'task complete: unknown', method: 'POST', path: '/v1/tasks/999999999/complete', ...json({}), status: 404, title: 'Task not found' },
  {
    name: 'tasks: an unknown status, limit 0, a bad cursor, an extra parameter',
    method: 'GET',
    path: '/v1/tasks?status=bogus&limit=0&cursor=abc&colour=red',
    status: 400,
    title: V,
    paths: ['colour', 'cursor', 'limit', 'status'],
  },
  {
    name: 'tasks: SQL as a customer id',
    method: 'GET',
    path: `/v1/tasks?customerId=${encodeURIComponent("' OR 1=1 --")}`,
    status: 400,
    title: V,
    paths: ['customerId'],
  },

  // ---- webhook subscriptions -----------------------------------------------------------------------
  {
    name: 'subscription: an ftp URL and an unknown event type',
    method: 'POST',
    path: '/v1/subscriptions',
    ...json({ url: 'ftp://example.com/hook', eventTypes: ['order.exploded'] }),
    status: 400,
    title: V,
    paths: ['eventTypes[0]'],
  },
  { name: 'subscription: not an http URL', method: 'POST', path: '/v1/subscriptions', ...json({ url: 'ftp://example.com/hook' }), status: 400, title: V, paths: ['url'] },
  { name: 'subscription: text/plain', method: 'POST', path: '/v1/subscriptions', ...raw('{"url":"https://example.com"}', 'text/plain'), status: 415, title: MEDIA },
  { name: 'subscription: not a uuid', method: 'GET', path: '/v1/subscriptions/not-a-uuid', status: 404, title: 'Subscription not found' },
  { name: 'subscription: unknown, deleted', method: 'DELETE', path: `/v1/subscriptions/${unknownUuid}`, status: 404, title: 'Subscription not found' },
  {
    name: 'subscription deliveries: unknown subscription',
    method: 'GET',
    path: `/v1/subscriptions/${unknownUuid}/deliveries?limit=0`,
    status: 404,
    title: 'Subscription not found',
  },

  // ---- replay ----------------------------------------------------------------------------------------
  { name: 'replay: no range or types', method: 'POST', path: '/v1/events/replay', ...json({ dryRun: true }), status: 400, title: V, paths: ['from'] },
  {
    name: 'replay: an unknown type, limit 0, dryRun "yes"',
    method: 'POST',
    path: '/v1/events/replay',
    ...json({ types: ['order.exploded'], limit: 0, dryRun: 'yes' }),
    status: 400,
    title: V,
    paths: ['dryRun', 'limit', 'types[0]'],
  },
  {
    name: 'replay: a forged cursor',
    method: 'POST',
    path: '/v1/events/replay',
    ...json({ types: ['order.placed'], cursor: 'garbage', dryRun: true }),
    status: 400,
    title: V,
    paths: ['cursor'],
  },
  {
    name: 'replay: types nested deep, with an Idempotency-Key',
    method: 'POST',
    path: '/v1/events/replay',
    body: new TextEncoder().encode(`{"types":${'['.repeat(5000)}${']'.repeat(5000)}}`),
    headers: { 'Content-Type': 'application/json', 'Idempotency-Key': `k-${randomUUID()}` },
    status: 400,
    title: V,
    paths: [deepPath('types', '[0]')],
  },

  // ---- GET with bad query parameters ----------------------------------------------------------------
  { name: 'events: limit 0', method: 'GET', path: '/v1/events?limit=0', status: 400, title: V, paths: ['limit'] },
  { name: 'events: limit 1.5', method: 'GET', path: '/v1/events?limit=1.5', status: 400, title: V, paths: ['limit'] },
  { name: 'events: limit 501', method: 'GET', path: '/v1/events?limit=501', status: 400, title: V, paths: ['limit'] },
  { name: 'events: limit "ten"', method: 'GET', path: '/v1/events?limit=ten', status: 400, title: V, paths: ['limit'] },
  { name: 'events: a forged cursor', method: 'GET', path: '/v1/events?cursor=bm9wZQ', status: 400, title: V, paths: ['cursor'] },
  { name: 'events: month 13', method: 'GET', path: '/v1/events?from=2026-13-45T00:00:00Z', status: 400, title: V, paths: ['from'] },
  { name: 'events: a date without an offset', method: 'GET', path: '/v1/events?to=2026-11-27T10:00:00', status: 400, title: V, paths: ['to'] },
  { name: 'events: a NUL in a filter', method: 'GET', path: '/v1/events?subject=a%00b', status: 400, title: V, paths: ['subject'] },
  { name: 'event: no source', method: 'GET', path: '/v1/events/evt-1', status: 400, title: V, paths: ['source'] },
  { name: 'event: unknown', method: 'GET', path: '/v1/events/evt-nobody?source=test', status: 404, title: 'Event not found' },
  { name: 'event: a NUL in the source', method: 'GET', path: '/v1/events/evt-1?source=a%00', status: 400, title: V, paths: ['source'] },
  {
    name: 'timeline: a forged cursor',
    method: 'GET',
    path: `/v1/customers/${customerId}/timeline?cursor=WyJ4Il0`,
    status: 400,
    title: V,
    paths: ['cursor'],
  },
  { name: 'timeline: unknown customer', method: 'GET', path: '/v1/customers/C-nobody/timeline', status: 404, title: 'Customer not found' },
  {
    name: 'ledger entries: a two-digit account, a lower-case currency',
    method: 'GET',
    path: '/v1/ledger/entries?account=12&currency=eur',
    status: 400,
    title: V,
    paths: ['account', 'currency'],
  },
  { name: 'ledger entries: a cursor that is not a number', method: 'GET', path: '/v1/ledger/entries?cursor=abc', status: 400, title: V, paths: ['cursor'] },
  { name: 'trial balance: an unknown currency', method: 'GET', path: '/v1/ledger/trial-balance?currency=XYZ', status: 400, title: V, paths: ['currency'] },
  { name: 'an unknown route', method: 'GET', path: '/v1/nothing-here', status: 404, title: 'Not found' },
  { name: 'a method no route takes', method: 'PATCH', path: `/v1/orders/${orderId}`, ...json({ status: 'paid' }), status: 404, title: 'Not found' },
  {
    name: 'headers over the server limit',
    method: 'GET',
    path: '/v1/events',
    headers: { 'X-Padding': 'p'.repeat(20 * 1024) },
    status: 431,
    title: 'Request header fields too large',
  },
  { name: 'events: limit given twice', method: 'GET', path: '/v1/events?limit=1&limit=2', status: 400, title: V, paths: ['limit'] },
];

beforeAll(async () => {
  h = await startHarness({ settings: { integration: { webhookAllowPrivateTargets: true } } });
  // as api/server.ts serves it: the app, and problem+json for what Node refuses before it
  server = createServer(h.app).on('clientError', answerClientError).listen(0, '127.0.0.1');
  await new Promise((r) => server.once('listening', r));
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;

  // the fixtures: a customer with a small credit limit, a supplier, a product, an order held for
  // credit review (it waits there for days) and an open ticket
  const put = async (path: string, body: unknown) => {
    const res = await send('PUT', path, json(body));
    expect(res.status).toBe(201);
  };
  await put(`/v1/customers/${customerId}`, customer());
  await put(`/v1/suppliers/${supplierId}`, { name: 'Glaswerk' });
  await put(`/v1/products/${sku}`, product());
  const placed = await send('POST', '/v1/orders', json(order({ orderId })));
  expect(placed.status).toBe(202);
  await waitForStatus(h, orderId, 'on_credit_hold');
  const ticket = await send(
    'POST',
    '/v1/events',
    json({
      specversion: '1.0',
      id: `evt-${randomUUID()}`,
      source: 'test/helpdesk',
      type: 'support.requested',
      data: { ticketId, customerId, channel: 'email', subject: 'Broken glass', priority: 'low' },
    }),
  );
  expect(ticket.status).toBe(202);
  await eventually(async () => {
    const [row] = await h.database.db.select().from(crmTickets).where(eq(crmTickets.ticketId, ticketId));
    return row;
  });
  await settledFingerprint(h.database.pool);
}, 90_000);

afterAll(async () => {
  await new Promise((r) => server?.close(r));
  await h?.close();
});

describe('malformed requests: exact 4xx problem+json, database unchanged', () => {
  it('has at least 60 cases', () => {
    expect(cases.length).toBeGreaterThanOrEqual(60);
    expect(new Set(cases.map((c) => c.name)).size).toBe(cases.length);
  });

  it.each(cases.map((c) => [c.name, c] as const))('%s', async (_name, c) => {
    const before = await dbFingerprint(h.database.pool);
    const res = await send(c.method, c.path, { body: c.body, headers: c.headers });

    expect({ status: res.status, text: res.text.slice(0, 300) }).toMatchObject({ status: c.status });
    expect(res.contentType).toMatch(/^application\/problem\+json/);
    const problem = res.body as {
      type: string;
      title: string;
      status: number;
      detail?: string;
      errors?: { path: string; message: string }[];
    };
    expect(problem).toMatchObject({ type: expect.stringMatching(/^\/problems\/[a-z-]+$/), status: c.status });
    expect(problem.title).toBe(c.title);
    expect(problem.detail).toEqual(expect.stringMatching(/\S/));
    if (c.paths) {
      expect(problem.errors?.map((e) => e.path).sort()).toEqual([...c.paths].sort());
      for (const e of problem.errors ?? []) expect(e.message).toEqual(expect.stringMatching(/\S/));
    } else if (c.status === 400 && problem.type === '/problems/validation-error') {
      throw new Error('a validation problem needs its expected paths in the table');
    }

    expect(fingerprintDiff(before, await dbFingerprint(h.database.pool))).toEqual([]);
  });

  it('a batch whose every event is bad is 200 with a problem per event, and writes nothing', async () => {
    const before = await dbFingerprint(h.database.pool);
    const res = await send(
      'POST',
      '/v1/events/batch',
      json([event({ sku: SQL }), event({}, { type: 'order.exploded' }), { specversion: '1.0' }]),
    );
    expect(res.status).toBe(200);
    const body = res.body as {
      accepted: number;
      rejected: number;
      results: { index: number; status: number; problem: { errors: { path: string }[] } }[];
    };
    expect(body).toMatchObject({ accepted: 0, duplicate: 0, rejected: 3 });
    expect(body.results.map((r) => [r.status, r.problem.errors.map((e) => e.path).sort()])).toEqual([
      [400, ['[0].data.sku']],
      [422, ['[1].type']],
      [400, ['[2].data', '[2].id', '[2].source', '[2].type']],
    ]);
    expect(fingerprintDiff(before, await dbFingerprint(h.database.pool))).toEqual([]);
  });
});

describe('text that looks like SQL or markup, in fields that take free text', () => {
  const NAME = "Robert'); DROP TABLE customers; --";

  it('a filter with SQL in it matches nothing and changes nothing', async () => {
    const before = await dbFingerprint(h.database.pool);
    const res = await send('GET', `/v1/events?subject=${encodeURIComponent("' OR 1=1 --")}`);
    expect(res.status).toBe(200);
    expect(res.body).toEqual({ items: [], nextCursor: null });
    expect(fingerprintDiff(before, await dbFingerprint(h.database.pool))).toEqual([]);
  });

  it('is stored and answered as the exact text, as JSON', async () => {
    const id = uniqueKey('C-sql');
    const put = await send('PUT', `/v1/customers/${id}`, json(customer({ name: NAME })));
    expect(put.status).toBe(201);
    const got = await send('GET', `/v1/customers/${id}`);
    expect(got.contentType).toMatch(/^application\/json/);
    expect((got.body as { name: string }).name).toBe(NAME);
    // the fixture customer (and its table) are still there
    expect((await send('GET', `/v1/customers/${customerId}`)).status).toBe(200);

    const productSku = uniqueKey('SKU-xss');
    const name = `<img src=x onerror=alert(1)> ${SCRIPT}`;
    expect((await send('PUT', `/v1/products/${productSku}`, json(product({ name })))).status).toBe(201);
    const stored = await send('GET', `/v1/products/${productSku}`);
    expect(stored.contentType).toMatch(/^application\/json/);
    expect((stored.body as { name: string }).name).toBe(name);
  });

  it('an agent response carrying a script is an event whose message is that text', async () => {
    const res = await send(
      'POST',
      `/v1/tickets/${ticketId}/responses`,
      json({ agentId: 'agent-1', message: `${SCRIPT} ${SQL}` }),
    );
    expect(res.status).toBe(202);
    const self = (res.body as { event: { links: { self: string } } }).event.links.self;
    const stored = await send('GET', self);
    expect(stored.contentType).toMatch(/^application\/json/);
    expect((stored.body as { data: { message: string } }).data.message).toBe(`${SCRIPT} ${SQL}`);
  });
});

describe('the same guard on the Kafka path', () => {
  it('a message with a NUL, an unpaired surrogate or non-UTF-8 bytes is invalid (dead-lettered), not retried', async () => {
    const deps = {
      db: h.database.db,
      temporal: h.temporal,
      logger: silentLogger,
      bodyLimitBytes: 65536,
      metrics: createApiMetrics(h.database.db, { defaultMetrics: false }),
      settings: h.settings,
    };
    // the ticket response above is still being handled by its workflow: wait for quiet first
    const before = await settledFingerprint(h.database.pool, { quietMs: 500 });
    const nul = await ingestKafkaMessage(deps, Buffer.from(JSON.stringify(event({ reason: 'a\u0000b' }))));
    expect(nul).toEqual({
      outcome: 'invalid',
      reason: expect.stringMatching(/data\.reason: contains a NUL/),
    });
    const surrogate = Buffer.from(JSON.stringify(event({})).replace('"test/warehouse"', '"\\udc00"'));
    expect(await ingestKafkaMessage(deps, surrogate)).toEqual({
      outcome: 'invalid',
      reason: expect.stringMatching(/source: contains an unpaired UTF-16 surrogate/),
    });
    const bytes = Buffer.concat([Buffer.from('{"id":"'), Buffer.from([0xff]), Buffer.from('"}')]);
    expect(await ingestKafkaMessage(deps, bytes)).toEqual({ outcome: 'invalid', reason: 'not valid UTF-8' });
    expect(fingerprintDiff(before, await dbFingerprint(h.database.pool))).toEqual([]);
  });
});

describe('a subscription’s deliveries with bad query parameters', () => {
  it('400 naming limit and the unknown parameter, database unchanged', async () => {
    // last: the subscription's workflow is quiet only while no outbound event is written
    const created = await send('POST', '/v1/subscriptions', json({ url: 'http://127.0.0.1:9/hook' }));
    expect(created.status).toBe(201);
    const id = (created.body as { id: string }).id;
    const before = await settledFingerprint(h.database.pool, { quietMs: 500 });
    const res = await send('GET', `/v1/subscriptions/${id}/deliveries?limit=0&colour=red`);
    expect(res.status).toBe(400);
    expect(res.contentType).toMatch(/^application\/problem\+json/);
    const problem = res.body as { title: string; errors: { path: string }[] };
    expect(problem.title).toBe('Validation failed');
    expect(problem.errors.map((e) => e.path).sort()).toEqual(['colour', 'limit']);
    expect(fingerprintDiff(before, await dbFingerprint(h.database.pool))).toEqual([]);
  });
});
