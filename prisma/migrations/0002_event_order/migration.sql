-- DropIndex
DROP INDEX "CaseEvent_caseId_at_idx";

-- AlterTable
ALTER TABLE "CaseEvent" ADD COLUMN     "seq" BIGSERIAL NOT NULL;

-- CreateIndex
CREATE INDEX "CaseEvent_caseId_seq_idx" ON "CaseEvent"("caseId", "seq");
