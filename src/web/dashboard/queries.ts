import { caseWhere } from '../../cases/view.js';
import { OPEN_STATES } from '../../cases/model.js';
import type { Db, Tx } from '../../db/index.js';
import { QUEUE_NAMES, type QueueName, type Queues } from '../../queue/queues.js';

/**
 * What the overview shows, each figure one aggregate query (groupBy, count,
 * or a GROUP BY over date_trunc) or a short, indexed, limited list: the page
 * costs the same with a thousand cases or a million.
 */

export interface Count {
  key: string;
  count: number;
}

export interface Bucketed {
  /** Start of the day or week (UTC), as YYYY-MM-DD. */
  bucket: string;
  key: string;
  count: number;
}

export interface SlaRow extends Bucketed {
  kind: string;
}

export const REFUSAL_DAYS = 30;
export const CASE_DAYS = 30;
export const WEEKS = 12;
const LIST_LIMIT = 20;

const DAY_MS = 86_400_000;

export function startOfUtcDay(at: Date): Date {
  return new Date(Date.UTC(at.getUTCFullYear(), at.getUTCMonth(), at.getUTCDate()));
}

/** Monday 00:00 UTC of the week `at` falls in, as PostgreSQL's date_trunc('week') counts. */
export function startOfUtcWeek(at: Date): Date {
  const day = startOfUtcDay(at);
  return new Date(day.getTime() - ((day.getUTCDay() + 6) % 7) * DAY_MS);
}

/** The buckets of a chart's axis, oldest first, so empty days still show as zero. */
export function buckets(last: Date, count: number, stepDays: number): string[] {
  return Array.from({ length: count }, (_, i) => isoDay(new Date(last.getTime() - (count - 1 - i) * stepDays * DAY_MS)));
}

export function isoDay(at: Date): string {
  return at.toISOString().slice(0, 10);
}

function counts(rows: Array<{ _count: { _all: number } } & Record<string, unknown>>, field: string): Count[] {
  return rows.map((row) => ({ key: String(row[field] ?? 'unknown'), count: row._count._all })).sort((a, b) => b.count - a.count || a.key.localeCompare(b.key));
}

type RawBucket = { bucket: Date | string; key: string | null; count: number };

function bucketed(rows: RawBucket[]): Bucketed[] {
  return rows.map((row) => ({ bucket: isoDay(new Date(row.bucket)), key: row.key ?? 'unknown', count: Number(row.count) }));
}

export async function caseBreakdown(db: Db) {
  const [byKind, byState, byLanguage, byBrand] = await Promise.all([
    db.case.groupBy({ by: ['kind'], _count: { _all: true } }),
    db.case.groupBy({ by: ['state'], _count: { _all: true } }),
    db.case.groupBy({ by: ['language'], _count: { _all: true } }),
    db.case.groupBy({ by: ['brand'], _count: { _all: true } }),
  ]);
  return { byKind: counts(byKind, 'kind'), byState: counts(byState, 'state'), byLanguage: counts(byLanguage, 'language'), byBrand: counts(byBrand, 'brand') };
}

export async function headline(db: Db, now: Date) {
  const [cases, open, overdue, refusals24h, accepted24h] = await Promise.all([
    db.case.count(),
    db.case.count({ where: { state: { in: [...OPEN_STATES] } } }),
    db.case.count({ where: caseWhere({ overdue: true }, now) }),
    db.rejection.count({ where: { at: { gte: new Date(now.getTime() - DAY_MS) } } }),
    db.inboundMessage.count({ where: { receivedAt: { gte: new Date(now.getTime() - DAY_MS) } } }),
  ]);
  return { cases, open, overdue, refusals24h, accepted24h };
}

export async function refusalsPerDay(db: Db, now: Date): Promise<Bucketed[]> {
  const since = new Date(startOfUtcDay(now).getTime() - (REFUSAL_DAYS - 1) * DAY_MS);
  const rows = await db.$queryRaw<RawBucket[]>`
    SELECT date_trunc('day', "at") AS bucket, "reason" AS key, count(*)::int AS count
    FROM "Rejection" WHERE "at" >= ${since} GROUP BY 1, 2 ORDER BY 1, 2`;
  return bucketed(rows);
}

/** New cases per day (last 30 days) and per week (last 12 weeks), by kind. */
export async function casesOverTime(db: Db, now: Date): Promise<{ perDay: Bucketed[]; perWeek: Bucketed[] }> {
  const sinceDay = new Date(startOfUtcDay(now).getTime() - (CASE_DAYS - 1) * DAY_MS);
  const sinceWeek = new Date(startOfUtcWeek(now).getTime() - (WEEKS - 1) * 7 * DAY_MS);
  const [perDay, perWeek] = await Promise.all([
    db.$queryRaw<RawBucket[]>`
      SELECT date_trunc('day', "receivedAt") AS bucket, "kind" AS key, count(*)::int AS count
      FROM "Case" WHERE "receivedAt" >= ${sinceDay} GROUP BY 1, 2 ORDER BY 1, 2`,
    db.$queryRaw<RawBucket[]>`
      SELECT date_trunc('week', "receivedAt") AS bucket, "kind" AS key, count(*)::int AS count
      FROM "Case" WHERE "receivedAt" >= ${sinceWeek} GROUP BY 1, 2 ORDER BY 1, 2`,
  ]);
  return { perDay: bucketed(perDay), perWeek: bucketed(perWeek) };
}

