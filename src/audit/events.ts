import type { Prisma, Tx } from '../db/index.js';
import { insertRowIfChanged, insertRows } from '../db/insert.js';
import { newId } from '../lib/ids.js';

/**
 * The audit trail. Events are only ever appended (the database refuses
 * updates); each says what happened, when, who did it and why.
 */
export const EVENT_TYPES = [
  'case_opened',
  'message_received',
  'message_sent',
  'message_suppressed',
  'message_failed',
  'state_changed',
  'acknowledged',
  'assigned',
  'note_added',
  'deadline_set',
  'deadline_met',
  'deadline_breached',
  'deadline_extended',
  'deadline_cancelled',
  'reminder_sent',
  'escalated',
  'escalation_incomplete',
  'escalation_refused',
  'evidence_recorded',
  'information_requested',
  'responded',
  'resolved',
  'command_failed',
  'customer_notified',
  'measure_requested',
  'measure_done',
  'measure_failed',
  'measure_dismissed',
  'measure_lift_requested',
  'measure_lifted',
  'incident_opened',
  'incident_joined',
  'incident_action',
  'appeal_received',
] as const;
export type EventType = (typeof EVENT_TYPES)[number];

export interface EventInput {
  caseId: string;
  type: EventType;
  /** `system`, or the address of the person who acted. */
  actor: string;
  reason?: string | null;
  data?: Prisma.InputJsonValue;
  at?: Date;
}

type EventRow = Prisma.CaseEventCreateManyInput;

const EVENT_COLUMNS = { id: 'value', caseId: 'value', at: 'timestamp', type: 'value', actor: 'value', reason: 'value', data: 'jsonb' } as const;

/**
 * Events of one transaction are written together, in order, just before it
 * commits: a case's steps append several, and one statement is cheaper than
 * many. Outside a buffered transaction an event is written at once.
 */
const buffers = new WeakMap<object, EventRow[]>();

function toRow(event: EventInput): EventRow {
  return {
    id: newId(),
    caseId: event.caseId,
    type: event.type,
    actor: event.actor,
    reason: event.reason ?? null,
    data: event.data,
    ...(event.at ? { at: event.at } : {}),
  };
}

export async function appendEvent(tx: Tx, event: EventInput): Promise<void> {
  const buffer = buffers.get(tx);
  if (buffer) buffer.push(toRow(event));
  else await tx.caseEvent.create({ data: toRow(event) });
}

/**
 * Writes `event` only if `change` (an UPDATE without RETURNING) touched a row,
 * in the same statement: for a step that changes one row and needs no
 * transaction. Returns whether it did.
 */
export async function appendEventIfChanged(db: Pick<Tx, '$executeRaw'>, change: Prisma.Sql, event: EventInput): Promise<boolean> {
  const row = toRow(event);
  return insertRowIfChanged(db, change, 'CaseEvent', EVENT_COLUMNS, { ...row, at: row.at ?? new Date() });
}

/** Runs `fn` with the transaction's events buffered, and writes them at its end. */
export async function withEventBuffer<T>(tx: Tx, fn: () => Promise<T>): Promise<T> {
  buffers.set(tx, []);
  try {
    const result = await fn();
    await flushEvents(tx);
    return result;
  } finally {
    buffers.delete(tx);
  }
}

/** Writes buffered events now: before reading events back in the same transaction. */
export async function flushEvents(tx: Tx): Promise<void> {
  const buffer = buffers.get(tx);
  if (buffer && buffer.length > 0) {
    // Events without a time of their own share one, as the ORM's default would give them.
    const now = new Date();
    await insertRows(tx, 'CaseEvent', EVENT_COLUMNS, buffer.splice(0).map((row) => ({ ...row, at: row.at ?? now })));
  }
}

/** For a savepoint: how many events are buffered, and dropping those after it. */
export function eventMark(tx: Tx): number {
  return buffers.get(tx)?.length ?? 0;
}

export function rewindEvents(tx: Tx, mark: number): void {
  const buffer = buffers.get(tx);
  if (buffer) buffer.length = Math.min(buffer.length, mark);
}
