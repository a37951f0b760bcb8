import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { RunningApp } from '../../src/app.js';
import { sha256 } from '../../src/intake/store.js';
import { startDnsServer, type ZoneDnsServer } from '../../src/dns/zone-server.js';
import { waitFor } from '../support/harness.js';
import { buildMessage, SENDER_DOMAIN, SENDER_KEY, signMessage, testZone } from '../support/mail.js';
import { sendMail, type SendResult } from '../support/smtp-client.js';
import { complaint, createFaultState, deskEnv, openData, replyAddressOf, sendUntilAccepted, startDesk, ticketOf, type FaultState } from './support/desk.js';
import { startPgProxy, type PgProxy } from './support/pg-proxy.js';
import { startPrivateRedis, type PrivateRedis } from './support/private-redis.js';
import { startSmtpSink, type SmtpSink } from './support/smtp-sink.js';
import { sleep, timed } from './support/util.js';

/**
 * PostgreSQL becomes unreachable for the product (a TCP proxy between them
 * closes its listener and cuts every connection; the shared server runs on).
 * A recipient check that needs the database (a case reply address) and the
 * store at the end of DATA answer an explicit 451, never a 5xx; once the
 * database is back, each retry is stored exactly once.
 */
describe('fault: PostgreSQL unreachable at RCPT and at DATA', () => {
  const sender = `erika@${SENDER_DOMAIN}`;
  let state: FaultState;
  let proxy: PgProxy;
  let redis: PrivateRedis;
  let dns: ZoneDnsServer;
  let sink: SmtpSink;
  let app: RunningApp;
  let port: number;

  beforeAll(async () => {
    [state, proxy, redis, dns, sink] = await Promise.all([
      createFaultState('pg'),
      startPgProxy(),
      startPrivateRedis(),
      startDnsServer({ zone: testZone() }),
      startSmtpSink(),
    ]);
    app = await startDesk(deskEnv(state, { DATABASE_URL: state.databaseUrl(proxy.port), REDIS_URL: redis.url, DNS_SERVERS: dns.address, OUTBOUND_SMTP_URL: sink.url }));
    port = app.smtpPort as number;
  }, 60_000);

  afterAll(async () => {
    await proxy?.up();
    await app?.stop(10_000);
    await Promise.all([proxy?.close(), sink?.close(), dns?.stop(), redis?.close()]);
    await state?.drop();
  }, 30_000);

  const inbound = (raw: Buffer) => state.db.prisma.inboundMessage.findMany({ where: { sha256: sha256(raw) }, select: { id: true, status: true, caseId: true } });

  it('answers 451 at RCPT and at the end of DATA while it is away, and stores each retry once when it is back', async () => {
    // A case to reply to, opened while the database is there.
    const first = await sendMail({ port, from: sender, to: ['complaints@example.net'], raw: await complaint({ from: sender }) });
    expect(first.final.code).toBe(250);
    await waitFor(() => sink.to(sender).length > 0, 20_000, 'the acknowledgement');
    const ack = (sink.to(sender)[0] as { text: string }).text;
    const ticket = ticketOf(ack) as string;
    const caseAddress = replyAddressOf(ack) as string;
    expect(ticket).toBeDefined();
    expect(caseAddress).toMatch(/^case\+/);
    const reply = await signMessage(
      buildMessage({ from: `Erika Mustermann <${sender}>`, to: caseAddress, subject: `Re: [${ticket}] my complaint`, text: 'Here is more detail about my complaint: the order number is 4711.\n' }),
      SENDER_KEY,
    );
    const fresh = await complaint({ from: sender, subject: 'Complaint sent while the database was away' });

    // A reply whose RCPT was checked while the database was there; it goes away before the final dot.
    const caseData = await openData(port, { from: sender, to: [caseAddress] });
    caseData.body(reply);
    await proxy.down();

    // RCPT to a case address needs the database.
    const { value: atRcpt, ms: rcptMs } = await timed(() => sendMail({ port, from: sender, to: [caseAddress], raw: reply }));
    // RCPT to a mailbox does not; the store at the end of DATA does.
    const { value: atData, ms: dataMs } = await timed(() => sendMail({ port, from: sender, to: ['complaints@example.net'], raw: fresh }));
    const { value: caseReply, ms: caseMs } = await timed(() => caseData.finish(15_000));
    caseData.session.close();
    console.info(`[faults] PostgreSQL away: RCPT ${atRcpt.final.code} in ${rcptMs} ms, DATA ${atData.final.code} in ${dataMs} ms, DATA to a case ${caseReply.code} in ${caseMs} ms`);

    expect(atRcpt.rcpt[0]?.code).toBe(451);
    expect(atRcpt.final.text).toMatch(/^4\.3\.0 .*database/);
    expect(atRcpt.data).toBeUndefined();
    expect(atData.rcpt[0]?.code).toBe(250);
    expect(atData.final.code).toBe(451);
    expect(atData.final.text).toMatch(/^4\.3\.0 .*database/);
    expect(caseReply.code).toBe(451);
    for (const ms of [rcptMs, dataMs, caseMs]) expect(ms).toBeLessThan(10_000);

    await proxy.up();
    const retry = (raw: Buffer, to: string) => sendUntilAccepted(() => sendMail({ port, from: sender, to: [to], raw }), { timeoutMs: 20_000, what: `retry to ${to}` });
    const retried: SendResult['final'][] = [(await retry(fresh, 'complaints@example.net')).final, (await retry(reply, caseAddress)).final];
    for (const final of retried) expect(final.text).not.toMatch(/already received/);

    const [freshRows, replyRows] = await waitFor(
      async () => {
        const rows = [await inbound(fresh), await inbound(reply)];
        return rows.every((list) => list.length === 1 && list[0]?.status === 'processed') ? rows : undefined;
      },
      20_000,
      'both retries processed',
    );
    await sleep(1_000);
    expect(await inbound(fresh)).toHaveLength(1);
    expect(await inbound(reply)).toHaveLength(1);
    // The fresh complaint opened one new case; the reply joined the case it answers.
    const theCase = await state.db.prisma.case.findUniqueOrThrow({ where: { ticket } });
    expect(replyRows?.[0]?.caseId).toBe(theCase.id);
    expect(freshRows?.[0]?.caseId).not.toBe(theCase.id);
    expect(await state.db.prisma.case.count({ where: { subject: 'Complaint sent while the database was away' } })).toBe(1);
    expect(await state.db.prisma.caseMessage.count({ where: { caseId: theCase.id, direction: 'in', inboundId: replyRows?.[0]?.id } })).toBe(1);
    // The 451s were answered while the database was away; kept in memory, they are written once it is back.
    const kept = await waitFor(async () => {
      const rows = await state.db.prisma.rejection.findMany({ select: { reason: true, smtpCode: true, envelopeFrom: true } });
      return rows.length >= 3 ? rows : undefined;
    }, 10_000, 'the 451s recorded');
    expect(kept.every((row) => row.reason === 'temporary_failure' && row.smtpCode === 451 && row.envelopeFrom === sender)).toBe(true);
  }, 90_000);
});
