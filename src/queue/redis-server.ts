import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { Redis } from 'ioredis';
import type { Logger } from '../lib/logger.js';
import { redactUrl } from '../lib/redact.js';

export const DEFAULT_REDIS_URL = 'redis://127.0.0.1:6379';

export interface RedisEndpoint {
  /** A redis:// URL, or the path of a private server's unix socket. */
  url: string;
  /** Stops the private server when we started one; otherwise nothing. */
  stop(): Promise<void>;
}

export class RedisUnavailableError extends Error {
  override readonly name = 'RedisUnavailableError';
}

/** Whether a Redis answers PING at `url` within the time (a short-lived probe connection). */
export async function redisAnswers(url: string, timeoutMs = 1_500): Promise<boolean> {
  const probe = new Redis(url, { lazyConnect: true, enableOfflineQueue: false, maxRetriesPerRequest: 0, connectTimeout: timeoutMs, retryStrategy: () => null });
  probe.on('error', () => undefined);
  try {
    await probe.connect();
    return (await probe.ping()) === 'PONG';
  } catch {
    return false;
  } finally {
    probe.disconnect();
  }
}

function hasRedisServer(): boolean {
  return spawnSync('redis-server', ['--version'], { stdio: 'ignore' }).status === 0;
}

/**
 * Finds the Redis to use. A configured REDIS_URL must answer at start-up. With
 * none configured we use the default port if something answers there, else start
 * a private redis-server with its data (append-only, fsync every second) in DATA_DIR.
 */
export async function ensureRedis(configuredUrl: string | undefined, dataDir: string, logger: Logger): Promise<RedisEndpoint> {
  const none: RedisEndpoint = { url: configuredUrl ?? DEFAULT_REDIS_URL, stop: async () => undefined };
  if (configuredUrl) {
    if (await redisAnswers(configuredUrl)) return none;
    throw new RedisUnavailableError(`Redis at REDIS_URL (${redactUrl(configuredUrl)}) does not answer; start it or fix REDIS_URL`);
  }
  if (await redisAnswers(DEFAULT_REDIS_URL)) return none;
  const socket = join(dataDir, 'redis.sock');
  if (await redisAnswers(socket)) {
    logger.info({ socket }, 'using the private Redis left running in DATA_DIR');
    return { url: socket, stop: async () => undefined };
  }
  if (!hasRedisServer()) {
    throw new RedisUnavailableError(
      `no Redis answers at ${DEFAULT_REDIS_URL} and redis-server is not installed; install Redis or set REDIS_URL`,
    );
  }
  const dir = join(dataDir, 'redis');
  mkdirSync(dir, { recursive: true });
  const child = spawn(
    'redis-server',
    ['--port', '0', '--unixsocket', socket, '--unixsocketperm', '700', '--dir', dir, '--appendonly', 'yes', '--appendfsync', 'everysec', '--save', '', '--daemonize', 'no'],
    { stdio: ['ignore', 'ignore', 'pipe'] },
  );
  await waitForPrivateServer(child, socket);
  logger.warn({ socket }, 'REDIS_URL is unset and nothing answers on the default port: started a private redis-server in DATA_DIR');
  return { url: socket, stop: () => stopChild(child) };
}

async function waitForPrivateServer(child: ChildProcess, socket: string): Promise<void> {
  let exited = false;
  child.once('exit', () => {
    exited = true;
  });
  for (let attempt = 0; attempt < 50 && !exited; attempt++) {
    if (await redisAnswers(socket, 500)) return;
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  child.kill('SIGKILL');
  throw new RedisUnavailableError(`the private redis-server did not start (socket ${socket})`);
}

function stopChild(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null) return Promise.resolve();
  return new Promise((resolve) => {
    const timer = setTimeout(() => child.kill('SIGKILL'), 5_000);
    child.once('exit', () => {
      clearTimeout(timer);
      resolve();
    });
    child.kill('SIGTERM');
  });
}
