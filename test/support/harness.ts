import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Redis } from 'ioredis';
import pg from 'pg';
import { startApp, type RunningApp } from '../../src/app.js';
import type { Role } from '../../src/config/index.js';
import { loadConfig } from '../../src/config/index.js';
import { createZoneResolver, type ZoneResolver } from '../../src/dns/resolver.js';
import type { Zone } from '../../src/dns/zone.js';
import { silentLogger } from '../../src/lib/logger.js';
import type { Envelope, OutboundTransport } from '../../src/outbound/transport.js';
import { movedClock, testNow } from './clock.js';
import { testZone } from './mail.js';

export const TEST_DATABASE_URL = process.env.TEST_DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/test';
export const TEST_REDIS_URL = process.env.TEST_REDIS_URL ?? 'redis://127.0.0.1:6379';

export interface SentMessage {
  envelope: Envelope;
  raw: Buffer;
  text: string;
}

/** An outbound transport that keeps what it is given, and can be made to fail. */
export class CaptureTransport implements OutboundTransport {
  readonly description = 'capture';
  readonly sent: SentMessage[] = [];
  failing: Error | null = null;

  async send(envelope: Envelope, raw: Buffer): Promise<string> {
    if (this.failing) throw this.failing;
    this.sent.push({ envelope, raw, text: raw.toString('utf8') });
    return '250 captured';
  }

  async close(): Promise<void> {}

  to(address: string): SentMessage[] {
    return this.sent.filter((message) => message.envelope.to.includes(address));
  }
}

/** A settable clock for deadline tests; it starts at the test time (support/clock.ts) unless given a date. */
export class TestClock {
  constructor(private current = testNow()) {}
  now = (): Date => new Date(this.current.getTime());
  set(date: Date): void {
    this.current = new Date(date.getTime());
  }
  advance(ms: number): void {
    this.current = new Date(this.current.getTime() + ms);
  }
}

export interface TestAppOptions {
  database?: 'postgres' | 'embedded';
  roles?: Role[];
  zone?: Zone;
  clock?: TestClock;
  env?: Record<string, string>;
  /** Reuse the schema, queue prefix and data folder of an earlier instance (restart tests). */
  reuse?: TestApp;
  /**
   * DNS from a real server on loopback (test/support/dns-server.ts, "host:port")
   * through the product's own resolver, instead of zone data injected in-process.
   */
  dnsServer?: string;
}

export interface TestApp {
  app: RunningApp;
  transport: CaptureTransport;
  resolver: ZoneResolver;
  schema: string | null;
  prefix: string;
  dataDir: string;
  env: Record<string, string>;
  smtpPort: number;
  httpPort: number;
  /** Stops the app; `drop` also removes its schema, queues and data folder. */
  stop(options?: { drop?: boolean }): Promise<void>;
}

/**
 * The whole product in-process against real PostgreSQL (a fresh schema) or
 * the embedded database, real Redis (its own queue prefix), DNS answered from
 * zone data, and outgoing mail captured.
 */
export async function startTestApp(options: TestAppOptions = {}): Promise<TestApp> {
  const id = randomBytes(4).toString('hex');
  const schema = options.reuse ? options.reuse.schema : options.database === 'embedded' ? null : `t_${id}`;
  const prefix = options.reuse?.prefix ?? `test-${id}`;
  const dataDir = options.reuse?.dataDir ?? mkdtempSync(join(tmpdir(), 'abuse-desk-test-'));
  const env: Record<string, string> = options.reuse?.env ?? {
    NODE_ENV: 'test',
    DATA_DIR: dataDir,
    REDIS_URL: TEST_REDIS_URL,
    SMTP_HOST: '127.0.0.1',
    SMTP_PORT: '0',
    HTTP_HOST: '127.0.0.1',
    HTTP_PORT: '0',
    QUEUE_PREFIX: prefix,
    API_TOKEN: 'test-api-token',
    ADMIN_PASSWORD: 'test-admin-password',
    REPLY_TOKEN_SECRET: 'test-reply-secret',
    WEBHOOK_SECRET: 'test-webhook-secret',
    LOG_LEVEL: 'silent',
    ...(schema ? { DATABASE_URL: `${TEST_DATABASE_URL}?schema=${schema}` } : {}),
    ...(options.dnsServer ? { DNS_SERVERS: options.dnsServer } : {}),
    ...options.env,
  };
  const resolver = options.reuse?.resolver ?? createZoneResolver(options.zone ?? testZone());
  const transport = options.reuse?.transport ?? new CaptureTransport();
  const app = await startApp({
    config: loadConfig(env),
    roles: options.roles ?? ['smtp', 'worker', 'web'],
    logger: silentLogger,
    now: options.clock?.now ?? movedClock,
    resolver: options.dnsServer ? undefined : resolver,
    transport,
    sweepIntervalMs: 0,
  });
  return {
    app,
    transport,
    resolver,
    schema,
    prefix,
    dataDir,
    env,
    smtpPort: app.smtpPort ?? 0,
    httpPort: app.httpPort ?? 0,
    async stop(stopOptions = {}) {
      await app.stop(10_000);
      if (stopOptions.drop) await dropTestState({ schema, prefix, dataDir });
    },
  };
}

export async function dropTestState(state: { schema: string | null; prefix: string; dataDir: string }): Promise<void> {
  if (state.schema) {
    const client = new pg.Client({ connectionString: TEST_DATABASE_URL });
    await client.connect();
    try {
      await client.query(`DROP SCHEMA IF EXISTS "${state.schema}" CASCADE`);
    } finally {
      await client.end();
    }
  }
  const redis = new Redis(TEST_REDIS_URL);
  try {
    let cursor = '0';
    do {
      const [next, keys] = await redis.scan(cursor, 'MATCH', `${state.prefix}:*`, 'COUNT', 1000);
      cursor = next;
      if (keys.length > 0) await redis.del(...keys);
    } while (cursor !== '0');
  } finally {
    redis.disconnect();
  }
  rmSync(state.dataDir, { recursive: true, force: true });
}

/** Polls until `check` returns a value (not undefined/false), or fails after `timeoutMs`. */
/**
 * Waits until every message taken so far has been turned into case work. Its
 * row is marked processed in the same transaction as everything it caused
 * (case changes, events, outgoing mail), so once none is left `stored`, an
 * assertion that something did not happen is final, not a guess about timing.
 */
export async function intakeSettled(t: Pick<TestApp, 'app'>, timeoutMs = 15_000): Promise<void> {
  await waitFor(async () => (await t.app.database.prisma.inboundMessage.count({ where: { status: 'stored' } })) === 0, timeoutMs, 'every stored message processed');
}

/** Outgoing messages to `address` that the case work has written (sending is done from these rows only). */
export function outgoingTo(t: Pick<TestApp, 'app'>, address: string): Promise<number> {
  return t.app.database.prisma.caseMessage.count({ where: { direction: 'out', to: { has: address } } });
}

export async function waitFor<T>(check: () => Promise<T | undefined | false | null> | T | undefined | false | null, timeoutMs = 15_000, what = 'condition'): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  let last: unknown;
  while (Date.now() < deadline) {
    try {
      const value = await check();
      if (value !== undefined && value !== false && value !== null) return value;
    } catch (error) {
      last = error;
    }
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}${last ? `: ${String(last)}` : ''}`);
}
