import { setTimeout as sleep } from 'node:timers/promises';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { RunningApp } from '../../src/app.js';
import { sha256 } from '../../src/intake/store.js';
import { startDnsServer, type DnsServerMode, type ZoneDnsServer } from '../../src/dns/zone-server.js';
import type { Zone } from '../../src/dns/zone.js';
import { buildMessage, dkimTxtRecord, signMessage, testKeys, testZone } from '../support/mail.js';
import { waitFor } from '../support/harness.js';
import { sendMail } from '../support/smtp-client.js';
import { createFaultState, deskEnv, startDesk, type FaultState } from './support/desk.js';
import { startPrivateRedis, type PrivateRedis } from './support/private-redis.js';
import { timed } from './support/util.js';

// DNS_TIMEOUT_MS of the product here, and the budget a whole message may take
// when every lookup times out: the authentication deadline (5 s at least) and room.
const DNS_TIMEOUT_MS = 500;
const BUDGET_MS = 6_500;
const MODES: DnsServerMode[] = ['silent', 'refuse', 'servfail'];

/** A verified sender domain per mode: the resolver caches good answers, so each case asks afresh. */
const domainOf = (mode: DnsServerMode) => `${mode}.test`;
const ZERO_TTL = 'zero-ttl.test';

function zone(): Zone {
  const base = testZone();
  for (const mode of MODES) {
    const domain = domainOf(mode);
    base[domain] = { TXT: ['v=spf1 ip4:127.0.0.0/8 -all'], A: ['127.0.0.1'] };
    base[`s1._domainkey.${domain}`] = { TXT: [dkimTxtRecord(testKeys.rsa.publicKey)] };
    base[`_dmarc.${domain}`] = { TXT: ['v=DMARC1; p=reject'] };
  }
  // Every record of this sender says "do not keep me" (TTL 0).
  base[ZERO_TTL] = { TXT: ['v=spf1 ip4:127.0.0.0/8 -all'], A: ['127.0.0.1'], ttl: 0 };
  base[`s1._domainkey.${ZERO_TTL}`] = { TXT: [dkimTxtRecord(testKeys.rsa.publicKey)], ttl: 0 };
  base[`_dmarc.${ZERO_TTL}`] = { TXT: ['v=DMARC1; p=reject'], ttl: 0 };
  return base;
}

/**
 * The product's resolver talks to a real DNS server on loopback that stops
 * answering, or refuses. The sender cannot be checked, so it is asked to retry
 * (451 4.4.3) within a fixed time; it is never refused or recorded as a
 * refusal, and once DNS answers again the same message is accepted.
 */
describe('fault: DNS silent, refusing or failing', () => {
  let state: FaultState;
  let redis: PrivateRedis;
  let dns: ZoneDnsServer;
  let app: RunningApp;
  let port: number;

  beforeAll(async () => {
    [state, redis, dns] = await Promise.all([createFaultState('dns'), startPrivateRedis(), startDnsServer({ zone: zone() })]);
    app = await startDesk(deskEnv(state, { REDIS_URL: redis.url, DNS_SERVERS: dns.address, DNS_TIMEOUT_MS: String(DNS_TIMEOUT_MS) }), ['smtp']);
    port = app.smtpPort as number;
  }, 60_000);

  afterAll(async () => {
    await app?.stop(10_000);
    await Promise.all([dns?.stop(), redis?.close()]);
    await state?.drop();
  }, 30_000);

  it.each(MODES)('DNS %s: 451 4.4.3 within the budget, the refusal kept, accepted once DNS is back', async (mode) => {
    const sender = `erika@${domainOf(mode)}`;
    const raw = await signMessage(
      buildMessage({ from: `Erika <${sender}>`, to: 'complaints@example.net', subject: `Complaint while DNS is ${mode}`, text: 'Nobody answers my support requests, please look into it.\n' }),
      { domain: domainOf(mode), selector: 's1', privateKey: testKeys.rsa.privateKey },
    );
    dns.setMode(mode);
    dns.resetQueries();
    const { value: result, ms } = await timed(() => sendMail({ port, from: sender, to: ['complaints@example.net'], raw }));
    console.info(`[faults] DNS ${mode}: ${result.final.code} ${result.final.text} after ${ms} ms (${dns.queries().length} queries)`);
    expect(dns.queries().length).toBeGreaterThan(0);
    expect(result.final.code).toBe(451);
    expect(result.final.text).toMatch(/^4\.4\.3 /);
    expect(ms).toBeLessThan(BUDGET_MS);

    // Kept as a refusal (issue 23: temporary failures too), once, as written by the batch.
    const kept = await waitFor(async () => {
      const rows = await state.db.prisma.rejection.findMany({ where: { envelopeFrom: sender }, select: { reason: true, smtpCode: true } });
      return rows.length > 0 ? rows : undefined;
    }, 5_000, 'the 451 recorded');
    await sleep(300);
    expect(kept).toEqual([{ reason: 'dns_temperror', smtpCode: 451 }]);
    expect(await state.db.prisma.rejection.count({ where: { envelopeFrom: sender } })).toBe(1);
    expect(await state.db.prisma.inboundMessage.count({ where: { sha256: sha256(raw) } })).toBe(0);

    dns.setMode('normal');
    const retry = await sendMail({ port, from: sender, to: ['complaints@example.net'], raw });
    expect(retry.final.code).toBe(250);
    expect(await state.db.prisma.inboundMessage.count({ where: { sha256: sha256(raw) } })).toBe(1);
  }, 30_000);

  it('never lets an answer with TTL 0 through once DNS is down: 451 4.4.3, not an accept from a cache', async () => {
    const sender = `erika@${ZERO_TTL}`;
    const complaint = (subject: string) =>
      signMessage(buildMessage({ from: `Erika <${sender}>`, to: 'complaints@example.net', subject, text: 'Nobody answers my support requests, please look into it.\n' }), {
        domain: ZERO_TTL,
        selector: 's1',
        privateKey: testKeys.rsa.privateKey,
      });
    dns.setMode('normal');
    const first = await sendMail({ port, from: sender, to: ['complaints@example.net'], raw: await complaint('While DNS answers') });
    expect(first.final.code).toBe(250);

    dns.setMode('silent');
    dns.resetQueries();
    const raw = await complaint('After DNS went down');
    const second = await sendMail({ port, from: sender, to: ['complaints@example.net'], raw });
    dns.setMode('normal');
    expect(dns.queries().length).toBeGreaterThan(0);
    expect(second.final.code).toBe(451);
    expect(second.final.text).toMatch(/^4\.4\.3 /);
    expect(await state.db.prisma.inboundMessage.count({ where: { sha256: sha256(raw) } })).toBe(0);
  }, 30_000);
});
