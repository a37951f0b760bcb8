import { once } from 'node:events';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { deskClient, type DeskClient } from '../support/desk.js';
import { startTestApp, TestClock, waitFor, type TestApp } from '../support/harness.js';
import { buildMessage, dkimTxtRecord, SENDER_DOMAIN, SENDER_KEY, signMessage, testKeys, testZone, type SigningKey } from '../support/mail.js';
import { sendMail } from '../support/smtp-client.js';

/**
 * Incidents (issue 21) over real SMTP sessions: many reports about one
 * managed domain are worked once, while each reporter keeps their own case.
 */

const DOMAIN = 'phish-incident-bank.com';
const OWNER = 'owner@incident-owner.test';
const SPECIALISTS = 'abuse-team@example.com';
const OWNER_KEY: SigningKey = { domain: 'incident-owner.test', selector: 'mail', privateKey: testKeys.rsa.privateKey };

const REPORTS = [
  { local: 'anne', subject: 'Phishing page on your domain', text: `This is a phishing page imitating my bank: https://login.${DOMAIN}/secure\nPlease take it down.\n` },
  { local: 'bernd', subject: 'Phishing-Seite', text: `Diese Seite ist eine Phishing-Seite, die meine Bank nachahmt: https://login.${DOMAIN}/secure\nBitte sperren Sie sie.\n` },
  { local: 'claire', subject: 'Page de phishing', text: `Cette page est une page d'hameçonnage qui imite ma banque : https://login.${DOMAIN}/secure\nMerci de la supprimer.\n` },
  { local: 'daan', subject: 'Phishingpagina', text: `Deze pagina is een phishingpagina die mijn bank nabootst: https://login.${DOMAIN}/secure\nWilt u hem verwijderen?\n` },
  { local: 'emma', subject: 'Another phishing report', text: `Phishing at hxxps://login[.]${DOMAIN}/secure again, please act fast.\n` },
];

class Platform {
  readonly calls: Array<{ operation: string; measure: string; target: string; idempotencyKey: string }> = [];
  private server: Server | undefined;
  async start(): Promise<string> {
    this.server = createServer((req, res) => {
      const chunks: Buffer[] = [];
      req.on('data', (chunk: Buffer) => chunks.push(chunk));
      req.on('end', () => {
        this.calls.push(JSON.parse(Buffer.concat(chunks).toString('utf8')));
        res.writeHead(200, { 'Content-Type': 'application/json' }).end('{"status":"applied"}');
      });
    });
    this.server.listen(0, '127.0.0.1');
    await once(this.server, 'listening');
    return `http://127.0.0.1:${(this.server.address() as AddressInfo).port}/measures`;
  }
  async stop(): Promise<void> {
    this.server?.closeAllConnections();
    await new Promise<void>((resolve) => (this.server ? this.server.close(() => resolve()) : resolve()));
  }
}

