import { LANGUAGES, type Language } from '../config/brands.js';
import type { Tx } from '../db/index.js';
import type { Case } from '../generated/prisma/client.js';
import { newId } from '../lib/ids.js';
import type { CaseEvidence } from '../mail/evidence/index.js';
import type { MeasureName } from './measures.js';
import { addParty } from './parties.js';
import type { CaseWork } from './work.js';

/**
 * The customer hearing (seeds: a domain is shut down when the complaint "is
 * not doubtless disproved by the customer"): when evidence conclusively names a
 * managed resource of a known account, that account's contact is told, with
 * the evidence but never the reporter, and given a deadline to answer.
 */
export async function openHearing(work: CaseWork, evidence: CaseEvidence): Promise<boolean> {
  const { theCase, brand, tx } = work;
  const suggested = evidence.suggestedMeasure;
  if (evidence.grade !== 'conclusive' || !suggested) return false;
  if (suggested.measure === 'clean-up') return askForCleanUp(work, evidence, suggested.target);
  if (!suggested.account) return false;
  const account = await tx.account.findUnique({ where: { account: suggested.account } });
  if (!account) {
    await work.event('customer_notified', { actor: 'system', reason: 'no contact on file for the account', data: { account: suggested.account, domain: suggested.target, sent: false } });
    await tx.hearing.create({ data: { id: newId(), caseId: theCase.id, account: suggested.account, status: 'no_contact', domain: suggested.target, at: work.now() } });
    return false;
  }
  const already = await tx.deadline.findFirst({ where: { caseId: theCase.id, kind: 'customer_response' }, select: { id: true } });
  if (already) return false;

  const deadline = await work.openDeadline('customer_response', work.now());
  const language = languageOf(account.language, brand.defaultLanguage);
  const email = account.email.toLowerCase();
  await work.event('customer_notified', {
    actor: 'system',
    data: { account: account.account, email, domain: suggested.target, measure: suggested.measure, respondBy: deadline.dueAt.toISOString(), sent: true },
  });
  await tx.hearing.create({
    data: { id: newId(), caseId: theCase.id, account: account.account, status: 'notified', email, domain: suggested.target, measure: suggested.measure, respondBy: deadline.dueAt, at: work.now() },
  });
  await addParty(tx, { caseId: theCase.id, role: 'customer', address: email, at: work.now() });
  await work.send(
    { address: email, language },
    'customer_hearing',
    {
      ticket: theCase.ticket,
      brandName: brand.name,
      domain: suggested.target,
      measure: suggested.measure as MeasureName,
      evidenceSummary: evidenceForCustomer(evidence, theCase),
      respondBy: deadline.dueAt,
      timeZone: brand.timeZone,
      withhold: [theCase.complainantAddress, ...(theCase.complainantName ? [theCase.complainantName] : [])],
    },
    { kind: 'hearing', autoSubmitted: 'auto-generated', role: 'system', dedupeKey: `hearing:${theCase.id}` },
  );
  return true;
}

/**
 * A compromised legitimate site: its registrant, and our hosting customer when
 * we host it, are asked to clean it up by the hearing deadline. Nothing is
 * suspended; when the deadline passes the specialist decides what follows.
 */
async function askForCleanUp(work: CaseWork, evidence: CaseEvidence, domain: string): Promise<boolean> {
  const { theCase, brand, tx } = work;
  const finding = evidence.enrichment?.find((f) => f.domain === domain);
  const holders = [...new Set([finding?.account, ...(finding?.addresses ?? []).map((a) => a.account)].filter((a): a is string => Boolean(a)))];
  const accounts = holders.length > 0 ? await tx.account.findMany({ where: { account: { in: holders } } }) : [];
  if (accounts.length === 0) {
    await work.event('customer_notified', { actor: 'system', reason: 'no contact on file for the site', data: { accounts: holders, domain, measure: 'clean-up', sent: false } });
    for (const account of holders) await tx.hearing.create({ data: { id: newId(), caseId: theCase.id, account, status: 'no_contact', domain, measure: 'clean-up', at: work.now() } });
    return false;
  }
  const already = await tx.deadline.findFirst({ where: { caseId: theCase.id, kind: 'customer_response' }, select: { id: true } });
  if (already) return false;
  const deadline = await work.openDeadline('customer_response', work.now());
  for (const account of accounts) {
    const email = account.email.toLowerCase();
    await work.event('customer_notified', {
      actor: 'system',
      data: { account: account.account, email, domain, measure: 'clean-up', respondBy: deadline.dueAt.toISOString(), sent: true },
    });
    await tx.hearing.create({
      data: { id: newId(), caseId: theCase.id, account: account.account, status: 'notified', email, domain, measure: 'clean-up', respondBy: deadline.dueAt, at: work.now() },
    });
    await addParty(tx, { caseId: theCase.id, role: 'customer', address: email, at: work.now() });
    await work.send(
      { address: email, language: languageOf(account.language, brand.defaultLanguage) },
      'customer_cleanup',
      {
        ticket: theCase.ticket,
        brandName: brand.name,
        domain,
        abuseType: evidence.abuseType,
        evidenceSummary: evidenceForCustomer(evidence, theCase),
        respondBy: deadline.dueAt,
        timeZone: brand.timeZone,
        withhold: [theCase.complainantAddress, ...(theCase.complainantName ? [theCase.complainantName] : [])],
      },
      { kind: 'hearing', autoSubmitted: 'auto-generated', role: 'system', dedupeKey: `hearing:${theCase.id}:${account.account}` },
    );
  }
  return true;
}

