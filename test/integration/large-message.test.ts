import { createHash } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { dropOrphanChunks, readSpooled, sqlChunkStore } from '../../src/intake/spool.js';
import { buildMessage, FORGER_KEY, SENDER_DOMAIN, SENDER_KEY, signMessage } from '../support/mail.js';
import { sendMail } from '../support/smtp-client.js';
import { startTestApp, waitFor, type TestApp } from '../support/harness.js';

const SPOOL_BYTES = 64 * 1024;
const LIMIT_BYTES = 4 * 1024 * 1024;

/** A plain-text complaint of about `bytes`, signed by `key`. */
async function largeComplaint(bytes: number, key = SENDER_KEY, subject = 'Complaint with a long transcript'): Promise<Buffer> {
  const line = 'Our chat transcript with your support team follows, line by line, as requested.\n';
  const text = `Dear support team,\n\nI am not happy with how my request was handled.\n\n${line.repeat(Math.ceil(bytes / line.length))}`;
  return signMessage(buildMessage({ from: `Erika <erika@${SENDER_DOMAIN}>`, to: 'complaints@example.net', subject, text }), key);
}

/**
 * Messages above SMTP_SPOOL_BYTES go to the database in pieces while DATA
 * arrives; the intake worker reassembles them. Refused and oversized ones
 * leave no pieces behind, and the sweep removes pieces nobody claimed.
 */
describe.each(['postgres', 'embedded'] as const)('large messages on %s', (database) => {
  let t: TestApp;
  beforeAll(async () => {
    t = await startTestApp({ database, env: { SMTP_SPOOL_BYTES: String(SPOOL_BYTES), MAX_MESSAGE_BYTES: String(LIMIT_BYTES) } });
  });
  afterAll(async () => {
    await t?.stop({ drop: true });
  });

  const chunkRows = async () => (await t.app.database.runner.query<{ n: number }>('SELECT count(*)::int AS n FROM "InboundChunk"'))[0]?.n ?? 0;
  const unclaimedChunks = async () =>
    (
      await t.app.database.runner.query<{ n: number }>(
        'SELECT count(*)::int AS n FROM "InboundChunk" c WHERE NOT EXISTS (SELECT 1 FROM "InboundMessage" m WHERE m.id = c."inboundId")',
      )
    )[0]?.n ?? 0;

  it('spools a large message in pieces, opens its case and acknowledges it', async () => {
    const raw = await largeComplaint(3 * 1024 * 1024);
    const result = await sendMail({ port: t.smtpPort, from: `erika@${SENDER_DOMAIN}`, to: ['complaints@example.net'], raw });
    expect(result.final.code).toBe(250);

    const digest = createHash('sha256').update(raw).digest('hex');
    const row = await t.app.database.prisma.inboundMessage.findUniqueOrThrow({ where: { sha256: digest }, select: { id: true, raw: true, size: true } });
    expect(row.raw).toBeNull();
    expect(row.size).toBe(raw.length);
    expect(await chunkRows()).toBeGreaterThan(raw.length / (4 * SPOOL_BYTES));
    const reassembled = await readSpooled(sqlChunkStore(t.app.database.runner), row.id);
    expect(reassembled.equals(raw)).toBe(true);

    const ack = await waitFor(() => t.transport.to(`erika@${SENDER_DOMAIN}`)[0], 30_000, 'acknowledgement');
    expect(ack.text).toMatch(/X-Ticket-ID: CMP-\d{4}-\d{6}/);
    const processed = await t.app.database.prisma.inboundMessage.findUniqueOrThrow({ where: { id: row.id }, select: { status: true, caseId: true } });
    expect(processed).toMatchObject({ status: 'processed', caseId: expect.any(String) });
    const notice = await waitFor(() => t.transport.to('abuse-team@example.com')[0], 30_000, 'specialist notice');
    // The original travels to the specialists whole, as message/rfc822.
    expect(notice.raw.length).toBeGreaterThan(raw.length);

    // A redelivery of the same bytes is recognised and leaves no second set of pieces.
    const before = await chunkRows();
    const again = await sendMail({ port: t.smtpPort, from: `erika@${SENDER_DOMAIN}`, to: ['complaints@example.net'], raw });
    expect(again.final.code).toBe(250);
    expect(again.final.text).toMatch(/already received/);
    expect(await chunkRows()).toBe(before);
  });

  it('leaves no pieces behind when a large message is refused', async () => {
    const forged = await largeComplaint(1024 * 1024, FORGER_KEY, 'Forged large complaint');
    const result = await sendMail({ port: t.smtpPort, from: 'mailer@forger.test', to: ['complaints@example.net'], raw: forged });
    expect(result.final.code).toBe(550);
    expect(await unclaimedChunks()).toBe(0);
  });

  it('answers 552 over the size limit and keeps nothing of it', async () => {
    const tooBig = await largeComplaint(LIMIT_BYTES + 512 * 1024, SENDER_KEY, 'Oversized complaint');
    const result = await sendMail({ port: t.smtpPort, from: `erika@${SENDER_DOMAIN}`, to: ['complaints@example.net'], raw: tooBig });
    expect(result.final.code).toBe(552);
    expect(result.final.text).toMatch(/^5\.3\.4/);
    expect(await unclaimedChunks()).toBe(0);
    expect(await t.app.database.prisma.inboundMessage.count({ where: { size: tooBig.length } })).toBe(0);
  });

  it('lets the sweep remove old pieces that never got their message, and only those', async () => {
    const runner = t.app.database.runner;
    await runner.query(`INSERT INTO "InboundChunk" ("inboundId", seq, data, "createdAt") VALUES ('orphan-old', 0, $1, (now() AT TIME ZONE 'UTC') - interval '7 hours')`, [Buffer.from('x')]);
    await runner.query(`INSERT INTO "InboundChunk" ("inboundId", seq, data, "createdAt") VALUES ('orphan-new', 0, $1, now() AT TIME ZONE 'UTC')`, [Buffer.from('y')]);
    const claimed = await chunkRows();
    expect(await dropOrphanChunks(runner, 6)).toBe(1);
    expect(await chunkRows()).toBe(claimed - 1);
    const left = await runner.query<{ inboundId: string }>(`SELECT "inboundId" FROM "InboundChunk" WHERE "inboundId" LIKE 'orphan-%'`);
    expect(left.map((row) => row.inboundId)).toEqual(['orphan-new']);
  });
});
