/** The long-lived Temporal client: one per process, injected wherever it is needed. */
import { Client, Connection } from '@temporalio/client';
import type { Config } from './config';

export interface TemporalHandle {
  client: Client;
  connection: Connection;
  namespace: string;
  taskQueue: string;
  uiUrl: string;
  /** Deadline for one routing call, so an unreachable Temporal delays an answer by at most this. */
  rpcTimeoutMs: number;
}

export function connectTemporal(
  address: string,
  opts: { namespace: string; taskQueue: string; uiUrl: string; rpcTimeoutMs?: number },
): TemporalHandle {
  // lazy: the API must start (and accept events) even while Temporal is unreachable
  const connection = Connection.lazy({ address });
  const client = new Client({ connection, namespace: opts.namespace });
  return { client, connection, rpcTimeoutMs: 3000, ...opts };
}

export function temporalAddress(config: Config): string {
  return config.TEMPORAL_ADDRESS ?? `localhost:${config.TEMPORAL_DEV_PORT}`;
}

/** A link that opens one execution in the Temporal Web UI. */
export function executionUiLink(uiUrl: string, namespace: string, workflowId: string, runId?: string | null) {
  const base = `${uiUrl}/namespaces/${encodeURIComponent(namespace)}/workflows/${encodeURIComponent(workflowId)}`;
  return runId ? `${base}/${encodeURIComponent(runId)}/history` : base;
}
