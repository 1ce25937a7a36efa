/**
 * `npm run replay:diff`: every saved history gives the same commands with the same input under
 * today's workflow code; a deliberate business-rule change (the reorder quantity rounded to the
 * nearest pack instead of up, test/fixtures/pack-rounding) passes plain replay and is caught by the
 * diff, which names the procurement's quantity, 20 → 15.
 */
import { spawn } from 'node:child_process';
import path from 'node:path';
import { bundleWorkflowCode, Worker, type BundleOptions } from '@temporalio/worker';
import type { Loaded } from '../../scripts/lib/histories';
import {
  bundleForDiff,
  diffHistories,
  diffSummary,
  formatHistoryDiff,
  type HistoryDiff,
} from '../../scripts/lib/replay-diff';
import { WORKFLOWS_PATH } from '../../workers/bundle';
import { HISTORIES_DIR, loadSavedHistories, type SavedHistory } from '../support/histories';

const ROOT = path.resolve(__dirname, '..', '..');
const saved = loadSavedHistories();
const inventory = saved.filter((s) => s.workflowType === 'inventoryItemWorkflow');
/** The run that started a procurement: 17 wanted (order up to 20, projected 3), packs of 5. */
const reorderRun = saved.find((s) => s.file === 'inventory-item-run2.json')!;

/** Runs scripts/replay-diff.ts as `npm run replay:diff` does. */
function replayDiff(args: string[]): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ['--import', 'tsx', 'scripts/replay-diff.ts', ...args], {
      cwd: ROOT,
      env: { ...process.env, WORKFLOW_BUNDLE_PATH: '' },
      timeout: 120_000,
    });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    child.on('error', reject);
    child.on('close', (code) => resolve({ code, stdout, stderr }));
  });
}

/**
 * The workflows with test/fixtures/pack-rounding/inventory.ts in place of domain/inventory.ts for
 * every workflow module that imports it (the fixture itself still reaches the real one).
 */
const packRounding: BundleOptions['webpackConfigHook'] = (config) => {
  const workflowsDir = path.dirname(WORKFLOWS_PATH);
  const fixture = path.join(__dirname, '..', 'fixtures', 'pack-rounding', 'inventory.ts');
  (config.plugins ??= []).push({
    apply(compiler) {
      new compiler.webpack.NormalModuleReplacementPlugin(/^\.\.\/domain\/inventory$/, (resource) => {
        if (resource.context === workflowsDir) resource.request = fixture;
      }).apply(compiler);
    },
  });
  return config;
};

const asLoaded = (s: SavedHistory): Loaded => ({
  workflowId: s.workflowId,
  history: s.history,
  source: s.file,
});

async function diffAll(bundle: { code: string }, histories: SavedHistory[]): Promise<HistoryDiff[]> {
  const results: HistoryDiff[] = [];
  for await (const r of diffHistories(bundle, histories.map(asLoaded))) results.push(r);
  return results;
}

