/** Every saved history replays against today's workflow code; an incompatible change is caught. */
import path from 'node:path';
import { DeterminismViolationError } from '@temporalio/workflow';
import { Worker } from '@temporalio/worker';
import * as workflows from '../../workflows';
import { buildWorkflowBundle } from '../../workers/bundle';
import { readContext } from '../support/infrastructure';
import { loadSavedHistories } from '../support/histories';

const saved = loadSavedHistories();

describe('saved histories', () => {
  it('cover every workflow type the worker registers', () => {
    const covered = new Set(saved.map((s) => s.workflowType));
    expect([...covered].sort()).toEqual(Object.keys(workflows).sort());
  });

  it('all replay against the current workflow code', async () => {
    const results = Worker.runReplayHistories(
      { workflowBundle: { codePath: readContext().workflowBundlePath } },
      saved.map((s) => ({ workflowId: s.workflowId, history: s.history })),
    );
    const failures: string[] = [];
    let replayed = 0;
    for await (const result of results) {
      replayed++;
      if (result.error) failures.push(`${result.workflowId}: ${result.error.message}`);
    }
    expect(failures).toEqual([]);
    expect(replayed).toBe(saved.length);
    expect(replayed).toBeGreaterThan(0);
  });

  it('reject a deliberately changed inventory workflow with a determinism violation', async () => {
    const changed = await buildWorkflowBundle(path.join(__dirname, '..', 'fixtures', 'changed-workflows'));
    const history = saved.find((s) => s.workflowType === 'inventoryItemWorkflow');
    expect(history).toBeDefined();
    await expect(
      Worker.runReplayHistory({ workflowBundle: changed }, history!.history, history!.workflowId),
    ).rejects.toThrow(DeterminismViolationError);
  });
});
