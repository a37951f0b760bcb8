import type { Tx } from '../db/index.js';
import { insertRows } from '../db/insert.js';
import { newId } from '../lib/ids.js';
import { storableString } from '../lib/text.js';
import type { Logger } from '../lib/logger.js';
import type { SmtpError } from '../smtp/errors.js';

export interface RejectionFacts {
  envelopeFrom?: string | null;
  fromHeader?: string | null;
  recipients?: string[];
  remoteIp: string;
  helo?: string | null;
}

export type RejectionRecorder = (error: SmtpError, facts: RejectionFacts) => void;

export interface RejectionLogOptions {
  /** A batch is written this often, or as soon as `batchRows` are waiting. */
  flushMs: number;
  batchRows: number;
  /** Rows held while the database does not take them; refusals past this are counted and dropped. */
  maxBuffered: number;
  /** Rows older than this are deleted (hourly, and once at start). */
  retentionDays: number;
}

export interface RejectionLogDeps {
  db: Pick<Tx, '$executeRaw'>;
  now: () => Date;
  logger: Logger;
  /** Refusals that were not kept (the buffer was full while the database was away). */
  onDropped?(count: number): void;
}

interface RejectionRow {
  id: string;
  at: Date;
  reason: string;
  smtpCode: number;
  enhanced: string;
  text: string;
  envelopeFrom: string | null;
  fromHeader: string | null;
  recipients: string[];
  remoteIp: string;
  helo: string | null;
}

const COLUMNS = {
  id: 'value',
  at: 'timestamp',
  reason: 'value',
  smtpCode: 'value',
  enhanced: 'value',
  text: 'value',
  envelopeFrom: 'value',
  fromHeader: 'value',
  recipients: 'text[]',
  remoteIp: 'value',
  helo: 'value',
} as const;

const PURGE_EVERY_MS = 3_600_000;
const DAY_MS = 86_400_000;

/**
 * Keeps every refusal the listener answers (reason, time, sender, recipients,
 * IP; never the body) so ops can see what is turned away. `record` only
 * appends to memory: a refusal is answered at once whatever the database
 * does. Rows are written in batches; while the database is away they wait,
 * up to `maxBuffered`, and refusals beyond that are counted and dropped, so an
 * outage costs memory it is allowed and never blocks or crashes a session.
 */
export class RejectionLog {
  private buffer: RejectionRow[] = [];
  /** The same refusal may reach the log twice (ingest knows the From header, the listener the session): it is kept once. */
  private readonly seen = new WeakSet<SmtpError>();
  /** Rows of the batch being written: they count against `maxBuffered` until they are in. */
  private writing = 0;
  private flushing: Promise<void> | null = null;
  private readonly timers: NodeJS.Timeout[] = [];
  private closed = false;

  constructor(
    private readonly options: RejectionLogOptions,
    private readonly deps: RejectionLogDeps,
  ) {}

  /** Starts the flush and purge timers (the process's lifetime: they do not hold it open). */
  start(): this {
    const flush = setInterval(() => void this.flush(), this.options.flushMs);
    const purge = setInterval(() => void this.purge().catch((error: unknown) => this.deps.logger.warn({ err: error }, 'could not delete old refusals')), PURGE_EVERY_MS);
    flush.unref();
    purge.unref();
    this.timers.push(flush, purge);
    void this.purge().catch((error: unknown) => this.deps.logger.warn({ err: error }, 'could not delete old refusals'));
    return this;
  }

  readonly record: RejectionRecorder = (error, facts) => {
    if (this.seen.has(error)) return;
    this.seen.add(error);
    if (this.buffer.length + this.writing >= this.options.maxBuffered) {
      this.deps.onDropped?.(1);
      return;
    }
    this.buffer.push(row(error, facts, this.deps.now()));
    if (this.buffer.length >= this.options.batchRows) void this.flush();
  };

  /** Rows not yet written. */
  get pending(): number {
    return this.buffer.length + this.writing;
  }

  /** Writes what is waiting, a batch at a time; one flush runs at once. Never throws. */
  flush(): Promise<void> {
    this.flushing ??= this.writeAll().finally(() => {
      this.flushing = null;
    });
    return this.flushing;
  }

  /** Deletes refusals older than the retention period; returns how many. */
  async purge(): Promise<number> {
    const before = new Date(this.deps.now().getTime() - this.options.retentionDays * DAY_MS);
    return this.deps.db.$executeRaw`DELETE FROM "Rejection" WHERE "at" < ${before}::timestamp`;
  }

  /** Stops the timers and writes what is left, within `timeoutMs`; what cannot be written by then is counted as dropped. */
  async close(timeoutMs = 5_000): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    for (const timer of this.timers) clearInterval(timer);
    const deadline = Date.now() + timeoutMs;
    while (this.pending > 0 && Date.now() < deadline) {
      await Promise.race([this.flush(), new Promise((resolve) => setTimeout(resolve, Math.max(0, deadline - Date.now())).unref())]);
      if (this.pending > 0) await new Promise((resolve) => setTimeout(resolve, 100));
    }
    if (this.pending > 0) {
      this.deps.logger.warn({ count: this.pending }, 'refusals not written before shutdown');
      this.deps.onDropped?.(this.pending);
      this.buffer = [];
    }
  }

  private async writeAll(): Promise<void> {
    while (this.buffer.length > 0) {
      const batch = this.buffer.splice(0, this.options.batchRows);
      this.writing = batch.length;
      try {
        await insertRows(this.deps.db as Tx, 'Rejection', COLUMNS, batch);
      } catch (error) {
        // Back to the front, in order; the next tick tries again.
        this.buffer = [...batch, ...this.buffer];
        this.deps.logger.warn({ err: error, waiting: this.buffer.length }, 'could not record refusals; will retry');
        return;
      } finally {
        this.writing = 0;
      }
    }
  }
}

function row(error: SmtpError, facts: RejectionFacts, at: Date): RejectionRow {
  return {
    id: newId(),
    at,
    reason: error.reason,
    smtpCode: error.responseCode,
    enhanced: error.enhanced,
    text: clip(error.text, 500) as string,
    envelopeFrom: clip(facts.envelopeFrom, 320),
    fromHeader: clip(facts.fromHeader, 320),
    recipients: (facts.recipients ?? []).slice(0, 20).map((r) => clip(r, 320) as string),
    remoteIp: facts.remoteIp,
    helo: clip(facts.helo, 255),
  };
}

/** Client-given text as a column can hold it: a row that could never be written would hold up every batch behind it. */
function clip(value: string | null | undefined, max: number): string | null {
  return value === null || value === undefined ? null : storableString(value.slice(0, max));
}
