/**
 * The business settings inside a workflow: asked of the worker once, by a local activity, so the
 * values are recorded in the history and a replay uses the same ones.
 */
import { proxyLocalActivities } from '@temporalio/workflow';
import type { Activities } from '../activities';
import type { BusinessSettings } from '../domain/settings';

const { businessSettings } = proxyLocalActivities<Pick<Activities, 'businessSettings'>>({
  startToCloseTimeout: '5 seconds',
});

export async function loadSettings(): Promise<BusinessSettings> {
  return businessSettings();
}