/**
 * Promises kept, by deadline kind and the week they were made (a cohort: of
 * the deadlines started that week, how many were met on time, breached, or
 * are still pending). Met means met by the original promise: an extension
 * does not move the SLA, and a late answer stays breached. Cancelled
 * deadlines promised nothing.
 */
export async function slaPerWeek(db: Db, now: Date): Promise<SlaRow[]> {
  const since = new Date(startOfUtcWeek(now).getTime() - (WEEKS - 1) * 7 * DAY_MS);
  const rows = await db.$queryRaw<Array<RawBucket & { kind: string }>>`
    SELECT "kind", date_trunc('week', "startedAt") AS bucket, "status" AS key, count(*)::int AS count
    FROM "Deadline" WHERE "status" <> 'cancelled' AND "startedAt" >= ${since}
    GROUP BY 1, 2, 3 ORDER BY 1, 2, 3`;
  return rows.map((row) => ({ kind: row.kind, bucket: isoDay(new Date(row.bucket)), key: row.key ?? 'unknown', count: Number(row.count) }));
}

/** Open promises on open cases, the nearest (or most overdue) first. */
export function nearestDeadlines(db: Db, limit = 15) {
  return db.deadline.findMany({
    where: { metAt: null, status: { in: ['pending', 'breached'] }, case: { state: { in: [...OPEN_STATES] } } },
    orderBy: { dueAt: 'asc' },
    take: limit,
    select: { kind: true, step: true, dueAt: true, status: true, case: { select: { ticket: true, subject: true, brand: true, kind: true, state: true } } },
  });
}

/** Mail that did not get through: outbound failed or dead-lettered, inbound that failed processing. */
export async function deadLetters(db: Db) {
  const outboundWhere = { direction: 'out', status: { in: ['dead', 'failed'] } };
  const [outboundCounts, outbound, inboundFailed, inbound] = await Promise.all([
    db.caseMessage.groupBy({ by: ['status'], where: outboundWhere, _count: { _all: true } }),
    db.caseMessage.findMany({
      where: outboundWhere,
      orderBy: { at: 'desc' },
      take: LIST_LIMIT,
      select: { id: true, status: true, kind: true, to: true, at: true, attempts: true, lastError: true, case: { select: { ticket: true } } },
    }),
    db.inboundMessage.count({ where: { status: 'failed' } }),
    db.inboundMessage.findMany({
      where: { status: 'failed' },
      orderBy: { receivedAt: 'desc' },
      take: LIST_LIMIT,
      select: { id: true, receivedAt: true, envelopeFrom: true, error: true, case: { select: { ticket: true } } },
    }),
  ]);
  return { outboundCounts: counts(outboundCounts, 'status'), outbound, inboundFailed, inbound };
}

export const QUEUE_STATES = ['waiting', 'active', 'delayed', 'failed'] as const;
export type QueueState = (typeof QUEUE_STATES)[number];

/** Jobs per queue and state: one Redis round trip per queue. */
export async function queueDepths(queues: Queues): Promise<Array<{ queue: QueueName; counts: Record<QueueState, number> }>> {
  return Promise.all(
    QUEUE_NAMES.map(async (name) => {
      const raw = await queues[name].getJobCounts(...QUEUE_STATES);
      const counts = Object.fromEntries(QUEUE_STATES.map((state) => [state, raw[state] ?? 0])) as Record<QueueState, number>;
      return { queue: name, counts };
    }),
  );
}

export type DeadLetters = Awaited<ReturnType<typeof deadLetters>>;
export type NearestDeadline = Awaited<ReturnType<typeof nearestDeadlines>>[number];
export type CaseBreakdown = Awaited<ReturnType<typeof caseBreakdown>>;
export type Headline = Awaited<ReturnType<typeof headline>>;

/** What the case page shows beyond the API's view: the evidence grade and each outbound message's delivery trouble. */
export function caseExtras(tx: Tx, ticket: string) {
  return tx.case.findUnique({
    where: { ticket: ticket.toUpperCase() },
    select: {
      evidenceGrade: true,
      suggestedMeasure: true,
      escalationStep: true,
      messages: { where: { direction: 'out' }, select: { messageId: true, attempts: true, lastError: true, sentAt: true } },
    },
  });
}
export type CaseExtras = NonNullable<Awaited<ReturnType<typeof caseExtras>>>;
