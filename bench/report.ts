import { readFileSync } from 'node:fs';
import type { LoadResult } from './load.js';
import type { BenchOptions } from './options.js';
import type { MemoryMark } from './processes.js';
import type { Distribution } from './util.js';

/** The results of one bench run, and how they are printed: a table, or JSON. */

export type LoadSummary = Omit<LoadResult, 'acceptedAt'>;

export interface ProcessMemory {
  name: string;
  pid: number;
  /** RSS once started, before any load. */
  startRssBytes: number;
  /** Highest RSS sampled during the run. */
  peakRssBytes: number;
  /** The kernel's high-water mark (includes start-up). */
  hwmBytes: number;
  /** CPU seconds spent while the load ran. */
  loadCpuSeconds: number;
  /** CPU seconds from the start of the load until the last acknowledgement (or the end). */
  cpuSeconds: number;
}

/** Each process's RSS at marks over an open-loop run: the first `loadMarks` fall in the load, the rest in the drain. */
export interface MemoryOverTime {
  names: string[];
  marks: MemoryMark[];
  loadMarks: number;
}

/** CPU use on the whole machine during one phase of a measurement. */
export interface MachineCpu {
  phase: 'load' | 'drain';
  seconds: number;
  /** Busy share of all cores (1 = every core busy all the time). */
  machineBusyShare: number;
  cores: number;
  /** CPU seconds of PostgreSQL, Redis and the bench itself in that phase. */
  byCommand: Record<string, number>;
}

export interface AckSummary {
  accepted: number;
  received: number;
  missing: number;
  /** From the 250 until the acknowledgement reached the sink. */
  latency: Distribution;
  /** Acknowledgements that broke a rule: non-null MAIL FROM, no ticket, wrong Auto-Submitted. */
  malformed: number;
  /** Deliveries the sink had already seen (same recipient, ticket, subject and In-Reply-To). */
  duplicates: number;
  /** Everything else the sink got (specialist notices, duplicates). */
  otherDeliveries: number;
  waitedMs: number;
}

export interface BigSummary {
  bytes: number;
  reply: string;
  transactionMs: number;
  startRssBytes: number;
  peakRssBytes: number;
  /** Highest RSS from sending until the 250 (the SMTP side), and from then until the acknowledgement (the workers). */
  peakUntilReplyBytes: number;
  peakAfterReplyBytes: number;
  rssGrowthBytes: number;
  settledRssBytes: number;
  ackMs: number | null;
}

export interface BenchResult {
  runId: string;
  options: Pick<BenchOptions, 'mode' | 'messages' | 'connections' | 'rate' | 'duration' | 'warmupSeconds' | 'database' | 'split' | 'nodeOptions'>;
  ceiling?: { load: LoadSummary; memory: ProcessMemory[]; machine: MachineCpu[] };
  product?: {
    load?: LoadSummary;
    acks?: AckSummary;
    memory: ProcessMemory[];
    machine: MachineCpu[];
    overTime?: MemoryOverTime;
    exits: Array<{ name: string; status: number | string }>;
  };
  big?: BigSummary;
  /** product accepted/s divided by ceiling accepted/s. */
  ratio?: number;
  profiles?: string[];
  dbStats?: DbStats;
  problems: string[];
}

/** What bench/db-stats.ts saw in the embedded database, per accepted message where it says so. */
export interface DbStats {
  transactions: number;
  transactionsPerMessage: number;
  statementsInTransactionsPerMessage: number;
  standaloneStatementsPerMessage: number;
  /** Average time a transaction waited for the database, and held it. */
  transactionWaitMs: number;
  transactionHoldMs: number;
  maxTransactionHoldMs: number;
  /** Total time transactions held the database, as a share of the whole measured run is in the CPU figures. */
  totalHoldSeconds: number;
  standaloneSeconds: number;
  top: Array<{ sql: string; count: number; ms: number }>;
}

