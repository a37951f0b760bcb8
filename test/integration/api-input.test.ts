import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { deskClient, API_TOKEN, type DeskClient } from '../support/desk.js';
import { startTestApp, TestClock, waitFor, type TestApp } from '../support/harness.js';
import { SENDER_DOMAIN } from '../support/mail.js';

/**
 * Issue 27, item 5, over HTTP: input the API cannot use is answered 400 or
 * 413 with the reason, never 500, and a body is bounded before it is read.
 */
const MAX_BODY = 4096;
const COMPLAINANT = `nora@${SENDER_DOMAIN}`;

describe('API input', () => {
  let t: TestApp;
  let desk: DeskClient;
  let ticket: string;
  let base: string;
  const auth = { Authorization: `Bearer ${API_TOKEN}` };

  beforeAll(async () => {
    const clock = new TestClock();
    t = await startTestApp({ database: 'postgres', clock, env: { HTTP_MAX_BODY_BYTES: String(MAX_BODY) } });
    desk = deskClient(t, clock);
    base = `http://127.0.0.1:${t.httpPort}/api`;
    await desk.send({ from: COMPLAINANT, to: 'complaints@example.net', subject: 'Transfer stuck', text: 'My transfer has been stuck for two weeks and nobody answers me.\n' });
    ticket = (await waitFor(() => t.app.database.prisma.case.findFirst({ where: { complainantAddress: COMPLAINANT } }), 20_000, 'the case')).ticket;
    await waitFor(async () => (await desk.view(ticket)).deadlines.some((deadline) => deadline.kind === 'respond'), 15_000, 'the respond deadline');
  });
  afterAll(async () => {
    await t?.stop({ drop: true });
  });

  it.each([
    ['a month that does not exist', '2026-99-99'],
    ['a day the month does not have', '2026-02-30'],
  ])('answers 400 to extend with %s', async (_label, until) => {
    const reply = await desk.act(ticket, { action: 'extend', until });
    expect(reply.status).toBe(400);
    expect(reply.body.error).toBe('until: no such date');
  });

  it('answers 400 to a ticket holding a NUL byte, in a read and in an action', async () => {
    const read = await fetch(`${base}/cases/${ticket}%00`, { headers: auth });
    expect(read.status).toBe(400);
    expect(((await read.json()) as { error: string }).error).toMatch(/^the request path contains a NUL character/);

    const acted = await fetch(`${base}/cases/CMP%00/actions`, { method: 'POST', headers: { ...auth, 'Content-Type': 'application/json' }, body: JSON.stringify({ action: 'resolve' }) });
    expect(acted.status).toBe(400);
  });

  it('answers 400 to a NUL in a query filter and in a JSON string', async () => {
    const listed = await fetch(`${base}/cases?complainant=${encodeURIComponent('a\u0000@b.example')}`, { headers: auth });
    expect(listed.status).toBe(400);
    expect(((await listed.json()) as { error: string }).error).toMatch(/^query parameter "complainant" contains a NUL character/);

    const note = await desk.act(ticket, { action: 'note', text: 'first line\u0000second line' });
    expect(note.status).toBe(400);
    expect(note.body.error).toMatch(/^body\.text contains a NUL character/);

    const imported = await desk.post('/managed-domains', JSON.stringify([{ domain: 'ok.example', account: 'A1' }, { domain: 'bad\u0000.example', account: 'A1' }]));
    expect(imported.status).toBe(400);
    expect(((await imported.json()) as { error: string }).error).toMatch(/^body\[1\]\.domain contains a NUL character/);
  });

  it('refuses a body over HTTP_MAX_BODY_BYTES with 413 before reading it, declared or streamed', async () => {
    const big = JSON.stringify({ action: 'note', text: 'x'.repeat(MAX_BODY) });
    const declared = await fetch(`${base}/cases/${ticket}/actions`, { method: 'POST', headers: { ...auth, 'Content-Type': 'application/json' }, body: big });
    expect(declared.status).toBe(413);
    expect(((await declared.json()) as { error: string }).error).toBe(`the request body is larger than ${MAX_BODY} bytes`);

    // Chunked, without a Content-Length: counted as it arrives.
    const chunks = [big.slice(0, 2000), big.slice(2000)];
    const stream = new ReadableStream<Uint8Array>({
      pull(controller) {
        const chunk = chunks.shift();
        if (chunk === undefined) controller.close();
        else controller.enqueue(new TextEncoder().encode(chunk));
      },
    });
    const streamed = await fetch(`${base}/cases/${ticket}/actions`, {
      method: 'POST',
      headers: { ...auth, 'Content-Type': 'application/json' },
      body: stream,
      duplex: 'half',
    } as RequestInit);
    expect(streamed.status).toBe(413);

    // Nothing of either was written; a body under the limit still works.
    const view = await desk.view(ticket);
    expect(view.events.filter((event) => event.type === 'note_added')).toHaveLength(0);
    const small = await desk.act(ticket, { action: 'note', text: 'called the registry' });
    expect(small.status).toBe(200);
  });
});
