/** Events: a live view of incoming events, filterable, and any event's lineage drawn as a picture. */
import { useState } from 'preact/hooks';
import { html, useApi, Answer, Loaded, when, enc } from '../lib.js';
import { lineageSvg } from '../lineage.js';

const LIVE_MS = 3000;
const ROUTING = ['', 'pending', 'delivered', 'failed', 'none'];

/** The lineage of one key (`source`+`eventId`, `orderId`, …), or a plain message when the API has none. */
export function LineagePanel({ query }) {
  const qs = new URLSearchParams(query).toString();
  const { answer } = useApi(`/v1/lineage?${qs}`);
  let content;
  if (!answer) content = html`<p class="note">Loading the lineage…</p>`;
  else if (answer.status === 404 && /No route for/.test(answer.body?.detail ?? ''))
    content = html`<p class="note" data-testid="lineage-unavailable">
      Lineage not available: this API does not serve GET /v1/lineage yet.
    </p>`;
  else if (!answer.ok) content = html`<${Answer} answer=${answer} />`;
  else
    content = html`<div>
      <p class="note">
        ${answer.body.nodes.length} node(s); correlation ${answer.body.correlationIds.join(', ') || '—'}.
        Hover a box for details.
      </p>
      <div
        class="lineage-wrap"
        data-testid="lineage-svg"
        dangerouslySetInnerHTML=${{ __html: lineageSvg(answer.body) }}
      ></div>
    </div>`;
  return html`<section class="card" data-testid="lineage-panel">
    <h3>
      Lineage of
      ${Object.entries(query)
        .map(([k, v]) => `${k} ${v}`)
        .join(', ')}
    </h3>
    ${content}
  </section>`;
}

export function EventsPage({ args = [] }) {
  const [filters, setFilters] = useState({ type: '', source: '', subject: '', routing: '' });
  const [live, setLive] = useState(true);
  const [selected, setSelected] = useState(
    args[0] && args[1] ? { [args[0] === 'order' ? 'orderId' : args[0]]: args[1] } : null,
  );
  const qs = Object.entries(filters)
    .filter(([, v]) => v.trim() !== '')
    .map(([k, v]) => `&${k}=${enc(v.trim())}`)
    .join('');
  const { answer } = useApi(`/v1/events?order=desc&limit=50${qs}`, [], live ? LIVE_MS : undefined);
  const field = (name, label) =>
    html`<label
      >${label}
      <input
        value=${filters[name]}
        onChange=${(e) => setFilters({ ...filters, [name]: e.currentTarget.value })}
        data-testid=${`filter-${name}`}
    /></label>`;
  return html`<div class="page" data-testid="page-events">
    <h2 class="title">Events</h2>
    <section class="card filters">
      ${field('type', 'Type')} ${field('source', 'Source')} ${field('subject', 'Subject')}
      <label
        >Routing
        <select
          value=${filters.routing}
          onChange=${(e) => setFilters({ ...filters, routing: e.currentTarget.value })}
          data-testid="filter-routing"
        >
          ${ROUTING.map((r) => html`<option value=${r}>${r || 'any'}</option>`)}
        </select></label
      >
      <label class="inline"
        ><input type="checkbox" checked=${live} onChange=${(e) => setLive(e.currentTarget.checked)} /> Live
        (every ${LIVE_MS / 1000} s)</label
      >
    </section>
    ${selected ? html`<${LineagePanel} key=${JSON.stringify(selected)} query=${selected} />` : null}
    <section class="card">
      <${Loaded} answer=${answer}>
        ${(body) =>
          body.items.length
            ? html`<table class="events" data-testid="events-table">
                <thead>
                  <tr>
                    <th>Received</th>
                    <th>Type</th>
                    <th>Subject</th>
                    <th>Source</th>
                    <th>Routing</th>
                    <th>Workflow</th>
                    <th></th>
                  </tr>
                </thead>
                <tbody>
                  ${body.items.map(
                    (e) =>
                      html`<tr data-testid="event-row" class=${`r-${e.routing.status}`}>
                        <td>${when(e.receivedAt)}</td>
                        <td>${e.type}</td>
                        <td>${e.subject ?? ''}</td>
                        <td>${e.source}</td>
                        <td>
                          ${e.routing.status}${e.routing.attempts > 1 ? ` (${e.routing.attempts} attempts)` : ''}${e.routing.lastError ? html`<div class="bad">${e.routing.lastError}</div>` : ''}
                        </td>
                        <td>
                          ${e.links.temporalUi ? html`<a href=${e.links.temporalUi} target="_blank" rel="noopener">${e.routing.workflowId}</a>` : (e.routing.workflowId ?? '')}
                        </td>
                        <td>
                          <button
                            class="btn secondary"
                            onClick=${() => setSelected({ source: e.source, eventId: e.eventId })}
                            data-testid="show-lineage"
                          >
                            Lineage
                          </button>
                        </td>
                      </tr>`,
                  )}
                </tbody>
              </table>`
            : html`<p class="note">No events match.</p>`}
      <//>
    </section>
  </div>`;
}
