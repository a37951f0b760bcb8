import { simpleParser } from 'mailparser';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildMessage, FORGER_KEY, SENDER_DOMAIN, SENDER_KEY, signMessage } from '../support/mail.js';
import { sendMail } from '../support/smtp-client.js';
import { startTestApp, waitFor, type TestApp } from '../support/harness.js';

/**
 * The whole intake path on real PostgreSQL and Redis, over a real SMTP socket:
 * a signed complaint opens a case and gets an acknowledgement; a redelivery
 * makes nothing new; forged mail is refused during the session.
 */
describe('intake on PostgreSQL and Redis', () => {
  let t: TestApp;
  beforeAll(async () => {
    t = await startTestApp({ database: 'postgres' });
  });
  afterAll(async () => {
    await t?.stop({ drop: true });
  });

  const complaint = (overrides: Partial<Parameters<typeof buildMessage>[0]> = {}) =>
    signMessage(
      buildMessage({
        from: `Erika Mustermann <erika@${SENDER_DOMAIN}>`,
        to: 'complaints@example.net',
        subject: 'Beschwerde über Ihren Kundendienst',
        text: 'Sehr geehrte Damen und Herren,\n\nich bin mit der Bearbeitung meines Anliegens durch Ihren Kundendienst sehr unzufrieden und bitte um Prüfung.\n\nMit freundlichen Grüßen\nErika Mustermann\n',
        ...overrides,
      }),
      SENDER_KEY,
    );

  it('opens a case and sends the acknowledgement in the writer language', async () => {
    const raw = await complaint();
    const result = await sendMail({ port: t.smtpPort, from: `erika@${SENDER_DOMAIN}`, to: ['complaints@example.net'], raw });
    expect(result.final.code).toBe(250);

    const ack = await waitFor(() => t.transport.to(`erika@${SENDER_DOMAIN}`)[0], 15_000, 'acknowledgement');
    expect(ack.envelope.from).toBe('');
    expect(ack.text).toMatch(/^Auto-Submitted: auto-replied/m);
    const ticket = /X-Ticket-ID: (CMP-\d{4}-\d{6})/.exec(ack.text)?.[1];
    expect(ticket).toBeDefined();
    const parsed = await simpleParser(ack.raw);
    expect(parsed.subject).toContain(`[${ticket}]`);
    expect(ack.text).toMatch(/^In-Reply-To: <.+@sender\.test>/m);
    expect(ack.text).toMatch(/^Reply-To: case\+cmp-\d{4}-\d{6}\.[0-9a-f]{16}@example\.net/m);
    expect(parsed.text).toMatch(/Werktag/);

    const response = await fetch(`http://127.0.0.1:${t.httpPort}/api/cases/${ticket}`, { headers: { Authorization: 'Bearer test-api-token' } });
    expect(response.status).toBe(200);
    const view = (await response.json()) as Record<string, unknown> & { auth: { verified: boolean }; deadlines: Array<{ kind: string; status: string }> };
    expect(view).toMatchObject({ ticket, kind: 'complaint', language: 'de', brand: 'example-net', complainant: { address: `erika@${SENDER_DOMAIN}`, name: 'Erika Mustermann' } });
    expect(view.auth.verified).toBe(true);
    expect(view.deadlines.map((d) => d.kind).sort()).toEqual(['acknowledge', 'respond']);
    await waitFor(async () => {
      const again = (await (await fetch(`http://127.0.0.1:${t.httpPort}/api/cases/${ticket}`, { headers: { Authorization: 'Bearer test-api-token' } })).json()) as { state: string };
      return again.state === 'acknowledged';
    }, 10_000, 'acknowledged state');
  });

  it('makes no second case or acknowledgement for a redelivered message', async () => {
    const raw = await complaint({ subject: 'Complaint about slow support', text: 'I have been waiting for three weeks for an answer to my support request and nobody replies to me.\n' });
    const first = await sendMail({ port: t.smtpPort, from: `erika@${SENDER_DOMAIN}`, to: ['complaints@example.net'], raw });
    const second = await sendMail({ port: t.smtpPort, from: `erika@${SENDER_DOMAIN}`, to: ['complaints@example.net'], raw });
    expect(first.final.code).toBe(250);
    expect(second.final.code).toBe(250);
    expect(second.final.text).toMatch(/already received/);
    await waitFor(async () => (await t.app.database.prisma.inboundMessage.count({ where: { status: 'processed' } })) >= 2, 15_000, 'processing');
    const cases = await t.app.database.prisma.case.count({ where: { subject: 'Complaint about slow support' } });
    expect(cases).toBe(1);
  });

  it('refuses unknown recipients at RCPT and never relays', async () => {
    const raw = await complaint();
    const unknown = await sendMail({ port: t.smtpPort, from: `erika@${SENDER_DOMAIN}`, to: ['sales@example.net'], raw });
    expect(unknown.final.code).toBe(550);
    expect(unknown.final.text).toMatch(/^5\.1\.1/);
    const relay = await sendMail({ port: t.smtpPort, from: `erika@${SENDER_DOMAIN}`, to: ['someone@elsewhere.test'], raw });
    expect(relay.final.code).toBe(550);
    expect(relay.final.text).toMatch(/^5\.1\.1 Relaying denied/);
  });

  it('refuses forged From (DMARC reject) and records the refusal', async () => {
    const raw = await signMessage(
      buildMessage({ from: `ceo@${SENDER_DOMAIN}`, to: 'abuse@example.net', subject: 'Urgent', text: 'Please act on this at once, it is very urgent indeed.\n' }),
      FORGER_KEY,
    );
    const result = await sendMail({ port: t.smtpPort, from: 'mailer@forger.test', to: ['abuse@example.net'], raw });
    expect(result.final.code).toBe(550);
    expect(result.final.text).toMatch(/^5\.7\.1 .*DMARC/);
    const rejection = await waitFor(() => t.app.database.prisma.rejection.findFirst({ where: { reason: 'dmarc_reject' } }), 5_000, 'rejection row');
    expect(rejection).toMatchObject({ smtpCode: 550, envelopeFrom: 'mailer@forger.test', remoteIp: '127.0.0.1' });
  });

  it('refuses automated mail at the end of DATA', async () => {
    const raw = await complaint({ headers: { 'Auto-Submitted': 'auto-replied' } });
    const result = await sendMail({ port: t.smtpPort, from: `erika@${SENDER_DOMAIN}`, to: ['complaints@example.net'], raw });
    expect(result.final.code).toBe(550);
    expect(result.final.text).toMatch(/Auto-Submitted/);
  });

  it('answers 401 to the API without the token', async () => {
    const response = await fetch(`http://127.0.0.1:${t.httpPort}/api/cases`);
    expect(response.status).toBe(401);
  });
});
