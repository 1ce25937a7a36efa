/** The console's small toolkit: templates, the API client, action buttons, formatting. */
import { h } from 'preact';
import { useEffect, useRef, useState, useCallback } from 'preact/hooks';
import htm from 'htm';

export const html = htm.bind(h);

const KEY_STORE = 'erp-console-api-key';
export const getKey = () => sessionStorage.getItem(KEY_STORE) ?? '';
export const setKey = (key) =>
  key ? sessionStorage.setItem(KEY_STORE, key.trim()) : sessionStorage.removeItem(KEY_STORE);

/** Listeners told when the API refuses the key (401/403), so the key bar can say so. */
const keyListeners = new Set();
export const onKeyProblem = (fn) => (keyListeners.add(fn), () => keyListeners.delete(fn));

/** A fresh Idempotency-Key. */
export const newIdempotencyKey = () =>
  globalThis.crypto?.randomUUID?.() ?? `console-${Date.now()}-${Math.random().toString(36).slice(2)}`;

/**
 * Calls the public API: `{ ok, status, body }`, never throws (a network failure is status 0 with
 * a problem-shaped body), so every page can show the answer as it is.
 */
export async function api(method, path, { body, idempotencyKey } = {}) {
  const headers = { Accept: 'application/json, application/problem+json' };
  const key = getKey();
  if (key) headers.Authorization = `Bearer ${key}`;
  if (body !== undefined) headers['Content-Type'] = 'application/json';
  if (idempotencyKey) headers['Idempotency-Key'] = idempotencyKey;
  let res;
  try {
    res = await fetch(path, { method, headers, body: body === undefined ? undefined : JSON.stringify(body) });
  } catch (err) {
    return {
      ok: false,
      status: 0,
      body: { title: 'The API did not answer', detail: String(err?.message ?? err) },
    };
  }
  const text = await res.text();
  let parsed = null;
  try {
    parsed = text ? JSON.parse(text) : null;
  } catch {
    parsed = { title: `HTTP ${res.status}`, detail: text.slice(0, 500) };
  }
  if (res.status === 401 || res.status === 403) for (const fn of keyListeners) fn(res.status, parsed);
  return {
    ok: res.ok,
    status: res.status,
    body: parsed,
    replayed: res.headers.get('Idempotent-Replayed') === 'true',
  };
}

/** A problem+json answer in plain words: the title, the detail, and each field's message. */
export function describeProblem(status, body) {
  const b = body ?? {};
  const lines = [];
  const head =
    status === 401
      ? 'API key needed or rejected (401)'
      : status === 403
        ? 'This API key may not do that (403)'
        : `${b.title ?? 'Request failed'}${status ? ` (${status})` : ''}`;
  lines.push(head + (b.detail ? `: ${b.detail}` : ''));
  for (const e of Array.isArray(b.errors) ? b.errors : []) lines.push(`${e.path}: ${e.message}`);
  return lines;
}

/** Shows an API answer: a problem in plain words, or a success message. */
export function Answer({ answer, success }) {
  if (!answer) return null;
  if (!answer.ok) {
    const [head, ...rest] = describeProblem(answer.status, answer.body);
    return html`<div class="answer error" role="alert">
      <strong>${head}</strong>
      ${
        rest.length
          ? html`<ul>
              ${rest.map((l) => html`<li>${l}</li>`)}
            </ul>`
          : null
      }
    </div>`;
  }
  return html`<div class="answer ok" role="status">
    ${typeof success === 'function' ? success(answer.body) : (success ?? `Done (${answer.status}).`)}
    ${answer.replayed ? ' (answered before; not done twice)' : ''}
  </div>`;
}

/** Loads `path` (again when `deps` change, and every `everyMs` if given): `{ answer, reload }`. */
export function useApi(path, deps = [], everyMs) {
  const [answer, setAnswer] = useState(null);
  const alive = useRef(true);
  const load = useCallback(async () => {
    if (!path) return;
    const a = await api('GET', path);
    if (alive.current) setAnswer(a);
  }, [path, ...deps]);
  useEffect(() => {
    alive.current = true;
    setAnswer(null);
    void load();
    const timer = everyMs ? setInterval(load, everyMs) : null;
    return () => {
      alive.current = false;
      if (timer) clearInterval(timer);
    };
  }, [load, everyMs]);
  return { answer, reload: load };
}

/**
 * One intended action: the same Idempotency-Key until the API has answered it (a double click, or a
 * retry after a network failure, sends the same key), disabled while in flight.
 */
export function useAction(perform, onDone) {
  const [busy, setBusy] = useState(false);
  const [answer, setAnswer] = useState(null);
  const key = useRef(null);
  const inFlight = useRef(false);
  const run = async (...args) => {
    if (inFlight.current) return;
    inFlight.current = true;
    key.current ??= newIdempotencyKey();
    setBusy(true);
    try {
      const a = await perform(key.current, ...args);
      setAnswer(a);
      // an answer (not a lost connection or a 409 "still running") ends this intended action
      if (a.status !== 0 && a.status !== 409 && a.status < 500) key.current = null;
      if (a.ok && onDone) onDone(a);
    } finally {
      inFlight.current = false;
      setBusy(false);
    }
  };
  return { run, busy, answer, reset: () => setAnswer(null) };
}

/** A button that runs an action; disabled while it runs. */
export function ActionButton({ action, args = [], label, busyLabel, kind = 'primary', testId }) {
  return html`<button
    class=${`btn ${kind}`}
    disabled=${action.busy}
    data-testid=${testId}
    onClick=${() => action.run(...args)}
  >
    ${action.busy ? (busyLabel ?? 'Working…') : label}
  </button>`;
}

/** Money in minor units as text: 2500 EUR → "25.00 EUR". */
export function money(amount, currency) {
  if (amount === null || amount === undefined) return '—';
  const sign = amount < 0 ? '-' : '';
  const abs = Math.abs(amount);
  return `${sign}${Math.floor(abs / 100)}.${String(abs % 100).padStart(2, '0')}${currency ? ` ${currency}` : ''}`;
}

/** A time as local date and time, or "—". */
export const when = (iso) => (iso ? new Date(iso).toLocaleString() : '—');

/** Minutes or hours from now, in words ("in 25 min", "3 h ago"). */
export function relative(iso) {
  if (!iso) return '';
  const ms = new Date(iso).getTime() - Date.now();
  const mins = Math.round(Math.abs(ms) / 60000);
  const text =
    mins < 90
      ? `${mins} min`
      : mins < 48 * 60
        ? `${Math.round(mins / 60)} h`
        : `${Math.round(mins / 1440)} d`;
  return ms >= 0 ? `in ${text}` : `${text} ago`;
}

/** A page's loading / error / content switch. */
export function Loaded({ answer, children }) {
  if (!answer) return html`<p class="note">Loading…</p>`;
  if (!answer.ok) return html`<${Answer} answer=${answer} />`;
  return children(answer.body);
}

export const enc = encodeURIComponent;
