import { buildMessage, FORGER_KEY, SENDER_DOMAIN, SENDER_KEY, signMessage } from '../support/mail.js';
import { sendMail, type SendResult } from '../support/smtp-client.js';
import { waitFor, type TestApp } from '../support/harness.js';

/**
 * Real cases for the dashboard tests: DKIM-signed mail sent over SMTP to the
 * running product, each waited for until its case exists. Shared by the
 * browser test and the dashboard integration test.
 */

export const HOSTILE_SUBJECT = '<script>alert(1)</script><img src=x onerror=alert(2)>';
export const FORMULA_SUBJECT = '=HYPERLINK("http://evil.test/?x=1","click, me")';

export interface SeedMail {
  /** Local part at sender.test, e.g. `erika`. */
  sender: string;
  name?: string;
  to: string;
  subject: string;
  text: string;
}

export const MAILS = {
  germanComplaint: {
    sender: 'erika',
    name: 'Erika Mustermann',
    to: 'complaints@example.net',
    subject: 'Beschwerde über Ihren Kundendienst',
    text: 'Sehr geehrte Damen und Herren,\n\nich bin mit der Bearbeitung meines Anliegens durch Ihren Kundendienst sehr unzufrieden und bitte um Prüfung.\n\nMit freundlichen Grüßen\nErika Mustermann\n',
  },
  englishAbuse: {
    sender: 'bob',
    name: 'Bob Reporter',
    to: 'abuse@example.net',
    subject: 'Phishing site on a domain you registered',
    text: 'Hello,\n\nthere is a phishing page that imitates my bank on a domain registered with you. Please take it down as soon as you can, it is still online.\n\nThank you\nBob\n',
  },
  frenchComplaint: {
    sender: 'claire',
    name: 'Claire Dupont',
    to: 'complaints@support.example',
    subject: 'Réclamation concernant mon renouvellement',
    text: "Bonjour,\n\nje souhaite déposer une réclamation concernant le renouvellement de mon nom de domaine, qui a été facturé deux fois sans mon accord.\n\nCordialement\nClaire Dupont\n",
  },
  hostile: {
    sender: 'mallory',
    to: 'complaints@example.net',
    subject: HOSTILE_SUBJECT,
    text: 'Hello,\n\nI would like to complain about the way my support request was handled by your team last week, nobody answered.\n\nRegards\n',
  },
  formula: {
    sender: 'eve',
    to: 'complaints@example.net',
    subject: FORMULA_SUBJECT,
    text: 'Hello,\n\nI would like to complain about the invoice I received for a domain that I never ordered from your company.\n\nRegards\n',
  },
} satisfies Record<string, SeedMail>;

export function senderAddress(mail: SeedMail): string {
  return `${mail.sender}@${SENDER_DOMAIN}`;
}

export async function sendSigned(t: TestApp, mail: SeedMail): Promise<SendResult> {
  const address = senderAddress(mail);
  const raw = await signMessage(buildMessage({ from: mail.name ? `${mail.name} <${address}>` : address, to: mail.to, subject: mail.subject, text: mail.text }), SENDER_KEY);
  return sendMail({ port: t.smtpPort, from: address, to: [mail.to], raw });
}

/** Sends the mail and waits for its case; returns the ticket. */
export async function openCase(t: TestApp, mail: SeedMail): Promise<string> {
  const result = await sendSigned(t, mail);
  if (result.final.code !== 250) throw new Error(`"${mail.subject}" was refused: ${result.final.code} ${result.final.text}`);
  const found = await waitFor(
    () => t.app.database.prisma.case.findFirst({ where: { subject: mail.subject }, select: { ticket: true } }),
    20_000,
    `the case for "${mail.subject}"`,
  );
  return found.ticket;
}

/** From @sender.test but vouched for only by forger.test: refused (DMARC) and recorded. */
export async function sendForged(t: TestApp): Promise<SendResult> {
  const raw = await signMessage(
    buildMessage({ from: `ceo@${SENDER_DOMAIN}`, to: 'abuse@example.net', subject: 'Urgent', text: 'Please act on this at once, it is very urgent indeed.\n' }),
    FORGER_KEY,
  );
  const result = await sendMail({ port: t.smtpPort, from: 'mailer@forger.test', to: ['abuse@example.net'], raw });
  await waitFor(() => t.app.database.prisma.rejection.findFirst({ where: { reason: 'dmarc_reject' } }), 5_000, 'the refusal row');
  return result;
}

/** Waits until the case's first answer (acknowledgement or request for the reported message) has gone out. */
export async function answered(t: TestApp, ticket: string): Promise<void> {
  await waitFor(
    async () => {
      const out = await t.app.database.prisma.caseMessage.findMany({ where: { case: { ticket }, direction: 'out' }, select: { status: true } });
      return out.length > 0 && out.every((m) => m.status !== 'queued' && m.status !== 'delivered');
    },
    20_000,
    `the first answer on ${ticket}`,
  );
}
