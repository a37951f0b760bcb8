import type { Brand, Language, Mailbox } from '../../config/brands.js';
import { calendarForBrand } from '../../deadlines/calendar.js';
import type { DeadlineKind } from '../../deadlines/policies.js';
import { openFirstDeadlines, type DeadlineRef } from '../../deadlines/schedule.js';
import { describeVerdict } from '../../intake/verdict-words.js';
import { detectLanguage } from '../../mail/language.js';
import { newId } from '../../lib/ids.js';
import { summariseEvidence, type CaseEvidence, type MissingEvidence } from '../../mail/evidence/index.js';
import { caseEvidence, mergeEvidence, recordEvidence, reportKey } from '../evidence.js';
import { openHearing } from '../hearing.js';
import type { Incoming } from '../incoming.js';
import type { SendOptions } from '../messaging.js';
import { KIND_OF_MAILBOX, TICKET_PREFIX } from '../model.js';
import { nextTicket } from '../tickets.js';
import { applyTriage, openTriageDeadlines, triage, type Triage } from '../triage.js';
import { joinIncident, raiseIncident } from '../incidents.js';
import type { CaseWork, Work } from '../work.js';

/**
 * A message that continues no case opens one: a ticket number, the message on
 * file, the deadlines the brand's policy promises, the acknowledgement to the
 * writer in their language, and the notice to the specialists.
 */
export async function openCase(unit: Work, brand: Brand, incoming: Incoming): Promise<string> {
  const mailbox: Mailbox = incoming.route.type === 'mailbox' ? incoming.route.mailbox : 'complaints';
  const kind = KIND_OF_MAILBOX[mailbox];
  const silent = Boolean(incoming.route.machineReport);
  const evidence = kind === 'abuse' ? incoming.evidence : null;
  const key = silent ? reportKey(incoming.sender, evidence) : null;
  if (key) {
    const grouped = await joinReportGroup(unit, brand, incoming, key);
    if (grouped) return grouped;
  }

  const triaged = kind === 'abuse' ? triage(brand, incoming.sender, evidence) : { priority: 'normal' as const, trusted: false, dnsAbuse: false, account: null };
  const calendar = calendarForBrand(brand);
  const year = Number(calendar.localDate(incoming.receivedAt).slice(0, 4));
  // When the words cannot tell, the language this writer used with us last time can.
  const earlier = await unit.tx.case.findFirst({ where: { complainantAddress: incoming.sender, brand: brand.id }, orderBy: { receivedAt: 'desc' }, select: { language: true } });
  const language = detectLanguage(incoming.headers.subject, incoming.text, brand.languages, brand.defaultLanguage, earlier?.language as Language | undefined);
  // The counter row stays locked from here to the commit (gapless numbers): nothing that can wait goes after it.
  const ticket = await nextTicket(unit.tx, TICKET_PREFIX[mailbox], year);

  const theCase = await unit.tx.case.create({
    data: {
      id: newId(),
      ticket,
      brand: brand.id,
      kind,
      state: 'received',
      language,
      subject: incoming.headers.subject.slice(0, 998),
      complainantAddress: incoming.sender,
      complainantName: incoming.senderName,
      silent,
      reportKey: key,
      receivedAt: incoming.receivedAt,
      priority: triaged.priority,
      account: triaged.account,
    },
  });
  const work = unit.forCase(theCase);
  await work.event('case_opened', {
    actor: incoming.sender,
    at: incoming.receivedAt,
    data: { ticket, mailbox, language, silent, ...(incoming.parseError ? { parseError: incoming.parseError } : {}) },
  });
  await recordOriginal(work, incoming);
  if (evidence) await recordEvidence(work.tx, theCase, evidence, 'system');
  // A report about a domain or range an open incident is about joins it: the
  // incident's first case keeps the hearing, the mitigation clock and the notice.
  const membership = evidence ? await joinIncident(work, evidence, incoming.receivedAt) : null;
  const member = membership?.role === 'member';
  if (membership?.role === 'member') await raiseIncident(work, membership.incident, triaged);

  // A report without what its type needs cannot be acted on: ask for exactly that instead of promising an answer.
  const incomplete = kind === 'abuse' && !silent && evidence !== null && !evidence.complete;
  let deadlines: DeadlineRef[] = [];
  if (kind !== 'feedback' && !silent) {
    const kinds: DeadlineKind[] = incomplete ? ['acknowledge'] : ['acknowledge', 'respond'];
    deadlines = await openFirstDeadlines(work.tx, { caseId: theCase.id, brand, kinds, start: incoming.receivedAt });
    work.effects.deadlines.push(...deadlines.map((deadline) => ({ brand, deadline })));
  }
  if (!member) deadlines.push(...(await openTriageDeadlines(work, triaged, evidence?.complete ?? false, incoming.receivedAt)));

  // The writer's own message is the whole thread so far.
  const thread = { inReplyTo: incoming.messageId, references: incoming.headers.references };
  if (incomplete) await askForWhatIsMissing(work, thread, evidence);
  else if (!silent) await acknowledge(work, deadlines, thread);
  // Members of an incident reach the specialists in its digest, not one notice each.
  if (!member) await noticeSpecialists(work, incoming, deadlines, triaged);
  if (!member && evidence && evidence.complete) await openHearing(work, evidence);
  return theCase.id;
}

