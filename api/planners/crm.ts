/** Routes of crm events (support tickets and behaviour signals). */
import type { EventType } from '../../domain/events/catalogue';
import type { RoutePlanner } from '../routing';

export const crmPlanners: Partial<Record<EventType, RoutePlanner>> = {};
