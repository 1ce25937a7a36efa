/** Building blocks of the planners (no import of the router's values, so no import cycle). */
import type { SignalDefinition } from '@temporalio/client';
import type { EventRef } from '../../domain/inventory';
import type { RoutePlan, StoredEvent } from '../routing';

/** The event a workflow is told caused a delivery: its dedupe key and the flow it belongs to. */
export const causeOf = (event: StoredEvent): EventRef => ({
  source: event.source,
  id: event.id,
  correlationId: event.correlationId,
});

/**
 * A route that signals the running workflow `workflowId`. When none is running (not started yet,
 * or closed) the delivery fails and the route stays pending, with the error, for the relay.
 */
export function signalRunning<T>(workflowId: string, signal: SignalDefinition<[T]>, payload: T): RoutePlan {
  return {
    workflowId,
    async deliver(client) {
      const handle = client.workflow.getHandle(workflowId);
      await handle.signal(signal, payload);
      return { runId: (await handle.describe()).runId };
    },
  };
}
