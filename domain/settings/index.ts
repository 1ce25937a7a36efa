/**
 * Business settings: every number and duration the workflows use, with the domain rules' defaults.
 * Read from SETTINGS_FILE (JSON, any subset) by the processes; handed to workflows by an activity,
 * so the values an execution used are in its history. No I/O here.
 */
import { z } from 'zod';
import { crmSettingsSchema } from './crm';
import { financeSettingsSchema } from './finance';
import { integrationSettingsSchema } from './integration';
import { inventorySettingsSchema } from './inventory';
import { salesSettingsSchema } from './sales';
import { opsSettingsSchema } from './ops';
import { tuningSettingsSchema } from './tuning';

export const businessSettingsSchema = z
  .object({
    sales: salesSettingsSchema.default(() => salesSettingsSchema.parse({})),
    inventory: inventorySettingsSchema.default(() => inventorySettingsSchema.parse({})),
    crm: crmSettingsSchema.default(() => crmSettingsSchema.parse({})),
    integration: integrationSettingsSchema.default(() => integrationSettingsSchema.parse({})),
    finance: financeSettingsSchema.default(() => financeSettingsSchema.parse({})),
    ops: opsSettingsSchema.default(() => opsSettingsSchema.parse({})),
    tuning: tuningSettingsSchema.default(() => tuningSettingsSchema.parse({})),
  })
  .strict();

export type BusinessSettings = z.infer<typeof businessSettingsSchema>;
/** What a settings file or a test may give: any subset of each section. */
export type BusinessSettingsInput = z.input<typeof businessSettingsSchema>;

export const DEFAULT_SETTINGS: BusinessSettings = businessSettingsSchema.parse({});

export type { SalesSettings } from './sales';
export type { InventorySettings } from './inventory';
export type { CrmSettings } from './crm';
export type { IntegrationSettings } from './integration';
export type { FinanceSettings, ReconciliationSettings } from './finance';
export type { OpsSettings } from './ops';
export type { TuningSettings } from './tuning';
