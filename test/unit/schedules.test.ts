/** The schedule definitions and the pieces of the schedules API that need no server. */
import { isoDuration } from '../../api/schedules';
import { SCHEDULE_IDS, WORKFLOW_TYPES } from '../../domain/names';
import {
  definitionFingerprint,
  SCHEDULE_DEFINITIONS,
  scheduleDefinition,
  scheduleOptions,
} from '../../workers/schedules';

const target = { taskQueuePrefix: 'erp', idPrefix: '' };

describe('schedule definitions', () => {
  it('define each schedule id once, with the production ids and queues', () => {
    expect(SCHEDULE_DEFINITIONS.map((d) => d.scheduleId).sort()).toEqual(Object.values(SCHEDULE_IDS).sort());
    const nightly = scheduleOptions(scheduleDefinition(SCHEDULE_IDS.reconciliationNightly), target);
    expect(nightly).toMatchObject({
      scheduleId: 'reconciliation-nightly',
      action: {
        workflowType: WORKFLOW_TYPES.reconciliationBatch,
        workflowId: 'reconciliation-nightly',
        taskQueue: 'erp-finance',
        args: [{}],
      },
      policies: { overlap: 'SKIP', catchupWindow: 4 * 3_600_000, pauseOnFailure: false },
    });
    const sweep = scheduleOptions(scheduleDefinition(SCHEDULE_IDS.inventorySweep), {
      ...target,
      idPrefix: 't-',
    });
    expect(sweep).toMatchObject({
      scheduleId: 't-inventory-sweep',
      action: { workflowId: 't-inventory-sweep', taskQueue: 'erp-inventory' },
    });
  });

  it('fingerprint a definition: stable, and different when anything defined changes', () => {
    const def = scheduleDefinition(SCHEDULE_IDS.receivablesAgeingReport);
    expect(definitionFingerprint(def, target)).toBe(definitionFingerprint({ ...def }, target));
    expect(definitionFingerprint({ ...def, description: 'reworded' }, target)).toBe(
      definitionFingerprint(def, target),
    );
    for (const changed of [
      { ...def, spec: { calendars: [{ hour: 6 }] } },
      { ...def, overlap: 'SKIP' as const },
      { ...def, catchupWindowMs: 1 },
      { ...def, args: [{ asOf: '2026-01-01' }] },
    ]) {
      expect(definitionFingerprint(changed, target)).not.toBe(definitionFingerprint(def, target));
    }
    expect(definitionFingerprint(def, { ...target, taskQueuePrefix: 'other' })).not.toBe(
      definitionFingerprint(def, target),
    );
  });
});

describe('isoDuration', () => {
  it.each([
    [0, 'PT0S'],
    [10 * 60_000, 'PT10M'],
    [4 * 3_600_000, 'PT4H'],
    [86_400_000, 'P1D'],
    [86_400_000 + 90 * 60_000 + 5000, 'P1DT1H30M5S'],
  ])('%i ms is %s', (ms, iso) => {
    expect(isoDuration(ms)).toBe(iso);
  });
});
