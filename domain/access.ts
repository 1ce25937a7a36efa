/**
 * Access control: the API key scopes and the one table saying which scope each route needs.
 * Pure (no I/O); the middleware (api/auth.ts), the OpenAPI document and the README follow it.
 */

export const SCOPES = [
  'events:write',
  'orders:write',
  'finance:write',
  'crm:write',
  'read',
  'admin',
] as const;
export type Scope = (typeof SCOPES)[number];

export const SCOPE_DESCRIPTIONS: Record<Scope, string> = {
  'events:write': 'send business events (POST /v1/events, /v1/events/batch)',
  'orders:write':
    'operations: orders (place, approve, cancel, ship), inventory, products, suppliers, purchase orders',
  'finance:write': 'reconciliation (resolve, unmatch), ledger, invoices, payments, reports',
  'crm:write': 'customers, tickets, tasks and customer timelines',
  read: 'every GET, except the API keys',
  admin: 'everything: API keys, schedules, event replay, webhook subscriptions; implies every other scope',
};

/**
 * Routes anyone may call, key or not: health, readiness, metrics, the API's own documentation and the
 * operator console's static page (whose data calls need a key like any client's).
 */
export const PUBLIC_PATHS: readonly string[] = [
  '/healthz',
  '/readyz',
  '/metrics',
  '/openapi.json',
  '/docs',
  '/console',
];

type Method = 'GET' | 'POST' | 'PUT' | 'PATCH' | 'DELETE';
const WRITES: readonly Method[] = ['POST', 'PUT', 'PATCH', 'DELETE'];
const ALL: readonly Method[] = ['GET', ...WRITES];

export interface ScopeRule {
  methods: readonly Method[];
  /** A path prefix: it matches itself and anything below it (`/v1/orders` matches `/v1/orders/O-1/cancel`). */
  path: string;
  scope: Scope;
}

/**
 * The scope each route needs; the first matching rule wins. Reads are `read` unless a rule above
 * says otherwise; a write under no rule here needs `admin` (fail closed), and the unit test
 * test/unit/access-control.test.ts fails for any served route that no rule names.
 */
export const ROUTE_SCOPES: readonly ScopeRule[] = [
  // administration: keys, batch schedules, event replay, webhook subscriptions
  { methods: ALL, path: '/v1/api-keys', scope: 'admin' },
  { methods: WRITES, path: '/v1/schedules', scope: 'admin' },
  { methods: WRITES, path: '/v1/events/replay', scope: 'admin' },
  // selective replay: dry runs (plans) and their execution
  { methods: WRITES, path: '/v1/replays', scope: 'admin' },
  { methods: WRITES, path: '/v1/subscriptions', scope: 'admin' },
  // business events from integrations
  { methods: WRITES, path: '/v1/events', scope: 'events:write' },
  // sales, stock and procurement, with their master data
  { methods: WRITES, path: '/v1/orders', scope: 'orders:write' },
  { methods: WRITES, path: '/v1/inventory', scope: 'orders:write' },
  { methods: WRITES, path: '/v1/products', scope: 'orders:write' },
  { methods: WRITES, path: '/v1/suppliers', scope: 'orders:write' },
  { methods: WRITES, path: '/v1/purchase-orders', scope: 'orders:write' },
  // money
  { methods: WRITES, path: '/v1/reconciliation', scope: 'finance:write' },
  { methods: WRITES, path: '/v1/ledger', scope: 'finance:write' },
  { methods: WRITES, path: '/v1/invoices', scope: 'finance:write' },
  { methods: WRITES, path: '/v1/payments', scope: 'finance:write' },
  { methods: WRITES, path: '/v1/reports', scope: 'finance:write' },
  // customers and their service
  { methods: WRITES, path: '/v1/customers', scope: 'crm:write' },
  { methods: WRITES, path: '/v1/tickets', scope: 'crm:write' },
  { methods: WRITES, path: '/v1/tasks', scope: 'crm:write' },
  // everything else one can read
  { methods: ['GET'], path: '/', scope: 'read' },
];

const underPrefix = (path: string, prefix: string) =>
  prefix === '/' || path === prefix || path.startsWith(`${prefix}/`);

export const isPublicPath = (path: string): boolean => PUBLIC_PATHS.some((p) => underPrefix(path, p));

/**
 * What a request needs: 'public', the scope of the first matching rule, or null when no rule
 * names it (the middleware then asks for admin). HEAD is a GET.
 */
export function requiredScope(method: string, path: string): Scope | 'public' | null {
  if (isPublicPath(path)) return 'public';
  const m = (method.toUpperCase() === 'HEAD' ? 'GET' : method.toUpperCase()) as Method;
  const rule = ROUTE_SCOPES.find((r) => r.methods.includes(m) && underPrefix(path, r.path));
  return rule?.scope ?? null;
}

/** Whether a key with `granted` scopes may do what needs `needed`; admin implies every scope. */
export function grants(granted: readonly string[], needed: Scope): boolean {
  return granted.includes('admin') || granted.includes(needed);
}
