import type { Db, Tx } from '../db/index.js';
import { appendEvent } from '../cases/events.js';
import type { Logger } from '../lib/logger.js';
import type { Envelope, OutboundTransport } from './transport.js';

export interface DeliverDeps {
  db: Db;
  transport: OutboundTransport;
  now: () => Date;
  logger: Logger;
  /** What a sent message means for its case (an acknowledgement meets a deadline). */
  afterSent?: (tx: Tx, sent: { caseId: string; kind: string; at: Date }) => Promise<void>;
}

export type DeliverOutcome = 'sent' | 'already_done' | 'missing';

/**
 * Sends one recorded message. The row is the truth: a job for a message that
 * is already sent (a retry, a duplicate job) does nothing. A failure is noted on
 * the row and thrown, so the queue retries with backoff.
 */
export async function deliverMessage(id: string, deps: DeliverDeps): Promise<DeliverOutcome> {
  const row = await deps.db.caseMessage.findUnique({
    where: { id },
    select: { id: true, caseId: true, kind: true, status: true, envelope: true, raw: true, to: true },
  });
  if (!row || !row.raw) return 'missing';
  if (row.status !== 'queued' && row.status !== 'failed') return 'already_done';
  const envelope = row.envelope as unknown as Envelope;
  try {
    const response = await deps.transport.send(envelope, Buffer.from(row.raw), row.id);
    const at = deps.now();
    await deps.db.$transaction(async (tx) => {
      await tx.caseMessage.update({
        where: { id },
        data: { status: 'sent', sentAt: at, attempts: { increment: 1 }, lastError: null },
      });
      await appendEvent(tx, { caseId: row.caseId, type: 'message_sent', actor: 'system', at, data: { kind: row.kind, to: row.to, response: response.slice(0, 200) } });
      await deps.afterSent?.(tx, { caseId: row.caseId, kind: row.kind, at });
    });
    return 'sent';
  } catch (error) {
    await deps.db.caseMessage
      .update({ where: { id }, data: { status: 'failed', attempts: { increment: 1 }, lastError: String((error as Error).message).slice(0, 500) } })
      .catch((dbError: unknown) => deps.logger.warn({ err: dbError, id }, 'could not note a failed delivery'));
    throw error;
  }
}

/** After the last retry: the message is dead-lettered and the case says so. */
export async function markUndeliverable(id: string, reason: string, deps: Pick<DeliverDeps, 'db'>): Promise<void> {
  const row = await deps.db.caseMessage.findUnique({ where: { id }, select: { caseId: true, kind: true, status: true, to: true } });
  if (!row || row.status === 'sent' || row.status === 'dead') return;
  await deps.db.$transaction(async (tx) => {
    await tx.caseMessage.update({ where: { id }, data: { status: 'dead', lastError: reason.slice(0, 500) } });
    await appendEvent(tx, { caseId: row.caseId, type: 'message_failed', actor: 'system', reason: reason.slice(0, 500), data: { kind: row.kind, to: row.to } });
  });
}
