import { monitorEventLoopDelay } from 'node:perf_hooks';
import type { BenchMessage } from './messages.js';
import { LoadConnection, type Reply } from './smtp-connection.js';
import { BenchError, bump, distribution, type Distribution } from './util.js';

/**
 * The SMTP load generator. Closed loop (default): C connections each send
 * message after message (a new MAIL FROM after every reply to the final dot)
 * until the pool is used up. Open loop (`rate`): message i is due at
 * i / rate seconds and goes to the connection that has been idle longest (so
 * the load turns over every connection, and every listener, like many
 * senders would); when none is idle it waits, and that wait counts in its
 * latency (no coordinated omission).
 */

export interface LoadOptions {
  host: string;
  /** Connections are spread over these listeners in turn. */
  ports: number[];
  pool: BenchMessage[];
  connections: number;
  replyTimeoutMs: number;
  /** Open loop: messages offered per second. */
  rate?: number;
  /** Open loop: width of the windows latency is also reported by (default 5 s). */
  windowSeconds?: number;
  /** Open loop: messages due in the first this many seconds are sent but kept out of the distributions. */
  warmupSeconds?: number;
  /** Called with the number of transactions finished so far, about once a second. */
  onProgress?(done: number): void;
}

export interface LoadResult {
  sent: number;
  accepted: number;
  elapsedMs: number;
  acceptedPerSecond: number;
  /** MAIL FROM until the reply to the final dot, for accepted messages. */
  transaction: Distribution;
  /** The final dot until its reply: where the product checks and stores. */
  endOfData: Distribution;
  /** Open loop only: from the moment a message was due until its reply (after the warm-up). */
  fromDue?: Distribution;
  /** Open loop only: the same for the messages due during the warm-up, which no other figure includes. */
  warmup?: { seconds: number; fromDue: Distribution };
  /** Open loop only: the same, for the messages due in each window of the run (where in the run the slow ones fall). */
  fromDueByWindow?: Array<{ fromS: number; toS: number; latency: Distribution }>;
  /** Every reply by stage and code, e.g. replies.MAIL["250"]. */
  replies: Record<string, Record<string, number>>;
  /** Refusals and temporary failures by code and text. */
  refusals: Record<string, number>;
  /** Connections that failed or dropped, by reason. */
  connectionErrors: Record<string, number>;
  /** How late the bench's own event loop ran during the load (it delays replies as seen here, not the product). */
  benchLoopDelay: { p99: number; max: number };
  /** Message-ID → performance.now() of its 250. */
  acceptedAt: Map<string, number>;
}

const STAGES = ['MAIL', 'RCPT', 'DATA', 'end of data'] as const;
type Stage = (typeof STAGES)[number];
const MAX_REOPENS = 20;

const LOOP_RESOLUTION_MS = 10;
const lateness = (intervalNs: number) => Math.max(0, intervalNs / 1e6 - LOOP_RESOLUTION_MS);

function byWindow(samples: ReadonlyArray<[number, number]>, widthS: number): Array<{ fromS: number; toS: number; latency: Distribution }> {
  const windows: number[][] = [];
  for (const [atS, latency] of samples) (windows[Math.floor(atS / widthS)] ??= []).push(latency);
  return Array.from(windows, (values, i) => ({ fromS: i * widthS, toS: (i + 1) * widthS, latency: distribution(values ?? []) }));
}

