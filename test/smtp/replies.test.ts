import { connect as tlsConnect } from 'node:tls';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildMessage, SENDER_DOMAIN, SENDER_KEY, signMessage, testZone } from '../support/mail.js';
import { sendMail, SmtpSession } from '../support/smtp-client.js';
import { startTestApp, waitFor, type TestApp } from '../support/harness.js';

/**
 * Every reply the listener gives, over real sockets: what a sending MTA sees.
 */
const FROM = `erika@${SENDER_DOMAIN}`;

const signed = (overrides: Partial<Parameters<typeof buildMessage>[0]> = {}) =>
  signMessage(
    buildMessage({ from: FROM, to: 'complaints@example.net', subject: 'A complaint about support', text: 'I have waited three weeks for an answer and nobody replies.\n', ...overrides }),
    SENDER_KEY,
  );

describe('SMTP replies', () => {
  let t: TestApp;
  beforeAll(async () => {
    const zone = {
      ...testZone(),
      // A domain whose DNS never answers: its checks end in temperror.
      'slow.test': { fail: 'timeout' as const },
      // A domain without SPF or DKIM: nothing can verify it, and no DMARC policy.
      'plain.test': { A: ['192.0.2.1'] },
    };
    t = await startTestApp({ database: 'postgres', zone, env: { MAX_MESSAGE_BYTES: '20000', SMTP_MAX_RECIPIENTS: '3', DNS_TIMEOUT_MS: '300' } });
  });
  afterAll(async () => {
    await t?.stop({ drop: true });
  });

  it('advertises SIZE, STARTTLS, PIPELINING, 8BITMIME and SMTPUTF8, and no AUTH', async () => {
    const { session, greeting } = await SmtpSession.open(t.smtpPort);
    expect(greeting.code).toBe(220);
    const ehlo = await session.command('EHLO client.test');
    session.close();
    expect(ehlo.code).toBe(250);
    for (const feature of ['SIZE 20000', 'STARTTLS', 'PIPELINING', '8BITMIME', 'SMTPUTF8']) expect(ehlo.text).toContain(feature);
    expect(ehlo.text).not.toMatch(/AUTH/);
  });

  it('upgrades to TLS with STARTTLS', async () => {
    const { session } = await SmtpSession.open(t.smtpPort);
    await session.command('EHLO client.test');
    const reply = await session.command('STARTTLS');
    expect(reply.code).toBe(220);
    const socket = (session as unknown as { socket: import('node:net').Socket }).socket;
    const secure = tlsConnect({ socket, rejectUnauthorized: false, servername: 'mx.example.net' });
    await new Promise<void>((resolve, reject) => {
      secure.once('secureConnect', resolve);
      secure.once('error', reject);
    });
    expect(secure.encrypted).toBe(true);
    secure.destroy();
  });

  it('refuses a declared size over the limit at MAIL FROM and an undeclared one after the final dot', async () => {
    const { session } = await SmtpSession.open(t.smtpPort);
    await session.command('EHLO client.test');
    const declared = await session.command(`MAIL FROM:<${FROM}> SIZE=50000`);
    session.close();
    expect(declared.code).toBe(552);

    const big = await signed({ text: `${'x'.repeat(70)}\n`.repeat(400) });
    const result = await sendMail({ port: t.smtpPort, from: FROM, to: ['complaints@example.net'], raw: big });
    expect(result.final.code).toBe(552);
    expect(result.final.text).toMatch(/^5\.3\.4/);
  });

  it('limits recipients per message', async () => {
    const { session } = await SmtpSession.open(t.smtpPort);
    await session.command('EHLO client.test');
    await session.command(`MAIL FROM:<${FROM}>`);
    const replies = [];
    for (const to of ['abuse@example.net', 'complaints@example.net', 'feedback@example.net', 'abuse@support.example']) replies.push(await session.command(`RCPT TO:<${to}>`));
    session.close();
    expect(replies.slice(0, 3).map((r) => r.code)).toEqual([250, 250, 250]);
    expect(replies[3]?.code).toBeGreaterThanOrEqual(450);
  });

  it.each([
    ['no From header', () => Buffer.from(`To: complaints@example.net\r\nSubject: hi\r\nMessage-ID: <a1@sender.test>\r\n\r\nhello there, this is a message\r\n`), /^5\.7\.1 .*From/, 'anonymous_no_from'],
    ['several From addresses', () => signed({ from: `${FROM}, other@${SENDER_DOMAIN}` }), /^5\.7\.1/, 'anonymous_multiple_from'],
    ['Precedence: bulk', () => signed({ headers: { Precedence: 'bulk' } }), /^5\.7\.1/, 'automated_precedence'],
    ['List-Id', () => signed({ headers: { 'List-Id': '<news.sender.test>' } }), /^5\.7\.1/, 'automated_list'],
    ['X-Autoreply', () => signed({ headers: { 'X-Autoreply': 'yes' } }), /^5\.7\.1/, 'automated_autoreply'],
    ['a noreply sender', () => signed({ from: `noreply@${SENDER_DOMAIN}` }), /^5\.7\.1/, 'automated_robot_sender'],
  ])('refuses %s at the end of DATA with a reason', async (_label, make, text, reason) => {
    const result = await sendMail({ port: t.smtpPort, from: FROM, to: ['complaints@example.net'], raw: await make() });
    expect(result.final.code).toBe(550);
    expect(result.final.text).toMatch(text);
    await waitFor(() => t.app.database.prisma.rejection.findFirst({ where: { reason } }), 5_000, `rejection ${reason}`);
  });

  it('refuses the null reverse-path', async () => {
    const result = await sendMail({ port: t.smtpPort, from: '', to: ['complaints@example.net'], raw: await signed() });
    expect(result.final.code).toBe(550);
  });

  it('refuses an unverified sender', async () => {
    const raw = buildMessage({ from: 'someone@plain.test', to: 'complaints@example.net', subject: 'hello', text: 'A complaint from a domain nobody can verify.\n' });
    const result = await sendMail({ port: t.smtpPort, from: 'someone@plain.test', to: ['complaints@example.net'], raw });
    expect(result.final.code).toBe(550);
    expect(result.final.text).toMatch(/^5\.7\.1 The sender domain plain\.test could not be verified/);
  });

  it('answers 451 4.4.3 when DNS does not answer, and keeps it as a temporary refusal', async () => {
    const raw = buildMessage({ from: 'someone@slow.test', to: 'complaints@example.net', subject: 'hello', text: 'This domain has DNS that never answers at all.\n' });
    const started = Date.now();
    const result = await sendMail({ port: t.smtpPort, from: 'someone@slow.test', to: ['complaints@example.net'], raw });
    expect(result.final.code).toBe(451);
    expect(result.final.text).toMatch(/^4\.4\.3/);
    expect(Date.now() - started).toBeLessThan(15_000);
    // A temporary failure is kept with the refusals (issue 23), as a 451 and not as a verification failure.
    const kept = await waitFor(() => t.app.database.prisma.rejection.findFirst({ where: { envelopeFrom: 'someone@slow.test' }, select: { reason: true, smtpCode: true } }), 5_000, 'the 451 recorded');
    expect(kept).toEqual({ reason: 'dns_temperror', smtpCode: 451 });
  });

  it('accepts 8-bit UTF-8 mail with SMTPUTF8', async () => {
    const raw = await signed({ subject: 'Réclamation concernant le support', text: 'Bonjour, je suis très mécontent du délai de réponse de votre service.\n' });
    const { session } = await SmtpSession.open(t.smtpPort);
    await session.command('EHLO client.test');
    expect((await session.command(`MAIL FROM:<${FROM}> BODY=8BITMIME SMTPUTF8`)).code).toBe(250);
    expect((await session.command('RCPT TO:<complaints@example.net>')).code).toBe(250);
    expect((await session.command('DATA')).code).toBe(354);
    const reply = await session.data(raw);
    session.close();
    expect(reply.code).toBe(250);
  });

  it('never lets a bare LF.LF or CR.CR end DATA (SMTP smuggling)', async () => {
    const raw = await signed({ subject: 'Smuggling attempt' });
    const smuggled = `${raw.toString('latin1')}\n.\nMAIL FROM:<evil@${SENDER_DOMAIN}>\nRCPT TO:<abuse@example.net>\nDATA\nFrom: evil@${SENDER_DOMAIN}\r\n\r\nsmuggled\r.\r`;
    const { session } = await SmtpSession.open(t.smtpPort);
    await session.command('EHLO client.test');
    await session.command(`MAIL FROM:<${FROM}>`);
    await session.command('RCPT TO:<complaints@example.net>');
    await session.command('DATA');
    session.write(Buffer.from(smuggled, 'latin1'));
    session.write('\r\n.\r\n');
    const reply = await session.read();
    // The listener answers in order: a smuggled second message would have its
    // reply (given once it is stored) before the one to QUIT.
    session.write('QUIT\r\n');
    const after: number[] = [];
    for (let last = 0; last !== 221; ) {
      last = (await session.read()).code;
      after.push(last);
    }
    session.close();
    // One message, whatever its verdict: the listener never saw a second MAIL FROM.
    expect([250, 550]).toContain(reply.code);
    expect(after).toEqual([221]);
    const count = await t.app.database.prisma.inboundMessage.count({ where: { envelopeFrom: `evil@${SENDER_DOMAIN}` } });
    expect(count).toBe(0);
  });
});

