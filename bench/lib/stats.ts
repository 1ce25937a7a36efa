/** Percentiles, summaries and histograms of latency samples (milliseconds). */

export interface Summary {
  count: number;
  min: number;
  mean: number;
  p50: number;
  p95: number;
  p99: number;
  max: number;
}

/** The p-th percentile (0..100) of ascending samples, nearest rank; NaN for none. */
export function percentile(sorted: readonly number[], p: number): number {
  if (sorted.length === 0) return NaN;
  const rank = Math.ceil((p / 100) * sorted.length);
  return sorted[Math.min(sorted.length, Math.max(1, rank)) - 1] as number;
}

export function summarize(samples: readonly number[]): Summary {
  const sorted = [...samples].sort((a, b) => a - b);
  const sum = sorted.reduce((a, b) => a + b, 0);
  return {
    count: sorted.length,
    min: sorted.length ? (sorted[0] as number) : NaN,
    mean: sorted.length ? sum / sorted.length : NaN,
    p50: percentile(sorted, 50),
    p95: percentile(sorted, 95),
    p99: percentile(sorted, 99),
    max: sorted.length ? (sorted[sorted.length - 1] as number) : NaN,
  };
}

export interface Bucket {
  /** Lower bound, inclusive (ms). */
  from: number;
  /** Upper bound, exclusive (ms); Infinity for the last. */
  to: number;
  count: number;
}

/**
 * Log-ish bucket bounds (1, 1.5, 2, 3, 5, 7 per decade: 0.1, 0.15, ... 1, 1.5, 2, 3, 5, 7, 10 ms ...) covering the samples;
 * the first bucket starts at 0 and the last is open.
 */
export function logBounds(min: number, max: number): number[] {
  const bounds: number[] = [];
  let decade = 0.1;
  while (decade * 10 <= Math.max(min, 0.1)) decade *= 10;
  for (; ; decade *= 10) {
    for (const m of [1, 1.5, 2, 3, 5, 7]) {
      const b = Number((decade * m).toPrecision(3));
      if (b > Math.max(min, 0.1) / 2) bounds.push(b);
      if (b > max) return bounds;
    }
  }
}

/** Counts samples per log-ish bucket. Every sample lands in exactly one bucket. */
export function histogram(samples: readonly number[], bounds?: number[]): Bucket[] {
  if (samples.length === 0) return [];
  const sorted = [...samples].sort((a, b) => a - b);
  const edges = bounds ?? logBounds(sorted[0] as number, sorted[sorted.length - 1] as number);
  const buckets: Bucket[] = [];
  let from = 0;
  for (const to of edges) {
    buckets.push({ from, to, count: 0 });
    from = to;
  }
  buckets.push({ from, to: Infinity, count: 0 });
  for (const s of sorted) {
    const bucket = buckets.find((b) => s >= b.from && s < b.to) as Bucket;
    bucket.count++;
  }
  // drop empty buckets at the open end, keep the shape elsewhere
  while (buckets.length > 1 && (buckets[buckets.length - 1] as Bucket).count === 0) buckets.pop();
  return buckets;
}

/** A duration in ms for reports: 0.42 ms, 3.1 ms, 120 ms. */
export function ms(v: number): string {
  if (!Number.isFinite(v)) return 'n/a';
  const a = Math.abs(v);
  return a < 1 ? v.toFixed(2) : a < 10 ? v.toFixed(1) : Math.round(v).toString();
}

/** A rate for reports, rounded to 3 significant figures (but whole numbers above 1000). */
export function rate(v: number): string {
  if (!Number.isFinite(v)) return 'n/a';
  return v >= 1000 ? Math.round(v).toLocaleString('en-US') : Number(v.toPrecision(3)).toString();
}

/** A duration for people: ms below 1 s, s below 2 min, else min / h. */
export function human(ms: number): string {
  if (!Number.isFinite(ms)) return '–';
  if (ms < 1000) return `${Math.round(ms)} ms`;
  if (ms < 120_000) return `${(ms / 1000).toFixed(ms < 10_000 ? 2 : 1)} s`;
  if (ms < 2 * 3600_000) return `${(ms / 60_000).toFixed(1)} min`;
  return `${(ms / 3600_000).toFixed(1)} h`;
}
