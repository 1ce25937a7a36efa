/** The activities, built by a factory from their dependencies. */
import type { Db } from '../db/client';
import { createInventoryActivities } from './inventory';

export interface ActivityDeps {
  db: Db;
}

export function createActivities(deps: ActivityDeps) {
  return {
    ...createInventoryActivities(deps),
  };
}

export type Activities = ReturnType<typeof createActivities>;
