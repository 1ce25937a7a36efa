/**
 * Versioning of order-to-cash (README "Changing a workflow safely"): the change guarded with
 * patched(ORDER_PATCHES.claimPrepaidPayments). Histories recorded before it have no patch marker and
 * replay (test/replay/replay.test.ts replays them all); the history recorded after it has the marker.
 * Then the next step, deprecatePatch: the workflow bundled with every patched() replaced by
 * deprecatePatch() + the new path replays the patched history, and rejects every pre-patch history
 * that reached the changed code with a determinism violation (those that never reached it still
 * replay). That is why deprecatePatch waits until no execution started before the patch is open.
 */
import path from 'node:path';
import { bundleWorkflowCode, Worker } from '@temporalio/worker';
import { DeterminismViolationError } from '@temporalio/workflow';
import { ORDER_PATCHES } from '../../domain/sales';
import { WORKFLOWS_PATH } from '../../workers/bundle';
import { loadSavedHistories, patchMarkers, type SavedHistory } from '../support/histories';

const PATCH = ORDER_PATCHES.claimPrepaidPayments;
const orders = loadSavedHistories().filter((s) => s.workflowType === 'orderWorkflow');
const patchedHistories = orders.filter((s) => patchMarkers(s.history).includes(PATCH));
const prePatch = orders.filter((s) => patchMarkers(s.history).length === 0);

/** Whether the run reached the changed code (the invoice was issued). */
const invoiced = (s: SavedHistory) =>
  (s.history.events ?? []).some(
    (e) => e.activityTaskScheduledEventAttributes?.activityType?.name === 'issueInvoice',
  );

const noop = () => undefined;
const quiet = { log: noop, trace: noop, debug: noop, info: noop, warn: noop, error: noop };

describe('order-to-cash versioning', () => {
  it('has histories from before the patch (no marker) and after it (the marker)', () => {
    expect(prePatch.length).toBeGreaterThanOrEqual(5);
    expect(prePatch.filter(invoiced).length).toBeGreaterThanOrEqual(3);
    expect(patchedHistories.map((s) => s.file)).toContain('order-prepaid-claimed-run1.json');
    // every order history is either from before the patch or recorded with it: no other patch yet
    expect(prePatch.length + patchedHistories.length).toBe(orders.length);
  });

  describe('after deprecatePatch', () => {
    let deprecated: { code: string };
    beforeAll(async () => {
      const shim = path.join(__dirname, '..', 'fixtures', 'deprecated-patch', 'workflow-shim.ts');
      deprecated = await bundleWorkflowCode({
        workflowsPath: WORKFLOWS_PATH,
        logger: quiet,
        webpackConfigHook: (config) => {
          const alias = config.resolve?.alias;
          config.resolve = {
            ...config.resolve,
            alias: { ...(Array.isArray(alias) ? {} : alias), '@temporalio/workflow$': shim },
          };
          return config;
        },
      });
    }, 120_000);

    it('replays the history recorded with the patch', async () => {
      for (const s of patchedHistories) {
        await expect(
          Worker.runReplayHistory(
            { workflowBundle: deprecated, replayName: s.file },
            s.history,
            s.workflowId,
          ),
        ).resolves.toBeUndefined();
      }
    });

    it('rejects every pre-patch history that reached the changed code with a nondeterminism error', async () => {
      for (const s of prePatch.filter(invoiced)) {
        await expect(
          Worker.runReplayHistory(
            { workflowBundle: deprecated, replayName: s.file },
            s.history,
            s.workflowId,
          ),
        ).rejects.toThrow(DeterminismViolationError);
      }
    });

    it('still replays pre-patch histories that ended before the changed code', async () => {
      const early = prePatch.filter((s) => !invoiced(s));
      expect(early.length).toBeGreaterThanOrEqual(1);
      for (const s of early) {
        await expect(
          Worker.runReplayHistory(
            { workflowBundle: deprecated, replayName: s.file },
            s.history,
            s.workflowId,
          ),
        ).resolves.toBeUndefined();
      }
    });
  });
});
