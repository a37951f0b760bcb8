import { simpleParser } from 'mailparser';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildMessage, SENDER_DOMAIN, SENDER_KEY, signMessage, testZone, type SigningKey, STAFF_KEY, staffZoneRecords } from '../support/mail.js';
import { sendMail } from '../support/smtp-client.js';
import { loadBrandsFile, type Brand } from '../../src/config/brands.js';
import { DEFAULT_BRANDS_FILE } from '../../src/config/index.js';
import { calendarForBrand } from '../../src/deadlines/calendar.js';
import { intakeSettled, outgoingTo, startTestApp, waitFor, type SentMessage, type TestApp } from '../support/harness.js';

/**
 * Specialists work a case from their mail client (issue 4): replies to the
 * case address are relayed from the brand, commands run, and nobody else can
 * write to the thread.
 */
const SPECIALIST = 'jane.doe@example.com';
const COMPLAINANT = `paul@${SENDER_DOMAIN}`;
const BRAND = loadBrandsFile(DEFAULT_BRANDS_FILE).find((brand) => brand.id === 'example-net') as Brand;

function zone() {
  return {
    ...testZone(),
    ...staffZoneRecords(),
  };
}

describe('specialists work cases by email', () => {
  let t: TestApp;
  beforeAll(async () => {
    t = await startTestApp({ database: 'postgres', zone: zone() });
  });
  afterAll(async () => {
    await t?.stop({ drop: true });
  });

  async function openCase(subject: string): Promise<{ ticket: string; caseAddress: string; ack: SentMessage; complaintId: string }> {
    const before = t.transport.to(COMPLAINANT).length;
    const raw = await signMessage(
      buildMessage({ from: `Paul Smith <${COMPLAINANT}>`, to: 'complaints@example.net', subject, text: 'Your support has not answered my transfer request for two weeks. Please look into it.\n' }),
      SENDER_KEY,
    );
    const complaintId = /^Message-ID: (<[^>]+>)/im.exec(raw.toString())?.[1] as string;
    expect((await sendMail({ port: t.smtpPort, from: COMPLAINANT, to: ['complaints@example.net'], raw })).final.code).toBe(250);
    const ack = await waitFor(() => t.transport.to(COMPLAINANT)[before], 15_000, 'acknowledgement');
    const ticket = /X-Ticket-ID: (\S+)/.exec(ack.text)?.[1] as string;
    const caseAddress = /^Reply-To: (\S+)/m.exec(ack.text)?.[1] as string;
    return { ticket, caseAddress, ack, complaintId };
  }

  async function staffReply(caseAddress: string, text: string, options: { key?: SigningKey | null; from?: string; subject?: string } = {}) {
    const message = buildMessage({ from: options.from ?? `Jane Doe <${SPECIALIST}>`, to: caseAddress, subject: options.subject ?? 'Re: case', text });
    const raw = options.key === null ? message : await signMessage(message, options.key ?? STAFF_KEY);
    return sendMail({ port: t.smtpPort, from: SPECIALIST, to: [caseAddress], raw });
  }

  const api = async (ticket: string) =>
    (await (await fetch(`http://127.0.0.1:${t.httpPort}/api/cases/${ticket}`, { headers: { Authorization: 'Bearer test-api-token' } })).json()) as {
      state: string;
      assignee: string | null;
      messages: Array<{ direction: string; role: string; relayed: boolean; kind: string }>;
      events: Array<{ type: string; data: unknown }>;
      deadlines: Array<{ kind: string; status: string; dueAt: string; originalDueAt: string }>;
    };

  it('sends the specialists a notice with the original attached and the case address as Reply-To', async () => {
    const { ticket, caseAddress } = await openCase('Transfer request ignored');
    const notice = await waitFor(() => t.transport.to('abuse-team@example.com').find((m) => m.text.includes(ticket)), 10_000, 'notice');
    const parsed = await simpleParser(notice.raw);
    expect(parsed.subject).toContain(`[${ticket}]`);
    expect(parsed.headers.get('auto-submitted')).toBe('auto-generated');
    expect(parsed.replyTo?.text).toBe(caseAddress);
    expect(notice.text).toMatch(/^Content-Type: message\/rfc822/m);
    expect(parsed.text).toContain('Transfer request ignored');
  });

  it('refuses a wrong token at RCPT, forged staff, and verified outsiders', async () => {
    const { caseAddress } = await openCase('Second complaint');
    const wrong = caseAddress.replace(/\.[0-9a-f]{16}@/, '.0000000000000000@');
    const bad = await staffReply(wrong, 'hello');
    expect(bad.final.code).toBe(550);
    expect(bad.final.text).toMatch(/^5\.1\.1/);

    const forged = await staffReply(caseAddress, '#resolve all done', { key: null });
    expect(forged.final.code).toBe(550);
    expect(forged.final.text).toMatch(/^5\.7\.1/);

    const outsider = await signMessage(buildMessage({ from: `mallory@${SENDER_DOMAIN}`, to: caseAddress, subject: 'hi', text: 'let me in to this case please\n' }), SENDER_KEY);
    const refused = await sendMail({ port: t.smtpPort, from: `mallory@${SENDER_DOMAIN}`, to: [caseAddress], raw: outsider });
    expect(refused.final.code).toBe(550);
    expect(refused.final.text).toMatch(/^5\.7\.1 Only the people working on this case/);
  });

  it('relays a reply without any trace of the specialist and forwards the answer to the assignee', async () => {
    const { ticket, caseAddress } = await openCase('Domain transfer stuck');
    const result = await staffReply(
      caseAddress,
      '#assign me\n\nDear Paul,\n\nwe have looked into your transfer and completed it today.\n\nKind regards\nJane Doe\njane.doe@example.com\n\nOn Mon, 1 Dec 2026, Example Registrar <complaints@example.net> wrote:\n> Your complaint has been received\n',
    );
    expect(result.final.code).toBe(250);
    const relayed = await waitFor(() => t.transport.to(COMPLAINANT).find((m) => m.text.includes('completed it today')), 10_000, 'relayed reply');
    expect(relayed.text).not.toMatch(/jane/i);
    expect(relayed.text).not.toContain('example.com');
    const parsed = await simpleParser(relayed.raw);
    expect(parsed.from?.value[0]?.address).toBe('complaints@example.net');
    expect(parsed.subject).toContain(`[${ticket}]`);
    expect(parsed.inReplyTo).toBeDefined();

    const view = await api(ticket);
    expect(view.state).toBe('responded');
    expect(view.assignee).toBe(SPECIALIST);
    expect(view.messages.some((m) => m.direction === 'in' && m.role === 'specialist')).toBe(true);
    expect(view.messages.some((m) => m.direction === 'out' && m.role === 'specialist' && m.relayed)).toBe(true);
    expect(view.deadlines.find((d) => d.kind === 'respond')?.status).toBe('met');

    const answer = await signMessage(
      buildMessage({ from: COMPLAINANT, to: caseAddress, subject: `Re: [${ticket}] Our response`, text: 'Thank you, I can confirm the transfer went through.\n' }),
      SENDER_KEY,
    );
    expect((await sendMail({ port: t.smtpPort, from: COMPLAINANT, to: [caseAddress], raw: answer })).final.code).toBe(250);
    const forwarded = await waitFor(() => t.transport.to(SPECIALIST).find((m) => m.text.includes('confirm the transfer')), 10_000, 'forward to assignee');
    expect(forwarded.text).toMatch(/X-Ticket-ID: /);
  });

  it('keeps #internal notes away from the complainant', async () => {
    const { ticket, caseAddress } = await openCase('Internal note case');
    const sentBefore = t.transport.to(COMPLAINANT).length;
    const writtenBefore = await outgoingTo(t, COMPLAINANT);
    expect((await staffReply(caseAddress, '#internal\n\nCustomer is known for this; check the logs first.\n')).final.code).toBe(250);
    await intakeSettled(t);
    expect((await api(ticket)).events.some((e) => e.type === 'note_added')).toBe(true);
    // Written in the transaction that added the note: had anything gone to the complainant, its row would be here.
    expect(await outgoingTo(t, COMPLAINANT)).toBe(writtenBefore);
    expect(t.transport.to(COMPLAINANT).length).toBe(sentBefore);
    expect(t.transport.sent.some((m) => m.text.includes('known for this'))).toBe(false);
  });

  it('runs #need-info, #extend and #resolve, and answers a wrong command with an error naming the line', async () => {
    const { ticket, caseAddress } = await openCase('Commands case');
    expect((await staffReply(caseAddress, '#need-info\n\nWhich domain name is concerned?\n')).final.code).toBe(250);
    await waitFor(async () => (await api(ticket)).state === 'awaiting_information', 10_000, 'awaiting information');
    await waitFor(() => t.transport.to(COMPLAINANT).find((m) => m.text.includes('Which domain name is concerned')), 10_000, 'question relayed');

    // Ten working days past the promised date, by the brand's own calendar: a date
    // picked by skipping weekends only can be a public holiday (2027-01-01 was).
    const due = (await api(ticket)).deadlines.find((d) => d.kind === 'respond') as { dueAt: string };
    const calendar = calendarForBrand(BRAND);
    const until = calendar.addWorkingDays(calendar.localDate(new Date(due.dueAt)), 10);
    expect((await staffReply(caseAddress, `#extend ${until} waiting for the registry\n`)).final.code).toBe(250);
    await waitFor(async () => (await api(ticket)).events.some((e) => e.type === 'deadline_extended'), 10_000, 'extension');
    const moved = (await api(ticket)).deadlines.find((d) => d.kind === 'respond') as { dueAt: string; originalDueAt: string };
    expect(moved.dueAt).not.toBe(moved.originalDueAt);

    const errorsBefore = t.transport.to(SPECIALIST).length;
    expect((await staffReply(caseAddress, '#frobnicate now\n\nThis must not reach the complainant.\n')).final.code).toBe(250);
    const error = await waitFor(() => t.transport.to(SPECIALIST)[errorsBefore], 10_000, 'error reply');
    expect(error.text).toContain('#frobnicate now');
    expect(t.transport.sent.some((m) => m.text.includes('must not reach'))).toBe(false);

    expect((await staffReply(caseAddress, '#resolve transfer completed\n')).final.code).toBe(250);
    await waitFor(async () => (await api(ticket)).state === 'resolved', 10_000, 'resolved');
  });

  it('refuses auto-replies, bounces and our own mail coming back', async () => {
    const { caseAddress, ack } = await openCase('Loop case');
    const autoReply = await signMessage(
      buildMessage({ from: COMPLAINANT, to: caseAddress, subject: 'Out of office', text: 'I am away until Monday and will read your message then.\n', headers: { 'Auto-Submitted': 'auto-replied' } }),
      SENDER_KEY,
    );
    const auto = await sendMail({ port: t.smtpPort, from: COMPLAINANT, to: [caseAddress], raw: autoReply });
    expect(auto.final.code).toBe(550);

    const bounce = await sendMail({ port: t.smtpPort, from: '', to: [caseAddress], raw: Buffer.from(`From: Mail Delivery System <mailer-daemon@${SENDER_DOMAIN}>\r\nTo: ${caseAddress}\r\nSubject: Undelivered Mail Returned to Sender\r\nContent-Type: multipart/report; report-type=delivery-status; boundary=x\r\n\r\n--x\r\n\r\nfailed\r\n--x--\r\n`) });
    expect(bounce.final.code).toBeGreaterThanOrEqual(550);

    // Our acknowledgement, forwarded back to us by the complainant's system.
    const echoed = await signMessage(ack.raw, SENDER_KEY);
    const echo = await sendMail({ port: t.smtpPort, from: COMPLAINANT, to: ['complaints@example.net'], raw: echoed });
    expect(echo.final.code).toBe(554);
    expect(echo.final.text).toMatch(/loop/i);
  });
});
