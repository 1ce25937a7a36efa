/** A recorded-history scenario: drives one workflow type through a path against real services. */
import fs from 'node:fs';
import path from 'node:path';
import type { Client } from '@temporalio/client';
import { historyToJSON } from '@temporalio/common/lib/proto-utils';
import type { Db } from '../../db/client';
import type { BusinessSettingsInput } from '../../domain/settings';
import { fetchRunChain } from '../../lib/temporal';
import { HISTORIES_DIR } from '../../test/support/histories';

export interface ScenarioContext {
  client: Client;
  /** Workers poll `<prefix>-<domain>` for every domain. */
  taskQueuePrefix: string;
  db: Db;
  /** Saves every run of the execution chain `workflowId` as `<name>-run<N>.json`; returns the files. */
  save(workflowId: string, name: string): Promise<string[]>;
}

export interface HistoryScenario {
  /** File name stem, and what `npm run test:record-histories -- <name>` selects. */
  name: string;
  /** Settings the scenario's workers run with (short durations), over the defaults. */
  settings?: BusinessSettingsInput;
  run(ctx: ScenarioContext): Promise<string[]>;
}

/**
 * Saves every run of `workflowId` as `<name>-runN.json`, answering what it did per file. An existing file is kept unless
 * `overwrite`: saved histories stand for the code that wrote them (the versioning test needs the
 * ones recorded before a patch), so re-recording replaces one only on purpose.
 */
export async function saveChain(
  client: Client,
  workflowId: string,
  name: string,
  overwrite = false,
): Promise<string[]> {
  const histories = await fetchRunChain(client, workflowId, { allRuns: true });
  fs.mkdirSync(HISTORIES_DIR, { recursive: true });
  return histories.map((history, i) => {
    const file = path.join(HISTORIES_DIR, `${name}-run${i + 1}.json`);
    const shown = path.relative(process.cwd(), file);
    if (!overwrite && fs.existsSync(file)) return `kept ${shown} (it exists; --overwrite replaces it)`;
    fs.writeFileSync(
      file,
      `{"workflowId":${JSON.stringify(workflowId)},"history":${historyToJSON(history)}}\n`,
    );
    return `saved ${shown}`;
  });
}
