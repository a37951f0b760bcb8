import type { DeadlineKind } from '../../deadlines/policies.js';
import { settleDeadlineRow } from '../../deadlines/settle.js';
import type { Deadline } from '../../generated/prisma/client.js';
import type { CaseDeps } from '../context.js';
import { hearingDomain } from '../hearing.js';
import { lockCase } from '../lock.js';
import { inTransaction, type CaseWork } from '../work.js';

export type FiredOutcome = 'stale' | 'reminded' | 'breached' | 'window_closed' | 'decision_requested';

/**
 * A deadline job woke up. The row is the truth: a job for a deadline that was
 * met, cancelled or moved since (its due instant differs) does nothing, so a
 * job fired twice or late changes nothing.
 */
export async function deadlineFired(name: 'due' | 'remind', deadlineId: string, dueAt: number, deps: CaseDeps): Promise<FiredOutcome> {
  return inTransaction(deps, async (unit) => {
    const row = await unit.tx.deadline.findUnique({ where: { id: deadlineId }, select: { caseId: true } });
    if (!row) return 'stale';
    // The case is locked first, then the deadline re-read: an action settling it
    // at this moment either finished before (stale) or waits until we are done.
    await lockCase(unit.tx, { id: row.caseId });
    const found = await unit.tx.deadline.findUnique({ where: { id: deadlineId }, include: { case: true } });
    if (!found || found.status !== 'pending' || found.dueAt.getTime() !== dueAt) return 'stale';
    const { case: theCase, ...deadline } = found;
    const work = unit.forCase(theCase);
    if (name === 'remind') return remind(work, deadline);
    return due(work, deadline);
  });
}

async function remind(work: CaseWork, deadline: Deadline): Promise<FiredOutcome> {
  if (deadline.reminderSentAt) return 'stale';
  const { brand } = work;
  await work.tx.deadline.update({ where: { id: deadline.id }, data: { reminderSentAt: work.now() } });
  await work.event('reminder_sent', { actor: 'system', data: { kind: deadline.kind, dueAt: deadline.dueAt.toISOString() } });
  await work.send(
    work.desk,
    'deadline_reminder',
    { ticket: work.theCase.ticket, kind: deadline.kind, dueAt: deadline.dueAt, timeZone: brand.timeZone },
    { kind: 'reminder', autoSubmitted: 'auto-generated', dedupeKey: `remind:${deadline.id}:${deadline.dueAt.getTime()}` },
  );
  return 'reminded';
}

async function due(work: CaseWork, deadline: Deadline): Promise<FiredOutcome> {
  const { brand, theCase, tx } = work;
  const now = work.now();
  const kind = deadline.kind as DeadlineKind;

  if (kind === 'escalation_window') {
    // The window ran its course: nobody escalated, so the case is resolved (the seeds)
    // as of the window's end, however late the job woke: that is the date we tell
    // anyone who escalates afterwards.
    await settleDeadlineRow(tx, brand, deadline, 'met', deadline.dueAt);
    if (theCase.state === 'responded') {
      await work.changeState('resolved', 'system', 'no_escalation', { resolvedAt: deadline.dueAt, resolution: 'no_escalation' });
      await work.event('resolved', { actor: 'system', reason: 'no_escalation' });
    }
    return 'window_closed';
  }

  // Settled as breached now, with the margin so far; the late answer settles it again.
  await settleDeadlineRow(tx, brand, deadline, 'breached', now);

  if (kind === 'customer_response') {
    const domain = await hearingDomain(work.tx, theCase.id);
    await work.send(
      work.desk,
      'decision_needed',
      { ticket: theCase.ticket, domain, reason: 'deadline_passed' },
      { kind: 'decision_needed', autoSubmitted: 'auto-generated', dedupeKey: `decision:${deadline.id}` },
    );
    return 'decision_requested';
  }
  await work.send(
    work.desk,
    'deadline_breached',
    { ticket: theCase.ticket, kind, dueAt: deadline.dueAt, timeZone: brand.timeZone },
    { kind: 'breach_alert', autoSubmitted: 'auto-generated', dedupeKey: `breach:${deadline.id}:${deadline.dueAt.getTime()}` },
  );
  return 'breached';
}
