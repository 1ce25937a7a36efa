/** Every recorded-history scenario; each workflow type has at least one. */
import { inventoryItemScenario } from './inventory-item';
import type { HistoryScenario } from './scenario';
import { webhookSubscriptionScenario } from './webhook-subscription';

export const HISTORY_SCENARIOS: HistoryScenario[] = [inventoryItemScenario, webhookSubscriptionScenario];