const MISSING_WORDS: Record<MissingEvidence, string> = {
  message: 'the complete spam message',
  url: 'the URL or domain name concerned',
  domain_or_ip: 'a domain name or IP address',
  resource: 'the domain name, URL or IP address concerned',
};

/**
 * The incomplete-report reply (SPEC sections 6 and 8): it names exactly what the
 * report's type still needs, and the case waits for it.
 */
async function askForWhatIsMissing(work: CaseWork, thread: SendOptions['thread'], evidence: CaseEvidence | null): Promise<void> {
  const { theCase, brand } = work;
  const missing = evidence?.missing ?? 'message';
  await work.send(
    work.complainant,
    'incomplete_report',
    { ticket: theCase.ticket, brandName: brand.name, timeZone: brand.timeZone, missing, abuseType: evidence?.abuseType },
    { kind: 'incomplete_report', autoSubmitted: 'auto-replied', dedupeKey: `ack:${theCase.id}`, thread },
  );
  await work.changeState('awaiting_information', 'system', `the report does not contain ${MISSING_WORDS[missing]}`);
}

/** A machine report joins the open case of the same reporter and domain, silently. */
async function joinReportGroup(unit: Work, brand: Brand, incoming: Incoming, key: string): Promise<string | null> {
  const since = new Date(incoming.receivedAt.getTime() - brand.reportGroupingHours * 3_600_000);
  const existing = await unit.tx.case.findFirst({
    where: { brand: brand.id, reportKey: key, receivedAt: { gte: since }, state: { notIn: ['resolved', 'closed'] } },
    orderBy: { receivedAt: 'desc' },
  });
  if (!existing) return null;
  const work = unit.forCase(existing);
  await recordOriginal(work, incoming, 'report');
  if (incoming.evidence) {
    const merged = mergeEvidence(caseEvidence(existing), incoming.evidence);
    await recordEvidence(work.tx, existing, merged, 'system');
    const triaged = triage(brand, incoming.sender, merged);
    await openTriageDeadlines(work, triaged, merged.complete, incoming.receivedAt);
    await applyTriage(work, triaged);
    if (merged.complete) await openHearing(work, merged);
  }
  return existing.id;
}

async function recordOriginal(work: CaseWork, incoming: Incoming, kind = 'original'): Promise<void> {
  await work.tx.caseMessage.create({
    data: {
      id: incoming.inboundId,
      caseId: work.theCase.id,
      direction: 'in',
      role: 'complainant',
      kind,
      messageId: incoming.messageId,
      inReplyTo: incoming.headers.inReplyTo ?? null,
      references: incoming.headers.references,
      from: incoming.sender,
      to: [incoming.route.address],
      subject: incoming.headers.subject.slice(0, 998),
      at: incoming.receivedAt,
      inboundId: incoming.inboundId,
    },
  });
  await work.event('message_received', { actor: incoming.sender, at: incoming.receivedAt, data: { role: 'complainant', messageId: incoming.messageId } });
}

async function acknowledge(work: CaseWork, deadlines: DeadlineRef[], thread: SendOptions['thread']): Promise<void> {
  const { theCase, brand } = work;
  const options = { kind: 'ack', autoSubmitted: 'auto-replied' as const, dedupeKey: `ack:${theCase.id}`, thread };
  const base = { ticket: theCase.ticket, brandName: brand.name };
  if (theCase.kind === 'feedback') {
    await work.send(work.complainant, 'feedback_thanks', base, options);
    return;
  }
  const respond = deadlines.find((deadline) => deadline.kind === 'respond');
  if (!respond) throw new Error(`case ${theCase.ticket} has no response deadline to acknowledge with`);
  await work.send(
    work.complainant,
    'acknowledgement',
    { ...base, caseKind: theCase.kind as 'abuse' | 'complaint', originalSubject: theCase.subject, respondBy: respond.dueAt, timeZone: brand.timeZone },
    options,
  );
}

async function noticeSpecialists(work: CaseWork, incoming: Incoming, deadlines: DeadlineRef[], triaged: Triage): Promise<void> {
  const { theCase, brand } = work;
  await work.send(
    { address: brand.specialistAddress, language: 'en' },
    'specialist_notice',
    {
      ticket: theCase.ticket,
      caseKind: theCase.kind as 'abuse' | 'complaint' | 'feedback',
      complainant: theCase.complainantName ? `${theCase.complainantName} <${theCase.complainantAddress}>` : theCase.complainantAddress,
      originalSubject: theCase.subject,
      verdictSummary: describeVerdict(incoming.verdict),
      deadlines: deadlines.map((deadline) => ({ kind: deadline.kind, dueAt: deadline.dueAt })),
      language: theCase.language as Brand['defaultLanguage'],
      timeZone: brand.timeZone,
      commandsHelp: true,
      priority: triaged.priority,
      ...(triaged.trusted ? { trustedNotifier: incoming.sender } : {}),
      ...(incoming.evidence && theCase.kind === 'abuse' ? { evidenceSummary: summariseEvidence(incoming.evidence) } : {}),
    },
    {
      kind: 'notice',
      autoSubmitted: 'auto-generated',
      dedupeKey: `notice:${theCase.id}`,
      // The desk has seen nothing of this case yet.
      thread: { inReplyTo: null, references: [] },
      attachments: [{ filename: `${theCase.ticket}.eml`, content: incoming.raw, contentType: 'message/rfc822' }],
    },
  );
}
