import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { CaseView } from '../../src/cases/view.js';
import { startTestApp, waitFor, type TestApp } from '../support/harness.js';
import { buildMessage, dkimTxtRecord, SENDER_DOMAIN, SENDER_KEY, signMessage, STAFF_KEY, staffZoneRecords, testKeys, testZone } from '../support/mail.js';
import { sendMail } from '../support/smtp-client.js';

/**
 * The staff forgery of issue 27, item 1, over real SMTP sessions. The attacker
 * owns customer.example (SPF and DKIM pass) and writes a From that our header
 * reader and mailauth read differently, or names staff and relies on
 * In-Reply-To alone. The staff domain here also passes SPF from this machine,
 * as it would on a shared sending service.
 */
const COMPLAINANT = `paul@${SENDER_DOMAIN}`;
const ATTACKER = 'mallory@customer.example';
const STAFF = 'abuse-team@example.com';
const ATTACKER_KEY = { domain: 'customer.example', selector: 's1', privateKey: testKeys.rsa.privateKey };

function zone() {
  return {
    ...testZone(),
    ...staffZoneRecords(),
    'example.com': { TXT: ['v=spf1 ip4:127.0.0.0/8 -all'] },
    'customer.example': { TXT: ['v=spf1 ip4:127.0.0.0/8 -all'] },
    's1._domainkey.customer.example': { TXT: [dkimTxtRecord(testKeys.rsa.publicKey)] },
  };
}

describe('staff cannot be forged', () => {
  let t: TestApp;
  beforeAll(async () => {
    t = await startTestApp({ database: 'postgres', zone: zone() });
  });
  afterAll(async () => {
    await t?.stop({ drop: true });
  });

  const view = async (ticket: string): Promise<CaseView> =>
    (await (await fetch(`http://127.0.0.1:${t.httpPort}/api/cases/${ticket}`, { headers: { Authorization: 'Bearer test-api-token' } })).json()) as CaseView;

  async function openCase(subject: string): Promise<{ ticket: string; ackId: string }> {
    const before = t.transport.to(COMPLAINANT).length;
    const raw = await signMessage(
      buildMessage({ from: `Paul <${COMPLAINANT}>`, to: 'complaints@example.net', subject, text: 'Your support has not answered my transfer request for two weeks.\n' }),
      SENDER_KEY,
    );
    expect((await sendMail({ port: t.smtpPort, from: COMPLAINANT, to: ['complaints@example.net'], raw })).final.code).toBe(250);
    const ack = await waitFor(() => t.transport.to(COMPLAINANT)[before], 15_000, 'acknowledgement');
    const ticket = /X-Ticket-ID: (\S+)/.exec(ack.text)?.[1] as string;
    await waitFor(async () => (await view(ticket)).state === 'acknowledged', 15_000, `${ticket} acknowledged`);
    return { ticket, ackId: /^Message-ID: (<[^>]+>)/im.exec(ack.text)?.[1] as string };
  }

  /** A message as the attacker writes it: the From value is sent byte for byte. */
  function forged(from: string, options: { inReplyTo?: string; text: string; to?: string }): Buffer {
    const head = [
      `From: ${from}`,
      `To: ${options.to ?? 'complaints@example.net'}`,
      'Subject: Re: your case',
      `Message-ID: <${Math.random().toString(36).slice(2)}@customer.example>`,
      ...(options.inReplyTo ? [`In-Reply-To: ${options.inReplyTo}`, `References: ${options.inReplyTo}`] : []),
    ].join('\r\n');
    return Buffer.concat([Buffer.from(`${head}\r\n\r\n`, 'latin1'), Buffer.from(options.text.replace(/\n/g, '\r\n'))]);
  }

  it('refuses a From whose control character hides a staff address, signed or not, and the case is untouched', async () => {
    const { ticket, ackId } = await openCase('Transfer request ignored');
    const before = await view(ticket);
    for (const sign of [false, true]) {
      const raw = forged(`${STAFF}\x01${ATTACKER}`, { inReplyTo: ackId, text: '#action suspend-domain victim.example\n#resolve done\n' });
      const result = await sendMail({ port: t.smtpPort, from: ATTACKER, to: ['complaints@example.net'], raw: sign ? await signMessage(raw, ATTACKER_KEY) : raw });
      expect(result.final.code).toBe(550);
      expect(result.final.text).toMatch(/^5\.7\.1 The From header contains control characters/);
    }
    const after = await view(ticket);
    expect(after.state).toBe(before.state);
    expect(after.events.length).toBe(before.events.length);
  });

  it('refuses a complaint in the name of a p=reject domain written the same way', async () => {
    const raw = forged(`victim@${SENDER_DOMAIN}\x01${ATTACKER}`, { text: 'Please call me back at once.\n' });
    const result = await sendMail({ port: t.smtpPort, from: ATTACKER, to: ['complaints@example.net'], raw: await signMessage(raw, ATTACKER_KEY) });
    expect(result.final.code).toBe(550);
    expect(result.final.text).toMatch(/^5\.7\.1 /);
  });

  it('does not let a staff From verified by SPF alone act on a case through In-Reply-To', async () => {
    const { ticket, ackId } = await openCase('Second complaint');
    const raw = forged(STAFF, { inReplyTo: ackId, text: '#internal\n\nforged note\n' });
    // A verified sender writing to the mailbox: accepted, but not as the case's specialist.
    expect((await sendMail({ port: t.smtpPort, from: STAFF, to: ['complaints@example.net'], raw })).final.code).toBe(250);
    const inbound = await waitFor(async () => {
      const rows = await t.app.database.prisma.inboundMessage.findMany({ where: { envelopeFrom: STAFF }, select: { status: true, caseId: true } });
      return rows.length > 0 && rows.every((row) => row.status === 'processed') ? rows : undefined;
    }, 15_000, 'forged reply processed');
    const theCase = await t.app.database.prisma.case.findUnique({ where: { ticket }, select: { id: true } });
    expect(inbound.map((row) => row.caseId)).not.toContain(theCase?.id);
    expect((await view(ticket)).events.some((event) => event.type === 'note_added')).toBe(false);
  });

  it('lets staff with their own DKIM signature act through In-Reply-To', async () => {
    const { ticket, ackId } = await openCase('Third complaint');
    const raw = await signMessage(buildMessage({ from: `Jane <${STAFF}>`, to: 'complaints@example.net', subject: 'Re: case', text: '#internal\n\nchecked the logs\n', headers: { 'In-Reply-To': ackId } }), STAFF_KEY);
    expect((await sendMail({ port: t.smtpPort, from: STAFF, to: ['complaints@example.net'], raw })).final.code).toBe(250);
    await waitFor(async () => (await view(ticket)).events.some((event) => event.type === 'note_added'), 15_000, 'note by signed staff');
  });

  it('refuses a From with a domain literal once, with a clear permanent reply', async () => {
    const raw = forged('someone@[127.0.0.1]', { text: 'Hello from an address literal.\n' });
    const result = await sendMail({ port: t.smtpPort, from: 'someone@customer.example', to: ['complaints@example.net'], raw });
    expect(result.final.code).toBe(550);
    expect(result.final.text).toMatch(/^5\.7\.1 The From address \(someone@\[127\.0\.0\.1\]\) names an IP address/);
  });
});
