import { randomUUID } from 'node:crypto';
import type { CaseSummary } from '../cases/view.js';
import { DeskApi, sendMail, waitFor, type DeskEndpoints } from './desk-client.js';
import { BRAND_DOMAIN, SENDER_DOMAIN, STAFF_DOMAIN, type DemoWorld } from './world.js';

/**
 * What the demo does with the running desk, as people would: four reports in
 * four languages, a specialist's answer by email, and an escalation.
 */

export interface ScenarioDeps {
  desk: DeskEndpoints;
  world: DemoWorld;
  /** The case reply address of a ticket (what a specialist finds in Reply-To). */
  caseAddress(ticket: string): string;
  say(line: string): void;
}

/** The registrar's customer whose domain the spam advertises: the desk hears them before any measure. */
const CUSTOMER = { account: 'DEMO-42', name: 'Pills Online Ltd', email: 'owner@pills-customer.test', language: 'en' };
const ADVERTISED = 'cheap-pills.test';

const writers = {
  en: { name: 'Alice Walker', address: `alice@${SENDER_DOMAIN}` },
  de: { name: 'Jonas Becker', address: `jonas@${SENDER_DOMAIN}` },
  fr: { name: 'Camille Martin', address: `camille@${SENDER_DOMAIN}` },
  nl: { name: 'Sanne de Vries', address: `sanne@${SENDER_DOMAIN}` },
};
const SPECIALIST = { name: 'Anna Specialist', address: `anna@${STAFF_DOMAIN}` };

