/**
 * Runs benchmark sections on their own, before (or without) the runner: starts the system as
 * `npm start` does, without its dependency bootstrap (scripts/start.ts; its own ports and data folder), waits until the API and the worker are ready, runs
 * each named section's run(ctx) in order and writes <id>.md, <id>.json and the charts to the output
 * folder, then stops the system.
 *
 *   npx tsx bench/dev-section.ts [--quick] [--keep-data] [--out /tmp/bench-10b-out] latency worker-resources
 *
 * The system's environment (ports, DATA_DIR, AUTH_MODE=off) is fixed here; any other setting in this
 * process's environment (WORKER_MAX_CACHED_WORKFLOWS, DB_POOL_MAX, SETTINGS_FILE, ...) is passed on,
 * so a knob is compared by running twice. The data folder is emptied first unless --keep-data.
 */
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import type { BenchContext, BenchSection } from './lib/types';

const ROOT = path.resolve(__dirname, '..');
const SYSTEM_ENV = {
  DATA_DIR: '/tmp/bench-10b',
  API_PORT: '3200',
  EMBEDDED_PG_PORT: '15600',
  TEMPORAL_DEV_PORT: '17400',
  TEMPORAL_DEV_UI_PORT: '18400',
  WORKER_HEALTH_PORT: '3201',
  AUTH_MODE: 'off',
  LOG_LEVEL: process.env.LOG_LEVEL ?? 'warn',
};

async function waitFor(url: string, timeoutMs: number): Promise<void> {
  const until = Date.now() + timeoutMs;
  while (Date.now() < until) {
    try {
      if ((await fetch(url)).ok) return;
    } catch {
      // not up yet
    }
    await new Promise((r) => setTimeout(r, 500));
  }
  throw new Error(`${url} not ready within ${timeoutMs / 1000} s`);
}

async function main(): Promise<void> {
  const args = process.argv.slice(2);
  const quick = args.includes('--quick');
  const keep = args.includes('--keep-data');
  const outIdx = args.indexOf('--out');
  const outDir = outIdx >= 0 ? (args[outIdx + 1] as string) : '/tmp/bench-10b-out';
  const names = args.filter((a, i) => !a.startsWith('--') && (outIdx < 0 || i !== outIdx + 1));
  if (names.length === 0) throw new Error('name at least one section (latency, worker-resources)');
  if (!keep) fs.rmSync(SYSTEM_ENV.DATA_DIR, { recursive: true, force: true });
  fs.mkdirSync(outDir, { recursive: true });
  Object.assign(process.env, SYSTEM_ENV);

  // `npm start` without its bootstrap step: with a symlinked, shared node_modules, the bootstrap's
  // `npm ci` (when its stamp file is missing) empties the shared folder through the link
  const system = spawn(process.execPath, ['--import', 'tsx', path.join(ROOT, 'scripts/start.ts')], {
    cwd: ROOT,
    env: { ...process.env, ...SYSTEM_ENV },
    stdio: ['ignore', 'inherit', 'inherit'],
    detached: true,
  });
  const stop = async () => {
    if (system.exitCode !== null || system.pid === undefined) return;
    const exited = new Promise((r) => system.once('exit', r));
    process.kill(-system.pid, 'SIGTERM');
    const timer = setTimeout(() => {
      if (system.pid !== undefined) process.kill(-system.pid, 'SIGKILL');
    }, 30_000);
    await exited;
    clearTimeout(timer);
  };
  process.once('SIGINT', () => void stop().then(() => process.exit(130)));
  try {
    await waitFor(`http://127.0.0.1:${SYSTEM_ENV.API_PORT}/readyz`, 240_000);
    await waitFor(`http://127.0.0.1:${SYSTEM_ENV.WORKER_HEALTH_PORT}/readyz`, 240_000);
    const ctx: BenchContext = {
      baseUrl: `http://127.0.0.1:${SYSTEM_ENV.API_PORT}`,
      temporalAddress: `127.0.0.1:${SYSTEM_ENV.TEMPORAL_DEV_PORT}`,
      namespace: process.env.TEMPORAL_NAMESPACE ?? 'default',
      taskQueuePrefix: process.env.TEMPORAL_TASK_QUEUE ?? 'erp',
      databaseUrl: `postgres://postgres:postgres@localhost:${SYSTEM_ENV.EMBEDDED_PG_PORT}/erp`,
      outDir,
      quick,
    };
    for (const name of names) {
      const mod = (await import(path.join(__dirname, 'sections', `${name}.ts`))) as {
        run(ctx: BenchContext): Promise<BenchSection>;
      };
      const started = Date.now();
      const section = await mod.run(ctx);
      const stamp = new Date().toISOString().replace(/[:.]/g, '-');
      const base = path.join(outDir, `${section.id}-${stamp}`);
      const targets = section.targets
        .map((t) => `| ${t.name} | ${t.target} | ${t.measured} | ${t.met ? 'met' : 'NOT met'} |`)
        .join('\n');
      fs.writeFileSync(
        `${base}.md`,
        `## ${section.title}\n\n${section.markdown}\n\n| target | wanted | measured | |\n|---|---|---|---|\n${targets}\n`,
      );
      fs.writeFileSync(`${base}.json`, JSON.stringify(section, null, 2));
      for (const chart of section.charts) fs.writeFileSync(`${base}-${chart.file}`, chart.svg);
      console.log(
        `[dev-section] ${name} done in ${((Date.now() - started) / 1000).toFixed(0)} s: ${base}.md`,
      );
    }
  } finally {
    await stop();
  }
}

main().then(
  () => process.exit(0),
  (err: unknown) => {
    console.error(err);
    process.exit(1);
  },
);
