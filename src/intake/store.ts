import { createHash } from 'node:crypto';
import type { Db } from '../db/index.js';
import type { Prisma } from '../generated/prisma/client.js';
import { newId } from '../lib/ids.js';
import type { Route } from '../smtp/recipients.js';
import type { Verdict } from './authenticate.js';

export interface InboundRecord {
  raw: Buffer;
  messageId: string | null;
  envelopeFrom: string;
  recipients: string[];
  route: Route;
  remoteIp: string;
  helo: string;
  verdict: Verdict;
  receivedAt: Date;
}

export type StoreOutcome =
  /** Stored now; the caller must enqueue it or remove it. */
  | { kind: 'stored'; id: string }
  /** The same bytes, or the same Message-ID from the same sender, are already here. */
  | { kind: 'duplicate'; id: string; processed: boolean };

export function sha256(raw: Buffer): string {
  return createHash('sha256').update(raw).digest('hex');
}

/**
 * Writes the raw message, envelope and verdict in one INSERT that skips
 * duplicates (by SHA-256, or by sender and Message-ID), so a redelivery costs
 * one round trip and never makes a second row.
 */
export async function storeInbound(db: Db, record: InboundRecord): Promise<StoreOutcome> {
  const id = newId();
  const digest = sha256(record.raw);
  const { count } = await db.inboundMessage.createMany({
    data: [
      {
        id,
        receivedAt: record.receivedAt,
        sha256: digest,
        messageId: record.messageId,
        envelopeFrom: record.envelopeFrom,
        recipients: record.recipients,
        route: record.route as unknown as Prisma.InputJsonValue,
        remoteIp: record.remoteIp,
        helo: record.helo,
        size: record.raw.length,
        raw: record.raw as Uint8Array<ArrayBuffer>,
        verdict: record.verdict as unknown as Prisma.InputJsonValue,
      },
    ],
    skipDuplicates: true,
  });
  if (count === 1) return { kind: 'stored', id };
  const existing = await db.inboundMessage.findFirst({
    where: {
      OR: [{ sha256: digest }, ...(record.messageId ? [{ envelopeFrom: record.envelopeFrom, messageId: record.messageId }] : [])],
    },
    select: { id: true, status: true },
  });
  if (!existing) throw new Error('insert skipped as a duplicate but no existing row was found');
  return { kind: 'duplicate', id: existing.id, processed: existing.status !== 'stored' };
}

/** Undoes a store whose enqueue failed, so the sender's retry is the one that counts. */
export async function forgetInbound(db: Db, id: string): Promise<void> {
  await db.inboundMessage.deleteMany({ where: { id, status: 'stored' } });
}
