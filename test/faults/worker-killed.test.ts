import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startDnsServer, type ZoneDnsServer } from '../../src/dns/zone-server.js';
import { waitFor } from '../support/harness.js';
import { SENDER_DOMAIN, testZone } from '../support/mail.js';
import { sendMail } from '../support/smtp-client.js';
import { complaint, createFaultState, deskEnv, type FaultState } from './support/desk.js';
import { startPrivateRedis, type PrivateRedis } from './support/private-redis.js';
import { startProduct, type ProductProcess } from './support/product.js';
import { startSmtpSink, type SmtpSink } from './support/smtp-sink.js';
import { sleep } from './support/util.js';

const BATCH = 20;
const KILL_AFTER = 8;

/**
 * Split roles: `--role smtp` and `--role worker` as separate processes. The
 * relay holds its answer to every acknowledgement, so the worker has committed
 * cases and is in the middle of sending when it is SIGKILLed, halfway through a
 * batch that keeps arriving. A new worker recovers the stalled jobs once their
 * locks (WORKER_LOCK_MS) expire: every message is one case with exactly one
 * acknowledgement delivered (the relay never answered the dead worker's tries).
 */
describe('fault: worker killed mid-job after its database write', () => {
  let state: FaultState;
  let redis: PrivateRedis;
  let dns: ZoneDnsServer;
  let sink: SmtpSink;
  let env: Record<string, string>;
  const running: ProductProcess[] = [];

  beforeAll(async () => {
    [state, redis, dns, sink] = await Promise.all([createFaultState('worker'), startPrivateRedis(), startDnsServer({ zone: testZone() }), startSmtpSink({ mode: 'hold' })]);
    env = deskEnv(state, {
      REDIS_URL: redis.url,
      DNS_SERVERS: dns.address,
      OUTBOUND_SMTP_URL: sink.url,
      WORKER_LOCK_MS: '2000',
      // The sweep stays out of it: recovery here is the queue's stalled-job check.
      SWEEP_INTERVAL_MS: '0',
    });
  }, 60_000);

  afterAll(async () => {
    await Promise.all(running.map((product) => product.kill()));
    await Promise.all([sink?.close(), dns?.stop(), redis?.close()]);
    await state?.drop();
  }, 30_000);

  const processed = () => state.db.prisma.inboundMessage.count({ where: { status: 'processed' } });

  it('recovers the stalled jobs: one case and one acknowledgement per message', async () => {
    const [smtp, worker] = await Promise.all([
      startProduct({ name: 'smtp', env, roles: ['smtp'], logDir: state.dataDir }),
      startProduct({ name: 'worker-1', env, roles: ['worker'], logDir: state.dataDir }),
    ]);
    running.push(smtp, worker);
    const senders = Array.from({ length: BATCH }, (_, i) => `batch${i}@${SENDER_DOMAIN}`);

    let killedAt: { processed: number; held: number; sent: number } | undefined;
    const killWhenHalfway = (async () => {
      await waitFor(async () => (await processed()) >= KILL_AFTER && sink.held() > 0, 60_000, `${KILL_AFTER} messages processed`);
      const sentBefore = sink.delivered.length;
      await worker.kill();
      killedAt = { processed: await processed(), held: sink.held(), sent: sentBefore };
    })();
    // Awaited below; this only keeps a failure from surfacing as unhandled while the batch is sent.
    killWhenHalfway.catch(() => undefined);
    // The batch keeps coming while the worker dies (the SMTP process is unaffected).
    for (const sender of senders) {
      const result = await sendMail({ port: smtp.smtpPort as number, from: sender, to: ['complaints@example.net'], raw: await complaint({ from: sender }) });
      expect(result.final.code).toBe(250);
    }
    await killWhenHalfway;
    console.info(`[faults] worker killed with ${killedAt?.processed}/${BATCH} processed and ${killedAt?.held} acknowledgements held by the relay`);
    expect(killedAt?.processed).toBeLessThan(BATCH);
    expect(killedAt?.held).toBeGreaterThan(0);
    expect(killedAt?.sent).toBe(0);

    // The dead worker's connections are gone: what the relay held was never accepted.
    await waitFor(() => sink.heldOpen() === 0, 10_000, "the relay seeing the dead worker's connections close");
    sink.release();
    expect(sink.delivered).toHaveLength(0);

    const second = await startProduct({ name: 'worker-2', env, roles: ['worker'], logDir: state.dataDir });
    running.push(second);
    await waitFor(async () => (await processed()) === BATCH, 60_000, 'the whole batch processed');
    await waitFor(() => senders.every((sender) => sink.to(sender).length > 0), 30_000, 'every acknowledgement delivered');
    await sleep(3_000); // more stalled-job checks: nothing may be sent twice

    for (const sender of senders) expect(sink.to(sender), sender).toHaveLength(1);
    expect(await state.db.prisma.inboundMessage.count()).toBe(BATCH);
    expect(await state.db.prisma.case.count()).toBe(BATCH);
    const acks = await state.db.prisma.caseMessage.findMany({ where: { direction: 'out', kind: 'ack' }, select: { caseId: true, status: true } });
    expect(acks).toHaveLength(BATCH);
    expect(new Set(acks.map((ack) => ack.caseId)).size).toBe(BATCH);
    expect(acks.every((ack) => ack.status === 'sent')).toBe(true);
  }, 170_000);
});