export function readDbStats(file: string, messages: number): DbStats {
  const raw = JSON.parse(readFileSync(file, 'utf8')) as {
    transactions: { count: number; waitMs: number; holdMs: number; statements: number; maxHoldMs: number };
    standalone: { count: number; ms: number };
    statements: Array<{ sql: string; count: number; ms: number }>;
  };
  const per = (value: number) => value / Math.max(1, messages);
  return {
    transactions: raw.transactions.count,
    transactionsPerMessage: per(raw.transactions.count),
    statementsInTransactionsPerMessage: per(raw.transactions.statements),
    standaloneStatementsPerMessage: per(raw.standalone.count),
    transactionWaitMs: raw.transactions.waitMs / Math.max(1, raw.transactions.count),
    transactionHoldMs: raw.transactions.holdMs / Math.max(1, raw.transactions.count),
    maxTransactionHoldMs: raw.transactions.maxHoldMs,
    totalHoldSeconds: raw.transactions.holdMs / 1000,
    standaloneSeconds: raw.standalone.ms / 1000,
    top: raw.statements.slice(0, 15),
  };
}

const mib = (bytes: number) => `${(bytes / 1024 / 1024).toFixed(0)} MiB`;
const ms = (value: number) => (Number.isFinite(value) ? `${value < 10 ? value.toFixed(1) : value.toFixed(0)} ms` : '-');
const rate = (value: number) => (Number.isFinite(value) ? `${value.toFixed(0)}/s` : '-');

function table(rows: Array<[string, ...string[]]>): string {
  const widths: number[] = [];
  for (const row of rows) row.forEach((cell, i) => (widths[i] = Math.max(widths[i] ?? 0, cell.length)));
  return rows.map((row) => row.map((cell, i) => (i === 0 ? cell.padEnd(widths[i] as number) : cell.padStart(widths[i] as number))).join('   ')).join('\n');
}

function counts(record: Record<string, number>): string {
  const entries = Object.entries(record);
  return entries.length ? entries.map(([key, count]) => `${key}×${count}`).join(' ') : '-';
}

