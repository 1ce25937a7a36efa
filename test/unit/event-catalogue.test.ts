/** The event catalogue: every schema's example parses, bad payloads fail on the exact field. */
import type { z } from 'zod';
import {
  EVENT_DOMAINS,
  eventCatalogue,
  eventVersion,
  lookupEventSchema,
  type EventType,
} from '../../domain/events/catalogue';
import { orderPlacedV1 } from '../../domain/events/sales';
import {
  currencySchema,
  idSchema,
  ISO_4217_CURRENCIES,
  minorUnits,
  reorderSettingsSchema,
  timeZoneSchema,
} from '../../domain/events/primitives';

const types = Object.keys(eventCatalogue) as EventType[];
const schemaOf = (type: EventType): z.ZodType => eventCatalogue[type][1];
const metaOf = (type: EventType) => schemaOf(type).meta() ?? {};
const exampleOf = (type: EventType): unknown => structuredClone(metaOf(type).example);

/** Failing paths, dotted (`lines.0.quantity`); an unknown key counts as the path of that key. */
function failingPaths(schema: z.ZodType, data: unknown): string[] {
  const result = schema.safeParse(data);
  if (result.success) return [];
  return result.error.issues
    .flatMap((i) =>
      i.code === 'unrecognized_keys' ? i.keys.map((k) => [...i.path, k].join('.')) : [i.path.join('.')],
    )
    .sort();
}

const DELETE = Symbol('delete');
type Edits = Record<string, unknown>;

/** A copy of the type's example with dotted paths set (or removed with DELETE). */
function edited(type: EventType, edits: Edits): unknown {
  const data = exampleOf(type);
  for (const [path, value] of Object.entries(edits)) {
    const keys = path.split('.');
    const last = keys.pop() as string;
    let node = data as Record<string, unknown>;
    for (const key of keys) node = node[key] as Record<string, unknown>;
    if (value === DELETE) delete node[last];
    else node[last] = value;
  }
  return data;
}

const pascal = (type: string) =>
  type
    .split(/[._]/)
    .map((w) => w.charAt(0).toUpperCase() + w.slice(1))
    .join('');

describe('every catalogue type', () => {
  test.each(types)('%s v1: its example parses unchanged', (type) => {
    const example = exampleOf(type);
    expect(example).toBeDefined();
    const result = schemaOf(type).safeParse(example);
    expect(result.error?.issues).toBeUndefined();
    expect(result.data).toEqual(example);
  });

  test.each(types)('%s v1: documented with id, description and a domain', (type) => {
    const meta = metaOf(type);
    expect(meta.id).toBe(`${pascal(type)}V1`);
    expect(meta.description).toEqual(expect.any(String));
    expect(EVENT_DOMAINS[type]).toMatch(/^(sales|payments|inventory|crm|masterdata)$/);
  });

  it('EVENT_DOMAINS names exactly the catalogue types', () => {
    expect(Object.keys(EVENT_DOMAINS).sort()).toEqual([...types].sort());
  });
});

