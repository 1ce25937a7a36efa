/**
 * `npm run bench [-- --only ingest,duplicates] [--quick] [--keep-data]`: starts the system the way
 * the quick start does (bench/lib/system.ts: scripts/start.ts with its own DATA_DIR and ports),
 * runs the benchmark sections against it, and writes bench/results/<time>/report.md, report.json
 * and the charts (SVG), copied to bench/results/latest/. Not part of the test suite.
 */
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { BenchContext, BenchSection } from './lib/types';
import { describeEnvironment, startSystem, type Environment } from './lib/system';
import * as ingest from './sections/ingest';
import * as duplicates from './sections/duplicates';
import * as writePath from './sections/write-path';
import * as latency from './sections/latency';
import * as workerResources from './sections/worker-resources';
import * as batch from './sections/batch';
import * as eventVsBatch from './sections/event-vs-batch';

/** The sections, in report order. A section is bench/sections/<id>.ts exporting run(ctx). */
export const SECTIONS: { id: string; run(ctx: BenchContext): Promise<BenchSection> }[] = [
  { id: 'ingest', run: ingest.run },
  { id: 'duplicates', run: duplicates.run },
  { id: 'write-path', run: writePath.run },
  { id: 'latency', run: latency.run },
  { id: 'worker-resources', run: workerResources.run },
  { id: 'batch', run: batch.run },
  { id: 'event-vs-batch', run: eventVsBatch.run },
];

const ROOT = path.resolve(__dirname, '..');
const RESULTS = path.join(ROOT, 'bench', 'results');

function args() {
  const argv = process.argv.slice(2);
  const value = (name: string) => {
    const i = argv.indexOf(`--${name}`);
    if (i >= 0) return argv[i + 1];
    const eq = argv.find((a) => a.startsWith(`--${name}=`));
    return eq?.slice(name.length + 3);
  };
  const only = value('only')
    ?.split(',')
    .map((s) => s.trim())
    .filter(Boolean);
  const unknown = only?.filter((id) => !SECTIONS.some((s) => s.id === id)) ?? [];
  if (unknown.length) {
    console.error(
      `unknown section(s): ${unknown.join(', ')}; known: ${SECTIONS.map((s) => s.id).join(', ')}`,
    );
    process.exit(2);
  }
  return { only, quick: argv.includes('--quick'), keepData: argv.includes('--keep-data') };
}

const loadAverage = (): number[] => os.loadavg().map((l) => Math.round(l * 100) / 100);

function gitCommit(): string {
  try {
    const sha = execFileSync('git', ['rev-parse', '--short', 'HEAD'], { cwd: ROOT, encoding: 'utf8' }).trim();
    const dirty = execFileSync('git', ['status', '--porcelain', '--untracked-files=no'], {
      cwd: ROOT,
      encoding: 'utf8',
    }).trim();
    return dirty ? `${sha} (with uncommitted changes)` : sha;
  } catch {
    return 'unknown';
  }
}

function header(
  env: Environment,
  meta: { startedAt: string; finishedAt: string; quick: boolean; commit: string },
): string {
  const m = env.machine;
  return [
    '# Benchmark report',
    '',
    `${meta.startedAt} to ${meta.finishedAt}, commit ${meta.commit}${meta.quick ? ', **quick run (small sizes, a smoke test; not figures to quote)**' : ''}. ` +
      'The system was started the way the quick start does (`scripts/start.ts`: embedded Postgres, ' +
      'Temporal dev server, one worker process, one API process) on the machine below, with the ' +
      'benchmark client on the same machine.',
    '',
    '| machine | |',
    '| --- | --- |',
    `| CPU | ${m.cpuModel}, ${m.cores} cores |`,
    `| memory | ${m.memoryGiB} GiB |`,
    `| OS | ${m.platform} |`,
    `| load average (1, 5, 15 min) before | ${m.loadAverageBefore.join(', ')} |`,
    `| load average after | ${m.loadAverageAfter?.join(', ') ?? 'n/a'} |`,
    '',
    '| versions | |',
    '| --- | --- |',
    ...Object.entries(env.versions).map(([k, v]) => `| ${k} | ${v} |`),
    '',
    '| settings | |',
    '| --- | --- |',
    ...Object.entries(env.settings).map(([k, v]) => `| ${k} | ${v} |`),
  ].join('\n');
}

