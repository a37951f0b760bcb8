import type { Brand } from '../config/brands.js';
import type { Db } from '../db/index.js';
import type { SqlRunner } from '../db/migrate.js';
import { scheduleDeadlineJobs } from '../deadlines/schedule.js';
import { dropOrphanChunks } from '../intake/spool.js';
import type { Logger } from '../lib/logger.js';
import { enqueueOutbound, intakeJob, measureJob } from './jobs.js';
import type { Queues } from './queues.js';

/** How long a spooled piece may wait for its row: longer than any SMTP transaction. */
const ORPHAN_CHUNK_HOURS = 6;
/** Pending deadlines are re-queued this many at a time: after a flood there are tens of thousands. */
const DEADLINE_PAGE = 500;

export interface SweepDeps {
  db: Db;
  sql: Pick<SqlRunner, 'query'>;
  queues: Pick<Queues, 'intake' | 'outbound' | 'deadlines' | 'measures'>;
  brands: Map<string, Brand>;
  now: () => Date;
  logger: Logger;
}

export interface SweepResult {
  intake: number;
  outbound: number;
  deadlines: number;
  measures: number;
  /** Large messages whose pieces were left behind by a refused or interrupted transaction. */
  orphanedBodies: number;
}

/**
 * The database is the truth and Redis may lose its last second of writes (or
 * everything, if it restarts empty). The sweep puts back the jobs for work the
 * database says is unfinished; job ids make that harmless when they still exist.
 */
export async function sweep(deps: SweepDeps, options: { graceMs: number; includeDeadlines: boolean }): Promise<SweepResult> {
  const before = new Date(deps.now().getTime() - options.graceMs);
  const stored = await deps.db.inboundMessage.findMany({ where: { status: 'stored', receivedAt: { lt: before } }, select: { id: true }, take: 1_000 });
  if (stored.length > 0) {
    await deps.queues.intake.addBulk(stored.map((row) => intakeJob(row.id)));
  }
  const unsent = await deps.db.caseMessage.findMany({
    where: { direction: 'out', status: { in: ['queued', 'failed', 'delivered'] }, at: { lt: before } },
    select: { id: true },
    take: 1_000,
  });
  await enqueueOutbound(deps.queues, unsent.map((row) => row.id));

  // A confirmed measure whose job was lost would never reach the platform.
  const measures = await deps.db.measure.findMany({ where: { status: 'pending', at: { lt: before } }, select: { id: true, at: true }, take: 1_000 });
  if (measures.length > 0) {
    await deps.queues.measures.addBulk(measures.map((row) => measureJob(row.id, row.at)));
  }

  const deadlines = options.includeDeadlines ? await requeueDeadlines(deps) : 0;
  if (stored.length || unsent.length || measures.length) {
    deps.logger.info({ intake: stored.length, outbound: unsent.length, measures: measures.length }, 'sweep re-queued unfinished work');
  }
  const orphanedBodies = await dropOrphanChunks(deps.sql, ORPHAN_CHUNK_HOURS);
  if (orphanedBodies) deps.logger.info({ orphanedBodies }, 'sweep removed the pieces of messages that were never stored');
  return { intake: stored.length, outbound: unsent.length, deadlines, measures: measures.length, orphanedBodies };
}

/** Puts back the jobs of every pending deadline, a page at a time so memory stays bounded however many there are. */
async function requeueDeadlines(deps: SweepDeps): Promise<number> {
  let count = 0;
  let after: string | undefined;
  for (;;) {
    const page = await deps.db.deadline.findMany({
      where: { status: 'pending', ...(after === undefined ? {} : { id: { gt: after } }) },
      orderBy: { id: 'asc' },
      take: DEADLINE_PAGE,
      select: { id: true, kind: true, dueAt: true, startedAt: true, case: { select: { brand: true } } },
    });
    for (const brand of deps.brands.values()) {
      const mine = page.filter((deadline) => deadline.case.brand === brand.id);
      if (mine.length > 0) await scheduleDeadlineJobs(deps.queues, brand, mine, deps.now());
    }
    count += page.length;
    if (page.length < DEADLINE_PAGE) return count;
    after = page.at(-1)?.id;
  }
}
