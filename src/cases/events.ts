import type { Prisma, Tx } from '../db/index.js';
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

export async function appendEvent(tx: Tx, event: EventInput): Promise<void> {
  await tx.caseEvent.create({
    data: {
      id: newId(),
      caseId: event.caseId,
      type: event.type,
      actor: event.actor,
      reason: event.reason ?? null,
      data: event.data,
      ...(event.at ? { at: event.at } : {}),
    },
  });
}
