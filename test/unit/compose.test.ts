/**
 * docker-compose.yml read as data (no Docker): the app containers get only settings lib/config.ts knows,
 * every image is pinned, host ports are free, services are healthchecked and wait on conditions, the worker
 * scales, Kafka stays behind its profile, and every interpolated variable is documented at the top.
 * Each check is a function returning its problems; each is also shown to reject a bad compose file.
 */
import fs from 'node:fs';
import path from 'node:path';
import { parse } from 'yaml';
import { ConfigError, configSchema, loadConfig } from '../../lib/config';

type Scalar = string | number | boolean | null;

interface LongPort {
  target: number | string;
  published?: number | string;
  host_ip?: string;
  protocol?: string;
}

interface Service {
  image?: string;
  build?: unknown;
  environment?: Record<string, Scalar> | string[];
  env_file?: unknown;
  ports?: (string | number | LongPort)[];
  healthcheck?: { test?: string | string[]; disable?: boolean };
  depends_on?: string[] | Record<string, { condition?: string } | null>;
  profiles?: string[];
  container_name?: string;
  restart?: string;
  stop_grace_period?: string;
}

interface Compose {
  services: Record<string, Service>;
}

const COMPOSE_FILE = path.resolve(__dirname, '..', '..', 'docker-compose.yml');
const KNOWN_SETTINGS = Object.keys(configSchema.shape);
const CONDITIONS = ['service_started', 'service_healthy', 'service_completed_successfully'];

/** Parses a compose file, resolving anchors and `<<` merge keys the way Compose does. */
function parseCompose(text: string): Compose {
  return parse(text, { merge: true }) as Compose;
}

/**
 * Compose interpolation with an empty environment: `${X:-d}` and `${X-d}` give d, `${X}` and `$X` give '',
 * `$$` is a literal `$`.
 */
function interpolate(value: string): string {
  return value.replace(
    /\$\$|\$\{([A-Za-z_][A-Za-z0-9_]*)(?:(:?[-?+])([^}]*))?\}|\$([A-Za-z_][A-Za-z0-9_]*)/g,
    (match: string, _name?: string, op?: string, arg?: string) => {
      if (match === '$$') return '$';
      return op === ':-' || op === '-' ? (arg ?? '') : '';
    },
  );
}

function environmentOf(service: Service): Record<string, string> {
  const env = service.environment ?? {};
  if (Array.isArray(env)) {
    return Object.fromEntries(
      env.map((entry) => {
        const eq = entry.indexOf('=');
        return eq < 0 ? [entry, ''] : [entry.slice(0, eq), entry.slice(eq + 1)];
      }),
    );
  }
  return Object.fromEntries(Object.entries(env).map(([k, v]) => [k, v === null ? '' : String(v)]));
}

const builtServices = (compose: Compose) =>
  Object.entries(compose.services).filter(([, service]) => service.build !== undefined);

// 1. settings -------------------------------------------------------------------------------------------

/** Environment variables of the services built from this repo that lib/config.ts does not declare. */
function unknownAppSettings(compose: Compose, known: readonly string[] = KNOWN_SETTINGS): string[] {
  const problems: string[] = [];
  for (const [name, service] of builtServices(compose)) {
    if (service.env_file !== undefined) problems.push(`${name}: env_file (settings belong in environment)`);
    for (const key of Object.keys(environmentOf(service))) {
      if (!known.includes(key)) problems.push(`${name}: ${key}`);
    }
  }
  return problems;
}

/** The settings the config module rejects, with every interpolation at its default. */
function invalidAppSettings(compose: Compose): string[] {
  const problems: string[] = [];
  for (const [name, service] of builtServices(compose)) {
    const env = Object.fromEntries(
      Object.entries(environmentOf(service)).map(([k, v]) => [k, interpolate(v)]),
    );
    try {
      loadConfig(env);
    } catch (err) {
      if (!(err instanceof ConfigError)) throw err;
      for (const p of err.problems) problems.push(`${name}: ${p.setting}: ${p.message}`);
    }
  }
  return problems;
}

// 2. images ---------------------------------------------------------------------------------------------

/** Why an image reference is not pinned to an exact version, or undefined when it is. */
function imagePinProblem(image: string): string | undefined {
  const ref = interpolate(image);
  if (/@sha256:[0-9a-f]{64}$/.test(ref)) return undefined;
  const colon = ref.indexOf(':', ref.lastIndexOf('/') + 1);
  if (colon < 0) return 'no tag';
  const tag = ref.slice(colon + 1);
  if (tag === 'latest') return 'tag latest';
  const version = tag.split('-')[0] ?? '';
  if (!/^v?\d+(\.\d+)*$/.test(version)) return `tag ${tag} names no version`;
  if (/^v?\d+$/.test(version)) return `tag ${tag} is a major version only`;
  if (/^v?\d+\.\d+$/.test(tag)) return `tag ${tag} is major.minor only`;
  return undefined;
}

