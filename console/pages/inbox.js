/** Inbox: the work waiting on a person, newest first with counts. */
import { useState } from 'preact/hooks';
import {
  html,
  api,
  useApi,
  useAction,
  ActionButton,
  Answer,
  Loaded,
  money,
  when,
  relative,
  enc,
} from '../lib.js';

const REFRESH_MS = 5000;

function Section({ title, answer, id, children }) {
  const count = answer?.ok ? (answer.body.total ?? answer.body.items.length) : '…';
  return html`<section class="card" data-testid=${`inbox-${id}`}>
    <h2>${title} <span class="count" data-testid=${`count-${id}`}>${count}</span></h2>
    <${Loaded} answer=${answer}>
      ${(body) => (body.items.length ? children(body.items) : html`<p class="note">Nothing waiting.</p>`)}
    <//>
  </section>`;
}

function HeldOrder({ order, onChanged }) {
  const approve = useAction(
    (key) =>
      api('POST', `/v1/orders/${enc(order.orderId)}/approve`, {
        idempotencyKey: key,
        body: { approvedBy: 'console' },
      }),
    (a) => onChanged(`Order ${order.orderId} approved by ${a.body.approvedBy}: now ${a.body.status}.`),
  );
  return html`<li class="row" data-testid=${`held-${order.orderId}`}>
    <div>
      <a href=${`#/orders/${enc(order.orderId)}`}>${order.orderId}</a
      >${` · customer ${order.customerId} · ${money(order.total, order.currency)} · held since ${when(order.updatedAt)}`}
      <div class="note">
        Approve to continue, or leave it: the hold expires after the approval timeout and cancels the order.
      </div>
    </div>
    <div class="actions">
      <${ActionButton}
        action=${approve}
        label="Approve"
        busyLabel="Approving…"
        testId=${`approve-${order.orderId}`}
      />
    </div>
    <${Answer}
      answer=${approve.answer}
      success=${(b) => `Approved: the order is now ${b.status ?? 'continuing'}.`}
    />
  </li>`;
}

function ExceptionItem({ item, onChanged }) {
  const proposal = item.proposal;
  const [rows, setRows] = useState(
    (proposal?.allocations ?? []).map((a) => ({ invoiceNumber: a.invoiceNumber, amount: String(a.amount) })),
  );
  const [note, setNote] = useState('');
  const allocations = () =>
    rows
      .filter((r) => r.invoiceNumber.trim() !== '' || r.amount.trim() !== '')
      .map((r) => ({ invoiceNumber: r.invoiceNumber.trim(), amount: Number(r.amount) }));
  const path = `/v1/reconciliation/exceptions/${enc(item.paymentId)}/resolve`;
  const allocate = useAction(
    (key) =>
      api('POST', path, {
        idempotencyKey: key,
        body: { allocations: allocations(), resolvedBy: 'console', ...(note ? { note } : {}) },
      }),
    (a) =>
      onChanged(
        `Payment ${item.paymentId} resolved: ${a.body.payment.status}, ${
          a.body.state.allocations
            .map((x) => `${money(x.amount, item.currency)} to ${x.invoiceNumber}`)
            .join(', ') || 'nothing allocated'
        }.`,
      ),
  );
  const refuse = useAction(
    (key) =>
      api('POST', path, {
        idempotencyKey: key,
        body: {
          allocations: [],
          resolvedBy: 'console',
          note: note || 'refused in the console: no allocation',
        },
      }),
    (a) =>
      onChanged(`Payment ${item.paymentId} refused: nothing allocated; payment ${a.body.payment.status}.`),
  );
  const set = (i, field, value) => setRows(rows.map((r, j) => (j === i ? { ...r, [field]: value } : r)));
  return html`<li class="row exception" data-testid=${`exception-${item.paymentId}`}>
    <div>
      <strong>${item.paymentId}</strong> · ${money(item.amount, item.currency)}
      ${` (unallocated ${money(item.unallocated, item.currency)}) · `}${item.payerName ?? item.customerId ?? 'unknown payer'}
      ${item.reference ? html` · ref “${item.reference}”` : null}
      <div class="note">
        ${item.reason ?? 'needs review'}${item.anomalies.length ? ` · anomalies: ${item.anomalies.join(', ')}` : ''}
        ${item.escalatedAt ? ' · escalated' : ''}
      </div>
      ${
        proposal
          ? html`<div class="proposal" data-testid="proposal">
              ${`Proposed (${proposal.rule}), confidence `}<span class="confidence" data-testid="confidence"
                >${Math.round(proposal.confidence * 100)}%</span
              >${': '}${proposal.allocations.map((a) => `${a.invoiceNumber} ${money(a.amount, item.currency)}`).join(', ') || 'nothing'}
              ${proposal.reasons?.length ? html`<div class="note">${proposal.reasons.join('; ')}</div>` : null}
            </div>`
          : html`<div class="note">No match proposed.</div>`
      }
      <table class="alloc">
        <thead>
          <tr>
            <th>Invoice</th>
            <th>Amount (minor units)</th>
            <th></th>
          </tr>
        </thead>
        <tbody>
          ${rows.map(
            (r, i) =>
              html`<tr>
                <td>
                  <input
                    value=${r.invoiceNumber}
                    onInput=${(e) => set(i, 'invoiceNumber', e.currentTarget.value)}
                    data-testid="alloc-invoice"
                  />
                </td>
                <td>
                  <input
                    value=${r.amount}
                    inputmode="numeric"
                    onInput=${(e) => set(i, 'amount', e.currentTarget.value)}
                    data-testid="alloc-amount"
                  />
                </td>
                <td>
                  <button class="btn secondary" onClick=${() => setRows(rows.filter((_, j) => j !== i))}>
                    Remove
                  </button>
                </td>
              </tr>`,
          )}
        </tbody>
      </table>
      <button class="btn secondary" onClick=${() => setRows([...rows, { invoiceNumber: '', amount: '' }])}>
        Add invoice
      </button>
      <label class="inline"
        >Note<input value=${note} onInput=${(e) => setNote(e.currentTarget.value)}
      /></label>
    </div>
    <div class="actions">
      <${ActionButton}
        action=${allocate}
        label="Allocate"
        busyLabel="Allocating…"
        testId=${`allocate-${item.paymentId}`}
      />
      <${ActionButton}
        action=${refuse}
        label="Refuse"
        kind="danger"
        busyLabel="Refusing…"
        testId=${`refuse-${item.paymentId}`}
      />
    </div>
    <${Answer} answer=${allocate.answer} success=${(b) => `Resolved: payment ${b.payment?.status ?? ''}.`} />
    <${Answer}
      answer=${refuse.answer}
      success=${(b) => `Refused: nothing allocated; payment ${b.payment?.status ?? ''}.`}
    />
  </li>`;
}

function PurchaseOrderItem({ po, onChanged }) {
  const confirm = useAction(
    (key) =>
      api('POST', `/v1/purchase-orders/${enc(po.purchaseOrderId)}/confirm`, {
        idempotencyKey: key,
        body: {},
      }),
    () => onChanged(`Purchase order ${po.purchaseOrderId}: the supplier's confirmation is recorded.`),
  );
  return html`<li class="row" data-testid=${`po-${po.purchaseOrderId}`}>
    <div>
      <strong>${po.purchaseOrderId}</strong
      >${` · ${po.sku} × ${po.quantity} (received ${po.received}) · supplier ${po.supplierId} · ${po.status}`}${po.late ? html` · <span class="bad">late</span>` : ''}${` · expected ${po.expectedDate ?? '—'}`}
    </div>
    ${
      po.status === 'sent' || po.status === 'draft'
        ? html`<div class="actions">
            <${ActionButton}
              action=${confirm}
              label="Supplier confirmed"
              kind="secondary"
              busyLabel="Confirming…"
            />
          </div>`
        : null
    }
    <${Answer} answer=${confirm.answer} success="Confirmation recorded; the procurement workflow is told." />
  </li>`;
}

