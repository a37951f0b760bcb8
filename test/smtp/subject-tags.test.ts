import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { MAX_SUBJECT_TICKETS } from '../../src/outbound/subject-tag.js';
import { startTestApp, waitFor, type TestApp } from '../support/harness.js';
import { buildMessage, SENDER_DOMAIN } from '../support/mail.js';
import { sendMail } from '../support/smtp-client.js';

/**
 * Issue 27, item 3: a subject of 14,000 ticket tags once cost one database
 * lookup per tag and froze the process. Sent over SMTP, such a message is
 * threaded with a bounded number of queries, whatever the number of tags. The
 * queries are counted as the app sends them to PostgreSQL (a spy that passes
 * every call on), so a loop per tag anywhere on the way shows up.
 */
const COMPLAINANT = `tagger@${SENDER_DOMAIN}`;
const TAGS = 14_000;

interface Sent {
  text: string;
  values: unknown[];
}

/** Every query the app sends to PostgreSQL from now until `stop()`; each still runs. */
function recordQueries(): { sent(): Sent[]; stop(): void } {
  const spy = vi.spyOn(pg.Client.prototype, 'query');
  return {
    sent: () =>
      spy.mock.calls.map((args: unknown[]) => {
        const [first, second] = args as [string | { text?: string; values?: unknown[] }, unknown];
        if (typeof first === 'string') return { text: first, values: Array.isArray(second) ? second : [] };
        return { text: first?.text ?? '', values: first?.values ?? [] };
      }),
    stop: () => spy.mockRestore(),
  };
}

describe('a subject full of ticket tags', () => {
  let t: TestApp;
  beforeAll(async () => {
    t = await startTestApp({ database: 'postgres' });
  });
  afterAll(async () => {
    await t?.stop({ drop: true });
  });

  /** The subject is written as given: folded, not encoded. */
  const send = (subject: string) => {
    const raw = buildMessage({ from: COMPLAINANT, to: 'complaints@example.net', subject: 'SUBJECT', text: 'My transfer has been stuck for two weeks and nobody answers me.\n' });
    return sendMail({ port: t.smtpPort, from: COMPLAINANT, to: ['complaints@example.net'], raw: Buffer.from(raw.toString('latin1').replace('Subject: SUBJECT', `Subject: ${subject}`), 'latin1') });
  };

  /** 14,000 tags folded into lines of 50 (the whole header stays inside the 256 KiB the header reader takes). */
  const tagged = (tags: string[]) => {
    const lines = Array.from({ length: Math.ceil(tags.length / 50) }, (_, line) => tags.slice(line * 50, line * 50 + 50).join(''));
    return `Re: Transfer stuck ${lines.join('\r\n ')}`;
  };
  const strangers = (count: number) => Array.from({ length: count }, (_, i) => `[CMP-2026-${900_000 + i}]`);

  /** Sends the message and waits until it is processed; the queries sent meanwhile. */
  async function processed(subject: string): Promise<{ caseId: string | null; sent: Sent[] }> {
    const queries = recordQueries();
    try {
      const reply = await send(subject);
      expect(reply.final.code).toBe(250);
      const id = /Queued as (\S+)/.exec(reply.final.text)?.[1] as string;
      const row = await waitFor(() => t.app.database.prisma.inboundMessage.findFirst({ where: { id, status: 'processed' }, select: { caseId: true } }), 30_000, 'the tagged message processed');
      return { caseId: row.caseId, sent: queries.sent() };
    } finally {
      queries.stop();
    }
  }

  /** The lookups of subject tags among the queries: each with the tickets it asked for. */
  const tagLookups = (sent: Sent[]) =>
    sent.filter((query) => /"Case"/.test(query.text) && /"ticket" IN \(/.test(query.text)).map((query) => query.values.filter((value) => typeof value === 'string' && /^CMP-/.test(value)));

  let own: { id: string; ticket: string };
  beforeAll(async () => {
    expect((await send('Transfer stuck')).final.code).toBe(250);
    own = await waitFor(() => t.app.database.prisma.case.findFirst({ where: { complainantAddress: COMPLAINANT } }), 20_000, 'the first case');
  });

  it(`looks up ${MAX_SUBJECT_TICKETS} of ${TAGS} tags in one query, and nothing on the way loops per tag`, async () => {
    // Tags of cases that are not the sender's, and the sender's own one last:
    // past the first few, tags are noise and the message is a new one.
    const { caseId, sent } = await processed(tagged([...strangers(TAGS - 1), `[${own.ticket}]`]));
    expect(tagLookups(sent)).toEqual([strangers(MAX_SUBJECT_TICKETS).map((tag) => tag.slice(1, -1))]);
    expect(sent.length).toBeLessThan(100);
    expect(caseId).not.toBe(own.id);
  });

  it('still joins the sender\'s case when its tag comes first', async () => {
    const { caseId, sent } = await processed(tagged([`[${own.ticket}]`, ...strangers(TAGS - 1)]));
    expect(caseId).toBe(own.id);
    expect(tagLookups(sent)).toHaveLength(1);
    expect(sent.length).toBeLessThan(100);
  });
});
