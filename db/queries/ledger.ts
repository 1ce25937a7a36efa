/** Posting journal entries: balanced (checked here and by the database at commit), once per key. */
import { causeColumns } from '../schema/columns';
import { eq } from 'drizzle-orm';
import type { Tx } from '../client';
import { journalEntries, journalLines, type AccountCode } from '../schema';

export interface PostingLine {
  account: AccountCode;
  debit?: number;
  credit?: number;
  memo?: string;
  orderId?: string;
  invoiceNumber?: string;
  paymentId?: string;
}

export interface Posting {
  /** Unique per business fact, e.g. `invoice/INV-O-1`; posting it again returns the first entry. */
  idempotencyKey: string;
  description: string;
  currency: string;
  occurredAt?: Date;
  /** The entry this one reverses (a correction), if any. */
  reversesEntryId?: number;
  lines: PostingLine[];
  cause: { source?: string; id?: string; correlationId: string };
}

/**
 * Writes one journal entry and its lines; zero-amount lines are left out, and a posting of nothing
 * (every line zero) writes nothing and answers id null. Returns the entry id and whether this call
 * created it (false: the key was posted before, nothing written).
 */
export async function postJournalEntry(
  tx: Tx,
  posting: Posting,
): Promise<{ id: number | null; created: boolean }> {
  const [prior] = await tx
    .select({ id: journalEntries.id })
    .from(journalEntries)
    .where(eq(journalEntries.idempotencyKey, posting.idempotencyKey));
  if (prior) return { id: prior.id, created: false };
  const lines = posting.lines.filter((l) => (l.debit ?? 0) > 0 || (l.credit ?? 0) > 0);
  if (lines.length === 0) return { id: null, created: false };
  const debits = lines.reduce((s, l) => s + (l.debit ?? 0), 0);
  const credits = lines.reduce((s, l) => s + (l.credit ?? 0), 0);
  if (debits !== credits) {
    throw new Error(`unbalanced posting ${posting.idempotencyKey}: debits ${debits} <> credits ${credits}`);
  }
  const [entry] = await tx
    .insert(journalEntries)
    .values({
      idempotencyKey: posting.idempotencyKey,
      occurredAt: posting.occurredAt ?? new Date(),
      description: posting.description,
      currency: posting.currency,
      reversesEntryId: posting.reversesEntryId ?? null,
      ...causeColumns(posting.cause),
    })
    .returning({ id: journalEntries.id });
  if (!entry) throw new Error(`journal entry ${posting.idempotencyKey} not inserted`);
  await tx.insert(journalLines).values(
    lines.map((l) => ({
      entryId: entry.id,
      accountCode: l.account,
      currency: posting.currency,
      debit: l.debit ?? 0,
      credit: l.credit ?? 0,
      memo: l.memo ?? null,
      orderId: l.orderId ?? null,
      invoiceNumber: l.invoiceNumber ?? null,
      paymentId: l.paymentId ?? null,
    })),
  );
  return { id: entry.id, created: true };
}

/** The reversing entry of `entryId`: every line with debit and credit swapped, once per entry. */
export async function reverseJournalEntry(
  tx: Tx,
  entryId: number,
  opts: { idempotencyKey: string; description: string; cause: Posting['cause'] },
): Promise<{ id: number | null; created: boolean }> {
  const [entry] = await tx.select().from(journalEntries).where(eq(journalEntries.id, entryId));
  if (!entry) throw new Error(`journal entry ${entryId} not found`);
  const lines = await tx.select().from(journalLines).where(eq(journalLines.entryId, entryId));
  return postJournalEntry(tx, {
    idempotencyKey: opts.idempotencyKey,
    description: opts.description,
    currency: entry.currency,
    reversesEntryId: entryId,
    cause: opts.cause,
    lines: lines.map((l) => ({
      account: l.accountCode as AccountCode,
      debit: l.credit,
      credit: l.debit,
      memo: l.memo ?? undefined,
      orderId: l.orderId ?? undefined,
      invoiceNumber: l.invoiceNumber ?? undefined,
      paymentId: l.paymentId ?? undefined,
    })),
  });
}
