import type { ByteEncoding } from './bytes.js';
import { createHash } from 'node:crypto';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { PROJECT_ROOT } from '../lib/project-root.js';

/** The two things migrations need from a driver: run a script, run a query. */
export interface SqlRunner {
  /** How byte parameters travel best on this driver (see db/bytes). */
  readonly byteEncoding: ByteEncoding;
  exec(sql: string): Promise<void>;
  query<T>(sql: string, params?: unknown[]): Promise<T[]>;
  /** Runs `fn` holding a lock that other processes migrating the same database wait for. */
  withMigrationLock<T>(fn: () => Promise<T>): Promise<T>;
}

export const MIGRATIONS_DIR = join(PROJECT_ROOT, 'prisma', 'migrations');

export interface Migration {
  name: string;
  sql: string;
  checksum: string;
}

export function readMigrations(dir = MIGRATIONS_DIR): Migration[] {
  return readdirSync(dir, { withFileTypes: true })
    .filter((entry) => entry.isDirectory())
    .map((entry) => entry.name)
    .sort()
    .map((name) => {
      const sql = readFileSync(join(dir, name, 'migration.sql'), 'utf8');
      return { name, sql, checksum: createHash('sha256').update(sql).digest('hex') };
    });
}

/**
 * Applies prisma/migrations/* in order, each in its own transaction, and
 * records them the way `prisma migrate deploy` does. An applied migration whose
 * file changed afterwards stops start-up: the database no longer matches the code.
 */
export async function migrate(runner: SqlRunner, migrations = readMigrations()): Promise<string[]> {
  return runner.withMigrationLock(async () => {
    await runner.exec(`CREATE TABLE IF NOT EXISTS "_abuse_desk_migrations" (
      name TEXT PRIMARY KEY, checksum TEXT NOT NULL, applied_at TIMESTAMPTZ NOT NULL DEFAULT now())`);
    const rows = await runner.query<{ name: string; checksum: string }>('SELECT name, checksum FROM "_abuse_desk_migrations"');
    const applied = new Map(rows.map((row) => [row.name, row.checksum]));
    const done: string[] = [];
    for (const migration of migrations) {
      const checksum = applied.get(migration.name);
      if (checksum !== undefined) {
        if (checksum !== migration.checksum) {
          throw new Error(`migration ${migration.name} was changed after it was applied; add a new migration instead`);
        }
        continue;
      }
      const name = migration.name.replace(/'/g, "''");
      await runner.exec(
        `BEGIN;\n${migration.sql}\nINSERT INTO "_abuse_desk_migrations" (name, checksum) VALUES ('${name}', '${migration.checksum}');\nCOMMIT;`,
      );
      done.push(migration.name);
    }
    return done;
  });
}
