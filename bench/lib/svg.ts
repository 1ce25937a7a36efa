/**
 * Dependency-free SVG charts for the benchmark report: latency histograms and grouped bars, and for
 * the batch sections durations on a log scale (milliseconds to hours) and horizontal duration bars.
 */
import { histogram, human, logBounds, percentile, type Bucket } from './stats';

const COLOURS = ['#2f6db5', '#e07b28', '#3a9a4f', '#b8433f', '#7a5bb0'];
const FONT = 'font-family="system-ui, sans-serif" font-size="11"';

const esc = (s: string): string =>
  s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;');
const num = (v: number): string => (Math.round(v * 10) / 10).toString();
const label = (v: number): string => (v >= 1000 ? `${v / 1000}s` : `${v}`);

/** Rounds up to a readable axis maximum (1, 2, 2.5, 5 x 10^n). */
function niceMax(v: number): number {
  if (v <= 0) return 1;
  const p = 10 ** Math.floor(Math.log10(v));
  for (const m of [1, 2, 2.5, 5, 10]) if (m * p >= v) return m * p;
  return 10 * p;
}

function frame(width: number, height: number, title: string, body: string[]): string {
  return [
    `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}" viewBox="0 0 ${width} ${height}" ${FONT}>`,
    `<rect width="${width}" height="${height}" fill="#fff"/>`,
    `<text x="${width / 2}" y="18" text-anchor="middle" font-size="13" font-weight="bold">${esc(title)}</text>`,
    ...body,
    '</svg>',
    '',
  ].join('\n');
}

function legend(names: string[], x: number, y: number): string[] {
  return names.flatMap((n, i) => [
    `<rect x="${x}" y="${y + i * 15 - 9}" width="10" height="10" fill="${COLOURS[i % COLOURS.length]}"/>`,
    `<text x="${x + 14}" y="${y + i * 15}">${esc(n)}</text>`,
  ]);
}

export interface HistogramSeries {
  name: string;
  /** Samples in milliseconds. */
  samples: number[];
}

/**
 * A latency histogram over log-ish buckets (1, 1.5, 2, 3, 5, 7 per decade), one bar per series per bucket, with
 * dashed p50, p95 and p99 markers per series (placed by log interpolation within their bucket).
 */
export function histogramSvg(opts: { title: string; series: HistogramSeries[]; xLabel?: string }): string {
  const width = 720;
  const height = 320;
  const left = 50;
  const right = 170;
  const top = 34;
  const bottom = 50;
  const plotW = width - left - right;
  const plotH = height - top - bottom;
  const all = opts.series.flatMap((s) => s.samples);
  if (all.length === 0)
    return frame(width, height, opts.title, [`<text x="${left}" y="60">no samples</text>`]);
  const bounds = logBounds(Math.min(...all), Math.max(...all));
  const perSeries = opts.series.map((s) => histogram(s.samples, bounds));
  const nBuckets = Math.max(...perSeries.map((b) => b.length));
  const buckets: Bucket[] = (perSeries.find((b) => b.length === nBuckets) ?? []).map((b) => ({ ...b }));
  const shares = perSeries.map((bs, i) =>
    Array.from(
      { length: nBuckets },
      (_, k) => (bs[k]?.count ?? 0) / Math.max(1, opts.series[i]!.samples.length),
    ),
  );
  const yMax = niceMax(Math.max(...shares.flat()));
  const slot = plotW / nBuckets;
  const barW = (slot * 0.8) / opts.series.length;
  const body: string[] = [];
  // axes and grid
  for (let t = 0; t <= 4; t++) {
    const y = top + plotH - (t / 4) * plotH;
    body.push(`<line x1="${left}" x2="${left + plotW}" y1="${num(y)}" y2="${num(y)}" stroke="#ddd"/>`);
    body.push(
      `<text x="${left - 4}" y="${num(y + 4)}" text-anchor="end">${Math.round((yMax * t * 100) / 4)}%</text>`,
    );
  }
  body.push(`<line x1="${left}" x2="${left}" y1="${top}" y2="${top + plotH}" stroke="#333"/>`);
  body.push(
    `<line x1="${left}" x2="${left + plotW}" y1="${top + plotH}" y2="${top + plotH}" stroke="#333"/>`,
  );
  buckets.forEach((b, k) => {
    const x = left + k * slot;
    body.push(`<text x="${num(x)}" y="${top + plotH + 14}" text-anchor="middle">${label(b.from)}</text>`);
  });
  body.push(
    `<text x="${left + plotW / 2}" y="${height - 12}" text-anchor="middle">${esc(opts.xLabel ?? 'latency, ms (log-spaced buckets)')}</text>`,
  );
  // bars
  shares.forEach((sh, i) => {
    sh.forEach((share, k) => {
      if (share === 0) return;
      const h = (share / yMax) * plotH;
      const x = left + k * slot + slot * 0.1 + i * barW;
      body.push(
        `<rect x="${num(x)}" y="${num(top + plotH - h)}" width="${num(barW)}" height="${num(h)}" fill="${COLOURS[i % COLOURS.length]}" fill-opacity="0.85"/>`,
      );
    });
  });
  // percentile markers
  const position = (v: number): number => {
    const k = buckets.findIndex((b) => v >= b.from && v < b.to);
    const b = buckets[k < 0 ? buckets.length - 1 : k] as Bucket;
    const idx = k < 0 ? buckets.length - 1 : k;
    const to = Number.isFinite(b.to) ? b.to : b.from * 2;
    const from = b.from > 0 ? b.from : to / 2;
    const frac = v <= from ? 0 : Math.min(1, Math.log(v / from) / Math.log(to / from));
    return left + (idx + frac) * slot;
  };
  const legendLines: string[][] = [];
  opts.series.forEach((s, i) => {
    if (s.samples.length === 0) return;
    const sorted = [...s.samples].sort((a, b) => a - b);
    const colour = COLOURS[i % COLOURS.length];
    for (const [p, dash] of [
      [50, '4 2'],
      [95, '2 2'],
      [99, '1 3'],
    ] as const) {
      const x = position(percentile(sorted, p));
      body.push(
        `<line x1="${num(x)}" x2="${num(x)}" y1="${top}" y2="${top + plotH}" stroke="${colour}" stroke-dasharray="${dash}" stroke-width="1.5"/>`,
      );
      body.push(
        `<text x="${num(x + 2)}" y="${top + 10 + i * 11}" fill="${colour}" font-size="9">p${p}</text>`,
      );
    }
    legendLines.push([
      `${s.name}:`,
      ...([50, 95, 99] as const).map((p) => `  p${p} ${percentile(sorted, p).toFixed(1)} ms`),
    ]);
  });
  body.push(
    ...legend(
      opts.series.map((s) => s.name),
      left + plotW + 10,
      top + 10,
    ),
  );
  let y = top + 20 + opts.series.length * 15;
  for (const l of legendLines) {
    for (const part of l) {
      body.push(`<text x="${left + plotW + 10}" y="${y}" font-size="9">${esc(part)}</text>`);
      y += 11;
    }
    y += 6;
  }
  return frame(width, height, opts.title, body);
}

