/**
 * Customer follow-up: support tickets, tasks, interactions and the contact budget ledger. No foreign
 * key to customers: tickets and signals may arrive before the customer record.
 */
import { sql } from 'drizzle-orm';
import { bigserial, check, foreignKey, index, pgTable, text, timestamp, unique } from 'drizzle-orm/pg-core';
import { optionalCausationColumns, causationPairCheck, createdAt, sqlList, updatedAt } from './columns';
import { purchaseOrders } from './procurement';
import { salesOrders } from './sales';

export const TICKET_PRIORITIES = ['urgent', 'high', 'normal', 'low'] as const;
export type TicketPriority = (typeof TICKET_PRIORITIES)[number];

export const TICKET_STATUSES = [
  'open',
  'awaiting_customer',
  'escalated',
  'resolved',
  'reopened',
  'closed',
] as const;
export type TicketStatus = (typeof TICKET_STATUSES)[number];

/** A support ticket with its first-response and resolution deadlines (SLA by priority). */
export const crmTickets = pgTable(
  'crm_tickets',
  {
    ticketId: text('ticket_id').primaryKey(),
    customerId: text('customer_id').notNull(),
    channel: text('channel').notNull(),
    subject: text('subject').notNull(),
    priority: text('priority', { enum: TICKET_PRIORITIES }).notNull().default('normal'),
    status: text('status', { enum: TICKET_STATUSES }).notNull().default('open'),
    assignee: text('assignee'),
    firstResponseDueAt: timestamp('first_response_due_at', { withTimezone: true }).notNull(),
    resolutionDueAt: timestamp('resolution_due_at', { withTimezone: true }).notNull(),
    firstRespondedAt: timestamp('first_responded_at', { withTimezone: true }),
    resolvedAt: timestamp('resolved_at', { withTimezone: true }),
    ...optionalCausationColumns(),
    createdAt: createdAt(),
    updatedAt: updatedAt(),
  },
  (t) => [
    check('crm_tickets_priority_check', sql`${t.priority} in (${sqlList(TICKET_PRIORITIES)})`),
    check('crm_tickets_status_check', sql`${t.status} in (${sqlList(TICKET_STATUSES)})`),
    causationPairCheck('crm_tickets', t.causationSource, t.causationId),
    index('crm_tickets_customer_idx').on(t.customerId, t.status),
  ],
);
export type CrmTicketRow = typeof crmTickets.$inferSelect;
export type NewCrmTicketRow = typeof crmTickets.$inferInsert;

export const TASK_STATUSES = ['open', 'done', 'cancelled'] as const;
export type TaskStatus = (typeof TASK_STATUSES)[number];

/**
 * A to-do for a person (sales follow-up, dunning call, purchasing chase), once per `task_key`. It
 * may concern a customer, a ticket, a sales order or a purchase order.
 */
export const crmTasks = pgTable(
  'crm_tasks',
  {
    id: bigserial('id', { mode: 'number' }).primaryKey(),
    taskKey: text('task_key').notNull(),
    customerId: text('customer_id'),
    ticketId: text('ticket_id').references(() => crmTickets.ticketId),
    orderId: text('order_id').references(() => salesOrders.orderId),
    purchaseOrderId: text('purchase_order_id'),
    type: text('type').notNull(),
    title: text('title'),
    status: text('status', { enum: TASK_STATUSES }).notNull().default('open'),
    dueAt: timestamp('due_at', { withTimezone: true }),
    assignee: text('assignee'),
    completedAt: timestamp('completed_at', { withTimezone: true }),
    ...optionalCausationColumns(),
    createdAt: createdAt(),
    updatedAt: updatedAt(),
  },
  (t) => [
    unique('crm_tasks_task_key_unique').on(t.taskKey),
    foreignKey({
      name: 'crm_tasks_purchase_order_fk',
      columns: [t.purchaseOrderId],
      foreignColumns: [purchaseOrders.purchaseOrderId],
    }),
    check('crm_tasks_status_check', sql`${t.status} in (${sqlList(TASK_STATUSES)})`),
    causationPairCheck('crm_tasks', t.causationSource, t.causationId),
    index('crm_tasks_customer_idx').on(t.customerId, t.status),
    index('crm_tasks_open_due_idx')
      .on(t.dueAt)
      .where(sql`${t.status} = 'open'`),
  ],
);
export type CrmTaskRow = typeof crmTasks.$inferSelect;
export type NewCrmTaskRow = typeof crmTasks.$inferInsert;

export const INTERACTION_DIRECTIONS = ['inbound', 'outbound'] as const;
export type InteractionDirection = (typeof INTERACTION_DIRECTIONS)[number];

/** Something said to or heard from a customer (message, call, survey answer), once per `interaction_key`. */
export const crmInteractions = pgTable(
  'crm_interactions',
  {
    id: bigserial('id', { mode: 'number' }).primaryKey(),
    interactionKey: text('interaction_key').notNull(),
    customerId: text('customer_id').notNull(),
    ticketId: text('ticket_id').references(() => crmTickets.ticketId),
    kind: text('kind').notNull(),
    channel: text('channel'),
    direction: text('direction', { enum: INTERACTION_DIRECTIONS }).notNull(),
    occurredAt: timestamp('occurred_at', { withTimezone: true }).notNull(),
    summary: text('summary'),
    ...optionalCausationColumns(),
    createdAt: createdAt(),
  },
  (t) => [
    unique('crm_interactions_interaction_key_unique').on(t.interactionKey),
    check('crm_interactions_direction_check', sql`${t.direction} in (${sqlList(INTERACTION_DIRECTIONS)})`),
    causationPairCheck('crm_interactions', t.causationSource, t.causationId),
    index('crm_interactions_customer_idx').on(t.customerId, t.occurredAt),
    index('crm_interactions_ticket_idx').on(t.ticketId),
  ],
);
export type CrmInteractionRow = typeof crmInteractions.$inferSelect;
export type NewCrmInteractionRow = typeof crmInteractions.$inferInsert;

/**
 * The per-customer contact budget ledger: one row per contact made by any workflow, once per
 * `contact_key`; the budget counts rows of a kind inside the window.
 */
export const customerContacts = pgTable(
  'customer_contacts',
  {
    id: bigserial('id', { mode: 'number' }).primaryKey(),
    customerId: text('customer_id').notNull(),
    contactKey: text('contact_key').notNull(),
    kind: text('kind').notNull(),
    contactedAt: timestamp('contacted_at', { withTimezone: true }).notNull(),
    ...optionalCausationColumns(),
    createdAt: createdAt(),
  },
  (t) => [
    unique('customer_contacts_contact_key_unique').on(t.contactKey),
    causationPairCheck('customer_contacts', t.causationSource, t.causationId),
    index('customer_contacts_budget_idx').on(t.customerId, t.kind, t.contactedAt),
  ],
);
export type CustomerContactRow = typeof customerContacts.$inferSelect;
export type NewCustomerContactRow = typeof customerContacts.$inferInsert;
