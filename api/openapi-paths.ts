/**
 * The OpenAPI path modules of the workflow areas, each registering its own routes (building blocks
 * in openapi-common.ts). test/unit/openapi.test.ts fails when a served route is not documented.
 */
import type { OpenAPIRegistry } from '@asteasolutions/zod-to-openapi';
import { registerApiKeyPaths } from './openapi-api-keys';
import { registerCrmPaths } from './openapi-crm';
import { registerInventoryPaths } from './openapi-inventory';
import { registerOrderPaths } from './openapi-orders';
import { registerReconciliationPaths } from './openapi-reconciliation';
import { registerSchedulePaths } from './openapi-schedules';
import { registerSubscriptionPaths } from './openapi-subscriptions';
import { registerReconciliationRunPaths } from './openapi-reconciliation-runs';
import { registerWorklistPaths } from './openapi-worklists';
import { registerReplayPaths } from './openapi-replays';
import { registerLineagePaths } from './openapi-lineage';

export type OpenApiPathModule = (registry: OpenAPIRegistry) => void;

export const openApiPathModules: OpenApiPathModule[] = [
  registerOrderPaths,
  registerInventoryPaths,
  registerCrmPaths,
  registerSubscriptionPaths,
  registerReconciliationPaths,
  registerSchedulePaths,
  registerReconciliationRunPaths,
  registerApiKeyPaths,
  registerWorklistPaths,
  registerReplayPaths,
  registerLineagePaths,
];
