/**
 * The console's lineage picture, drawn from a fixture in the shape of GET /v1/lineage (the shared
 * contract): console/lineage.js is a browser ES module without DOM use, so Node imports and renders
 * it here. The SVG is also written to test/artifacts/console/lineage-fixture.svg for review.
 */
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { pathToFileURL } from 'node:url';

const MODULE = pathToFileURL(path.resolve(__dirname, '..', '..', 'console', 'lineage.js')).href;
const ARTIFACT = path.resolve(__dirname, '..', 'artifacts', 'console', 'lineage-fixture.svg');

interface LayoutOut {
  svg: string;
  layout: {
    kinds: string[];
    nodes: { id: string; col: number; row: number }[];
    edges: { from: string; to: string }[];
  };
}

/** Runs the browser module in a Node child (ES module) and answers its SVG and layout. */
function draw(answer: unknown): LayoutOut {
  const script = `
    import { lineageSvg, layoutLineage } from ${JSON.stringify(MODULE)};
    const answer = JSON.parse(process.argv[1]);
    const layout = layoutLineage(answer);
    process.stdout.write(JSON.stringify({
      svg: lineageSvg(answer),
      layout: {
        kinds: layout.kinds,
        nodes: layout.nodes.map((p) => ({ id: p.node.id, col: p.col, row: p.row })),
        edges: layout.edges.map((e) => ({ from: e.from, to: e.to })),
      },
    }));`;
  const out = execFileSync(process.execPath, ['--input-type=module', '-e', script, JSON.stringify(answer)], {
    encoding: 'utf8',
  });
  return JSON.parse(out) as LayoutOut;
}

const at = (s: number) => new Date(Date.UTC(2026, 10, 27, 10, 0, s)).toISOString();

/** An order placed and invoiced: event → workflow → effects → outbound event → webhook delivery. */
const fixture = {
  query: { source: 'shop/eu', eventId: 'evt-1' },
  correlationIds: ['O-1001'],
  nodes: [
    {
      id: 'event:shop/eu/evt-1',
      kind: 'event',
      at: at(0),
      parents: [],
      label: 'order.placed O-1001',
      detail: {
        source: 'shop/eu',
        eventId: 'evt-1',
        type: 'order.placed',
        subject: 'O-1001',
        correlationId: 'O-1001',
        routing: { status: 'delivered', workflowId: 'order-O-1001' },
      },
    },
    {
      id: 'workflow:order-O-1001/run-1',
      kind: 'workflow',
      at: at(1),
      parents: ['event:shop/eu/evt-1'],
      label: 'orderWorkflow order-O-1001',
      detail: {
        workflowId: 'order-O-1001',
        runId: 'run-1',
        type: 'orderWorkflow',
        status: 'RUNNING',
        links: { temporalUi: 'http://localhost:8233/x' },
      },
    },
    {
      id: 'effect:1',
      kind: 'effect',
      at: at(2),
      parents: ['workflow:order-O-1001/run-1'],
      label: 'reservations <SKU-1> & co',
      detail: {
        table: 'reservations',
        key: 'O-1001/1',
        operation: 'insert',
        changes: { quantity: { from: null, to: 2 } },
        activity: 'reserveStock',
        workflowId: 'order-O-1001',
      },
    },
    {
      id: 'effect:2',
      kind: 'effect',
      at: at(3),
      parents: ['workflow:order-O-1001/run-1'],
      label: 'invoices INV-O-1001',
      detail: {
        table: 'invoices',
        key: 'INV-O-1001',
        operation: 'insert',
        changes: {},
        activity: 'issueInvoice',
        workflowId: 'order-O-1001',
      },
    },
    {
      id: 'outbound:42',
      kind: 'outbound',
      at: at(3),
      parents: ['effect:2'],
      label: 'invoice.issued INV-O-1001',
      detail: { outboxId: '42', type: 'invoice.issued', subject: 'INV-O-1001' },
    },
    {
      id: 'delivery:7',
      kind: 'delivery',
      at: at(4),
      parents: ['outbound:42', 'node:unknown'],
      label: 'webhook https://erp.example/hook',
      detail: { channel: 'webhook', target: 'https://erp.example/hook', status: 'delivered', attempts: 1 },
    },
  ],
};

describe('the lineage picture', () => {
  const { svg, layout } = draw(fixture);

  afterAll(() => {
    fs.mkdirSync(path.dirname(ARTIFACT), { recursive: true });
    fs.writeFileSync(ARTIFACT, svg);
  });

  it('puts each kind in its own column, in the contract’s order, nodes in time order', () => {
    expect(layout.kinds).toEqual(['event', 'workflow', 'effect', 'outbound', 'delivery']);
    expect(layout.nodes.map((n) => [n.id, n.col, n.row])).toEqual([
      ['event:shop/eu/evt-1', 0, 0],
      ['workflow:order-O-1001/run-1', 1, 0],
      ['effect:1', 2, 0],
      ['effect:2', 2, 1],
      ['outbound:42', 3, 0],
      ['delivery:7', 4, 0],
    ]);
  });

  it('draws one arrow per known parent, ignoring parents not in the answer', () => {
    expect(layout.edges).toEqual([
      { from: 'event:shop/eu/evt-1', to: 'workflow:order-O-1001/run-1' },
      { from: 'workflow:order-O-1001/run-1', to: 'effect:1' },
      { from: 'workflow:order-O-1001/run-1', to: 'effect:2' },
      { from: 'effect:2', to: 'outbound:42' },
      { from: 'outbound:42', to: 'delivery:7' },
    ]);
    expect(svg.match(/<path class="edge"/g)).toHaveLength(5);
    expect(svg.match(/<g class="node /g)).toHaveLength(6);
  });

  it('is a well-formed SVG document with labels escaped and details on hover', () => {
    expect(svg.startsWith('<svg xmlns="http://www.w3.org/2000/svg"')).toBe(true);
    expect(svg.endsWith('</svg>')).toBe(true);
    expect(svg).toContain('reservations &lt;SKU-1&gt; &amp; co');
    expect(svg).not.toContain('<SKU-1>');
    expect(svg).toContain('routing delivered');
    expect(svg).toContain('insert invoices');
    expect(svg).toContain('webhook delivered ×1');
    // the workflow box opens its execution in the Temporal Web UI
    expect(svg).toContain(
      '<a href="http://localhost:8233/x" target="_blank" rel="noopener"><g class="node kind-workflow"',
    );
    for (const title of ['Events', 'Workflows', 'Effects', 'Outbound events', 'Deliveries']) {
      expect(svg).toContain(`>${title}</text>`);
    }
  });

  it('says so when the answer holds no nodes', () => {
    expect(draw({ query: { orderId: 'O-0' }, correlationIds: [], nodes: [] }).svg).toContain(
      'Nothing recorded for this key.',
    );
  });
});
