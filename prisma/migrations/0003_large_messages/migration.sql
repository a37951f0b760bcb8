-- AlterTable
ALTER TABLE "InboundMessage" ALTER COLUMN "raw" DROP NOT NULL;

-- CreateTable
CREATE TABLE "InboundChunk" (
    "inboundId" TEXT NOT NULL,
    "seq" INTEGER NOT NULL,
    "data" BYTEA NOT NULL,
    "createdAt" TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,

    CONSTRAINT "InboundChunk_pkey" PRIMARY KEY ("inboundId","seq")
);

-- CreateIndex
CREATE INDEX "InboundChunk_createdAt_idx" ON "InboundChunk"("createdAt");
