import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import type { RunningApp } from '../../src/app.js';
import { sha256 } from '../../src/intake/store.js';
import { startDnsServer, type ZoneDnsServer } from '../../src/dns/zone-server.js';
import { waitFor } from '../support/harness.js';
import { SENDER_DOMAIN, testZone } from '../support/mail.js';
import { sendMail } from '../support/smtp-client.js';
import { complaint, createFaultState, deskEnv, openData, sendUntilAccepted, startDesk, type FaultState } from './support/desk.js';
import { startPrivateRedis, type PrivateRedis } from './support/private-redis.js';
import { startSmtpSink, type SmtpSink } from './support/smtp-sink.js';
import { sleep, timed } from './support/util.js';

/**
 * Redis fails at the end of DATA: a redis-server of this test's own is
 * SIGKILLed (and comes back empty), or hangs (SIGSTOP: connections open, no
 * answers). The sender gets a 451 within 5 s, its retry is stored once and
 * becomes one case with one acknowledgement, and the workers that were running
 * before pick up work again without a restart of the product.
 */
describe('fault: Redis stopped at the end of DATA', () => {
  let state: FaultState;
  let redis: PrivateRedis;
  let dns: ZoneDnsServer;
  let sink: SmtpSink;
  let app: RunningApp;
  let port: number;

  beforeAll(async () => {
    [state, redis, dns, sink] = await Promise.all([createFaultState('redis'), startPrivateRedis(), startDnsServer({ zone: testZone() }), startSmtpSink()]);
    app = await startDesk(deskEnv(state, { REDIS_URL: redis.url, DNS_SERVERS: dns.address, OUTBOUND_SMTP_URL: sink.url, OUTBOUND_RETRY_DELAY_MS: '200' }));
    port = app.smtpPort as number;
    // The pipeline works before any fault: the workers are up and waiting on Redis.
    const sender = `erika@${SENDER_DOMAIN}`;
    const warmUp = await sendMail({ port, from: sender, to: ['complaints@example.net'], raw: await complaint({ from: sender }) });
    expect(warmUp.final.code).toBe(250);
    await acknowledged(sender);
  }, 60_000);

  afterAll(async () => {
    redis?.thaw();
    await app?.stop(10_000);
    await Promise.all([sink?.close(), dns?.stop(), redis?.close()]);
    await state?.drop();
  }, 30_000);

  const acknowledged = (address: string) => waitFor(() => sink.to(address).length > 0, 20_000, `acknowledgement to ${address}`);
  const rows = (raw: Buffer) => app.database.prisma.inboundMessage.count({ where: { sha256: sha256(raw) } });

  /** Injects `fault` between the body and the final dot; returns the reply and how long it took. */
  async function failAtEndOfData(sender: string, raw: Buffer, fault: () => Promise<void> | void) {
    const transaction = await openData(port, { from: sender, to: ['complaints@example.net'] });
    transaction.body(raw);
    await fault();
    const { value: reply, ms } = await timed(() => transaction.finish(15_000));
    transaction.session.close();
    return { reply, ms };
  }

  /** The sender retries the same bytes until accepted; exactly one case and one acknowledgement follow. */
  async function retriedOnce(sender: string, raw: Buffer) {
    const retry = await sendUntilAccepted(() => sendMail({ port, from: sender, to: ['complaints@example.net'], raw }), { timeoutMs: 20_000, what: 'the retry' });
    expect(retry.replies.every((code) => code === 250 || (code >= 400 && code < 500))).toBe(true);
    const row = await waitFor(
      () => app.database.prisma.inboundMessage.findFirst({ where: { sha256: sha256(raw), status: 'processed' } }),
      20_000,
      'the retry processed',
    );
    await acknowledged(sender);
    await sleep(1_500); // room for a duplicate to show up
    expect(await rows(raw)).toBe(1);
    expect(await app.database.prisma.case.count({ where: { complainantAddress: sender } })).toBe(1);
    expect(await app.database.prisma.caseMessage.count({ where: { caseId: row.caseId as string, direction: 'out', kind: 'ack' } })).toBe(1);
    expect(sink.to(sender)).toHaveLength(1);
  }

  it('crashed (SIGKILL): 451 within 5 s, and the retry after it returns empty is stored and answered once', async () => {
    const sender = `frank@${SENDER_DOMAIN}`;
    const raw = await complaint({ from: sender });
    const { reply, ms } = await failAtEndOfData(sender, raw, () => redis.kill());
    console.info(`[faults] Redis killed at end of DATA: ${reply.code} ${reply.text} after ${ms} ms`);
    expect(reply.code).toBe(451);
    expect(reply.text).toMatch(/^4\.3\.0 /);
    expect(ms).toBeLessThan(5_000);
    // The stored row was removed, or (if that failed too) kept once for the sweep.
    expect(await rows(raw)).toBeLessThanOrEqual(1);

    await redis.start();
    await retriedOnce(sender, raw);
  }, 90_000);

  it('hung (SIGSTOP): 451 within 5 s, and the retry once it answers again is stored and answered once', async () => {
    const sender = `hanna@${SENDER_DOMAIN}`;
    const raw = await complaint({ from: sender });
    const { reply, ms } = await failAtEndOfData(sender, raw, () => redis.freeze());
    console.info(`[faults] Redis hung at end of DATA: ${reply.code} ${reply.text} after ${ms} ms`);
    expect(reply.code).toBe(451);
    expect(ms).toBeLessThan(5_000);
    expect(await rows(raw)).toBeLessThanOrEqual(1);

    redis.thaw();
    await retriedOnce(sender, raw);
  }, 90_000);

  it('keeps its running workers: after a longer outage a new message is processed without a restart', async () => {
    const stderr = vi.spyOn(console, 'error');
    await redis.kill();
    await sleep(3_000); // long enough for the workers' reconnect backoff to grow
    await redis.start();
    // Reconnecting is routine: it goes to the logger, not to stderr once per attempt.
    expect(stderr).not.toHaveBeenCalled();
    stderr.mockRestore();
    const sender = `gina@${SENDER_DOMAIN}`;
    const raw = await complaint({ from: sender });
    await sendUntilAccepted(() => sendMail({ port, from: sender, to: ['complaints@example.net'], raw }), { timeoutMs: 20_000, what: 'a message after the restart' });
    await acknowledged(sender);
    await sleep(1_000);
    expect(await app.database.prisma.case.count({ where: { complainantAddress: sender } })).toBe(1);
    expect(sink.to(sender)).toHaveLength(1);
  }, 60_000);
});