/** Grouped bars: one group per category (for example a concurrency), one bar per series. */
export function barChartSvg(opts: {
  title: string;
  categories: string[];
  series: { name: string; values: number[] }[];
  yLabel: string;
  xLabel?: string;
}): string {
  const width = 720;
  const height = 320;
  const left = 64;
  const right = 150;
  const top = 34;
  const bottom = 50;
  const plotW = width - left - right;
  const plotH = height - top - bottom;
  const yMax = niceMax(Math.max(0, ...opts.series.flatMap((s) => s.values.filter(Number.isFinite))));
  const slot = plotW / Math.max(1, opts.categories.length);
  const barW = (slot * 0.7) / Math.max(1, opts.series.length);
  const body: string[] = [];
  for (let t = 0; t <= 4; t++) {
    const y = top + plotH - (t / 4) * plotH;
    body.push(`<line x1="${left}" x2="${left + plotW}" y1="${num(y)}" y2="${num(y)}" stroke="#ddd"/>`);
    body.push(
      `<text x="${left - 4}" y="${num(y + 4)}" text-anchor="end">${Number(((yMax * t) / 4).toPrecision(3))}</text>`,
    );
  }
  body.push(`<line x1="${left}" x2="${left}" y1="${top}" y2="${top + plotH}" stroke="#333"/>`);
  body.push(
    `<line x1="${left}" x2="${left + plotW}" y1="${top + plotH}" y2="${top + plotH}" stroke="#333"/>`,
  );
  body.push(
    `<text transform="translate(14 ${top + plotH / 2}) rotate(-90)" text-anchor="middle">${esc(opts.yLabel)}</text>`,
  );
  opts.categories.forEach((c, k) => {
    body.push(
      `<text x="${num(left + k * slot + slot / 2)}" y="${top + plotH + 14}" text-anchor="middle">${esc(c)}</text>`,
    );
  });
  if (opts.xLabel)
    body.push(
      `<text x="${left + plotW / 2}" y="${height - 12}" text-anchor="middle">${esc(opts.xLabel)}</text>`,
    );
  opts.series.forEach((s, i) => {
    s.values.forEach((v, k) => {
      if (!Number.isFinite(v)) return;
      const h = (v / yMax) * plotH;
      const x = left + k * slot + slot * 0.15 + i * barW;
      body.push(
        `<rect x="${num(x)}" y="${num(top + plotH - h)}" width="${num(barW)}" height="${num(h)}" fill="${COLOURS[i % COLOURS.length]}"/>`,
      );
      body.push(
        `<text x="${num(x + barW / 2)}" y="${num(top + plotH - h - 3)}" text-anchor="middle" font-size="9">${Number(v.toPrecision(3))}</text>`,
      );
    });
  });
  body.push(
    ...legend(
      opts.series.map((s) => s.name),
      left + plotW + 10,
      top + 10,
    ),
  );
  return frame(width, height, opts.title, body);
}

