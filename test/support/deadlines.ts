import type { Job } from 'bullmq';
import type { JobData } from '../../src/queue/queues.js';
import type { TestApp } from './harness.js';

/**
 * Deadline jobs under a test clock. Delays are computed from the injected
 * clock but Redis waits in real time, so a test moves the clock past a due
 * instant and then promotes the delayed jobs that would have woken by then:
 *
 *   clock.set(new Date('2027-01-06T08:00:00Z'));
 *   const fired = await fireDueJobs(t, clock.now(), { ticket });
 *   expect(fired.map((f) => f.outcome)).toContain('breached');
 */

export type DeadlineJob = Job<Extract<JobData['deadlines'], { dueAt: number }>>;

export interface FiredJob {
  id: string;
  name: string;
  deadlineId: string;
  /** What `deadlineFired` returned: stale, reminded, breached, window_closed, … */
  outcome: unknown;
}

/** The instant a job is meant for: the last part of its id (`due-<deadline>-<ms>`, `remind-<deadline>-<ms>`). */
export function firesAt(job: Pick<DeadlineJob, 'id'>): number {
  const instant = /-(\d+)$/.exec(job.id ?? '')?.[1];
  if (!instant) throw new Error(`deadline job id ${String(job.id)} names no instant`);
  return Number(instant);
}

/** Delayed deadline jobs, optionally only those of one case (other tests' cases share the queue). */
export async function delayedDeadlineJobs(t: TestApp, filter: { ticket?: string; name?: 'due' | 'remind' } = {}): Promise<DeadlineJob[]> {
  // Incident digests share the queue; they name no deadline.
  const jobs = ((await t.app.queues.deadlines.getDelayed()) as DeadlineJob[]).filter((job) => job.data.deadlineId !== undefined);
  const ids = filter.ticket ? await deadlineIdsOf(t, filter.ticket) : null;
  return jobs.filter((job) => (!ids || ids.has(job.data.deadlineId)) && (!filter.name || job.name === filter.name));
}

/** Promotes the delayed jobs whose instant `now` has passed and waits until the worker has run each. */
export async function fireDueJobs(t: TestApp, now: Date, filter: { ticket?: string; name?: 'due' | 'remind' } = {}): Promise<FiredJob[]> {
  const ready = (await delayedDeadlineJobs(t, filter)).filter((job) => firesAt(job) <= now.getTime());
  for (const job of ready) await job.promote();
  const fired: FiredJob[] = [];
  for (const job of ready) fired.push(await finished(t, job.id as string));
  return fired;
}

/**
 * Runs a job's data again under a fresh id, as a duplicate wake-up or one
 * delivered late would (the same id would be refused by BullMQ as a duplicate).
 */
export async function fireAgain(t: TestApp, job: Pick<FiredJob, 'id' | 'name'> & { data?: JobData['deadlines'] }, attempt = 1): Promise<FiredJob> {
  const original = await t.app.queues.deadlines.getJob(job.id);
  const data = job.data ?? original?.data;
  if (!data) throw new Error(`no data for deadline job ${job.id}`);
  const again = await t.app.queues.deadlines.add(job.name, data, { jobId: `${job.id}-again${attempt}` });
  return finished(t, again.id as string);
}

/**
 * Waits until a deadline job completed. A job that failed, even once before its
 * retries, fails the test at once with its reason rather than at the timeout.
 */
export async function finished(t: TestApp, id: string, timeoutMs = 15_000): Promise<FiredJob> {
  const queue = t.app.queues.deadlines;
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    // The state first, then the job: read the other way round, a job completing in
    // between is seen completed without its return value.
    const state = await queue.getJobState(id);
    const job = await queue.getJob(id);
    if (job?.failedReason) throw new Error(`deadline job ${id} failed: ${job.failedReason}`);
    if (job && state === 'completed') {
      return { id, name: job.name, deadlineId: job.data.deadlineId ?? '', outcome: job.returnvalue as unknown };
    }
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  throw new Error(`timed out after ${timeoutMs} ms waiting for deadline job ${id}`);
}

async function deadlineIdsOf(t: TestApp, ticket: string): Promise<Set<string>> {
  const rows = await t.app.database.prisma.deadline.findMany({ where: { case: { ticket } }, select: { id: true } });
  return new Set(rows.map((row) => row.id));
}
