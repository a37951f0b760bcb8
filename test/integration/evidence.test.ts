import { execFile } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { simpleParser } from 'mailparser';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { FORGER_KEY, SENDER_DOMAIN, SENDER_KEY, signMessage, testZone } from '../support/mail.js';
import { buildArf, buildReport, buildSpam } from '../support/reports.js';
import { sendMail } from '../support/smtp-client.js';
import { intakeSettled, outgoingTo, startTestApp, waitFor, type SentMessage, type TestApp } from '../support/harness.js';

/**
 * Spam reports become evidence a specialist can act on (issue 5): the managed
 * tables filled through the API and the CLI, a forged From told apart from the
 * advertised domain, an incomplete report asked for the spam and resumed, ARF
 * reports stored silently and grouped, and our own IP ranges as the origin.
 */
const ROOT = fileURLToPath(new URL('../..', import.meta.url));
const SPECIALISTS = 'abuse-team@example.com';
const REPORTER = `paul@${SENDER_DOMAIN}`;
const DUTCH_REPORTER = `jan@${SENDER_DOMAIN}`;
const FBL = `fbl@${SENDER_DOMAIN}`;

const SHOP = 'cheap-pills-4711.com';
const BANK = 'bank-security-alerts.com';
const OTHER_SHOP = 'replica-watches-0815.net';

interface EvidenceView {
  grade: string;
  complete: boolean;
  suggestedMeasure: { measure: string; target: string; account: string | null; reason: string } | null;
  reportedMessages: Array<{
    originIp: string | null;
    fromDomain: string | null;
    fromVerified: boolean;
    dkim: Array<{ domain: string; result: string }>;
    urls: string[];
    origin: { ip: string; range: string | null; account: string | null; conclusive: boolean } | null;
    domains: Array<{ domain: string; managed: boolean; account: string | null; role: string; conclusive: boolean; reason: string }>;
  }>;
}

interface CaseView {
  ticket: string;
  state: string;
  silent: boolean;
  abuseType: string | null;
  deadlines: Array<{ kind: string; status: string }>;
  messages: Array<{ direction: string; kind: string }>;
  evidence: EvidenceView | null;
}

/** The spam of the seeds' example: From one of our domains, which nobody vouches for, selling another. */
function forgedSpam(to: string, advertised = SHOP): Buffer {
  return buildSpam({
    from: `"Security Team" <alerts@${BANK}>`,
    to,
    subject: 'Your order is waiting',
    text: `Hello,\n\nbest prices on all pills, only today: https://www.${advertised}/offer?id=2231\n\nUnsubscribe: http://${advertised}/u\n`,
  });
}

function runCli(script: string, file: string, env: Record<string, string>): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    execFile('npm', ['run', '-s', script, '--', file], { cwd: ROOT, env: { ...process.env, ...env }, timeout: 60_000 }, (error, stdout, stderr) => {
      const code = error ? (typeof error.code === 'number' ? error.code : 1) : 0;
      resolve({ code, stdout, stderr });
    });
  });
}

