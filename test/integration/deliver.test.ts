import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Tx } from '../../src/db/index.js';
import { newId } from '../../src/lib/ids.js';
import { silentLogger } from '../../src/lib/logger.js';
import { deliverMessage, type DeliverDeps } from '../../src/outbound/deliver.js';
import type { Envelope, OutboundTransport } from '../../src/outbound/transport.js';
import { startTestApp, type TestApp } from '../support/harness.js';

/**
 * One outgoing message, handed to the relay once. The row says what is left to
 * do: a queued or failed row is sent; a row the relay already took (the worker
 * died before writing it down) is only recorded; a sent row is left alone.
 * Recording writes the row's `sent` and its event together, in one statement
 * for a message that changes nothing else, in a transaction with the case's
 * own step for one that does (an acknowledgement).
 */

interface Sent {
  envelope: Envelope;
  raw: Buffer;
  name: string;
}

/** A relay that records what it is given, and refuses while `down` is set. */
function fakeRelay(): OutboundTransport & { sent: Sent[]; down: boolean } {
  const relay = {
    sent: [] as Sent[],
    down: false,
    description: 'test relay',
    async send(envelope: Envelope, raw: Buffer, name: string) {
      if (relay.down) throw new Error('connect ECONNREFUSED 127.0.0.1:25');
      relay.sent.push({ envelope, raw: Buffer.from(raw), name });
      return `250 2.0.0 Ok: queued as ${relay.sent.length}`;
    },
    async close() {},
  };
  return relay;
}