describe('incidents: one domain, many reports, one decision', () => {
  const clock = new TestClock();
  const platform = new Platform();
  let t: TestApp;
  let desk: DeskClient;

  beforeAll(async () => {
    const url = await platform.start();
    const zone = {
      ...testZone(),
      'incident-owner.test': { TXT: ['v=spf1 -all'] },
      'mail._domainkey.incident-owner.test': { TXT: [dkimTxtRecord(testKeys.rsa.publicKey)] },
    };
    t = await startTestApp({ database: 'postgres', clock, zone, env: { MEASURES_WEBHOOK_URL: url, MEASURES_RETRY_DELAY_MS: '50' } });
    desk = deskClient(t, clock);
    expect((await desk.post('/managed-domains', JSON.stringify([{ domain: DOMAIN, account: 'ACC-INC' }, { domain: 'other-incident-shop.com', account: 'ACC-INC' }]))).status).toBe(200);
    expect((await desk.post('/accounts', JSON.stringify([{ account: 'ACC-INC', name: 'Incident Owner', email: OWNER, language: 'de' }]))).status).toBe(200);
  });
  afterAll(async () => {
    await t?.stop({ drop: true });
    await platform.stop();
  });

  const reporter = (local: string) => `${local}@${SENDER_DOMAIN}`;
  let tickets: string[] = [];
  const api = async <T>(path: string): Promise<{ status: number; body: T }> => {
    const response = await fetch(`http://127.0.0.1:${t.httpPort}/api${path}`, { headers: { Authorization: 'Bearer test-api-token' } });
    return { status: response.status, body: (await response.json()) as T };
  };

  it('gives five reporters five tickets and acknowledgements, one incident, one notice, one hearing; the measure once; the outcome to all five in their languages', async () => {
    for (const report of REPORTS) await desk.send({ from: `${report.local} <${reporter(report.local)}>`, to: 'abuse@example.net', subject: report.subject, text: report.text });
    const acks = await Promise.all(REPORTS.map((r) => desk.waitForMail({ to: reporter(r.local) }, `acknowledgement to ${r.local}`)));
    tickets = acks.map((ack) => ack.ticket as string);
    expect(new Set(tickets).size).toBe(5);

    const views = await Promise.all(tickets.map((ticket) => desk.view(ticket)));
    const incidents = new Set(views.map((v) => v.incident?.id));
    expect(incidents.size).toBe(1);
    expect([...incidents][0]).toBeTruthy();
    const primary = views[0]?.incident?.primaryTicket as string;
    expect(primary).toBe(tickets[0]);
    await waitFor(async () => (await desk.view(primary)).incident?.reportCount === 5, 10_000, 'five reports in the incident');
    expect(views.map((v) => v.language)).toEqual(['en', 'de', 'fr', 'nl', 'en']);

    // One notice for the incident; the other reports wait for the digest.
    await desk.waitForMail({ to: SPECIALISTS, ticket: primary, subject: /phishing/i }, 'the incident notice');
    const notices = (await desk.mails({ to: SPECIALISTS })).filter((m) => m.parsed.subject?.includes('abuse:') || /A new case/.test(m.parsed.text ?? ''));
    expect(notices.map((m) => m.ticket)).toEqual([primary]);
    const digests = (await t.app.queues.deadlines.getDelayed()).filter((job) => job.name === 'digest');
    expect(digests).toHaveLength(1);
    await digests[0]?.promote();
    const digest = await desk.waitForMail({ to: SPECIALISTS, subject: /new reports/ }, 'the digest');
    for (const ticket of tickets.slice(1)) expect(digest.parsed.text).toContain(ticket);

    // One hearing notice to the account holder, in their language.
    const hearings = await waitFor(async () => {
      const found = await desk.mails({ to: OWNER });
      return found.length > 0 ? found : undefined;
    }, 10_000, 'the hearing notice');
    expect(hearings).toHaveLength(1);

    // The measure confirmed from a reply to the last reporter's case applies to the incident: one webhook call.
    const acted = await desk.act(tickets[4] as string, { action: 'measure', measure: 'suspend-domain', target: DOMAIN });
    expect(acted.status, JSON.stringify(acted.body)).toBe(200);
    await waitFor(() => platform.calls.length > 0, 10_000, 'the webhook call');
    const statement = await desk.waitForMail({ to: OWNER, subject: /Maßnahme umgesetzt/ }, 'the statement of reasons in German');
    expect(statement.parsed.text).toContain(DOMAIN);
    expect(statement.parsed.text).not.toContain(SENDER_DOMAIN);

    // Resolving from another reporter's case tells every reporter, each in their language.
    expect((await desk.act(tickets[2] as string, { action: 'resolve', outcome: 'The domain has been suspended.' })).status).toBe(200);
    const outcomes = await Promise.all(
      REPORTS.map((r) => waitFor(async () => (await desk.mails({ to: reporter(r.local) })).find((m) => m.parsed.text?.includes('The domain has been suspended.')), 10_000, `outcome to ${r.local}`)),
    );
    expect(outcomes).toHaveLength(5);
    expect(outcomes[1]?.parsed.text).toMatch(/Domain/);
    expect(outcomes[2]?.parsed.text).toMatch(/domaine|nom de domaine/);
    for (const outcome of outcomes) expect(outcome.parsed.text).toContain(DOMAIN);
    expect(platform.calls).toHaveLength(1);
    const resolved = await Promise.all(tickets.map((ticket) => desk.view(ticket)));
    expect(resolved.map((v) => v.state)).toEqual(['resolved', 'resolved', 'resolved', 'resolved', 'resolved']);
    expect(resolved[0]?.incident?.state).toBe('closed');
  });

  it('shows the incident and the domain through the API', async () => {
    const list = await api<{ items: Array<{ id: string; target: string; reportCount: number; state: string; primaryTicket: string; account: string }> }>(`/incidents?domain=${DOMAIN}`);
    expect(list.status).toBe(200);
    expect(list.body.items).toEqual([expect.objectContaining({ target: DOMAIN, reportCount: 5, state: 'closed', primaryTicket: tickets[0], account: 'ACC-INC' })]);
    expect((await api<{ items: unknown[] }>('/incidents?state=open&account=ACC-INC')).body.items).toEqual([]);
    expect((await api<{ error: string }>('/incidents?state=whatever')).status).toBe(400);
    const incident = await api<{ cases: Array<{ ticket: string; language: string }>; measures: Array<{ measure: string; status: string }> }>(`/incidents/${list.body.items[0]?.id}`);
    expect(incident.body.cases.map((c) => c.ticket).sort()).toEqual([...tickets].sort());
    expect(incident.body.measures).toEqual([expect.objectContaining({ measure: 'suspend-domain', status: 'done' })]);

    const domain = await api<{ domain: string; managed: { account: string }; account: { email: string }; otherDomains: string[]; cases: unknown[]; incidents: unknown[]; measures: unknown[] }>(`/domains/${DOMAIN}`);
    expect(domain.status).toBe(200);
    expect(domain.body).toMatchObject({ domain: DOMAIN, managed: { account: 'ACC-INC' }, account: { email: OWNER }, otherDomains: ['other-incident-shop.com'] });
    expect(domain.body.cases).toHaveLength(5);
    expect(domain.body.incidents).toHaveLength(1);
    expect((await api('/domains/login.' + DOMAIN)).status).toBe(200);
    expect((await api('/domains/never-reported.example')).status).toBe(404);
    expect((await api('/domains/not a domain')).status).toBe(400);
  });

  it('hears an appeal against the measure, and #lift reverses it through the webhook and tells the holder', async () => {
    const statement = (await desk.mails({ to: OWNER })).find((m) => /Maßnahme umgesetzt/.test(m.parsed.subject ?? ''));
    const caseAddress = statement?.parsed.replyTo?.value[0]?.address as string;
    const appeal = await signMessage(
      buildMessage({ from: `Owner <${OWNER}>`, to: caseAddress, subject: `Re: ${statement?.parsed.subject ?? ''}`, text: 'Die Seite wurde von Dritten eingeschleust und ist entfernt. Bitte heben Sie die Sperre auf.\n', date: clock.now() }),
      { ...OWNER_KEY, signTime: clock.now() },
    );
    expect((await sendMail({ port: t.smtpPort, from: OWNER, to: [caseAddress], raw: appeal })).final.code).toBe(250);
    const asked = await desk.waitForMail({ to: SPECIALISTS, subject: /Decision needed/ }, 'the appeal to decide');
    expect(asked.parsed.text).toMatch(/contests the measure/);

    const lifted = await desk.act(tickets[3] as string, { action: 'lift', target: DOMAIN, reason: 'the owner removed the page' });
    expect(lifted.status, JSON.stringify(lifted.body)).toBe(200);
    await waitFor(() => platform.calls.length === 2, 10_000, 'the lift webhook call');
    expect(platform.calls[1]).toMatchObject({ operation: 'lift', measure: 'suspend-domain', target: DOMAIN });
    expect(platform.calls[1]?.idempotencyKey).not.toBe(platform.calls[0]?.idempotencyKey);
    const told = await desk.waitForMail({ to: OWNER, subject: /Maßnahme aufgehoben/ }, 'the holder told of the lift');
    expect(told.parsed.text).toContain('the owner removed the page');
    const primary = await desk.view(tickets[0] as string);
    expect(primary.measures.map((m) => `${m.operation}:${m.status}`)).toEqual(['apply:lifted', 'lift:done']);
    // Nothing to lift twice.
    expect((await desk.act(tickets[0] as string, { action: 'lift', target: DOMAIN })).status).toBe(409);
  });

  it('makes exactly one incident from parallel deliveries over several connections', async () => {
    const domain = 'parallel-incident-shop.com';
    expect((await desk.post('/managed-domains', JSON.stringify([{ domain, account: 'ACC-INC' }]))).status).toBe(200);
    const raws = await Promise.all(
      Array.from({ length: 6 }, async (_, i) =>
        signMessage(
          buildMessage({ from: `p${i} <p${i}@${SENDER_DOMAIN}>`, to: 'abuse@example.net', subject: `Phishing ${i}`, text: `phishing page: https://${domain}/login?id=${i}\n`, date: clock.now() }),
          { ...SENDER_KEY, signTime: clock.now() },
        ),
      ),
    );
    const results = await Promise.all(raws.map((raw, i) => sendMail({ port: t.smtpPort, from: `p${i}@${SENDER_DOMAIN}`, to: ['abuse@example.net'], raw })));
    expect(results.map((r) => r.final.code)).toEqual([250, 250, 250, 250, 250, 250]);
    const incidents = await waitFor(async () => {
      const rows = await t.app.database.prisma.incident.findMany({ where: { target: domain } });
      return rows.length > 0 && rows.reduce((n, row) => n + row.reportCount, 0) === 6 ? rows : undefined;
    }, 20_000, 'six reports in incidents');
    expect(incidents).toHaveLength(1);
    expect(await t.app.database.prisma.case.count({ where: { incidentId: incidents[0]?.id } })).toBe(6);
    // A redelivered report is the same message: it never joins twice.
    const again = await sendMail({ port: t.smtpPort, from: `p0@${SENDER_DOMAIN}`, to: ['abuse@example.net'], raw: raws[0] as Buffer });
    expect(again.final.text).toContain('(already received)');
    expect((await t.app.database.prisma.incident.findUniqueOrThrow({ where: { id: incidents[0]?.id as string } })).reportCount).toBe(6);
  });
});