export async function runScenario(deps: ScenarioDeps): Promise<string[]> {
  const api = new DeskApi(deps.desk);
  const { say } = deps;
  const send = (writer: { name: string; address: string }, mail: { to: string; subject: string; text: string; attachments?: Parameters<typeof sendMail>[2]['attachments'] }) =>
    sendMail(deps.desk, writer.address.endsWith(`@${STAFF_DOMAIN}`) ? deps.world.staff : deps.world.sender, { from: `${writer.name} <${writer.address}>`, ...mail });
  const newCase = (writer: { address: string }) => waitFor(`the case of ${writer.address}`, async () => (await api.casesOf(writer.address))[0]);

  say(`the registrar manages ${ADVERTISED} for its customer ${CUSTOMER.name} (API: /api/managed-domains, /api/accounts)`);
  await api.post('/managed-domains', [{ domain: ADVERTISED, account: CUSTOMER.account }]);
  await api.post('/accounts', [CUSTOMER]);

  say(`${writers.en.name} reports spam to abuse@${BRAND_DOMAIN}, in English, with the spam attached`);
  await send(writers.en, {
    to: `abuse@${BRAND_DOMAIN}`,
    subject: 'Spam advertising cheap pills',
    text: 'Hello,\n\nI keep receiving this spam advertising a pharmacy website that is registered with you. I never signed up for anything. The complete message with all its headers is attached.\n\nPlease make it stop.\n\nAlice Walker\n',
    attachments: [{ filename: 'spam.eml', content: spamMessage(writers.en.address), contentType: 'message/rfc822' }],
  });

  say(`${writers.de.name} reports a phishing page, in German`);
  await send(writers.de, {
    to: `abuse@${BRAND_DOMAIN}`,
    subject: 'Phishing-Seite gibt sich als meine Bank aus',
    text: 'Guten Tag,\n\nunter der folgenden Adresse wird eine gefälschte Anmeldeseite meiner Bank betrieben, die nach Zugangsdaten und TAN-Nummern fragt:\n\nhttps://login.sicherheit-konto.test/anmelden\n\nIch habe heute eine E-Mail mit diesem Link bekommen. Bitte schalten Sie die Seite ab.\n\nMit freundlichen Grüßen\nJonas Becker\n',
  });

  say(`${writers.fr.name} files a complaint, in French`);
  await send(writers.fr, {
    to: `complaints@${BRAND_DOMAIN}`,
    subject: 'Transfert de domaine bloqué depuis trois semaines',
    text: "Bonjour,\n\nJ'ai demandé le transfert de mon nom de domaine il y a trois semaines et rien ne se passe. Le service client m'a promis deux fois une réponse qui n'est jamais venue.\n\nMerci de vérifier ce qui bloque et de me dire quand le transfert sera terminé.\n\nCordialement,\nCamille Martin\n",
  });

  say(`${writers.nl.name} files a complaint, in Dutch`);
  await send(writers.nl, {
    to: `complaints@${BRAND_DOMAIN}`,
    subject: 'Mijn domeinnaam is zonder bericht opgeheven',
    text: 'Goedendag,\n\nMijn domeinnaam is vorige week opgeheven zonder dat ik daar een bericht over heb gekregen, terwijl de rekening op tijd is betaald. Mijn website en e-mail werken niet meer.\n\nKunt u uitzoeken wat er is gebeurd en de domeinnaam zo snel mogelijk herstellen?\n\nMet vriendelijke groet,\nSanne de Vries\n',
  });

  const complaint = await waitFor('the acknowledgement of the Dutch complaint', async () => {
    const found = (await api.casesOf(writers.nl.address))[0];
    return found && found.state !== 'received' ? found : undefined;
  });
  say(`${SPECIALIST.name}, a specialist, answers ${complaint.ticket} by email: a reply to the case address, signed with the staff domain's key`);
  await send(SPECIALIST, {
    to: deps.caseAddress(complaint.ticket),
    subject: `Re: [${complaint.ticket}] ${complaint.subject}`,
    text: 'Beste mevrouw De Vries,\n\nUw domeinnaam is door een fout in onze betalingsverwerking opgeheven. Wij hebben hem vandaag hersteld; uw website en e-mail werken binnen een uur weer.\n\nOnze excuses voor het ongemak.\n\nMet vriendelijke groet,\nAnna\n',
  });
  await waitFor(`our response in ${complaint.ticket}`, async () => ((await api.view(complaint.ticket)).state === 'responded' ? true : undefined));

  say(`${writers.nl.name} is not satisfied and escalates ${complaint.ticket} (subject word "Klacht", as our answer tells her)`);
  await send(writers.nl, {
    to: deps.caseAddress(complaint.ticket),
    subject: `Klacht [${complaint.ticket}]`,
    text: `Goedendag,\n\nIk ben niet tevreden met het antwoord op ticket ${complaint.ticket}. Mijn e-mail werkte drie dagen niet en ik heb daardoor klanten verloren. Ik verwacht een vergoeding voor de schade en een verklaring waarom ik niet gewaarschuwd ben.\n\nSanne de Vries\n`,
  });
  await waitFor(`the escalation of ${complaint.ticket}`, async () => ((await api.view(complaint.ticket)).state === 'escalated' ? true : undefined));

  const cases: CaseSummary[] = [];
  for (const writer of [writers.en, writers.de, writers.fr, writers.nl]) cases.push(await newCase(writer));
  return cases.map((found) => found.ticket);
}

/** The spam as it sat in the reporter's mailbox: the Received chain of their provider, and the pharmacy's link. */
function spamMessage(victim: string): Buffer {
  const date = new Date().toUTCString().replace(/GMT$/, '+0000');
  const lines = [
    `Received: from mx1.victim-mail.test (mx1.victim-mail.test [10.1.2.3]) by store.victim-mail.test with LMTP; ${date}`,
    `Received: from bulk.sender-host.test (bulk.sender-host.test [198.51.100.23]) by mx1.victim-mail.test with ESMTP for <${victim}>; ${date}`,
    'Return-Path: <bounce@bulk.sender-host.test>',
    'From: "Pharma Deals" <deals@bulk.sender-host.test>',
    `To: ${victim}`,
    'Subject: Only today: 80% off all pills',
    `Date: ${date}`,
    `Message-ID: <${randomUUID()}@bulk.sender-host.test>`,
    'MIME-Version: 1.0',
    'Content-Type: text/plain; charset=us-ascii',
  ];
  const body = `Hello,\r\n\r\nonly today: https://${ADVERTISED}/deal?ref=77\r\n\r\nUnsubscribe: https://${ADVERTISED}/unsubscribe\r\n`;
  return Buffer.from(`${lines.join('\r\n')}\r\n\r\n${body}`, 'utf8');
}
