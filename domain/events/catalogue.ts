/**
 * The event catalogue: one zod schema per event type and version, and the version lookup.
 * A type may carry its version in `dataschema` (ending in `/v<N>`); without one it is v1.
 */
import type { z } from 'zod';
import { stockAdjustedV1 } from './inventory';

export const eventCatalogue = {
  'inventory.stock_adjusted': { 1: stockAdjustedV1 },
} as const satisfies Record<string, Record<number, z.ZodType>>;

export type EventType = keyof typeof eventCatalogue;

export type CatalogueLookup =
  | { ok: true; type: EventType; version: number; schema: z.ZodType }
  | { ok: false; reason: 'unknown-type' | 'unknown-version'; version?: number };

export function eventVersion(dataschema: string | undefined): number | null {
  if (dataschema === undefined) return 1;
  const m = /\/v(\d+)$/.exec(dataschema);
  return m ? Number(m[1]) : null;
}

export function lookupEventSchema(type: string, dataschema: string | undefined): CatalogueLookup {
  if (!Object.prototype.hasOwnProperty.call(eventCatalogue, type))
    return { ok: false, reason: 'unknown-type' };
  const versions: Record<number, z.ZodType> = eventCatalogue[type as EventType];
  const version = eventVersion(dataschema);
  const schema = version === null ? undefined : versions[version];
  if (!schema) return { ok: false, reason: 'unknown-version', version: version ?? undefined };
  return { ok: true, type: type as EventType, version: version as number, schema };
}
