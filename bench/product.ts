import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { Queue } from 'bullmq';
import { Redis } from 'ioredis';
import { LoadConnection } from './smtp-connection.js';
import { spawnNode, waitUntilReady, type NodeChild } from './processes.js';
import { freePort } from './util.js';

/**
 * The product under test, started as `npm start` starts it (`node
 * dist/src/main.js`, built from the sources first), either
 * as one process with every role and the database it was given, or split:
 * two SMTP listeners, two workers and one web process sharing PostgreSQL.
 */

export const API_TOKEN = 'bench-api-token';
const START_TIMEOUT_MS = 120_000;
/** What `npm start` runs (package.json). */
export const PRODUCT_ENTRY = 'dist/src/main.js';

export interface ProductOptions {
  repoRoot: string;
  workDir: string;
  split: boolean;
  databaseUrl?: string;
  redisUrl: string;
  queuePrefix: string;
  dnsServer: string;
  outboundUrl: string;
  /** Folder for CPU profiles; none when unset. */
  cpuProfDir?: string;
  /** Where bench/db-stats.ts writes the embedded database's statistics; off when unset. */
  dbStatsFile?: string;
  /** NODE_OPTIONS for every process of the product. */
  nodeOptions?: string | null;
}

export interface Product {
  children: NodeChild[];
  smtpPorts: number[];
  httpPort: number;
  /** Stops every process (SIGTERM, then SIGKILL); resolves with each exit status. */
  stop(): Promise<Array<{ name: string; status: number | string }>>;
}

export type Role = 'all' | 'smtp' | 'worker' | 'web';

/** The environment of one product process: every knob explicit, nothing inherited but PATH and HOME. */
export function productEnv(options: {
  dataDir: string;
  smtpPort: number;
  httpPort: number;
  redisUrl: string;
  queuePrefix: string;
  dnsServer: string;
  outboundUrl?: string;
  databaseUrl?: string;
  nodeOptions?: string | null;
  logLevel?: string;
}): NodeJS.ProcessEnv {
  return {
    PATH: process.env.PATH,
    HOME: process.env.HOME,
    NODE_ENV: 'development',
    DATA_DIR: options.dataDir,
    REDIS_URL: options.redisUrl,
    QUEUE_PREFIX: options.queuePrefix,
    SMTP_HOST: '127.0.0.1',
    SMTP_PORT: String(options.smtpPort),
    HTTP_HOST: '127.0.0.1',
    HTTP_PORT: String(options.httpPort),
    DNS_SERVERS: options.dnsServer,
    LOG_LEVEL: options.logLevel ?? 'warn',
    API_TOKEN,
    ADMIN_PASSWORD: 'bench-admin-password',
    REPLY_TOKEN_SECRET: 'bench-reply-token-secret',
    WEBHOOK_SECRET: 'bench-webhook-secret',
    ...(options.outboundUrl ? { OUTBOUND_SMTP_URL: options.outboundUrl } : {}),
    ...(options.databaseUrl ? { DATABASE_URL: options.databaseUrl } : {}),
    ...(options.nodeOptions ? { NODE_OPTIONS: options.nodeOptions } : {}),
  };
}

export async function startProduct(options: ProductOptions): Promise<Product> {
  const layout: Array<{ name: string; role: Role }> = options.split
    ? [
        { name: 'smtp-1', role: 'smtp' },
        { name: 'smtp-2', role: 'smtp' },
        { name: 'worker-1', role: 'worker' },
        { name: 'worker-2', role: 'worker' },
        { name: 'web', role: 'web' },
      ]
    : [{ name: 'product', role: 'all' }];

  const httpPort = await freePort();
  const children: NodeChild[] = [];
  const smtpPorts: number[] = [];
  const ready: Array<Promise<void>> = [];
  for (const { name, role } of layout) {
    const smtpPort = role === 'all' || role === 'smtp' ? await freePort() : 0;
    if (smtpPort) smtpPorts.push(smtpPort);
    const dataDir = join(options.workDir, `data-${name}`);
    mkdirSync(dataDir, { recursive: true });
    const env = productEnv({ ...options, dataDir, smtpPort, httpPort: role === 'all' || role === 'web' ? httpPort : 0 });
    // One folder per process (with --db-stats, the tsx loader thread writes a profile of its own next to the main thread's).
    const nodeArgs = options.cpuProfDir ? ['--cpu-prof', `--cpu-prof-dir=${join(options.cpuProfDir, name)}`] : [];
    if (options.dbStatsFile) {
      nodeArgs.push('--import', join(options.repoRoot, 'bench/db-stats.ts'));
      env.BENCH_DB_STATS_FILE = options.dbStatsFile;
    }
    const child = spawnNode(name, PRODUCT_ENTRY, role === 'all' ? [] : ['--role', role], {
      cwd: options.repoRoot,
      env,
      logFile: join(options.workDir, `${name}.log`),
      nodeArgs,
    });
    children.push(child);
    const check =
      role === 'smtp'
        ? () => greets(smtpPort)
        : role === 'worker'
          ? () => Promise.resolve(true)
          : () => healthy(httpPort);
    ready.push(waitUntilReady(child, check, START_TIMEOUT_MS, role === 'all' ? 'answering /healthz (every role started)' : `the ${role} role answering`));
  }
  const stop = async () =>
    Promise.all(children.map(async (child) => ({ name: child.name, status: await child.stop(30_000).catch((error: unknown) => String(error)) })));
  try {
    await Promise.all(ready);
    if (options.split) {
      const workers = children.filter((child) => child.name.startsWith('worker'));
      await waitUntilReady(workers[0] as NodeChild, () => workersListening(options.redisUrl, options.queuePrefix, workers.length), START_TIMEOUT_MS, 'both workers taking jobs');
    }
  } catch (error) {
    await stop();
    throw error;
  }
  return { children, smtpPorts, httpPort, stop };
}

async function greets(port: number): Promise<boolean> {
  const connection = await LoadConnection.open('127.0.0.1', port, 5_000);
  connection.close();
  return true;
}

async function healthy(port: number): Promise<boolean> {
  const response = await fetch(`http://127.0.0.1:${port}/healthz`, { signal: AbortSignal.timeout(2_000) });
  return response.ok;
}

/** BullMQ names its worker connections, so Redis can tell how many take intake and outbound jobs. */
async function workersListening(redisUrl: string, prefix: string, expected: number): Promise<boolean> {
  const connection = new Redis(redisUrl, { maxRetriesPerRequest: 1, connectTimeout: 3_000 });
  connection.on('error', () => undefined);
  const queues = ['intake', 'outbound'].map((name) => new Queue(name, { connection, prefix }));
  try {
    const counts = await Promise.all(queues.map((queue) => queue.getWorkersCount()));
    return counts.every((count) => count >= expected);
  } finally {
    await Promise.all(queues.map((queue) => queue.close()));
    connection.disconnect();
  }
}
