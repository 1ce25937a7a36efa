/** The `workflow: { id, runId, status }` block every workflow-backed resource carries. */
import { WorkflowNotFoundError } from '@temporalio/client';
import type { AppDeps } from './app';

export interface WorkflowRef {
  id: string;
  runId: string | null;
  /** Temporal's execution status, 'NOT_FOUND', or 'UNKNOWN' when Temporal did not answer in time. */
  status: string;
}

const DESCRIBE_DEADLINE_MS = 2000;

export async function describeWorkflow(deps: AppDeps, workflowId: string): Promise<WorkflowRef> {
  try {
    const description = await deps.temporal.client.withDeadline(Date.now() + DESCRIBE_DEADLINE_MS, () =>
      deps.temporal.client.workflow.getHandle(workflowId).describe(),
    );
    return { id: workflowId, runId: description.runId, status: description.status.name };
  } catch (err) {
    if (err instanceof WorkflowNotFoundError) return { id: workflowId, runId: null, status: 'NOT_FOUND' };
    deps.logger.warn({ workflowId, err: (err as Error).message }, 'workflow describe failed');
    return { id: workflowId, runId: null, status: 'UNKNOWN' };
  }
}