export function InboxPage() {
  const held = useApi('/v1/orders?status=on_credit_hold&limit=100', [], REFRESH_MS);
  const exceptions = useApi('/v1/reconciliation/exceptions?limit=100', [], REFRESH_MS);
  const unconfirmed = useApi('/v1/purchase-orders?awaitingConfirmation=true&limit=100', [], REFRESH_MS);
  const late = useApi('/v1/purchase-orders?late=true&limit=100', [], REFRESH_MS);
  const tickets = useApi('/v1/tickets?slaState=breachedOrNear&limit=100', [], REFRESH_MS);
  // what was done here, kept when the item it concerned leaves the inbox
  const [log, setLog] = useState([]);
  const reloadAll = (message) => {
    if (message) setLog((l) => [{ message, at: new Date().toISOString() }, ...l].slice(0, 20));
    [held, exceptions, unconfirmed, late, tickets].forEach((x) => x.reload());
  };
  return html`<div class="page" data-testid="page-inbox">
    <h2 class="title">Inbox</h2>
    <p class="note">Work waiting on a person, newest first. Refreshes every few seconds.</p>
    ${
      log.length
        ? html`<section class="card done" data-testid="inbox-log">
            <h3>Done in this session</h3>
            <ul>
              ${log.map((l) => html`<li class="answer ok">${when(l.at)} · ${l.message}</li>`)}
            </ul>
          </section>`
        : null
    }
    <${Section} id="held" title="Orders on credit hold" answer=${held.answer}>
      ${(items) =>
        html`<ul>
          ${items.map((o) => html`<${HeldOrder} key=${o.orderId} order=${o} onChanged=${reloadAll} />`)}
        </ul>`}
    <//>
    <${Section} id="exceptions" title="Reconciliation exceptions" answer=${exceptions.answer}>
      ${(items) =>
        html`<ul>
          ${items.map((x) => html`<${ExceptionItem} key=${x.paymentId} item=${x} onChanged=${reloadAll} />`)}
        </ul>`}
    <//>
    <${Section} id="unconfirmed" title="Purchase orders awaiting confirmation" answer=${unconfirmed.answer}>
      ${(items) =>
        html`<ul>
          ${items.map((p) => html`<${PurchaseOrderItem} key=${p.purchaseOrderId} po=${p} onChanged=${reloadAll} />`)}
        </ul>`}
    <//>
    <${Section} id="late" title="Late purchase orders" answer=${late.answer}>
      ${(items) =>
        html`<ul>
          ${items.map((p) => html`<${PurchaseOrderItem} key=${p.purchaseOrderId} po=${p} onChanged=${reloadAll} />`)}
        </ul>`}
    <//>
    <${Section} id="tickets" title="Tickets in or near SLA breach" answer=${tickets.answer}>
      ${(items) =>
        html`<ul>
          ${items.map(
            (t) =>
              html`<li class="row" data-testid=${`ticket-${t.ticketId}`}>
                <div>
                  <strong>${t.ticketId}</strong>${` · ${t.subject} · ${t.priority} · ${t.status} · `}<span
                    class=${t.slaState === 'breached' ? 'bad' : 'warn'}
                    >${t.slaState === 'breached' ? 'breached' : 'near breach'}</span
                  >
                  (${t.slaClock.replace('_', ' ')} due ${relative(t.dueAt)})
                </div>
              </li>`,
          )}
        </ul>`}
    <//>
  </div>`;
}
