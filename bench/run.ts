import { randomBytes } from 'node:crypto';
import { mkdirSync, mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { startDnsServer } from '../src/dns/zone-server.js';
import { testZone } from '../test/support/mail.js';
import { startCeiling } from './ceiling.js';
import { runLoad, type LoadResult } from './load.js';
import { bigComplaint, buildPool, type BenchMessage } from './messages.js';
import { parseOptions, type BenchOptions } from './options.js';
import { cpuBetween, cpuSnapshot, killAllNow, MemorySampler, readProc, stopAll, watchForCrash, type NodeChild } from './processes.js';
import { startProduct, type Product } from './product.js';
import { formatIdle, measureIdle } from './idle.js';
import { formatProfile, monotonicUs, summariseProfile, type ProfileWindow } from './profile.js';
import { formatResult, readDbStats, toJson, type AckSummary, type BenchResult, type BigSummary, type LoadSummary, type MachineCpu, type MemoryOverTime, type ProcessMemory } from './report.js';
import { startSink, type MailSink } from '../test/support/mail-sink.js';
import { createSchema, deleteQueueKeys, dropSchema } from './state.js';
import { BenchError, distribution, sleep, withTimeout } from './util.js';

/**
 * `npm run bench`: starts a DNS server and an outgoing-mail sink on loopback,
 * measures a bare smtp-server (the ceiling) and then the product, each as a
 * child process, under the same SMTP load, and prints what it saw.
 */

const REPO_ROOT = fileURLToPath(new URL('..', import.meta.url));
const BIG_MESSAGE_BYTES = 25 * 1024 * 1024;

const say = (line: string) => process.stderr.write(`[bench] ${line}\n`);

/** When the product's load and drain phases ran, to cut its CPU profiles to them. */
const profileWindows: Array<[string, ProfileWindow]> = [];

/** Rejects when the user interrupts; every long wait races it. */
let interrupt: (reason: Error) => void = () => undefined;
const interrupted = new Promise<never>((_, reject) => {
  interrupt = reject;
});
interrupted.catch(() => undefined);

async function main(): Promise<number> {
  const options = parseOptions(process.argv.slice(2), process.env);
  const runId = randomBytes(4).toString('hex');
  if (options.mode === 'idle') return idleRun(options, runId);
  const workDir = mkdtempSync(join(tmpdir(), `abuse-desk-bench-${runId}-`));
  const result: BenchResult = {
    runId,
    options: { mode: options.mode, messages: options.mode === 'big' ? 1 : options.messages, connections: options.connections, rate: options.rate, duration: options.duration, warmupSeconds: options.warmupSeconds, database: options.database, split: options.split, nodeOptions: options.nodeOptions },
    problems: [],
  };
  const cleanups: Array<[string, () => Promise<unknown>]> = [];
  const queuePrefix = `bench-${runId}`;
  cleanups.push(['queue keys', () => deleteQueueKeys(options.redisUrl, queuePrefix)]);
  let failed = false;
  try {
    const dns = await startDnsServer({ zone: testZone() });
    cleanups.push(['DNS server', () => dns.stop()]);
    const sink = await startSink();
    cleanups.push(['sink', () => sink.close()]);

    let pool: BenchMessage[];
    if (options.mode === 'big') {
      pool = [await withTimeout(bigComplaint(runId, BIG_MESSAGE_BYTES), 120_000, 'building the large message')];
      if ((pool[0] as BenchMessage).size > BIG_MESSAGE_BYTES) throw new BenchError('the large message came out over the 25 MiB limit');
    } else {
      const started = performance.now();
      say(`signing ${options.messages} distinct messages`);
      pool = await Promise.race([buildPool(runId, options.messages, 120_000 + options.messages * 10), interrupted]);
      say(`signed in ${((performance.now() - started) / 1000).toFixed(1)} s`);
    }

    if (options.mode === 'throughput' && options.ceiling) {
      say('ceiling: starting a bare smtp-server');
      const ceiling = await startCeiling(REPO_ROOT, workDir);
      try {
        const measured = await measureLoad('ceiling', [ceiling.child], [ceiling.port], pool, options);
        result.ceiling = { load: measured.load, memory: measured.memory, machine: measured.machine };
      } finally {
        await ceiling.child.stop(10_000);
      }
    }

    let databaseUrl: string | undefined;
    if (options.database === 'postgres') {
      const schema = `bench_${runId}`;
      databaseUrl = await createSchema(options.postgresUrl, schema);
      cleanups.push(['schema', () => dropSchema(options.postgresUrl, schema)]);
    }
    const cpuProfDir = options.cpuProf ? join(workDir, 'profiles') : undefined;
    if (cpuProfDir) mkdirSync(cpuProfDir, { recursive: true });
    const dbStatsFile = options.dbStats ? join(workDir, 'db-stats.json') : undefined;
    say(`product: starting ${options.split ? 'five processes' : 'one process with every role (what npm start runs)'} with the ${options.database} database`);
    const product = await Promise.race([
      startProduct({ repoRoot: REPO_ROOT, workDir, split: options.split, databaseUrl, redisUrl: options.redisUrl, queuePrefix, dnsServer: dns.address, outboundUrl: sink.url, cpuProfDir, dbStatsFile, nodeOptions: options.nodeOptions }),
      interrupted,
    ]);
    try {
      if (options.mode === 'big') {
        result.big = await measureBig(product, pool[0] as BenchMessage, sink, options);
        result.product = { memory: [], machine: [], exits: [] };
      } else {
        const measured = await measureLoad('product', product.children, product.smtpPorts, pool, options, sink);
        result.product = { load: measured.load, acks: measured.acks, memory: measured.memory, machine: measured.machine, overTime: measured.overTime, exits: [] };
        if (result.ceiling) result.ratio = measured.load.acceptedPerSecond / result.ceiling.load.acceptedPerSecond;
      }
    } finally {
      say('product: SIGTERM');
      const exits = await product.stop();
      if (result.product) result.product.exits = exits;
      for (const exit of exits) if (exit.status !== 0) result.problems.push(`${exit.name} exited with ${exit.status} after SIGTERM`);
    }
    if (cpuProfDir) result.profiles = summariseProfiles(cpuProfDir, profileWindows);
    if (dbStatsFile) result.dbStats = readDbStats(dbStatsFile, result.product?.load?.accepted ?? 1);
    collectProblems(result);
  } catch (error) {
    failed = true;
    result.problems.push(error instanceof BenchError ? error.message : String(error instanceof Error ? (error.stack ?? error.message) : error));
  } finally {
    await stopAll();
    for (const [name, cleanup] of cleanups.reverse()) {
      await withTimeout(cleanup(), 40_000, `cleaning up the ${name}`).catch((error: unknown) => say(`cleanup of the ${name} failed: ${String(error)}`));
    }
    if (options.keep || failed || result.problems.length > 0) say(`logs and data kept in ${workDir}`);
    else rmSync(workDir, { recursive: true, force: true });
  }
  console.log(options.json ? toJson(result) : formatResult(result));
  return result.problems.length > 0 ? 1 : 0;
}

/** `--idle`: every role alone, no load; time to ready and resident memory at rest. */
async function idleRun(options: BenchOptions, runId: string): Promise<number> {
  const workDir = mkdtempSync(join(tmpdir(), `abuse-desk-bench-${runId}-`));
  const dns = await startDnsServer({ zone: testZone() });
  const settings = { settleSeconds: 10, sampleSeconds: 20, nodeOptions: options.nodeOptions };
  try {
    const figures = await Promise.race([
      measureIdle({ ...settings, repoRoot: REPO_ROOT, workDir, redisUrl: options.redisUrl, postgresUrl: options.postgresUrl, runId, dnsServer: dns.address }, say),
      interrupted,
    ]);
    console.log(options.json ? JSON.stringify({ runId, idle: figures, ...settings }, null, 2) : formatIdle(figures, settings));
    rmSync(workDir, { recursive: true, force: true });
    return 0;
  } catch (error) {
    say(`logs and data kept in ${workDir}`);
    throw error;
  } finally {
    await stopAll();
    await dns.stop();
  }
}

/** Runs the load against some listeners while sampling the processes behind them; the product also waits for its acknowledgements. */
async function measureLoad(
  name: string,
  children: NodeChild[],
  ports: number[],
  pool: BenchMessage[],
  options: BenchOptions,
  sink?: MailSink,
): Promise<{ load: LoadSummary; acks?: AckSummary; memory: ProcessMemory[]; machine: MachineCpu[]; overTime?: MemoryOverTime }> {
  const start = children.map((child) => readProc(child.pid));
  const cpuAtStart = cpuSnapshot();
  const loadStartUs = monotonicUs();
  // An open-loop run marks memory ten times over its load (and on through the drain): a soak shows whether it stays flat.
  const markEveryMs = options.rate ? Math.max(5_000, ((options.warmupSeconds + options.duration) * 1000) / 10) : 0;
  const sampler = new MemorySampler(children.map((child) => child.pid), markEveryMs).start();
  const crash = watchForCrash(children);
  try {
    say(`${name}: ${options.rate ? `offering ${options.rate} msg/s for ${options.warmupSeconds} + ${options.duration} s` : `sending ${pool.length} messages`} over ${options.connections} connections`);
    let tick = 0;
    const onProgress = (done: number) => {
      if (++tick % 5 === 0) say(`${name}: ${done}/${pool.length} transactions`);
    };
    const load: LoadResult = await Promise.race([
      withTimeout(
        runLoad({ host: '127.0.0.1', ports, pool, connections: options.connections, replyTimeoutMs: options.replyTimeoutSeconds * 1000, rate: options.rate || undefined, windowSeconds: options.windowSeconds, warmupSeconds: options.warmupSeconds, onProgress }),
        30 * 60_000,
        `${name}: the load`,
      ),
      crash.crashed,
      interrupted,
    ]);
    const afterLoad = children.map((child) => readProc(child.pid));
    const cpuAfterLoad = cpuSnapshot();
    const loadEndUs = monotonicUs();
    sampler.mark();
    const loadMarks = sampler.marks.length;
    say(`${name}: ${load.accepted} accepted in ${(load.elapsedMs / 1000).toFixed(1)} s (${load.acceptedPerSecond.toFixed(0)}/s)`);
    const acks = sink ? await Promise.race([waitForAcks(sink, load.acceptedAt, options.ackIdleSeconds * 1000), crash.crashed, interrupted]) : undefined;
    if (name === 'product') {
      profileWindows.push(['load', { fromUs: loadStartUs, toUs: loadEndUs }]);
      if (acks) profileWindows.push(['drain', { fromUs: loadEndUs, toUs: monotonicUs() }]);
    }
    const machine: MachineCpu[] = [{ phase: 'load', ...cpuBetween(cpuAtStart, cpuAfterLoad) }];
    if (acks) machine.push({ phase: 'drain', ...cpuBetween(cpuAfterLoad, cpuSnapshot()) });
    sampler.stop();
    const peaks = sampler.report();
    const memory = children.map((child, i): ProcessMemory => {
      const peak = peaks[i] as (typeof peaks)[number];
      const cpuAt = (sample: ReturnType<typeof readProc>) => sample?.cpuSeconds ?? peak.cpuSeconds;
      return {
        name: child.name,
        pid: child.pid,
        startRssBytes: start[i]?.rssBytes ?? 0,
        peakRssBytes: peak.peakRssBytes,
        hwmBytes: peak.hwmBytes,
        loadCpuSeconds: cpuAt(afterLoad[i] ?? null) - (start[i]?.cpuSeconds ?? 0),
        cpuSeconds: peak.cpuSeconds - (start[i]?.cpuSeconds ?? 0),
      };
    });
    const { acceptedAt: _acceptedAt, ...summary } = load;
    const overTime: MemoryOverTime | undefined = markEveryMs
      ? { names: children.map((child) => child.name), marks: sampler.marks, loadMarks }
      : undefined;
    return { load: summary, acks, memory, machine, overTime };
  } finally {
    crash.dispose();
    sampler.stop();
  }
}

/** Waits until every accepted message has its acknowledgement at the sink, or none came for `idleMs`. */
async function waitForAcks(sink: MailSink, acceptedAt: Map<string, number>, idleMs: number): Promise<AckSummary> {
  const started = performance.now();
  // The idle limit ends the wait normally; this only bounds a product that trickles forever.
  const hardStop = started + 60 * 60_000;
  let matched = 0;
  let lastChange = started;
  for (;;) {
    let count = 0;
    for (const id of acceptedAt.keys()) if (sink.byInReplyTo.has(id)) count++;
    if (count !== matched) {
      matched = count;
      lastChange = performance.now();
    }
    if (matched === acceptedAt.size) break;
    const now = performance.now();
    if (now - lastChange > idleMs || now > hardStop) break;
    await sleep(200);
  }
  const latencies: number[] = [];
  let malformed = 0;
  for (const [id, at] of acceptedAt) {
    const ack = sink.byInReplyTo.get(id);
    if (!ack) continue;
    latencies.push(ack.at - at);
    if (ack.mailFrom !== '' || !ack.ticket || !ack.subject?.includes(ack.ticket)) malformed++;
  }
  // The same message (recipient, ticket, subject) arriving twice means the product sent it twice.
  const seen = new Set<string>();
  let duplicates = 0;
  for (const delivery of sink.deliveries) {
    const key = `${delivery.to.join(',')}|${delivery.ticket ?? ''}|${delivery.subject ?? ''}|${delivery.inReplyTo ?? ''}`;
    if (seen.has(key)) duplicates++;
    else seen.add(key);
  }
  return {
    accepted: acceptedAt.size,
    received: matched,
    duplicates,
    missing: acceptedAt.size - matched,
    latency: distribution(latencies),
    malformed,
    otherDeliveries: sink.deliveries.length - sink.byInReplyTo.size,
    waitedMs: performance.now() - started,
  };
}

/** One 25 MiB message: how much the product's resident set grows while it takes and processes it. */
async function measureBig(product: Product, message: BenchMessage, sink: MailSink, options: BenchOptions): Promise<BigSummary> {
  const child = product.children[0] as NodeChild;
  await sleep(2_000); // let start-up garbage settle before the baseline
  const before = readProc(child.pid);
  const sampler = new MemorySampler([child.pid]).start(20);
  const crash = watchForCrash(product.children);
  try {
    say(`product: sending one message of ${(message.size / 1024 / 1024).toFixed(1)} MiB`);
    const sentUs = monotonicUs();
    const load = await Promise.race([
      withTimeout(runLoad({ host: '127.0.0.1', ports: product.smtpPorts, pool: [message], connections: 1, replyTimeoutMs: options.replyTimeoutSeconds * 1000 }), 5 * 60_000, 'the large message'),
      crash.crashed,
      interrupted,
    ]);
    const acceptedAt = load.acceptedAt.get(message.messageId);
    const peakUntilReply = sampler.takePeak(child.pid);
    profileWindows.push(['the SMTP transaction', { fromUs: sentUs, toUs: monotonicUs() }]);
    const ackWaitUs = monotonicUs();
    const reply = Object.keys(load.refusals)[0] ?? '250';
    let ackMs: number | null = null;
    if (acceptedAt !== undefined) {
      const deadline = Date.now() + 120_000;
      while (!sink.byInReplyTo.has(message.messageId) && Date.now() < deadline) await Promise.race([sleep(100), crash.crashed, interrupted]);
      const ack = sink.byInReplyTo.get(message.messageId);
      ackMs = ack ? ack.at - acceptedAt : null;
    }
    profileWindows.push(['processing until the acknowledgement', { fromUs: ackWaitUs, toUs: monotonicUs() }]);
    await sleep(2_000);
    const peakAfterReply = sampler.takePeak(child.pid);
    sampler.stop();
    const after = readProc(child.pid);
    const peak = Math.max(peakUntilReply, peakAfterReply);
    return {
      bytes: message.size,
      reply,
      transactionMs: load.transaction.max,
      startRssBytes: before?.rssBytes ?? 0,
      peakRssBytes: peak,
      peakUntilReplyBytes: peakUntilReply,
      peakAfterReplyBytes: peakAfterReply,
      rssGrowthBytes: peak - (before?.rssBytes ?? 0),
      settledRssBytes: after?.rssBytes ?? 0,
      ackMs,
    };
  } finally {
    crash.dispose();
    sampler.stop();
  }
}

/** Each process's busiest thread (the main one; the tsx loader thread is mostly idle), in each measured phase. */
function summariseProfiles(dir: string, windows: Array<[string, ProfileWindow]>): string[] {
  return readdirSync(dir).flatMap((processName) => {
    const files = readdirSync(join(dir, processName))
      .filter((file) => file.endsWith('.cpuprofile'))
      .map((file) => join(dir, processName, file));
    const main = files.map((file) => ({ file, busy: summariseProfile(file).busyMs })).sort((a, b) => b.busy - a.busy)[0];
    if (!main) return [];
    return windows.map(([phase, window]) => formatProfile(`${processName} during ${phase} (${main.file})`, summariseProfile(main.file, 15, window)));
  });
}

function collectProblems(result: BenchResult): void {
  const load = result.product?.load;
  if (load && load.accepted < load.sent) result.problems.push(`product accepted ${load.accepted} of ${load.sent} messages`);
  if (load && load.sent < result.options.messages) result.problems.push(`only ${load.sent} of ${result.options.messages} messages were sent`);
  const acks = result.product?.acks;
  if (acks && acks.missing > 0) result.problems.push(`${acks.missing} accepted messages got no acknowledgement`);
  if (acks && acks.duplicates > 0) result.problems.push(`${acks.duplicates} outgoing messages reached the relay more than once`);
  if (acks && acks.malformed > 0) result.problems.push(`${acks.malformed} acknowledgements broke a rule (null sender, ticket in subject and X-Ticket-ID)`);
  if (result.big && result.big.reply !== '250') result.problems.push(`the large message was refused: ${result.big.reply}`);
  if (result.big && result.big.ackMs === null) result.problems.push('the large message got no acknowledgement');
  const ceiling = result.ceiling?.load;
  if (ceiling && ceiling.accepted < ceiling.sent) result.problems.push(`the ceiling accepted ${ceiling.accepted} of ${ceiling.sent} messages`);
}

let signals = 0;
const onSignal = (signal: NodeJS.Signals) => {
  signals++;
  if (signals > 1) {
    killAllNow();
    process.exit(130);
  }
  say(`${signal}: stopping and cleaning up (again to force)`);
  interrupt(new BenchError(`interrupted by ${signal}`));
};
process.on('SIGINT', onSignal);
process.on('SIGTERM', onSignal);
process.on('exit', killAllNow);

main().then(
  (code) => process.exit(signals > 0 ? 130 : code),
  (error: unknown) => {
    console.error('bench failed:', error);
    killAllNow();
    process.exit(1);
  },
);