function unpinnedImages(compose: Compose): string[] {
  const problems: string[] = [];
  for (const [name, service] of Object.entries(compose.services)) {
    if (service.image === undefined) {
      if (service.build === undefined) problems.push(`${name}: neither image nor build`);
      continue;
    }
    const problem = imagePinProblem(service.image);
    if (problem) problems.push(`${name}: ${service.image}: ${problem}`);
  }
  return problems;
}

// 3. host ports -----------------------------------------------------------------------------------------

interface Published {
  service: string;
  spec: string;
  ports: number[];
  protocol: string;
}

function portRange(text: string): number[] | undefined {
  const m = /^(\d+)(?:-(\d+))?$/.exec(text);
  if (!m) return undefined;
  const from = Number(m[1]);
  const to = m[2] === undefined ? from : Number(m[2]);
  return Array.from({ length: Math.max(0, to - from + 1) }, (_, i) => from + i);
}

/** The host side of one `ports` entry: short syntax (`[ip:]host:container[/proto]`) or long syntax. */
function hostSide(entry: string | number | LongPort): { published: string; protocol: string } {
  if (typeof entry === 'object') {
    return {
      published: entry.published === undefined ? '' : interpolate(String(entry.published)),
      protocol: entry.protocol ?? 'tcp',
    };
  }
  let spec = interpolate(String(entry));
  let protocol = 'tcp';
  const slash = spec.lastIndexOf('/');
  if (slash >= 0) {
    protocol = spec.slice(slash + 1);
    spec = spec.slice(0, slash);
  }
  if (spec.startsWith('[')) spec = spec.slice(spec.indexOf(']') + 2); // [::1]:host:container
  const parts = spec.split(':');
  // "container" alone publishes on a random host port; "ip::container" too
  const published = parts.length === 1 ? '' : (parts[parts.length - 2] ?? '');
  return { published, protocol };
}

function publishedPorts(compose: Compose): { published: Published[]; problems: string[] } {
  const published: Published[] = [];
  const problems: string[] = [];
  for (const [name, service] of Object.entries(compose.services)) {
    for (const entry of service.ports ?? []) {
      const spec = typeof entry === 'object' ? JSON.stringify(entry) : String(entry);
      const host = hostSide(entry);
      if (host.published === '') {
        if (typeof entry !== 'object' && /\$/.test(String(entry)))
          problems.push(`${name}: ${spec}: no default host port`);
        continue;
      }
      const ports = portRange(host.published);
      if (!ports) problems.push(`${name}: ${spec}: host port ${host.published} is not a number`);
      else published.push({ service: name, spec, ports, protocol: host.protocol });
    }
  }
  return { published, problems };
}

function hostPortClashes(compose: Compose): string[] {
  const { published, problems } = publishedPorts(compose);
  const owner = new Map<string, Published>();
  for (const p of published) {
    for (const port of p.ports) {
      const key = `${port}/${p.protocol}`;
      const first = owner.get(key);
      if (first)
        problems.push(`host port ${key}: ${first.service} (${first.spec}) and ${p.service} (${p.spec})`);
      else owner.set(key, p);
    }
  }
  return problems;
}

// 4. health, dependencies, scaling -----------------------------------------------------------------------

function dependenciesOf(service: Service): [string, string | undefined][] {
  const deps = service.depends_on;
  if (deps === undefined) return [];
  if (Array.isArray(deps)) return deps.map((d) => [d, undefined]);
  return Object.entries(deps).map(([d, spec]) => [d, spec?.condition]);
}

/** The one-shot jobs: services another service waits on to complete. */
function oneShotJobs(compose: Compose): Set<string> {
  const jobs = new Set<string>();
  for (const service of Object.values(compose.services)) {
    for (const [dep, condition] of dependenciesOf(service)) {
      if (condition === 'service_completed_successfully') jobs.add(dep);
    }
  }
  return jobs;
}

function hasHealthcheck(service: Service | undefined): boolean {
  const test = service?.healthcheck?.test;
  if (!service?.healthcheck || service.healthcheck.disable === true || test === undefined) return false;
  return Array.isArray(test) ? test.length > 0 && test[0] !== 'NONE' : test.trim() !== '';
}

