import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { RunningApp } from '../../src/app.js';
import { ReplyTokens } from '../../src/outbound/reply-address.js';
import { RejectionLog } from '../../src/intake/rejections.js';
import { silentLogger } from '../../src/lib/logger.js';
import { smtpErrors } from '../../src/smtp/errors.js';
import { startDnsServer, type ZoneDnsServer as TestDnsServer } from '../../src/dns/zone-server.js';
import { waitFor } from '../support/harness.js';
import { SENDER_DOMAIN, testZone } from '../support/mail.js';
import { SmtpSession, type Reply } from '../support/smtp-client.js';
import { createFaultState, deskEnv, startDesk, type FaultState } from './support/desk.js';
import { startPgProxy, type PgProxy } from './support/pg-proxy.js';
import { startPrivateRedis, type PrivateRedis } from './support/private-redis.js';

/**
 * Issue 23, item 5: refusals are written in batches, and PostgreSQL going
 * away does not hold up the listener. While it is unreachable (a TCP proxy
 * between the product and the shared server closes), refusals are answered
 * as always and wait in a bounded buffer; those past it are counted and
 * dropped; when it is back, the ones held are written.
 */
const BUFFER = 5;

describe('fault: the refusal log while PostgreSQL is unreachable', () => {
  const sender = `olga@${SENDER_DOMAIN}`;
  let state: FaultState;
  let proxy: PgProxy;
  let redis: PrivateRedis;
  let dns: TestDnsServer;
  let app: RunningApp;

  beforeAll(async () => {
    [state, proxy, redis, dns] = await Promise.all([createFaultState('rejections'), startPgProxy(), startPrivateRedis(), startDnsServer({ zone: testZone() })]);
    app = await startDesk(
      deskEnv(state, { DATABASE_URL: state.databaseUrl(proxy.port), REDIS_URL: redis.url, DNS_SERVERS: dns.address, REJECTION_FLUSH_MS: '100', REJECTION_BUFFER_ROWS: String(BUFFER) }),
      ['smtp'],
    );
  }, 60_000);

  afterAll(async () => {
    await proxy?.up();
    await app?.stop(10_000);
    await Promise.all([proxy?.close(), dns?.stop(), redis?.close()]);
    await state?.drop();
  }, 30_000);

  const unrecorded = async () => (await app.metrics.registry.getSingleMetric('abuse_desk_smtp_refusals_unrecorded_total')?.get())?.values[0]?.value ?? 0;

  it('answers every refusal while the database is away, keeps the first ones, and writes them when it is back', async () => {
    await proxy.down();
    const { session, greeting } = await SmtpSession.open(app.smtpPort as number);
    expect(greeting.code).toBe(220);
    await session.command('EHLO client.test');
    expect((await session.command(`MAIL FROM:<${sender}>`)).code).toBe(250);
    const replies: Reply[] = [];
    for (let i = 0; i < 8; i++) replies.push(await session.command(`RCPT TO:<nobody-${i}@example.net>`));
    // A well-formed case address needs the database: 451, itself a refusal to keep (and past the buffer, dropped).
    replies.push(await session.command(`RCPT TO:<${new ReplyTokens('fault-reply-secret').address('CMP-2026-000001', 'example.net')}>`));
    // The session goes on: a mailbox needs no database at RCPT.
    replies.push(await session.command('RCPT TO:<complaints@example.net>'));
    session.close();
    expect(replies.map((reply) => reply.code)).toEqual([550, 550, 550, 550, 550, 550, 550, 550, 451, 250]);
    // Nine refusals, five held.
    await waitFor(async () => (await unrecorded()) === 4, 5_000, 'four refusals counted as dropped');

    await proxy.up();
    const kept = await waitFor(
      async () => {
        const rows = await state.db.prisma.rejection.findMany({ orderBy: { at: 'asc' }, select: { reason: true, recipients: true, envelopeFrom: true, remoteIp: true } });
        return rows.length === BUFFER ? rows : undefined;
      },
      20_000,
      'the held refusals written',
    );
    expect(kept.map((row) => row.recipients[0])).toEqual(['nobody-0@example.net', 'nobody-1@example.net', 'nobody-2@example.net', 'nobody-3@example.net', 'nobody-4@example.net']);
    expect(kept.every((row) => row.reason === 'unknown_recipient' && row.envelopeFrom === sender && row.remoteIp === '127.0.0.1')).toBe(true);
    expect(await unrecorded()).toBe(4);
  }, 60_000);

  it('writes what is left on close, and deletes rows older than the retention period', async () => {
    // Long before the rows of the test above, which are dated by the wall clock.
    const at = new Date('2001-03-02T10:00:00Z');
    let now = at;
    const log = new RejectionLog({ flushMs: 60_000, batchRows: 2, maxBuffered: 100, retentionDays: 30 }, { db: state.db.prisma, now: () => now, logger: silentLogger });
    log.start();
    for (let i = 0; i < 3; i++) log.record(smtpErrors.relayDenied(), { remoteIp: '192.0.2.7', envelopeFrom: 'x@relay.example', recipients: [`r${i}@elsewhere.example`] });
    expect(log.pending).toBe(3);
    await log.close();
    expect(await state.db.prisma.rejection.count({ where: { remoteIp: '192.0.2.7', at } })).toBe(3);

    now = new Date(at.getTime() + 30 * 86_400_000 + 1);
    const purger = new RejectionLog({ flushMs: 60_000, batchRows: 2, maxBuffered: 100, retentionDays: 30 }, { db: state.db.prisma, now: () => now, logger: silentLogger });
    expect(await purger.purge()).toBe(3);
    expect(await state.db.prisma.rejection.count({ where: { remoteIp: '192.0.2.7' } })).toBe(0);
    await purger.close();
  });
});
