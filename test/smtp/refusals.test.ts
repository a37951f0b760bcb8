import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { startTestApp, waitFor, type TestApp } from '../support/harness.js';
import { buildMessage, SENDER_DOMAIN, SENDER_KEY, signMessage } from '../support/mail.js';
import { SmtpSession, type Reply } from '../support/smtp-client.js';

/**
 * Issue 23, item 5: every refusal the listener answers is kept in the
 * Rejection table with its reason, time, sender, recipients and IP, over real
 * SMTP sessions: at RCPT, at MAIL (sender rate), at connect (sessions per IP
 * open at once, per minute), a slow client cut off, an oversized message, and
 * a refusal at the end of DATA recorded once. The dashboard's refusal chart
 * then counts them all. Loopback is not exempt here.
 */
const FROM = `rita@${SENDER_DOMAIN}`;
const ADMIN = `Basic ${Buffer.from('admin:test-admin-password').toString('base64')}`;

let t: TestApp;

beforeAll(async () => {
  t = await startTestApp({
    database: 'postgres',
    env: {
      RATE_LIMIT_EXEMPT: '192.0.2.0/24',
      SMTP_MAX_RECIPIENTS: '5',
      SMTP_MAX_CLIENTS_PER_IP: '3',
      RATE_LIMIT_IP_PER_MINUTE: '12',
      RATE_LIMIT_SENDER_PER_HOUR: '2',
      SMTP_COMMAND_TIMEOUT_MS: '600',
      MAX_MESSAGE_BYTES: '4096',
      REJECTION_FLUSH_MS: '100',
    },
  });
});
afterAll(async () => {
  await t?.stop({ drop: true });
});
beforeEach(async () => {
  // Every earlier session has ended on the server too, and given back its slot.
  await waitFor(async () => (await t.app.metrics.registry.getSingleMetric('abuse_desk_smtp_sessions_open')?.get())?.values[0]?.value === 0, 5_000, 'no open sessions');
});

async function ready(): Promise<SmtpSession> {
  const { session, greeting } = await SmtpSession.open(t.smtpPort);
  expect(greeting.code).toBe(220);
  expect((await session.command('EHLO client.test')).code).toBe(250);
  return session;
}

const rows = (reason: string) =>
  t.app.database.prisma.rejection.findMany({ where: { reason }, orderBy: { at: 'asc' }, select: { smtpCode: true, enhanced: true, envelopeFrom: true, fromHeader: true, recipients: true, remoteIp: true, helo: true, at: true } });

const kept = (reason: string, count: number) => waitFor(async () => ((await rows(reason)).length >= count ? rows(reason) : undefined), 5_000, `${count} ${reason} row(s)`);

