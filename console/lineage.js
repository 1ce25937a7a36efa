/**
 * The lineage picture: GET /v1/lineage's nodes drawn as an SVG graph, one column per node kind
 * (event → workflows → effects → outbound events → deliveries), each column in time order, and an
 * arrow from every parent to its child. Pure (no DOM): it returns the SVG markup as a string, so it
 * runs in the page and in a Node test alike.
 */

export const LINEAGE_KINDS = ['event', 'workflow', 'effect', 'outbound', 'delivery'];
const KIND_TITLES = {
  event: 'Events',
  workflow: 'Workflows',
  effect: 'Effects',
  outbound: 'Outbound events',
  delivery: 'Deliveries',
};

const KIND_FILL = {
  event: '#e3efff',
  workflow: '#e8f7e8',
  effect: '#fff5dc',
  outbound: '#f3e8ff',
  delivery: '#ffe8e8',
};

const BOX_W = 210;
const BOX_H = 46;
const COL_GAP = 60;
const ROW_GAP = 14;
const TOP = 34;
const PAD = 10;

const escapeXml = (s) =>
  String(s).replace(
    /[&<>"']/g,
    (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c],
  );

const clip = (s, n) => (s.length > n ? `${s.slice(0, n - 1)}…` : s);

/** Node positions and the edges between them; columns only for kinds present. */
export function layoutLineage(answer) {
  const nodes = Array.isArray(answer?.nodes) ? answer.nodes : [];
  const kinds = LINEAGE_KINDS.filter((k) => nodes.some((n) => n.kind === k));
  const placed = new Map();
  const rows = new Map();
  for (const n of nodes) {
    const col = kinds.indexOf(n.kind);
    if (col < 0) continue;
    const row = rows.get(n.kind) ?? 0;
    rows.set(n.kind, row + 1);
    placed.set(n.id, {
      node: n,
      col,
      row,
      x: PAD + col * (BOX_W + COL_GAP),
      y: TOP + row * (BOX_H + ROW_GAP),
    });
  }
  const edges = [];
  for (const p of placed.values()) {
    for (const parentId of p.node.parents ?? []) {
      const parent = placed.get(parentId);
      if (parent) edges.push({ from: parentId, to: p.node.id, parent, child: p });
    }
  }
  const maxRows = Math.max(1, ...rows.values());
  return {
    kinds,
    nodes: [...placed.values()],
    edges,
    width: PAD * 2 + Math.max(1, kinds.length) * BOX_W + Math.max(0, kinds.length - 1) * COL_GAP,
    height: TOP + maxRows * (BOX_H + ROW_GAP) + PAD,
  };
}

/** What a node says on its second line. */
function subline(n) {
  const d = n.detail ?? {};
  switch (n.kind) {
    case 'event':
      return d.routing?.status ? `routing ${d.routing.status}` : (d.type ?? '');
    case 'workflow':
      return d.status ?? d.type ?? '';
    case 'effect':
      return `${d.operation ?? ''} ${d.table ?? ''}`.trim();
    case 'outbound':
      return d.type ?? '';
    case 'delivery':
      return `${d.channel ?? ''} ${d.status ?? ''}${d.attempts ? ` ×${d.attempts}` : ''}`.trim();
    default:
      return '';
  }
}

/** The lineage answer as an SVG document (a string). */
export function lineageSvg(answer) {
  const layout = layoutLineage(answer);
  if (layout.nodes.length === 0) {
    return '<svg xmlns="http://www.w3.org/2000/svg" class="lineage" width="320" height="40" role="img" aria-label="no lineage"><text x="10" y="24">Nothing recorded for this key.</text></svg>';
  }
  const parts = [];
  parts.push(
    `<svg xmlns="http://www.w3.org/2000/svg" class="lineage" font-family="system-ui, sans-serif" width="${layout.width}" height="${layout.height}" viewBox="0 0 ${layout.width} ${layout.height}" role="img" aria-label="lineage graph">`,
  );
  parts.push(
    '<defs><marker id="lineage-arrow" viewBox="0 0 10 10" refX="10" refY="5" markerWidth="7" markerHeight="7" orient="auto-start-reverse"><path d="M0,0 L10,5 L0,10 z" fill="#667"/></marker></defs>',
  );
  layout.kinds.forEach((k, col) => {
    const x = PAD + col * (BOX_W + COL_GAP);
    parts.push(
      `<text class="col-title" x="${x}" y="18" font-size="13" font-weight="bold">${escapeXml(KIND_TITLES[k])}</text>`,
    );
  });
  for (const e of layout.edges) {
    const x1 = e.parent.x + BOX_W;
    const y1 = e.parent.y + BOX_H / 2;
    const x2 = e.child.x;
    const y2 = e.child.y + BOX_H / 2;
    const bend = Math.max(30, Math.abs(x2 - x1) / 2);
    parts.push(
      `<path class="edge" data-from="${escapeXml(e.from)}" data-to="${escapeXml(e.to)}" d="M${x1},${y1} C${x1 + bend},${y1} ${x2 - bend},${y2} ${x2},${y2}" fill="none" stroke="#667" stroke-width="1.3" marker-end="url(#lineage-arrow)"/>`,
    );
  }
  for (const p of layout.nodes) {
    const n = p.node;
    const details = clip(JSON.stringify(n.detail ?? {}), 600);
    const box =
      `<g class="node kind-${escapeXml(n.kind)}" data-id="${escapeXml(n.id)}" transform="translate(${p.x},${p.y})">` +
      `<title>${escapeXml(`${n.label}\n${n.at}\n${n.id}\n${details}`)}</title>` +
      `<rect width="${BOX_W}" height="${BOX_H}" rx="6" ry="6" fill="${KIND_FILL[n.kind] ?? '#eee'}" stroke="#889"/>` +
      `<text x="8" y="18" font-size="12">${escapeXml(clip(n.label ?? n.id, 32))}</text>` +
      `<text x="8" y="36" font-size="11" class="sub">${escapeXml(clip(subline(n), 34))}</text>` +
      '</g>';
    // a workflow opens its execution in the Temporal Web UI
    const link = n.kind === 'workflow' ? n.detail?.links?.temporalUi : undefined;
    parts.push(
      typeof link === 'string' && /^https?:\/\//.test(link)
        ? `<a href="${escapeXml(link)}" target="_blank" rel="noopener">${box}</a>`
        : box,
    );
  }
  parts.push('</svg>');
  return parts.join('');
}
