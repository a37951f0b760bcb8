-- CreateTable
CREATE TABLE "InboundMessage" (
    "id" TEXT NOT NULL,
    "receivedAt" TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "sha256" TEXT NOT NULL,
    "messageId" TEXT,
    "envelopeFrom" TEXT NOT NULL,
    "recipients" TEXT[],
    "route" JSONB NOT NULL,
    "remoteIp" TEXT NOT NULL,
    "helo" TEXT NOT NULL,
    "size" INTEGER NOT NULL,
    "raw" BYTEA NOT NULL,
    "verdict" JSONB NOT NULL,
    "status" TEXT NOT NULL DEFAULT 'stored',
    "caseId" TEXT,
    "error" TEXT,
    "processedAt" TIMESTAMP(3),

    CONSTRAINT "InboundMessage_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "Rejection" (
    "id" TEXT NOT NULL,
    "at" TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "reason" TEXT NOT NULL,
    "smtpCode" INTEGER NOT NULL,
    "enhanced" TEXT NOT NULL,
    "text" TEXT NOT NULL,
    "envelopeFrom" TEXT,
    "fromHeader" TEXT,
    "recipients" TEXT[],
    "remoteIp" TEXT NOT NULL,
    "helo" TEXT,

    CONSTRAINT "Rejection_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "TicketCounter" (
    "prefix" TEXT NOT NULL,
    "year" INTEGER NOT NULL,
    "value" INTEGER NOT NULL,

    CONSTRAINT "TicketCounter_pkey" PRIMARY KEY ("prefix","year")
);

-- CreateTable
CREATE TABLE "Case" (
    "id" TEXT NOT NULL,
    "ticket" TEXT NOT NULL,
    "brand" TEXT NOT NULL,
    "kind" TEXT NOT NULL,
    "abuseType" TEXT,
    "state" TEXT NOT NULL,
    "language" TEXT NOT NULL,
    "subject" TEXT NOT NULL,
    "complainantAddress" TEXT NOT NULL,
    "complainantName" TEXT,
    "assignee" TEXT,
    "silent" BOOLEAN NOT NULL DEFAULT false,
    "reportKey" TEXT,
    "escalationStep" INTEGER NOT NULL DEFAULT 0,
    "receivedAt" TIMESTAMP(3) NOT NULL,
    "respondedAt" TIMESTAMP(3),
    "resolvedAt" TIMESTAMP(3),
    "resolution" TEXT,
    "evidence" JSONB,
    "evidenceGrade" TEXT,
    "suggestedMeasure" TEXT,
    "createdAt" TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "updatedAt" TIMESTAMP(3) NOT NULL,

    CONSTRAINT "Case_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "CaseMessage" (
    "id" TEXT NOT NULL,
    "caseId" TEXT NOT NULL,
    "direction" TEXT NOT NULL,
    "role" TEXT NOT NULL,
    "kind" TEXT NOT NULL,
    "messageId" TEXT NOT NULL,
    "inReplyTo" TEXT,
    "references" TEXT[],
    "from" TEXT NOT NULL,
    "to" TEXT[],
    "subject" TEXT NOT NULL,
    "at" TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "relayed" BOOLEAN NOT NULL DEFAULT false,
    "autoSubmitted" BOOLEAN NOT NULL DEFAULT false,
    "inboundId" TEXT,
    "status" TEXT,
    "raw" BYTEA,
    "envelope" JSONB,
    "dedupeKey" TEXT,
    "attempts" INTEGER NOT NULL DEFAULT 0,
    "sentAt" TIMESTAMP(3),
    "lastError" TEXT,

    CONSTRAINT "CaseMessage_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "CaseEvent" (
    "id" TEXT NOT NULL,
    "caseId" TEXT NOT NULL,
    "at" TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "type" TEXT NOT NULL,
    "actor" TEXT NOT NULL,
    "reason" TEXT,
    "data" JSONB,

    CONSTRAINT "CaseEvent_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "Deadline" (
    "id" TEXT NOT NULL,
    "caseId" TEXT NOT NULL,
    "kind" TEXT NOT NULL,
    "step" INTEGER NOT NULL DEFAULT 0,
    "startedAt" TIMESTAMP(3) NOT NULL,
    "dueAt" TIMESTAMP(3) NOT NULL,
    "originalDueAt" TIMESTAMP(3) NOT NULL,
    "status" TEXT NOT NULL DEFAULT 'pending',
    "metAt" TIMESTAMP(3),
    "breachedAt" TIMESTAMP(3),
    "marginMinutes" INTEGER,
    "reminderSentAt" TIMESTAMP(3),

    CONSTRAINT "Deadline_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "ManagedDomain" (
    "domain" TEXT NOT NULL,
    "account" TEXT,
    "createdAt" TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "updatedAt" TIMESTAMP(3) NOT NULL,

    CONSTRAINT "ManagedDomain_pkey" PRIMARY KEY ("domain")
);

