/** Every recorded-history scenario; each workflow type has at least one. */
import { inventoryItemScenario } from './inventory-item';
import { procurementCancelledScenario, procurementReceivedScenario } from './procurement';
import type { HistoryScenario } from './scenario';

export const HISTORY_SCENARIOS: HistoryScenario[] = [
  inventoryItemScenario,
  procurementReceivedScenario,
  procurementCancelledScenario,
];