describe('rate limits and shutdown', () => {
  let t: TestApp;
  beforeAll(async () => {
    t = await startTestApp({ database: 'postgres', env: { RATE_LIMIT_EXEMPT: '', RATE_LIMIT_IP_PER_MINUTE: '3', RATE_LIMIT_SENDER_PER_HOUR: '2' } });
  });
  afterAll(async () => {
    await t?.stop({ drop: true });
  });

  it('defers a sender over its hourly limit with 450 4.7.1', async () => {
    const { session } = await SmtpSession.open(t.smtpPort);
    await session.command('EHLO client.test');
    const codes = [];
    for (let i = 0; i < 3; i++) {
      codes.push((await session.command(`MAIL FROM:<${FROM}>`)).code);
      await session.command('RSET');
    }
    const third = await session.command(`MAIL FROM:<${FROM}>`);
    session.close();
    expect(codes.slice(0, 2)).toEqual([250, 250]);
    expect(third.code).toBe(450);
    expect(third.text).toMatch(/^4\.7\.1/);
  });

  it('turns away an IP opening too many sessions with 421 4.7.0', async () => {
    const greetings = [];
    for (let i = 0; i < 3; i++) {
      const { session, greeting } = await SmtpSession.open(t.smtpPort);
      greetings.push(greeting);
      session.close();
    }
    // The first session of this describe block (above) counted as well.
    expect(greetings.at(-1)?.code).toBe(421);
    expect(greetings.at(-1)?.text).toMatch(/^4\.7\.0/);
  });

  it('answers 421 to new sessions while shutting down', async () => {
    const other = await startTestApp({ database: 'postgres' });
    const { session } = await SmtpSession.open(other.smtpPort);
    await session.command('EHLO client.test');
    const stopping = other.stop({ drop: true });
    const during = await session.command(`MAIL FROM:<${FROM}>`);
    session.close();
    await stopping;
    expect(during.code).toBe(421);
  });
});
