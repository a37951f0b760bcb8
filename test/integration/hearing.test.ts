import { createHmac, timingSafeEqual } from 'node:crypto';
import { once } from 'node:events';
import { createServer, type IncomingHttpHeaders, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { simpleParser, type ParsedMail } from 'mailparser';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildMessage, dkimTxtRecord, SENDER_DOMAIN, SENDER_KEY, signMessage, testKeys, testZone, type SigningKey, STAFF_KEY, staffZoneRecords } from '../support/mail.js';
import { buildReport, buildSpam } from '../support/reports.js';
import { sendMail } from '../support/smtp-client.js';
import { intakeSettled, outgoingTo, startTestApp, waitFor, type SentMessage, type TestApp } from '../support/harness.js';

/**
 * The customer hearing and measures (issue 7): from a spam report about a
 * managed domain to the domain suspended on the registrar's platform (a real
 * HTTP receiver on loopback), with the customer heard and everyone told.
 */
const WEBHOOK_SECRET = 'test-webhook-secret';
const CUSTOMER_KEY: SigningKey = { domain: 'customer.test', selector: 'mail', privateKey: testKeys.rsa.privateKey };
const SPECIALISTS = 'abuse-team@example.com';
const SPECIALIST = 'jane.doe@example.com';
const COMPLAINANT = `marie@${SENDER_DOMAIN}`;
const COMPLAINANT_NAME = 'Marie Lefebvre';
const CUSTOMER = 'owner@customer.test';
const ACCOUNT = 'ACC-7001';

function zone() {
  const key = dkimTxtRecord(testKeys.rsa.publicKey);
  return {
    ...testZone(),
    ...staffZoneRecords(),
    // The customer, like staff, vouches by DKIM only: unsigned mail claiming to be them is unverified.
    'customer.test': { TXT: ['v=spf1 -all'] },
    'mail._domainkey.customer.test': { TXT: [key] },
    '_dmarc.customer.test': { TXT: ['v=DMARC1; p=none'] },
  };
}

interface WebhookCall {
  headers: IncomingHttpHeaders;
  raw: string;
  body: { case: string; measure: string; target: string; account: string | null; evidence: string | null; idempotencyKey: string };
  answered: number;
}

/**
 * The registrar's platform: answers 500 a set number of times per target (or
 * always), then applies the measure once per idempotency key and drops repeats.
 */
class Platform {
  readonly calls: WebhookCall[] = [];
  readonly applied = new Map<string, WebhookCall['body']>();
  readonly failFirst = new Map<string, number>();
  readonly alwaysFail = new Set<string>();
  private server: Server | undefined;

  async start(): Promise<string> {
    this.server = createServer((req, res) => {
      const chunks: Buffer[] = [];
      req.on('data', (chunk: Buffer) => chunks.push(chunk));
      req.on('end', () => {
        const raw = Buffer.concat(chunks).toString('utf8');
        const body = JSON.parse(raw) as WebhookCall['body'];
        const earlier = this.calls.filter((call) => call.body.idempotencyKey === body.idempotencyKey).length;
        const fail = this.alwaysFail.has(body.target) || earlier < (this.failFirst.get(body.target) ?? 0);
        const answered = fail ? 500 : 200;
        this.calls.push({ headers: req.headers, raw, body, answered });
        if (fail) {
          res.writeHead(500, { 'Content-Type': 'text/plain' }).end('platform unavailable');
          return;
        }
        const repeat = this.applied.has(body.idempotencyKey);
        if (!repeat) this.applied.set(body.idempotencyKey, body);
        res.writeHead(200, { 'Content-Type': 'application/json' }).end(JSON.stringify({ status: repeat ? 'duplicate' : 'applied', reference: `PLAT-${this.applied.size}` }));
      });
    });
    this.server.listen(0, '127.0.0.1');
    await once(this.server, 'listening');
    return `http://127.0.0.1:${(this.server.address() as AddressInfo).port}/measures`;
  }

  callsFor(target: string): WebhookCall[] {
    return this.calls.filter((call) => call.body.target === target);
  }

  async stop(): Promise<void> {
    const server = this.server;
    if (!server) return;
    server.closeAllConnections();
    await new Promise<void>((resolve) => server.close(() => resolve()));
  }
}

