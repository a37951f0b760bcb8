import { execFile } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Redis } from 'ioredis';
import { simpleParser } from 'mailparser';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startDnsServer, type ZoneDnsServer } from '../../src/dns/zone-server.js';
import { buildMessage, FORGER_KEY, SENDER_KEY, signMessage, testZone } from '../support/mail.js';
import { startSink, type MailSink } from '../support/mail-sink.js';
import { freePort, npmStart, type NpmStarted } from '../support/npm-start.js';

/**
 * The "done when" of the intake issue, as a new user would check it: the
 * product started with `npm start` (embedded database, no DATABASE_URL), a
 * DKIM-signed complaint sent with swaks, the acknowledgement caught at the
 * relay, the case in the API; forged, anonymous and automated mail refused
 * during the session; SIGTERM ends it cleanly.
 */

const SWAKS = '/usr/bin/swaks';
const REDIS_URL = process.env.TEST_REDIS_URL ?? 'redis://127.0.0.1:6379';
const API_TOKEN = `e2e-${randomBytes(8).toString('hex')}`;
const COMPLAINANT = 'erika@sender.test';
const MAILBOX = 'complaints@example.net';

interface SwaksResult {
  code: number;
  output: string;
}

describe('npm start, then swaks', () => {
  const prefix = `e2e-swaks-${randomBytes(4).toString('hex')}`;
  const workDir = mkdtempSync(join(tmpdir(), 'abuse-desk-e2e-'));
  let dns: ZoneDnsServer;
  let sink: MailSink;
  let product: NpmStarted;
  let smtpPort: number;
  let httpPort: number;

  /** swaks against the product, bounded; never throws on a refusal (its exit code says it). */
  const swaks = (message: Buffer, args: string[]): Promise<SwaksResult> => {
    const file = join(workDir, `message-${randomBytes(4).toString('hex')}.eml`);
    writeFileSync(file, message);
    return new Promise((resolve, reject) => {
      execFile(
        SWAKS,
        ['--server', `127.0.0.1:${smtpPort}`, '--to', MAILBOX, '--helo', 'mail.sender.test', '--data', `@${file}`, '--timeout', '20', ...args],
        { timeout: 30_000 },
        (error, stdout, stderr) => {
          const output = `${stdout}${stderr}`;
          if (error && typeof error.code !== 'number') reject(new Error(`swaks did not run: ${error.message}\n${output}`));
          else resolve({ code: error ? (error.code as number) : 0, output });
        },
      );
    });
  };

  const complaint = (from: string, key = SENDER_KEY) =>
    signMessage(
      buildMessage({
        from,
        to: MAILBOX,
        subject: 'Beschwerde über die Bearbeitung meines Domainumzugs',
        text: 'Sehr geehrte Damen und Herren,\n\nseit drei Wochen warte ich auf den Abschluss meines Domainumzugs. Der Kundendienst hat mir zweimal einen Termin versprochen, passiert ist nichts.\n\nIch bitte Sie, die Sache zu prüfen und mir mitzuteilen, wann der Umzug erledigt wird.\n\nMit freundlichen Grüßen\nErika Mustermann\n',
      }),
      key,
    );

  beforeAll(async () => {
    dns = await startDnsServer({ zone: testZone() });
    sink = await startSink({ keepRaw: true });
    smtpPort = await freePort();
    httpPort = await freePort();
    product = npmStart({
      DATA_DIR: join(workDir, 'data'),
      DNS_SERVERS: dns.address,
      OUTBOUND_SMTP_URL: sink.url,
      SMTP_HOST: '127.0.0.1',
      SMTP_PORT: String(smtpPort),
      HTTP_HOST: '127.0.0.1',
      HTTP_PORT: String(httpPort),
      QUEUE_PREFIX: prefix,
      REDIS_URL,
      API_TOKEN,
    });
    await product.waitForLine(/abuse desk running/, 90_000);
  }, 120_000);

  afterAll(async () => {
    product?.kill();
    await sink?.close();
    await dns?.stop();
    const redis = new Redis(REDIS_URL, { maxRetriesPerRequest: 1, lazyConnect: true });
    try {
      await redis.connect();
      let cursor = '0';
      do {
        const [next, keys] = await redis.scan(cursor, 'MATCH', `${prefix}:*`, 'COUNT', 1000);
        cursor = next;
        if (keys.length > 0) await redis.del(...keys);
      } while (cursor !== '0');
    } finally {
      redis.disconnect();
    }
    rmSync(workDir, { recursive: true, force: true });
  }, 60_000);

  let ticket: string;
  let messageId: string;

  it('accepts a signed complaint and acknowledges it in German, with the case in the API', async () => {
    const raw = await complaint(`Erika Mustermann <${COMPLAINANT}>`);
    messageId = /^Message-ID: <([^>]+)>/im.exec(raw.toString('utf8'))?.[1] as string;
    const sent = await swaks(raw, ['--from', COMPLAINANT]);
    expect(sent.output).toMatch(/<-\s+250 2\.6\.0 Queued as /);
    expect(sent.code, sent.output).toBe(0);

    const ack = await waitFor(() => sink.to(COMPLAINANT)[0], 30_000, 'the acknowledgement at the relay');
    expect(ack.mailFrom).toBe('');
    expect(ack.autoSubmitted).toBe('auto-replied');
    expect(ack.inReplyTo).toBe(messageId);
    expect(ack.ticket).toMatch(/^CMP-\d{4}-\d{6}$/);
    ticket = ack.ticket as string;
    const parsed = await simpleParser(ack.raw as Buffer);
    expect(parsed.subject).toContain(`[${ticket}]`);
    // In German, as the complaint was: the greeting, the ticket and the response time in working days.
    expect(parsed.text).toMatch(/^Sehr geehrte Damen und Herren,/m);
    expect(parsed.text).toContain(`vielen Dank für Ihre Beschwerde. Wir haben sie erhalten und unter der Ticketnummer ${ticket} erfasst.`);
    expect(parsed.text).toMatch(/binnen \d+ Werktagen zu antworten/);

    const unauthorised = await fetch(`http://127.0.0.1:${httpPort}/api/cases/${ticket}`, { signal: AbortSignal.timeout(10_000) });
    expect(unauthorised.status).toBe(401);
    const response = await fetch(`http://127.0.0.1:${httpPort}/api/cases/${ticket}`, {
      headers: { Authorization: `Bearer ${API_TOKEN}` },
      signal: AbortSignal.timeout(10_000),
    });
    expect(response.status).toBe(200);
    const view = (await response.json()) as { auth: { verified: boolean }; messages: Array<{ direction: string; messageId: string }> };
    expect(view).toMatchObject({ ticket, kind: 'complaint', language: 'de', brand: 'example-net', complainant: { address: COMPLAINANT, name: 'Erika Mustermann' } });
    expect(view.auth.verified).toBe(true);
    expect(view.messages.some((message) => message.direction === 'in' && message.messageId.includes(messageId))).toBe(true);
  });

  it('refuses a forged From during the session', async () => {
    // From @sender.test, but only forger.test vouches for it (its SPF and its signature).
    const raw = await complaint(`Erika Mustermann <${COMPLAINANT}>`, FORGER_KEY);
    const sent = await swaks(raw, ['--from', 'mailer@forger.test']);
    expect(sent.code, sent.output).not.toBe(0);
    expect(sent.output).toMatch(/<\*\*\s+550 5\.7\.1 /);
  });

  it('refuses an anonymous message (no From header) during the session', async () => {
    const signed = await complaint(`Erika Mustermann <${COMPLAINANT}>`);
    const anonymous = Buffer.from(signed.toString('utf8').replace(/^From: .*\r\n/m, ''), 'utf8');
    expect(anonymous.toString('utf8')).not.toMatch(/^From:/m);
    const sent = await swaks(anonymous, ['--from', COMPLAINANT]);
    expect(sent.code, sent.output).not.toBe(0);
    expect(sent.output).toMatch(/<\*\*\s+550 5\.7\.1 Anonymous messages are not accepted/);
  });

  it('refuses an automated message (Auto-Submitted: auto-generated) during the session', async () => {
    const raw = await complaint(`Erika Mustermann <${COMPLAINANT}>`);
    const sent = await swaks(raw, ['--from', COMPLAINANT, '--header', 'Auto-Submitted: auto-generated']);
    expect(sent.code, sent.output).not.toBe(0);
    expect(sent.output).toMatch(/<\*\*\s+550 5\.7\.1 Automated messages \(Auto-Submitted: auto-generated\)/);
  });

  it('sent exactly one acknowledgement, and stops cleanly on SIGTERM', async () => {
    expect(sink.to(COMPLAINANT)).toHaveLength(1);
    product.terminate();
    const status = await Promise.race([product.exited, new Promise<string>((resolve) => setTimeout(() => resolve('still running after 30 s'), 30_000))]);
    expect(status, product.output().slice(-3000)).toBe(0);
  }, 40_000);
});

async function waitFor<T>(check: () => T | undefined, timeoutMs: number, what: string): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    const value = check();
    if (value !== undefined) return value;
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
}
