import { createHash } from 'node:crypto';
import type { Db } from '../db/index.js';
import { byteParam } from '../db/bytes.js';
import type { SqlRunner } from '../db/migrate.js';
import { storableJson, storableString } from '../lib/text.js';
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

const COLUMNS = 12;

function rowValues(n: number, bytesPlaceholder: string): string {
  const p = (k: number) => `$${n * COLUMNS + k}`;
  return `(${p(1)}, ${p(2)}::timestamp, ${p(3)}, ${p(4)}, ${p(5)}, ${p(6)}::text[], ${p(7)}::jsonb, ${p(8)}, ${p(9)}, ${p(10)}, ${bytesPlaceholder}, ${p(12)}::jsonb, 'stored')`;
}

/** One multi-row INSERT that skips duplicates; returns the ids it wrote. */
async function insertRows(sql: Pick<SqlRunner, 'query' | 'byteEncoding'>, records: InboundRecord[]): Promise<Set<string>> {
  const values: string[] = [];
  const params: unknown[] = [];
  records.forEach((record, n) => {
    const { id, sha256: digest, size, raw } = record.message;
    // Null for a large message: its chunks are already stored under this id.
    const bytes = byteParam(sql, n * COLUMNS + 11, raw);
    values.push(rowValues(n, bytes.placeholder));
    params.push(
      id,
      // The column is a UTC timestamp without zone, as Prisma writes it.
      record.receivedAt.toISOString().replace('Z', ''),
      digest,
      record.messageId,
      record.envelopeFrom,
      record.recipients,
      storableJson(record.route),
      record.remoteIp,
      record.helo,
      size,
      bytes.value,
      storableJson(record.verdict),
    );
  });
  const inserted = await sql.query<{ id: string }>(
    `INSERT INTO "InboundMessage"
      (id, "receivedAt", sha256, "messageId", "envelopeFrom", recipients, route, "remoteIp", helo, size, raw, verdict, status)
      VALUES ${values.join(', ')}
      ON CONFLICT DO NOTHING RETURNING id`,
    params,
  );
  return new Set(inserted.map((row) => row.id));
}

/**
 * The record with what came from the sender made storable (NUL and lone
 * surrogate halves as U+FFFD; the verdict is done as it is written). The
 * verdict carries header words such as a signature's selector, which may hold
 * a NUL that the database would refuse on every retry; the envelope and the
 * Message-ID get the same treatment whatever the listener and the header
 * reader let through. The same input always gives the same values, so a
 * redelivery still finds its first copy.
 */
function storableRecord(record: InboundRecord): InboundRecord {
  return {
    ...record,
    messageId: record.messageId === null ? null : storableString(record.messageId),
    envelopeFrom: storableString(record.envelopeFrom),
    helo: storableString(record.helo),
  };
}

/** The row an insert skipped: the same bytes, or the same Message-ID from the same sender. */
async function existingCopy(db: Db, record: InboundRecord): Promise<StoreOutcome> {
  const existing = await db.inboundMessage.findFirst({
    where: {
      OR: [{ sha256: record.message.sha256 }, ...(record.messageId ? [{ envelopeFrom: record.envelopeFrom, messageId: record.messageId }] : [])],
    },
    select: { id: true, status: true },
  });
  if (!existing) throw new Error('insert skipped as a duplicate but no existing row was found');
  return { kind: 'duplicate', id: existing.id, processed: existing.status !== 'stored' };
}

/** The database refused a statement for what it held (data exception, constraint, size), not for being away. */
function refusedForContent(error: unknown): boolean {
  const code = (error as { code?: unknown } | null)?.code;
  return typeof code === 'string' && /^(22|23|54)/.test(code);
}

export interface InboundStore {
  /**
   * Writes the raw message (for a large one, the row its spooled chunks belong
   * to), envelope and verdict, skipping duplicates (by SHA-256, or by sender
   * and Message-ID), so a redelivery never makes a second row.
   */
  store(record: InboundRecord): Promise<StoreOutcome>;
}

export interface InboundStoreOptions {
  /** INSERTs under way at once (default 2). */
  concurrency?: number;
  /** Rows in one INSERT at most (default 32). */
  maxRows?: number;
  /** Message bytes in one INSERT at most; a larger message goes alone (default 4 MiB). */
  maxBytes?: number;
}

interface Waiting {
  record: InboundRecord;
  resolve(outcome: StoreOutcome): void;
  reject(error: unknown): void;
}

/**
 * The one write every message makes before its 250, as plain SQL on the driver
 * (it needs nothing of the ORM). Messages that finish while an INSERT is under
 * way go together in the next one, like a database's group commit: under load
 * a burst costs a few statements and commits instead of one each, and a lone
 * message still goes at once. A batch the database refuses for its content is
 * tried again row by row, so one bad row fails only its own message; a database
 * that is away fails them all at once.
 */
export function inboundStore(db: Db, sql: Pick<SqlRunner, 'query' | 'byteEncoding'>, options: InboundStoreOptions = {}): InboundStore {
  const concurrency = options.concurrency ?? 2;
  const maxRows = options.maxRows ?? 32;
  const maxBytes = options.maxBytes ?? 4 * 1024 * 1024;
  const waiting: Waiting[] = [];
  let running = 0;

  const takeBatch = (): Waiting[] => {
    const batch: Waiting[] = [];
    let bytes = 0;
    while (waiting.length > 0 && batch.length < maxRows) {
      const size = (waiting[0] as Waiting).record.message.raw?.length ?? 0;
      if (batch.length > 0 && bytes + size > maxBytes) break;
      batch.push(waiting.shift() as Waiting);
      bytes += size;
    }
    return batch;
  };

  const settle = async (entry: Waiting, stored: Set<string>) => {
    try {
      const { id } = entry.record.message;
      entry.resolve(stored.has(id) ? { kind: 'stored', id } : await existingCopy(db, entry.record));
    } catch (error) {
      entry.reject(error);
    }
  };

  const write = async (batch: Waiting[]): Promise<void> => {
    let stored: Set<string>;
    try {
      stored = await insertRows(sql, batch.map((entry) => entry.record));
    } catch (error) {
      if (batch.length > 1 && refusedForContent(error)) {
        await Promise.all(batch.map((entry) => write([entry])));
      } else {
        for (const entry of batch) entry.reject(error);
      }
      return;
    }
    await Promise.all(batch.map((entry) => settle(entry, stored)));
  };

  const pump = () => {
    while (running < concurrency && waiting.length > 0) {
      running += 1;
      void write(takeBatch()).finally(() => {
        running -= 1;
        pump();
      });
    }
  };

  return {
    store(record) {
      return new Promise<StoreOutcome>((resolve, reject) => {
        waiting.push({ record: storableRecord(record), resolve, reject });
        pump();
      });
    },
  };
}

/** Undoes a store whose enqueue failed, so the sender's retry is the one that counts. */
export async function forgetInbound(db: Db, id: string): Promise<void> {
  await db.inboundMessage.deleteMany({ where: { id, status: 'stored' } });
}
