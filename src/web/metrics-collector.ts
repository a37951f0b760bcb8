import { Gauge, type Registry } from 'prom-client';
import type { Db } from '../db/index.js';
import type { Logger } from '../lib/logger.js';
import type { Queues } from '../queue/queues.js';
import { queueDepths } from './dashboard/queries.js';

/**
 * Database- and queue-wide figures, computed when Prometheus scrapes: every
 * process counts only its own events, but these are the same whichever web
 * process answers. One scrape is five aggregate queries and one Redis round
 * trip per queue, shared by all the gauges below.
 */

const INBOUND_STATUSES = ['stored', 'processed', 'failed'];
const OUTBOUND_STATUSES = ['queued', 'delivered', 'sent', 'failed', 'dead', 'suppressed'];
const DEADLINE_STATUSES = ['pending', 'met', 'breached', 'cancelled'];

interface Snapshot {
  inbound: Array<{ status: string; count: number }>;
  rejections: Array<{ reason: string; count: number }>;
  outbound: Array<{ status: string; count: number }>;
  deadlines: Array<{ kind: string; status: string; count: number }>;
  queues: Awaited<ReturnType<typeof queueDepths>>;
}

async function snapshot(db: Db, queues: Queues): Promise<Snapshot> {
  const [inbound, rejections, outbound, deadlines, depths] = await Promise.all([
    db.inboundMessage.groupBy({ by: ['status'], _count: { _all: true } }),
    db.rejection.groupBy({ by: ['reason'], _count: { _all: true } }),
    db.caseMessage.groupBy({ by: ['status'], where: { direction: 'out' }, _count: { _all: true } }),
    db.deadline.groupBy({ by: ['kind', 'status'], _count: { _all: true } }),
    queueDepths(queues),
  ]);
  return {
    inbound: inbound.map((row) => ({ status: row.status, count: row._count._all })),
    rejections: rejections.map((row) => ({ reason: row.reason, count: row._count._all })),
    outbound: outbound.map((row) => ({ status: row.status ?? 'none', count: row._count._all })),
    deadlines: deadlines.map((row) => ({ kind: row.kind, status: row.status, count: row._count._all })),
    queues: depths,
  };
}

export function registerDatabaseMetrics(registry: Registry, deps: { db: Db; queues: Queues; logger: Logger }): void {
  // All gauges of one scrape start collecting in the same tick: they share one snapshot.
  let current: Promise<Snapshot | null> | null = null;
  const take = (): Promise<Snapshot | null> => {
    current ??= snapshot(deps.db, deps.queues)
      // The scrape still answers with the process metrics; the success gauge says the rest is missing.
      .catch((error: unknown) => {
        deps.logger.warn({ err: error }, 'metrics: database and queue figures could not be read');
        return null;
      })
      .finally(() => {
        current = null;
      });
    return current;
  };

  new Gauge({
    name: 'abuse_desk_store_scrape_success',
    help: 'Whether the database and queue figures of this scrape could be read (1) or not (0)',
    registers: [registry],
    async collect() {
      this.set((await take()) ? 1 : 0);
    },
  });

  statusGauge(registry, take, 'abuse_desk_inbound_messages', 'Messages accepted and stored (database), by processing status', INBOUND_STATUSES, (s) => s.inbound);

  new Gauge({
    name: 'abuse_desk_rejections',
    help: 'SMTP refusals recorded (database), by reason',
    labelNames: ['reason'],
    registers: [registry],
    async collect() {
      const s = await take();
      this.reset();
      for (const row of s?.rejections ?? []) this.set({ reason: row.reason }, row.count);
    },
  });

  statusGauge(
    registry,
    take,
    'abuse_desk_outbound_messages',
    'Outbound messages (database), by delivery status; status="dead" are dead-lettered',
    OUTBOUND_STATUSES,
    (s) => s.outbound,
  );

  new Gauge({
    name: 'abuse_desk_deadlines',
    help: 'Deadlines (database), by kind and status (met on time, breached, pending, cancelled)',
    labelNames: ['kind', 'status'],
    registers: [registry],
    async collect() {
      const s = await take();
      this.reset();
      if (!s) return;
      const kinds = new Set(s.deadlines.map((row) => row.kind));
      for (const kind of kinds) for (const status of DEADLINE_STATUSES) this.set({ kind, status }, 0);
      for (const row of s.deadlines) this.set({ kind: row.kind, status: row.status }, row.count);
    },
  });

  new Gauge({
    name: 'abuse_desk_queue_jobs',
    help: 'Jobs per queue and state (waiting, active, delayed, failed)',
    labelNames: ['queue', 'state'],
    registers: [registry],
    async collect() {
      const s = await take();
      this.reset();
      for (const row of s?.queues ?? []) {
        for (const [state, count] of Object.entries(row.counts)) this.set({ queue: row.queue, state }, count);
      }
    },
  });
}

/** A gauge of row counts by status, every known status reported (0 when none). */
function statusGauge(
  registry: Registry,
  take: () => Promise<Snapshot | null>,
  name: string,
  help: string,
  statuses: readonly string[],
  rows: (snapshot: Snapshot) => Array<{ status: string; count: number }>,
): void {
  new Gauge({
    name,
    help,
    labelNames: ['status'],
    registers: [registry],
    async collect() {
      const current = await take();
      this.reset();
      if (!current) return;
      for (const status of statuses) this.set({ status }, 0);
      for (const row of rows(current)) this.set({ status: row.status }, row.count);
    },
  });
}
