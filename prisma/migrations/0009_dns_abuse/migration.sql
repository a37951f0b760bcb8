-- DNS abuse (issue 20): a case's priority and the account its evidence names;
-- a managed domain's registration date. Columns with a constant default are
-- added without rewriting the table (PostgreSQL 11+).
ALTER TABLE "Case" ADD COLUMN "priority" TEXT NOT NULL DEFAULT 'normal';
ALTER TABLE "Case" ADD COLUMN "account" TEXT;
CREATE INDEX "Case_account_receivedAt_idx" ON "Case"("account", "receivedAt");
ALTER TABLE "ManagedDomain" ADD COLUMN "created" DATE;
-- An account's record (suspensions in the last year) is one sign of a domain registered to abuse.
CREATE INDEX "Measure_account_at_idx" ON "Measure"("account", "at");
