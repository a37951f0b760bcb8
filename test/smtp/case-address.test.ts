import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ReplyTokens } from '../../src/outbound/reply-address.js';
import { startTestApp, waitFor, type TestApp } from '../support/harness.js';
import { buildMessage, SENDER_DOMAIN, SENDER_KEY, signMessage } from '../support/mail.js';
import { sendMail, SmtpSession } from '../support/smtp-client.js';

/**
 * Issue 27, item 5: a case reply address is good only at its own case's brand.
 * The token vouches for the ticket, not the domain, so the same local part at
 * another brand's domain once opened a new case there.
 */
const COMPLAINANT = `paula@${SENDER_DOMAIN}`;
// The harness's REPLY_TOKEN_SECRET: the addresses the desk itself hands out.
const tokens = new ReplyTokens('test-reply-secret');

describe('case reply addresses at RCPT', () => {
  let t: TestApp;
  let ticket: string;
  beforeAll(async () => {
    t = await startTestApp({ database: 'postgres' });
    const raw = await signMessage(
      buildMessage({ from: COMPLAINANT, to: 'complaints@example.net', subject: 'Transfer stuck', text: 'My transfer has been stuck for two weeks and nobody answers me.\n' }),
      SENDER_KEY,
    );
    expect((await sendMail({ port: t.smtpPort, from: COMPLAINANT, to: ['complaints@example.net'], raw })).final.code).toBe(250);
    const theCase = await waitFor(() => t.app.database.prisma.case.findFirst({ where: { complainantAddress: COMPLAINANT } }), 20_000, 'the case');
    expect(theCase.brand).toBe('example-net');
    ticket = theCase.ticket;
  });
  afterAll(async () => {
    await t?.stop({ drop: true });
  });

  async function rcpt(address: string) {
    const { session } = await SmtpSession.open(t.smtpPort);
    await session.command('EHLO client.test');
    await session.command(`MAIL FROM:<${COMPLAINANT}>`);
    const reply = await session.command(`RCPT TO:<${address}>`);
    session.close();
    return reply;
  }

  it('takes the address at its own brand domain', async () => {
    expect((await rcpt(tokens.address(ticket, 'example.net'))).code).toBe(250);
  });

  it("refuses it at another brand's domain with 550 5.1.1, and opens no case there", async () => {
    const reply = await rcpt(tokens.address(ticket, 'support.example'));
    expect(reply.code).toBe(550);
    expect(reply.text).toBe('5.1.1 No such case address');

    // Sent whole, it is refused before DATA and nothing is opened at the other brand.
    const raw = await signMessage(
      buildMessage({ from: COMPLAINANT, to: tokens.address(ticket, 'support.example'), subject: `Re: [${ticket}] Transfer stuck`, text: 'Any news about my transfer? It is still stuck.\n' }),
      SENDER_KEY,
    );
    const sent = await sendMail({ port: t.smtpPort, from: COMPLAINANT, to: [tokens.address(ticket, 'support.example')], raw });
    expect(sent.final.code).toBe(550);
    expect(await t.app.database.prisma.case.count({ where: { brand: 'support-example' } })).toBe(0);
  });
});