describe('refusals kept in the Rejection table', () => {
  it('keeps refusals at RCPT with the refused recipient, the sender and the IP', async () => {
    const session = await ready();
    expect((await session.command(`MAIL FROM:<${FROM}>`)).code).toBe(250);
    const replies: Reply[] = [];
    for (const to of ['nobody@example.net', 'someone@elsewhere.example', 'case+CMP-2026-000001.0000000000000000@example.net', 'abuse@example.net', 'feedback@example.net', 'complaints@example.net']) {
      replies.push(await session.command(`RCPT TO:<${to}>`));
    }
    session.close();
    expect(replies.map((reply) => reply.code)).toEqual([550, 550, 550, 250, 250, 452]);

    const [unknown] = await kept('unknown_recipient', 1);
    expect(unknown).toMatchObject({ smtpCode: 550, enhanced: '5.1.1', envelopeFrom: FROM, recipients: ['nobody@example.net'], remoteIp: '127.0.0.1', helo: 'client.test', fromHeader: null });
    expect((await kept('relay_denied', 1))[0]).toMatchObject({ recipients: ['someone@elsewhere.example'], envelopeFrom: FROM });
    expect((await kept('bad_case_address', 1))[0]).toMatchObject({ recipients: ['case+CMP-2026-000001.0000000000000000@example.net'] });
    expect((await kept('too_many_recipients', 1))[0]).toMatchObject({ smtpCode: 452, enhanced: '4.5.3', recipients: ['complaints@example.net'] });
  });

  it('keeps the sender rate limit at MAIL, naming the sender it refused', async () => {
    const sender = `busy@${SENDER_DOMAIN}`;
    const session = await ready();
    const codes: number[] = [];
    for (let i = 0; i < 3; i++) {
      codes.push((await session.command(`MAIL FROM:<${sender}>`)).code);
      await session.command('RSET');
    }
    session.close();
    expect(codes).toEqual([250, 250, 450]);
    expect((await kept('rate_limited_sender', 1))[0]).toMatchObject({ smtpCode: 450, envelopeFrom: sender, recipients: [] });
  });

  it('keeps an oversized message, and a refusal at the end of DATA once', async () => {
    const big = await signMessage(buildMessage({ from: FROM, to: 'complaints@example.net', subject: 'Large', text: `${'x'.repeat(70)}\n`.repeat(80) }), SENDER_KEY);
    const session = await ready();
    await session.command(`MAIL FROM:<big@${SENDER_DOMAIN}>`);
    await session.command('RCPT TO:<complaints@example.net>');
    expect((await session.command('DATA')).code).toBe(354);
    expect((await session.data(big)).code).toBe(552);

    // The null sender: refused by the sender policy in ingest, which knows the From header.
    await session.command('MAIL FROM:<>');
    await session.command('RCPT TO:<abuse@example.net>');
    expect((await session.command('DATA')).code).toBe(354);
    const bounce = buildMessage({ from: 'Mail Delivery System <mailer-daemon@relay.example>', to: 'abuse@example.net', subject: 'Undelivered Mail', text: 'Your message could not be delivered.\n' });
    expect((await session.data(bounce)).code).toBe(550);
    session.close();

    expect((await kept('message_too_big', 1))[0]).toMatchObject({ smtpCode: 552, enhanced: '5.3.4', envelopeFrom: `big@${SENDER_DOMAIN}`, recipients: ['complaints@example.net'] });
    await kept('automated_null_sender', 1);
    // Recorded by ingest and answered by the listener: one row.
    await new Promise((resolve) => setTimeout(resolve, 300));
    const automated = await rows('automated_null_sender');
    expect(automated).toHaveLength(1);
    expect(automated[0]).toMatchObject({ envelopeFrom: '', fromHeader: 'mailer-daemon@relay.example', recipients: ['abuse@example.net'] });
  });

  it('keeps a slow client cut off', async () => {
    const session = await ready();
    await session.command(`MAIL FROM:<slow@${SENDER_DOMAIN}>`);
    session.write('RCPT TO:<compl');
    const cut = await session.read(5_000);
    session.close();
    expect(cut.code).toBe(421);
    expect((await kept('command_too_slow', 1))[0]).toMatchObject({ smtpCode: 421, enhanced: '4.4.2', envelopeFrom: `slow@${SENDER_DOMAIN}` });
  });

  it('keeps connection refusals: sessions open at once, then sessions per minute', async () => {
    const open: SmtpSession[] = [];
    for (let i = 0; i < 3; i++) open.push(await ready());
    const fourth = await SmtpSession.open(t.smtpPort);
    fourth.session.close();
    expect(fourth.greeting.code).toBe(421);
    for (const session of open) session.close();
    expect((await kept('too_many_sessions_ip', 1))[0]).toMatchObject({ smtpCode: 421, remoteIp: '127.0.0.1', envelopeFrom: null, recipients: [] });

    // Twelve sessions a minute: the earlier tests used most of them.
    let greeting: Reply | undefined;
    for (let i = 0; i < 12 && greeting?.code !== 421; i++) {
      const opened = await SmtpSession.open(t.smtpPort);
      opened.session.close();
      greeting = opened.greeting;
    }
    expect(greeting?.code).toBe(421);
    expect((await kept('rate_limited_ip', 1))[0]).toMatchObject({ smtpCode: 421, remoteIp: '127.0.0.1' });
  });

  it('shows every kind on the dashboard refusal chart', async () => {
    const page = await (await fetch(`http://127.0.0.1:${t.httpPort}/admin`, { headers: { Authorization: ADMIN } })).text();
    const block = /<script type="application\/json" id="chart-data-refusals">(.*?)<\/script>/.exec(page)?.[1];
    const chart = JSON.parse(block as string) as { series: Array<{ name: string; values: number[] }> };
    const totals = Object.fromEntries(chart.series.map((s) => [s.name, s.values.reduce((a, b) => a + b, 0)]));
    const byReason = await t.app.database.prisma.rejection.groupBy({ by: ['reason'], _count: { _all: true } });
    expect(totals).toEqual(Object.fromEntries(byReason.map((row) => [row.reason, row._count._all])));
    for (const reason of ['unknown_recipient', 'relay_denied', 'bad_case_address', 'too_many_recipients', 'rate_limited_sender', 'message_too_big', 'automated_null_sender', 'command_too_slow', 'too_many_sessions_ip', 'rate_limited_ip']) {
      expect(totals[reason], reason).toBeGreaterThan(0);
    }
  });
});
