import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { SqlRunner } from '../../src/db/migrate.js';
import { createPool, parseDatabaseUrl, postgresRunner } from '../../src/db/postgres.js';
import type { Verdict } from '../../src/intake/authenticate.js';
import { inboundStore, sha256, type InboundRecord } from '../../src/intake/store.js';
import { newId } from '../../src/lib/ids.js';
import { startTestApp, type TestApp } from '../support/harness.js';

/**
 * Every message is written before its 250. Messages that finish together go in
 * one INSERT; each still gets its own answer: stored, a duplicate of the row
 * that was there first, or its own error when the database refuses its row.
 */

const verdict = { verified: true, fromAddresses: [], fromDomain: 'sender.test' } as unknown as Verdict;

function record(n: number, raw = Buffer.from(`Subject: report ${n}\r\n\r\nbody ${n}\r\n`), overrides: Partial<InboundRecord> = {}): InboundRecord {
  return {
    message: { id: newId(), size: raw.length, sha256: sha256(raw), raw, head: raw, discard: async () => undefined },
    messageId: `m${n}@sender.test`,
    envelopeFrom: `c${n}@sender.test`,
    recipients: ['complaints@example.net'],
    route: { type: 'mailbox', brandId: 'example-net', mailbox: 'complaints', address: 'complaints@example.net' },
    remoteIp: '127.0.0.1',
    helo: 'client.sender.test',
    verdict,
    receivedAt: new Date(),
    ...overrides,
  };
}

/** The real runner, counting the INSERTs it is given. */
function counting(runner: SqlRunner): SqlRunner & { inserts: number[] } {
  const inserts: number[] = [];
  return {
    ...runner,
    byteEncoding: runner.byteEncoding,
    inserts,
    query<T>(sql: string, params?: unknown[]) {
      if (sql.startsWith('INSERT INTO "InboundMessage"')) inserts.push((params?.length ?? 0) / 12);
      return runner.query<T>(sql, params);
    },
  };
}

describe('the inbound store gathers messages that finish together into one INSERT (PostgreSQL)', () => {
  let t: TestApp;

  beforeAll(async () => {
    t = await startTestApp({ roles: ['web'] });
  }, 60_000);

  afterAll(async () => {
    await t?.stop({ drop: true });
  });

  const rows = (ids: string[]) => t.app.database.prisma.inboundMessage.count({ where: { id: { in: ids } } });

  it('stores forty messages offered at once in a few statements, each once', async () => {
    const sql = counting(t.app.database.runner);
    const store = inboundStore(t.app.database.prisma, sql, { concurrency: 2, maxRows: 16 });
    const records = Array.from({ length: 40 }, (_, n) => record(n));
    const outcomes = await Promise.all(records.map((r) => store.store(r)));

    expect(outcomes).toEqual(records.map((r) => ({ kind: 'stored', id: r.message.id })));
    expect(await rows(records.map((r) => r.message.id))).toBe(40);
    // Two go at once; the rest wait for them and go sixteen at a time.
    expect(sql.inserts).toEqual([1, 1, 16, 16, 6]);
  });

  it('answers a copy in the same batch, and one already stored, as duplicates of the first row', async () => {
    const store = inboundStore(t.app.database.prisma, t.app.database.runner, { concurrency: 1 });
    const earlier = record(100);
    expect(await store.store(earlier)).toEqual({ kind: 'stored', id: earlier.message.id });

    const raw = Buffer.from('Subject: the same bytes twice\r\n\r\nbody\r\n');
    const first = record(101, raw);
    const copy = record(102, raw);
    const resent = record(100);
    const blocker = store.store(record(103)); // under way, so the next three wait and go together
    const outcomes = await Promise.all([store.store(first), store.store(copy), store.store(resent), blocker]);

    expect(outcomes[0]).toEqual({ kind: 'stored', id: first.message.id });
    expect(outcomes[1]).toEqual({ kind: 'duplicate', id: first.message.id, processed: false });
    expect(outcomes[2]).toEqual({ kind: 'duplicate', id: earlier.message.id, processed: false });
    expect(await rows([copy.message.id, resent.message.id])).toBe(0);
  });

  it('fails only the message whose row the database refuses; the others in its batch are stored', async () => {
    const sql = counting(t.app.database.runner);
    const store = inboundStore(t.app.database.prisma, sql, { concurrency: 1 });
    const blocker = record(200);
    const good = [record(201), record(202)];
    // A size past the int column (SQLSTATE 22003): what comes from mail is made storable, so only our own value can be refused.
    const bad = record(203);
    bad.message.size = 2 ** 31;
    const settled = await Promise.allSettled([store.store(blocker), store.store(good[0] as InboundRecord), store.store(bad), store.store(good[1] as InboundRecord)]);

    expect(settled.map((s) => s.status)).toEqual(['fulfilled', 'fulfilled', 'rejected', 'fulfilled']);
    expect(String((settled[2] as PromiseRejectedResult).reason)).toMatch(/out of range/);
    expect(await rows([blocker, ...good].map((r) => r.message.id))).toBe(3);
    expect(await rows([bad.message.id])).toBe(0);
    // The batch of three failed as one, then went again row by row.
    expect(sql.inserts).toEqual([1, 3, 1, 1, 1]);
  });

  it('stores NUL and lone surrogate halves from mail as U+FFFD, the same way each time, so a resend is still a duplicate', async () => {
    const store = inboundStore(t.app.database.prisma, t.app.database.runner);
    const hostile: Partial<InboundRecord> = {
      messageId: 'evil\u0000id@sender.test',
      envelopeFrom: 'c400\u0000@sender.test',
      helo: 'evil\u0000helo',
      verdict: { ...verdict, fromAddresses: ['a\u0000b@sender.test', 'half \ud800 pair'] } as Verdict,
    };
    const first = record(400, undefined, hostile);
    const outcome = await store.store(first);
    expect(outcome).toEqual({ kind: 'stored', id: first.message.id });
    const row = await t.app.database.prisma.inboundMessage.findUniqueOrThrow({ where: { id: first.message.id } });
    expect([row.messageId, row.envelopeFrom, row.helo]).toEqual(['evil\ufffdid@sender.test', 'c400\ufffd@sender.test', 'evil\ufffdhelo']);
    expect((row.verdict as { fromAddresses: string[] }).fromAddresses).toEqual(['a\ufffdb@sender.test', 'half \ufffd pair']);
    // Other bytes, the same sender and Message-ID.
    const resent = record(401, undefined, hostile);
    expect(await store.store(resent)).toEqual({ kind: 'duplicate', id: first.message.id, processed: false });
  });

  it('fails every waiting message at once when the database is away, without retrying row by row', async () => {
    const pool = createPool(parseDatabaseUrl('postgres://postgres@127.0.0.1:1/test'), 2);
    pool.on('error', () => undefined);
    const sql = counting(postgresRunner(pool, parseDatabaseUrl('postgres://postgres@127.0.0.1:1/test')));
    try {
      const store = inboundStore(t.app.database.prisma, sql, { concurrency: 1 });
      const settled = await Promise.allSettled(Array.from({ length: 5 }, (_, n) => store.store(record(300 + n))));
      expect(settled.every((s) => s.status === 'rejected')).toBe(true);
      expect(String((settled[0] as PromiseRejectedResult).reason)).toMatch(/ECONNREFUSED/);
      expect(sql.inserts).toEqual([1, 4]);
    } finally {
      await pool.end();
    }
  });
});
