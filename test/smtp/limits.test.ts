import { once } from 'node:events';
import type { Socket } from 'node:net';
import { connect as tlsConnect } from 'node:tls';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { RCPT_OVERSHOOT } from '../../src/smtp/envelope.js';
import { startTestApp, waitFor, type TestApp } from '../support/harness.js';
import { buildMessage, SENDER_DOMAIN, SENDER_KEY, signMessage } from '../support/mail.js';
import { sendMail, SmtpSession, type Reply } from '../support/smtp-client.js';

/**
 * What one client can take from the listener, over real sockets (issue 27,
 * items 2 and 4): recipients per transaction however they are spelled, how
 * slowly a command line and DATA may arrive, and sessions open at once per IP.
 * Loopback is not exempt here, so this machine is an ordinary client.
 */
const FROM = `erika@${SENDER_DOMAIN}`;
const MAX_RECIPIENTS = 3;
const COMMAND_MS = 1_000;
const DATA_MS = 3_000;
const DATA_MIN_RATE = 2_000;
const PER_IP = 3;

const signed = (subject: string) =>
  signMessage(buildMessage({ from: FROM, to: 'complaints@example.net', subject, text: 'I have waited three weeks for an answer and nobody replies.\n' }), SENDER_KEY);

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** Writes `text` in pieces of `size` bytes, one every `everyMs`, until done or `stop()` says so. */
async function dribble(session: SmtpSession, text: string, size: number, everyMs: number, stop: () => boolean): Promise<void> {
  for (let at = 0; at < text.length && !stop(); at += size) {
    session.write(text.slice(at, at + size));
    await sleep(everyMs);
  }
}

async function ready(): Promise<SmtpSession> {
  const { session, greeting } = await SmtpSession.open(t.smtpPort);
  expect(greeting.code).toBe(220);
  expect((await session.command('EHLO client.test')).code).toBe(250);
  return session;
}

let t: TestApp;

/** Sessions the listener watches: each holds the pace timers of its connection. */
async function openSessions(): Promise<number> {
  const metric = await t.app.metrics.registry.getSingleMetric('abuse_desk_smtp_sessions_open')?.get();
  return metric?.values[0]?.value ?? -1;
}

beforeAll(async () => {
  t = await startTestApp({
    database: 'postgres',
    env: {
      SMTP_MAX_RECIPIENTS: String(MAX_RECIPIENTS),
      SMTP_COMMAND_TIMEOUT_MS: String(COMMAND_MS),
      SMTP_DATA_TIMEOUT_MS: String(DATA_MS),
      SMTP_DATA_MIN_RATE: String(DATA_MIN_RATE),
      SMTP_MAX_CLIENTS_PER_IP: String(PER_IP),
      // Not loopback: the sessions of this test are counted like anyone's.
      RATE_LIMIT_EXEMPT: '192.0.2.0/24',
    },
  });
});
afterAll(async () => {
  await t?.stop({ drop: true });
});
beforeEach(async () => {
  // Every earlier session has ended on the server too: its slot and its timers are gone.
  await waitFor(async () => (await openSessions()) === 0, 5_000, 'no open sessions');
});