function healthAndDependencyProblems(compose: Compose): string[] {
  const problems: string[] = [];
  const jobs = oneShotJobs(compose);
  for (const [name, service] of Object.entries(compose.services)) {
    if (jobs.has(name)) {
      if (service.restart === 'always' || service.restart === 'unless-stopped')
        problems.push(`${name}: a one-shot job with restart ${service.restart}`);
    } else if (!hasHealthcheck(service)) {
      problems.push(`${name}: no healthcheck`);
    }
    for (const [dep, condition] of dependenciesOf(service)) {
      if (!(dep in compose.services)) problems.push(`${name}: depends on unknown service ${dep}`);
      if (condition === undefined) problems.push(`${name}: depends on ${dep} without a condition`);
      else if (!CONDITIONS.includes(condition)) problems.push(`${name}: depends on ${dep}: ${condition}`);
      else if (condition === 'service_healthy' && !hasHealthcheck(compose.services[dep]))
        problems.push(`${name}: waits for ${dep} to be healthy, which has no healthcheck`);
    }
  }
  return problems;
}

/** Compose durations: `35s`, `1m30s`, `500ms`. */
function durationMs(text: string): number {
  const units: Record<string, number> = { us: 0.001, ms: 1, s: 1000, m: 60_000, h: 3_600_000 };
  const parts = [...text.matchAll(/(\d+(?:\.\d+)?)(us|ms|s|m|h)/g)];
  if (parts.length === 0 || parts.map((p) => p[0]).join('') !== text) return NaN;
  return parts.reduce((sum, p) => sum + Number(p[1]) * (units[p[2] ?? ''] ?? NaN), 0);
}

function healthcheckText(service: Service | undefined): string {
  const test = service?.healthcheck?.test ?? '';
  return Array.isArray(test) ? test.join(' ') : test;
}

/** The worker scales (no host port, no fixed name) and drains; api and worker probe their own /readyz. */
function workerAndProbeProblems(compose: Compose): string[] {
  const problems: string[] = [];
  const worker = compose.services.worker;
  const api = compose.services.api;
  if (!worker || !api) return ['an api and a worker service are both needed'];
  if (worker.ports?.length) problems.push('worker: publishes host ports (cannot scale)');
  if (worker.container_name !== undefined) problems.push('worker: has a container_name (cannot scale)');

  const workerEnv = environmentOf(worker);
  const healthPort = interpolate(workerEnv.WORKER_HEALTH_PORT ?? '3001');
  if (!healthcheckText(worker).includes(`:${healthPort}/readyz`))
    problems.push(`worker: healthcheck does not probe :${healthPort}/readyz`);
  const apiPort = interpolate(environmentOf(api).API_PORT ?? '3000');
  if (!healthcheckText(api).includes(`:${apiPort}/readyz`))
    problems.push(`api: healthcheck does not probe :${apiPort}/readyz`);

  const graceMs = Number(interpolate(workerEnv.WORKER_SHUTDOWN_GRACE_MS ?? '10000'));
  const stopMs = durationMs(worker.stop_grace_period ?? '10s');
  if (!(stopMs > graceMs))
    problems.push(
      `worker: stop_grace_period ${worker.stop_grace_period ?? '10s'} is not above ${graceMs} ms`,
    );
  return problems;
}

// 5. the Kafka profile ----------------------------------------------------------------------------------

function kafkaProfileProblems(compose: Compose): string[] {
  const kafka = compose.services.kafka;
  if (!kafka) return ['no kafka service'];
  const problems: string[] = [];
  if (JSON.stringify(kafka.profiles) !== JSON.stringify(['kafka']))
    problems.push(`kafka: profiles ${JSON.stringify(kafka.profiles)}, expected ["kafka"]`);
  for (const [name, service] of Object.entries(compose.services)) {
    if (name === 'kafka') continue;
    if (service.profiles?.length) problems.push(`${name}: in profiles ${service.profiles.join(', ')}`);
    if (dependenciesOf(service).some(([dep]) => dep === 'kafka')) problems.push(`${name}: depends on kafka`);
  }
  return problems;
}

// 6. documented interpolations --------------------------------------------------------------------------

/** The comment block the file starts with, and the rest without its comment lines. */
function splitHeader(text: string): { header: string; body: string } {
  const lines = text.split('\n');
  const end = lines.findIndex((line) => line.trim() !== '' && !line.trim().startsWith('#'));
  const headerLines = end < 0 ? lines : lines.slice(0, end);
  const bodyLines = (end < 0 ? [] : lines.slice(end)).filter((line) => !line.trim().startsWith('#'));
  return { header: headerLines.join('\n'), body: bodyLines.join('\n') };
}

