import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { markUndeliverable } from '../../src/outbound/deliver.js';
import { csvCell, csvRow } from '../../src/web/dashboard/csv.js';
import { jsonForScript } from '../../src/web/dashboard/layout.js';
import { startTestApp, waitFor, type TestApp } from '../support/harness.js';
import { answered, FORMULA_SUBJECT, HOSTILE_SUBJECT, MAILS, openCase, sendForged, senderAddress } from '../browser/seed.js';

/**
 * The dashboard over HTTP on real PostgreSQL and Redis, with cases opened by
 * real signed mail: every page behind the password, the figures the overview
 * and /metrics report, the list's filters and pages, the CSV export, the case
 * page, hostile subjects escaped, and failed mail made visible.
 */

const ADMIN = `Basic ${Buffer.from('admin:test-admin-password').toString('base64')}`;
const BEARER = 'Bearer test-api-token';

describe('CSV cells', () => {
  it('quotes what needs quoting and neutralises formulas', () => {
    expect(csvCell('plain')).toBe('plain');
    expect(csvCell('a,b')).toBe('"a,b"');
    expect(csvCell('say "hi"')).toBe('"say ""hi"""');
    expect(csvCell('two\nlines')).toBe('"two\nlines"');
    for (const start of ['=', '+', '-', '@']) expect(csvCell(`${start}1+1`)).toBe(`'${start}1+1`);
    expect(csvCell('=SUM(A1,A2)')).toBe(`"'=SUM(A1,A2)"`);
    expect(csvCell(null)).toBe('');
    expect(csvRow(['a', 'b'])).toBe('a,b\r\n');
  });

  it('keeps JSON data blocks inert', () => {
    const text = jsonForScript({ s: '</script><!-- & \u2028' });
    expect(text).not.toMatch(/[<>&\u2028]/);
    expect(JSON.parse(text)).toEqual({ s: '</script><!-- & \u2028' });
  });
});

