/** Order page: lines, invoice, payments, the step timeline, compensation, ledger entries, the execution. */
import { useState } from 'preact/hooks';
import { html, api, useApi, useAction, ActionButton, Answer, Loaded, money, when, enc } from '../lib.js';

function OrderLookup({ orderId }) {
  const [draft, setDraft] = useState(orderId ?? '');
  return html`<form
    class="lookup"
    onSubmit=${(e) => {
      e.preventDefault();
      if (draft.trim()) location.hash = `#/orders/${enc(draft.trim())}`;
    }}
  >
    <label
      >Order id
      <input value=${draft} onInput=${(e) => setDraft(e.currentTarget.value)} data-testid="order-lookup"
    /></label>
    <button class="btn" type="submit">Open</button>
  </form>`;
}

function Ledger({ orderId }) {
  const { answer } = useApi(`/v1/ledger/entries?orderId=${enc(orderId)}&limit=200`);
  return html`<section class="card" data-testid="order-ledger">
    <h3>Ledger entries</h3>
    <${Loaded} answer=${answer}>
      ${(body) =>
        body.items.length
          ? html`<table>
              <thead>
                <tr>
                  <th>#</th>
                  <th>When</th>
                  <th>What</th>
                  <th>Account</th>
                  <th class="num">Debit</th>
                  <th class="num">Credit</th>
                </tr>
              </thead>
              <tbody>
                ${body.items.flatMap((e) =>
                  e.lines.map(
                    (l, i) =>
                      html`<tr class=${i === 0 ? 'first' : ''}>
                        <td>${i === 0 ? e.id : ''}</td>
                        <td>${i === 0 ? when(e.occurredAt) : ''}</td>
                        <td>
                          ${i === 0 ? e.description : ''}${i === 0 && e.reversesEntryId ? ` (reverses #${e.reversesEntryId})` : ''}
                        </td>
                        <td>${l.account}${l.memo ? ` · ${l.memo}` : ''}</td>
                        <td class="num">${l.debit ? money(l.debit) : ''}</td>
                        <td class="num">${l.credit ? money(l.credit) : ''}</td>
                      </tr>`,
                  ),
                )}
              </tbody>
            </table>`
          : html`<p class="note">No postings yet.</p>`}
    <//>
  </section>`;
}

function Order({ o, reload }) {
  const approve = useAction(
    (key) =>
      api('POST', `/v1/orders/${enc(o.orderId)}/approve`, {
        idempotencyKey: key,
        body: { approvedBy: 'console' },
      }),
    reload,
  );
  const [reason, setReason] = useState('');
  const cancel = useAction(
    (key) =>
      api('POST', `/v1/orders/${enc(o.orderId)}/cancel`, {
        idempotencyKey: key,
        body: { reason: reason || 'cancelled in the console', requestedBy: 'console' },
      }),
    reload,
  );
  const cancellable = !['cancelled', 'shipped', 'completed', 'fulfilled'].includes(o.status);
  return html`<div>
    <section class="card">
      <h2>
        Order ${o.orderId} <span class=${`status s-${o.status}`} data-testid="order-status">${o.status}</span>
      </h2>
      <p>
        ${`Customer ${o.customerId} · total ${money(o.total, o.currency)} · paid ${money(o.amountPaid, o.currency)} · due ${money(o.amountDue, o.currency)} · net ${o.paymentTerms.netDays} days`}
      </p>
      ${o.statusReason ? html`<p class="note">Reason: ${o.statusReason}</p>` : null}
      <p>
        <a href=${o.links.temporalUi} target="_blank" rel="noopener" data-testid="temporal-link"
          >Open the execution in the Temporal Web UI</a
        >${` · workflow ${o.workflow.id} (${o.workflow.status}) · `}<a
          href=${`#/events/order/${enc(o.orderId)}`}
          >lineage</a
        >
      </p>
      <div class="actions">
        ${
          o.status === 'on_credit_hold'
            ? html`<${ActionButton}
                action=${approve}
                label="Approve"
                busyLabel="Approving…"
                testId="order-approve"
              />`
            : null
        }
        ${
          cancellable
            ? html`<input
                  placeholder="reason to cancel"
                  value=${reason}
                  onInput=${(e) => setReason(e.currentTarget.value)}
                />
                <${ActionButton}
                  action=${cancel}
                  label="Cancel order"
                  kind="danger"
                  busyLabel="Cancelling…"
                />`
            : null
        }
      </div>
      <${Answer} answer=${approve.answer} success=${(b) => `Approved by ${b.approvedBy}: now ${b.status}.`} />
      <${Answer}
        answer=${cancel.answer}
        success=${(b) =>
          `Cancelled. Released ${b.released?.length ?? 0} reservation(s), ${b.refunds?.length ?? 0} refund(s)${b.creditNote ? `, credit note ${b.creditNote.creditNoteNumber}` : ''}${b.failures?.length ? `; failed: ${b.failures.join('; ')}` : ''}.`}
      />
    </section>
    <section class="card">
      <h3>Lines</h3>
      <table>
        <thead>
          <tr>
            <th>#</th>
            <th>SKU</th>
            <th class="num">Qty</th>
            <th class="num">Unit price</th>
            <th class="num">Line total</th>
          </tr>
        </thead>
        <tbody>
          ${o.lines.map(
            (l) =>
              html`<tr>
                <td>${l.lineNo}</td>
                <td>${l.sku}</td>
                <td class="num">${l.quantity}</td>
                <td class="num">${money(l.unitPrice)}</td>
                <td class="num">${money(l.lineTotal)}</td>
              </tr>`,
          )}
        </tbody>
      </table>
    </section>
    <section class="card" data-testid="order-invoice">
      <h3>Invoice</h3>
      ${
        o.invoice
          ? html`<p>
              <strong>${o.invoice.invoiceNumber}</strong
              >${` · ${o.invoice.status} · total ${money(o.invoice.total, o.currency)} · paid ${money(o.invoice.amountPaid, o.currency)} · issued ${o.invoice.issuedOn} · due ${o.invoice.dueDate}${o.invoice.dunningLevel ? ` · dunning level ${o.invoice.dunningLevel}` : ''}`}
            </p>`
          : html`<p class="note">No invoice yet.</p>`
      }
    </section>
    <section class="card" data-testid="order-payments">
      <h3>Payments</h3>
      ${
        o.payments?.length
          ? html`<table>
              <thead>
                <tr>
                  <th>Payment</th>
                  <th>Invoice</th>
                  <th class="num">Amount</th>
                  <th>Rule</th>
                  <th>Status</th>
                  <th>When</th>
                </tr>
              </thead>
              <tbody>
                ${o.payments.map(
                  (p) =>
                    html`<tr>
                      <td>${p.paymentId}</td>
                      <td>${p.invoiceNumber}</td>
                      <td class="num">${money(p.amount, o.currency)}</td>
                      <td>${p.matchRule ?? ''}</td>
                      <td>${p.status}</td>
                      <td>${when(p.allocatedAt)}</td>
                    </tr>`,
                )}
              </tbody>
            </table>`
          : html`<p class="note">No payments allocated.</p>`
      }
    </section>
    ${
      o.status === 'cancelled'
        ? html`<section class="card" data-testid="order-compensation">
            <h3>Compensation</h3>
            <p>${o.statusReason ?? 'Cancelled.'}</p>
            ${o.creditNote ? html`<p>Credit note ${o.creditNote.creditNoteNumber}: ${money(o.creditNote.total, o.currency)} (${o.creditNote.reason})</p>` : null}
            ${
              o.refunds.length
                ? html`<ul>
                    ${o.refunds.map((r) => html`<li>Refund ${r.refundId} of payment ${r.paymentId}: ${money(r.amount, o.currency)}</li>`)}
                  </ul>`
                : html`<p class="note">No refunds.</p>`
            }
          </section>`
        : null
    }
    <section class="card" data-testid="order-timeline">
      <h3>Timeline</h3>
      ${
        o.timeline
          ? html`<ol class="timeline">
              ${o.timeline.map((t) => html`<li><span class="at">${when(t.at)}</span>${' '}<strong>${t.step}</strong>${` ${t.detail ?? ''}`}</li>`)}
            </ol>`
          : html`<p class="note">The workflow did not answer its timeline query.</p>`
      }
    </section>
    <${Ledger} key=${`${o.status}-${o.amountPaid}`} orderId=${o.orderId} />
  </div>`;
}

export function OrderPage({ orderId }) {
  const { answer, reload } = useApi(
    orderId ? `/v1/orders/${enc(orderId)}` : null,
    [],
    orderId ? 5000 : undefined,
  );
  return html`<div class="page" data-testid="page-order">
    <${OrderLookup} orderId=${orderId} />
    ${
      orderId
        ? html`<${Loaded} answer=${answer}>${(o) => html`<${Order} o=${o} reload=${reload} />`}<//>`
        : html`<p class="note">Open an order by its id, or from the inbox.</p>`
    }
  </div>`;
}
