/** Routes of finance events (payments). */
import type { EventType } from '../../domain/events/catalogue';
import type { RoutePlanner } from '../routing';

export const financePlanners: Partial<Record<EventType, RoutePlanner>> = {};
