import { Redis, type RedisOptions } from 'ioredis';

/**
 * Two kinds of Redis connection. Producers on the SMTP path fail fast when Redis
 * is away (no offline queue, one retry), so the session can answer 451 at once.
 * Workers wait for Redis to come back (BullMQ requires maxRetriesPerRequest: null).
 */
export function producerConnection(url: string, name: string): Redis {
  return new Redis(url, {
    connectionName: name,
    enableOfflineQueue: false,
    maxRetriesPerRequest: 1,
    connectTimeout: 3_000,
    // A hung Redis (connection open, no answers) must still turn into a 451
    // well within the 5 s a message may wait at the end of DATA.
    commandTimeout: 2_000,
    retryStrategy: (times) => Math.min(times * 200, 2_000),
  } satisfies RedisOptions);
}

export function workerConnection(url: string, name: string): Redis {
  return new Redis(url, {
    connectionName: name,
    maxRetriesPerRequest: null,
    connectTimeout: 3_000,
    retryStrategy: (times) => Math.min(times * 200, 2_000),
  } satisfies RedisOptions);
}

/** Resolves when the connection is ready, rejects after `timeoutMs`. */
export function waitReady(redis: Redis, timeoutMs: number): Promise<void> {
  if (redis.status === 'ready') return Promise.resolve();
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      cleanup();
      reject(new Error(`Redis did not become ready within ${timeoutMs} ms`));
    }, timeoutMs);
    const onReady = () => {
      cleanup();
      resolve();
    };
    const cleanup = () => {
      clearTimeout(timer);
      redis.off('ready', onReady);
    };
    redis.on('ready', onReady);
  });
}

/** Closes a connection whatever state it is in; safe to call twice. */
export async function closeConnection(redis: Redis): Promise<void> {
  if (redis.status === 'end') return;
  try {
    await redis.quit();
  } catch {
    redis.disconnect();
  }
}
