import { once } from 'node:events';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parse as parseYaml, stringify as stringifyYaml } from 'yaml';
import { DEFAULT_BRANDS_FILE } from '../../src/config/index.js';
import type { CaseView } from '../../src/cases/view.js';
import { deskClient, type DeskClient } from '../support/desk.js';
import { startDnsServer, type ZoneDnsServer as TestDnsServer } from '../../src/dns/zone-server.js';
import { startTestApp, TestClock, waitFor, type TestApp } from '../support/harness.js';
import { SENDER_DOMAIN, staffZoneRecords, testZone } from '../support/mail.js';
import { sendMail } from '../support/smtp-client.js';

/**
 * DNS abuse acted on as a registrar must (issue 20), over real SMTP sessions,
 * with DNS (the senders' SPF and DKIM, the reported domains, the blocklists)
 * answered by a DNS server on loopback through the product's own resolver.
 */

const DBL = 'dbl.spamhaus.org';
const LIST = 'multi.uribl.com';
const REPORTER = `jane@${SENDER_DOMAIN}`;
const CERT = 'reports@cert-bund.test';
const DAY_MS = 86_400_000;

const OWNERS = { 'ACC-NEW': 'owner@phish-owner.test', 'ACC-OLD': 'anna@bakery-owner.test', 'ACC-Q': 'shop@quiet-owner.test' } as const;

function zone() {
  return {
    ...testZone(),
    ...staffZoneRecords(),
    'cert-bund.test': { TXT: ['v=spf1 ip4:127.0.0.0/8 -all'] },
    'phish-login-bank.com': { A: ['203.0.113.10'], MX: [{ exchange: 'mx.phish-login-bank.com', priority: 10 }] },
    'secure.phish-login-bank.com': { A: ['203.0.113.10'] },
    'bakery-of-anna.com': { A: ['198.51.100.40'] },
    'www.bakery-of-anna.com': { A: ['198.51.100.41'] },
    'quiet-shop.com': { A: ['203.0.113.20'] },
    // The DBL's documented codes: registered for abuse, a compromised site, a refused query.
    [`phish-login-bank.com.${DBL}`]: { A: ['127.0.1.4'] },
    [`bakery-of-anna.com.${DBL}`]: { A: ['127.0.1.102'] },
    [`quiet-shop.com.${DBL}`]: { A: ['127.255.255.254'] },
    [`phish-login-bank.com.${LIST}`]: { A: ['127.0.0.2'] },
    // This list never answers for quiet-shop.com.
    [`quiet-shop.com.${LIST}`]: { fail: 'timeout' as const },
  };
}

/** The example brands, with a trusted notifier, as a site would configure them. */
function brandsFile(dir: string): string {
  const document = parseYaml(readFileSync(DEFAULT_BRANDS_FILE, 'utf8')) as { brands: Array<Record<string, unknown>> };
  (document.brands[0] as Record<string, unknown>).trustedNotifiers = ['cert-bund.test'];
  mkdirSync(dir, { recursive: true });
  const path = join(dir, 'brands.yaml');
  writeFileSync(path, stringifyYaml(document));
  return path;
}

