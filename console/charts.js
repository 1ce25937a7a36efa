/** Small SVG charts as strings (no DOM): vertical bars and stacked bars with a legend. */

const esc = (s) =>
  String(s).replace(
    /[&<>"']/g,
    (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c],
  );

export const PALETTE = ['#3b6fd8', '#e0903a', '#3aa76d', '#c9485b', '#8a5cc7', '#2aa3b5', '#b5a22a', '#777'];

/** A round upper bound for an axis: 1, 2 or 5 × 10^n at or above max. */
export function niceMax(max) {
  if (max <= 0) return 1;
  const p = 10 ** Math.floor(Math.log10(max));
  return [1, 2, 5, 10].map((m) => m * p).find((v) => v >= max);
}

/**
 * Bars: `[{ label, value, text? }]` (text is shown above the bar; default the value). Options:
 * width, height, unit (axis note).
 */
export function barChart(
  bars,
  { width = 520, height = 220, unit = '', color = PALETTE[0], format = String } = {},
) {
  const left = 48;
  const bottom = 40;
  const top = 16;
  const plotH = height - top - bottom;
  const plotW = width - left - 10;
  const max = niceMax(Math.max(0, ...bars.map((b) => b.value)));
  const slot = plotW / Math.max(1, bars.length);
  const barW = Math.max(4, Math.min(60, slot * 0.7));
  const out = [
    `<svg xmlns="http://www.w3.org/2000/svg" class="chart" width="${width}" height="${height}" viewBox="0 0 ${width} ${height}" role="img">`,
    `<line x1="${left}" y1="${top + plotH}" x2="${width - 10}" y2="${top + plotH}" stroke="#999"/>`,
    `<text x="4" y="${top + 4}" font-size="11">${esc(format(max))}${unit ? ` ${esc(unit)}` : ''}</text>`,
    `<text x="4" y="${top + plotH}" font-size="11">0</text>`,
  ];
  bars.forEach((b, i) => {
    const h = max ? (b.value / max) * plotH : 0;
    const x = left + i * slot + (slot - barW) / 2;
    const y = top + plotH - h;
    out.push(
      `<g class="bar" data-label="${esc(b.label)}"><title>${esc(`${b.label}: ${b.text ?? b.value}`)}</title>` +
        `<rect x="${x.toFixed(1)}" y="${y.toFixed(1)}" width="${barW.toFixed(1)}" height="${h.toFixed(1)}" fill="${b.color ?? color}"/>` +
        `<text x="${(x + barW / 2).toFixed(1)}" y="${(y - 3).toFixed(1)}" font-size="10" text-anchor="middle">${esc(b.text ?? b.value)}</text>` +
        `<text x="${(x + barW / 2).toFixed(1)}" y="${top + plotH + 14}" font-size="10" text-anchor="middle">${esc(b.label)}</text></g>`,
    );
  });
  out.push('</svg>');
  return out.join('');
}

/**
 * Stacked bars: `columns` labels along x, `series` `[{ name, values[] }]` stacked per column, with a
 * legend. Labels are thinned out to fit.
 */
export function stackedBars(columns, series, { width = 720, height = 260 } = {}) {
  const left = 40;
  const bottom = 40;
  const top = 14;
  const legendW = 290;
  const plotW = width - left - legendW - 10;
  const plotH = height - top - bottom;
  const totals = columns.map((_, i) => series.reduce((s, x) => s + (x.values[i] ?? 0), 0));
  const max = niceMax(Math.max(0, ...totals));
  const slot = plotW / Math.max(1, columns.length);
  const barW = Math.max(2, slot * 0.8);
  const every = Math.max(1, Math.ceil(columns.length / 8));
  const out = [
    `<svg xmlns="http://www.w3.org/2000/svg" class="chart" width="${width}" height="${height}" viewBox="0 0 ${width} ${height}" role="img">`,
    `<line x1="${left}" y1="${top + plotH}" x2="${left + plotW}" y2="${top + plotH}" stroke="#999"/>`,
    `<text x="4" y="${top + 4}" font-size="11">${max}</text><text x="4" y="${top + plotH}" font-size="11">0</text>`,
  ];
  columns.forEach((label, i) => {
    let y = top + plotH;
    const x = left + i * slot + (slot - barW) / 2;
    series.forEach((s, k) => {
      const v = s.values[i] ?? 0;
      if (!v) return;
      const h = (v / max) * plotH;
      y -= h;
      out.push(
        `<rect x="${x.toFixed(1)}" y="${y.toFixed(1)}" width="${barW.toFixed(1)}" height="${h.toFixed(1)}" fill="${PALETTE[k % PALETTE.length]}"><title>${esc(`${label} ${s.name}: ${v}`)}</title></rect>`,
      );
    });
    if (i % every === 0) {
      out.push(
        `<text x="${(x + barW / 2).toFixed(1)}" y="${top + plotH + 14}" font-size="10" text-anchor="middle">${esc(label)}</text>`,
      );
    }
  });
  series.forEach((s, k) => {
    const y = top + 10 + k * 16;
    out.push(
      `<rect x="${left + plotW + 14}" y="${y - 9}" width="10" height="10" fill="${PALETTE[k % PALETTE.length]}"/>` +
        `<text x="${left + plotW + 28}" y="${y}" font-size="11">${esc(s.name)}</text>`,
    );
  });
  out.push('</svg>');
  return out.join('');
}
