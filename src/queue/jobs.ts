import type { JobData, Queues } from './queues.js';

/**
 * Every job names the row it is for, and its id is derived from that row: so
 * queueing twice is harmless (BullMQ keeps the first job of an id) and the
 * sweep re-queues a lost job under the very same id. Ids hold no `:` and are
 * never all digits (BullMQ's rules for custom ids).
 */

interface JobEntry<D> {
  name: string;
  data: D;
  opts: { jobId: string; delay?: number };
}

export function intakeJobId(inboundId: string): string {
  return `in-${inboundId}`;
}

export function outboundJobId(messageRowId: string): string {
  return `out-${messageRowId}`;
}

/**
 * A deadline's jobs name the instant they are for, so moving a deadline adds
 * a job for the new instant; the old one is removed, and would find the row
 * changed and do nothing if it fired anyway.
 */
export function dueJobId(deadlineId: string, due: Date): string {
  return `due-${deadlineId}-${due.getTime()}`;
}

export function reminderJobId(deadlineId: string, at: Date): string {
  return `remind-${deadlineId}-${at.getTime()}`;
}

/**
 * A new id per request of a measure (the failed job of an earlier one is
 * kept, and BullMQ ignores a known id), derived from the row so the sweep can
 * re-queue a lost job under the very same id.
 */
export function measureJobId(measureId: string, requestedAt: Date): string {
  return `measure-${measureId}-${requestedAt.getTime()}`;
}

export function intakeJob(inboundId: string): JobEntry<JobData['intake']> {
  return { name: 'intake', data: { inboundId }, opts: { jobId: intakeJobId(inboundId) } };
}

export function measureJob(measureId: string, requestedAt: Date): JobEntry<JobData['measures']> {
  return { name: 'execute', data: { measureId }, opts: { jobId: measureJobId(measureId, requestedAt) } };
}

/** The job that wakes a deadline `name` at `fireAt` (its due instant, or the reminder before it). */
export function deadlineJob(name: 'due' | 'remind', deadline: { id: string; dueAt: Date }, fireAt: Date, now: Date): JobEntry<JobData['deadlines']> {
  const jobId = name === 'due' ? dueJobId(deadline.id, deadline.dueAt) : reminderJobId(deadline.id, fireAt);
  return { name, data: { deadlineId: deadline.id, dueAt: deadline.dueAt.getTime() }, opts: { jobId, delay: Math.max(0, fireAt.getTime() - now.getTime()) } };
}

/**
 * An incident's digest of the reports that joined it, due at `at`: one job per
 * period, so reports arriving in the same period share it.
 */
export function digestJob(incidentId: string, at: Date, now: Date): JobEntry<JobData['deadlines']> {
  return { name: 'digest', data: { incidentId }, opts: { jobId: `digest-${incidentId}-${at.getTime()}`, delay: Math.max(0, at.getTime() - now.getTime()) } };
}

/** Queues the send jobs for messages recorded as queued. */
export async function enqueueOutbound(queues: Pick<Queues, 'outbound'>, ids: string[]): Promise<void> {
  if (ids.length === 0) return;
  await queues.outbound.addBulk(ids.map((id) => ({ name: 'send', data: { messageId: id }, opts: { jobId: outboundJobId(id) } })));
}
