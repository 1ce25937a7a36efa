/** Every recorded-history scenario; each workflow type has at least one. */
import { customerFollowUpScenario } from './customer-follow-up';
import { inventoryItemScenario } from './inventory-item';
import { orderScenarios } from './order';
import { procurementCancelledScenario, procurementReceivedScenario } from './procurement';
import type { HistoryScenario } from './scenario';
import { ticketScenario } from './ticket';

export const HISTORY_SCENARIOS: HistoryScenario[] = [
  inventoryItemScenario,
  ...orderScenarios,
  procurementReceivedScenario,
  procurementCancelledScenario,
  ticketScenario,
  customerFollowUpScenario,
];
