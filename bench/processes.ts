import { spawn, type ChildProcess } from 'node:child_process';
import { createWriteStream, readdirSync, readFileSync } from 'node:fs';
import { BenchError, sleep, withTimeout } from './util.js';

/**
 * Child processes of the bench (the product, the ceiling): started with node,
 * output kept in a log file and the last lines in memory, memory and CPU read
 * from /proc, and every one of them stopped when the bench ends however it ends.
 */

export interface NodeChild {
  name: string;
  pid: number;
  process: ChildProcess;
  /** Resolves with the exit code (or the signal's name) once the process is gone. */
  exited: Promise<number | string>;
  /** Undefined while it runs. */
  exitStatus: number | string | undefined;
  /** True once the bench asked it to stop. */
  stopping: boolean;
  /** The last lines it wrote to stdout and stderr. */
  tail(): string[];
  /** SIGTERM, then SIGKILL after `timeoutMs`; resolves with the exit status. */
  stop(timeoutMs?: number): Promise<number | string>;
}

const running = new Set<NodeChild>();
const TAIL_LINES = 40;

export interface SpawnOptions {
  cwd: string;
  env: NodeJS.ProcessEnv;
  logFile: string;
  /** Extra flags for node itself, e.g. --cpu-prof; after the tsx loader when one is needed (so `--import x.ts` works). */
  nodeArgs?: string[];
  /** Called with every line of output (readiness checks). */
  onLine?(line: string): void;
}

export function spawnNode(name: string, script: string, args: string[], options: SpawnOptions): NodeChild {
  // TypeScript (the bench's own helpers) needs the tsx loader; the product runs compiled, as `npm start` runs it.
  const loader = [script, ...(options.nodeArgs ?? [])].some((arg) => arg.endsWith('.ts')) ? ['--import', 'tsx'] : [];
  const child = spawn(process.execPath, [...loader, ...(options.nodeArgs ?? []), script, ...args], {
    cwd: options.cwd,
    env: options.env,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  if (child.pid === undefined) throw new BenchError(`${name}: could not start ${script}`);
  const log = createWriteStream(options.logFile);
  const lines: string[] = [];
  const collect = (stream: NodeJS.ReadableStream) => {
    let partial = '';
    stream.on('data', (chunk: Buffer) => {
      log.write(chunk);
      const text = partial + chunk.toString('utf8');
      const parts = text.split('\n');
      partial = parts.pop() ?? '';
      for (const line of parts) {
        lines.push(line);
        if (lines.length > TAIL_LINES) lines.shift();
        options.onLine?.(line);
      }
    });
  };
  collect(child.stdout as NodeJS.ReadableStream);
  collect(child.stderr as NodeJS.ReadableStream);

  const handle: NodeChild = {
    name,
    pid: child.pid,
    process: child,
    exitStatus: undefined,
    stopping: false,
    exited: new Promise((resolve) => {
      child.once('exit', (code, signal) => {
        handle.exitStatus = code ?? signal ?? 'unknown';
        running.delete(handle);
        log.end();
        resolve(handle.exitStatus);
      });
    }),
    tail: () => [...lines],
    async stop(timeoutMs = 30_000) {
      handle.stopping = true;
      if (handle.exitStatus !== undefined) return handle.exitStatus;
      child.kill('SIGTERM');
      try {
        return await withTimeout(handle.exited, timeoutMs, `${name} stopping`);
      } catch {
        child.kill('SIGKILL');
        return withTimeout(handle.exited, 5_000, `${name} killed`);
      }
    },
  };
  running.add(handle);
  return handle;
}

/** Stops every child still running (the bench's own exit path). */
export async function stopAll(timeoutMs = 15_000): Promise<void> {
  await Promise.all([...running].map((child) => child.stop(timeoutMs).catch(() => undefined)));
}

/** Last resort on process exit: no waiting possible there. */
export function killAllNow(): void {
  for (const child of running) child.process.kill('SIGKILL');
}

/** Rejects as soon as one of `children` exits without being asked to. */
export function watchForCrash(children: NodeChild[]): { crashed: Promise<never>; dispose(): void } {
  let disposed = false;
  const crashed = new Promise<never>((_, reject) => {
    for (const child of children) {
      void child.exited.then((status) => {
        if (!disposed && !child.stopping) {
          reject(new BenchError(`${child.name} (pid ${child.pid}) exited with ${status} during the run:\n  ${child.tail().slice(-15).join('\n  ')}`));
        }
      });
    }
  });
  crashed.catch(() => undefined);
  return {
    crashed,
    dispose: () => {
      disposed = true;
    },
  };
}

export interface ProcSample {
  rssBytes: number;
  /** The kernel's high-water mark of the resident set since the process started. */
  hwmBytes: number;
  /** User plus system CPU time so far. */
  cpuSeconds: number;
}

const CLOCK_TICKS = 100;

/** Memory and CPU of a running process from /proc (Linux), or null once it is gone. */
export function readProc(pid: number): ProcSample | null {
  try {
    const status = readFileSync(`/proc/${pid}/status`, 'utf8');
    const kb = (field: string) => Number(new RegExp(`^${field}:\\s+(\\d+) kB`, 'm').exec(status)?.[1] ?? 0) * 1024;
    // Fields after the command name (which may hold spaces) start at "state".
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    const ticks = Number(fields[11]) + Number(fields[12]);
    return { rssBytes: kb('VmRSS'), hwmBytes: kb('VmHWM'), cpuSeconds: ticks / CLOCK_TICKS };
  } catch {
    return null;
  }
}

/** RSS of each sampled process (in the sampler's order) at one moment, ms after the sampler started. */
export interface MemoryMark {
  atMs: number;
  rssBytes: number[];
}

/**
 * Samples the resident set of some processes at a fixed interval and keeps the
 * peaks, and, when asked, a mark every `markEveryMs` (how memory moves over a soak).
 */
export class MemorySampler {
  private readonly peaks = new Map<number, number>();
  private readonly last = new Map<number, ProcSample>();
  private timer: NodeJS.Timeout | undefined;
  private readonly startedAt = performance.now();
  readonly marks: MemoryMark[] = [];

  constructor(
    private readonly pids: number[],
    private readonly markEveryMs = 0,
  ) {}

  start(everyMs = 200): this {
    this.sample();
    this.timer = setInterval(() => this.sample(), everyMs);
    this.timer.unref();
    return this;
  }

  /** Takes a mark now, whatever the interval (the end of a phase). */
  mark(): void {
    this.sample(true);
  }

  sample(forceMark = false): void {
    for (const pid of this.pids) {
      const now = readProc(pid);
      if (!now) continue;
      this.last.set(pid, now);
      this.peaks.set(pid, Math.max(this.peaks.get(pid) ?? 0, now.rssBytes));
    }
    const atMs = performance.now() - this.startedAt;
    const lastMark = this.marks.at(-1);
    if (this.markEveryMs > 0 && (forceMark || !lastMark || atMs - lastMark.atMs >= this.markEveryMs)) {
      // A forced mark right after a regular one takes its place.
      if (forceMark && lastMark && atMs - lastMark.atMs < 1_000) this.marks.pop();
      this.marks.push({ atMs, rssBytes: this.pids.map((pid) => this.last.get(pid)?.rssBytes ?? 0) });
    }
  }

  stop(): void {
    this.sample();
    clearInterval(this.timer);
  }

  /** The highest RSS of `pid` since the last call (or the start), then starts over from the current one. */
  takePeak(pid: number): number {
    this.sample();
    const peak = this.peaks.get(pid) ?? 0;
    this.peaks.set(pid, this.last.get(pid)?.rssBytes ?? 0);
    return peak;
  }

  /** Highest sampled RSS per process, and the kernel's high-water mark at the last sample. */
  report(): Array<{ pid: number; peakRssBytes: number; hwmBytes: number; cpuSeconds: number }> {
    return this.pids.map((pid) => ({
      pid,
      peakRssBytes: this.peaks.get(pid) ?? 0,
      hwmBytes: this.last.get(pid)?.hwmBytes ?? 0,
      cpuSeconds: this.last.get(pid)?.cpuSeconds ?? 0,
    }));
  }
}

/** Waits until `check` passes, failing early when the process dies meanwhile. */
export async function waitUntilReady(child: NodeChild, check: () => Promise<boolean>, timeoutMs: number, what: string): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (child.exitStatus !== undefined) {
      throw new BenchError(`${child.name} exited with ${child.exitStatus} before ${what}:\n  ${child.tail().slice(-15).join('\n  ')}`);
    }
    if (await check().catch(() => false)) return;
    await sleep(100);
  }
  throw new BenchError(`${child.name}: ${what} did not happen within ${Math.round(timeoutMs / 1000)} s:\n  ${child.tail().slice(-15).join('\n  ')}`);
}

