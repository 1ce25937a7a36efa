/** Saved workflow histories under test/histories: one JSON file per run, named after its scenario. */
import fs from 'node:fs';
import path from 'node:path';
import { historyFromJSON } from '@temporalio/common/lib/proto-utils';
import type { temporal } from '@temporalio/proto';

export const HISTORIES_DIR = path.resolve(__dirname, '..', 'histories');

export interface SavedHistory {
  file: string;
  workflowId: string;
  workflowType: string;
  history: temporal.api.history.v1.IHistory;
}

export function loadSavedHistories(): SavedHistory[] {
  return fs
    .readdirSync(HISTORIES_DIR)
    .filter((f) => f.endsWith('.json'))
    .sort()
    .map((file) => {
      const saved = JSON.parse(fs.readFileSync(path.join(HISTORIES_DIR, file), 'utf8')) as {
        workflowId: string;
        history: unknown;
      };
      const history = historyFromJSON(saved.history);
      const started = history.events?.[0]?.workflowExecutionStartedEventAttributes;
      return { file, workflowId: saved.workflowId, workflowType: started?.workflowType?.name ?? '', history };
    });
}

/** The ids of the patches (`patched()` / `deprecatePatch()`) a history recorded, in order. */
export function patchMarkers(history: temporal.api.history.v1.IHistory): string[] {
  const ids: string[] = [];
  for (const e of history.events ?? []) {
    const m = e.markerRecordedEventAttributes;
    if (!m || m.markerName !== 'core_patch') continue;
    const data = m.details?.['patch-data']?.payloads?.[0]?.data;
    if (!data) continue;
    const parsed = JSON.parse(Buffer.from(data).toString('utf8')) as { id?: string };
    if (parsed.id) ids.push(parsed.id);
  }
  return ids;
}