export function formatResult(result: BenchResult): string {
  const { options } = result;
  const out: string[] = [];
  const setup =
    options.mode === 'rate'
      ? `open loop: ${options.rate} msg/s for ${options.duration} s${options.warmupSeconds ? ` after ${options.warmupSeconds} s of warm-up at that rate` : ''} (${options.messages} messages) over up to ${options.connections} connections`
      : options.mode === 'big'
        ? 'one large message'
        : `${options.messages} messages over ${options.connections} connections`;
  out.push(`abuse-desk bench ${result.runId}: ${setup}; database ${options.database}${options.split ? ', split roles (2 smtp, 2 worker, 1 web)' : ', all roles in one process'}`);
  if (options.nodeOptions) out.push(`  product processes run with NODE_OPTIONS=${options.nodeOptions}`);
  out.push('');

  const loads: Array<[string, LoadSummary]> = [];
  if (result.ceiling) loads.push(['ceiling (bare smtp-server)', result.ceiling.load]);
  if (result.product?.load) loads.push(['product', result.product.load]);
  if (loads.length) {
    const withDue = loads.some(([, load]) => load.fromDue);
    const header: [string, ...string[]] = ['', 'sent', 'accepted', 'accepted/s', 'txn p50', 'p95', 'p99', 'max', 'dot p50', 'p95', 'p99'];
    if (withDue) header.push('due p50', 'p95', 'p99');
    const rows: Array<[string, ...string[]]> = [header];
    for (const [name, load] of loads) {
      const row: [string, ...string[]] = [
        name,
        String(load.sent),
        String(load.accepted),
        rate(load.acceptedPerSecond),
        ms(load.transaction.p50),
        ms(load.transaction.p95),
        ms(load.transaction.p99),
        ms(load.transaction.max),
        ms(load.endOfData.p50),
        ms(load.endOfData.p95),
        ms(load.endOfData.p99),
      ];
      if (withDue) row.push(ms(load.fromDue?.p50 ?? NaN), ms(load.fromDue?.p95 ?? NaN), ms(load.fromDue?.p99 ?? NaN));
      rows.push(row);
    }
    out.push(table(rows));
    out.push('  txn = MAIL FROM until the reply to the final dot; dot = final dot until its reply' + (withDue ? '; due = from when the message was due (open loop)' : ''));
    for (const [name, load] of loads) {
      if (load.warmup) out.push(`  ${name}: the ${load.warmup.seconds} s warm-up, not in the figures above: ${load.warmup.fromDue.count} messages, due p50 ${ms(load.warmup.fromDue.p50)}, p95 ${ms(load.warmup.fromDue.p95)}, p99 ${ms(load.warmup.fromDue.p99)}, max ${ms(load.warmup.fromDue.max)}`);
    }
    if (result.ratio !== undefined) out.push(`  product / ceiling = ${result.ratio.toFixed(3)}`);
    for (const [name, load] of loads) {
      out.push(`  ${name}: the bench's own event loop (load, DNS server, relay sink) ran late by p99 ${ms(load.benchLoopDelay.p99)}, max ${ms(load.benchLoopDelay.max)}`);
      if (load.fromDueByWindow?.length) out.push(`  ${name}, due p99 by when the message was due: ${load.fromDueByWindow.map((w) => `${w.fromS}–${w.toS} s ${ms(w.latency.p99)}`).join(', ')}`);
    }
    out.push('');
    for (const [name, load] of loads) {
      out.push(`${name} replies: ${Object.entries(load.replies).map(([stage, codes]) => `${stage} ${counts(codes)}`).join('; ')}`);
      out.push(`${name} refusals: ${counts(load.refusals)}`);
      if (Object.keys(load.connectionErrors).length) out.push(`${name} connection errors: ${counts(load.connectionErrors)}`);
    }
    out.push('');
  }

  const acks = result.product?.acks;
  if (acks) {
    out.push(
      `acknowledgements: ${acks.received} of ${acks.accepted} accepted (${acks.missing} missing, ${acks.malformed} malformed), waited ${(acks.waitedMs / 1000).toFixed(1)} s after the last 250`,
      `  the relay also got ${acks.otherDeliveries} other messages (specialist notices); ${acks.duplicates} deliveries were duplicates`,
    );
    out.push(`  250 → acknowledgement at the relay: p50 ${ms(acks.latency.p50)}, p95 ${ms(acks.latency.p95)}, p99 ${ms(acks.latency.p99)}, max ${ms(acks.latency.max)}`);
    out.push('');
  }

  if (result.big) {
    const big = result.big;
    out.push(`large message: ${mib(big.bytes)}, answered "${big.reply}" after ${ms(big.transactionMs)}; acknowledged after ${big.ackMs === null ? 'never' : ms(big.ackMs)}`);
    out.push(
      `  product RSS: ${mib(big.startRssBytes)} before, peak ${mib(big.peakRssBytes)} (+${(big.rssGrowthBytes / 1024 / 1024).toFixed(1)} MiB; the aim is under 50): ${mib(big.peakUntilReplyBytes)} until the 250, ${mib(big.peakAfterReplyBytes)} while it was processed; ${mib(big.settledRssBytes)} afterwards`,
    );
    out.push('');
  }

  const memory: Array<[string, ...string[]]> = [['process', 'pid', 'RSS at start', 'peak RSS', 'VmHWM', 'CPU s during load', 'CPU s incl. drain']];
  for (const [group, list] of [['ceiling', result.ceiling?.memory ?? []], ['product', result.product?.memory ?? []]] as const) {
    for (const entry of list) memory.push([`${group === 'ceiling' ? 'ceiling' : entry.name}`, String(entry.pid), mib(entry.startRssBytes), mib(entry.peakRssBytes), mib(entry.hwmBytes), entry.loadCpuSeconds.toFixed(1), entry.cpuSeconds.toFixed(1)]);
  }
  if (memory.length > 1) {
    out.push(table(memory));
    out.push('');
  }
  if (result.product?.overTime) out.push(...formatOverTime(result.product.overTime), '');
  for (const [group, list] of [['ceiling', result.ceiling?.machine ?? []], ['product', result.product?.machine ?? []]] as const) {
    for (const phase of list) {
      const programs = Object.entries(phase.byCommand).map(([command, seconds]) => `${command} ${seconds.toFixed(1)} s`).join(', ');
      out.push(`machine during ${group} ${phase.phase} (${phase.seconds.toFixed(1)} s): ${(phase.machineBusyShare * 100).toFixed(0)} % of ${phase.cores} cores busy; ${programs}`);
    }
  }
  if (result.ceiling?.machine.length || result.product?.machine.length) out.push('');
  if (result.product?.exits.length) out.push(`product exit: ${result.product.exits.map((exit) => `${exit.name} ${exit.status}`).join(', ')}`);
  if (result.profiles?.length) out.push('', ...result.profiles);
  if (result.dbStats) {
    const db = result.dbStats;
    out.push(
      '',
      `embedded database: ${db.transactions} transactions (${db.transactionsPerMessage.toFixed(1)} per message), ${db.statementsInTransactionsPerMessage.toFixed(1)} statements in transactions and ${db.standaloneStatementsPerMessage.toFixed(1)} on their own per message`,
      `  a transaction waited ${ms(db.transactionWaitMs)} for the database on average and held it ${ms(db.transactionHoldMs)} (max ${ms(db.maxTransactionHoldMs)}); ${db.totalHoldSeconds.toFixed(1)} s held in all, standalone statements ${db.standaloneSeconds.toFixed(1)} s including their wait`,
      '  statements by total time (count, ms):',
      ...db.top.map((row) => `    ${String(row.count).padStart(7)} ${row.ms.toFixed(0).padStart(8)}  ${row.sql}`),
    );
  }
  out.push(result.problems.length ? `FAILED:\n  ${result.problems.join('\n  ')}` : 'OK: every message accepted and acknowledged, product exited cleanly');
  return out.join('\n');
}

