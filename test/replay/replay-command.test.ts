/** `npm run replay` as a child process: history files in each format, a determinism failure, bad input, and a fetch. */
import { spawn } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { historyToJSON } from '@temporalio/common/lib/proto-utils';
import type { InventoryItemInput, StockChange, StockChangeOutcome } from '../../domain/inventory';
import { inventoryWorkflowId } from '../../domain/names';
import { sendStockChange } from '../../api/routing';
import { readContext } from '../support/infrastructure';
import { workflowTestbed } from '../support/workflow-testbed';
import { HISTORIES_DIR, loadSavedHistories } from '../support/histories';
import { uniqueKey, waitForApplied } from '../support/harness';
import { noReorderRule } from '../support/inventory-mocks';

const ROOT = path.resolve(__dirname, '..', '..');
const context = readContext();
const saved = loadSavedHistories();
const inventoryHistory = saved.find((s) => s.workflowType === 'inventoryItemWorkflow')!;
let tmp: string;

interface Run {
  code: number | null;
  stdout: string;
  stderr: string;
}

/** Runs scripts/replay.ts with the test's environment plus `env`; the prebuilt test bundle unless overridden. */
function replay(args: string[], env: Record<string, string> = {}): Promise<Run> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ['--import', 'tsx', 'scripts/replay.ts', ...args], {
      cwd: ROOT,
      env: { ...process.env, WORKFLOW_BUNDLE_PATH: context.workflowBundlePath, ...env },
      timeout: 90_000,
    });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    child.on('error', reject);
    child.on('close', (code) => resolve({ code, stdout, stderr }));
  });
}

/** Writes a history in the shape of `temporal workflow show --output json`. */
function writeCliHistory(name: string): string {
  const file = path.join(tmp, name);
  fs.writeFileSync(file, historyToJSON(inventoryHistory.history));
  return file;
}

beforeAll(() => {
  tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'replay-command-'));
});
afterAll(() => fs.rmSync(tmp, { recursive: true, force: true }));

describe('npm run replay', () => {
  it('replays the saved histories, bundling workflows/, and exits 0', async () => {
    const run = await replay([path.relative(ROOT, HISTORIES_DIR)], { WORKFLOW_BUNDLE_PATH: '' });
    expect(run.stderr).toBe('');
    for (const s of saved)
      expect(run.stdout).toContain(`ok   ${s.workflowId} (${s.history.events!.length} events)`);
    expect(run.stdout).toContain(`${saved.length} replayed, 0 failed`);
    expect(run.code).toBe(0);
  }, 120_000);

  it("replays a history in the Temporal CLI's { events } shape", async () => {
    const file = writeCliHistory('cli-shape.json');
    const run = await replay([file]);
    expect(run.stdout).toContain(`ok   ${file} (${inventoryHistory.history.events!.length} events)`);
    expect(run.stdout).toContain('1 replayed, 0 failed');
    expect(run.code).toBe(0);
  }, 120_000);

  it('fails a history against changed workflow code with a DeterminismViolationError and exits 1', async () => {
    const changed = path.join('test', 'fixtures', 'changed-workflows');
    const run = await replay(['--workflows', changed, path.join(HISTORIES_DIR, inventoryHistory.file)]);
    expect(run.stdout).toMatch(
      new RegExp(`^FAIL ${inventoryHistory.workflowId}: DeterminismViolationError: .*Nondeterminism`, 'm'),
    );
    expect(run.stdout).toContain('1 replayed, 1 failed');
    expect(run.code).toBe(1);
  }, 120_000);

  it('reports a file that is not JSON as a FAIL line naming it, and replays the rest', async () => {
    const dir = path.join(tmp, 'mixed');
    fs.mkdirSync(dir);
    const bad = path.join(dir, 'a-not-json.json');
    fs.writeFileSync(bad, 'this is not json');
    fs.writeFileSync(path.join(dir, 'b-good.json'), historyToJSON(inventoryHistory.history));
    const run = await replay([dir]);
    expect(run.stdout).toMatch(new RegExp(`^FAIL ${bad}: SyntaxError: `, 'm'));
    expect(run.stdout).toMatch(/^ok {3}.*b-good\.json \(\d+ events\)$/m);
    expect(run.stdout).toContain('2 replayed, 1 failed');
    expect(run.code).toBe(1);
  }, 120_000);

  it('exits 2 with the usage text for an unknown option, and 0 for --help', async () => {
    const bad = await replay(['--bogus', 'x.json']);
    expect(bad.code).toBe(2);
    expect(bad.stderr).toContain("Unknown option '--bogus'");
    expect(bad.stderr).toContain('usage: npm run replay');
    const help = await replay(['--help']);
    expect(help.code).toBe(0);
    expect(help.stdout).toContain('usage: npm run replay');
  }, 120_000);

  describe('--workflow-id', () => {
    const testbed = workflowTestbed();

    it('fetches the latest run, one run, or every run of the chain from Temporal and replays it', async () => {
      const sku = uniqueKey('REPLAY');
      const workflowId = inventoryWorkflowId(sku);
      const input: InventoryItemInput = { sku, maxChangesPerRun: 2 };
      const change = (i: number): StockChange => ({
        sku,
        delta: 1,
        reason: 'replay command test',
        cause: { source: 'replay-test', id: `e${i}`, correlationId: 'replay-test' },
      });
      // this tests the replay tool, not the activity
      const applyStockChange = async (): Promise<StockChangeOutcome> => ({ status: 'applied', onHand: 0 });
      const taskQueue = `replay-${randomUUID()}`;
      const firstRunId = await testbed.runWorker(
        taskQueue,
        { ...noReorderRule, applyStockChange },
        async () => {
          const runId = await sendStockChange(testbed.client, taskQueue, input, change(1));
          await sendStockChange(testbed.client, taskQueue, input, change(2));
          await waitForApplied(testbed.client, workflowId, 2);
          // the first run continued as new after two changes; the third lands in the second run
          await sendStockChange(testbed.client, taskQueue, input, change(3));
          await waitForApplied(testbed.client, workflowId, 3);
          return runId;
        },
      );
      const first = await testbed.client.workflow.getHandle(workflowId, firstRunId).describe();
      expect(first.status.name).toBe('CONTINUED_AS_NEW');

      const env = { TEMPORAL_ADDRESS: context.temporalAddress, TEMPORAL_NAMESPACE: context.namespace };
      const okLine = new RegExp(`^ok {3}${workflowId} \\(\\d+ events\\)$`, 'gm');
      try {
        const latest = await replay(['--workflow-id', workflowId], env);
        expect(latest.stdout.match(okLine)).toHaveLength(1);
        expect(latest.stdout).toContain('1 replayed, 0 failed');
        expect(latest.code).toBe(0);

        const one = await replay(['--workflow-id', workflowId, '--run-id', firstRunId], env);
        expect(one.stdout.match(okLine)).toHaveLength(1);
        expect(one.code).toBe(0);

        const all = await replay(['--workflow-id', workflowId, '--all-runs'], env);
        expect(all.stdout.match(okLine)).toHaveLength(2);
        expect(all.stdout).toContain('2 replayed, 0 failed');
        expect(all.code).toBe(0);
      } finally {
        await testbed.client.workflow.getHandle(workflowId).terminate('test done');
      }
    }, 180_000);
  });
});
