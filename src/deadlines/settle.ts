import type { Brand } from '../config/brands.js';
import type { Tx } from '../db/index.js';
import { appendEvent } from '../cases/events.js';
import { calendarForBrand } from './calendar.js';
import type { DeadlineKind } from './policies.js';

export type Settlement = 'met' | 'breached' | 'cancelled';

/**
 * Settles a case's pending deadline of `kind` and records the SLA result:
 * met or breached against the original promise (an extension moves `dueAt` but
 * the SLA is judged against `originalDueAt`), with the margin in working
 * minutes (negative = early). Returns false when nothing was open.
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
    await appendEvent(tx, { caseId, type, actor, at, data: { kind, step: deadline.step, dueAt: deadline.dueAt.toISOString(), marginMinutes: margin } });
  }
  return true;
}
