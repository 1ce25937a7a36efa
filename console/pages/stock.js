/** Stock: SKUs at or below their reorder point, on order, open purchase orders; reorder settings edited through the API. */
import { useState } from 'preact/hooks';
import { html, api, useApi, useAction, Answer, Loaded, when, enc } from '../lib.js';

const FIELDS = [
  ['reorderPoint', 'Reorder point'],
  ['orderUpTo', 'Order up to'],
  ['packMultiple', 'Pack multiple'],
  ['minOrderQuantity', 'Min. order qty'],
  ['leadTimeDays', 'Lead time (days)'],
  ['supplierId', 'Supplier'],
];

/** The form's text as the API's body: numbers where the text is one, else the text (the API names the error). */
function settingsBody(form) {
  const body = {};
  for (const [field] of FIELDS) {
    const raw = (form[field] ?? '').trim();
    if (raw === '') continue;
    body[field] = field !== 'supplierId' && /^-?\d+$/.test(raw) ? Number(raw) : raw;
  }
  return body;
}

export function ReorderForm({ sku, settings, onSaved }) {
  const [form, setForm] = useState(
    Object.fromEntries(
      FIELDS.map(([f]) => [
        f,
        settings?.[f] === null || settings?.[f] === undefined ? '' : String(settings[f]),
      ]),
    ),
  );
  const save = useAction(
    (key) =>
      api('PUT', `/v1/inventory/${enc(sku)}/reorder-settings`, {
        idempotencyKey: key,
        body: settingsBody(form),
      }),
    onSaved,
  );
  return html`<form
    class="reorder"
    data-testid=${`reorder-form-${sku}`}
    onSubmit=${(e) => {
      e.preventDefault();
      void save.run();
    }}
  >
    ${FIELDS.map(
      ([field, label]) =>
        html`<label
          >${label}
          <input
            name=${field}
            value=${form[field]}
            onInput=${(e) => setForm({ ...form, [field]: e.currentTarget.value })}
            data-testid=${`field-${field}`}
        /></label>`,
    )}
    <button class="btn" type="submit" disabled=${save.busy} data-testid="save-reorder">
      ${save.busy ? 'Saving…' : 'Save reorder settings'}
    </button>
    <${Answer}
      answer=${save.answer}
      success=${(b) => `Saved (${save.answer.status === 201 ? 'created' : 'replaced'}): reorder point ${b.reorderPoint}, order up to ${b.orderUpTo}. The SKU's workflow re-evaluates now.`}
    />
  </form>`;
}

function SkuRow({ item, onSaved }) {
  const [open, setOpen] = useState(false);
  const r = item.reorderSettings;
  return html`<tbody data-testid=${`sku-${item.sku}`}>
    <tr class=${item.atOrBelowReorderPoint ? 'low' : ''}>
      <td><strong>${item.sku}</strong></td>
      <td class="num">${item.onHand}</td>
      <td class="num">${item.reserved}</td>
      <td class="num">${item.available}</td>
      <td class="num" data-testid="on-order">${item.onOrder}</td>
      <td class="num">${r.reorderPoint} / ${r.orderUpTo}</td>
      <td>${r.supplierId ?? html`<span class="warn">no supplier</span>`}</td>
      <td>
        ${item.openPurchaseOrders.map(
          (p) =>
            html`<div class="po" data-testid="open-po">
              ${p.purchaseOrderId}: ${p.quantity} (${p.status}${p.expectedDate ? `, ${p.expectedDate}` : ''})
            </div>`,
        )}
      </td>
      <td>
        <button class="btn secondary" onClick=${() => setOpen(!open)} data-testid=${`edit-${item.sku}`}>
          ${open ? 'Close' : 'Edit'}
        </button>
      </td>
    </tr>
    ${
      open
        ? html`<tr>
            <td colspan="9"><${ReorderForm} sku=${item.sku} settings=${r} onSaved=${onSaved} /></td>
          </tr>`
        : null
    }
  </tbody>`;
}

export function StockPage() {
  const [onlyLow, setOnlyLow] = useState(true);
  const list = useApi(`/v1/inventory?limit=200${onlyLow ? '&atOrBelowReorderPoint=true' : ''}`, [], 5000);
  const pos = useApi('/v1/purchase-orders?limit=20', [], 5000);
  const [other, setOther] = useState('');
  const [editing, setEditing] = useState(null);
  const reload = () => (list.reload(), pos.reload());
  return html`<div class="page" data-testid="page-stock">
    <h2 class="title">Stock</h2>
    <section class="card">
      <label class="inline"
        ><input
          type="checkbox"
          checked=${onlyLow}
          onChange=${(e) => setOnlyLow(e.currentTarget.checked)}
          data-testid="only-low"
        />
        Only SKUs at or below their reorder point</label
      >
      <${Loaded} answer=${list.answer}>
        ${(body) =>
          html`<p class="note">${body.total} SKU(s).</p>
            <table class="stock">
              <thead>
                <tr>
                  <th>SKU</th>
                  <th class="num">On hand</th>
                  <th class="num">Reserved</th>
                  <th class="num">Available</th>
                  <th class="num">On order</th>
                  <th class="num">Reorder pt / up to</th>
                  <th>Supplier</th>
                  <th>Open purchase orders</th>
                  <th></th>
                </tr>
              </thead>
              ${body.items.map((item) => html`<${SkuRow} key=${item.sku} item=${item} onSaved=${reload} />`)}
            </table>`}
      <//>
    </section>
    <section class="card">
      <h3>Reorder settings of any SKU</h3>
      <form
        class="lookup"
        onSubmit=${async (e) => {
          e.preventDefault();
          const sku = other.trim();
          if (!sku) return;
          const a = await api('GET', `/v1/inventory/${enc(sku)}`);
          setEditing({
            sku,
            settings: a.ok ? a.body.reorderSettings : null,
            answer: a.ok || a.status === 404 ? null : a,
          });
        }}
      >
        <label
          >SKU
          <input value=${other} onInput=${(e) => setOther(e.currentTarget.value)} data-testid="sku-lookup"
        /></label>
        <button class="btn" type="submit">Edit</button>
      </form>
      ${editing?.answer ? html`<${Answer} answer=${editing.answer} />` : null}
      ${
        editing && !editing.answer
          ? html`<${ReorderForm}
              key=${editing.sku}
              sku=${editing.sku}
              settings=${editing.settings}
              onSaved=${reload}
            />`
          : null
      }
    </section>
    <section class="card" data-testid="recent-pos">
      <h3>Recent purchase orders</h3>
      <${Loaded} answer=${pos.answer}>
        ${(body) =>
          body.items.length
            ? html`<table>
                <thead>
                  <tr>
                    <th>PO</th>
                    <th>SKU</th>
                    <th class="num">Qty</th>
                    <th class="num">Received</th>
                    <th>Status</th>
                    <th>Expected</th>
                    <th>Created</th>
                  </tr>
                </thead>
                <tbody>
                  ${body.items.map(
                    (p) =>
                      html`<tr>
                        <td>${p.purchaseOrderId}</td>
                        <td>${p.sku}</td>
                        <td class="num">${p.quantity}</td>
                        <td class="num">${p.received}</td>
                        <td>${p.status}${p.late ? html` <span class="bad">late</span>` : ''}</td>
                        <td>${p.expectedDate ?? '—'}</td>
                        <td>${when(p.createdAt)}</td>
                      </tr>`,
                  )}
                </tbody>
              </table>`
            : html`<p class="note">No purchase orders.</p>`}
      <//>
    </section>
  </div>`;
}