const noOffset = '2026-11-27T10:00:00';
const invalid: [EventType, string, Edits, string[]][] = [
  ['inventory.stock_adjusted', 'float delta', { delta: 1.5 }, ['delta']],
  ['inventory.stock_adjusted', 'delta and quantity', { quantity: 5 }, ['delta', 'quantity']],
  ['inventory.stock_adjusted', 'missing reason', { reason: DELETE }, ['reason']],
  ['inventory.reorder_settings_changed', 'orderUpTo = reorderPoint', { orderUpTo: 20 }, ['orderUpTo']],
  ['inventory.reorder_settings_changed', 'orderUpTo < reorderPoint', { reorderPoint: 150 }, ['orderUpTo']],
  ['inventory.reorder_settings_changed', 'missing packMultiple', { packMultiple: DELETE }, ['packMultiple']],
  ['inventory.reorder_settings_changed', 'lead time over a year', { leadTimeDays: 366 }, ['leadTimeDays']],
  ['inventory.reorder_settings_changed', 'bad supplier id', { supplierId: ' SUP-9' }, ['supplierId']],
  ['purchase_order.confirmed', 'date not YYYY-MM-DD', { expectedDate: '2026-12-4' }, ['expectedDate']],
  [
    'purchase_order.confirmed',
    'datetime as date',
    { expectedDate: '2026-12-04T00:00:00Z' },
    ['expectedDate'],
  ],
  ['purchase_order.confirmed', 'timestamp without offset', { confirmedAt: noOffset }, ['confirmedAt']],
  ['goods.received', 'zero quantity', { 'lines.0.quantity': 0 }, ['lines.0.quantity']],
  ['goods.received', 'negative quantity', { 'lines.0.quantity': -3 }, ['lines.0.quantity']],
  ['goods.received', 'no lines', { lines: [] }, ['lines']],
  ['goods.received', 'unknown line field', { 'lines.0.lot': 'L1' }, ['lines.0.lot']],
  ['order.placed', 'zero quantity', { 'lines.0.quantity': 0 }, ['lines.0.quantity']],
  ['order.placed', 'float money', { 'lines.1.unitPrice': 49.9 }, ['lines.1.unitPrice']],
  ['order.placed', 'lower-case currency', { currency: 'eur' }, ['currency']],
  ['order.placed', 'unknown currency', { currency: 'XYZ' }, ['currency']],
  ['order.placed', 'withdrawn currency', { currency: 'HRK' }, ['currency']],
  ['order.placed', 'timestamp without offset', { placedAt: noOffset }, ['placedAt']],
  ['order.placed', 'net days over a year', { 'paymentTerms.netDays': 366 }, ['paymentTerms.netDays']],
  ['order.placed', 'lower-case country', { 'shippingAddress.country': 'de' }, ['shippingAddress.country']],
  ['order.placed', 'unknown backorder policy', { backorderPolicy: 'wait' }, ['backorderPolicy']],
  ['order.placed', 'missing customerId', { customerId: DELETE }, ['customerId']],
  ['order.placed', 'unknown field', { discount: 10 }, ['discount']],
  [
    'order.placed',
    'total beyond safe integers',
    { 'lines.0.quantity': 1_000_000, 'lines.0.unitPrice': 9_007_199_255 },
    ['lines'],
  ],
  [
    'order.placed',
    'over 500 lines',
    { lines: Array(501).fill({ sku: 'A', quantity: 1, unitPrice: 1 }) },
    ['lines'],
  ],
  ['order.cancel_requested', 'empty reason', { reason: '' }, ['reason']],
  ['order.cancel_requested', 'id with a space', { orderId: 'O 1001' }, ['orderId']],
  ['order.approved', 'missing approvedBy', { approvedBy: DELETE }, ['approvedBy']],
  ['order.approved', 'unknown field', { approved: true }, ['approved']],
  ['shipment.confirmed', 'timestamp without offset', { shippedAt: noOffset }, ['shippedAt']],
  ['shipment.confirmed', 'missing shipmentId', { shipmentId: DELETE }, ['shipmentId']],
  ['payment.received', 'zero amount', { amount: 0 }, ['amount']],
  ['payment.received', 'float money', { amount: 74.9 }, ['amount']],
  ['payment.received', 'lower-case currency', { currency: 'usd' }, ['currency']],
  ['payment.received', 'unknown method', { method: 'paypal' }, ['method']],
  ['payment.received', 'date without time', { receivedAt: '2026-12-02' }, ['receivedAt']],
  ['payment.received', 'reference over 500', { reference: 'x'.repeat(501) }, ['reference']],
  ['payment.refunded', 'negative amount', { amount: -100 }, ['amount']],
  ['payment.refunded', 'missing reason', { reason: DELETE }, ['reason']],
  ['payment.refunded', 'withdrawn currency', { currency: 'ZWL' }, ['currency']],
  ['support.requested', 'unknown priority', { priority: 'critical' }, ['priority']],
  ['support.requested', 'unknown channel', { channel: 'fax' }, ['channel']],
  ['support.requested', 'empty subject', { subject: '' }, ['subject']],
  ['support.requested', 'description too long', { description: 'x'.repeat(10_001) }, ['description']],
  ['support.agent_responded', 'timestamp without offset', { respondedAt: noOffset }, ['respondedAt']],
  ['support.agent_responded', 'missing agentId', { agentId: DELETE }, ['agentId']],
  ['support.customer_replied', 'empty message', { message: '' }, ['message']],
  ['support.customer_replied', 'unknown field', { customerId: 'C-42' }, ['customerId']],
  ['support.resolved', 'missing resolvedAt', { resolvedAt: DELETE }, ['resolvedAt']],
  ['support.resolved', 'empty resolvedBy', { resolvedBy: '' }, ['resolvedBy']],
  ['customer.behaviour', 'unknown kind', { kind: 'login' }, ['kind']],
  ['customer.behaviour', 'infinite value', { value: Infinity }, ['value']],
  ['customer.behaviour', 'value as text', { value: '0.8' }, ['value']],
  ['customer.upserted', 'negative credit limit', { creditLimit: -1 }, ['creditLimit']],
  ['customer.upserted', 'float credit limit', { creditLimit: 100.5 }, ['creditLimit']],
  ['customer.upserted', 'bad time zone', { 'quietHours.timeZone': 'Mars/Olympus' }, ['quietHours.timeZone']],
  ['customer.upserted', 'offset as time zone', { 'quietHours.timeZone': '+01:00' }, ['quietHours.timeZone']],
  ['customer.upserted', 'time not HH:MM', { 'quietHours.start': '8:00' }, ['quietHours.start']],
  ['customer.upserted', 'empty quiet window', { 'quietHours.end': '20:00' }, ['quietHours.end']],
  ['customer.upserted', 'bad email', { email: 'purchasing-at-acme' }, ['email']],
  ['customer.upserted', 'missing consent', { consent: DELETE }, ['consent']],
  [
    'product.upserted',
    'orderUpTo <= reorderPoint',
    { 'reorderSettings.orderUpTo': 10 },
    ['reorderSettings.orderUpTo'],
  ],
  [
    'product.upserted',
    'missing packMultiple',
    { 'reorderSettings.packMultiple': DELETE },
    ['reorderSettings.packMultiple'],
  ],
  ['product.upserted', 'float money', { unitPrice: 12.5 }, ['unitPrice']],
  ['product.upserted', 'unknown rule field', { 'reorderSettings.max': 5 }, ['reorderSettings.max']],
  ['supplier.upserted', 'negative lead time', { leadTimeDays: -1 }, ['leadTimeDays']],
  ['supplier.upserted', 'zero minimum order quantity', { minOrderQuantity: 0 }, ['minOrderQuantity']],
  ['supplier.upserted', 'lower-case currency', { currency: 'eur' }, ['currency']],
];

