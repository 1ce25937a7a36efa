/**
 * `npm start`'s script for real: it brings up Postgres, Temporal, a worker and the API on free
 * ports in a scratch data folder, serves an event end to end, and on SIGINT stops every process
 * it started.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { freePort } from '../support/infrastructure';
import { eventually, stockAdjusted, uniqueKey } from '../support/harness';

const ROOT = path.resolve(__dirname, '..', '..');

function listening(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = net.connect({ port, host: '127.0.0.1' });
    socket.once('connect', () => {
      socket.destroy();
      resolve(true);
    });
    socket.once('error', () => resolve(false));
  });
}

let proc: ChildProcess | undefined;
let dataDir: string;
afterAll(() => {
  // only if the test failed half way: take down whatever is left of the group
  if (proc?.pid && proc.exitCode === null) process.kill(-proc.pid, 'SIGKILL');
  if (dataDir) fs.rmSync(dataDir, { recursive: true, force: true });
});

it('starts the whole system, serves an event, and leaves nothing running after Ctrl-C', async () => {
  dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'erp-start-'));
  fs.chmodSync(dataDir, 0o755);
  const ports = {
    EMBEDDED_PG_PORT: await freePort(),
    TEMPORAL_DEV_PORT: await freePort(),
    TEMPORAL_DEV_UI_PORT: await freePort(),
    API_PORT: await freePort(),
    WORKER_HEALTH_PORT: await freePort(),
  };
  const env = {
    PATH: process.env.PATH,
    DATA_DIR: dataDir,
    DATABASE_URL: '',
    TEMPORAL_ADDRESS: '',
    LOG_LEVEL: 'warn',
    ...Object.fromEntries(Object.entries(ports).map(([k, v]) => [k, String(v)])),
  };
  let output = '';
  proc = spawn(process.execPath, ['--import', 'tsx', path.join(ROOT, 'scripts', 'start.ts')], {
    cwd: ROOT,
    env,
    detached: true,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  proc.stdout?.on('data', (b: Buffer) => (output += b.toString()));
  proc.stderr?.on('data', (b: Buffer) => (output += b.toString()));
  const exited = new Promise<number | null>((resolve) => proc?.once('exit', (code) => resolve(code)));

  await eventually(async () => (output.includes('The ERP is up') ? true : undefined), 90_000);
  const api = `http://127.0.0.1:${ports.API_PORT}`;
  expect(output).toContain(`API docs      ${api}/docs`);
  expect(output).toContain(`Temporal UI   http://localhost:${ports.TEMPORAL_DEV_UI_PORT}`);
  expect(output).toMatch(/temporal CLI: /);
  // the development key: created on the first run, printed, and kept in the data folder
  const key = fs.readFileSync(path.join(dataDir, 'dev-api-key'), 'utf8').trim();
  expect(output).toContain(`API key       ${key}   (development key, all scopes)`);
  const auth = { Authorization: `Bearer ${key}` };
  expect((await fetch(`${api}/v1/inventory/SKU-1`)).status).toBe(401);
  // the operator console comes up with the API: its page and modules are public, its data is not
  expect(output).toContain(`Console       ${api}/console/`);
  const page = await fetch(`${api}/console/`);
  expect(page.status).toBe(200);
  expect(await page.text()).toContain('<script type="importmap">');
  const preact = await fetch(`${api}/console/vendor/preact.mjs`);
  expect([preact.status, preact.headers.get('content-type')]).toEqual([
    200,
    expect.stringMatching(/javascript/),
  ]);

  const sku = uniqueKey('SKU');
  const res = await fetch(`${api}/v1/events`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...auth },
    body: JSON.stringify(stockAdjusted({ sku, delta: 9 })),
  });
  expect(res.status).toBe(202);
  const inventory = await eventually(async () => {
    const r = await fetch(`${api}/v1/inventory/${sku}`, { headers: auth });
    const body = (await r.json()) as { onHand?: number; workflow?: { status: string } };
    return body.onHand === 9 ? body : undefined;
  });
  expect(inventory.workflow?.status).toBe('RUNNING');

  const worker = `http://127.0.0.1:${ports.WORKER_HEALTH_PORT}`;
  for (const base of [api, worker]) {
    const ready = await fetch(`${base}/readyz`);
    expect(ready.status).toBe(200);
    expect(await ready.json()).toMatchObject({ status: 'ready', checks: { migrations: { ok: true } } });
  }
  const apiMetrics = await (await fetch(`${api}/metrics`)).text();
  expect(apiMetrics).toMatch(/erp_events_total\{type="inventory.stock_adjusted",outcome="accepted"\} 1/);
  expect(apiMetrics).toMatch(/erp_routing_duration_seconds_count\{outcome="delivered"\} 1/);
  const workerMetrics = await (await fetch(`${worker}/metrics`)).text();
  expect(workerMetrics).toMatch(/erp_worker_process_cpu_seconds_total/);
  expect(workerMetrics).toMatch(/temporal_activity_execution_latency/);
  expect(await listening(ports.TEMPORAL_DEV_UI_PORT)).toBe(true);

  // as a terminal's Ctrl-C does: the signal reaches the whole process group, children included
  process.kill(-(proc.pid as number), 'SIGINT');
  expect(await exited).toBe(0);
  for (const port of Object.values(ports)) expect(await listening(port)).toBe(false);
  expect(fs.existsSync(path.join(dataDir, 'postgres', 'postmaster.pid'))).toBe(false);
  expect(fs.existsSync(path.join(dataDir, 'temporal.sqlite'))).toBe(true);
}, 180_000);
