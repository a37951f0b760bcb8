import type pg from 'pg';
import type { AppConfig } from '../config/index.js';
import { PrismaClient } from '../generated/prisma/client.js';
import { migrate, type SqlRunner } from './migrate.js';
import { createPool, createPostgresAdapter, parseDatabaseUrl, postgresRunner, warmPool } from './postgres.js';

export { PrismaClient } from '../generated/prisma/client.js';
export type { Prisma } from '../generated/prisma/client.js';

// Raw messages are large: nothing loads them unless it asks for them.
const clientOmit = { inboundMessage: { raw: true }, caseMessage: { raw: true } } as const;

type Adapter = NonNullable<ConstructorParameters<typeof PrismaClient>[0]['adapter']>;

function createClient(adapter: Adapter) {
  return new PrismaClient({ adapter, omit: clientOmit });
}

export type Db = ReturnType<typeof createClient>;
/** A transaction handle, or the client itself: what repository functions take. */
export type Tx = Parameters<Parameters<Db['$transaction']>[0]>[0] | Db;

export interface Database {
  prisma: Db;
  kind: 'postgres' | 'embedded';
  runner: SqlRunner;
  /** Throws when the database does not answer. */
  ping(): Promise<void>;
  close(): Promise<void>;
}

export interface OpenDatabaseOptions {
  databaseUrl?: string;
  dataDir: string;
  poolSize?: number;
  /** Apply prisma/migrations before returning (the default). */
  migrate?: boolean;
}

export async function openDatabase(options: OpenDatabaseOptions): Promise<Database> {
  let database: Database;
  // Its kept connections are opened once the schema is there (below).
  let postgresPool: pg.Pool | undefined;
  if (options.databaseUrl) {
    const target = parseDatabaseUrl(options.databaseUrl);
    const pool = createPool(target, options.poolSize ?? 10);
    postgresPool = pool;
    // An idle client's error (server restart) must not crash the process.
    pool.on('error', () => undefined);
    const prisma = createClient(createPostgresAdapter(pool, target));
    const runner = postgresRunner(pool, target);
    let closed = false;
    database = {
      prisma,
      kind: 'postgres',
      runner,
      ping: async () => {
        await pool.query('SELECT 1');
      },
      close: async () => {
        if (closed) return;
        closed = true;
        await prisma.$disconnect();
        await pool.end();
      },
    };
  } else {
    // PGlite is loaded only by a process that uses it, not by each one against PostgreSQL.
    const { openEmbedded } = await import('./embedded.js');
    const embedded = await openEmbedded(options.dataDir);
    const prisma = createClient(embedded.adapter);
    let closed = false;
    database = {
      prisma,
      kind: 'embedded',
      runner: embedded.runner,
      ping: async () => {
        await embedded.pglite.query('SELECT 1');
      },
      close: async () => {
        if (closed) return;
        closed = true;
        await prisma.$disconnect();
        await embedded.close();
      },
    };
  }
  if (options.migrate !== false) {
    try {
      await migrate(database.runner);
    } catch (error) {
      await database.close();
      throw error;
    }
  }
  if (postgresPool) await warmPool(postgresPool);
  return database;
}

export function openDatabaseFromConfig(config: AppConfig, poolSize?: number): Promise<Database> {
  return openDatabase({ databaseUrl: config.env.DATABASE_URL, dataDir: config.dataDir, poolSize });
}