describe('invalid payloads fail on the exact field', () => {
  test.each(types)('%s has at least two invalid cases', (type) => {
    expect(invalid.filter((c) => c[0] === type).length).toBeGreaterThanOrEqual(2);
  });

  test.each(invalid)('%s: %s', (type, _what, edits, paths) => {
    expect(failingPaths(schemaOf(type), edited(type, edits))).toEqual(paths);
  });
});

describe('primitives', () => {
  test.each(['UTC', 'Europe/Berlin', 'America/Argentina/Buenos_Aires', 'Etc/GMT+1'])(
    'time zone %s is valid',
    (tz) => expect(timeZoneSchema.safeParse(tz).success).toBe(true),
  );

  test.each(['', 'Europe/Nowhere', '+01:00', 'CET; drop'])('time zone %j is invalid', (tz) =>
    expect(timeZoneSchema.safeParse(tz).success).toBe(false),
  );

  it('the currency list is sorted, unique, three upper-case letters each', () => {
    expect(ISO_4217_CURRENCIES.every((c) => /^[A-Z]{3}$/.test(c))).toBe(true);
    expect([...ISO_4217_CURRENCIES].sort()).toEqual([...ISO_4217_CURRENCIES]);
    expect(new Set(ISO_4217_CURRENCIES).size).toBe(ISO_4217_CURRENCIES.length);
    expect(ISO_4217_CURRENCIES).toEqual(expect.arrayContaining(['EUR', 'USD', 'JPY', 'XCG', 'ZWG']));
  });

  test.each([
    ['eur', 'ISO 4217 code: three upper-case letters'],
    ['XAU', 'not an active ISO 4217 currency code'],
  ])('currency %s: one issue, %s', (code, message) => {
    expect(currencySchema.safeParse(code).error?.issues.map((i) => i.message)).toEqual([message]);
  });

  test.each([
    ['a', true],
    ['O-2026/11:07_a.b', true],
    ['-leading-dash', false],
    ['x'.repeat(101), false],
    ['', false],
  ])('id %j valid: %s', (id, ok) => expect(idSchema.safeParse(id).success).toBe(ok));

  it('money stays within safe integers', () => {
    expect(minorUnits.safeParse(Number.MAX_SAFE_INTEGER).success).toBe(true);
    expect(minorUnits.safeParse(Number.MAX_SAFE_INTEGER + 1).success).toBe(false);
  });

  it('reorder settings require every field and orderUpTo above reorderPoint', () => {
    const rule = { reorderPoint: 5, orderUpTo: 6, packMultiple: 1, minOrderQuantity: 1, leadTimeDays: 0 };
    expect(failingPaths(reorderSettingsSchema, { ...rule, supplierId: 'S' })).toEqual([]);
    expect(failingPaths(reorderSettingsSchema, { ...rule, supplierId: 'S', orderUpTo: 5 })).toEqual([
      'orderUpTo',
    ]);
    expect(failingPaths(reorderSettingsSchema, rule)).toEqual(['supplierId']);
  });
});

describe('lookupEventSchema', () => {
  test.each([
    ['inventory.nope', undefined, { ok: false, reason: 'unknown-type' }],
    ['toString', undefined, { ok: false, reason: 'unknown-type' }],
    [
      'order.placed',
      'https://schemas.example/order.placed/v9',
      { ok: false, reason: 'unknown-version', version: 9 },
    ],
    ['order.placed', 'https://schemas.example/order.placed', { ok: false, reason: 'unknown-version' }],
    ['order.placed', undefined, { ok: true, type: 'order.placed', version: 1 }],
    [
      'order.placed',
      'https://schemas.example/order.placed/v1',
      { ok: true, type: 'order.placed', version: 1 },
    ],
  ])('%s with dataschema %s', (type, dataschema, expected) => {
    expect(lookupEventSchema(type, dataschema)).toMatchObject(expected);
  });

  it('defaults to v1 and hands back the catalogue schema', () => {
    expect(eventVersion(undefined)).toBe(1);
    const lookup = lookupEventSchema('order.placed', undefined);
    expect(lookup.ok && lookup.schema).toBe(orderPlacedV1);
  });

  test.each(types)('%s resolves to its v1 schema', (type) => {
    expect(lookupEventSchema(type, undefined)).toEqual({
      ok: true,
      type,
      version: 1,
      schema: schemaOf(type),
    });
  });
});
