/** The activities, built by a factory from their dependencies. */
import type { Db } from '../db/client';
import type { BusinessSettings } from '../domain/settings';
import { createInventoryActivities } from './inventory';
import { createSettingsActivities } from './settings';

export interface ActivityDeps {
  db: Db;
  settings: BusinessSettings;
}

export function createActivities(deps: ActivityDeps) {
  return {
    ...createSettingsActivities(deps),
    ...createInventoryActivities(deps),
  };
}

export type Activities = ReturnType<typeof createActivities>;
