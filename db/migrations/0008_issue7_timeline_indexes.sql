-- A customer's timeline finds its events by the customer or ticket their data names.
CREATE INDEX IF NOT EXISTS "events_data_customer_idx" ON "events" ((data ->> 'customerId'));--> statement-breakpoint
CREATE INDEX IF NOT EXISTS "events_data_ticket_idx" ON "events" ((data ->> 'ticketId'));
