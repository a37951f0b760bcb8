import type { Brand } from '../config/brands.js';
import type { Db } from '../db/index.js';
import type { SqlRunner } from '../db/migrate.js';
import type { DnsResolver } from '../intake/authenticate.js';
import type { ChunkStore } from '../intake/spool.js';
import type { Logger } from '../lib/logger.js';
import type { LoopMarker } from '../outbound/loop-marker.js';
import { digestJob, enqueueOutbound, measureJob } from '../queue/jobs.js';
import type { Queues } from '../queue/queues.js';
import { scheduleDeadlineJobs, type DeadlineRef } from '../deadlines/schedule.js';
import type { ReplyTokens } from '../outbound/reply-address.js';

/** Everything case handling needs from the world, injected once. */
export interface CaseDeps {
  db: Db;
  /** The driver itself, for reading message bytes (the ORM decodes them slowly). */
  sql: Pick<SqlRunner, 'query'>;
  /** Where large inbound messages keep their bytes. */
  chunks: ChunkStore;
  queues: Pick<Queues, 'outbound' | 'deadlines' | 'measures'>;
  brands: Map<string, Brand>;
  tokens: ReplyTokens;
  loopMarker: LoopMarker;
  /** Our host name, for Message-IDs. */
  hostname: string;
  /** Automatic messages one address may receive per day. */
  dailyCap: number;
  resolver: DnsResolver;
  /** DNS blocklist zones reported domains are looked up in (DNS_BLOCKLISTS). */
  blocklists: readonly string[];
  now: () => Date;
  logger: Logger;
}

export interface EffectsMark {
  outbound: number;
  deadlines: number;
  measures: number;
  digests: number;
}

/**
 * What a transaction leaves to do once it has committed: jobs are queued only
 * for rows that exist, and if queueing fails the sweep finds the rows later.
 */
export class Effects {
  readonly outbound: string[] = [];
  readonly deadlines: Array<{ brand: Brand; deadline: DeadlineRef; previousDue?: Date }> = [];
  /** Measures to send: each request its own job, so a measure sent again is not taken for the old job. */
  readonly measures: Array<{ measureId: string; requestedAt: Date }> = [];
  /** Incident digests to wake at their period's end. */
  readonly digests: Array<{ incidentId: string; at: Date }> = [];

  /** Where the effects stand now, for `rewind` (a savepoint). */
  mark(): EffectsMark {
    return { outbound: this.outbound.length, deadlines: this.deadlines.length, measures: this.measures.length, digests: this.digests.length };
  }

  /** Drops the effects left since `mark`. */
  rewind(mark: EffectsMark): void {
    this.outbound.length = mark.outbound;
    this.deadlines.length = mark.deadlines;
    this.measures.length = mark.measures;
    this.digests.length = mark.digests;
  }

  async apply(deps: Pick<CaseDeps, 'queues' | 'now'>): Promise<void> {
    await enqueueOutbound(deps.queues, this.outbound);
    const byBrand = new Map<Brand, Array<{ deadline: DeadlineRef; previousDue?: Date }>>();
    for (const entry of this.deadlines) {
      const list = byBrand.get(entry.brand) ?? [];
      list.push(entry);
      byBrand.set(entry.brand, list);
    }
    for (const [brand, list] of byBrand) {
      const previous = new Map(list.filter((e) => e.previousDue).map((e) => [e.deadline.id, e.previousDue as Date]));
      await scheduleDeadlineJobs(deps.queues, brand, list.map((e) => e.deadline), deps.now(), previous);
    }
    if (this.measures.length > 0) {
      await deps.queues.measures.addBulk(this.measures.map(({ measureId, requestedAt }) => measureJob(measureId, requestedAt)));
    }
    if (this.digests.length > 0) {
      await deps.queues.deadlines.addBulk(this.digests.map(({ incidentId, at }) => digestJob(incidentId, at, deps.now())));
    }
  }
}

export function brandOf(deps: Pick<CaseDeps, 'brands'>, brandId: string): Brand {
  const brand = deps.brands.get(brandId);
  if (!brand) throw new Error(`brand ${brandId} is not configured (any more)`);
  return brand;
}
