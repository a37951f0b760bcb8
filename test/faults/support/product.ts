import { spawn, type ChildProcess } from 'node:child_process';
import { createWriteStream } from 'node:fs';
import { join } from 'node:path';
import { onExitKill } from './util.js';

/** The repository root: children run `dist/src/main.js` from here, as `npm start` does. */
export const REPO_ROOT = new URL('../../../', import.meta.url).pathname;

export interface ExitStatus {
  code: number | null;
  signal: NodeJS.Signals | null;
}

/**
 * The product as its own process (`node dist/src/main.js [--role …]`, what
 * `npm start` runs; the test setup builds dist/ from the sources), so a test
 * can SIGKILL or SIGTERM it from outside.
 */
export interface ProductProcess {
  readonly pid: number;
  readonly smtpPort: number | null;
  readonly httpPort: number | null;
  readonly exited: Promise<ExitStatus>;
  /** Undefined while it runs. */
  exitStatus(): ExitStatus | undefined;
  signal(signal: NodeJS.Signals): void;
  /** SIGKILL and wait for it to be gone. */
  kill(): Promise<ExitStatus>;
  /** The last lines of its output (for failure messages). */
  tail(lines?: number): string;
  /** Resolves with the first log record (pino JSON) from now on whose msg matches. */
  waitForLog(message: RegExp, timeoutMs: number): Promise<Record<string, unknown>>;
}

export interface StartProductOptions {
  name: string;
  env: Record<string, string>;
  roles?: Array<'smtp' | 'worker' | 'web'>;
  /** Where its output is written in full. */
  logDir: string;
  startTimeoutMs?: number;
}

export async function startProduct(options: StartProductOptions): Promise<ProductProcess> {
  const args = ['dist/src/main.js', ...(options.roles ?? []).flatMap((role) => ['--role', role])];
  const child: ChildProcess = spawn(process.execPath, args, {
    cwd: REPO_ROOT,
    // Info level at least: readiness is read from the "abuse desk running" record.
    env: { PATH: process.env.PATH ?? '/usr/bin:/bin', HOME: process.env.HOME ?? '/tmp', ...options.env, LOG_LEVEL: 'info' },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  if (child.pid === undefined) throw new Error(`${options.name}: could not start`);
  onExitKill(child);
  const pid = child.pid;
  const log = createWriteStream(join(options.logDir, `${options.name}.log`), { flags: 'a' });
  const lines: string[] = [];
  const watchers = new Set<(record: Record<string, unknown>) => void>();
  let status: ExitStatus | undefined;
  const exited = new Promise<ExitStatus>((resolve) => {
    child.once('exit', (code, signal) => {
      status = { code, signal };
      log.end();
      resolve(status);
    });
  });

  const collect = (stream: NodeJS.ReadableStream) => {
    let partial = '';
    stream.on('data', (chunk: Buffer) => {
      log.write(chunk);
      const parts = (partial + chunk.toString('utf8')).split('\n');
      partial = parts.pop() ?? '';
      for (const line of parts) {
        lines.push(line);
        if (lines.length > 300) lines.shift();
        const record = parseRecord(line);
        if (record) for (const watcher of [...watchers]) watcher(record);
      }
    });
  };
  collect(child.stdout as NodeJS.ReadableStream);
  collect(child.stderr as NodeJS.ReadableStream);

  const tail = (count = 30) => lines.slice(-count).join('\n');
  const waitForLog = (message: RegExp, timeoutMs: number) =>
    new Promise<Record<string, unknown>>((resolve, reject) => {
      const done = () => {
        clearTimeout(timer);
        watchers.delete(watcher);
      };
      const watcher = (record: Record<string, unknown>) => {
        if (typeof record.msg === 'string' && message.test(record.msg)) {
          done();
          resolve(record);
        }
      };
      const timer = setTimeout(() => {
        done();
        reject(new Error(`${options.name}: no log matching ${message} within ${timeoutMs} ms\n${tail()}`));
      }, timeoutMs);
      watchers.add(watcher);
      void exited.then((exit) => {
        if (!watchers.has(watcher)) return;
        done();
        reject(new Error(`${options.name} exited (${exit.code ?? exit.signal}) before logging ${message}\n${tail()}`));
      });
    });

  let running: Record<string, unknown>;
  try {
    running = await waitForLog(/^abuse desk running$/, options.startTimeoutMs ?? 90_000);
  } catch (error) {
    child.kill('SIGKILL');
    throw error;
  }
  return {
    pid,
    smtpPort: typeof running.smtpPort === 'number' ? running.smtpPort : null,
    httpPort: typeof running.httpPort === 'number' ? running.httpPort : null,
    exited,
    exitStatus: () => status,
    signal: (signal) => {
      if (!status) process.kill(pid, signal);
    },
    kill: async () => {
      if (!status) child.kill('SIGKILL');
      return exited;
    },
    tail,
    waitForLog,
  };
}

function parseRecord(line: string): Record<string, unknown> | null {
  if (!line.startsWith('{')) return null;
  try {
    return JSON.parse(line) as Record<string, unknown>;
  } catch {
    return null;
  }
}
