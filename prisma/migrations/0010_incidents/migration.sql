-- Incidents (issue 21): reports about one domain or IP range worked once.
CREATE TABLE "Incident" (
    "id" TEXT NOT NULL,
    "brand" TEXT NOT NULL,
    "key" TEXT NOT NULL,
    "kind" TEXT NOT NULL,
    "target" TEXT NOT NULL,
    "account" TEXT,
    "abuseType" TEXT,
    "state" TEXT NOT NULL DEFAULT 'open',
    "outcome" TEXT,
    "primaryCaseId" TEXT NOT NULL,
    "firstReportAt" TIMESTAMP(3) NOT NULL,
    "lastReportAt" TIMESTAMP(3) NOT NULL,
    "reportCount" INTEGER NOT NULL DEFAULT 1,
    "digestedAt" TIMESTAMP(3),
    "evidence" JSONB,
    "associated" JSONB,
    "closedAt" TIMESTAMP(3),
    "createdAt" TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "updatedAt" TIMESTAMP(3) NOT NULL,
    CONSTRAINT "Incident_pkey" PRIMARY KEY ("id")
);
CREATE INDEX "Incident_brand_state_lastReportAt_idx" ON "Incident"("brand", "state", "lastReportAt");
CREATE INDEX "Incident_target_idx" ON "Incident"("target");
CREATE INDEX "Incident_account_idx" ON "Incident"("account");
-- One open incident per brand and key: concurrent reports about one domain find the same one.
CREATE UNIQUE INDEX "Incident_open_key" ON "Incident"("brand", "key") WHERE "state" = 'open';

ALTER TABLE "Case" ADD COLUMN "incidentId" TEXT;
ALTER TABLE "Case" ADD COLUMN "digestedAt" TIMESTAMP(3);
CREATE INDEX "Case_incidentId_receivedAt_idx" ON "Case"("incidentId", "receivedAt");
ALTER TABLE "Case" ADD CONSTRAINT "Case_incidentId_fkey" FOREIGN KEY ("incidentId") REFERENCES "Incident"("id") ON DELETE SET NULL ON UPDATE CASCADE;

ALTER TABLE "Measure" ADD COLUMN "operation" TEXT NOT NULL DEFAULT 'apply';
