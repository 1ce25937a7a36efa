/** CRM event schemas: support tickets and customer behaviour signals (no I/O). */
import { z } from 'zod';
import { idSchema, timestampSchema } from './primitives';

export const SUPPORT_CHANNELS = ['email', 'phone', 'chat', 'web', 'social'] as const;

/** Highest first; each has its own first-response SLA. */
export const SUPPORT_PRIORITIES = ['urgent', 'high', 'normal', 'low'] as const;

export const BEHAVIOUR_KINDS = [
  'page_view',
  'product_view',
  'cart_abandoned',
  'churn_risk',
  'high_value_order',
  'email_opened',
] as const;

export type SupportPriority = (typeof SUPPORT_PRIORITIES)[number];
export type BehaviourKind = (typeof BEHAVIOUR_KINDS)[number];

const messageSchema = z.string().min(1).max(10_000);

/** support.requested v1: a customer opened a support ticket. */
export const supportRequestedV1 = z
  .object({
    ticketId: idSchema,
    customerId: idSchema,
    channel: z.enum(SUPPORT_CHANNELS),
    subject: z.string().min(1).max(300),
    priority: z.enum(SUPPORT_PRIORITIES),
    description: z.string().max(10_000).optional(),
  })
  .strict()
  .meta({
    id: 'SupportRequestedV1',
    description: 'A customer opened a support ticket; its priority sets the response SLA.',
    example: {
      ticketId: 'T-3001',
      customerId: 'C-42',
      channel: 'email',
      subject: 'Order O-1001 arrived damaged',
      priority: 'high',
      description: 'Two of the twelve glasses were broken on arrival.',
    },
  });

export type SupportRequestedV1 = z.infer<typeof supportRequestedV1>;

/** support.agent_responded v1: an agent answered the ticket. */
export const supportAgentRespondedV1 = z
  .object({
    ticketId: idSchema,
    agentId: idSchema,
    respondedAt: timestampSchema,
    message: messageSchema.optional(),
  })
  .strict()
  .meta({
    id: 'SupportAgentRespondedV1',
    description: 'A support agent responded to a ticket.',
    example: {
      ticketId: 'T-3001',
      agentId: 'agent:lena',
      respondedAt: '2026-11-27T11:20:00+01:00',
      message: 'Sorry about that, a replacement is on its way.',
    },
  });

export type SupportAgentRespondedV1 = z.infer<typeof supportAgentRespondedV1>;

/** support.customer_replied v1: the customer wrote back on the ticket. */
export const supportCustomerRepliedV1 = z
  .object({
    ticketId: idSchema,
    repliedAt: timestampSchema,
    message: messageSchema.optional(),
  })
  .strict()
  .meta({
    id: 'SupportCustomerRepliedV1',
    description: 'The customer replied on a support ticket.',
    example: { ticketId: 'T-3001', repliedAt: '2026-11-27T12:02:00+01:00', message: 'Thank you!' },
  });

export type SupportCustomerRepliedV1 = z.infer<typeof supportCustomerRepliedV1>;

/** support.resolved v1: the ticket was resolved. */
export const supportResolvedV1 = z
  .object({
    ticketId: idSchema,
    resolvedBy: idSchema,
    resolvedAt: timestampSchema,
    resolution: messageSchema.optional(),
  })
  .strict()
  .meta({
    id: 'SupportResolvedV1',
    description: 'A support ticket was resolved; a satisfaction survey follows.',
    example: {
      ticketId: 'T-3001',
      resolvedBy: 'agent:lena',
      resolvedAt: '2026-11-29T16:45:00+01:00',
      resolution: 'Replacement delivered.',
    },
  });

export type SupportResolvedV1 = z.infer<typeof supportResolvedV1>;

/** customer.behaviour v1: one behaviour signal of a customer, scored for sales follow-up. */
export const customerBehaviourV1 = z
  .object({
    customerId: idSchema,
    kind: z.enum(BEHAVIOUR_KINDS),
    value: z.number().optional(),
    occurredAt: timestampSchema,
  })
  .strict()
  .meta({
    id: 'CustomerBehaviourV1',
    description: 'A behaviour signal (page view, abandoned cart, churn risk, ...) with an optional value.',
    example: { customerId: 'C-42', kind: 'churn_risk', value: 0.82, occurredAt: '2026-11-27T21:13:00Z' },
  });

export type CustomerBehaviourV1 = z.infer<typeof customerBehaviourV1>;