async function main(): Promise<void> {
  const opts = args();
  const selected = SECTIONS.filter((s) => !opts.only || opts.only.includes(s.id));
  const startedAt = new Date();
  const commit = gitCommit();
  const stamp = startedAt.toISOString().replace(/[:.]/g, '-');
  const outDir = path.join(RESULTS, `${stamp}${opts.quick ? '-quick' : ''}`);
  fs.mkdirSync(outDir, { recursive: true });
  const logFile = path.join(os.tmpdir(), `erp-bench-${stamp}.log`);
  console.log(`[bench] starting the system (log: ${logFile}) ...`);
  const system = await startSystem({ logFile, keepData: opts.keepData });
  const stopOnSignal = () => void system.stop().then(() => process.exit(130));
  process.once('SIGINT', stopOnSignal);
  process.once('SIGTERM', stopOnSignal);
  const sections: (BenchSection & { error?: string; seconds: number; load: number[][] })[] = [];
  let env: Environment | undefined;
  try {
    console.log(`[bench] up: API ${system.baseUrl}, Temporal ${system.temporalAddress}`);
    env = await describeEnvironment(system);
    // the sections that read the worker's /proc and /metrics find it by its health port
    process.env.WORKER_HEALTH_PORT ??= system.env.WORKER_HEALTH_PORT;
    process.env.BENCH_WORKER_URL ??= system.workerUrl;
    const ctx: BenchContext = {
      baseUrl: system.baseUrl,
      ...(system.apiKey ? { apiKey: system.apiKey } : {}),
      temporalAddress: system.temporalAddress,
      namespace: system.config.TEMPORAL_NAMESPACE,
      taskQueuePrefix: system.config.TEMPORAL_TASK_QUEUE,
      databaseUrl: system.databaseUrl,
      outDir,
      quick: opts.quick,
    };
    for (const s of selected) {
      console.log(`[bench] ${s.id} ...`);
      const t0 = Date.now();
      const loadBefore = loadAverage();
      try {
        const section = await s.run(ctx);
        sections.push({ ...section, seconds: (Date.now() - t0) / 1000, load: [loadBefore, loadAverage()] });
        for (const t of section.targets)
          console.log(
            `[bench]   ${t.met ? 'met    ' : 'NOT met'} ${t.name}: ${t.measured} (target ${t.target})`,
          );
      } catch (err) {
        console.error(`[bench] ${s.id} failed: ${(err as Error).stack ?? String(err)}`);
        sections.push({
          id: s.id,
          title: s.id,
          markdown: `This section failed: \`${(err as Error).message}\``,
          data: null,
          charts: [],
          targets: [],
          error: (err as Error).message,
          seconds: (Date.now() - t0) / 1000,
          load: [loadBefore, loadAverage()],
        });
      }
    }
  } finally {
    console.log('[bench] stopping the system ...');
    await system.stop();
  }
  if (!env) throw new Error('the environment was not described');
  env.machine.loadAverageAfter = loadAverage();
  const meta = {
    startedAt: startedAt.toISOString(),
    finishedAt: new Date().toISOString(),
    quick: opts.quick,
    commit,
  };
  const targets = sections.flatMap((s) => s.targets.map((t) => ({ section: s.title, ...t })));
  const markdown = [
    header(env, meta),
    '',
    '## Targets',
    '',
    '| section | target | wanted | measured | met |',
    '| --- | --- | ---: | ---: | :---: |',
    ...targets.map(
      (t) =>
        `| ${t.section.split(':')[0]} | ${t.name} | ${t.target} | ${t.measured} | ${t.met ? 'yes' : '**no**'} |`,
    ),
    '',
    ...sections.flatMap((s) => [
      `## ${s.title}`,
      '',
      s.markdown,
      '',
      `_Section time: ${s.seconds.toFixed(0)} s; load average (1, 5, 15 min) ${s.load[0]?.join(', ')} at its start, ${s.load[1]?.join(', ')} at its end._`,
      '',
    ]),
  ].join('\n');
  for (const s of sections) for (const c of s.charts) fs.writeFileSync(path.join(outDir, c.file), c.svg);
  fs.writeFileSync(path.join(outDir, 'report.md'), markdown);
  fs.writeFileSync(
    path.join(outDir, 'report.json'),
    JSON.stringify(
      {
        ...meta,
        environment: env,
        sections: sections.map((s) => ({
          id: s.id,
          title: s.title,
          seconds: s.seconds,
          loadAverage: { start: s.load[0], end: s.load[1] },
          ...(s.error ? { error: s.error } : {}),
          targets: s.targets,
          charts: s.charts.map((c) => c.file),
          data: s.data,
        })),
      },
      null,
      2,
    ) + '\n',
  );
  // latest/ is the last full run: a quick run is a smoke test, kept only under its own (ignored) folder
  const latest = path.join(RESULTS, 'latest');
  if (!opts.quick) {
    fs.rmSync(latest, { recursive: true, force: true });
    fs.cpSync(outDir, latest, { recursive: true });
  }
  console.log(
    `[bench] report: ${path.relative(process.cwd(), path.join(outDir, 'report.md'))}${opts.quick ? '' : ' (also bench/results/latest/)'}`,
  );
  process.exit(sections.some((s) => s.error) ? 1 : 0);
}

main().catch((err: unknown) => {
  console.error(`[bench] ${(err as Error).stack ?? String(err)}`);
  process.exit(1);
});