for (const database of ['postgres', 'embedded'] as const) {
  describe(`delivering one outgoing message (${database})`, () => {
    let t: TestApp;
    let caseId: string;
    const relay = fakeRelay();
    const acknowledged: Array<{ caseId: string; kind: string; at: Date }> = [];
    let deps: DeliverDeps;
    // Bytes a text round trip would spoil: a NUL, high bytes, a lone CR.
    const raw = Buffer.concat([Buffer.from('Subject: [CMP-2026-000001] Re: your complaint\r\n\r\nbody\r\n'), Buffer.from([0, 0xff, 0xfe, 13, 10])]);

    beforeAll(async () => {
      t = await startTestApp({ roles: ['web'], database });
      caseId = newId();
      await t.app.database.prisma.case.create({
        data: {
          id: caseId,
          ticket: `CMP-2026-${String(Math.floor(Math.random() * 1e6)).padStart(6, '0')}`,
          brand: 'example-net',
          kind: 'complaint',
          state: 'received',
          language: 'en',
          subject: 'Complaint',
          complainantAddress: 'c1@sender.test',
          receivedAt: new Date(),
        },
      });
      deps = {
        db: t.app.database.prisma,
        sql: t.app.database.runner,
        transport: relay,
        now: () => new Date(),
        logger: silentLogger,
        afterSent: {
          kinds: new Set(['ack']),
          async record(tx: Tx, sent) {
            // Inside the transaction that marks the row sent, so it sees the row as sent.
            expect(await tx.caseMessage.count({ where: { caseId: sent.caseId, kind: sent.kind, status: 'sent' } })).toBe(1);
            acknowledged.push(sent);
          },
        },
      };
    }, 60_000);

    afterAll(async () => {
      await t?.stop({ drop: true });
    });

    async function outgoing(kind: string, status: string, extra: { sentAt?: Date } = {}): Promise<string> {
      const id = newId();
      await t.app.database.prisma.caseMessage.create({
        data: {
          id,
          caseId,
          direction: 'out',
          role: 'system',
          kind,
          messageId: `<${id}@example.net>`,
          from: 'complaints@example.net',
          to: ['c1@sender.test', 'second@sender.test'],
          subject: 'Re: your complaint',
          status,
          raw,
          envelope: { from: '', to: ['c1@sender.test', 'second@sender.test'] },
          ...extra,
        },
      });
      return id;
    }

    const rowOf = (id: string) => t.app.database.prisma.caseMessage.findUniqueOrThrow({ where: { id }, select: { status: true, attempts: true, sentAt: true, lastError: true } });

    it('sends a queued message once, with its envelope and exact bytes, and records it with one event', async () => {
      const id = await outgoing('notice', 'queued');
      const before = await t.app.database.prisma.caseEvent.count({ where: { caseId, type: 'message_sent' } });
      await expect(deliverMessage(id, deps)).resolves.toBe('sent');
      expect(relay.sent.filter((sent) => sent.name === id)).toHaveLength(1);
      const sent = relay.sent.find((entry) => entry.name === id) as Sent;
      expect(sent.envelope).toEqual({ from: '', to: ['c1@sender.test', 'second@sender.test'] });
      expect(sent.raw.equals(raw)).toBe(true);
      const row = await rowOf(id);
      expect(row).toMatchObject({ status: 'sent', attempts: 1, lastError: null });
      expect(row.sentAt).toBeInstanceOf(Date);
      const events = await t.app.database.prisma.caseEvent.findMany({ where: { caseId, type: 'message_sent' }, orderBy: { seq: 'asc' } });
      expect(events).toHaveLength(before + 1);
      expect(events.at(-1)).toMatchObject({ actor: 'system', data: { kind: 'notice', to: ['c1@sender.test', 'second@sender.test'], response: '250 2.0.0 Ok: queued as 1' } });
      expect((events.at(-1)?.at as Date).getTime()).toBe(row.sentAt?.getTime());
      // A notice changes nothing else about its case.
      expect(acknowledged).toHaveLength(0);

      // The same job again (a duplicate or a retry): nothing is sent or written.
      await expect(deliverMessage(id, deps)).resolves.toBe('already_done');
      expect(relay.sent.filter((entry) => entry.name === id)).toHaveLength(1);
      expect(await t.app.database.prisma.caseEvent.count({ where: { caseId, type: 'message_sent' } })).toBe(before + 1);
    });

    it('only records a message the relay already took, at the time it took it, once', async () => {
      const takenAt = new Date(Date.UTC(2026, 10, 20, 23, 59, 58, 123));
      const id = await outgoing('notice', 'delivered', { sentAt: takenAt });
      const before = await t.app.database.prisma.caseEvent.count({ where: { caseId, type: 'message_sent' } });
      await expect(deliverMessage(id, deps)).resolves.toBe('sent');
      await expect(deliverMessage(id, deps)).resolves.toBe('already_done');
      expect(relay.sent.filter((entry) => entry.name === id)).toHaveLength(0);
      expect(await rowOf(id)).toMatchObject({ status: 'sent', sentAt: takenAt });
      const events = await t.app.database.prisma.caseEvent.findMany({ where: { caseId, type: 'message_sent' }, orderBy: { seq: 'asc' } });
      expect(events).toHaveLength(before + 1);
      expect(events.at(-1)).toMatchObject({ at: takenAt, data: { kind: 'notice', response: 'handed to the relay earlier' } });
    });

    it('records an acknowledgement together with what it means for the case', async () => {
      const id = await outgoing('ack', 'queued');
      await expect(deliverMessage(id, deps)).resolves.toBe('sent');
      expect(acknowledged).toEqual([{ caseId, kind: 'ack', at: (await rowOf(id)).sentAt }]);
      await expect(deliverMessage(id, deps)).resolves.toBe('already_done');
      expect(acknowledged).toHaveLength(1);
    });

    it('notes a refused send on the row and throws for the queue to retry; the retry sends it once', async () => {
      const id = await outgoing('notice', 'queued');
      relay.down = true;
      await expect(deliverMessage(id, deps)).rejects.toThrow(/ECONNREFUSED/);
      expect(await rowOf(id)).toMatchObject({ status: 'failed', attempts: 1, lastError: expect.stringContaining('ECONNREFUSED') as unknown as string });
      relay.down = false;
      await expect(deliverMessage(id, deps)).resolves.toBe('sent');
      expect(await rowOf(id)).toMatchObject({ status: 'sent', attempts: 2, lastError: null });
      expect(relay.sent.filter((entry) => entry.name === id)).toHaveLength(1);
    });

    it('records a relay answer that holds characters the database cannot store', async () => {
      const id = await outgoing('notice', 'queued');
      const answer = relay.send.bind(relay);
      relay.send = async (...args) => `${await answer(...args)} \u0000 \ud800`;
      try {
        await expect(deliverMessage(id, deps)).resolves.toBe('sent');
      } finally {
        relay.send = answer;
      }
      expect(await rowOf(id)).toMatchObject({ status: 'sent' });
      const event = await t.app.database.prisma.caseEvent.findFirst({ where: { caseId, type: 'message_sent' }, orderBy: { seq: 'desc' } });
      expect((event?.data as { response: string }).response).toMatch(/queued as \d+ \uFFFD \uFFFD$/);
    });

    it('answers missing for a message that is not there', async () => {
      await expect(deliverMessage(newId(), deps)).resolves.toBe('missing');
    });
  });
}
