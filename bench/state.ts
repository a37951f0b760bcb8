import { Redis } from 'ioredis';
import pg from 'pg';
import { withTimeout } from './util.js';

/** What a bench run leaves in shared services: a PostgreSQL schema and queue keys in Redis. */

async function withClient<T>(postgresUrl: string, fn: (client: pg.Client) => Promise<T>): Promise<T> {
  const client = new pg.Client({ connectionString: postgresUrl, connectionTimeoutMillis: 5_000 });
  await withTimeout(client.connect(), 10_000, `connecting to ${postgresUrl}`);
  try {
    return await withTimeout(fn(client), 60_000, 'PostgreSQL schema change');
  } finally {
    await client.end();
  }
}

/** A fresh, empty schema; the product migrates it on start. Returns the DATABASE_URL for it. */
export async function createSchema(postgresUrl: string, schema: string): Promise<string> {
  await withClient(postgresUrl, (client) => client.query(`CREATE SCHEMA "${schema}"`));
  const url = new URL(postgresUrl);
  url.searchParams.set('schema', schema);
  return url.toString();
}

export async function dropSchema(postgresUrl: string, schema: string): Promise<void> {
  await withClient(postgresUrl, (client) => client.query(`DROP SCHEMA IF EXISTS "${schema}" CASCADE`));
}

/** Deletes every key under `prefix:` (the run's queues). */
export async function deleteQueueKeys(redisUrl: string, prefix: string): Promise<number> {
  const redis = new Redis(redisUrl, { maxRetriesPerRequest: 1, connectTimeout: 5_000, lazyConnect: true });
  redis.on('error', () => undefined);
  try {
    await withTimeout(redis.connect(), 10_000, `connecting to ${redisUrl}`);
    let deleted = 0;
    let cursor = '0';
    await withTimeout(
      (async () => {
        do {
          const [next, keys] = await redis.scan(cursor, 'MATCH', `${prefix}:*`, 'COUNT', 1000);
          cursor = next;
          if (keys.length > 0) deleted += await redis.del(...keys);
        } while (cursor !== '0');
      })(),
      60_000,
      'deleting queue keys',
    );
    return deleted;
  } finally {
    redis.disconnect();
  }
}