-- CreateTable
CREATE TABLE "ManagedRange" (
    "cidr" TEXT NOT NULL,
    "account" TEXT,
    "description" TEXT,
    "createdAt" TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,

    CONSTRAINT "ManagedRange_pkey" PRIMARY KEY ("cidr")
);

-- CreateTable
CREATE TABLE "Account" (
    "account" TEXT NOT NULL,
    "name" TEXT NOT NULL,
    "email" TEXT NOT NULL,
    "language" TEXT NOT NULL,
    "updatedAt" TIMESTAMP(3) NOT NULL,

    CONSTRAINT "Account_pkey" PRIMARY KEY ("account")
);

-- CreateTable
CREATE TABLE "Measure" (
    "id" TEXT NOT NULL,
    "caseId" TEXT NOT NULL,
    "measure" TEXT NOT NULL,
    "target" TEXT NOT NULL,
    "account" TEXT,
    "status" TEXT NOT NULL DEFAULT 'pending',
    "idempotencyKey" TEXT NOT NULL,
    "requestedBy" TEXT NOT NULL,
    "at" TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "attempts" INTEGER NOT NULL DEFAULT 0,
    "response" JSONB,
    "lastError" TEXT,
    "doneAt" TIMESTAMP(3),

    CONSTRAINT "Measure_pkey" PRIMARY KEY ("id")
);

-- CreateIndex
CREATE UNIQUE INDEX "InboundMessage_sha256_key" ON "InboundMessage"("sha256");

-- CreateIndex
CREATE INDEX "InboundMessage_status_receivedAt_idx" ON "InboundMessage"("status", "receivedAt");

-- CreateIndex
CREATE UNIQUE INDEX "InboundMessage_envelopeFrom_messageId_key" ON "InboundMessage"("envelopeFrom", "messageId");

-- CreateIndex
CREATE INDEX "Rejection_at_idx" ON "Rejection"("at");

-- CreateIndex
CREATE INDEX "Rejection_reason_at_idx" ON "Rejection"("reason", "at");

-- CreateIndex
CREATE UNIQUE INDEX "Case_ticket_key" ON "Case"("ticket");

-- CreateIndex
CREATE INDEX "Case_state_idx" ON "Case"("state");

-- CreateIndex
CREATE INDEX "Case_kind_idx" ON "Case"("kind");

-- CreateIndex
CREATE INDEX "Case_complainantAddress_idx" ON "Case"("complainantAddress");

-- CreateIndex
CREATE INDEX "Case_brand_receivedAt_idx" ON "Case"("brand", "receivedAt");

-- CreateIndex
CREATE INDEX "Case_reportKey_receivedAt_idx" ON "Case"("reportKey", "receivedAt");

-- CreateIndex
CREATE UNIQUE INDEX "CaseMessage_inboundId_key" ON "CaseMessage"("inboundId");

-- CreateIndex
CREATE UNIQUE INDEX "CaseMessage_dedupeKey_key" ON "CaseMessage"("dedupeKey");

-- CreateIndex
CREATE INDEX "CaseMessage_caseId_at_idx" ON "CaseMessage"("caseId", "at");

-- CreateIndex
CREATE INDEX "CaseMessage_messageId_idx" ON "CaseMessage"("messageId");

-- CreateIndex
CREATE INDEX "CaseMessage_status_at_idx" ON "CaseMessage"("status", "at");

-- CreateIndex
CREATE INDEX "CaseEvent_caseId_at_idx" ON "CaseEvent"("caseId", "at");

-- CreateIndex
CREATE INDEX "CaseEvent_type_at_idx" ON "CaseEvent"("type", "at");

-- CreateIndex
CREATE INDEX "Deadline_status_dueAt_idx" ON "Deadline"("status", "dueAt");

-- CreateIndex
CREATE UNIQUE INDEX "Deadline_caseId_kind_step_key" ON "Deadline"("caseId", "kind", "step");

-- CreateIndex
CREATE UNIQUE INDEX "Measure_idempotencyKey_key" ON "Measure"("idempotencyKey");

-- CreateIndex
CREATE INDEX "Measure_caseId_idx" ON "Measure"("caseId");

-- AddForeignKey
ALTER TABLE "InboundMessage" ADD CONSTRAINT "InboundMessage_caseId_fkey" FOREIGN KEY ("caseId") REFERENCES "Case"("id") ON DELETE SET NULL ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "CaseMessage" ADD CONSTRAINT "CaseMessage_caseId_fkey" FOREIGN KEY ("caseId") REFERENCES "Case"("id") ON DELETE CASCADE ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "CaseEvent" ADD CONSTRAINT "CaseEvent_caseId_fkey" FOREIGN KEY ("caseId") REFERENCES "Case"("id") ON DELETE CASCADE ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "Deadline" ADD CONSTRAINT "Deadline_caseId_fkey" FOREIGN KEY ("caseId") REFERENCES "Case"("id") ON DELETE CASCADE ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "Measure" ADD CONSTRAINT "Measure_caseId_fkey" FOREIGN KEY ("caseId") REFERENCES "Case"("id") ON DELETE CASCADE ON UPDATE CASCADE;