describe('npm run replay:diff', () => {
  it('finds every saved history the same under the current workflow code, and exits 0', async () => {
    const run = await replayDiff([path.relative(ROOT, HISTORIES_DIR)]);
    expect(run.stderr).toBe('');
    for (const s of saved)
      expect(run.stdout).toMatch(
        new RegExp(
          `^ok +${s.workflowId} \\(${path.join('test', 'histories', s.file)}\\): \\d+ commands compared$`,
          'm',
        ),
      );
    expect(run.stdout).toContain(`${saved.length} same, 0 differ, 0 nondeterministic`);
    expect(run.code).toBe(0);
  }, 180_000);

  it('reports a determinism failure as DETERMINISM, in JSON with --json, and exits 1', async () => {
    const file = path.join(HISTORIES_DIR, 'inventory-item-run1.json');
    const changed = path.join('test', 'fixtures', 'changed-workflows');
    const run = await replayDiff(['--json', '--workflows', changed, file]);
    const out = JSON.parse(run.stdout) as { histories: HistoryDiff[]; summary: string };
    expect(out.histories).toHaveLength(1);
    expect(out.histories[0]).toMatchObject({ source: file, status: 'nondeterministic' });
    expect(out.histories[0]!.error).toMatch(/^DeterminismViolationError: .*Nondeterminism/);
    expect(out.summary).toBe('0 same, 0 differ, 1 nondeterministic');
    expect(run.code).toBe(1);
  }, 180_000);

  it('exits 2 with the usage text for bad arguments', async () => {
    const run = await replayDiff(['--timer-tolerance', 'soon', 'x.json']);
    expect(run.code).toBe(2);
    expect(run.stderr).toContain('usage: npm run replay:diff');
  }, 60_000);

  describe('a reorder quantity rounded to the nearest pack instead of up', () => {
    let plain: { code: string };
    let withCapture: { code: string };
    beforeAll(async () => {
      const noop = () => undefined;
      const quiet = { log: noop, trace: noop, debug: noop, info: noop, warn: noop, error: noop };
      plain = await bundleWorkflowCode({
        workflowsPath: WORKFLOWS_PATH,
        logger: quiet,
        webpackConfigHook: packRounding,
      });
      withCapture = await bundleForDiff(WORKFLOWS_PATH, { webpackConfigHook: packRounding });
    }, 180_000);

    it('passes plain replay: the same commands in the same order', async () => {
      const failures: string[] = [];
      for await (const r of Worker.runReplayHistories(
        { workflowBundle: plain },
        inventory.map((s) => ({ workflowId: s.workflowId, history: s.history })),
      ))
        if (r.error) failures.push(`${r.workflowId}: ${r.error.message}`);
      expect(failures).toEqual([]);
    });

    it('is reported by the diff: the procurement started for 15 instead of 20', async () => {
      const results = await diffAll(withCapture, inventory);
      const byFile = new Map(results.map((r) => [r.source, r]));
      const reorder = byFile.get(reorderRun.file)!;
      expect(reorder.status).toBe('differ');
      expect(reorder.differences).toEqual([
        {
          kind: 'childWorkflow',
          name: 'procurementWorkflow',
          target: 'procurement-PO-SKU-HISTORY-1-1',
          eventId: 30,
          path: 'args[0].quantity',
          history: 20,
          current: 15,
        },
        // the quantity on order it carries into the next run
        {
          kind: 'continueAsNew',
          name: 'inventoryItemWorkflow',
          eventId: 35,
          path: 'args[0].reorder.open[0].quantity',
          history: 20,
          current: 15,
        },
      ]);
      expect(formatHistoryDiff(reorder)).toEqual([
        `DIFF        ${reorderRun.workflowId} (${reorderRun.file}): 2 of ${reorder.compared} commands' values differ (recorded → now)`,
        '    child workflow procurementWorkflow → procurement-PO-SKU-HISTORY-1-1 (event 30)',
        '      args[0].quantity: 20 → 15',
        '    continue-as-new inventoryItemWorkflow (event 35)',
        '      args[0].reorder.open[0].quantity: 20 → 15',
      ]);
      // no determinism failure anywhere, and the runs that ordered nothing are the same
      expect(results.filter((r) => r.status === 'nondeterministic')).toEqual([]);
      expect(byFile.get('inventory-item-run1.json')!.status).toBe('same');
      expect(diffSummary(results)).toMatch(/^\d+ same, \d+ differ, 0 nondeterministic$/);
    });

    it('refuses a bundle without the capture interceptor rather than finding nothing', async () => {
      await expect(diffAll(plain, [reorderRun])).rejects.toThrow('no commands were captured on replay');
    });

    it('leaves the other workflows unchanged', async () => {
      const others = saved.filter((s) => s.workflowType !== 'inventoryItemWorkflow');
      const results = await diffAll(withCapture, others);
      expect(results.map((r) => `${r.source}: ${r.status}`)).toEqual(others.map((s) => `${s.file}: same`));
    });
  });
});