function signatureValid(call: WebhookCall): boolean {
  const expected = Buffer.from(`sha256=${createHmac('sha256', WEBHOOK_SECRET).update(call.raw).digest('hex')}`);
  const given = Buffer.from(String(call.headers['x-signature'] ?? ''));
  return given.length === expected.length && timingSafeEqual(given, expected);
}

interface CaseView {
  ticket: string;
  state: string;
  parties: Array<{ role: string; address: string }>;
  deadlines: Array<{ kind: string; status: string; dueAt: string }>;
  events: Array<{ type: string; data: unknown }>;
  evidence: { grade: string; suggestedMeasure: { measure: string; target: string } | null } | null;
  measures: Array<{ measure: string; target: string; account: string | null; status: string; at: string }>;
}

describe('customer hearing and measures', () => {
  const platform = new Platform();
  let t: TestApp;
  beforeAll(async () => {
    const url = await platform.start();
    t = await startTestApp({ database: 'postgres', zone: zone(), env: { MEASURES_WEBHOOK_URL: url, MEASURES_RETRY_DELAY_MS: '50' } });
  });
  afterAll(async () => {
    await t?.stop({ drop: true });
    await platform.stop();
  });

  const api = async <T>(path: string, init: RequestInit = {}): Promise<{ status: number; body: T }> => {
    const response = await fetch(`http://127.0.0.1:${t.httpPort}/api${path}`, {
      ...init,
      headers: { Authorization: 'Bearer test-api-token', 'Content-Type': 'application/json', ...init.headers },
    });
    return { status: response.status, body: (await response.json()) as T };
  };
  const caseView = async (ticket: string) => (await api<CaseView>(`/cases/${ticket}`)).body;
  const until = <T>(what: string, check: () => Promise<T | undefined | false>, timeoutMs = 15_000) => waitFor(check, timeoutMs, what);

  async function manage(domain: string, account: string | null = ACCOUNT): Promise<void> {
    const added = await api('/managed-domains', { method: 'POST', body: JSON.stringify([{ domain, account }]) });
    expect(added.status).toBe(200);
  }

  /** Sends a spam report (in French) with the spam attached; returns the case's ticket and address from the acknowledgement. */
  async function report(spam: Buffer, subject: string): Promise<{ ticket: string; caseAddress: string }> {
    const before = t.transport.to(COMPLAINANT).length;
    const raw = buildReport({
      from: `${COMPLAINANT_NAME} <${COMPLAINANT}>`,
      to: 'abuse@example.net',
      subject,
      text: "Bonjour,\n\nje reçois depuis une semaine des messages indésirables qui font la publicité d'un site enregistré chez vous. Vous trouverez ci-joint le message complet avec tous ses en-têtes.\n\nCordialement,\nMarie Lefebvre\n",
      attachments: [{ raw: spam }],
    });
    const sent = await sendMail({ port: t.smtpPort, from: COMPLAINANT, to: ['abuse@example.net'], raw: await signMessage(raw, SENDER_KEY) });
    expect(sent.final.code, sent.final.text).toBe(250);
    const ack = await waitFor(() => t.transport.to(COMPLAINANT)[before], 15_000, 'acknowledgement');
    return { ticket: /X-Ticket-ID: (\S+)/.exec(ack.text)?.[1] as string, caseAddress: /^Reply-To: (\S+)/m.exec(ack.text)?.[1] as string };
  }

  /** Spam sent to the complainant, naming them, and advertising `domain`. */
  function spamFor(domain: string, from = `"Pharma Deals" <deals@mailer-${Math.random().toString(36).slice(2, 8)}.org>`): Buffer {
    return buildSpam({
      from,
      to: `${COMPLAINANT_NAME} <${COMPLAINANT}>`,
      // Spam names its victim; the customer must not learn who that is.
      subject: `${COMPLAINANT_NAME}, best prices on pills`,
      text: `Hello ${COMPLAINANT},\n\nonly today: https://shop.${domain}/deal?ref=77\n\nUnsubscribe: https://${domain}/unsubscribe?email=${encodeURIComponent(COMPLAINANT)}\n`,
    });
  }

  async function staffReply(caseAddress: string, text: string): Promise<void> {
    const raw = await signMessage(buildMessage({ from: `Jane Doe <${SPECIALIST}>`, to: caseAddress, subject: 'Re: case', text }), STAFF_KEY);
    const sent = await sendMail({ port: t.smtpPort, from: SPECIALIST, to: [caseAddress], raw });
    expect(sent.final.code, sent.final.text).toBe(250);
  }

  async function mailTo(address: string, ticket: string, what: string, match: (parsed: ParsedMail) => boolean = () => true): Promise<{ message: SentMessage; parsed: ParsedMail }> {
    return until(what, async () => {
      for (const message of t.transport.to(address)) {
        if (!message.text.includes(ticket)) continue;
        const parsed = await simpleParser(message.raw);
        if (match(parsed)) return { message, parsed };
      }
      return undefined;
    });
  }

  it('keeps customer accounts: added or updated through the API, shown with their domains', async () => {
    const added = await api<{ upserted: number }>('/accounts', {
      method: 'POST',
      body: JSON.stringify([
        { account: ACCOUNT, name: 'Pillen Versand GmbH', email: 'old-contact@customer.test', language: 'en' },
        { account: 'ACC-7002', name: 'Other Customer', email: 'other@customer.test', language: 'nl' },
      ]),
    });
    expect(added).toEqual({ status: 200, body: { upserted: 2 } });
    const updated = await api('/accounts', { method: 'POST', body: JSON.stringify([{ account: ACCOUNT, name: 'Pillen Versand GmbH', email: CUSTOMER.toUpperCase(), language: 'de' }]) });
    expect(updated.status).toBe(200);
    const invalid = await api<{ error: string }>('/accounts', { method: 'POST', body: JSON.stringify([{ account: 'ACC-9', name: 'X', email: 'not-an-address', language: 'de' }]) });
    expect(invalid.status).toBe(400);
    expect(invalid.body.error).toContain('entry 0: email not an e-mail address');

    await manage('pillen-versand-shop.de');
    const account = await api(`/accounts/${ACCOUNT}`);
    expect(account).toEqual({
      status: 200,
      body: { account: ACCOUNT, name: 'Pillen Versand GmbH', email: CUSTOMER, language: 'de', domains: ['pillen-versand-shop.de'] },
    });
    expect((await api('/accounts/ACC-NOPE')).status).toBe(404);
  });

  it('hears the customer, applies the measure through the signed webhook, and tells everyone', async () => {
    const domain = 'pillen-versand-shop.de';
    platform.failFirst.set(domain, 2);
    const { ticket, caseAddress } = await report(spamFor(domain), 'Spam pour un site de pilules');

    // The hearing: to the account's contact, in the account's language, with the evidence and a deadline.
    const { message: notice, parsed } = await mailTo(CUSTOMER, ticket, 'hearing notice');
    expect(parsed.subject).toContain(`[${ticket}]`);
    expect(parsed.subject).toContain(`Beschwerde zu Ihrer Domain ${domain}`);
    expect(parsed.replyTo?.value[0]?.address).toBe(caseAddress);
    expect(parsed.text).toContain(`Link: https://shop.${domain}/deal?ref=77`);
    expect(parsed.text).toMatch(/Subject: .*best prices on pills/);
    expect(parsed.text).toContain(`Concerns: ${domain} (advertised)`);
    expect(parsed.text).toMatch(/Wird die Beschwerde nicht bis spätestens .*\d{4}/);
    for (const secret of [COMPLAINANT, COMPLAINANT_NAME, 'marie', 'Lefebvre']) {
      expect(notice.text.toLowerCase()).not.toContain(secret.toLowerCase());
      expect((parsed.text ?? '').toLowerCase()).not.toContain(secret.toLowerCase());
    }
    expect(parsed.to && 'value' in parsed.to ? parsed.to.value.map((a) => a.address) : []).toEqual([CUSTOMER]);
    expect(parsed.cc).toBeUndefined();

    const heard = await caseView(ticket);
    expect(heard.evidence?.grade).toBe('conclusive');
    expect(heard.deadlines.find((d) => d.kind === 'customer_response')?.status).toBe('pending');

    // The customer answers at the case address: forwarded to the specialists, who are asked to decide.
    const answer = await signMessage(
      buildMessage({ from: `Shop Owner <${CUSTOMER}>`, to: caseAddress, subject: `Re: [${ticket}] ${parsed.subject ?? ''}`, text: 'Wir haben keine Werbung verschickt; das muss ein Partnerprogramm gewesen sein.\n' }),
      CUSTOMER_KEY,
    );
    const reply = (await sendMail({ port: t.smtpPort, from: CUSTOMER, to: [caseAddress], raw: answer })).final;
    expect(reply.code, reply.text).toBe(250);
    await mailTo(SPECIALISTS, ticket, 'customer reply forwarded', (m) => (m.text ?? '').includes('Partnerprogramm'));
    await mailTo(SPECIALISTS, ticket, 'decision request', (m) => (m.subject ?? '').includes(`Decision needed: ${domain}`));
    const answered = await caseView(ticket);
    expect(answered.parties).toEqual(expect.arrayContaining([{ role: 'complainant', address: COMPLAINANT }, { role: 'customer', address: CUSTOMER }]));
    expect(answered.deadlines.find((d) => d.kind === 'customer_response')?.status).toBe('met');

    // The specialist decides by email: a signed webhook, retried until the platform takes it.
    await staffReply(caseAddress, `#action suspend-domain ${domain}\n`);
    const done = await until('measure done', async () => {
      const view = await caseView(ticket);
      return view.measures[0]?.status === 'done' ? view : undefined;
    });
    expect(done.measures).toEqual([expect.objectContaining({ measure: 'suspend-domain', target: domain, account: ACCOUNT, status: 'done' })]);
    const calls = platform.callsFor(domain);
    expect(calls.map((call) => call.answered)).toEqual([500, 500, 200]);
    for (const call of calls) {
      expect(signatureValid(call)).toBe(true);
      expect(call.body).toMatchObject({ case: ticket, measure: 'suspend-domain', target: domain, account: ACCOUNT });
      expect(call.body.evidence).toContain('Evidence: conclusive');
    }
    expect(new Set(calls.map((call) => call.body.idempotencyKey)).size).toBe(1);
    expect([...platform.applied.values()].filter((body) => body.target === domain)).toHaveLength(1);

    const applied = await mailTo(CUSTOMER, ticket, 'measure applied', (m) => (m.subject ?? '').includes('Maßnahme umgesetzt'));
    expect(applied.parsed.text).toContain(domain);

    // Resolved: the complainant hears the outcome in French, with the measure.
    await staffReply(caseAddress, '#resolve spam confirmed\n');
    const outcome = await mailTo(COMPLAINANT, ticket, 'outcome', (m) => (m.subject ?? '').includes('Résultat de notre examen'));
    expect(outcome.parsed.text).toContain('spam confirmed');
    expect(outcome.parsed.text).toContain('Nous avons pris les mesures suivantes');
    expect(outcome.parsed.text).toContain(domain);
    const resolved = await caseView(ticket);
    expect(resolved.state).toBe('resolved');
    expect(resolved.measures[0]?.status).toBe('done');
    // Nothing the customer received ever named the complainant.
    for (const message of t.transport.to(CUSTOMER)) expect(message.text.toLowerCase()).not.toContain('marie');
  }, 60_000);

  it('refuses an unverified sender claiming to be the customer, and verified strangers', async () => {
    const domain = 'second-pill-shop.com';
    await manage(domain);
    const { ticket, caseAddress } = await report(spamFor(domain), 'Encore du spam');
    await mailTo(CUSTOMER, ticket, 'hearing notice');

    const forged = buildMessage({ from: `Shop Owner <${CUSTOMER}>`, to: caseAddress, subject: `Re: [${ticket}]`, text: 'This complaint is unfounded, close it.\n' });
    const refused = await sendMail({ port: t.smtpPort, from: CUSTOMER, to: [caseAddress], raw: forged });
    expect(refused.final.code).toBe(550);
    expect(refused.final.text).toMatch(/^5\.7\.1/);

    const stranger = await signMessage(buildMessage({ from: 'someone@customer.test', to: caseAddress, subject: `Re: [${ticket}]`, text: 'I am the owner too.\n' }), CUSTOMER_KEY);
    const outsider = await sendMail({ port: t.smtpPort, from: 'someone@customer.test', to: [caseAddress], raw: stranger });
    expect(outsider.final.code).toBe(550);
    expect(outsider.final.text).toMatch(/^5\.7\.1 Only the people working on this case/);
    expect((await caseView(ticket)).parties.map((p) => p.role)).toEqual(['complainant', 'customer']);
  });

  it('opens no hearing for unmanaged domains or when only an unverified From names our customer', async () => {
    await manage('forged-from-only.com');
    const before = t.transport.to(CUSTOMER).length;
    const writtenBefore = await outgoingTo(t, CUSTOMER);
    const unmanaged = await report(spamFor('not-ours-at-all.org'), 'Spam pour un autre site');
    const fromOnly = await report(spamFor('also-not-ours.org', `"Support" <help@forged-from-only.com>`), 'Spam avec un expéditeur falsifié');

    for (const { ticket } of [unmanaged, fromOnly]) {
      await mailTo(SPECIALISTS, ticket, 'specialist notice');
      const view = await caseView(ticket);
      expect(view.deadlines.some((d) => d.kind === 'customer_response')).toBe(false);
      expect(view.events.some((e) => e.type === 'customer_notified')).toBe(false);
      expect(view.parties).toEqual([{ role: 'complainant', address: COMPLAINANT }]);
    }
    expect((await caseView(unmanaged.ticket)).evidence?.grade).toBe('none');
    expect((await caseView(fromOnly.ticket)).evidence).toMatchObject({ grade: 'inconclusive', suggestedMeasure: null });
    await intakeSettled(t);
    expect(await outgoingTo(t, CUSTOMER)).toBe(writtenBefore);
    expect(t.transport.to(CUSTOMER).length).toBe(before);
  });

  it('records a dismissal the customer earned and ends the hearing deadline', async () => {
    const domain = 'consented-newsletter.com';
    await manage(domain);
    const { ticket, caseAddress } = await report(spamFor(domain), 'Newsletter non sollicitée');
    await mailTo(CUSTOMER, ticket, 'hearing notice');

    await staffReply(caseAddress, '#dismiss customer showed consent\n');
    const dismissed = await until('measure dismissed', async () => {
      const view = await caseView(ticket);
      return view.measures[0]?.status === 'dismissed' ? view : undefined;
    });
    expect(dismissed.measures).toEqual([expect.objectContaining({ measure: 'suspend-domain', target: domain, status: 'dismissed' })]);
    // The view is one snapshot (test/integration/case-view.test.ts): before it was, a dismissal committed
    // between its queries showed the measure dismissed and this deadline still pending.
    const held = JSON.stringify({ deadlines: dismissed.deadlines, events: dismissed.events.map((e) => e.type) });
    expect(dismissed.deadlines.find((d) => d.kind === 'customer_response')?.status, held).toBe('cancelled');
    expect(dismissed.events.some((e) => e.type === 'measure_dismissed')).toBe(true);
    expect(platform.callsFor(domain)).toEqual([]);
  });

  it('marks a measure the platform keeps refusing as failed and alerts the specialists', async () => {
    const domain = 'platform-refuses-this.com';
    await manage(domain);
    platform.alwaysFail.add(domain);
    const { ticket, caseAddress } = await report(spamFor(domain), 'Spam, troisième fois');
    await mailTo(CUSTOMER, ticket, 'hearing notice');

    await staffReply(caseAddress, `#action suspend-domain ${domain}\n`);
    const failed = await until('measure failed', async () => {
      const view = await caseView(ticket);
      return view.measures[0]?.status === 'failed' ? view : undefined;
    }, 30_000);
    expect(failed.measures[0]).toMatchObject({ measure: 'suspend-domain', target: domain });
    const alert = await mailTo(SPECIALISTS, ticket, 'measure_failed alert', (m) => (m.subject ?? '').includes(`Measure failed: suspend-domain ${domain}`));
    expect(alert.parsed.text).toMatch(/answered 500/);
    const calls = platform.callsFor(domain);
    expect(calls).toHaveLength(8);
    expect(new Set(calls.map((call) => call.body.idempotencyKey)).size).toBe(1);
    const toCustomer = await Promise.all(t.transport.to(CUSTOMER).filter((m) => m.text.includes(ticket)).map((m) => simpleParser(m.raw)));
    expect(toCustomer.map((m) => m.subject ?? '').filter((subject) => subject.includes('Maßnahme umgesetzt'))).toEqual([]);

    // As the alert says: once the platform is back, the same #action sends it again, under the same key.
    platform.alwaysFail.delete(domain);
    await staffReply(caseAddress, `#action suspend-domain ${domain}\n`);
    await until('measure done after the retry', async () => ((await caseView(ticket)).measures[0]?.status === 'done' ? true : undefined));
    expect(platform.callsFor(domain).at(-1)?.answered).toBe(200);
    expect(new Set(platform.callsFor(domain).map((call) => call.body.idempotencyKey)).size).toBe(1);
    await mailTo(CUSTOMER, ticket, 'measure applied', (m) => (m.subject ?? '').includes('Maßnahme umgesetzt'));

    // A measure in effect cannot be dismissed: the specialist is told, the record stays.
    const before = t.transport.to(SPECIALIST).length;
    await staffReply(caseAddress, '#dismiss the customer explained it after all\n');
    const error = await until('command error', async () => t.transport.to(SPECIALIST)[before]);
    expect((await simpleParser(error.raw)).text).toContain('#dismiss the customer explained it after all');
    expect((await caseView(ticket)).measures).toEqual([expect.objectContaining({ target: domain, status: 'done' })]);
  }, 60_000);

  it('deactivates a service in a managed range through the actions API, for the range\'s account', async () => {
    const ip = '203.0.113.45';
    expect((await api('/managed-ranges', { method: 'POST', body: JSON.stringify([{ cidr: '203.0.113.0/24', account: ACCOUNT, description: 'VPS hosting' }]) })).status).toBe(200);
    const spam = buildSpam({ from: 'Deals <deals@not-ours-either.org>', to: COMPLAINANT, subject: 'Deals', text: 'https://not-ours-either.org/deal\n', originIp: ip, originHost: 'vps45.hosting.example.org' });
    const { ticket } = await report(spam, 'Spam depuis votre réseau');
    await mailTo(CUSTOMER, ticket, 'hearing notice');
    expect((await caseView(ticket)).evidence?.suggestedMeasure).toMatchObject({ measure: 'deactivate-service', target: ip });

    const decided = await api<CaseView>(`/cases/${ticket}/actions`, { method: 'POST', body: JSON.stringify({ action: 'measure', measure: 'deactivate-service', target: ip }) });
    expect(decided.status).toBe(200);
    expect(decided.body.measures).toEqual([expect.objectContaining({ measure: 'deactivate-service', target: ip, account: ACCOUNT, status: 'pending' })]);
    await until('measure done', async () => ((await caseView(ticket)).measures[0]?.status === 'done' ? true : undefined));
    const [call] = platform.callsFor(ip);
    expect(call?.body).toMatchObject({ case: ticket, measure: 'deactivate-service', target: ip, account: ACCOUNT });
    expect(signatureValid(call as WebhookCall)).toBe(true);
    await mailTo(CUSTOMER, ticket, 'measure applied', (m) => (m.subject ?? '').includes('Maßnahme umgesetzt'));
  });

  it('lists a measure under way in the outcome when #action and #resolve come in one reply', async () => {
    const domain = 'one-reply-decision.com';
    await manage(domain);
    const { ticket, caseAddress } = await report(spamFor(domain), 'Spam, décision rapide');
    await mailTo(CUSTOMER, ticket, 'hearing notice');

    await staffReply(caseAddress, `#action suspend-domain ${domain}\n#resolve spam confirmed, domain suspended\n`);
    const outcome = await mailTo(COMPLAINANT, ticket, 'outcome', (m) => (m.subject ?? '').includes('Résultat de notre examen'));
    expect(outcome.parsed.text).toContain('Nous avons pris les mesures suivantes');
    expect(outcome.parsed.text).toContain(domain);
    await until('measure done', async () => ((await caseView(ticket)).measures[0]?.status === 'done' ? true : undefined));
    await mailTo(CUSTOMER, ticket, 'measure applied', (m) => (m.subject ?? '').includes('Maßnahme umgesetzt'));
    expect(platform.callsFor(domain)).toHaveLength(1);
  });
});
