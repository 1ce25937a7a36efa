/**
 * The workflow each event type goes to, one module per domain. A type without a planner is stored
 * (and projected, for master data) but not routed; a replay routes it once a workflow consumes it.
 */
import type { EventType } from '../../domain/events/catalogue';
import type { RoutePlanner } from '../routing';
import { crmPlanners } from './crm';
import { financePlanners } from './finance';
import { inventoryPlanners } from './inventory';
import { salesPlanners } from './sales';

export const routePlanners: Partial<Record<EventType, RoutePlanner>> = {
  ...inventoryPlanners,
  ...salesPlanners,
  ...financePlanners,
  ...crmPlanners,
};
