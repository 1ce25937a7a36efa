/** The long-lived Temporal client: one per process, injected wherever it is needed. */
import fs from 'node:fs';
import {
  Client,
  Connection,
  type SignalDefinition,
  type TLSConfig,
  type WorkflowSignalWithStartOptions,
} from '@temporalio/client';
import type { History } from '@temporalio/common/lib/proto-utils';
import { ConfigError, type Config } from './config';

/** TLS and API key for the connection (Temporal Cloud, or a server behind TLS); none for a dev server. */
export interface TemporalSecurity {
  tls?: TLSConfig | boolean;
  apiKey?: string;
}

/**
 * From TEMPORAL_TLS, TEMPORAL_TLS_CERT_PATH / _KEY_PATH and TEMPORAL_API_KEY. TLS is on when asked
 * for, or when an API key or a client certificate is given. An unreadable file names its setting.
 */
export function temporalSecurity(config: Config): TemporalSecurity {
  const read = (setting: 'TEMPORAL_TLS_CERT_PATH' | 'TEMPORAL_TLS_KEY_PATH', file: string): Buffer => {
    try {
      return fs.readFileSync(file);
    } catch (err) {
      throw new ConfigError([{ setting, message: `cannot read ${file}: ${(err as Error).message}` }]);
    }
  };
  const clientCertPair =
    config.TEMPORAL_TLS_CERT_PATH && config.TEMPORAL_TLS_KEY_PATH
      ? {
          crt: read('TEMPORAL_TLS_CERT_PATH', config.TEMPORAL_TLS_CERT_PATH),
          key: read('TEMPORAL_TLS_KEY_PATH', config.TEMPORAL_TLS_KEY_PATH),
        }
      : undefined;
  const tls = config.TEMPORAL_TLS ?? Boolean(config.TEMPORAL_API_KEY || clientCertPair);
  return {
    ...(tls ? { tls: clientCertPair ? { clientCertPair } : true } : {}),
    ...(config.TEMPORAL_API_KEY ? { apiKey: config.TEMPORAL_API_KEY } : {}),
  };
}

export interface TemporalHandle {
  client: Client;
  connection: Connection;
  namespace: string;
  /** Prefix of the per-domain task queues (see taskQueueName). */
  taskQueuePrefix: string;
  uiUrl: string;
  /** Deadline for one routing call, so an unreachable Temporal delays an answer by at most this. */
  rpcTimeoutMs: number;
}

export function connectTemporal(
  address: string,
  opts: {
    namespace: string;
    taskQueuePrefix: string;
    uiUrl: string;
    rpcTimeoutMs?: number;
    security?: TemporalSecurity;
  },
): TemporalHandle {
  const { security, ...rest } = opts;
  // lazy: the API must start (and accept events) even while Temporal is unreachable
  const connection = Connection.lazy({ address, ...security });
  const client = new Client({ connection, namespace: opts.namespace });
  return { client, connection, rpcTimeoutMs: 3000, ...rest };
}

/** For process entry points: the security settings, or a message naming the bad setting and exit 1. */
export function temporalSecurityOrExit(config: Config): TemporalSecurity {
  try {
    return temporalSecurity(config);
  } catch (err) {
    if (err instanceof ConfigError) {
      process.stderr.write(`${err.message}\n`);
      process.exit(1);
    }
    throw err;
  }
}

export function temporalAddress(config: Config): string {
  return config.TEMPORAL_ADDRESS ?? `localhost:${config.TEMPORAL_DEV_PORT}`;
}

/** The part of a client Connection or a worker's NativeConnection a readiness check needs. */
interface AnswersSystemInfo {
  withDeadline<R>(deadline: number | Date, fn: () => Promise<R>): Promise<R>;
  workflowService: { getSystemInfo(request: object): Promise<unknown> };
}

/** Readiness: Temporal's frontend answers GetSystemInfo within 2 seconds. */
export async function checkTemporal(
  connection: AnswersSystemInfo,
): Promise<{ ok: boolean; detail?: string }> {
  try {
    await connection.withDeadline(Date.now() + 2000, () => connection.workflowService.getSystemInfo({}));
    return { ok: true };
  } catch (err) {
    return { ok: false, detail: `unreachable: ${(err as Error).message}` };
  }
}

/**
 * The history of one run of `workflowId` (`runId`, or the latest), or with `allRuns` the whole
 * continue-as-new chain ending at it; oldest first.
 */
export async function fetchRunChain(
  client: Client,
  workflowId: string,
  opts: { runId?: string; allRuns?: boolean } = {},
): Promise<History[]> {
  const histories: History[] = [];
  let runId = opts.runId;
  do {
    const history = await client.workflow.getHandle(workflowId, runId).fetchHistory();
    histories.unshift(history);
    runId =
      history.events?.[0]?.workflowExecutionStartedEventAttributes?.continuedExecutionRunId || undefined;
  } while (opts.allRuns && runId);
  return histories;
}

/** A link that opens one execution in the Temporal Web UI. */
export function executionUiLink(uiUrl: string, namespace: string, workflowId: string, runId?: string | null) {
  const base = `${uiUrl}/namespaces/${encodeURIComponent(namespace)}/workflows/${encodeURIComponent(workflowId)}`;
  return runId ? `${base}/${encodeURIComponent(runId)}/history` : base;
}

/**
 * Signal-with-start of the workflow of a business key (a SKU, a ticket, a customer, ...): a running
 * execution takes the signal; when none runs (never started, or closed) a new run starts with
 * `args` and takes it. Answers the run that got the signal.
 */
// eslint-disable-next-line @typescript-eslint/no-explicit-any -- the SDK types signal arguments as any[]
export async function signalWithStartKeyed<Args extends any[]>(
  client: Client,
  opts: {
    type: string;
    workflowId: string;
    taskQueue: string;
    args: unknown[];
    signal: SignalDefinition<Args>;
    signalArgs: Args;
  },
): Promise<string> {
  const options: WorkflowSignalWithStartOptions<[]> & { args: unknown[] } = {
    workflowId: opts.workflowId,
    workflowIdConflictPolicy: 'USE_EXISTING',
    workflowIdReusePolicy: 'ALLOW_DUPLICATE',
    taskQueue: opts.taskQueue,
    args: opts.args,
    // the SDK's option type branches on whether the signal takes arguments, which a generic
    // cannot decide; the signature above keeps the signal and its arguments in step
    signal: opts.signal as unknown as SignalDefinition<[]>,
    signalArgs: opts.signalArgs as unknown as [],
  };
  const handle = await client.workflow.signalWithStart(opts.type, options);
  return handle.signaledRunId;
}
