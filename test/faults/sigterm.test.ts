import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { intakeJobId } from '../../src/queue/jobs.js';
import { sha256 } from '../../src/intake/store.js';
import { startDnsServer, type ZoneDnsServer } from '../../src/dns/zone-server.js';
import { waitFor } from '../support/harness.js';
import { SENDER_DOMAIN, testZone } from '../support/mail.js';
import { sendMail, SmtpSession } from '../support/smtp-client.js';
import { complaint, createFaultState, deskEnv, openData, type FaultState } from './support/desk.js';
import { startPrivateRedis, type PrivateRedis } from './support/private-redis.js';
import { startProduct, type ProductProcess } from './support/product.js';
import { startSmtpSink, type SmtpSink } from './support/smtp-sink.js';
import { sleep, timed } from './support/util.js';

// The drain deadline of the third product (the others keep the default, 25 s).
const SHUTDOWN_TIMEOUT_MS = 4_000;

/** Sends one complaint and waits until the relay holds its acknowledgement: a worker job that hangs. */
async function hangAWorkerJob(product: ProductProcess, relay: SmtpSink, sender: string): Promise<void> {
  const held = relay.held();
  const sent = await sendMail({ port: product.smtpPort as number, from: sender, to: ['complaints@example.net'], raw: await complaint({ from: sender }) });
  expect(sent.final.code).toBe(250);
  await waitFor(() => relay.held() > held, 20_000, 'a delivery held by the relay');
}

/** SIGTERM, and wait until the process says it is draining. */
async function terminate(product: ProductProcess): Promise<number> {
  const draining = product.waitForLog(/^shutting down/, 10_000);
  product.signal('SIGTERM');
  const at = Date.now();
  await draining;
  return at;
}

/**
 * SIGTERM to `npm start` (every role in one process: `node
 * dist/src/main.js`, what the script runs). While it drains, new sessions get 421
 * and a DATA under way ends in 250 (stored) or 4xx; it exits 0 within 30 s.
 * When draining is slow (a worker job waiting on a relay that never answers),
 * the shutdown deadline still ends it with 0, and a second signal ends it at
 * once, with a non-zero code.
 */