describe('recipients per transaction', () => {
  it('counts a repeated RCPT: 452 4.5.3 past the limit, and the envelope keeps one entry', async () => {
    const session = await ready();
    expect((await session.command(`MAIL FROM:<${FROM}>`)).code).toBe(250);
    const replies: Reply[] = [];
    for (let i = 0; i < 10; i++) replies.push(await session.command('RCPT TO:<complaints@example.net>'));
    expect(replies.map((reply) => reply.code)).toEqual([250, 250, 250, 452, 452, 452, 452, 452, 452, 452]);
    expect(replies[3]?.text).toMatch(/^4\.5\.3 Too many recipients: at most 3 per message/);

    // The transaction goes on with what was accepted: one recipient, stored once.
    expect((await session.command('DATA')).code).toBe(354);
    const reply = await session.data(await signed('Repeated recipients'));
    session.close();
    expect(reply.code).toBe(250);
    const id = /Queued as (\S+)/.exec(reply.text)?.[1] as string;
    const stored = await t.app.database.prisma.inboundMessage.findUnique({ where: { id }, select: { recipients: true } });
    expect(stored?.recipients).toEqual(['complaints@example.net']);
  });

  it('starts counting afresh with each transaction (RSET, or after DATA)', async () => {
    const session = await ready();
    await session.command(`MAIL FROM:<${FROM}>`);
    for (let i = 0; i < MAX_RECIPIENTS; i++) expect((await session.command('RCPT TO:<abuse@example.net>')).code).toBe(250);
    expect((await session.command('RCPT TO:<feedback@example.net>')).code).toBe(452);
    expect((await session.command('RSET')).code).toBe(250);
    await session.command(`MAIL FROM:<${FROM}>`);
    const again = await session.command('RCPT TO:<feedback@example.net>');
    session.close();
    expect(again.code).toBe(250);
  });

  it('closes the connection of a client that keeps sending RCPT long after its 452', async () => {
    const session = await ready();
    await session.command(`MAIL FROM:<${FROM}>`);
    const count = MAX_RECIPIENTS + RCPT_OVERSHOOT + 1;
    // Pipelined, as a flooding client would.
    session.write('RCPT TO:<complaints@example.net>\r\n'.repeat(count + 20));
    const replies: Reply[] = [];
    for (let i = 0; i < count + 1; i++) replies.push(await session.read(10_000));
    session.close();
    expect(replies.filter((reply) => reply.code === 250)).toHaveLength(MAX_RECIPIENTS);
    expect(replies.filter((reply) => reply.code === 452)).toHaveLength(RCPT_OVERSHOOT);
    expect(replies[count - 1]?.code).toBe(421);
    expect(replies[count - 1]?.text).toMatch(/^4\.5\.3/);
    // Nothing after the 421: the server closed the connection.
    expect(replies[count]?.code).toBe(0);
  });
});

