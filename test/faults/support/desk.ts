import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pg from 'pg';
import { startApp, type RunningApp } from '../../../src/app.js';
import { loadConfig, type Role } from '../../../src/config/index.js';
import { openDatabase, type Database } from '../../../src/db/index.js';
import { silentLogger } from '../../../src/lib/logger.js';
import { TEST_DATABASE_URL } from '../../support/harness.js';
import { buildMessage, SENDER_DOMAIN, SENDER_KEY, signMessage } from '../../support/mail.js';
import { SmtpSession, type Reply } from '../../support/smtp-client.js';
import { sleep } from './util.js';

export const API_TOKEN = 'fault-api-token';

/** One test file's private state: schema, queue prefix, data folder. */
export interface FaultState {
  id: string;
  schema: string;
  prefix: string;
  dataDir: string;
  /** A database handle of the test's own (straight to PostgreSQL), for checking rows. */
  db: Database;
  /** DATABASE_URL for the product: straight, or through a proxy port. */
  databaseUrl(port?: number): string;
  drop(): Promise<void>;
}

/**
 * Creates the schema's tables before the product starts (the product migrates
 * again on start, a no-op then), so a proxy in front of PostgreSQL can come and go.
 */
export async function createFaultState(name: string): Promise<FaultState> {
  const id = randomBytes(4).toString('hex');
  const schema = `f_${name}_${id}`;
  const prefix = `fault-${name}-${id}`;
  const dataDir = mkdtempSync(join(tmpdir(), `abuse-desk-fault-${name}-`));
  const url = (port?: number) => {
    const target = new URL(TEST_DATABASE_URL);
    if (port) target.port = String(port);
    target.searchParams.set('schema', schema);
    return target.toString();
  };
  const db = await openDatabase({ databaseUrl: url(), dataDir, poolSize: 4 });
  let dropped: Promise<void> | undefined;
  return {
    id,
    schema,
    prefix,
    dataDir,
    db,
    databaseUrl: url,
    drop() {
      dropped ??= (async () => {
        await db.close();
        const client = new pg.Client({ connectionString: TEST_DATABASE_URL });
        await client.connect();
        try {
          await client.query(`DROP SCHEMA IF EXISTS "${schema}" CASCADE`);
        } finally {
          await client.end();
        }
        rmSync(dataDir, { recursive: true, force: true });
      })();
      return dropped;
    },
  };
}

/** The product's environment for a test: every knob explicit, ports picked by the kernel. */
export function deskEnv(state: FaultState, overrides: Record<string, string> & { REDIS_URL: string; DNS_SERVERS: string }): Record<string, string> {
  return {
    NODE_ENV: 'test',
    DATA_DIR: state.dataDir,
    DATABASE_URL: state.databaseUrl(),
    QUEUE_PREFIX: state.prefix,
    SMTP_HOST: '127.0.0.1',
    SMTP_PORT: '0',
    HTTP_HOST: '127.0.0.1',
    HTTP_PORT: '0',
    API_TOKEN,
    ADMIN_PASSWORD: 'fault-admin-password',
    REPLY_TOKEN_SECRET: 'fault-reply-secret',
    WEBHOOK_SECRET: 'fault-webhook-secret',
    LOG_LEVEL: 'silent',
    DNS_TIMEOUT_MS: '1000',
    ...overrides,
  };
}

/**
 * The product in this process, built from the environment alone (real DNS
 * over loopback, real outbound relay): for faults that live in another process
 * (Redis, PostgreSQL, DNS, the relay), the product itself need not be a child.
 */
export async function startDesk(env: Record<string, string>, roles: Role[] = ['smtp', 'worker', 'web']): Promise<RunningApp> {
  return startApp({ config: loadConfig(env), roles, logger: silentLogger });
}

let serial = 0;

/** A signed complaint from a verified sender; each call a different message unless `subject` repeats. */
export async function complaint(options: { from?: string; subject?: string; to?: string; text?: string } = {}): Promise<Buffer> {
  serial += 1;
  const from = options.from ?? `erika@${SENDER_DOMAIN}`;
  return signMessage(
    buildMessage({
      from: `Erika Mustermann <${from}>`,
      to: options.to ?? 'complaints@example.net',
      subject: options.subject ?? `Complaint ${serial} ${randomBytes(3).toString('hex')}`,
      text: options.text ?? 'I have been waiting for three weeks for an answer to my support request and nobody replies to me.\n',
    }),
    SENDER_KEY,
  );
}

export interface Transaction {
  session: SmtpSession;
  greeting: Reply;
  /** Sends the message body without the final dot. */
  body(raw: Buffer): void;
  /** Sends the final dot and reads its reply. */
  finish(timeoutMs?: number): Promise<Reply>;
}

/**
 * Opens a session and goes as far as the message body, so a fault can be
 * injected between the body and the final dot (the end of DATA).
 */
export async function openData(port: number, options: { from: string; to: string[] }): Promise<Transaction> {
  const { session, greeting } = await SmtpSession.open(port);
  const expect = (reply: Reply, code: number, what: string) => {
    if (reply.code !== code) {
      session.close();
      throw new Error(`${what}: expected ${code}, got ${reply.code} ${reply.text}`);
    }
  };
  expect(greeting, 220, 'greeting');
  expect(await session.command('EHLO mail.sender.test'), 250, 'EHLO');
  expect(await session.command(`MAIL FROM:<${options.from}>`), 250, 'MAIL');
  for (const to of options.to) expect(await session.command(`RCPT TO:<${to}>`), 250, 'RCPT');
  expect(await session.command('DATA'), 354, 'DATA');
  return {
    session,
    greeting,
    body(raw) {
      const text = raw.toString('latin1').replace(/\r?\n/g, '\r\n').replace(/^\./gm, '..');
      session.write(Buffer.from(text.endsWith('\r\n') ? text : `${text}\r\n`, 'latin1'));
    },
    async finish(timeoutMs = 30_000) {
      session.write('.\r\n');
      return session.read(timeoutMs);
    },
  };
}

/** What a sending MTA does after a 4xx: tries again until accepted, within a bound; a 5xx ends it. */
export async function sendUntilAccepted(
  send: () => Promise<{ final: Reply }>,
  options: { timeoutMs: number; what: string; pauseMs?: number },
): Promise<{ final: Reply; replies: number[] }> {
  const replies: number[] = [];
  const deadline = Date.now() + options.timeoutMs;
  for (;;) {
    const { final } = await send();
    replies.push(final.code);
    if (final.code === 250) return { final, replies };
    if (final.code >= 500 || Date.now() > deadline) {
      throw new Error(`${options.what}: ${final.code} ${final.text} (replies so far: ${replies.join(', ')})`);
    }
    await sleep(options.pauseMs ?? 250);
  }
}

/** The ticket an acknowledgement names. */
export function ticketOf(text: string): string | undefined {
  return /X-Ticket-ID: ([A-Z]{3}-\d{4}-\d{6,9})/.exec(text)?.[1];
}

/** The case reply address an acknowledgement offers (Reply-To). */
export function replyAddressOf(text: string): string | undefined {
  return /^Reply-To: (?:.*<)?(case\+[^>\s]+@[^>\s]+)>?/m.exec(text)?.[1];
}
