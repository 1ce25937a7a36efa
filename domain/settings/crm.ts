/** Customer follow-up settings (DOMAIN.md: customer follow-up). */
import { z } from 'zod';
import { BEHAVIOUR_KINDS } from '../events/crm';
import { durationSchema } from './duration';

/** First-response and resolution SLA of one ticket priority, counted from the request. */
const slaSchema = (firstResponse: string, resolution: string) =>
  z
    .object({
      firstResponse: durationSchema.default(firstResponse),
      resolution: durationSchema.default(resolution),
    })
    .strict()
    .default(() => ({ firstResponse, resolution }));

export const ticketSlaSchema = z
  .object({
    urgent: slaSchema('1 hour', '8 hours'),
    high: slaSchema('4 hours', '24 hours'),
    normal: slaSchema('24 hours', '72 hours'),
    low: slaSchema('72 hours', '168 hours'),
  })
  .strict();

const DEFAULT_WEIGHTS: Record<(typeof BEHAVIOUR_KINDS)[number], number> = {
  page_view: 1,
  product_view: 2,
  email_opened: 1,
  cart_abandoned: 5,
  churn_risk: 8,
  high_value_order: 6,
};

const weightsSchema = z
  .object(
    Object.fromEntries(
      BEHAVIOUR_KINDS.map((k) => [k, z.number().nonnegative().default(DEFAULT_WEIGHTS[k])]),
    ) as Record<(typeof BEHAVIOUR_KINDS)[number], z.ZodDefault<z.ZodNumber>>,
  )
  .strict();

export const behaviourSettingsSchema = z
  .object({
    /** One evaluation per customer per burst: signals arriving within this window are scored together. */
    debounceWindow: durationSchema.default('10 minutes'),
    /** The score halves over this time. */
    halfLife: durationSchema.default('7 days'),
    /** A sales follow-up is created when the decayed score rises to this or above (once per crossing). */
    threshold: z.number().positive().default(10),
    /** Score added per signal of a kind (decayed from the signal's occurredAt). */
    weights: weightsSchema.default(() => weightsSchema.parse({})),
    /** The customer's workflow continues-as-new after this many signals in one run. */
    maxSignalsPerRun: z.number().int().min(1).default(500),
  })
  .strict();

/** A cap on one kind of contact: at most `max` in any `period`. */
const contactLimitSchema = z.object({ max: z.number().int().min(0), period: durationSchema }).strict();

export const crmSettingsSchema = z
  .object({
    /** SLA by ticket priority. */
    sla: ticketSlaSchema.default(() => ticketSlaSchema.parse({})),
    /** Who a new ticket (and its first task) is assigned to. */
    supportAssignee: z.string().min(1).default('support'),
    /** Who a ticket is reassigned to when an SLA is breached. */
    escalationAssignee: z.string().min(1).default('support-lead'),
    /** How long a ticket's workflow holds events that arrived before the ticket's support.requested. */
    unknownTicketWait: durationSchema.default('1 day'),
    /** How long after resolution the satisfaction survey goes out. */
    surveyDelay: durationSchema.default('3 days'),
    /** How long a sent survey waits for its answer before the ticket is closed. */
    surveyAnswerWindow: durationSchema.default('7 days'),
    /** Survey scores are 1..5; a score at or below this is negative and reopens the ticket. */
    negativeSurveyScore: z.number().int().min(1).max(5).default(2),
    behaviour: behaviourSettingsSchema.default(() => behaviourSettingsSchema.parse({})),
    /** Who sales follow-ups and high-value order tasks are assigned to. */
    salesAssignee: z.string().min(1).default('sales'),
    /**
     * A high_value_order signal with a value (the order amount, minor units) below this opens no
     * task; one without a value always does.
     */
    highValueOrderAmount: z.number().int().nonnegative().default(100_000),
    /**
     * Contact caps per kind of contact, shared by every workflow that contacts customers. A kind not
     * listed is only subject to consent and quiet hours.
     */
    contactLimits: z
      .record(z.string(), contactLimitSchema)
      .default(() => ({ sales: { max: 1, period: '7 days' } })),
    /** Follow-up task chains: completing a task of a type opens a task of `next` after `delay`. */
    taskChain: z
      .record(z.string(), z.object({ next: z.string().min(1), delay: durationSchema }).strict())
      .default(() => ({ sales_follow_up: { next: 'sales_follow_up_call', delay: '2 days' } })),
  })
  .strict();

export type CrmSettings = z.infer<typeof crmSettingsSchema>;
export type TicketSla = z.infer<typeof ticketSlaSchema>;
export type BehaviourSettings = z.infer<typeof behaviourSettingsSchema>;
