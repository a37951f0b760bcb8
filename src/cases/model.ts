import type { Mailbox } from '../config/brands.js';

/** The vocabulary of a case, as the seeds and the spec use it. */

export const CASE_KINDS = ['abuse', 'complaint', 'feedback'] as const;
export type CaseKind = (typeof CASE_KINDS)[number];

export const ABUSE_TYPES = ['spam', 'phishing', 'malware', 'other'] as const;
export type AbuseType = (typeof ABUSE_TYPES)[number];

export const CASE_STATES = [
  'received',
  'acknowledged',
  'in_progress',
  'awaiting_information',
  'responded',
  'escalated',
  'resolved',
  'closed',
] as const;
export type CaseState = (typeof CASE_STATES)[number];

export const OPEN_STATES: readonly CaseState[] = ['received', 'acknowledged', 'in_progress', 'awaiting_information', 'responded', 'escalated'];

/**
 * The lifecycle: received → acknowledged → in_progress ⇄ awaiting_information →
 * responded → (escalated → responded) → resolved / closed. A specialist may
 * answer or close from any open state; these are the moves the system allows.
 */
const TRANSITIONS: Record<CaseState, readonly CaseState[]> = {
  received: ['acknowledged', 'in_progress', 'awaiting_information', 'responded', 'resolved', 'closed'],
  acknowledged: ['in_progress', 'awaiting_information', 'responded', 'resolved', 'closed'],
  in_progress: ['awaiting_information', 'responded', 'resolved', 'closed'],
  awaiting_information: ['in_progress', 'responded', 'resolved', 'closed'],
  responded: ['escalated', 'in_progress', 'resolved', 'closed'],
  escalated: ['responded', 'in_progress', 'awaiting_information', 'resolved', 'closed'],
  resolved: [],
  closed: [],
};

export function canMove(from: CaseState, to: CaseState): boolean {
  return TRANSITIONS[from].includes(to);
}

export const TICKET_PREFIX: Record<Mailbox, string> = { abuse: 'ABU', complaints: 'CMP', feedback: 'FBK' };
export const KIND_OF_MAILBOX: Record<Mailbox, CaseKind> = { abuse: 'abuse', complaints: 'complaint', feedback: 'feedback' };

export function formatTicket(prefix: string, year: number, value: number): string {
  return `${prefix}-${year}-${String(value).padStart(6, '0')}`;
}