describe('fault: SIGTERM', () => {
  let graceful: FaultState;
  let forced: FaultState;
  let bounded: FaultState;
  let redis: PrivateRedis;
  let dns: ZoneDnsServer;
  let relay: SmtpSink;
  let stuckRelay: SmtpSink;
  let calm: ProductProcess;
  let stuck: ProductProcess;
  let capped: ProductProcess;

  beforeAll(async () => {
    [graceful, forced, bounded, redis, dns, relay, stuckRelay] = await Promise.all([
      createFaultState('term'),
      createFaultState('term2'),
      createFaultState('term3'),
      startPrivateRedis(),
      startDnsServer({ zone: testZone() }),
      startSmtpSink(),
      startSmtpSink({ mode: 'hold' }),
    ]);
    // Both products start together: each start is seconds of module loading.
    [calm, stuck, capped] = await Promise.all([
      startProduct({ name: 'graceful', env: deskEnv(graceful, { REDIS_URL: redis.url, DNS_SERVERS: dns.address, OUTBOUND_SMTP_URL: relay.url }), logDir: graceful.dataDir }),
      startProduct({ name: 'forced', env: deskEnv(forced, { REDIS_URL: redis.url, DNS_SERVERS: dns.address, OUTBOUND_SMTP_URL: stuckRelay.url }), logDir: forced.dataDir }),
      startProduct({
        name: 'deadline',
        env: deskEnv(bounded, { REDIS_URL: redis.url, DNS_SERVERS: dns.address, OUTBOUND_SMTP_URL: stuckRelay.url, SHUTDOWN_TIMEOUT_MS: String(SHUTDOWN_TIMEOUT_MS) }),
        logDir: bounded.dataDir,
      }),
    ]);
  }, 120_000);

  afterAll(async () => {
    await Promise.all([calm?.kill(), stuck?.kill(), capped?.kill()]);
    stuckRelay?.release();
    await Promise.all([relay?.close(), stuckRelay?.close(), dns?.stop(), redis?.close()]);
    await Promise.all([graceful?.drop(), forced?.drop(), bounded?.drop()]);
  }, 30_000);

  it('answers 421 to new sessions, finishes the DATA under way, and exits 0 within 30 s', async () => {
    const port = calm.smtpPort as number;
    const sender = `terry@${SENDER_DOMAIN}`;
    const raw = await complaint({ from: sender });
    const inFlight = await openData(port, { from: sender, to: ['complaints@example.net'] });
    inFlight.body(raw);
    const idle = await SmtpSession.open(port);
    await idle.session.command('EHLO mail.sender.test');
    // A client that stays connected and says nothing must not hold the exit.
    const silent = await SmtpSession.open(port);
    await silent.session.command('EHLO mail.sender.test');

    const signalledAt = await terminate(calm);

    const newcomer = await SmtpSession.open(port).catch((error: Error) => error);
    const newcomerCode = newcomer instanceof Error ? newcomer.message : newcomer.greeting.code;
    if (!(newcomer instanceof Error)) newcomer.session.close();
    const idleMail = await idle.session.command(`MAIL FROM:<${sender}>`);
    idle.session.close();

    const finished = await inFlight.finish(20_000);
    inFlight.session.close();
    const silentGot = await silent.session.read(10_000).catch((error: Error) => ({ code: 0, text: error.message }));
    silent.session.close();
    const exit = await Promise.race([calm.exited, sleep(30_000).then(() => null)]);
    const exitMs = Date.now() - signalledAt;
    console.info(`[faults] SIGTERM: new session ${newcomerCode}, idle session's MAIL ${idleMail.code}, silent session ${silentGot.code}, DATA under way ${finished.code} ${finished.text}; exit ${exit?.code ?? 'none'} after ${exitMs} ms`);

    expect(newcomerCode).toBe(421);
    expect(idleMail.code).toBe(421);
    expect(silentGot.code).toBe(421);
    expect(finished.code === 250 || (finished.code >= 400 && finished.code < 500)).toBe(true);
    const stored = await graceful.db.prisma.inboundMessage.findMany({ where: { sha256: sha256(raw) }, select: { id: true } });
    expect(stored).toHaveLength(finished.code === 250 ? 1 : 0);
    // Accepted during the drain: its job waits in Redis for the next start.
    for (const row of stored) expect(await redis.exists(`${graceful.prefix}:intake:${intakeJobId(row.id)}`)).toBe(true);
    expect(exit).toMatchObject({ code: 0, signal: null });
    expect(exitMs).toBeLessThan(30_000);
  }, 60_000);

  it('exits at once, non-zero, on a second signal while draining is slow', async () => {
    await hangAWorkerJob(stuck, stuckRelay, `stuck@${SENDER_DOMAIN}`);
    await terminate(stuck);
    await sleep(1_500);
    expect(stuck.exitStatus()).toBeUndefined(); // still draining: the job has not finished

    const { value: exit, ms } = await timed(() => {
      stuck.signal('SIGINT');
      return Promise.race([stuck.exited, sleep(10_000).then(() => null)]);
    });
    console.info(`[faults] second signal: exit ${exit?.code ?? 'none'} after ${ms} ms`);
    expect(exit?.code).not.toBe(0);
    expect(exit?.code).not.toBeNull();
    expect(ms).toBeLessThan(3_000);
  }, 60_000);

  it('ends a drain that cannot finish at the shutdown deadline, with 0', async () => {
    await hangAWorkerJob(capped, stuckRelay, `late@${SENDER_DOMAIN}`);
    const signalledAt = await terminate(capped);
    const exit = await Promise.race([capped.exited, sleep(30_000).then(() => null)]);
    const ms = Date.now() - signalledAt;
    console.info(`[faults] drain held by the relay, SHUTDOWN_TIMEOUT_MS=${SHUTDOWN_TIMEOUT_MS}: exit ${exit?.code ?? 'none'} after ${ms} ms`);
    expect(exit).toMatchObject({ code: 0, signal: null });
    expect(ms).toBeGreaterThanOrEqual(SHUTDOWN_TIMEOUT_MS - 500);
    expect(ms).toBeLessThan(SHUTDOWN_TIMEOUT_MS + 5_000);
  }, 60_000);
});
