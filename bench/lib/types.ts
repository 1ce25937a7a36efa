/**
 * The contract between the benchmark runner (bench/run.ts) and its sections (bench/sections/<name>.ts).
 * A section module exports `run(ctx: BenchContext): Promise<BenchSection>`.
 */

/** What one section measured: its part of the report, its raw figures, its charts and its targets. */
export type BenchSection = {
  id: string;
  title: string;
  markdown: string;
  data: unknown;
  charts: { file: string; svg: string }[];
  targets: { name: string; target: string; measured: string; met: boolean }[];
};

/** The running system a section drives (started by the runner the way the quick start does). */
export type BenchContext = {
  baseUrl: string;
  apiKey?: string;
  temporalAddress: string;
  namespace: string;
  taskQueuePrefix: string;
  databaseUrl: string;
  outDir: string;
  /** Small sizes for a smoke run. */
  quick: boolean;
};
