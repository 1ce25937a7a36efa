-- The chart of accounts the postings use (codes mirrored by ACCOUNT_CODES in db/schema/finance.ts).
INSERT INTO "ledger_accounts" ("code", "name", "type") VALUES
  ('1000', 'Cash and bank', 'asset'),
  ('1100', 'Accounts receivable', 'asset'),
  ('1200', 'Inventory', 'asset'),
  ('2000', 'Accounts payable', 'liability'),
  ('2100', 'Tax payable', 'liability'),
  ('2200', 'Customer credit', 'liability'),
  ('2300', 'Goods received not invoiced', 'liability'),
  ('3000', 'Equity', 'equity'),
  ('4000', 'Revenue', 'revenue'),
  ('5000', 'Cost of goods sold', 'expense'),
  ('6000', 'Bad debt and write-offs', 'expense')
ON CONFLICT ("code") DO NOTHING;