describe('slow clients', () => {
  it('cuts off a command line dribbled byte by byte at the command time limit', async () => {
    const session = await ready();
    let closed = false;
    const reply = session.read(10_000).finally(() => {
      closed = true;
    });
    // One byte every 150 ms: each resets an idle timeout, none completes the line in time.
    await Promise.all([dribble(session, `MAIL FROM:<${FROM}>\r\n`, 1, 150, () => closed), reply]);
    const cut = await reply;
    session.close();
    expect(cut.code).toBe(421);
    expect(cut.text).toBe('4.4.2 Command line not completed within 1 second; closing the connection');
  });

  it('follows the session into TLS: a line dribbled after STARTTLS is cut off as well', async () => {
    const session = await ready();
    expect((await session.command('STARTTLS')).code).toBe(220);
    const socket = (session as unknown as { socket: Socket }).socket;
    const secure = tlsConnect({ socket, rejectUnauthorized: false, servername: 'mx.example.net' });
    await once(secure, 'secureConnect');
    let received = '';
    secure.on('data', (chunk: Buffer) => {
      received += chunk.toString('latin1');
    });
    secure.on('error', () => undefined);
    const closed = once(secure, 'close');
    let done = false;
    void closed.then(() => {
      done = true;
    });
    const text = 'EHLO client.test\r\n';
    for (let at = 0; at < text.length && !done; at++) {
      secure.write(text[at] as string);
      await sleep(150);
    }
    await closed;
    session.close();
    expect(received).toBe('421 4.4.2 Command line not completed within 1 second; closing the connection\r\n');
  });

  it('leaves alone a line that completes in time, and idle time between commands', async () => {
    const session = await ready();
    await sleep(COMMAND_MS * 1.5);
    session.write('NO');
    await sleep(COMMAND_MS / 4);
    session.write('OP');
    await sleep(COMMAND_MS / 4);
    const reply = await session.command('');
    session.close();
    expect(reply.code).toBe(250);
  });

  it('cuts off DATA slower than the minimum rate, stores nothing, and serves the next client', async () => {
    const sender = `slow-data@${SENDER_DOMAIN}`;
    const session = await ready();
    await session.command(`MAIL FROM:<${sender}>`);
    await session.command('RCPT TO:<complaints@example.net>');
    expect((await session.command('DATA')).code).toBe(354);
    let closed = false;
    const reply = session.read(10_000).finally(() => {
      closed = true;
    });
    // 100 bytes a second, where 2000 are asked for.
    const body = (await signed('Slow data')).toString('latin1').replace(/\r?\n/g, '\r\n');
    await Promise.all([dribble(session, body, 10, 100, () => closed), reply]);
    const cut = await reply;
    session.close();
    expect(cut.code).toBe(421);
    expect(cut.text).toBe(`4.4.2 Message data arrived slower than ${DATA_MIN_RATE} bytes a second; closing the connection, please try again`);
    expect(await t.app.database.prisma.inboundMessage.count({ where: { envelopeFrom: sender } })).toBe(0);

    const next = await sendMail({ port: t.smtpPort, from: FROM, to: ['complaints@example.net'], raw: await signed('After a slow client') });
    expect(next.final.code).toBe(250);
  });

  it('cuts off DATA that keeps the rate but not the total time limit', async () => {
    const sender = `long-data@${SENDER_DOMAIN}`;
    const session = await ready();
    await session.command(`MAIL FROM:<${sender}>`);
    await session.command('RCPT TO:<complaints@example.net>');
    expect((await session.command('DATA')).code).toBe(354);
    let closed = false;
    const reply = session.read(15_000).finally(() => {
      closed = true;
    });
    // 10 000 bytes a second, five times the minimum rate, for longer than DATA may last.
    const lines = `${'x'.repeat(98)}\r\n`.repeat(1_000);
    await Promise.all([dribble(session, `Subject: long\r\n\r\n${lines}`, 1_000, 100, () => closed), reply]);
    const cut = await reply;
    session.close();
    expect(cut.code).toBe(421);
    expect(cut.text).toBe('4.4.2 Message data not completed within 3 seconds; closing the connection, please try again');
    expect(await t.app.database.prisma.inboundMessage.count({ where: { envelopeFrom: sender } })).toBe(0);
  });
});

describe('sessions open at once per client IP', () => {
  it('refuses the one past the limit with 421 4.7.0, and takes one again when a slot is free', async () => {
    const sessions: SmtpSession[] = [];
    for (let i = 0; i < PER_IP; i++) sessions.push(await ready());
    const { session: extra, greeting } = await SmtpSession.open(t.smtpPort);
    extra.close();
    expect(greeting.code).toBe(421);
    expect(greeting.text).toMatch(/^4\.7\.0 Too many connections from your address at once \(at most 3\)/);

    // Those let in still work.
    expect((await sessions[0]?.command('NOOP'))?.code).toBe(250);
    sessions.pop()?.close();
    await waitFor(async () => (await openSessions()) === PER_IP - 1, 5_000, 'the closed session gone');
    const { session: another, greeting: welcome } = await SmtpSession.open(t.smtpPort);
    expect(welcome.code).toBe(220);
    another.close();
    for (const session of sessions) session.close();
  });
});

describe('an exempt address', () => {
  let exempt: TestApp;
  beforeAll(async () => {
    // The default RATE_LIMIT_EXEMPT (loopback): the benchmark and load tests connect from one address.
    exempt = await startTestApp({ database: 'postgres', env: { SMTP_MAX_CLIENTS_PER_IP: '1' } });
  });
  afterAll(async () => {
    await exempt?.stop({ drop: true });
  });

  it('is not counted', async () => {
    const opened = await Promise.all([1, 2, 3].map(() => SmtpSession.open(exempt.smtpPort)));
    for (const { session } of opened) session.close();
    expect(opened.map(({ greeting }) => greeting.code)).toEqual([220, 220, 220]);
  });
});
