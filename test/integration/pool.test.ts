import { randomBytes } from 'node:crypto';
import pg from 'pg';
import { afterAll, describe, expect, it } from 'vitest';
import { openDatabase } from '../../src/db/index.js';
import { createPool, KEEP_OPEN, parseDatabaseUrl, warmPool } from '../../src/db/postgres.js';
import { TEST_DATABASE_URL, waitFor } from '../support/harness.js';

/**
 * The PostgreSQL pool keeps a few connections open through quiet times, and a
 * process opens them before it says it is ready: a lone message must not wait
 * for a new server process. Counted on the server, by application name.
 */

const admin = new pg.Pool({ connectionString: TEST_DATABASE_URL, max: 1 });
afterAll(() => admin.end());

function named(): { name: string; url: string } {
  const name = `pool-test-${randomBytes(4).toString('hex')}`;
  const url = new URL(TEST_DATABASE_URL);
  url.searchParams.set('application_name', name);
  return { name, url: url.toString() };
}

async function serverConnections(name: string): Promise<number> {
  const { rows } = await admin.query<{ count: string }>('SELECT count(*) FROM pg_stat_activity WHERE application_name = $1', [name]);
  return Number(rows[0]?.count);
}

describe('PostgreSQL pool', () => {
  it('opens the kept connections before the first query', async () => {
    const { name, url } = named();
    const pool = createPool(parseDatabaseUrl(url), 10);
    try {
      expect(await serverConnections(name)).toBe(0);
      await warmPool(pool);
      expect(await serverConnections(name)).toBe(KEEP_OPEN);
      expect(pool.idleCount).toBe(KEEP_OPEN);
    } finally {
      await pool.end();
    }
  });

  it('is warm when the database is opened, after the migrations', async () => {
    const { name, url } = named();
    const schema = `pool_test_${name.slice(-8)}`;
    const withSchema = new URL(url);
    withSchema.searchParams.set('schema', schema);
    const database = await openDatabase({ databaseUrl: withSchema.toString(), dataDir: '/nonexistent' });
    try {
      expect(await serverConnections(name)).toBe(KEEP_OPEN);
    } finally {
      await database.close();
      await admin.query(`DROP SCHEMA IF EXISTS "${schema}" CASCADE`);
    }
  });

  it('closes connections beyond the kept ones once idle, and keeps those', async () => {
    const { name, url } = named();
    const pool = createPool(parseDatabaseUrl(url), 8, 200);
    try {
      // Eight at once: the pool grows to its maximum.
      await Promise.all(Array.from({ length: 8 }, () => pool.query('SELECT pg_sleep(0.05)')));
      expect(await serverConnections(name)).toBe(8);
      await waitFor(async () => (await serverConnections(name)) === KEEP_OPEN, 10_000, 'the extra connections to close');
      // Well past the idle limit, the kept ones are still there.
      await new Promise((resolve) => setTimeout(resolve, 600));
      expect(await serverConnections(name)).toBe(KEEP_OPEN);
    } finally {
      await pool.end();
    }
  });

  it('keeps no more than the pool may hold, and a database that is away does not stop the warm-up', async () => {
    const { name, url } = named();
    const small = createPool(parseDatabaseUrl(url), 2);
    const away = createPool(parseDatabaseUrl('postgres://postgres@127.0.0.1:1/test'), 10);
    away.on('error', () => undefined);
    try {
      await warmPool(small);
      expect(await serverConnections(name)).toBe(2);
      await expect(warmPool(away)).resolves.toBeUndefined();
      expect(away.totalCount).toBe(0);
    } finally {
      await Promise.all([small.end(), away.end()]);
    }
  });
});
