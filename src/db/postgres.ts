import { PrismaPg } from '@prisma/adapter-pg';
import pg from 'pg';
import type { SqlRunner } from './migrate.js';

/** Any fixed 64-bit key: every process migrating this database waits on it. */
const MIGRATION_LOCK_KEY = 4_727_001;

export interface PostgresTarget {
  connectionString: string;
  /** From `?schema=` in DATABASE_URL, as Prisma spells it. */
  schema?: string;
}

export function parseDatabaseUrl(databaseUrl: string): PostgresTarget {
  const url = new URL(databaseUrl);
  const schema = url.searchParams.get('schema') ?? undefined;
  url.searchParams.delete('schema');
  if (schema !== undefined && !/^[A-Za-z_][A-Za-z0-9_]*$/.test(schema)) {
    throw new Error(`DATABASE_URL: schema "${schema}" must be a plain identifier`);
  }
  return { connectionString: url.toString(), schema };
}

/**
 * Connections a pool keeps open however long it is idle. Mail arrives in
 * ones and twos most of the time; without these, the first message after ten
 * quiet seconds would wait for a new server process and its catalog caches.
 */
export const KEEP_OPEN = 4;

/** How long a connection beyond the kept ones may stay idle before it is closed. */
const IDLE_CLOSE_MS = 10_000;

export function createPool(target: PostgresTarget, max: number, idleCloseMs = IDLE_CLOSE_MS): pg.Pool {
  return new pg.Pool({
    connectionString: target.connectionString,
    max,
    min: Math.min(KEEP_OPEN, max),
    idleTimeoutMillis: idleCloseMs,
    // A database that does not answer must turn into a 451 quickly, not a hung session.
    connectionTimeoutMillis: 3_000,
    query_timeout: 15_000,
    options: target.schema ? `-c search_path=${target.schema}` : undefined,
  });
}

/**
 * Opens the connections the pool keeps, so a process that says it is ready
 * does not make its first senders wait for them. Best effort: a connection
 * that fails now is made again when a query needs it.
 */
export async function warmPool(pool: pg.Pool): Promise<void> {
  const clients = await Promise.allSettled(Array.from({ length: pool.options.min ?? 0 }, () => pool.connect()));
  for (const client of clients) if (client.status === 'fulfilled') client.value.release();
}

export function createPostgresAdapter(pool: pg.Pool, target: PostgresTarget): PrismaPg {
  return new PrismaPg(pool, {
    schema: target.schema,
    // Naming statements lets pg prepare each distinct query once per connection.
    statementNameGenerator: (query) => `s${fnv1a(query.sql)}`,
  });
}

export function postgresRunner(pool: pg.Pool, target: PostgresTarget): SqlRunner {
  return {
    async exec(sql) {
      await pool.query(sql);
    },
    byteEncoding: 'binary',
    async query<T>(sql: string, params: unknown[] = []) {
      return (await pool.query(sql, params)).rows as T[];
    },
    async withMigrationLock(fn) {
      const client = await pool.connect();
      try {
        if (target.schema) await client.query(`CREATE SCHEMA IF NOT EXISTS "${target.schema}"`);
        await client.query('SELECT pg_advisory_lock($1)', [MIGRATION_LOCK_KEY]);
        try {
          return await fn();
        } finally {
          await client.query('SELECT pg_advisory_unlock($1)', [MIGRATION_LOCK_KEY]);
        }
      } finally {
        client.release();
      }
    },
  };
}

function fnv1a(text: string): string {
  let hash = 0x811c9dc5;
  for (let i = 0; i < text.length; i++) {
    hash ^= text.charCodeAt(i);
    hash = Math.imul(hash, 0x01000193);
  }
  return (hash >>> 0).toString(36) + text.length.toString(36);
}
