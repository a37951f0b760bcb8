import { spawn, type ChildProcess } from 'node:child_process';
import { Redis } from 'ioredis';
import { freePort, onExitKill, sleep } from './util.js';
import { redisAnswers } from '../../../src/queue/redis-server.js';

/**
 * A redis-server of the test's own, on a port of its own, keeping nothing on
 * disk: the shared Redis other test files use is never stopped or flushed.
 * `kill()` is SIGKILL (the crash), `start()` brings it back empty on the same port.
 */
export interface PrivateRedis {
  readonly port: number;
  readonly url: string;
  /** Starts it (again), empty; resolves once it answers PING. */
  start(): Promise<void>;
  /** SIGKILL; resolves once the process is gone. */
  kill(): Promise<void>;
  /** SIGSTOP / SIGCONT: a hung server, its connections open but silent. */
  freeze(): void;
  thaw(): void;
  /** Deletes every key under `prefix:` (a wiped queue). */
  wipe(prefix: string): Promise<number>;
  /** Keys under `prefix:` now. */
  keys(prefix: string): Promise<string[]>;
  exists(key: string): Promise<boolean>;
  /** Kills it for good; safe to call twice. */
  close(): Promise<void>;
}

export async function startPrivateRedis(): Promise<PrivateRedis> {
  const port = await freePort();
  const url = `redis://127.0.0.1:${port}`;
  let child: ChildProcess | undefined;

  const start = async () => {
    if (child && child.exitCode === null && child.signalCode === null) throw new Error('private Redis is already running');
    const started = spawn('redis-server', ['--port', String(port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no', '--daemonize', 'no'], {
      stdio: 'ignore',
    });
    child = started;
    onExitKill(started);
    const deadline = Date.now() + 10_000;
    while (Date.now() < deadline) {
      if (started.exitCode !== null) throw new Error(`redis-server on port ${port} exited with ${started.exitCode}`);
      if (await redisAnswers(url, 500)) return;
      await sleep(50);
    }
    started.kill('SIGKILL');
    throw new Error(`redis-server on port ${port} did not answer within 10 s`);
  };

  const kill = async () => {
    const running = child;
    if (!running || running.exitCode !== null || (running.signalCode !== null && running.signalCode !== 'SIGSTOP' && running.signalCode !== 'SIGCONT')) return;
    const gone = new Promise<void>((resolve) => running.once('exit', () => resolve()));
    running.kill('SIGKILL');
    await gone;
  };

  const withClient = async <T>(fn: (redis: Redis) => Promise<T>): Promise<T> => {
    const redis = new Redis(url, { maxRetriesPerRequest: 1, connectTimeout: 2_000, retryStrategy: () => null });
    redis.on('error', () => undefined);
    try {
      return await fn(redis);
    } finally {
      redis.disconnect();
    }
  };

  const keys = (prefix: string) =>
    withClient(async (redis) => {
      const found: string[] = [];
      let cursor = '0';
      do {
        const [next, batch] = await redis.scan(cursor, 'MATCH', `${prefix}:*`, 'COUNT', 1000);
        cursor = next;
        found.push(...batch);
      } while (cursor !== '0');
      return found;
    });

  await start();
  return {
    port,
    url,
    start,
    kill,
    freeze: () => child?.kill('SIGSTOP'),
    thaw: () => child?.kill('SIGCONT'),
    keys,
    exists: (key) => withClient(async (redis) => (await redis.exists(key)) === 1),
    wipe: async (prefix) => {
      const found = await keys(prefix);
      if (found.length > 0) await withClient((redis) => redis.del(...found));
      return found.length;
    },
    close: kill,
  };
}

