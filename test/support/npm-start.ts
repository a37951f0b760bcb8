import { spawn, type ChildProcess } from 'node:child_process';
import { readdirSync, readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
export { freePort } from './ports.js';

/**
 * The product started the way a user starts it, `npm start`, for end-to-end
 * tests: its own process group (so nothing outlives the test), its output
 * kept, and a bounded wait for the "abuse desk running" line.
 *
 * `npm start` runs npm → sh → node dist/src/main.js (the shell execs node);
 * npm does not pass SIGTERM on to its child, so `terminate()` signals the node
 * process that runs the product, as a supervisor watching that process would.
 */

const REPO_ROOT = fileURLToPath(new URL('../..', import.meta.url));

/** Variables of the product that must not leak in from the test runner's environment. */
const PRODUCT_VARIABLES = [
  'NODE_ENV',
  'DATABASE_URL',
  'DATA_DIR',
  'REDIS_URL',
  'SMTP_HOST',
  'SMTP_PORT',
  'SMTP_HOSTNAME',
  'HTTP_HOST',
  'HTTP_PORT',
  'DNS_SERVERS',
  'DNS_TIMEOUT_MS',
  'OUTBOUND_SMTP_URL',
  'API_TOKEN',
  'ADMIN_PASSWORD',
  'REPLY_TOKEN_SECRET',
  'WEBHOOK_SECRET',
  'MEASURES_WEBHOOK_URL',
  'BRANDS_FILE',
  'TLS_CERT_FILE',
  'TLS_KEY_FILE',
  'QUEUE_PREFIX',
  'LOG_LEVEL',
];

export interface NpmStarted {
  /** The npm process; its pid is also the process group's id. */
  npm: ChildProcess;
  /** Everything written to stdout and stderr so far. */
  output(): string;
  /** Resolves with npm's exit code (or signal name) once it is gone. */
  exited: Promise<number | string>;
  /** Resolves once a line matching `pattern` was written, rejects after `timeoutMs` or when npm exits. */
  waitForLine(pattern: RegExp, timeoutMs: number): Promise<string>;
  /** Sends SIGTERM to the node process running the product. */
  terminate(): void;
  /** SIGKILL to the whole process group; for clean-up, safe to call twice. */
  kill(): void;
}

/** The file each npm script runs in node (see package.json). */
const ENTRIES = { start: 'dist/src/main.js', demo: 'dist/src/demo/main.js' } as const;

export function npmStart(env: Record<string, string>, args: string[] = []): NpmStarted {
  return npmRun('start', env, args);
}

/** `npm run <script>` (`start` or `demo`), started as `npmStart` starts the product. */
export function npmRun(script: keyof typeof ENTRIES, env: Record<string, string>, args: string[] = []): NpmStarted {
  const inherited = { ...process.env };
  for (const name of PRODUCT_VARIABLES) delete inherited[name];
  const npm = spawn('npm', ['run', script, ...(args.length ? ['--', ...args] : [])], {
    cwd: REPO_ROOT,
    env: { ...inherited, ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
    detached: true,
  });
  let text = '';
  const listeners = new Set<() => void>();
  const append = (chunk: Buffer) => {
    text += chunk.toString('utf8');
    for (const listener of listeners) listener();
  };
  npm.stdout?.on('data', append);
  npm.stderr?.on('data', append);
  const exited = new Promise<number | string>((resolve) => {
    npm.once('exit', (code, signal) => {
      resolve(code ?? signal ?? 'unknown');
      for (const listener of listeners) listener();
    });
  });
  const group = npm.pid as number;

  return {
    npm,
    output: () => text,
    exited,
    waitForLine(pattern, timeoutMs) {
      return new Promise<string>((resolve, reject) => {
        const check = () => {
          const line = text.split('\n').find((candidate) => pattern.test(candidate));
          if (line !== undefined) done(() => resolve(line));
          else if (npm.exitCode !== null || npm.signalCode !== null) done(() => reject(new Error(`npm run ${script} exited before ${pattern}:\n${text.slice(-3000)}`)));
        };
        const timer = setTimeout(() => done(() => reject(new Error(`no line matching ${pattern} within ${timeoutMs} ms:\n${text.slice(-3000)}`))), timeoutMs);
        const done = (settle: () => void) => {
          clearTimeout(timer);
          listeners.delete(check);
          settle();
        };
        listeners.add(check);
        check();
      });
    },
    terminate() {
      const pid = productPid(group, ENTRIES[script]);
      if (pid === null) throw new Error(`no node process running ${ENTRIES[script]} in process group ${group}`);
      process.kill(pid, 'SIGTERM');
    },
    kill() {
      try {
        process.kill(-group, 'SIGKILL');
      } catch {
        // the group is gone already
      }
    },
  };
}

/** The innermost node process of the group whose command line runs `entry`. */
function productPid(group: number, entry: string): number | null {
  let found: number | null = null;
  for (const pid of readdirSync('/proc')) {
    if (!/^\d+$/.test(pid)) continue;
    try {
      const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
      const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
      if (Number(fields[2]) !== group) continue;
      const command = readFileSync(`/proc/${pid}/cmdline`, 'utf8').split('\0');
      // tsx's own process runs the entry too, but through node_modules/.bin/tsx; the product is the one tsx started.
      if (command.includes(entry) && !command.some((part) => part.endsWith('/.bin/tsx'))) found = Number(pid);
    } catch {
      // the process ended while we looked
    }
  }
  return found;
}

