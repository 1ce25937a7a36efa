/**
 * The worker process's own HTTP endpoints: /healthz (alive), /readyz (Postgres reachable,
 * migrations at head, Temporal reachable, every worker running) and /metrics (the process's
 * metrics followed by the Temporal SDK's own worker metrics).
 */
import type { Server } from 'node:http';
import express from 'express';
import { Registry, collectDefaultMetrics } from 'prom-client';
import type { NativeConnection, Worker } from '@temporalio/worker';
import type { Db } from '../db/client';
import { checkDatabase, type Check } from '../db/health';
import { sendReadiness } from '../api/problem';
import { checkTemporal } from '../lib/temporal';

export interface WorkerHealthOptions {
  host: string;
  port: number;
  db: Db;
  connection: NativeConnection;
  workers: { taskQueue: string; worker: Worker }[];
  /** Where the SDK serves its Prometheus metrics (installSdkLogging's metricsBindAddress). */
  sdkMetricsUrl?: string;
}

export function startWorkerHealthServer(opts: WorkerHealthOptions): Promise<Server> {
  const registry = new Registry();
  collectDefaultMetrics({ register: registry, prefix: 'erp_worker_' });
  const app = express();
  app.disable('x-powered-by');

  app.get('/healthz', (_req, res) => {
    res.json({ status: 'ok' });
  });

  app.get('/readyz', async (_req, res) => {
    const [database, temporal] = await Promise.all([checkDatabase(opts.db), checkTemporal(opts.connection)]);
    const states = opts.workers.map((w) => `${w.taskQueue}: ${w.worker.getState()}`);
    const workers: Check = {
      ok: opts.workers.every((w) => w.worker.getState() === 'RUNNING'),
      detail: states.join(', '),
    };
    sendReadiness(res, { ...database, temporal, workers });
  });

  app.get('/metrics', async (_req, res) => {
    let sdk = '';
    if (opts.sdkMetricsUrl) {
      try {
        const r = await fetch(opts.sdkMetricsUrl, { signal: AbortSignal.timeout(2000) });
        sdk = await r.text();
      } catch (err) {
        sdk = `# Temporal SDK metrics unavailable: ${(err as Error).message}\n`;
      }
    }
    res.type(registry.contentType).send(`${await registry.metrics()}\n${sdk}`);
  });

  return new Promise((resolve, reject) => {
    const server = app.listen(opts.port, opts.host, () => resolve(server));
    server.once('error', reject);
  });
}
