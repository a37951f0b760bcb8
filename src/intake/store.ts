import { createHash } from 'node:crypto';
import type { Db } from '../db/index.js';
import { byteParam } from '../db/bytes.js';
import type { SqlRunner } from '../db/migrate.js';
import type { Route } from '../smtp/recipients.js';
import type { Verdict } from './authenticate.js';
import type { ReceivedMessage } from './spool.js';

export interface InboundRecord {
  message: ReceivedMessage;
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

const insert = (raw: string) => `INSERT INTO "InboundMessage"
  (id, "receivedAt", sha256, "messageId", "envelopeFrom", recipients, route, "remoteIp", helo, size, raw, verdict, status)
  VALUES ($1, $2::timestamp, $3, $4, $5, $6::text[], $7::jsonb, $8, $9, $10, ${raw}, $12::jsonb, 'stored')
  ON CONFLICT DO NOTHING RETURNING id`;

/**
 * Writes the raw message (for a large one, the row its spooled chunks belong
 * to), envelope and verdict in one INSERT that skips
 * duplicates (by SHA-256, or by sender and Message-ID), so a redelivery costs
 * one round trip and never makes a second row. Plain SQL on the driver: this
 * runs for every message before its 250, and needs nothing of the ORM.
 */
export async function storeInbound(db: Db, sql: Pick<SqlRunner, 'query' | 'byteEncoding'>, record: InboundRecord): Promise<StoreOutcome> {
  const { id, sha256: digest, size, raw } = record.message;
  // Null for a large message: its chunks are already stored under this id.
  const bytes = byteParam(sql, 11, raw);
  const inserted = await sql.query<{ id: string }>(insert(bytes.placeholder), [
    id,
    // The column is a UTC timestamp without zone, as Prisma writes it.
    record.receivedAt.toISOString().replace('Z', ''),
    digest,
    record.messageId,
    record.envelopeFrom,
    record.recipients,
    JSON.stringify(record.route),
    record.remoteIp,
    record.helo,
    size,
    bytes.value,
    JSON.stringify(record.verdict),
  ]);
  if (inserted.length === 1) return { kind: 'stored', id };
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
