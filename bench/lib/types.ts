/** The contract between the benchmark runner (bench/run.ts) and its sections (bench/sections/*.ts). */

export interface BenchContext {
  baseUrl: string;
  apiKey?: string;
  temporalAddress: string;
  namespace: string;
  taskQueuePrefix: string;
  databaseUrl: string;
  outDir: string;
  /** Small sizes for a smoke run. */
  quick: boolean;
}

export interface BenchSection {
  id: string;
  title: string;
  markdown: string;
  data: unknown;
  charts: { file: string; svg: string }[];
  targets: { name: string; target: string; measured: string; met: boolean }[];
}
