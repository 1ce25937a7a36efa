/**
 * The per-customer contact budget, shared by every workflow that contacts customers (ticket surveys,
 * sales follow-ups, dunning): consent, quiet hours in the customer's time zone, and a cap per kind
 * of contact per period. The decision and the contact row are made in the caller's transaction,
 * serialised per customer by an advisory lock, and idempotent by contact key.
 */
import { causeColumns } from '../schema/columns';
import { and, asc, eq, gt, sql } from 'drizzle-orm';
import type { Tx } from '../client';
import { customerContacts, customers } from '../schema';
import { msToNumber } from '@temporalio/common';
import type { ContactDecision } from '../../domain/crm';
import type { BusinessSettings } from '../../domain/settings';

export interface ContactRequest {
  customerId: string;
  /** The kind of contact (`sales`, `survey`, `dunning`, ...): the cap applies per kind. */
  kind: string;
  /** Unique per contact, e.g. `survey/T-1/1`; deciding again with it returns the first contact. */
  contactKey: string;
  /** The moment of the contact (activities pass their clock). */
  now: Date;
  /** At most `max` contacts of this kind in any `periodMs`; none given: no cap. */
  limit?: { max: number; periodMs: number };
  /**
   * Whether the customer's consent is needed (default true). A payment reminder is a contractual
   * notice, not marketing: dunning sends it without consent, still outside quiet hours and counted.
   */
  requireConsent?: boolean;
  cause: { source?: string; id?: string; correlationId: string };
}

const MINUTE_MS = 60_000;

/** The configured cap of a kind of contact (`crm.contactLimits`), or none. */
export function contactLimit(
  settings: Pick<BusinessSettings, 'crm'>,
  kind: string,
): { max: number; periodMs: number } | undefined {
  const limit = settings.crm.contactLimits[kind];
  return limit ? { max: limit.max, periodMs: msToNumber(limit.period) } : undefined;
}

const minutesOf = (hhmm: string): number => {
  const [h, m] = hhmm.split(':').map(Number);
  return (h as number) * 60 + (m as number);
};

/** The wall-clock time at `at` in `timeZone` (minutes since midnight, plus seconds and ms). */
function localClock(at: Date, timeZone: string): { minutes: number; seconds: number } {
  const parts = new Intl.DateTimeFormat('en-GB', {
    timeZone,
    hour: '2-digit',
    minute: '2-digit',
    second: '2-digit',
    hourCycle: 'h23',
  }).formatToParts(at);
  const get = (type: string) => Number(parts.find((p) => p.type === type)?.value ?? 0);
  return { minutes: get('hour') * 60 + get('minute'), seconds: get('second') };
}

/**
 * When the quiet hours [start, end) around `at` end, or null when `at` is outside them. Both are
 * 'HH:MM' local to `timeZone` (UTC when absent); start after end spans midnight (20:00-08:00).
 * Computed on the wall clock, so a DST change inside the quiet hours shifts the end by that hour.
 */
export function quietHoursEnd(at: Date, start: string, end: string, timeZone: string | null): Date | null {
  const s = minutesOf(start);
  const e = minutesOf(end);
  if (s === e) return null;
  const { minutes, seconds } = localClock(at, timeZone ?? 'UTC');
  const inside = s < e ? minutes >= s && minutes < e : minutes >= s || minutes < e;
  if (!inside) return null;
  const untilEnd = (e - minutes + 1440) % 1440;
  return new Date(at.getTime() + untilEnd * MINUTE_MS - seconds * 1000 - at.getMilliseconds());
}

/**
 * Decides one contact and, when allowed, records it in the caller's transaction (so the contact
 * and what it sends commit together). Deferred and blocked contacts record nothing.
 */
export async function decideContact(tx: Tx, req: ContactRequest): Promise<ContactDecision> {
  // one decision per customer at a time: two workflows cannot both take the last slot
  await tx.execute(
    sql`select pg_advisory_xact_lock(hashtextextended(${`customer-contact:${req.customerId}`}, 0))`,
  );
  const [prior] = await tx
    .select({ id: customerContacts.id })
    .from(customerContacts)
    .where(eq(customerContacts.contactKey, req.contactKey));
  if (prior) return { outcome: 'allowed', contactId: prior.id, created: false };

  const [customer] = await tx.select().from(customers).where(eq(customers.customerId, req.customerId));
  if (!customer) return { outcome: 'blocked', reason: 'unknown_customer' };
  if (!customer.consent && req.requireConsent !== false) return { outcome: 'blocked', reason: 'no_consent' };
  if (customer.quietHoursStart && customer.quietHoursEnd) {
    const until = quietHoursEnd(req.now, customer.quietHoursStart, customer.quietHoursEnd, customer.timeZone);
    if (until) return { outcome: 'deferred', reason: 'quiet_hours', until: until.toISOString() };
  }
  if (req.limit) {
    const since = new Date(req.now.getTime() - req.limit.periodMs);
    const inPeriod = await tx
      .select({ contactedAt: customerContacts.contactedAt })
      .from(customerContacts)
      .where(
        and(
          eq(customerContacts.customerId, req.customerId),
          eq(customerContacts.kind, req.kind),
          gt(customerContacts.contactedAt, since),
        ),
      )
      .orderBy(asc(customerContacts.contactedAt));
    if (inPeriod.length >= req.limit.max) {
      const oldest = inPeriod[inPeriod.length - req.limit.max]?.contactedAt;
      return {
        outcome: 'blocked',
        reason: 'budget_exhausted',
        ...(oldest ? { nextAllowedAt: new Date(oldest.getTime() + req.limit.periodMs).toISOString() } : {}),
      };
    }
  }
  const [row] = await tx
    .insert(customerContacts)
    .values({
      customerId: req.customerId,
      contactKey: req.contactKey,
      kind: req.kind,
      contactedAt: req.now,
      ...causeColumns(req.cause),
    })
    .returning({ id: customerContacts.id });
  return { outcome: 'allowed', contactId: (row as { id: number }).id, created: true };
}
