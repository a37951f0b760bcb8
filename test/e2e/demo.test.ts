import { randomBytes } from 'node:crypto';
import { mkdtempSync, readdirSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { CaseSummary, CaseView } from '../../src/cases/view.js';
import { dropTestState, TEST_REDIS_URL } from '../support/harness.js';
import { freePort, npmRun, type NpmStarted } from '../support/npm-start.js';

/**
 * `npm run demo` as a newcomer runs it: it starts the desk with its own DNS,
 * sends its reports, has the specialist answer and the complainant escalate,
 * prints what it did and keeps running. The tickets it prints are in the API,
 * the mail it made is in the outbox, and a real site's database (DATABASE_URL)
 * is left aside.
 */

const API_TOKEN = `demo-${randomBytes(8).toString('hex')}`;
const ADMIN_PASSWORD = `demo-${randomBytes(8).toString('hex')}`;

describe('npm run demo', () => {
  const prefix = `e2e-demo-${randomBytes(4).toString('hex')}`;
  const workDir = mkdtempSync(join(tmpdir(), 'abuse-desk-demo-'));
  const dataDir = join(workDir, 'data');
  let demo: NpmStarted;
  let httpPort: number;

  const api = async <T>(path: string): Promise<T> => {
    const response = await fetch(`http://127.0.0.1:${httpPort}/api${path}`, { headers: { Authorization: `Bearer ${API_TOKEN}` }, signal: AbortSignal.timeout(10_000) });
    expect(response.status, path).toBe(200);
    return (await response.json()) as T;
  };

  beforeAll(async () => {
    httpPort = await freePort();
    demo = npmRun('demo', {
      DATA_DIR: dataDir,
      SMTP_PORT: String(await freePort()),
      HTTP_PORT: String(httpPort),
      QUEUE_PREFIX: prefix,
      REDIS_URL: TEST_REDIS_URL,
      API_TOKEN,
      ADMIN_PASSWORD,
      // A real site's database, which the demo must not touch (nothing listens there).
      DATABASE_URL: 'postgres://site@127.0.0.1:1/site',
    });
    await demo.waitForLine(/The desk keeps running/, 240_000);
  }, 260_000);

  afterAll(async () => {
    demo?.kill();
    await dropTestState({ schema: null, prefix: `${prefix}-demo`, dataDir: workDir });
  }, 60_000);

  it('prints four tickets in four languages, and the API has them', async () => {
    const output = demo.output();
    const tickets = [...output.matchAll(/^ {2}((?:ABU|CMP)-\d{4}-\d{6}) +(en|de|fr|nl) /gm)].map((match) => ({ ticket: match[1] as string, language: match[2] as string }));
    expect(tickets.map((ticket) => ticket.language).sort()).toEqual(['de', 'en', 'fr', 'nl']);
    const listed = await api<{ items: CaseSummary[] }>('/cases');
    expect(listed.items.map((item) => item.ticket).sort()).toEqual(tickets.map((ticket) => ticket.ticket).sort());
    expect(output).toContain('left aside for the demo: DATABASE_URL');
    expect(output).toContain(`queues under ${prefix}-demo`);
  });

  it('has the spam report heard by the customer, and the Dutch complaint answered by email and escalated', async () => {
    const listed = await api<{ items: CaseSummary[] }>('/cases');
    const spam = listed.items.find((item) => item.language === 'en') as CaseSummary;
    const spamView = await api<CaseView>(`/cases/${spam.ticket}`);
    expect(spamView.kind).toBe('abuse');
    expect(spamView.parties).toContainEqual({ role: 'customer', address: 'owner@pills-customer.test' });

    const complaint = listed.items.find((item) => item.language === 'nl') as CaseSummary;
    const view = await api<CaseView>(`/cases/${complaint.ticket}`);
    expect(view.state).toBe('escalated');
    expect(view.messages.filter((message) => message.direction === 'in').map((message) => message.role)).toEqual(['complainant', 'specialist', 'complainant']);
    expect(view.messages.some((message) => message.direction === 'out' && message.role === 'specialist' && message.relayed)).toBe(true);
    expect(view.events.map((event) => event.type)).toContain('escalated');
  });

  it('writes what the desk sent to its outbox, and serves the dashboard with the printed credentials', async () => {
    const output = demo.output();
    expect(output).toContain(`Outbox:     ${join(dataDir, 'outbox')}`);
    const outbox = join(dataDir, 'outbox');
    const recipients = readdirSync(outbox).map((name) => /^X-Envelope-To: <([^>]+)>/m.exec(readFileSync(join(outbox, name), 'utf8'))?.[1]);
    for (const writer of ['alice', 'jonas', 'camille', 'sanne']) expect(recipients).toContain(`${writer}@demo-sender.test`);
    expect(recipients).toContain('owner@pills-customer.test');

    expect(output).toContain(`http://127.0.0.1:${httpPort}/admin  (user admin, password ${ADMIN_PASSWORD})`);
    const dashboard = await fetch(`http://127.0.0.1:${httpPort}/admin`, {
      headers: { Authorization: `Basic ${Buffer.from(`admin:${ADMIN_PASSWORD}`).toString('base64')}` },
      signal: AbortSignal.timeout(10_000),
    });
    expect(dashboard.status).toBe(200);
  });

  it('stops on SIGTERM', async () => {
    demo.terminate();
    expect(await demo.exited).toBe(0);
  }, 40_000);
});