/**
 * A histogram of durations (ms) on a log-scale x axis, one outlined series per name, bins of equal
 * width in log10 (5 per decade); the y axis counts events per bin.
 */
export function logHistogramSvg(title: string, series: { name: string; values: number[] }[]): string {
  // width, height, and the margins left, right, top and bottom
  const [W, H, L, R, T, B] = [820, 340, 56, 16, 36, 64];
  const all = series.flatMap((s) => s.values).filter((v) => v > 0);
  const lo = Math.floor(Math.log10(Math.max(1, Math.min(...all, 1e12))));
  const hi = Math.max(lo + 1, Math.ceil(Math.log10(Math.max(...all, 10))));
  const perDecade = 5;
  const nBins = (hi - lo) * perDecade;
  const bins = series.map((s) => {
    const b = new Array<number>(nBins).fill(0);
    for (const v of s.values) {
      const k = Math.floor((Math.log10(Math.max(v, 10 ** lo)) - lo) * perDecade);
      b[Math.min(nBins - 1, Math.max(0, k))]! += 1;
    }
    return b;
  });
  const yMax = Math.max(1, ...bins.flat());
  const x = (logv: number) => L + ((logv - lo) / (hi - lo)) * (W - L - R);
  const y = (n: number) => H - B - (n / yMax) * (H - T - B);
  const parts: string[] = [
    `<line x1="${L}" y1="${H - B}" x2="${W - R}" y2="${H - B}" stroke="black"/>`,
    `<line x1="${L}" y1="${T}" x2="${L}" y2="${H - B}" stroke="black"/>`,
  ];
  for (let d = lo; d <= hi; d++) {
    parts.push(
      `<line x1="${x(d)}" y1="${H - B}" x2="${x(d)}" y2="${H - B + 5}" stroke="black"/>`,
      `<text x="${x(d)}" y="${H - B + 17}" text-anchor="middle">${esc(human(10 ** d))}</text>`,
    );
  }
  for (const f of [0, 0.5, 1]) {
    const n = Math.round(yMax * f);
    parts.push(`<text x="${L - 6}" y="${y(n) + 4}" text-anchor="end">${n}</text>`);
  }
  parts.push(
    `<text x="${W / 2}" y="${H - B + 34}" text-anchor="middle">time to consistent state (log scale)</text>`,
    `<text x="14" y="${(T + H - B) / 2}" text-anchor="middle" transform="rotate(-90 14 ${(T + H - B) / 2})">events per bin</text>`,
  );
  bins.forEach((b, si) => {
    const c = COLOURS[si % COLOURS.length];
    let d = `M ${x(lo)} ${y(0)}`;
    b.forEach((n, k) => {
      const x0 = x(lo + k / perDecade);
      const x1 = x(lo + (k + 1) / perDecade);
      d += ` L ${x0.toFixed(1)} ${y(n).toFixed(1)} L ${x1.toFixed(1)} ${y(n).toFixed(1)}`;
    });
    d += ` L ${x(hi)} ${y(0)}`;
    parts.push(`<path d="${d}" fill="${c}" fill-opacity="0.18" stroke="${c}" stroke-width="1.5"/>`);
    parts.push(
      `<rect x="${L + 10 + si * 185}" y="${H - 20}" width="10" height="10" fill="${c}"/>`,
      `<text x="${L + 24 + si * 185}" y="${H - 11}">${esc(series[si]!.name)} (n=${series[si]!.values.length})</text>`,
    );
  });
  return frame(W, H, title, parts);
}

/** Horizontal bars (seconds), e.g. a time per variant; the value is written next to each bar. */
export function barsSvg(title: string, bars: { name: string; ms: number }[], unit = 's'): string {
  const W = 760;
  const rowH = 26;
  const L = 300;
  const H = 40 + bars.length * rowH + 10;
  const max = Math.max(1, ...bars.map((b) => b.ms));
  const parts: string[] = [];
  bars.forEach((b, i) => {
    const yy = 34 + i * rowH;
    const w = ((W - L - 90) * b.ms) / max;
    parts.push(
      `<text x="${L - 8}" y="${yy + 14}" text-anchor="end">${esc(b.name)}</text>`,
      `<rect x="${L}" y="${yy + 3}" width="${w.toFixed(1)}" height="${rowH - 8}" fill="${COLOURS[i % 2]}"/>`,
      `<text x="${L + w + 6}" y="${yy + 14}">${unit === 's' ? human(b.ms) : `${b.ms}`}</text>`,
    );
  });
  return frame(W, H, title, parts);
}
