/** Hands the worker's business settings to workflows, so each execution records the values it used. */
import type { BusinessSettings } from '../domain/settings';
import type { ActivityDeps } from './index';

export function createSettingsActivities({ settings }: ActivityDeps) {
  return {
    /** The business settings this worker was started with (SETTINGS_FILE over the defaults). */
    async businessSettings(): Promise<BusinessSettings> {
      return settings;
    },
  };
}