describe('DNS abuse reports (phishing, malware, botnet, pharming)', () => {
  const clock = new TestClock();
  let dns: TestDnsServer;
  let t: TestApp;
  let desk: DeskClient;
  let platform: Server;

  beforeAll(async () => {
    dns = await startDnsServer({ zone: zone() });
    // The registrar's platform takes every measure.
    platform = createServer((req, res) => req.resume().on('end', () => res.writeHead(200, { 'Content-Type': 'application/json' }).end('{"status":"applied"}')));
    platform.listen(0, '127.0.0.1');
    await once(platform, 'listening');
    const platformUrl = `http://127.0.0.1:${(platform.address() as AddressInfo).port}/measures`;
    const dir = join(process.env.TMPDIR ?? '/tmp', `dns-abuse-${process.pid}`);
    t = await startTestApp({
      database: 'postgres',
      clock,
      dnsServer: dns.address,
      env: { DNS_BLOCKLISTS: `${DBL},${LIST}`, DNS_TIMEOUT_MS: '1500', BRANDS_FILE: brandsFile(dir), MEASURES_WEBHOOK_URL: platformUrl, MEASURES_RETRY_DELAY_MS: '50' },
    });
    desk = deskClient(t, clock);
    const created = (daysAgo: number) => new Date(clock.now().getTime() - daysAgo * DAY_MS).toISOString().slice(0, 10);
    const post = async (path: string, body: unknown) => expect((await desk.post(path, JSON.stringify(body))).status).toBe(200);
    await post('/managed-domains', [
      { domain: 'phish-login-bank.com', account: 'ACC-NEW', created: created(5) },
      // Registered by the same account the same day: associated with it.
      { domain: 'phish-login-bank2.com', account: 'ACC-NEW', created: created(5) },
      { domain: 'unrelated-old-shop.com', account: 'ACC-Z', created: created(900) },
      { domain: 'bakery-of-anna.com', account: 'ACC-OLD', created: created(3000) },
      { domain: 'quiet-shop.com', account: 'ACC-Q' },
      { domain: 'cert-target-shop.com', account: 'ACC-Q' },
      { domain: 'botnet-c2-host.com', account: 'ACC-NEW' },
    ]);
    await post('/managed-ranges', [{ cidr: '198.51.100.0/24', account: 'ACC-OLD', description: 'shared hosting' }]);
    await post('/accounts', Object.entries(OWNERS).map(([account, email]) => ({ account, name: account, email, language: account === 'ACC-OLD' ? 'de' : 'en' })));
  });
  afterAll(async () => {
    platform?.closeAllConnections();
    platform?.close();
    await t?.stop({ drop: true });
    await dns?.stop();
  });

  async function report(subject: string, text: string, from = `Jane <${REPORTER}>`): Promise<CaseView> {
    const address = /<([^>]+)>/.exec(from)?.[1] ?? from;
    const before = new Set((await desk.mails({ to: address })).map((m) => m.ticket));
    await desk.send({ from, to: 'abuse@example.net', subject, text });
    const reply = await waitFor(async () => (await desk.mails({ to: address })).find((m) => m.ticket && !before.has(m.ticket)), 15_000, `first reply to ${address}`);
    // The reply was handed over; the case records it right after.
    return waitFor(async () => {
      const view = await desk.view(reply.ticket as string);
      return view.state === 'received' ? undefined : view;
    }, 15_000, `${reply.ticket as string} past received`);
  }

  const kinds = (view: CaseView) => view.deadlines.map((d) => d.kind).sort();

  it('acts on a phishing report naming a URL on a managed domain: typed, complete, acknowledged, on the mitigation clock, owner heard', async () => {
    const view = await report('Phishing site on your domain', 'Hello,\n\nthis URL on a domain you sponsor is a phishing page imitating my bank:\nhxxps://secure[.]phish-login-bank[.]com/login\n\nRegards, Jane');
    expect(view).toMatchObject({ kind: 'abuse', abuseType: 'phishing', priority: 'high', account: 'ACC-NEW', state: 'acknowledged' });
    const evidence = view.evidence as { complete: boolean; grade: string; suggestedMeasure: { measure: string; target: string }; assessment: { verdict: string }; enrichment: Array<{ domain: string; blocklists: Array<{ zone: string; meaning: string; codes: string[] }> }> };
    expect(evidence).toMatchObject({ complete: true, grade: 'conclusive', suggestedMeasure: { measure: 'suspend-domain', target: 'phish-login-bank.com' }, assessment: { verdict: 'malicious' } });
    expect(evidence.enrichment[0]?.blocklists).toEqual([
      expect.objectContaining({ zone: DBL, meaning: 'malicious', codes: ['127.0.1.4'] }),
      expect.objectContaining({ zone: LIST, meaning: 'listed' }),
    ]);
    expect(kinds(view)).toEqual(['acknowledge', 'customer_response', 'mitigate', 'respond', 'review']);
    const ack = (await desk.mails({ to: REPORTER, ticket: view.ticket }))[0];
    expect(ack?.parsed.subject).toMatch(/Your abuse report has been received/);
    const hearing = await desk.waitForMail({ to: OWNERS['ACC-NEW'], ticket: view.ticket }, 'hearing notice to the account holder');
    expect(hearing.parsed.text).toContain('https://secure.phish-login-bank.com/login');
    expect(hearing.parsed.text).not.toContain(REPORTER);
    const notice = await desk.waitForMail({ to: 'abuse-team@example.com', ticket: view.ticket }, 'specialist notice');
    expect(notice.parsed.text).toMatch(/Priority: +high/);
    expect(notice.parsed.text).toContain(`registered for abuse (${DBL} answered 127.0.1.4)`);
    // The lookups went over the wire to the loopback server.
    expect(dns.queries().some((q) => q.name === `phish-login-bank.com.${DBL}`)).toBe(true);
  });

  it('asks a phishing report without a URL for the URL, and goes on once it comes', async () => {
    const view = await report('Phishing', 'I received a phishing mail pretending to be my bank. Please do something about it.');
    expect(view).toMatchObject({ abuseType: 'phishing', state: 'awaiting_information' });
    expect(kinds(view)).toEqual(['acknowledge']);
    const asked = (await desk.mails({ to: REPORTER, ticket: view.ticket }))[0];
    expect(asked?.parsed.subject).toContain('We need more information about your report');
    expect(asked?.parsed.text).toMatch(/URL/);
    expect(`${asked?.parsed.subject} ${asked?.parsed.text}`).not.toMatch(/spam/i);

    const caseAddress = asked?.parsed.replyTo?.value[0]?.address as string;
    await desk.send({ from: `Jane <${REPORTER}>`, to: caseAddress, subject: `Re: [${view.ticket}] more information`, text: 'Here it is: hxxp://phish-login-bank[.]com/verify\n' });
    // Complete now, and about the first report's domain: it joins that incident, whose first case keeps the mitigation clock.
    const completed = await waitFor(async () => {
      const current = await desk.view(view.ticket);
      return kinds(current).includes('respond') ? current : undefined;
    }, 15_000, 'the response clock after the URL arrived');
    expect(completed).toMatchObject({ abuseType: 'phishing', priority: 'high', state: 'in_progress', incident: { target: 'phish-login-bank.com', reportCount: 2 } });
    expect(kinds(completed)).toEqual(['acknowledge', 'respond']);
  });

  it('reads each blocklist code range: a compromised site gets a clean-up request, not a suspension', async () => {
    const view = await report('Malware', 'The page http://www.bakery-of-anna.com/wp-content/update.exe serves malware to visitors.');
    const evidence = view.evidence as { suggestedMeasure: { measure: string }; assessment: { verdict: string }; origins: Array<{ source: string; account: string }> };
    expect(view.abuseType).toBe('malware');
    expect(evidence.assessment.verdict).toBe('compromised');
    expect(evidence.suggestedMeasure.measure).toBe('clean-up');
    // We host it (198.51.100.41 in our range): the hosting customer is named too.
    expect(evidence.origins).toEqual(expect.arrayContaining([expect.objectContaining({ source: 'dns', account: 'ACC-OLD' })]));
    const cleanUp = await desk.waitForMail({ to: OWNERS['ACC-OLD'], ticket: view.ticket }, 'clean-up request');
    expect(cleanUp.parsed.subject).toContain('bakery-of-anna.com');
    expect(cleanUp.parsed.text).toMatch(/Schadsoftware/);
  });

  it('a refused blocklist query is no evidence, and a list that does not answer leaves the case to open with the finding unavailable', async () => {
    const view = await report('Phishing', 'phishing page at https://quiet-shop.com/account/login');
    const evidence = view.evidence as { complete: boolean; enrichment: Array<{ blocklists: Array<{ zone: string; meaning: string }>; unavailable: string[] }>; assessment: { verdict: string } };
    expect(evidence.complete).toBe(true);
    expect(evidence.enrichment[0]?.blocklists).toEqual([expect.objectContaining({ zone: DBL, meaning: 'refused' }), expect.objectContaining({ zone: LIST, meaning: 'unavailable' })]);
    expect(evidence.assessment.verdict).toBe('unknown');
    expect(kinds(view)).toContain('mitigate');
  });

  it('gives a trusted notifier the highest priority and a 24-hour review', async () => {
    const view = await report('Phishing campaign', 'Phishing hosted at hxxps://cert-target-shop[.]com/secure/ (reference CERT-2026-1234).', `CERT <${CERT}>`);
    expect(view.priority).toBe('urgent');
    const review = view.deadlines.find((d) => d.kind === 'review');
    expect(Date.parse(review?.dueAt as string) - Date.parse(view.receivedAt)).toBe(DAY_MS);
    const notice = await desk.waitForMail({ to: 'abuse-team@example.com', ticket: view.ticket }, 'specialist notice');
    expect(notice.parsed.text).toContain(`Reported by:   ${CERT}, a trusted notifier`);
  });

  it('settles the review when a specialist acts, and the mitigation decision with the measure', async () => {
    // A further report about the first one's domain joins its incident: the clock and the measure are the first case's.
    const view = await report('Phishing', 'phishing: https://phish-login-bank.com/pay');
    expect(view.incident).toMatchObject({ target: 'phish-login-bank.com', reportCount: 3 });
    expect(kinds(view)).toEqual(['acknowledge', 'respond']);
    const acted = await desk.act(view.ticket, { action: 'measure', measure: 'suspend-domain', target: 'phish-login-bank.com' });
    expect(acted.status).toBe(200);
    const first = await desk.view(view.incident?.primaryTicket as string);
    expect(first.deadlines.filter((d) => d.kind === 'review' || d.kind === 'mitigate').map((d) => d.status)).toEqual(['met', 'met']);

    // Suspended as maliciously registered: the related managed domains are listed for review.
    const associated = await desk.waitForMail({ to: 'abuse-team@example.com', subject: /Associated domains of phish-login-bank\.com/ }, 'the associated domains');
    expect(associated.parsed.text).toContain('phish-login-bank2.com: the same account (ACC-NEW); registered within 24 hours');
    expect(associated.parsed.text).not.toContain('unrelated-old-shop.com');
    expect(dns.queries().some((q) => q.name === `phish-login-bank2.com.${DBL}`)).toBe(true);
  });

  it('handles a machine report (XARF v4 botnet) as a silent case on the same clock', async () => {
    const xarf = {
      xarf_version: '4.2.0',
      report_id: 'e5f7c0a2-1b1a-4a57-9d0e-1f2a3b4c5d6e',
      timestamp: clock.now().toISOString(),
      reporter: { org: 'Sender Test CERT', contact: REPORTER, domain: SENDER_DOMAIN },
      sender: { org: 'Sender Test CERT', contact: REPORTER, domain: SENDER_DOMAIN },
      source_identifier: '203.0.113.10',
      category: 'infrastructure',
      type: 'botnet',
      evidence_source: 'traffic_analysis',
      c2_server: 'c2.botnet-c2-host.com',
    };
    const raw = Buffer.from(
      [`From: CERT feed <${REPORTER}>`, 'To: abuse@example.net', 'Subject: XARF report', `Date: ${clock.now().toUTCString()}`, `Message-ID: <xarf-${Date.now()}@${SENDER_DOMAIN}>`, 'X-XARF: PLAIN', 'Content-Type: application/json', '', JSON.stringify(xarf), ''].join('\r\n'),
    );
    expect((await sendMail({ port: t.smtpPort, from: REPORTER, to: ['abuse@example.net'], raw })).final.code).toBe(250);
    const view = await waitFor(async () => {
      const list = (await (await fetch(`http://127.0.0.1:${t.httpPort}/api/cases?kind=abuse&limit=50`, { headers: { Authorization: 'Bearer test-api-token' } })).json()) as { items: Array<{ ticket: string }> };
      for (const item of list.items) {
        const candidate = await desk.view(item.ticket);
        if (candidate.silent && candidate.abuseType === 'botnet') return candidate;
      }
      return undefined;
    }, 15_000, 'the silent botnet case');
    expect(view).toMatchObject({ priority: 'high', account: 'ACC-NEW' });
    expect(kinds(view)).toEqual(expect.arrayContaining(['mitigate', 'review']));
    expect((await desk.mails({ ticket: view.ticket })).some((m) => m.envelope.to.includes(REPORTER))).toBe(false);
  });
});
