-- CreateIndex
CREATE INDEX "CaseMessage_to_idx" ON "CaseMessage" USING GIN ("to");
