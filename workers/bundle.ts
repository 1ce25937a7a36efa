/** Builds the workflow bundle once (webpack), for a worker process or a whole test run. */
import fs from 'node:fs';
import path from 'node:path';
import { bundleWorkflowCode } from '@temporalio/worker';

export const WORKFLOWS_PATH = require.resolve('../workflows');

export async function buildWorkflowBundle(workflowsPath: string = WORKFLOWS_PATH): Promise<{ code: string }> {
  return bundleWorkflowCode({ workflowsPath, logger: quietBundlerLogger });
}

export async function writeWorkflowBundle(outFile: string, workflowsPath?: string): Promise<void> {
  const { code } = await buildWorkflowBundle(workflowsPath);
  fs.mkdirSync(path.dirname(outFile), { recursive: true });
  fs.writeFileSync(outFile, code);
}

const noop = () => undefined;
const quietBundlerLogger = {
  log: noop,
  trace: noop,
  debug: noop,
  info: noop,
  warn: noop,
  error: (message: string, meta?: Record<string, unknown>) => console.error(message, meta ?? ''),
};

if (require.main === module) {
  const out = process.argv[2] ?? 'dist/workflow-bundle.js';
  writeWorkflowBundle(out).then(
    () => console.log(`workflow bundle written to ${out}`),
    (err: unknown) => {
      console.error(err);
      process.exit(1);
    },
  );
}