function languageOf(language: string, fallback: Language): Language {
  return (LANGUAGES as readonly string[]).includes(language) ? (language as Language) : fallback;
}

/** The evidence as the customer may see it: never who reported it. */
export function evidenceForCustomer(evidence: CaseEvidence, theCase: Pick<Case, 'complainantAddress' | 'complainantName'>): string {
  return withholdReporter(hearingEvidence(evidence), theCase);
}

/** What the latest hearing of a case is about, for the specialist who decides on it. */
export async function hearingDomain(tx: Pick<Tx, 'hearing'>, caseId: string): Promise<string> {
  const hearing = await tx.hearing.findFirst({ where: { caseId }, orderBy: { seq: 'desc' }, select: { domain: true } });
  return hearing?.domain ?? '(see case)';
}

/**
 * What the customer may see: the reported message's relevant headers and URLs,
 * and the URLs the report names, not who reported it.
 */
function hearingEvidence(evidence: CaseEvidence): string {
  const named = (evidence.resources?.urls ?? []).slice(0, 10);
  const reported = named.length > 0 ? [`Reported ${evidence.abuseType} URL${named.length === 1 ? '' : 's'}:`, ...named.map((url) => `  ${url}`)].join('\n') : null;
  const times = evidence.resources?.times.length ? `Seen: ${evidence.resources.times.slice(0, 3).join(', ')}` : null;
  return [reported, times, messagesEvidence(evidence)].filter((part): part is string => Boolean(part)).join('\n\n');
}

function messagesEvidence(evidence: CaseEvidence): string {
  return evidence.reportedMessages
    .slice(0, 5)
    .map((message, index) => {
      const lines = [
        `Reported message ${index + 1}:`,
        message.date ? `  Date: ${message.date}` : null,
        message.subject ? `  Subject: ${message.subject}` : null,
        message.fromAddress ? `  From: ${message.fromAddress}` : null,
        message.returnPath ? `  Return-Path: ${message.returnPath}` : null,
        message.originIp ? `  Sent from IP: ${message.originIp}` : null,
        message.messageId ? `  Message-ID: ${message.messageId}` : null,
        ...message.urls.slice(0, 10).map((url) => `  Link: ${url}`),
        ...message.domains.filter((d) => d.managed && d.conclusive).map((d) => `  Concerns: ${d.domain} (${d.role})`),
      ];
      return lines.filter((line): line is string => line !== null).join('\n');
    })
    .join('\n\n');
}

const WITHHELD = '[…]';

/**
 * Spam greets its victim, who is usually the reporter: a Subject or a link may
 * carry their name or address. The template masks whole addresses; names and
 * address local parts are masked here, as whole words, before it sees them.
 */
function withholdReporter(text: string, theCase: Pick<Case, 'complainantAddress' | 'complainantName'>): string {
  const address = theCase.complainantAddress.toLowerCase();
  const local = address.slice(0, address.lastIndexOf('@'));
  const fragments = [local, theCase.complainantName ?? ''].flatMap((value) => [value, ...value.split(/[\s.,_+-]+/)]);
  // Short fragments ("Jo", "de") would blank out unrelated words.
  const words = [address, address.replace('@', '%40'), ...fragments].filter((value) => value.length >= 3);
  const unique = [...new Set(words.map((word) => word.toLowerCase()))].sort((a, b) => b.length - a.length);
  if (unique.length === 0) return text;
  const pattern = new RegExp(`(?<![\\p{L}\\p{N}])(?:${unique.map(escapeRegExp).join('|')})(?![\\p{L}\\p{N}])`, 'giu');
  return text.replace(pattern, WITHHELD);
}

function escapeRegExp(value: string): string {
  return value.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}