/** CPU seconds so far, machine-wide and by program name (postgres, redis-server, ...), from /proc. */
export interface CpuSnapshot {
  at: number;
  /** Busy (non-idle) seconds of all cores since boot. */
  machineBusySeconds: number;
  cores: number;
  byCommand: Record<string, number>;
}

const WATCHED_COMMANDS = ['postgres', 'redis-server'];

export function cpuSnapshot(): CpuSnapshot {
  const stat = readFileSync('/proc/stat', 'utf8');
  const cpu = (/^cpu\s+(.+)$/m.exec(stat)?.[1] ?? '').trim().split(/\s+/).map(Number);
  // user nice system idle iowait irq softirq steal: idle and iowait are not busy
  const busy = cpu.reduce((sum, value, i) => (i === 3 || i === 4 || i > 7 ? sum : sum + value), 0);
  const cores = stat.split('\n').filter((line) => /^cpu\d+ /.test(line)).length;
  const byCommand: Record<string, number> = {};
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      const text = readFileSync(`/proc/${entry}/stat`, 'utf8');
      const command = text.slice(text.indexOf('(') + 1, text.lastIndexOf(')'));
      if (!WATCHED_COMMANDS.includes(command)) continue;
      const fields = text.slice(text.lastIndexOf(')') + 2).split(' ');
      byCommand[command] = (byCommand[command] ?? 0) + (Number(fields[11]) + Number(fields[12])) / CLOCK_TICKS;
    } catch {
      // the process ended between listing and reading
    }
  }
  byCommand.bench = process.cpuUsage().user / 1e6 + process.cpuUsage().system / 1e6;
  return { at: performance.now(), machineBusySeconds: busy / CLOCK_TICKS, cores, byCommand };
}

/** What happened between two snapshots: machine busy share and CPU seconds per program. */
export function cpuBetween(before: CpuSnapshot, after: CpuSnapshot): { seconds: number; machineBusyShare: number; cores: number; byCommand: Record<string, number> } {
  const seconds = (after.at - before.at) / 1000;
  const byCommand: Record<string, number> = {};
  for (const [command, value] of Object.entries(after.byCommand)) byCommand[command] = value - (before.byCommand[command] ?? 0);
  return { seconds, machineBusyShare: (after.machineBusySeconds - before.machineBusySeconds) / (seconds * after.cores), cores: after.cores, byCommand };
}
