import { brandDomain, isStaff, type Brand } from '../config/brands.js';
import type { Tx } from '../db/index.js';
import { insertRows } from '../db/insert.js';
import { isRobotAddress } from '../mail/robot-address.js';
import { appendEvent } from '../audit/events.js';
import type { ComposedMessage, OutgoingMessage } from './compose.js';

export type RecordOutcome =
  | { kind: 'queued'; id: string }
  | { kind: 'suppressed'; id: string; reason: string }
  /** Its dedupe key was used before: nothing written. */
  | { kind: 'duplicate' };

export interface OutboxPolicy {
  /** Automatic messages one address may get from us in 24 hours (loop protection). */
  dailyCap: number;
  now: () => Date;
}

const OUTGOING_COLUMNS = {
  id: 'value', caseId: 'value', direction: 'value', role: 'value', kind: 'value', messageId: 'value', inReplyTo: 'value', references: 'text[]',
  from: 'value', to: 'text[]', subject: 'value', at: 'timestamp', relayed: 'value', autoSubmitted: 'value', status: 'value', raw: 'bytes',
  envelope: 'jsonb', dedupeKey: 'value', attempts: 'value', lastError: 'value',
} as const;

/**
 * Writes an outgoing message into the case's record, inside the caller's
 * transaction, as `queued` — or as `suppressed` when loop protection says no
 * (a robot address, or an outside recipient's daily cap of automatic messages
 * reached; the desk's own addresses have no cap).
 * The job that sends it is queued after the commit (`enqueueOutbound`).
 */
export async function recordOutgoing(tx: Tx, message: OutgoingMessage, composed: ComposedMessage, policy: OutboxPolicy): Promise<RecordOutcome> {
  const to = message.to.toLowerCase();
  let suppressedBecause: string | null = null;
  if (isRobotAddress(to)) {
    suppressedBecause = 'robot_recipient';
  } else if (message.autoSubmitted && !isDeskAddress(message.brand, to)) {
    const since = new Date(policy.now().getTime() - 24 * 3_600_000);
    const sent = await tx.caseMessage.count({
      where: { direction: 'out', autoSubmitted: true, to: { has: to }, at: { gte: since }, status: { not: 'suppressed' } },
    });
    if (sent >= policy.dailyCap) suppressedBecause = 'daily_cap';
  }
  const status = suppressedBecause ? 'suppressed' : 'queued';
  // Skipping duplicates makes the dedupe key's unique index the check: one statement, no race.
  const count = await insertRows(
    tx,
    'CaseMessage',
    OUTGOING_COLUMNS,
    [
      {
        id: composed.id,
        caseId: message.caseId,
        direction: 'out',
        role: message.role,
        kind: message.kind,
        messageId: composed.messageId,
        inReplyTo: message.inReplyTo ?? null,
        references: message.references ?? [],
        from: `${message.fromMailbox}@${brandDomain(message.brand)}`,
        to: [to],
        subject: composed.subject,
        at: composed.at,
        relayed: message.relayed ?? false,
        autoSubmitted: message.autoSubmitted !== null,
        status,
        raw: composed.raw,
        envelope: { from: '', to: [to] },
        dedupeKey: message.dedupeKey ?? null,
        attempts: 0,
        lastError: suppressedBecause,
      },
    ],
    { skipDuplicates: true },
  );
  if (count === 0) return { kind: 'duplicate' };
  if (suppressedBecause) {
    await appendEvent(tx, { caseId: message.caseId, type: 'message_suppressed', actor: 'system', reason: suppressedBecause, data: { kind: message.kind, to } });
    return { kind: 'suppressed', id: composed.id, reason: suppressedBecause };
  }
  return { kind: 'queued', id: composed.id };
}

/** The desk's own people: loop protection's daily cap is for the outside world. */
function isDeskAddress(brand: Brand, address: string): boolean {
  return address === brand.specialistAddress || isStaff(brand, address);
}