describe('spam reports become graded evidence', () => {
  let t: TestApp;
  beforeAll(async () => {
    t = await startTestApp({ database: 'postgres', zone: testZone() });
  });
  afterAll(async () => {
    await t?.stop({ drop: true });
  });

  const api = async <T>(path: string, init: RequestInit = {}): Promise<{ status: number; body: T }> => {
    const response = await fetch(`http://127.0.0.1:${t.httpPort}/api${path}`, {
      ...init,
      headers: { Authorization: 'Bearer test-api-token', 'Content-Type': 'application/json', ...init.headers },
    });
    return { status: response.status, body: (await response.json()) as T };
  };
  const caseView = async (ticket: string) => (await api<CaseView>(`/cases/${ticket}`)).body;
  const managedDomains = async () => (await api<{ items: Array<{ domain: string; account: string | null; created: string | null }> }>('/managed-domains?limit=1000')).body.items;
  const cli = (script: string, name: string, csv: string) => {
    const file = join(t.dataDir, name);
    writeFileSync(file, csv);
    return runCli(script, file, t.env);
  };

  async function send(from: string, to: string, raw: Buffer): Promise<void> {
    const result = await sendMail({ port: t.smtpPort, from, to: [to], raw: await signMessage(raw, SENDER_KEY) });
    expect(result.final.code, result.final.text).toBe(250);
  }

  /** The specialists' notice of a case about `subject` from `from`, once the intake has run. */
  async function noticeAbout(marker: string): Promise<{ notice: SentMessage; ticket: string; text: string }> {
    const notice = await waitFor(
      async () => {
        for (const message of t.transport.to(SPECIALISTS)) {
          const parsed = await simpleParser(message.raw);
          if (parsed.text?.includes(marker)) return message;
        }
        return undefined;
      },
      15_000,
      `specialist notice mentioning ${marker}`,
    );
    const parsed = await simpleParser(notice.raw);
    return { notice, ticket: /X-Ticket-ID: (\S+)/.exec(notice.text)?.[1] as string, text: parsed.text ?? '' };
  }

  it('fills the managed tables through the API and the CLI; a bad row is named and nothing of it is written', async () => {
    const added = await api<{ upserted: number }>('/managed-domains', {
      method: 'POST',
      body: JSON.stringify([
        { domain: SHOP, account: 'ACC-100' },
        { domain: BANK, account: 'ACC-200' },
      ]),
    });
    expect(added).toEqual({ status: 200, body: { upserted: 2 } });

    const refused = await api<{ error: string }>('/managed-domains', {
      method: 'POST',
      body: JSON.stringify([{ domain: 'fine-api-domain.com' }, { domain: 'www.not-registrable.com', account: 'ACC-1' }]),
    });
    expect(refused.status).toBe(400);
    expect(refused.body.error).toMatch(/entry 1: domain not a registrable domain name/);

    const imported = await cli('domains:import', 'domains.csv', 'domain,account,created\nMANAGED-BY-CLI.de,ACC-300,2019-03-04\nsecond-by-cli.nl,,\n');
    expect(imported.code, imported.stderr).toBe(0);
    expect(imported.stdout).toContain('2 domains imported');

    const badDate = await api<{ error: string }>('/managed-domains', { method: 'POST', body: JSON.stringify([{ domain: 'dated.com', created: '2026-02-30' }]) });
    expect(badDate.status).toBe(400);
    expect(badDate.body.error).toMatch(/entry 0: created not a calendar date/);

    const bad = await cli('domains:import', 'bad-domains.csv', 'domain,account\nfine-cli-domain.com,ACC-1\nnot a domain,ACC-2\n');
    expect(bad.code).not.toBe(0);
    expect(bad.stderr).toMatch(/bad-domains\.csv line 3: domain not a registrable domain name/);

    const domains = await managedDomains();
    expect(domains).toEqual(
      expect.arrayContaining([
        { domain: SHOP, account: 'ACC-100', created: null },
        { domain: BANK, account: 'ACC-200', created: null },
        { domain: 'managed-by-cli.de', account: 'ACC-300', created: '2019-03-04' },
        { domain: 'second-by-cli.nl', account: null, created: null },
      ]),
    );
    expect(domains.map((d) => d.domain)).not.toContain('fine-api-domain.com');
    expect(domains.map((d) => d.domain)).not.toContain('fine-cli-domain.com');

    const ranges = await cli('ranges:import', 'ranges.csv', 'cidr,account,description\n203.0.113.0/24,ACC-400,shared hosting\n');
    expect(ranges.code, ranges.stderr).toBe(0);
    const badRange = await cli('ranges:import', 'bad-ranges.csv', 'cidr,account\n192.0.2.0/24,ACC-1\n192.0.2.0/33,ACC-1\n');
    expect(badRange.code).not.toBe(0);
    expect(badRange.stderr).toMatch(/bad-ranges\.csv line 3: cidr not a CIDR range/);
    const listed = await api<{ items: Array<{ cidr: string; account: string | null }> }>('/managed-ranges');
    expect(listed.body.items).toEqual([{ cidr: '203.0.113.0/24', account: 'ACC-400', description: 'shared hosting' }]);
  }, 120_000);

  it('grades a forged-From spam: the advertised managed domain is evidence, the From domain is not', async () => {
    // The spammer's own domain signs it: a valid signature that vouches for nothing in From.
    const spam = await signMessage(forgedSpam(REPORTER), FORGER_KEY);
    const report = buildReport({
      from: `Paul Smith <${REPORTER}>`,
      to: 'abuse@example.net',
      subject: 'Spam advertising a domain of yours',
      text: 'Hello,\n\nplease find attached a spam message I received today, with all its headers.\n\nRegards,\nPaul Smith\n',
      attachments: [{ raw: spam }],
    });
    await send(REPORTER, 'abuse@example.net', report);

    const { ticket, text } = await noticeAbout('Spam advertising a domain of yours');
    const view = await caseView(ticket);
    const evidence = view.evidence as EvidenceView;
    const message = evidence.reportedMessages[0];
    expect(message?.fromDomain).toBe(BANK);
    expect(message?.fromVerified).toBe(false);
    expect(message?.dkim).toEqual([expect.objectContaining({ domain: 'forger.test', result: 'pass' })]);
    expect(message?.urls).toEqual(expect.arrayContaining([`https://www.${SHOP}/offer?id=2231`]));
    expect(message?.domains).toEqual(
      expect.arrayContaining([
        expect.objectContaining({ domain: SHOP, role: 'advertised', managed: true, account: 'ACC-100', conclusive: true }),
        expect.objectContaining({ domain: BANK, role: 'sender', managed: true, account: 'ACC-200', conclusive: false, reason: 'not conclusive: From can be forged' }),
      ]),
    );
    expect(evidence.grade).toBe('conclusive');
    expect(evidence.suggestedMeasure).toMatchObject({ measure: 'suspend-domain', target: SHOP, account: 'ACC-100' });
    expect(view.abuseType).toBe('spam');
    expect(view.deadlines.map((d) => d.kind)).toEqual(expect.arrayContaining(['acknowledge', 'respond']));

    expect(text).toContain('Evidence: conclusive');
    expect(text).toContain(`Suggested measure: suspend-domain ${SHOP} (account ACC-100)`);
    expect(text).toContain(`${BANK} (sender, managed (account ACC-200)): not conclusive: From can be forged`);
    await waitFor(() => t.transport.to(REPORTER).find((m) => m.text.includes(ticket)), 10_000, 'acknowledgement');
  });

  it('asks an incomplete report for the spam in the reporter\'s language, and resumes when it comes', async () => {
    const words =
      'Goedemiddag,\n\nIk heb vandaag alweer spam ontvangen van een website die bij jullie geregistreerd is. ' +
      'Het gaat om reclame voor goedkope pillen en ik wil dat jullie hier iets aan doen. ' +
      'Het is al de derde keer deze week dat ik zulke berichten krijg.\n\nMet vriendelijke groet,\nJan de Vries\n';
    await send(DUTCH_REPORTER, 'abuse@example.net', buildReport({ from: `Jan de Vries <${DUTCH_REPORTER}>`, to: 'abuse@example.net', subject: 'Spam ontvangen', text: words }));

    const reply = await waitFor(() => t.transport.to(DUTCH_REPORTER)[0], 15_000, 'incomplete-report reply');
    const parsed = await simpleParser(reply.raw);
    expect(parsed.subject).toContain('Stuur ons alstublieft het volledige spambericht');
    expect(parsed.text).toContain('inclusief alle headerinformatie');
    const ticket = /X-Ticket-ID: (\S+)/.exec(reply.text)?.[1] as string;
    const caseAddress = parsed.replyTo?.value[0]?.address as string;
    expect(caseAddress).toMatch(/@example\.net$/);

    const waiting = await caseView(ticket);
    expect(waiting.state).toBe('awaiting_information');
    expect(waiting.deadlines.some((d) => d.kind === 'respond')).toBe(false);
    expect(waiting.evidence?.complete).toBe(false);

    const completion = buildReport({
      from: `Jan de Vries <${DUTCH_REPORTER}>`,
      to: caseAddress,
      subject: `Re: [${ticket}] ${parsed.subject?.replace(/^\[[^\]]+\]\s*/, '') ?? ''}`,
      text: 'Hierbij het bericht als bijlage.\n',
      attachments: [{ raw: forgedSpam(DUTCH_REPORTER) }],
      headers: [['In-Reply-To', parsed.messageId as string]],
    });
    await send(DUTCH_REPORTER, caseAddress, completion);

    const resumed = await waitFor(async () => {
      const view = await caseView(ticket);
      return view.state === 'in_progress' ? view : undefined;
    }, 15_000, 'case in progress');
    expect(resumed.evidence?.complete).toBe(true);
    expect(resumed.evidence?.reportedMessages).toHaveLength(1);
    expect(resumed.evidence?.grade).toBe('conclusive');
    expect(resumed.deadlines.find((d) => d.kind === 'respond')?.status).toBe('pending');
    // One reply to the reporter, no acknowledgement on top of it.
    expect(t.transport.to(DUTCH_REPORTER)).toHaveLength(1);
  });

  it('stores ARF reports from a verified reporter as silent cases and groups them by reported domain', async () => {
    const arf = (advertised: string) => buildArf({ from: `Feedback Loop <${FBL}>`, to: 'abuse@example.net', spam: forgedSpam('user@victim-mail.org', advertised), sourceIp: '198.51.100.23' });
    const listFbl = async () => (await api<{ items: Array<{ ticket: string }> }>(`/cases?complainant=${encodeURIComponent(FBL)}`)).body.items;

    await send(FBL, 'abuse@example.net', arf(SHOP));
    const [first] = await waitFor(async () => ((await listFbl()).length === 1 ? listFbl() : undefined), 15_000, 'first ARF case');
    const ticket = first?.ticket as string;
    const silent = await caseView(ticket);
    expect(silent.silent).toBe(true);
    expect(silent.deadlines).toEqual([]);
    expect(silent.evidence?.suggestedMeasure).toMatchObject({ measure: 'suspend-domain', target: SHOP });

    await send(FBL, 'abuse@example.net', arf(SHOP));
    const grouped = await waitFor(async () => {
      const view = await caseView(ticket);
      return view.evidence && view.evidence.reportedMessages.length === 2 ? view : undefined;
    }, 15_000, 'second report joined');
    expect(grouped.messages.filter((m) => m.direction === 'in')).toHaveLength(2);

    await send(FBL, 'abuse@example.net', arf(OTHER_SHOP));
    const cases = await waitFor(async () => {
      const items = await listFbl();
      return items.length === 2 ? items : undefined;
    }, 15_000, 'a new case for another domain');
    const other = cases.find((c) => c.ticket !== ticket)?.ticket as string;
    expect((await caseView(other)).evidence?.reportedMessages[0]?.domains).toEqual(
      expect.arrayContaining([expect.objectContaining({ domain: OTHER_SHOP, role: 'advertised', managed: false })]),
    );
    expect((await caseView(ticket)).evidence?.reportedMessages).toHaveLength(2);

    // Nothing ever goes to the reporter: no outgoing row for it once every report has been processed.
    await intakeSettled(t);
    expect(await outgoingTo(t, FBL)).toBe(0);
    expect(t.transport.to(FBL)).toEqual([]);
  });

  it('names our managed IP range as the origin and suggests deactivating the service', async () => {
    const spam = buildSpam({
      from: 'Prize Office <win@lottery-winner-mail.org>',
      to: REPORTER,
      subject: 'You have won',
      text: 'Claim your prize at https://claim.lottery-winner-mail.org/now\n',
      originIp: '203.0.113.45',
      originHost: 'vps45.hosting.example.org',
    });
    const report = buildReport({
      from: `Paul Smith <${REPORTER}>`,
      to: 'abuse@example.net',
      subject: 'Spam from your network',
      text: 'Hello,\n\nthe attached spam came from one of your servers.\n\nPaul\n',
      attachments: [{ raw: spam, as: 'eml-file', filename: 'You have won.eml' }],
    });
    await send(REPORTER, 'abuse@example.net', report);

    const { ticket, text } = await noticeAbout('Spam from your network');
    const evidence = (await caseView(ticket)).evidence as EvidenceView;
    const message = evidence.reportedMessages[0];
    expect(message?.originIp).toBe('203.0.113.45');
    expect(message?.origin).toMatchObject({ ip: '203.0.113.45', range: '203.0.113.0/24', account: 'ACC-400', conclusive: true });
    expect(evidence.grade).toBe('conclusive');
    expect(evidence.suggestedMeasure).toMatchObject({ measure: 'deactivate-service', target: '203.0.113.45', account: 'ACC-400' });
    expect(text).toContain('Suggested measure: deactivate-service 203.0.113.45 (account ACC-400)');
  });
});
