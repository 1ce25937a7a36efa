/** Every recorded-history scenario; each workflow type has at least one. */
import { inventoryItemScenario } from './inventory-item';
import { orderScenarios } from './order';
import { procurementCancelledScenario, procurementReceivedScenario } from './procurement';
import type { HistoryScenario } from './scenario';

export const HISTORY_SCENARIOS: HistoryScenario[] = [
  inventoryItemScenario,
  ...orderScenarios,
  procurementReceivedScenario,
  procurementCancelledScenario,
];
