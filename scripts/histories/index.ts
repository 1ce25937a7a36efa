/** Every recorded-history scenario; each workflow type has at least one. */
import { customerFollowUpScenario } from './customer-follow-up';
import { inventoryItemScenario } from './inventory-item';
import type { HistoryScenario } from './scenario';
import { ticketScenario } from './ticket';

export const HISTORY_SCENARIOS: HistoryScenario[] = [
  inventoryItemScenario,
  ticketScenario,
  customerFollowUpScenario,
];