/** Every variable Compose interpolates (`${X...}` or `$X`; `$$` is an escaped `$`). */
function interpolatedVariables(text: string): { name: string; expression: string }[] {
  const body = splitHeader(text).body.replace(/\$\$/g, '');
  return [...body.matchAll(/\$\{([A-Za-z_][A-Za-z0-9_]*)[^}]*\}|\$([A-Za-z_][A-Za-z0-9_]*)/g)].map((m) => ({
    name: m[1] ?? m[2] ?? '',
    expression: m[0],
  }));
}

function undocumentedVariables(text: string): string[] {
  const { header } = splitHeader(text);
  const names = [...new Set(interpolatedVariables(text).map((v) => v.name))];
  return names.filter((name) => !new RegExp(`\\b${name}\\b`).test(header));
}

function variablesWithoutDefault(text: string): string[] {
  return [
    ...new Set(
      interpolatedVariables(text)
        .filter((v) => !/^\$\{[A-Za-z0-9_]+:?-/.test(v.expression))
        .map((v) => v.expression),
    ),
  ];
}

// --------------------------------------------------------------------------------------------------------

/** A compose file that breaks every rule once. */
const BAD_COMPOSE = `# Overridable: DB_PASSWORD
services:
  db:
    image: postgres:17
    ports: ['127.0.0.1:5432:5432']
    environment:
      POSTGRES_PASSWORD: \${DB_PASSWORD:-secret}
  cache:
    image: redis
    ports: ['\${CACHE_PORT:-5432}:6379', '\${OTHER_PORT}:6380']
    depends_on: [db]
  ui:
    image: temporalio/ui:latest
    ports:
      - target: 8080
        published: '3000'
    healthcheck:
      disable: true
  setup:
    image: temporalio/admin-tools:1.32
    restart: always
  api:
    build: .
    env_file: .env
    environment: &env
      DATABASE_URL: postgres://app:\${DB_PASSWORD:-secret}@db/app
      DATABSE_POOL: 5
      API_PORT: eighty
    ports: ['3000:3000']
    healthcheck:
      test: ['CMD', 'wget', 'http://127.0.0.1:3000/healthz']
    depends_on:
      db:
        condition: service_healthy
      setup:
        condition: service_completed_successfully
      queue:
        condition: service_started
  worker:
    build: .
    container_name: worker
    environment:
      <<: *env
      WORKER_HEALTH_PORT: 3001
      WORKER_SHUTDOWN_GRACE_MS: 30000
    stop_grace_period: 30s
    ports: ['3001']
    healthcheck:
      test: ['CMD', 'wget', 'http://127.0.0.1:3001/healthz']
    depends_on:
      kafka:
        condition: service_helthy
  kafka:
    image: apache/kafka:edge
    profiles: [kafka, streaming]
    healthcheck:
      test: ['CMD', 'true']
  queue:
    image: rabbitmq@sha256:${'a'.repeat(64)}
    profiles: [kafka]
    healthcheck:
      test: ['CMD', 'true']
`;

describe('docker-compose.yml', () => {
  const text = fs.readFileSync(COMPOSE_FILE, 'utf8');
  const compose = parseCompose(text);
  const bad = parseCompose(BAD_COMPOSE);

  it('has the stack: Postgres, Temporal and its UI, migrate, api, worker, optional Kafka', () => {
    expect(Object.keys(compose.services)).toEqual(
      expect.arrayContaining(['postgres', 'temporal', 'temporal-ui', 'migrate', 'api', 'worker', 'kafka']),
    );
    expect(builtServices(compose).map(([name]) => name)).toEqual(['migrate', 'api', 'worker']);
  });

  it('gives the containers built here only settings lib/config.ts knows, all valid', () => {
    expect(unknownAppSettings(compose)).toEqual([]);
    expect(invalidAppSettings(compose)).toEqual([]);
    // the shared environment is a merged anchor: every app container knows where Postgres and Temporal are
    for (const [, service] of builtServices(compose)) {
      expect(environmentOf(service)).toMatchObject({
        DATABASE_URL: expect.stringMatching(/@postgres:5432\/erp$/),
        TEMPORAL_ADDRESS: 'temporal:7233',
      });
    }

    expect(unknownAppSettings(bad)).toEqual([
      'api: env_file (settings belong in environment)',
      'api: DATABSE_POOL',
      'worker: DATABSE_POOL',
    ]);
    expect(invalidAppSettings(bad)).toEqual([
      expect.stringMatching(/^api: API_PORT: /),
      expect.stringMatching(/^worker: API_PORT: /),
    ]);
  });

  it('pins every image to an exact version', () => {
    expect(unpinnedImages(compose)).toEqual([]);

    expect(unpinnedImages(bad)).toEqual([
      'db: postgres:17: tag 17 is a major version only',
      'cache: redis: no tag',
      'ui: temporalio/ui:latest: tag latest',
      'setup: temporalio/admin-tools:1.32: tag 1.32 is major.minor only',
      'kafka: apache/kafka:edge: tag edge names no version',
    ]);
    expect(imagePinProblem('postgres:17-bookworm')).toBe('tag 17-bookworm is a major version only');
    expect(imagePinProblem('postgres:17.6-bookworm')).toBeUndefined();
    expect(imagePinProblem('registry:5000/team/app:1.2.3')).toBeUndefined();
    expect(imagePinProblem('registry:5000/team/app')).toBe('no tag');
  });

  it('publishes no host port twice', () => {
    expect(hostPortClashes(compose)).toEqual([]);
    expect(publishedPorts(compose).published.map((p) => `${p.service}:${p.ports.join(',')}`)).toEqual(
      expect.arrayContaining(['api:3000', 'temporal-ui:8080']),
    );

    expect(hostPortClashes(bad)).toEqual([
      'cache: ${OTHER_PORT}:6380: no default host port',
      'host port 5432/tcp: db (127.0.0.1:5432:5432) and cache (${CACHE_PORT:-5432}:6379)',
      'host port 3000/tcp: ui ({"target":8080,"published":"3000"}) and api (3000:3000)',
    ]);
    expect(hostSide('[::1]:7000-7001:80/udp')).toEqual({ published: '7000-7001', protocol: 'udp' });
    expect(portRange('7000-7001')).toEqual([7000, 7001]);
  });

  it('healthchecks every long-running service, waits on conditions, and lets the worker scale', () => {
    expect(healthAndDependencyProblems(compose)).toEqual([]);
    expect([...oneShotJobs(compose)].sort()).toEqual(['migrate', 'temporal-namespace', 'temporal-schema']);
    expect(workerAndProbeProblems(compose)).toEqual([]);

    expect(healthAndDependencyProblems(bad)).toEqual([
      'db: no healthcheck',
      'cache: no healthcheck',
      'cache: depends on db without a condition',
      'ui: no healthcheck',
      'setup: a one-shot job with restart always',
      'api: waits for db to be healthy, which has no healthcheck',
      'worker: depends on kafka: service_helthy',
    ]);
    expect(workerAndProbeProblems(bad)).toEqual([
      'worker: publishes host ports (cannot scale)',
      'worker: has a container_name (cannot scale)',
      'worker: healthcheck does not probe :3001/readyz',
      'api: healthcheck does not probe :eighty/readyz',
      'worker: stop_grace_period 30s is not above 30000 ms',
    ]);
    expect(workerAndProbeProblems({ services: { worker: {} } })).toEqual([
      'an api and a worker service are both needed',
    ]);
    expect(durationMs('1m30s')).toBe(90_000);
    expect(durationMs('35 seconds')).toBeNaN();
  });

  it('keeps Kafka behind the kafka profile, with nothing depending on it', () => {
    expect(kafkaProfileProblems(compose)).toEqual([]);

    expect(kafkaProfileProblems(bad)).toEqual([
      'kafka: profiles ["kafka","streaming"], expected ["kafka"]',
      'worker: depends on kafka',
      'queue: in profiles kafka',
    ]);
  });

  it('documents every interpolated variable in the comment block at the top, each with a default', () => {
    expect(interpolatedVariables(text).length).toBeGreaterThan(0);
    expect(undocumentedVariables(text)).toEqual([]);
    expect(variablesWithoutDefault(text)).toEqual([]);

    expect(undocumentedVariables(BAD_COMPOSE)).toEqual(['CACHE_PORT', 'OTHER_PORT']);
    expect(variablesWithoutDefault(BAD_COMPOSE)).toEqual(['${OTHER_PORT}']);
    // `$$` is an escaped dollar for the container's shell, not an interpolation
    expect(interpolatedVariables('# header\nx: echo $$HOME $${PATH}\n')).toEqual([]);
    expect(interpolate('a$${b}${C:-3}${D}')).toBe('a${b}3');
  });
});
