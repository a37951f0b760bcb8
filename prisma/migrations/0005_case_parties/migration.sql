-- CreateTable
CREATE TABLE "CaseParty" (
    "caseId" TEXT NOT NULL,
    "role" TEXT NOT NULL,
    "address" TEXT NOT NULL,
    "at" TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,

    CONSTRAINT "CaseParty_pkey" PRIMARY KEY ("caseId","role","address")
);

-- CreateTable
CREATE TABLE "Hearing" (
    "id" TEXT NOT NULL,
    "seq" BIGSERIAL NOT NULL,
    "caseId" TEXT NOT NULL,
    "account" TEXT NOT NULL,
    "status" TEXT NOT NULL,
    "email" TEXT,
    "domain" TEXT,
    "measure" TEXT,
    "respondBy" TIMESTAMP(3),
    "at" TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,

    CONSTRAINT "Hearing_pkey" PRIMARY KEY ("id")
);

-- CreateIndex
CREATE INDEX "Hearing_caseId_seq_idx" ON "Hearing"("caseId", "seq");

-- AddForeignKey
ALTER TABLE "CaseParty" ADD CONSTRAINT "CaseParty_caseId_fkey" FOREIGN KEY ("caseId") REFERENCES "Case"("id") ON DELETE CASCADE ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "Hearing" ADD CONSTRAINT "Hearing_caseId_fkey" FOREIGN KEY ("caseId") REFERENCES "Case"("id") ON DELETE CASCADE ON UPDATE CASCADE;


-- Backfill: until now hearings and the customers heard were found by scanning
-- the audit trail's customer_notified events; the events stay, the rows are
-- taken from them (in the order they were written).
INSERT INTO "Hearing" ("id", "caseId", "account", "status", "email", "domain", "measure", "respondBy", "at")
SELECT "id",
       "caseId",
       COALESCE("data"->>'account', ''),
       CASE WHEN "data"->>'sent' = 'true' THEN 'notified' ELSE 'no_contact' END,
       lower("data"->>'email'),
       "data"->>'domain',
       "data"->>'measure',
       ("data"->>'respondBy')::timestamptz AT TIME ZONE 'UTC',
       "at"
  FROM "CaseEvent"
 WHERE "type" = 'customer_notified'
 ORDER BY "seq";

INSERT INTO "CaseParty" ("caseId", "role", "address", "at")
SELECT "caseId", 'customer', lower("data"->>'email'), min("at")
  FROM "CaseEvent"
 WHERE "type" = 'customer_notified' AND jsonb_typeof("data"->'email') = 'string'
 GROUP BY "caseId", lower("data"->>'email');
