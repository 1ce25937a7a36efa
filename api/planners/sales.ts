/** Routes of sales events (orders and shipments). */
import type { EventType } from '../../domain/events/catalogue';
import type { RoutePlanner } from '../routing';

export const salesPlanners: Partial<Record<EventType, RoutePlanner>> = {};
