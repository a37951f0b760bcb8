import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { sha256 } from '../../src/intake/store.js';
import { startDnsServer, type ZoneDnsServer } from '../../src/dns/zone-server.js';
import { waitFor } from '../support/harness.js';
import { SENDER_DOMAIN, testZone } from '../support/mail.js';
import { sendMail } from '../support/smtp-client.js';
import { complaint, createFaultState, deskEnv, type FaultState } from './support/desk.js';
import { startPrivateRedis, type PrivateRedis } from './support/private-redis.js';
import { startProduct, type ProductProcess } from './support/product.js';
import { startSmtpSink, type SmtpSink } from './support/smtp-sink.js';
import { sleep } from './support/util.js';

const MESSAGES = 3;

/**
 * `npm start` (every role, one process) is SIGKILLed the moment it has answered
 * `250` to the last of a few messages, and its queue in Redis is wiped (as if
 * Redis had lost its last writes). After a restart the sweep finds what the
 * database holds unfinished: every message becomes one case with one
 * acknowledgement, and later sweeps add nothing. The first process has no
 * relay to reach, so no acknowledgement is in the relay's hands when it dies:
 * a relay that took a message whose sender died before writing that down is
 * the one window no SMTP client can close (README, "How it works"); a worker
 * killed in its own job is the worker-kill test's subject.
 */
describe('fault: process killed right after 250, queue wiped', () => {
  let state: FaultState;
  let redis: PrivateRedis;
  let dns: ZoneDnsServer;
  let sink: SmtpSink;
  let env: Record<string, string>;
  const running: ProductProcess[] = [];

  beforeAll(async () => {
    [state, redis, dns, sink] = await Promise.all([createFaultState('kill'), startPrivateRedis(), startDnsServer({ zone: testZone() }), startSmtpSink()]);
    env = deskEnv(state, {
      REDIS_URL: redis.url,
      DNS_SERVERS: dns.address,
      OUTBOUND_SMTP_URL: sink.url,
      SWEEP_INTERVAL_MS: '1000',
      SWEEP_GRACE_MS: '500',
    });
  }, 60_000);

  afterAll(async () => {
    await Promise.all(running.map((product) => product.kill()));
    await Promise.all([sink?.close(), dns?.stop(), redis?.close()]);
    await state?.drop();
  }, 30_000);

  it('processes every accepted message after a restart: one case and one acknowledgement each', async () => {
    // Port 9 on loopback: nothing listens there, so every send is refused at once.
    const first = await startProduct({ name: 'first', env: { ...env, OUTBOUND_SMTP_URL: 'smtp://127.0.0.1:9' }, logDir: state.dataDir });
    running.push(first);
    const senders = Array.from({ length: MESSAGES }, (_, i) => `killed${i}@${SENDER_DOMAIN}`);
    const raws: Buffer[] = [];
    for (const sender of senders) {
      const raw = await complaint({ from: sender });
      raws.push(raw);
      const result = await sendMail({ port: first.smtpPort as number, from: sender, to: ['complaints@example.net'], raw });
      expect(result.final.code).toBe(250);
    }
    // sendMail returns on the 250 (QUIT is only written): kill at once.
    await first.kill();

    const rows = await state.db.prisma.inboundMessage.findMany({ where: { sha256: { in: raws.map(sha256) } }, select: { id: true, status: true } });
    expect(rows).toHaveLength(MESSAGES);
    const unfinished = rows.filter((row) => row.status === 'stored').length;
    const unsent = await state.db.prisma.caseMessage.count({ where: { direction: 'out', kind: 'ack', status: { in: ['queued', 'failed'] } } });
    console.info(`[faults] killed after 250: ${unfinished} of ${MESSAGES} messages not yet processed, ${unsent} acknowledgements not yet sent`);
    // The kill came before the work was done (else this test would prove nothing).
    expect(unfinished + unsent).toBeGreaterThan(0);
    expect(await redis.wipe(state.prefix)).toBeGreaterThan(0);
    expect(await redis.keys(state.prefix)).toHaveLength(0);

    const second = await startProduct({ name: 'second', env, logDir: state.dataDir });
    running.push(second);
    await waitFor(
      async () => (await state.db.prisma.inboundMessage.count({ where: { id: { in: rows.map((row) => row.id) }, status: 'processed' } })) === MESSAGES,
      30_000,
      'every message processed after the restart',
    );
    await waitFor(() => senders.every((sender) => sink.to(sender).length > 0), 30_000, 'every acknowledgement sent');
    await sleep(2_500); // two more sweeps: nothing may happen twice
    for (const sender of senders) {
      expect(sink.to(sender)).toHaveLength(1);
      expect(await state.db.prisma.case.count({ where: { complainantAddress: sender } })).toBe(1);
    }
    expect(await state.db.prisma.caseMessage.count({ where: { direction: 'out', kind: 'ack' } })).toBe(MESSAGES);
    expect(await state.db.prisma.inboundMessage.count()).toBe(MESSAGES);

    second.signal('SIGTERM');
    expect(await second.exited).toMatchObject({ code: 0 });
  }, 150_000);
});
