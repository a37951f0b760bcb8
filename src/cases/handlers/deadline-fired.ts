import { appendEvent } from '../../audit/events.js';
import type { Tx } from '../../db/index.js';
import type { DeadlineKind } from '../../deadlines/policies.js';
import { settleDeadlineRow } from '../../deadlines/settle.js';
import type { Case, Deadline } from '../../generated/prisma/client.js';
import { brandOf, inTransaction, type CaseDeps, type Effects } from '../context.js';
import { lockCase } from '../lock.js';
import { sendCaseMessage } from '../messaging.js';
import { changeState } from '../state.js';

export type FiredOutcome = 'stale' | 'reminded' | 'breached' | 'window_closed' | 'decision_requested';

/**
 * A deadline job woke up. The row is the truth: a job for a deadline that was
 * met, cancelled or moved since (its due instant differs) does nothing, so a
 * job fired twice or late changes nothing.
 */
export async function deadlineFired(name: 'due' | 'remind', deadlineId: string, dueAt: number, deps: CaseDeps): Promise<FiredOutcome> {
  return inTransaction(deps, async (tx, effects) => {
    const row = await tx.deadline.findUnique({ where: { id: deadlineId }, select: { caseId: true } });
    if (!row) return 'stale';
    // The case is locked first, then the deadline re-read: an action settling it
    // at this moment either finished before (stale) or waits until we are done.
    await lockCase(tx, { id: row.caseId });
    const deadline = await tx.deadline.findUnique({ where: { id: deadlineId }, include: { case: true } });
    if (!deadline || deadline.status !== 'pending' || deadline.dueAt.getTime() !== dueAt) return 'stale';
    if (name === 'remind') return remind(tx, effects, deps, deadline);
    return due(tx, effects, deps, deadline);
  });
}

async function remind(tx: Tx, effects: Effects, deps: CaseDeps, deadline: Deadline & { case: Case }): Promise<FiredOutcome> {
  if (deadline.reminderSentAt) return 'stale';
  const brand = brandOf(deps, deadline.case.brand);
  await tx.deadline.update({ where: { id: deadline.id }, data: { reminderSentAt: deps.now() } });
  await appendEvent(tx, { caseId: deadline.caseId, type: 'reminder_sent', actor: 'system', data: { kind: deadline.kind, dueAt: deadline.dueAt.toISOString() } });
  await sendCaseMessage(
    tx, effects, deps, deadline.case, deadline.case.assignee ?? brand.specialistAddress, 'deadline_reminder', 'en',
    { ticket: deadline.case.ticket, kind: deadline.kind, dueAt: deadline.dueAt, timeZone: brand.timeZone },
    { kind: 'reminder', autoSubmitted: 'auto-generated', dedupeKey: `remind:${deadline.id}:${deadline.dueAt.getTime()}` },
  );
  return 'reminded';
}

async function due(tx: Tx, effects: Effects, deps: CaseDeps, deadline: Deadline & { case: Case }): Promise<FiredOutcome> {
  const brand = brandOf(deps, deadline.case.brand);
  const now = deps.now();
  const theCase = deadline.case;
  const kind = deadline.kind as DeadlineKind;

  if (kind === 'escalation_window') {
    // The window ran its course: nobody escalated, so the case is resolved (the seeds)
    // as of the window's end, however late the job woke: that is the date we tell
    // anyone who escalates afterwards.
    await settleDeadlineRow(tx, brand, deadline, 'met', deadline.dueAt);
    if (theCase.state === 'responded') {
      await changeState(tx, theCase, 'resolved', 'system', 'no_escalation', { resolvedAt: deadline.dueAt, resolution: 'no_escalation' });
      await appendEvent(tx, { caseId: theCase.id, type: 'resolved', actor: 'system', reason: 'no_escalation' });
    }
    return 'window_closed';
  }

  // Settled as breached now, with the margin so far; the late answer settles it again.
  await settleDeadlineRow(tx, brand, deadline, 'breached', now);
  const to = theCase.assignee ?? brand.specialistAddress;

  if (kind === 'customer_response') {
    const domain = await hearingDomain(tx, theCase.id);
    await sendCaseMessage(
      tx, effects, deps, theCase, to, 'decision_needed', 'en',
      { ticket: theCase.ticket, domain, reason: 'deadline_passed' },
      { kind: 'decision_needed', autoSubmitted: 'auto-generated', dedupeKey: `decision:${deadline.id}` },
    );
    return 'decision_requested';
  }
  await sendCaseMessage(
    tx, effects, deps, theCase, to, 'deadline_breached', 'en',
    { ticket: theCase.ticket, kind, dueAt: deadline.dueAt, timeZone: brand.timeZone },
    { kind: 'breach_alert', autoSubmitted: 'auto-generated', dedupeKey: `breach:${deadline.id}:${deadline.dueAt.getTime()}` },
  );
  return 'breached';
}

async function hearingDomain(tx: Tx, caseId: string): Promise<string> {
  const event = await tx.caseEvent.findFirst({ where: { caseId, type: 'customer_notified' }, orderBy: { seq: 'desc' }, select: { data: true } });
  const domain = (event?.data as { domain?: unknown } | null)?.domain;
  return typeof domain === 'string' ? domain : '(see case)';
}
