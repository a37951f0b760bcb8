import type { Brand } from '../config/brands.js';
import type { Tx } from '../db/index.js';
import { insertRows } from '../db/insert.js';
import { appendEvent } from '../audit/events.js';
import { newId } from '../lib/ids.js';
import { deadlineJob, dueJobId, reminderJobId } from '../queue/jobs.js';
import type { Queues } from '../queue/queues.js';
import { dueAt, reminderAt, type DeadlineKind } from './policies.js';

export interface DeadlineRef {
  id: string;
  kind: string;
  dueAt: Date;
  startedAt: Date;
}

/**
 * Opens a deadline inside the caller's transaction. The database row is the
 * truth; the delayed jobs that wake us are scheduled after the commit
 * (`scheduleDeadlineJobs`) and re-read the row when they fire.
 */
export async function openDeadline(
  tx: Tx,
  input: { caseId: string; brand: Brand; kind: DeadlineKind; start: Date; step?: number; due?: Date },
): Promise<DeadlineRef> {
  const due = input.due ?? dueAt(input.brand, input.kind, input.start);
  const row = await tx.deadline.upsert({
    where: { caseId_kind_step: { caseId: input.caseId, kind: input.kind, step: input.step ?? 0 } },
    create: {
      id: newId(),
      caseId: input.caseId,
      kind: input.kind,
      step: input.step ?? 0,
      startedAt: input.start,
      dueAt: due,
      originalDueAt: due,
    },
    update: {},
    select: { id: true, kind: true, dueAt: true, startedAt: true },
  });
  await appendEvent(tx, {
    caseId: input.caseId,
    type: 'deadline_set',
    actor: 'system',
    data: { kind: input.kind, step: input.step ?? 0, dueAt: row.dueAt.toISOString() },
  });
  return row;
}

const DEADLINE_COLUMNS = { id: 'value', caseId: 'value', kind: 'value', step: 'value', startedAt: 'timestamp', dueAt: 'timestamp', originalDueAt: 'timestamp', status: 'value' } as const;

/** The first deadlines of a new case, in one statement (nothing can conflict yet). */
export async function openFirstDeadlines(tx: Tx, input: { caseId: string; brand: Brand; kinds: DeadlineKind[]; start: Date }): Promise<DeadlineRef[]> {
  const rows = input.kinds.map((kind) => {
    const due = dueAt(input.brand, kind, input.start);
    return { id: newId(), caseId: input.caseId, kind, step: 0, startedAt: input.start, dueAt: due, originalDueAt: due, status: 'pending' };
  });
  await insertRows(tx, 'Deadline', DEADLINE_COLUMNS, rows);
  for (const row of rows) {
    await appendEvent(tx, { caseId: input.caseId, type: 'deadline_set', actor: 'system', data: { kind: row.kind, step: 0, dueAt: row.dueAt.toISOString() } });
  }
  return rows.map((row) => ({ id: row.id, kind: row.kind, dueAt: row.dueAt, startedAt: row.startedAt }));
}

export async function scheduleDeadlineJobs(
  queues: Pick<Queues, 'deadlines'>,
  brand: Brand,
  deadlines: DeadlineRef[],
  now: Date,
  previousDue?: Map<string, Date>,
): Promise<void> {
  const jobs = deadlines.flatMap((deadline) => {
    const remind = reminderFor(brand, deadline);
    const due = deadlineJob('due', deadline, deadline.dueAt, now);
    return remind && remind.getTime() > now.getTime() ? [due, deadlineJob('remind', deadline, remind, now)] : [due];
  });
  if (jobs.length > 0) await queues.deadlines.addBulk(jobs);
  for (const deadline of deadlines) {
    const before = previousDue?.get(deadline.id);
    if (before && before.getTime() !== deadline.dueAt.getTime()) {
      await queues.deadlines.remove(dueJobId(deadline.id, before));
      const oldReminder = reminderFor(brand, { ...deadline, dueAt: before });
      if (oldReminder) await queues.deadlines.remove(reminderJobId(deadline.id, oldReminder));
    }
  }
}

/** The reminder for a deadline, counted back from its (possibly moved) due date. */
export function reminderFor(brand: Brand, deadline: { kind: string; dueAt: Date; startedAt: Date }): Date | null {
  return reminderAt(brand, deadline.kind as DeadlineKind, deadline.startedAt, deadline.dueAt);
}
