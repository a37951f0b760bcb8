import type { Brand } from '../config/brands.js';
import type { Tx } from '../db/index.js';
import type { Deadline } from '../generated/prisma/client.js';
import { appendEvent } from '../audit/events.js';
import { calendarForBrand } from './calendar.js';
import type { DeadlineKind } from './policies.js';

export type Settlement = 'met' | 'breached' | 'cancelled';

/**
 * Settles a case's open deadline of `kind` (see `settleDeadlineRow`).
 * Returns false when nothing was open.
 */
export async function settleDeadline(
  tx: Tx,
  brand: Brand,
  caseId: string,
  kind: DeadlineKind,
  outcome: Settlement,
  at: Date,
  actor = 'system',
): Promise<boolean> {
  // A breached deadline is still settled when the step is finally done, so the
  // record shows how late it was.
  const deadline = await tx.deadline.findFirst({
    where: { caseId, kind, metAt: null, status: outcome === 'met' ? { in: ['pending', 'breached'] } : 'pending' },
    orderBy: { step: 'desc' },
  });
  if (!deadline) return false;
  await settleDeadlineRow(tx, brand, deadline, outcome, at, actor);
  return true;
}

/**
 * Records the SLA result of one deadline: met or breached against the original
 * promise, with the margin in working minutes (negative = early). An extension
 * moves `dueAt`, which the complainant is told and the alerts follow, but the
 * issue keeps `originalDueAt` for the SLA: the published ten working days are
 * the standard, and an extended case answered after them is recorded as late.
 * A breach noticed by the deadline job is settled again when the step is done,
 * so the margin ends up saying how late the answer really was.
 */
export async function settleDeadlineRow(tx: Tx, brand: Brand, deadline: Deadline, outcome: Settlement, at: Date, actor = 'system'): Promise<void> {
  const calendar = calendarForBrand(brand);
  const margin = outcome === 'cancelled' ? null : calendar.workingMinutesBetween(deadline.originalDueAt, at);
  const status = outcome === 'met' && at.getTime() > deadline.originalDueAt.getTime() ? 'breached' : outcome;
  await tx.deadline.update({
    where: { id: deadline.id },
    data: {
      status,
      metAt: outcome === 'met' ? at : null,
      breachedAt: status === 'breached' && outcome !== 'met' ? at : deadline.breachedAt,
      marginMinutes: margin,
    },
  });
  const type = status === 'met' ? 'deadline_met' : status === 'breached' ? 'deadline_breached' : 'deadline_cancelled';
  // A late answer settles a deadline whose breach was already recorded: one event is enough.
  if (!(status === 'breached' && deadline.breachedAt)) {
    await appendEvent(tx, {
      caseId: deadline.caseId,
      type,
      actor,
      at,
      data: { kind: deadline.kind, step: deadline.step, dueAt: deadline.dueAt.toISOString(), originalDueAt: deadline.originalDueAt.toISOString(), marginMinutes: margin },
    });
  }
}
