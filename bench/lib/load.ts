/** Driving the system: a fixed number of callers working through a list, timing each call. */
import { performance } from 'node:perf_hooks';

export interface LoadResult<R> {
  /** Per call, in the order of the items, milliseconds. */
  latencies: number[];
  results: R[];
  /** Wall time of the whole run, milliseconds. */
  wallMs: number;
  errors: number;
  firstError?: string;
}

/** Runs `fn` over `items` with `concurrency` callers; each caller takes the next item when done. */
export async function runLoad<T, R>(
  items: readonly T[],
  concurrency: number,
  fn: (item: T, index: number) => Promise<R>,
): Promise<LoadResult<R>> {
  const latencies = new Array<number>(items.length);
  const results = new Array<R>(items.length);
  let next = 0;
  let errors = 0;
  let firstError: string | undefined;
  const started = performance.now();
  const caller = async () => {
    for (let i = next++; i < items.length; i = next++) {
      const t0 = performance.now();
      try {
        results[i] = await fn(items[i] as T, i);
      } catch (err) {
        errors++;
        firstError ??= (err as Error).message;
      }
      latencies[i] = performance.now() - t0;
    }
  };
  await Promise.all(Array.from({ length: Math.min(concurrency, items.length) }, caller));
  return { latencies, results, wallMs: performance.now() - started, errors, firstError };
}

/** A small client of the system's API. */
export function apiClient(baseUrl: string, apiKey?: string) {
  const headers: Record<string, string> = { 'content-type': 'application/json' };
  if (apiKey) headers.authorization = `Bearer ${apiKey}`;
  return {
    async post(
      path: string,
      body: unknown,
      extra: Record<string, string> = {},
    ): Promise<{ status: number; body: unknown }> {
      const res = await fetch(`${baseUrl}${path}`, {
        method: 'POST',
        headers: { ...headers, ...extra },
        body: JSON.stringify(body),
      });
      const text = await res.text();
      if (res.status >= 400) throw new Error(`POST ${path}: ${res.status} ${text.slice(0, 300)}`);
      return { status: res.status, body: text ? (JSON.parse(text) as unknown) : null };
    },
    async get(path: string): Promise<unknown> {
      const res = await fetch(`${baseUrl}${path}`, { headers });
      const text = await res.text();
      if (res.status >= 400) throw new Error(`GET ${path}: ${res.status} ${text.slice(0, 300)}`);
      return JSON.parse(text) as unknown;
    },
  };
}

export const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** Polls `check` until it returns true or `timeoutMs` passes; answers whether it became true. */
export async function until(
  check: () => Promise<boolean>,
  timeoutMs: number,
  everyMs = 500,
): Promise<boolean> {
  const end = Date.now() + timeoutMs;
  for (;;) {
    if (await check()) return true;
    if (Date.now() > end) return false;
    await sleep(everyMs);
  }
}
