/**
 * Replay diff only (scripts/replay-diff.ts bundles it; production workers never load it): hands
 * the commands the workflow code produces in each activation, inputs included, out of the sandbox
 * through the `replayCapture` sink, so the command line can compare them with the history's events.
 * It only reads the commands and passes them on unchanged, so replay stays deterministic.
 */
import { proxySinks, type Sinks, type WorkflowInterceptorsFactory } from '@temporalio/workflow';
import type { coresdk } from '@temporalio/proto';

export interface ReplayCaptureSinks extends Sinks {
  replayCapture: {
    /** The commands one activation concluded with (the SDK clones them for the sink). */
    commands(commands: coresdk.workflow_commands.IWorkflowCommand[]): void;
  };
}

const { replayCapture } = proxySinks<ReplayCaptureSinks>();

export const interceptors: WorkflowInterceptorsFactory = () => ({
  internals: [
    {
      concludeActivation(input, next) {
        if (input.commands.length) replayCapture.commands(input.commands);
        return next(input);
      },
    },
  ],
});