describe('dashboard over HTTP', () => {
  let t: TestApp;
  const tickets: Record<string, string> = {};
  const url = (path: string) => `http://127.0.0.1:${t.httpPort}${path}`;
  const admin = (path: string) => fetch(url(path), { headers: { Authorization: ADMIN } });
  const html = async (path: string) => {
    const response = await admin(path);
    expect(response.status, path).toBe(200);
    return response.text();
  };
  const dataBlock = (page: string, id: string) => {
    const match = new RegExp(`<script type="application/json" id="chart-data-${id}">(.*?)</script>`).exec(page);
    if (!match) throw new Error(`no data block ${id}`);
    return JSON.parse(match[1] as string) as { labels: string[]; series: Array<{ name: string; values: number[] }> };
  };
  const deadLetterPanel = (page: string) => {
    const start = page.lastIndexOf('<section', page.indexOf('id="dead-letters"'));
    return page.slice(start, page.indexOf('</section>', start));
  };
  const ticketsIn = (page: string) => [...page.matchAll(/href="\/admin\/cases\/((?:ABU|CMP|FBK)-\d{4}-\d{6,9})"/g)].map((m) => m[1]);

  beforeAll(async () => {
    t = await startTestApp({ database: 'postgres' });
    for (const [name, mail] of Object.entries(MAILS)) tickets[name] = await openCase(t, mail);
    await sendForged(t);
    for (const ticket of Object.values(tickets)) await answered(t, ticket);
  });
  afterAll(async () => {
    await t?.stop({ drop: true });
  });

  it('refuses every page without the password and keeps health open', async () => {
    const guarded = [
      '/admin',
      '/admin/',
      '/admin/cases',
      '/admin/cases?kind=abuse',
      '/admin/cases.csv',
      `/admin/cases/${tickets.hostile}`,
      '/admin/cases/NOPE-1',
      '/admin/assets/dashboard.js',
      '/admin/assets/dashboard.css',
      '/admin/assets/chart.umd.min.js',
      '/admin/queues',
      '/admin/queues/api/queues',
    ];
    for (const path of guarded) {
      const anonymous = await fetch(url(path));
      expect(anonymous.status, path).toBe(401);
      const body = await anonymous.text();
      expect(body, path).not.toContain('script');
      const wrong = await fetch(url(path), { headers: { Authorization: `Basic ${Buffer.from('admin:guess').toString('base64')}` } });
      expect(wrong.status, path).toBe(401);
      const token = await fetch(url(path), { headers: { Authorization: BEARER } });
      expect(token.status, `${path} with the API token`).toBe(401);
    }
    expect((await fetch(url('/metrics'))).status).toBe(401);
    // bearerAuth answers 400 to a Basic header: refused either way
    expect([400, 401]).toContain((await fetch(url('/metrics'), { headers: { Authorization: ADMIN } })).status);
    expect((await fetch(url('/healthz'))).status).toBe(200);
    expect((await fetch(url('/readyz'))).status).toBe(200);
  });

  it('serves its assets with the right types under the strict CSP', async () => {
    const chart = await admin('/admin/assets/chart.umd.min.js');
    expect(chart.headers.get('content-type')).toMatch(/^text\/javascript/);
    expect(await chart.text()).toMatch(/Chart/);
    expect((await admin('/admin/assets/dashboard.css')).headers.get('content-type')).toMatch(/^text\/css/);
    expect((await admin('/admin/assets/..%2Fpackage.json')).status).toBe(404);
    const overview = await admin('/admin');
    expect(overview.headers.get('content-security-policy')).toMatch(/script-src 'self'/);
    const page = await overview.text();
    expect(page).not.toMatch(/<script(?![^>]*(src=|type="application\/json"))/);
    expect(page).not.toMatch(/ style=/);
  });

  // What the case handlers decided (acknowledged, or waiting for the reported spam), read straight from the tables.
  const facts = async () => {
    const db = t.app.database.prisma;
    const [ackMet, respondPending, sent, acknowledgedCases, openPromises] = await Promise.all([
      db.deadline.count({ where: { kind: 'acknowledge', status: 'met' } }),
      db.deadline.count({ where: { kind: 'respond', status: 'pending' } }),
      db.caseMessage.count({ where: { direction: 'out', status: 'sent' } }),
      db.case.count({ where: { state: 'acknowledged' } }),
      db.deadline.count({ where: { metAt: null, status: { in: ['pending', 'breached'] } } }),
    ]);
    return { ackMet, respondPending, sent, acknowledgedCases, openPromises };
  };

  it('shows the figures of the real cases on the overview', async () => {
    const expected = await facts();
    expect(expected.ackMet).toBe(5);
    const page = await html('/admin');
    const byKind = dataBlock(page, 'by-kind');
    expect(Object.fromEntries(byKind.labels.map((label, i) => [label, byKind.series[0]?.values[i]]))).toEqual({ complaint: 4, abuse: 1 });
    const byBrand = dataBlock(page, 'by-brand');
    expect(Object.fromEntries(byBrand.labels.map((label, i) => [label, byBrand.series[0]?.values[i]]))).toEqual({ 'example-net': 4, 'support-example': 1 });
    const byLanguage = dataBlock(page, 'by-language');
    expect(byLanguage.labels).toEqual(expect.arrayContaining(['de', 'en', 'fr']));
    const refusals = dataBlock(page, 'refusals');
    expect(refusals.labels).toHaveLength(30);
    expect(refusals.series.find((s) => s.name === 'dmarc_reject')?.values.at(-1)).toBe(1);
    const perWeek = dataBlock(page, 'cases-per-week');
    expect(perWeek.series.reduce((n, s) => n + (s.values.at(-1) ?? 0), 0)).toBe(5);
    const ack = dataBlock(page, 'sla-acknowledge');
    expect(ack.series.find((s) => s.name === 'met')?.values.at(-1)).toBe(5);
    const respond = dataBlock(page, 'sla-respond');
    expect(respond.series.find((s) => s.name === 'pending')?.values.at(-1)).toBe(expected.respondPending);
    expect(page).toContain('id="sla-summary"');
    const nearest = page.slice(page.indexOf('id="nearest"'), page.indexOf('</section>', page.indexOf('id="nearest"')));
    expect(expected.openPromises).toBeGreaterThan(0);
    expect(ticketsIn(nearest)).toHaveLength(expected.openPromises);
    expect(page).toContain('href="/admin/queues/queue/intake"');
  });

  it('escapes hostile subjects everywhere', async () => {
    for (const path of ['/admin', '/admin/cases', `/admin/cases/${tickets.hostile}`]) {
      const page = await html(path);
      expect(page, path).not.toContain('<script>alert(1)');
      expect(page, path).not.toContain('<img src=x');
      expect(page, path).toContain('&lt;script&gt;alert(1)&lt;/script&gt;&lt;img src=x onerror=alert(2)&gt;');
    }
  });

  it('filters the list and pages through it', async () => {
    expect(ticketsIn(await html('/admin/cases?kind=abuse'))).toEqual([tickets.englishAbuse]);
    expect(ticketsIn(await html('/admin/cases?brand=support-example'))).toEqual([tickets.frenchComplaint]);
    expect(ticketsIn(await html('/admin/cases?language=de'))).toEqual([tickets.germanComplaint]);
    expect(ticketsIn(await html(`/admin/cases?complainant=${encodeURIComponent(senderAddress(MAILS.germanComplaint).toUpperCase())}`))).toEqual([tickets.germanComplaint]);
    expect(ticketsIn(await html('/admin/cases?state=acknowledged'))).toHaveLength((await facts()).acknowledgedCases);
    expect(ticketsIn(await html('/admin/cases?overdue=1'))).toEqual([]);
    const bad = await admin('/admin/cases?state=%3Cb%3Ebogus');
    expect(bad.status).toBe(400);
    expect(await bad.text()).toContain('state must be one of');

    const first = await html('/admin/cases?kind=complaint&limit=3');
    const next = /href="([^"]+)" rel="next"/.exec(first)?.[1]?.replace(/&amp;/g, '&');
    expect(next).toMatch(/kind=complaint/);
    expect(next).toMatch(/limit=3/);
    const second = await html(next as string);
    const all = [...ticketsIn(first), ...ticketsIn(second)];
    expect(all).toHaveLength(4);
    expect(new Set(all).size).toBe(4);
    expect(second).not.toContain('rel="next"');
  });

  it('exports the filtered list as CSV', async () => {
    const response = await admin('/admin/cases.csv?kind=complaint');
    expect(response.status).toBe(200);
    expect(response.headers.get('content-type')).toMatch(/^text\/csv/);
    expect(response.headers.get('content-disposition')).toMatch(/attachment; filename="cases-\d{4}-\d{2}-\d{2}\.csv"/);
    const text = await response.text();
    const lines = text.split('\r\n').filter(Boolean);
    expect(lines[0]).toBe('ticket,kind,state,language,brand,subject,complainant_address,complainant_name,received_at,next_due_at');
    expect(lines).toHaveLength(5);
    expect(text).toContain(`"'${FORMULA_SUBJECT.replace(/"/g, '""')}"`);
    expect(text).toContain(HOSTILE_SUBJECT);
    expect(text).not.toContain(tickets.englishAbuse);
    expect((await admin('/admin/cases.csv?kind=nonsense')).status).toBe(400);
  });

  it('shows a case with its whole timeline', async () => {
    const page = await html(`/admin/cases/${tickets.germanComplaint}`);
    expect(page).toContain(`Case ${tickets.germanComplaint}`);
    expect(page).toContain('Beschwerde über Ihren Kundendienst');
    expect(page).toContain('Erika Mustermann &lt;erika@sender.test&gt;');
    expect(page).toMatch(/← in: original/);
    expect(page).toMatch(/→ out: ack/);
    expect(page).toMatch(/status: sent/);
    expect(page).toContain('event: case_opened');
    const verdict = page.slice(page.indexOf('id="verdict"'));
    expect(verdict).toMatch(/verified<\/th><td class="good">yes/);
    const deadlines = page.slice(page.indexOf('id="deadlines"'), page.indexOf('</table>', page.indexOf('id="deadlines"')));
    expect(deadlines).toMatch(/acknowledge<\/td><td class="good">met/);
    expect(deadlines).toMatch(/respond<\/td><td class="">pending/);
    expect(page).not.toContain('Sehr geehrte Damen und Herren');
    const missing = await admin('/admin/cases/CMP-2000-000001');
    expect(missing.status).toBe(404);
  });

  it('exposes database and queue figures on /metrics', async () => {
    const response = await fetch(url('/metrics'), { headers: { Authorization: BEARER } });
    expect(response.status).toBe(200);
    const text = await response.text();
    const expected = await facts();
    expect(text).toMatch(/^abuse_desk_store_scrape_success 1$/m);
    expect(text).toMatch(/^abuse_desk_inbound_messages\{status="processed"\} 5$/m);
    expect(text).toMatch(/^abuse_desk_rejections\{reason="dmarc_reject"\} 1$/m);
    expect(text).toMatch(/^abuse_desk_deadlines\{kind="acknowledge",status="met"\} 5$/m);
    expect(text).toMatch(new RegExp(`^abuse_desk_deadlines\\{kind="respond",status="pending"\\} ${expected.respondPending}$`, 'm'));
    expect(text).toMatch(new RegExp(`^abuse_desk_outbound_messages\\{status="sent"\\} ${expected.sent}$`, 'm'));
    expect(text).toMatch(/^abuse_desk_outbound_messages\{status="dead"\} 0$/m);
    for (const queue of ['intake', 'outbound', 'deadlines', 'measures']) {
      for (const state of ['waiting', 'active', 'delayed', 'failed']) expect(text).toMatch(new RegExp(`^abuse_desk_queue_jobs\\{queue="${queue}",state="${state}"\\} \\d+$`, 'm'));
    }
    // the process's own counters are still there
    expect(text).toMatch(/^abuse_desk_smtp_sessions_total \d+/m);
  });

  it('shows failed and dead-lettered mail on the overview', async () => {
    t.transport.failing = new Error('550 5.1.1 <nobody@sender.test> mailbox unavailable');
    try {
      const ticket = await openCase(t, { sender: 'nobody', to: 'complaints@example.net', subject: 'Complaint that cannot be answered', text: MAILS.hostile.text });
      const ack = await waitFor(
        () => t.app.database.prisma.caseMessage.findFirst({ where: { case: { ticket }, direction: 'out', status: 'failed' }, select: { id: true } }),
        20_000,
        'a failed acknowledgement',
      );
      // Both of the case's messages (acknowledgement and notice) fail; wait for both before counting.
      await waitFor(
        async () => (await t.app.database.prisma.caseMessage.count({ where: { case: { ticket }, direction: 'out', status: 'failed' } })) === 2,
        20_000,
        'both messages failed',
      );
      const failed = await t.app.database.prisma.caseMessage.count({ where: { direction: 'out', status: 'failed' } });
      let dead = deadLetterPanel(await html('/admin'));
      expect(dead).toContain('<section class="panel alert" id="dead-letters">');
      expect(dead).toContain(`href="/admin/cases/${ticket}"`);
      expect(dead).toContain('550 5.1.1 &lt;nobody@sender.test&gt; mailbox unavailable');
      expect(dead).toContain(`outbound failed (retrying)</th><td class="num">${failed}<`);

      // What the outbound worker does after its last retry.
      await markUndeliverable(ack.id, 'retries exhausted', { db: t.app.database.prisma });
      const inbound = await t.app.database.prisma.inboundMessage.findFirstOrThrow({ where: { case: { ticket: tickets.formula } } });
      await t.app.database.prisma.inboundMessage.update({ where: { id: inbound.id }, data: { status: 'failed', error: '<b>parser exploded</b>' } });
      dead = deadLetterPanel(await html('/admin'));
      expect(dead).toMatch(/outbound dead \(retries exhausted\)<\/th><td class="num">1</);
      expect(dead).toMatch(/inbound failed processing<\/th><td class="num">1</);
      expect(dead).toContain(`href="/admin/cases/${tickets.formula}"`);
      expect(dead).toContain('&lt;b&gt;parser exploded&lt;/b&gt;');
      const metrics = await (await fetch(url('/metrics'), { headers: { Authorization: BEARER } })).text();
      expect(metrics).toMatch(/^abuse_desk_outbound_messages\{status="dead"\} 1$/m);
      expect(metrics).toMatch(/^abuse_desk_inbound_messages\{status="failed"\} 1$/m);
    } finally {
      t.transport.failing = null;
    }
  });
});
