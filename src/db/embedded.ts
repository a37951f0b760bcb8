import { execFile } from 'node:child_process';
import { existsSync, mkdirSync, readdirSync, renameSync, rmSync, rmdirSync, statSync } from 'node:fs';
import { createRequire } from 'node:module';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { PGlite } from '@electric-sql/pglite';
import { PrismaPGlite } from 'pglite-prisma-adapter';
import { DatabaseLockedError, tryLockFile } from './data-lock.js';
import type { SqlRunner } from './migrate.js';

export interface EmbeddedDatabase {
  pglite: PGlite;
  adapter: PrismaPGlite;
  runner: SqlRunner;
  close(): Promise<void>;
}

export { DatabaseLockedError } from './data-lock.js';

/**
 * Smaller buffers than PGlite's. PostgreSQL's shared buffers live in PGlite's
 * WebAssembly memory and are touched at start: the default 128 MB was most of
 * an idle process's memory. 16 MB holds this schema's hot pages; the operating
 * system caches the data files behind them. Given after PGlite's own flags,
 * which the option replaces, so they are kept.
 */
const START_PARAMS = [...PGlite.defaultStartParams, '-c', 'shared_buffers=16MB'];

// proper-lockfile's lock folder, kept fresh every 5 s by releases before this one.
const LEGACY_LOCK_FRESH_MS = 15_000;

/**
 * PGlite in DATA_DIR/pgdata. PGlite does not lock its folder and two processes
 * opening it corrupt it, so we hold a lock (data-lock.ts) for as long as it is
 * open; the kernel releases it when the process dies, so a restart after a
 * crash starts at once.
 */
export async function openEmbedded(dataDir: string): Promise<EmbeddedDatabase> {
  const dir = join(dataDir, 'pgdata');
  mkdirSync(dataDir, { recursive: true });
  const lockPath = join(dataDir, 'pgdata.lock');
  const inUse = (holder: string) =>
    new DatabaseLockedError(`the embedded database in ${dir} is in use by ${holder}; it serves one process only (set DATABASE_URL to run several)`);
  if (existsSync(lockPath) && statSync(lockPath).isDirectory()) {
    if (Date.now() - statSync(lockPath).mtimeMs < LEGACY_LOCK_FRESH_MS) throw inUse('a process of an earlier release');
    rmSync(lockPath, { recursive: true, force: true });
  }
  const lock = await tryLockFile(lockPath);
  if (!lock.held) throw inUse(lock.holderPid ? `another process (pid ${lock.holderPid})` : 'another process');
  try {
    await initialiseOnce(dir);
    const pglite = new PGlite(dir, { startParams: START_PARAMS });
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
        try {
          await pglite.close();
        } finally {
          lock.release();
        }
      },
    };
  } catch (error) {
    lock.release();
    throw error;
  }
}

/**
 * Creates the database cluster on first start, in a short-lived child
 * process: PGlite's initdb takes about 500 MB that a process never gives back
 * to the system, and a long-running server should not carry that for its whole
 * life. It is built beside `dir` and renamed into place, so a start that is
 * killed half-way leaves nothing half-made.
 */
async function initialiseOnce(dir: string): Promise<void> {
  if (existsSync(join(dir, 'PG_VERSION'))) return;
  if (existsSync(dir)) {
    if (readdirSync(dir).length > 0) throw new Error(`${dir} holds files but no database (no PG_VERSION); move it away to start afresh`);
    rmdirSync(dir);
  }
  const staging = `${dir}.new`;
  rmSync(staging, { recursive: true, force: true });
  const pgliteModule = createRequire(import.meta.url).resolve('@electric-sql/pglite');
  const script = `const { PGlite } = require(process.argv[1]);
(async () => { const db = new PGlite(process.argv[2]); await db.waitReady; await db.close(); })()
  .catch((error) => { console.error(error); process.exit(1); });`;
  try {
    await promisify(execFile)(process.execPath, ['-e', script, pgliteModule, staging], { timeout: 120_000 });
  } catch (error) {
    rmSync(staging, { recursive: true, force: true });
    throw new Error(`creating the embedded database in ${dir} failed: ${(error as { stderr?: string }).stderr || String(error)}`, { cause: error });
  }
  renameSync(staging, dir);
}
