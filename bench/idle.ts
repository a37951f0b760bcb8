import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { spawnNode, readProc, waitUntilReady } from './processes.js';
import { PRODUCT_ENTRY, productEnv, type Role } from './product.js';
import { createSchema, deleteQueueKeys, dropSchema } from './state.js';
import { BenchError, freePort, sleep } from './util.js';

/**
 * `npm run bench -- --idle`: each role started on its own as `npm start`
 * starts it, with no mail at all: how long until it is ready, and how much
 * memory it holds once it has settled. The resident set of an idle Node
 * process moves with its garbage collector, so it is sampled once a second
 * over a window and reported as median and maximum.
 */

export interface IdleOptions {
  repoRoot: string;
  workDir: string;
  redisUrl: string;
  postgresUrl: string;
  runId: string;
  dnsServer: string;
  nodeOptions: string | null;
  settleSeconds: number;
  sampleSeconds: number;
}

export interface IdleFigure {
  name: string;
  role: Role;
  database: 'embedded' | 'postgres';
  /** From spawning the process to its "abuse desk running" line (every role started). */
  readyMs: number;
  rssMedianBytes: number;
  rssMaxBytes: number;
}

interface IdleCase {
  name: string;
  role: Role;
  database: 'embedded' | 'postgres';
  /** Another case's data folder to start on again (a restart), instead of a new one. */
  reuse?: string;
}

const CASES: IdleCase[] = [
  { name: 'all roles, embedded, first start', role: 'all', database: 'embedded' },
  { name: 'all roles, embedded, restart', role: 'all', database: 'embedded', reuse: 'all roles, embedded, first start' },
  { name: 'all roles, PostgreSQL', role: 'all', database: 'postgres' },
  { name: '--role smtp, PostgreSQL', role: 'smtp', database: 'postgres' },
  { name: '--role worker, PostgreSQL', role: 'worker', database: 'postgres' },
  { name: '--role web, PostgreSQL', role: 'web', database: 'postgres' },
];

const START_TIMEOUT_MS = 180_000;

export async function measureIdle(options: IdleOptions, say: (line: string) => void): Promise<IdleFigure[]> {
  const figures: IdleFigure[] = [];
  const folders = new Map<string, string>();
  for (const [index, idle] of CASES.entries()) {
    const dataDir = idle.reuse ? (folders.get(idle.reuse) as string) : join(options.workDir, `idle-${index}`);
    mkdirSync(dataDir, { recursive: true });
    folders.set(idle.name, dataDir);
    const schema = `bench_idle_${options.runId}_${index}`;
    const queuePrefix = `bench-idle-${options.runId}-${index}`;
    const databaseUrl = idle.database === 'postgres' ? await createSchema(options.postgresUrl, schema) : undefined;
    try {
      say(`idle: ${idle.name}`);
      figures.push({ ...(await measureOne(idle, dataDir, databaseUrl, queuePrefix, options)), name: idle.name, role: idle.role, database: idle.database });
    } finally {
      await deleteQueueKeys(options.redisUrl, queuePrefix);
      if (databaseUrl) await dropSchema(options.postgresUrl, schema);
    }
  }
  return figures;
}

async function measureOne(
  idle: IdleCase,
  dataDir: string,
  databaseUrl: string | undefined,
  queuePrefix: string,
  options: IdleOptions,
): Promise<Pick<IdleFigure, 'readyMs' | 'rssMedianBytes' | 'rssMaxBytes'>> {
  const web = idle.role === 'all' || idle.role === 'web';
  const smtp = idle.role === 'all' || idle.role === 'smtp';
  const env = productEnv({
    dataDir,
    smtpPort: smtp ? await freePort() : 0,
    httpPort: web ? await freePort() : 0,
    redisUrl: options.redisUrl,
    queuePrefix,
    dnsServer: options.dnsServer,
    databaseUrl,
    nodeOptions: options.nodeOptions,
    // The readiness line is logged at info.
    logLevel: 'info',
  });
  let running = false;
  const started = performance.now();
  let readyAt = 0;
  const child = spawnNode(`idle-${idle.role}-${idle.database}`, PRODUCT_ENTRY, idle.role === 'all' ? [] : ['--role', idle.role], {
    cwd: options.repoRoot,
    env,
    logFile: join(options.workDir, `idle-${idle.role}-${idle.database}.log`),
    onLine: (line) => {
      if (!running && line.includes('"msg":"abuse desk running"')) {
        running = true;
        readyAt = performance.now();
      }
    },
  });
  let figure: Pick<IdleFigure, 'readyMs' | 'rssMedianBytes' | 'rssMaxBytes'>;
  try {
    await waitUntilReady(child, async () => running, START_TIMEOUT_MS, 'its "abuse desk running" line');
    await sleep(options.settleSeconds * 1000);
    const samples: number[] = [];
    for (let second = 0; second < options.sampleSeconds; second++) {
      const sample = readProc(child.pid);
      if (!sample) throw new BenchError(`${child.name} ended while idle:\n  ${child.tail().slice(-15).join('\n  ')}`);
      samples.push(sample.rssBytes);
      await sleep(1000);
    }
    samples.sort((a, b) => a - b);
    figure = { readyMs: readyAt - started, rssMedianBytes: samples[Math.floor(samples.length / 2)] ?? 0, rssMaxBytes: samples.at(-1) ?? 0 };
  } catch (error) {
    await child.stop(30_000);
    throw error;
  }
  const status = await child.stop(30_000);
  if (status !== 0) throw new BenchError(`${child.name} exited with ${status} after SIGTERM`);
  return figure;
}

export function formatIdle(figures: IdleFigure[], options: Pick<IdleOptions, 'settleSeconds' | 'sampleSeconds' | 'nodeOptions'>): string {
  const mib = (bytes: number) => `${(bytes / 1024 / 1024).toFixed(0)} MiB`;
  const rows: string[][] = [['process', 'ready after', 'idle RSS median', 'max'], ...figures.map((figure) => [figure.name, `${(figure.readyMs / 1000).toFixed(1)} s`, mib(figure.rssMedianBytes), mib(figure.rssMaxBytes)])];
  const widths = rows[0]?.map((_, column) => Math.max(...rows.map((row) => (row[column] ?? '').length))) ?? [];
  const lines = rows.map((row) => row.map((cell, column) => (column === 0 ? cell.padEnd(widths[column] ?? 0) : cell.padStart(widths[column] ?? 0))).join('  '));
  return [
    `abuse-desk bench: idle processes (RSS sampled each second for ${options.sampleSeconds} s, ${options.settleSeconds} s after ready)${options.nodeOptions ? `, NODE_OPTIONS=${options.nodeOptions}` : ''}`,
    '',
    ...lines,
  ].join('\n');
}