/**
 * RSS at each mark, and how much each process grew over the load once warm
 * (from the first mark at or after a fifth of the load until its end): a flat
 * soak grows by little more than the collector's slack.
 */
function formatOverTime(overTime: MemoryOverTime): string[] {
  const rows: Array<[string, ...string[]]> = [['RSS at', ...overTime.names]];
  overTime.marks.forEach((mark, i) => {
    const phase = i < overTime.loadMarks ? 'load' : 'drain';
    rows.push([`${(mark.atMs / 1000).toFixed(0)} s (${phase})`, ...mark.rssBytes.map(mib)]);
  });
  const loadMarks = overTime.marks.slice(0, overTime.loadMarks);
  const end = loadMarks.at(-1);
  const warm = loadMarks.find((mark) => end && mark.atMs >= end.atMs / 5);
  const lines = ['memory over the run:', table(rows)];
  if (end && warm && warm !== end) {
    const growth = overTime.names.map((name, i) => `${name} ${signedMib((end.rssBytes[i] ?? 0) - (warm.rssBytes[i] ?? 0))}`);
    lines.push(`  growth from ${(warm.atMs / 1000).toFixed(0)} s to the end of the load: ${growth.join(', ')}`);
  }
  return lines;
}

function signedMib(bytes: number): string {
  return `${bytes >= 0 ? '+' : '−'}${mib(Math.abs(bytes))}`;
}

export function toJson(result: BenchResult): string {
  return JSON.stringify(result, (_key, value: unknown) => (typeof value === 'number' && !Number.isFinite(value) ? null : value), 2);
}
