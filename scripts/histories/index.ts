/** Every recorded-history scenario; each workflow type has at least one. */
import { customerFollowUpScenario } from './customer-follow-up';
import { inventoryItemScenario } from './inventory-item';
import { orderScenarios } from './order';
import { paymentReconciliationScenario } from './payment-reconciliation';
import { procurementCancelledScenario, procurementReceivedScenario } from './procurement';
import { reconciliationBatchScenario } from './reconciliation-batch';
import { replayRunScenario } from './replays';
import type { HistoryScenario } from './scenario';
import { inventorySweepScenario, receivablesAgeingReportScenario } from './schedules';
import { ticketScenario } from './ticket';
import { webhookSubscriptionScenario } from './webhook-subscription';

export const HISTORY_SCENARIOS: HistoryScenario[] = [
  inventoryItemScenario,
  ...orderScenarios,
  procurementReceivedScenario,
  procurementCancelledScenario,
  ticketScenario,
  customerFollowUpScenario,
  webhookSubscriptionScenario,
  inventorySweepScenario,
  receivablesAgeingReportScenario,
  paymentReconciliationScenario,
  reconciliationBatchScenario,
  replayRunScenario,
];
