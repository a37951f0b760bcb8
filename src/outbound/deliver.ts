import type { Db, Tx } from '../db/index.js';
import { fromBase64 } from '../db/bytes.js';
import type { SqlRunner } from '../db/migrate.js';
import { dateFromMillis, epochMillis } from '../db/timestamps.js';
import { Prisma } from '../generated/prisma/client.js';
import { appendEvent, appendEventIfChanged, withEventBuffer, type EventInput } from '../audit/events.js';
import type { Logger } from '../lib/logger.js';
import type { Envelope, OutboundTransport } from './transport.js';

export interface DeliverDeps {
  db: Db;
  /** The driver, for the message bytes: the ORM's byte decoding is slow on large attachments. */
  sql: Pick<SqlRunner, 'query'>;
  transport: OutboundTransport;
  now: () => Date;
  logger: Logger;
  /** What a sent message of one of `kinds` means for its case (an acknowledgement meets a deadline). */
  afterSent?: { kinds: ReadonlySet<string>; record(tx: Tx, sent: { caseId: string; kind: string; at: Date }): Promise<void> };
}

interface OutgoingRow {
  id: string;
  caseId: string;
  kind: string;
  status: string | null;
  envelope: unknown;
  to: string[];
  sentAt: Date | null;
  /** Only while it still has to go (queued or failed). */
  raw: Buffer | null;
}

/**
 * The row and, while it still has to go, its bytes: one query, through the
 * driver, which decodes bytes far faster than the ORM.
 */
async function readOutgoing(sql: Pick<SqlRunner, 'query'>, id: string): Promise<OutgoingRow | null> {
  const rows = await sql.query<Omit<OutgoingRow, 'sentAt' | 'raw'> & { sentAtMs: number | null; bytes: string | null }>(
    `SELECT id, "caseId", kind, status, envelope, "to",
            ${epochMillis('sentAt')} AS "sentAtMs",
            CASE WHEN status IN ('queued', 'failed') THEN encode(raw, 'base64') END AS bytes
       FROM "CaseMessage" WHERE id = $1`,
    [id],
  );
  const row = rows[0];
  if (!row) return null;
  const { sentAtMs, bytes, ...rest } = row;
  return { ...rest, sentAt: dateFromMillis(sentAtMs), raw: fromBase64(bytes) };
}

export type DeliverOutcome = 'sent' | 'already_done' | 'missing';

/**
 * Sends one recorded message. The row is the truth: a job for a message that
 * is already sent (a retry, a duplicate job) does nothing. A failed send is
 * noted on the row and thrown, so the queue retries with backoff.
 *
 * The moment the relay answers, one UPDATE marks the row `delivered`, before
 * anything else is written: a crash can then only resend a message inside that
 * one statement's round trip (no mail system can close that window without an
 * idempotent relay). The retry of a `delivered` row only writes down what the
 * delivery means for the case.
 */
export async function deliverMessage(id: string, deps: DeliverDeps): Promise<DeliverOutcome> {
  const row = await readOutgoing(deps.sql, id);
  if (!row) return 'missing';
  if (row.status === 'delivered') {
    await recordSent(row, row.sentAt ?? deps.now(), 'handed to the relay earlier', deps);
    return 'sent';
  }
  if (row.status !== 'queued' && row.status !== 'failed') return 'already_done';
  if (!row.raw) return 'missing';
  let response: string;
  try {
    response = await deps.transport.send(row.envelope as Envelope, row.raw, row.id);
  } catch (error) {
    await deps.db.caseMessage
      .update({ where: { id }, data: { status: 'failed', attempts: { increment: 1 }, lastError: String((error as Error).message).slice(0, 500) } })
      .catch((dbError: unknown) => deps.logger.warn({ err: dbError, id }, 'could not note a failed delivery'));
    throw error;
  }
  const at = deps.now();
  await deps.db.caseMessage.update({ where: { id }, data: { status: 'delivered', sentAt: at, attempts: { increment: 1 }, lastError: null } });
  await recordSent(row, at, response, deps);
  return 'sent';
}

/** Moves a `delivered` row to `sent` with its event, and what that means for the case; a second call does nothing. */
async function recordSent(row: Pick<OutgoingRow, 'id' | 'caseId' | 'kind' | 'to'>, at: Date, response: string, deps: DeliverDeps): Promise<void> {
  const event: EventInput = { caseId: row.caseId, type: 'message_sent', actor: 'system', at, data: { kind: row.kind, to: row.to, response: response.slice(0, 200) } };
  const afterSent = deps.afterSent;
  if (!afterSent?.kinds.has(row.kind)) {
    // Nothing else changes: the row and its event in one statement.
    await appendEventIfChanged(deps.db, Prisma.sql`UPDATE "CaseMessage" SET status = 'sent' WHERE id = ${row.id} AND status = 'delivered'`, event);
    return;
  }
  await deps.db.$transaction(
    (tx) => withEventBuffer(tx, async () => {
      const updated = await tx.caseMessage.updateMany({
        where: { id: row.id, status: 'delivered' },
        data: { status: 'sent' },
      });
      if (updated.count === 0) return;
      await appendEvent(tx, event);
      await afterSent.record(tx, { caseId: row.caseId, kind: row.kind, at });
    }),
    { maxWait: 30_000, timeout: 30_000 },
  );
}

/** After the last retry: the message is dead-lettered and the case says so. */
export async function markUndeliverable(id: string, reason: string, deps: Pick<DeliverDeps, 'db'>): Promise<void> {
  const row = await deps.db.caseMessage.findUnique({ where: { id }, select: { caseId: true, kind: true, status: true, to: true } });
  // A message the relay took is not dead, whatever happened to its bookkeeping.
  if (!row || ['sent', 'delivered', 'dead'].includes(row.status ?? '')) return;
  await deps.db.$transaction(async (tx) => {
    await tx.caseMessage.update({ where: { id }, data: { status: 'dead', lastError: reason.slice(0, 500) } });
    await appendEvent(tx, { caseId: row.caseId, type: 'message_failed', actor: 'system', reason: reason.slice(0, 500), data: { kind: row.kind, to: row.to } });
  });
}
