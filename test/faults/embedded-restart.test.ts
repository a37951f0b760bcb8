import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startDnsServer, type ZoneDnsServer as TestDnsServer } from '../../src/dns/zone-server.js';
import { waitFor } from '../support/harness.js';
import { SENDER_DOMAIN, testZone } from '../support/mail.js';
import { startSink, type MailSink } from '../support/mail-sink.js';
import { freePort, npmStart, type NpmStarted } from '../support/npm-start.js';
import { sendMail } from '../support/smtp-client.js';
import { complaint } from './support/desk.js';
import { startPrivateRedis, type PrivateRedis } from './support/private-redis.js';

const MESSAGES = 3;
const API_TOKEN = `restart-${randomBytes(6).toString('hex')}`;

/**
 * `npm start` on the embedded database, as a new user runs it, killed with
 * SIGKILL (what a crash, the OOM killer or a power cut leave behind) and
 * started again at once, as systemd's Restart=always would: it starts, and
 * finishes the work the first process had taken. The first process cannot
 * reach its relay, so every acknowledgement is still owed when it dies.
 * While a process holds the database, a second one is refused, by name.
 */
describe('fault: the embedded database after SIGKILL', () => {
  const workDir = mkdtempSync(join(tmpdir(), 'abuse-desk-restart-'));
  let dns: TestDnsServer;
  let sink: MailSink;
  let redis: PrivateRedis;
  let env: Record<string, string>;
  const started: NpmStarted[] = [];

  const start = async (overrides: Record<string, string> = {}): Promise<{ product: NpmStarted; smtpPort: number; httpPort: number }> => {
    const [smtpPort, httpPort] = [await freePort(), await freePort()];
    const product = npmStart({ ...env, SMTP_PORT: String(smtpPort), HTTP_PORT: String(httpPort), ...overrides });
    started.push(product);
    return { product, smtpPort, httpPort };
  };

  beforeAll(async () => {
    [dns, sink, redis] = await Promise.all([startDnsServer({ zone: testZone() }), startSink(), startPrivateRedis()]);
    env = {
      DATA_DIR: join(workDir, 'data'),
      REDIS_URL: redis.url,
      QUEUE_PREFIX: `restart-${randomBytes(4).toString('hex')}`,
      DNS_SERVERS: dns.address,
      SMTP_HOST: '127.0.0.1',
      HTTP_HOST: '127.0.0.1',
      API_TOKEN,
      OUTBOUND_RETRY_DELAY_MS: '500',
      SWEEP_INTERVAL_MS: '1000',
      SWEEP_GRACE_MS: '500',
    };
  }, 60_000);

  afterAll(async () => {
    for (const product of started) product.kill();
    await Promise.all(started.map((product) => product.exited));
    await Promise.all([sink?.close(), dns?.stop(), redis?.close()]);
    rmSync(workDir, { recursive: true, force: true });
  }, 60_000);

  it('refuses a second process while the first lives, naming it', async () => {
    const first = await start();
    await first.product.waitForLine(/abuse desk running/, 120_000);
    const second = await start();
    expect(await second.product.exited).toBe(1);
    expect(second.product.output()).toMatch(/the embedded database in .*pgdata is in use by another process \(pid \d+\); it serves one process only \(set DATABASE_URL to run several\)/);
    // The first one carries on.
    const health = await fetch(`http://127.0.0.1:${first.httpPort}/readyz`);
    expect(health.status).toBe(200);
    first.product.kill();
    await first.product.exited;
  }, 180_000);

  it('starts again at once after SIGKILL and processes what the killed process had stored', async () => {
    // Port 9 on loopback: nothing listens there, so no acknowledgement leaves the first process.
    const first = await start({ OUTBOUND_SMTP_URL: 'smtp://127.0.0.1:9' });
    await first.product.waitForLine(/abuse desk running/, 120_000);
    const senders = Array.from({ length: MESSAGES }, (_, i) => `crash${i}@${SENDER_DOMAIN}`);
    for (const sender of senders) {
      const result = await sendMail({ port: first.smtpPort, from: sender, to: ['complaints@example.net'], raw: await complaint({ from: sender }) });
      expect(result.final.code).toBe(250);
    }
    first.product.kill();
    await first.product.exited;

    const second = await start({ OUTBOUND_SMTP_URL: sink.url });
    await second.product.waitForLine(/abuse desk running/, 120_000);
    expect(second.product.output()).not.toMatch(/in use by/);
    await waitFor(() => senders.every((sender) => sink.to(sender).length > 0), 60_000, 'an acknowledgement to every sender');
    const listed = (await (await fetch(`http://127.0.0.1:${second.httpPort}/api/cases?limit=50`, { headers: { Authorization: `Bearer ${API_TOKEN}` } })).json()) as {
      items: Array<{ complainant?: string; complainantAddress?: string }>;
    };
    expect(listed.items).toHaveLength(MESSAGES);
    for (const sender of senders) expect(sink.to(sender)).toHaveLength(1);
  }, 240_000);
});
