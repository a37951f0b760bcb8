import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { RunningApp } from '../../src/app.js';
import { startDnsServer, type ZoneDnsServer } from '../../src/dns/zone-server.js';
import { waitFor } from '../support/harness.js';
import { SENDER_DOMAIN, testZone } from '../support/mail.js';
import { sendMail } from '../support/smtp-client.js';
import { API_TOKEN, complaint, createFaultState, deskEnv, startDesk, type FaultState } from './support/desk.js';
import { startPrivateRedis, type PrivateRedis } from './support/private-redis.js';
import { startSmtpSink, type SmtpSink } from './support/smtp-sink.js';
import { sleep } from './support/util.js';

// Five tries, the first retry after 300 ms and each further one twice as long:
// a message is dead-lettered about 4.5 s after its first failure.
const MAX_ATTEMPTS = 5;
const RETRY_DELAY_MS = 300;

/**
 * The outbound relay (an SMTP server of the test's own) turns mail away (451
 * to every recipient) or is stopped. Acknowledgements are retried with growing pauses and sent exactly
 * once when it is back; one that runs out of tries is dead-lettered: status
 * `dead`, a `message_failed` event, shown by the API — and never sent later.
 * The sweep runs every half second throughout and must not change any of that.
 */
describe('fault: outbound relay down', () => {
  let state: FaultState;
  let redis: PrivateRedis;
  let dns: ZoneDnsServer;
  let sink: SmtpSink;
  let app: RunningApp;
  let port: number;

  beforeAll(async () => {
    [state, redis, dns, sink] = await Promise.all([createFaultState('relay'), startPrivateRedis(), startDnsServer({ zone: testZone() }), startSmtpSink()]);
    app = await startDesk(
      deskEnv(state, {
        REDIS_URL: redis.url,
        DNS_SERVERS: dns.address,
        OUTBOUND_SMTP_URL: sink.url,
        OUTBOUND_MAX_ATTEMPTS: String(MAX_ATTEMPTS),
        OUTBOUND_RETRY_DELAY_MS: String(RETRY_DELAY_MS),
        SWEEP_INTERVAL_MS: '500',
        SWEEP_GRACE_MS: '200',
      }),
    );
    port = app.smtpPort as number;
  }, 60_000);

  afterAll(async () => {
    await app?.stop(10_000);
    await Promise.all([sink?.close(), dns?.stop(), redis?.close()]);
    await state?.drop();
  }, 30_000);

  const ackOf = async (sender: string) => {
    const row = await state.db.prisma.inboundMessage.findFirst({ where: { envelopeFrom: sender, status: 'processed' }, select: { caseId: true } });
    if (!row?.caseId) return undefined;
    return state.db.prisma.caseMessage.findFirst({ where: { caseId: row.caseId, direction: 'out', kind: 'ack' }, include: { case: { select: { ticket: true } } } });
  };

  it('retries an acknowledgement with backoff while the relay refuses, and sends it once when it accepts again', async () => {
    const sender = `alice@${SENDER_DOMAIN}`;
    sink.setMode('refuse');
    const tries = () => sink.attempts.filter((attempt) => attempt.to === sender).map((attempt) => attempt.at);
    const sent = await sendMail({ port, from: sender, to: ['complaints@example.net'], raw: await complaint({ from: sender }) });
    expect(sent.final.code).toBe(250);
    await waitFor(() => tries().length >= 3, 15_000, 'three refused tries');
    sink.setMode('accept');
    const [t1, t2, t3] = tries() as [number, number, number];
    console.info(`[faults] relay refusing: pauses between tries ${t2 - t1} ms, ${t3 - t2} ms`);
    expect(t2 - t1).toBeGreaterThanOrEqual(RETRY_DELAY_MS * 0.8);
    expect(t3 - t2).toBeGreaterThan(t2 - t1);
    expect(t3 - t2).toBeGreaterThanOrEqual(2 * RETRY_DELAY_MS * 0.8);

    await waitFor(() => sink.to(sender).length > 0, 15_000, 'the acknowledgement delivered');
    await sleep(1_500); // three sweeps: none may send it again
    expect(sink.to(sender)).toHaveLength(1);
    const ack = await ackOf(sender);
    expect(ack).toMatchObject({ status: 'sent', lastError: null });
    expect(ack?.attempts).toBeGreaterThanOrEqual(4);
    const events = await state.db.prisma.caseEvent.findMany({ where: { caseId: ack?.caseId, type: { in: ['message_sent', 'message_failed'] } } });
    expect(events.filter((event) => (event.data as { kind?: string }).kind === 'ack').map((event) => event.type)).toEqual(['message_sent']);
  }, 45_000);

  it('makes one connection per counted try when the relay greets with 421 and hangs up', async () => {
    const sender = `carol@${SENDER_DOMAIN}`;
    // Restarted, so no pooled connection from before skips the greeting.
    await sink.stop();
    await sink.start();
    sink.setMode('greet-421');
    const before = sink.connectionTimes.length;
    const sent = await sendMail({ port, from: sender, to: ['complaints@example.net'], raw: await complaint({ from: sender }) });
    expect(sent.final.code).toBe(250);
    const ack = await waitFor(async () => {
      const row = await ackOf(sender);
      return row && row.attempts >= 2 ? row : undefined;
    }, 15_000, 'two failed tries');
    sink.setMode('accept');
    await waitFor(() => sink.to(sender).length > 0, 15_000, 'the acknowledgement delivered');
    await sleep(500);
    // Every connection the relay saw is a try the queue counted (no hidden resends by the pool).
    const outgoing = await state.db.prisma.caseMessage.findMany({ where: { caseId: ack.caseId, direction: 'out' }, select: { attempts: true, status: true } });
    const refused = outgoing.reduce((sum, row) => sum + row.attempts, 0) - outgoing.filter((row) => row.status === 'sent').length;
    const seen = sink.connectionTimes.slice(before);
    const sentCount = outgoing.filter((row) => row.status === 'sent').length;
    console.info(`[faults] relay greeting 421: ${seen.length} connections for ${refused} refused tries and ${sentCount} sends`);
    expect(refused).toBeGreaterThanOrEqual(2);
    expect(seen.length).toBeLessThanOrEqual(refused + sentCount);
    expect(sink.to(sender)).toHaveLength(1);
  }, 45_000);

  it('dead-letters an acknowledgement the stopped relay never takes, says so, and shows it in the API', async () => {
    const sender = `bob@${SENDER_DOMAIN}`;
    await sink.stop();
    const sent = await sendMail({ port, from: sender, to: ['complaints@example.net'], raw: await complaint({ from: sender }) });
    expect(sent.final.code).toBe(250);
    const dead = await waitFor(async () => {
      const ack = await ackOf(sender);
      return ack?.status === 'dead' ? ack : undefined;
    }, 20_000, 'the acknowledgement dead-lettered');
    expect(dead.attempts).toBe(MAX_ATTEMPTS);
    expect(dead.lastError).toMatch(/ECONNREFUSED/);
    const failed = await state.db.prisma.caseEvent.findMany({ where: { caseId: dead.caseId, type: 'message_failed' } });
    expect(failed.filter((event) => (event.data as { kind?: string }).kind === 'ack')).toHaveLength(1);
    expect(failed.find((event) => (event.data as { kind?: string }).kind === 'ack')?.data).toMatchObject({ to: [sender] });

    const response = await fetch(`http://127.0.0.1:${app.httpPort}/api/cases/${dead.case.ticket}`, { headers: { Authorization: `Bearer ${API_TOKEN}` } });
    expect(response.status).toBe(200);
    const view = (await response.json()) as { messages: Array<{ kind: string; direction: string; status: string | null }> };
    expect(view.messages.filter((m) => m.direction === 'out' && m.kind === 'ack').map((m) => m.status)).toEqual(['dead']);

    // The relay comes back: a dead letter stays dead (no late second copy from a retry or the sweep).
    await sink.start();
    await sleep(1_500);
    expect(sink.to(sender)).toHaveLength(0);
    expect((await ackOf(sender))?.status).toBe('dead');
  }, 45_000);
});
