/**
 * `npx tsx scripts/bench/sections.ts <section…> [--quick]`: runs benchmark sections (bench/sections/
 * <name>.ts) without the whole runner, against services started like the tests' (an embedded
 * Postgres and a Temporal dev server, test/support/infrastructure.ts), and writes each section's
 * markdown, JSON and charts to bench/results/<id>-<timestamp>.*. With BENCH_BASE_URL (a running
 * system, e.g. `npm start`), its BENCH_DATABASE_URL and BENCH_TEMPORAL_ADDRESS are used instead
 * (sections that need the HTTP API, event-vs-batch, need this). For development and reruns of one
 * section; `npm run bench` runs them all.
 */
import fs from 'node:fs';
import path from 'node:path';
import { randomUUID } from 'node:crypto';
import type { BenchContext, BenchSection } from '../../bench/lib/types';
import { installSdkLogging } from '../../workers/worker';
import { startInfrastructure } from '../../test/support/infrastructure';
import { withDatabase } from '../../db/embedded';

async function main(): Promise<void> {
  const names = process.argv.slice(2).filter((a) => !a.startsWith('--'));
  const quick = process.argv.includes('--quick');
  installSdkLogging('error');
  const external = process.env.BENCH_BASE_URL;
  const infra = external ? null : await startInfrastructure((line) => console.log(line));
  const outDir = path.resolve(__dirname, '..', '..', 'bench', 'results');
  fs.mkdirSync(outDir, { recursive: true });
  const ctx: BenchContext = {
    baseUrl: external ?? '',
    ...(process.env.BENCH_API_KEY ? { apiKey: process.env.BENCH_API_KEY } : {}),
    temporalAddress: infra?.context.temporalAddress ?? process.env.BENCH_TEMPORAL_ADDRESS ?? '127.0.0.1:7233',
    namespace: infra?.context.namespace ?? process.env.BENCH_NAMESPACE ?? 'default',
    taskQueuePrefix: `bench-${randomUUID().slice(0, 8)}`,
    databaseUrl: infra
      ? withDatabase(infra.context.adminUrl, infra.context.templateDatabase)
      : (process.env.BENCH_DATABASE_URL ?? ''),
    outDir,
    quick,
  };
  try {
    for (const name of names) {
      const mod = (await import(`../../bench/sections/${name}`)) as {
        run(ctx: BenchContext): Promise<BenchSection>;
      };
      const section = await mod.run(ctx);
      const stamp = new Date().toISOString().replace(/[:.]/g, '-');
      const base = path.join(outDir, `${section.id}-${stamp}${quick ? '-quick' : ''}`);
      const targets = section.targets
        .map((t) => `| ${t.name} | ${t.target} | ${t.measured} | ${t.met ? 'met' : 'not met'} |`)
        .join('\n');
      const md = `# ${section.title}\n\n${stamp}${quick ? ' (quick)' : ''}\n\n| target | wanted | measured | |\n|---|---|---|---|\n${targets}\n\n${section.markdown}\n${section.charts.map((c) => `![${c.file}](${path.basename(base)}-${c.file})`).join('\n')}\n`;
      fs.writeFileSync(`${base}.md`, md);
      fs.writeFileSync(`${base}.json`, JSON.stringify(section.data, null, 2) + '\n');
      for (const c of section.charts) fs.writeFileSync(`${base}-${c.file}`, c.svg);
      console.log(md);
    }
  } finally {
    await infra?.stop();
  }
}

main().catch((err: unknown) => {
  console.error(err);
  process.exit(1);
});