export async function runLoad(options: LoadOptions): Promise<LoadResult> {
  const replies: Record<string, Record<string, number>> = Object.fromEntries(STAGES.map((stage) => [stage, {}]));
  const refusals: Record<string, number> = {};
  const connectionErrors: Record<string, number> = {};
  const acceptedAt = new Map<string, number>();
  const transaction: number[] = [];
  const endOfData: number[] = [];
  const warmupMs = options.rate ? (options.warmupSeconds ?? 0) * 1000 : 0;
  /** [seconds into the run when due, latency from due] for every accepted open-loop message. */
  const dueSamples: Array<[number, number]> = [];
  let reopens = 0;
  let done = 0;

  const open = async (slot: number): Promise<LoadConnection> => {
    const port = options.ports[slot % options.ports.length] as number;
    return LoadConnection.open(options.host, port, options.replyTimeoutMs);
  };
  const reopen = async (slot: number, reason: string): Promise<LoadConnection> => {
    bump(connectionErrors, reason);
    if (++reopens > MAX_REOPENS) throw new BenchError(`more than ${MAX_REOPENS} connections failed (last: ${reason})`);
    return open(slot);
  };

  const record = (stage: Stage, reply: Reply): Reply => {
    bump(replies[stage] as Record<string, number>, String(reply.code));
    const positive = (stage === 'DATA' && reply.code === 354) || (stage !== 'DATA' && reply.code === 250);
    if (!positive) bump(refusals, `${stage}: ${reply.code} ${reply.text.slice(0, 100)}`);
    return reply;
  };

  /** One transaction; false when the connection can no longer be used. */
  const transact = async (connection: LoadConnection, message: BenchMessage, dueAt: number | null): Promise<boolean> => {
    const begun = performance.now();
    try {
      const mail = record('MAIL', await connection.command(`MAIL FROM:<${message.envelopeFrom}> SIZE=${message.size}`));
      if (mail.code !== 250) return await reset(connection, mail);
      const rcpt = record('RCPT', await connection.command(`RCPT TO:<${message.to}>`));
      if (rcpt.code !== 250) return await reset(connection, rcpt);
      const data = record('DATA', await connection.command('DATA'));
      if (data.code !== 354) return await reset(connection, data);
      const dot = performance.now();
      const final = record('end of data', await connection.data(message.data));
      const ended = performance.now();
      if (final.code === 250) {
        acceptedAt.set(message.messageId, ended);
        if (dueAt !== null) dueSamples.push([(dueAt - started) / 1000, ended - dueAt]);
        if (dueAt === null || dueAt - started >= warmupMs) {
          transaction.push(ended - begun);
          endOfData.push(ended - dot);
        }
      }
      return final.code !== 0 && final.code !== 421;
    } catch (error) {
      bump(refusals, `no reply: ${(error as Error).message}`);
      return false;
    } finally {
      done++;
    }
  };

  const reset = async (connection: LoadConnection, reply: Reply): Promise<boolean> => {
    if (reply.code === 0 || reply.code === 421) return false;
    const rset = await connection.command('RSET');
    return rset.code === 250;
  };

  const connections = await Promise.all(Array.from({ length: options.connections }, (_, slot) => open(slot)));
  const progress = setInterval(() => options.onProgress?.(done), 1_000);
  const loopDelay = monitorEventLoopDelay({ resolution: LOOP_RESOLUTION_MS });
  loopDelay.enable();
  const started = performance.now();
  let lastReply = started;
  try {
    if (options.rate) await openLoop(options.rate);
    else await closedLoop();
  } finally {
    clearInterval(progress);
    loopDelay.disable();
    for (const connection of connections) connection.close();
  }

  async function closedLoop(): Promise<void> {
    let next = 0;
    await Promise.all(
      connections.map(async (first, slot) => {
        let connection = first;
        while (next < options.pool.length) {
          const message = options.pool[next++] as BenchMessage;
          const usable = await transact(connection, message, null);
          lastReply = performance.now();
          if (!usable && next < options.pool.length) {
            connection.close();
            connection = await reopen(slot, connection.closed ? 'closed by the server' : 'unusable after a failed transaction');
            connections[slot] = connection;
          }
        }
      }),
    );
  }

  async function openLoop(rate: number): Promise<void> {
    const idle = connections.map((_, slot) => slot);
    const backlog: Array<{ message: BenchMessage; dueAt: number }> = [];
    let offered = 0;
    let finished = 0;
    await new Promise<void>((resolve, reject) => {
      const run = (slot: number, job: { message: BenchMessage; dueAt: number }): void => {
        const connection = connections[slot] as LoadConnection;
        transact(connection, job.message, job.dueAt)
          .then(async (usable) => {
            lastReply = performance.now();
            finished++;
            if (!usable) {
              connection.close();
              connections[slot] = await reopen(slot, connection.closed ? 'closed by the server' : 'unusable after a failed transaction');
            }
            const next = backlog.shift();
            if (next) run(slot, next);
            else idle.push(slot);
            if (finished === options.pool.length) resolve();
          })
          .catch(reject);
      };
      const tick = (): void => {
        const due = Math.min(options.pool.length, Math.floor(((performance.now() - started) * rate) / 1000) + 1);
        while (offered < due) {
          const job = { message: options.pool[offered] as BenchMessage, dueAt: started + (offered * 1000) / rate };
          offered++;
          const slot = idle.shift();
          if (slot === undefined) backlog.push(job);
          else run(slot, job);
        }
        if (offered < options.pool.length) setTimeout(tick, Math.max(0, started + (offered * 1000) / rate - performance.now()));
      };
      tick();
    });
  }

  const elapsedMs = lastReply - started;
  const dueLatencies = (inWarmup: boolean) => dueSamples.filter(([atS]) => atS * 1000 < warmupMs === inWarmup).map(([, latency]) => latency);
  return {
    sent: done,
    accepted: acceptedAt.size,
    elapsedMs,
    acceptedPerSecond: acceptedAt.size / (elapsedMs / 1000),
    transaction: distribution(transaction),
    endOfData: distribution(endOfData),
    ...(options.rate
      ? {
          fromDue: distribution(dueLatencies(false)),
          fromDueByWindow: byWindow(dueSamples, options.windowSeconds ?? 5),
          ...(warmupMs > 0 ? { warmup: { seconds: warmupMs / 1000, fromDue: distribution(dueLatencies(true)) } } : {}),
        }
      : {}),
    replies,
    refusals,
    connectionErrors,
    // The histogram holds whole intervals between its timer's runs; lateness is what exceeds the interval.
    benchLoopDelay: { p99: lateness(loopDelay.percentile(99)), max: lateness(loopDelay.max) },
    acceptedAt,
  };
}
