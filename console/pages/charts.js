/** Charts: receivables ageing of the last report, events per minute by type, routing latency. */
import { useState } from 'preact/hooks';
import { html, useApi, Answer, money } from '../lib.js';
import { barChart, stackedBars } from '../charts.js';

const BUCKETS = [
  ['current', 'current'],
  ['days1to30', '1–30 d'],
  ['days31to60', '31–60 d'],
  ['days61to90', '61–90 d'],
  ['over90', '> 90 d'],
];

const Svg = ({ svg, testId }) =>
  html`<div class="chart-wrap" data-testid=${testId} dangerouslySetInnerHTML=${{ __html: svg }}></div>`;

function Ageing() {
  const { answer } = useApi('/v1/reports/receivables-ageing');
  let content;
  if (!answer) content = html`<p class="note">Loading…</p>`;
  else if (answer.status === 404)
    content = html`<p class="note">
      No receivables-ageing report yet: the nightly reconciliation stores one (Schedules in the README).
    </p>`;
  else if (!answer.ok) content = html`<${Answer} answer=${answer} />`;
  else
    content = html`<div>
      <p class="note">As of ${answer.body.asOf}${answer.body.runId ? ` (run ${answer.body.runId})` : ''}.</p>
      ${answer.body.currencies.length === 0 ? html`<p class="note">Nothing outstanding.</p>` : null}
      ${answer.body.currencies.map(
        (c) =>
          html`<div>
            <h4>${c.currency}: ${money(c.total, c.currency)} outstanding</h4>
            <${Svg}
              testId=${`ageing-${c.currency}`}
              svg=${barChart(
                BUCKETS.map(([k, label]) => ({
                  label,
                  value: c.buckets[k]?.amount ?? 0,
                  text: `${money(c.buckets[k]?.amount ?? 0)} (${c.buckets[k]?.invoices ?? 0})`,
                })),
                { unit: c.currency, format: (v) => money(v) },
              )}
            />
          </div>`,
      )}
    </div>`;
  return html`<section class="card" data-testid="chart-ageing">
    <h3>Receivables ageing</h3>
    ${content}
  </section>`;
}

function EventCharts() {
  const [minutes, setMinutes] = useState(60);
  const { answer } = useApi(`/v1/stats/events?minutes=${minutes}`, [], 10_000);
  if (!answer || !answer.ok)
    return html`<section class="card">
      ${answer ? html`<${Answer} answer=${answer} />` : html`<p class="note">Loading…</p>`}
    </section>`;
  const s = answer.body;
  // one column per minute of the period, so quiet minutes show as gaps
  const start = Math.floor(new Date(s.from).getTime() / 60000) * 60000;
  const end = new Date(s.to).getTime();
  const cols = [];
  for (let t = start; t <= end; t += 60000) cols.push(new Date(t).toISOString().slice(0, 16));
  const types = [...new Set(s.perMinute.map((p) => p.type))].sort();
  const series = types.map((type) => ({
    name: type,
    values: cols.map(
      (c) => s.perMinute.find((p) => p.type === type && p.minute.slice(0, 16) === c)?.count ?? 0,
    ),
  }));
  const labels = cols.map((c) =>
    new Date(`${c}:00Z`).toLocaleTimeString([], { hour: '2-digit', minute: '2-digit' }),
  );
  const lat = s.routingLatency;
  const fmt = (ms) => (ms === null ? '—' : `${ms} ms`);
  return html`<div>
    <section class="card" data-testid="chart-events">
      <h3>
        ${'Events per minute by type, last '}<select
          value=${minutes}
          onChange=${(e) => setMinutes(Number(e.currentTarget.value))}
        >
          ${[15, 60, 240, 1440].map((m) => html`<option value=${m}>${m >= 60 ? `${m / 60} h` : `${m} min`}</option>`)}
        </select>
      </h3>
      ${types.length ? html`<${Svg} testId="events-per-minute" svg=${stackedBars(labels, series, { width: 980 })} />` : html`<p class="note">No events in this period.</p>`}
    </section>
    <section class="card" data-testid="chart-latency">
      <h3>Routing latency (arrival → delivered to its workflow)</h3>
      <p>
        ${`${lat.count} delivered · p50 ${fmt(lat.p50Ms)} · p90 ${fmt(lat.p90Ms)} · p99 ${fmt(lat.p99Ms)} · max ${fmt(lat.maxMs)} · ${s.pendingRoutes} pending now`}
      </p>
      <${Svg}
        testId="latency-histogram"
        svg=${barChart(
          lat.buckets.map((b, i) => ({
            label: b.belowMs === null ? `≥ ${lat.buckets[i - 1]?.belowMs ?? 0}` : `< ${b.belowMs}`,
            value: b.count,
          })),
          { unit: 'routes', color: '#3aa76d', width: 640 },
        )}
      />
    </section>
  </div>`;
}

export function ChartsPage() {
  return html`<div class="page" data-testid="page-charts">
    <h2 class="title">Charts</h2>
    <${Ageing} />
    <${EventCharts} />
  </div>`;
}
