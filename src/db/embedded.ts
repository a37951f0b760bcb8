import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { PGlite } from '@electric-sql/pglite';
import { PrismaPGlite } from 'pglite-prisma-adapter';
import lockfile from 'proper-lockfile';
import type { SqlRunner } from './migrate.js';

export interface EmbeddedDatabase {
  pglite: PGlite;
  adapter: PrismaPGlite;
  runner: SqlRunner;
  close(): Promise<void>;
}

export class DatabaseLockedError extends Error {
  override readonly name = 'DatabaseLockedError';
}

/**
 * PGlite in DATA_DIR/pgdata. PGlite does not lock its folder and two processes
 * opening it corrupt it, so we hold a lock for as long as it is open.
 */
export async function openEmbedded(dataDir: string): Promise<EmbeddedDatabase> {
  const dir = join(dataDir, 'pgdata');
  mkdirSync(dir, { recursive: true });
  let release: () => Promise<void>;
  try {
    release = await lockfile.lock(dir, { stale: 15_000, update: 5_000, lockfilePath: join(dataDir, 'pgdata.lock') });
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ELOCKED') {
      throw new DatabaseLockedError(
        `the embedded database in ${dir} is in use by another process; it serves one process only (set DATABASE_URL to run several)`,
      );
    }
    throw error;
  }
  try {
    const pglite = new PGlite(dir);
    await pglite.waitReady;
    const runner: SqlRunner = {
      byteEncoding: 'base64',
      async exec(sql) {
        await pglite.exec(sql);
      },
      async query<T>(sql: string, params: unknown[] = []) {
        return (await pglite.query<T>(sql, params)).rows;
      },
      withMigrationLock: (fn) => fn(),
    };
    let closed = false;
    return {
      pglite,
      adapter: new PrismaPGlite(pglite),
      runner,
      async close() {
        if (closed) return;
        closed = true;
        await pglite.close();
        await release();
      },
    };
  } catch (error) {
    await release();
    throw error;
  }
}
