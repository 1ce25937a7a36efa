/** The ledger over REST: the trial balance and the journal, filtered by business keys and time. */
import { Router } from 'express';
import { and, asc, eq, gt, gte, inArray, lte, sql, type SQL } from 'drizzle-orm';
import { z } from 'zod';
import { currencySchema, idSchema, timestampSchema } from '../domain/events/primitives';
import { journalEntries, journalLines, ledgerAccounts } from '../db/schema';
import { Problem, parseOr400 } from './problem';
import type { AppDeps } from './app';

export const MAX_LEDGER_PAGE = 500;

export const trialBalanceQuerySchema = z
  .object({ currency: currencySchema.optional() })
  .strict()
  .meta({ id: 'TrialBalanceQuery' });

export const ledgerEntriesQuerySchema = z
  .object({
    orderId: idSchema.optional(),
    invoiceNumber: z.string().min(1).max(120).optional(),
    paymentId: idSchema.optional(),
    account: z
      .string()
      .regex(/^[0-9]{4}$/, 'a four-digit account code')
      .optional(),
    currency: currencySchema.optional(),
    from: timestampSchema.optional(),
    to: timestampSchema.optional(),
    limit: z.coerce.number().int().min(1).max(MAX_LEDGER_PAGE).default(100),
    cursor: z
      .string()
      .regex(/^[0-9]+$/, 'a cursor from nextCursor')
      .optional(),
  })
  .strict()
  .meta({ id: 'LedgerEntriesQuery' });

export function ledgerRouter(deps: AppDeps): Router {
  const router = Router();
  const { db } = deps;

  /**
   * Per account: debits, credits and balance (debits − credits) in one currency; the totals of a
   * balanced ledger are equal. Without ?currency, the ledger's only currency.
   */
  router.get('/v1/ledger/trial-balance', async (req, res) => {
    const q = parseOr400(trialBalanceQuerySchema, req.query);
    let currency = q.currency ?? null;
    if (!currency) {
      const found = await db.selectDistinct({ currency: journalLines.currency }).from(journalLines);
      if (found.length > 1) {
        throw new Problem(
          400,
          'currency-required',
          'Currency required',
          `The ledger holds ${found.map((f) => f.currency).join(', ')}; pass ?currency=.`,
        );
      }
      currency = found[0]?.currency ?? null;
    }
    const rows = await db
      .select({
        code: ledgerAccounts.code,
        name: ledgerAccounts.name,
        type: ledgerAccounts.type,
        debits: sql<string>`coalesce(sum(${journalLines.debit}), 0)`,
        credits: sql<string>`coalesce(sum(${journalLines.credit}), 0)`,
      })
      .from(ledgerAccounts)
      .leftJoin(
        journalLines,
        and(eq(journalLines.accountCode, ledgerAccounts.code), eq(journalLines.currency, currency ?? '')),
      )
      .groupBy(ledgerAccounts.code, ledgerAccounts.name, ledgerAccounts.type)
      .orderBy(asc(ledgerAccounts.code));
    const accounts = rows.map((r) => {
      const debits = Number(r.debits);
      const credits = Number(r.credits);
      return { code: r.code, name: r.name, type: r.type, debits, credits, balance: debits - credits };
    });
    res.json({
      currency,
      accounts,
      totalDebits: accounts.reduce((s, a) => s + a.debits, 0),
      totalCredits: accounts.reduce((s, a) => s + a.credits, 0),
    });
  });

  /** Journal entries with all their lines; an entry matches when any line matches the filters. */
  router.get('/v1/ledger/entries', async (req, res) => {
    const q = parseOr400(ledgerEntriesQuerySchema, req.query);
    const lineFilters: SQL[] = [];
    if (q.orderId) lineFilters.push(eq(journalLines.orderId, q.orderId));
    if (q.invoiceNumber) lineFilters.push(eq(journalLines.invoiceNumber, q.invoiceNumber));
    if (q.paymentId) lineFilters.push(eq(journalLines.paymentId, q.paymentId));
    if (q.account) lineFilters.push(eq(journalLines.accountCode, q.account));
    const entryFilters: SQL[] = [];
    if (q.currency) entryFilters.push(eq(journalEntries.currency, q.currency));
    if (q.from) entryFilters.push(gte(journalEntries.occurredAt, new Date(q.from)));
    if (q.to) entryFilters.push(lte(journalEntries.occurredAt, new Date(q.to)));
    if (q.cursor) entryFilters.push(gt(journalEntries.id, Number(q.cursor)));
    if (lineFilters.length) {
      entryFilters.push(
        inArray(
          journalEntries.id,
          db
            .select({ id: journalLines.entryId })
            .from(journalLines)
            .where(and(...lineFilters)),
        ),
      );
    }
    const entries = await db
      .select()
      .from(journalEntries)
      .where(entryFilters.length ? and(...entryFilters) : undefined)
      .orderBy(asc(journalEntries.id))
      .limit(q.limit + 1);
    const page = entries.slice(0, q.limit);
    const lines = page.length
      ? await db
          .select()
          .from(journalLines)
          .where(
            inArray(
              journalLines.entryId,
              page.map((e) => e.id),
            ),
          )
          .orderBy(asc(journalLines.id))
      : [];
    res.json({
      items: page.map((e) => ({
        id: e.id,
        occurredAt: e.occurredAt.toISOString(),
        description: e.description,
        currency: e.currency,
        reversesEntryId: e.reversesEntryId,
        idempotencyKey: e.idempotencyKey,
        lines: lines
          .filter((l) => l.entryId === e.id)
          .map((l) => ({
            account: l.accountCode,
            debit: l.debit,
            credit: l.credit,
            memo: l.memo,
            orderId: l.orderId,
            invoiceNumber: l.invoiceNumber,
            paymentId: l.paymentId,
          })),
      })),
      nextCursor: entries.length > q.limit ? String(page[page.length - 1]?.id) : null,
    });
  });

  return router;
}
