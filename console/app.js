/** The operator console: the API key bar, the navigation and a hash router over the pages. */
import { render } from 'preact';
import { useEffect, useState } from 'preact/hooks';
import { html, getKey, setKey, onKeyProblem } from './lib.js';
import { InboxPage } from './pages/inbox.js';
import { OrderPage } from './pages/order.js';
import { StockPage } from './pages/stock.js';
import { EventsPage } from './pages/events.js';
import { ChartsPage } from './pages/charts.js';

const PAGES = [
  ['inbox', 'Inbox'],
  ['orders', 'Order'],
  ['stock', 'Stock'],
  ['events', 'Events'],
  ['charts', 'Charts'],
];

const parseHash = () => {
  const [page = 'inbox', ...rest] = location.hash.replace(/^#\/?/, '').split('/');
  return { page: page || 'inbox', args: rest.map(decodeURIComponent) };
};

function KeyBar({ onChange }) {
  const [draft, setDraft] = useState('');
  const [problem, setProblem] = useState(null);
  const key = getKey();
  useEffect(
    () =>
      onKeyProblem((status, body) =>
        setProblem(
          status === 401
            ? 'API key needed or rejected (401): paste a valid key.'
            : `This API key may not do that (403)${body?.detail ? `: ${body.detail}` : ''}.`,
        ),
      ),
    [],
  );
  const save = (e) => {
    e.preventDefault();
    setKey(draft);
    setDraft('');
    setProblem(null);
    onChange();
  };
  return html`<form class="keybar" onSubmit=${save} data-testid="key-bar">
    <label
      >API key
      <input
        type="password"
        autocomplete="off"
        placeholder=${key ? 'a key is set (paste another to replace it)' : 'paste an API key (erp_…)'}
        value=${draft}
        onInput=${(e) => setDraft(e.currentTarget.value)}
        data-testid="api-key"
      />
    </label>
    <button class="btn" type="submit">Use key</button>
    ${
      key
        ? html`<button class="btn secondary" type="button" onClick=${() => (setKey(''), onChange())}>
            Forget key
          </button>`
        : html`<span class="warn">API key needed: every page reads the API with it.</span>`
    }
    ${problem ? html`<span class="warn" role="alert" data-testid="key-problem">${problem}</span>` : null}
  </form>`;
}

function App() {
  const [route, setRoute] = useState(parseHash());
  const [keyVersion, setKeyVersion] = useState(0);
  useEffect(() => {
    const on = () => setRoute(parseHash());
    addEventListener('hashchange', on);
    return () => removeEventListener('hashchange', on);
  }, []);
  const { page, args } = route;
  const body =
    page === 'orders'
      ? html`<${OrderPage} orderId=${args[0]} />`
      : page === 'stock'
        ? html`<${StockPage} />`
        : page === 'events'
          ? html`<${EventsPage} args=${args} />`
          : page === 'charts'
            ? html`<${ChartsPage} />`
            : html`<${InboxPage} />`;
  return html`<header>
      <h1>ERP console</h1>
      <nav>
        ${PAGES.map(
          ([id, label]) =>
            html`<a href=${`#/${id}`} class=${page === id ? 'active' : ''} data-testid=${`nav-${id}`}
              >${label}</a
            >`,
        )}
        <a href="/docs" target="_blank" rel="noopener">API reference</a>
      </nav>
    </header>
    <${KeyBar} onChange=${() => setKeyVersion((v) => v + 1)} />
    <main key=${`${page}-${keyVersion}`}>${body}</main>`;
}

const root = document.getElementById('app');
root.textContent = '';
render(html`<${App} />`, root);
