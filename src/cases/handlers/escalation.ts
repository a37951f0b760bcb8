import type { Brand, Language } from '../../config/brands.js';
import type { Tx } from '../../db/index.js';
import type { Case } from '../../generated/prisma/client.js';
import { detectEscalation, twoStepMarker, type EscalationStep } from '../../deadlines/escalation-markers.js';
import { brandDomain } from '../../config/brands.js';
import { ESCALATION_KEYWORD, type EscalationItem } from '../../outbound/templates/index.js';
import { withoutTags } from '../../outbound/subject-tag.js';
import type { Incoming } from '../incoming.js';
import { escalate } from '../escalate.js';
import type { CaseWork } from '../work.js';

/** Fewer words than this is not "a clear description of your concern" (the seeds). */
const MIN_DESCRIPTION_WORDS = 8;

/**
 * An escalated complaint (SPEC section 3, seeds): the complainant's message
 * names the case and its subject carries the escalation word of their language
 * (or the two-step policy's step marker). Inside the window it escalates the
 * case; incomplete, it is answered with what is missing; after the window
 * closed, with the date it closed and how to file a new complaint.
 * Returns false when the message is no escalation (then it is an ordinary reply).
 */
export async function handleEscalation(work: CaseWork, incoming: Incoming): Promise<boolean> {
  const { theCase, brand, tx } = work;
  const match = detectEscalation(await subjectWithoutOurWords(tx, theCase, incoming.headers.subject), brand.policy);
  if (!match) return false;
  const language = theCase.language as Language;
  const base = { ticket: theCase.ticket, brandName: brand.name };

  const closedOn = await escalationClosedOn(tx, theCase, incoming.receivedAt);
  if (closedOn) {
    await work.event('escalation_refused', { actor: incoming.sender, reason: 'escalation window closed' });
    await work.send(
      work.complainant,
      'escalation_window_closed',
      {
        ...base,
        closedOn,
        timeZone: brand.timeZone,
        complaintsAddress: `complaints@${brandDomain(brand)}`,
        closedBecause: theCase.resolution === 'no_escalation' || theCase.state === 'responded' ? 'no_escalation' : 'other',
      },
      { kind: 'escalation_closed', autoSubmitted: 'auto-replied', dedupeKey: `escalation-closed:${incoming.inboundId}` },
    );
    return true;
  }
  // Before our response there is nothing to escalate; a second step needs the first.
  if (theCase.state !== 'responded' || match.step !== nextStep(theCase)) return false;

  const missing = missingItems(theCase, incoming);
  if (missing.length > 0) {
    await work.event('escalation_incomplete', { actor: incoming.sender, data: { missing } });
    await work.send(
      work.complainant,
      'escalation_missing_info',
      { ...base, missing, keyword: keywordFor(brand, language, match.step) },
      { kind: 'escalation_incomplete', autoSubmitted: 'auto-replied', dedupeKey: `escalation-incomplete:${incoming.inboundId}` },
    );
    return true;
  }
  await escalate(work, match.step, incoming.sender, incoming);
  return true;
}

/**
 * When the case stopped taking escalations, or null while it still takes them.
 * The window's end decides, not its job: a worker that wakes late must not let
 * in an escalation received after the window closed. Receipt time counts, not
 * processing time, so a message queued at 23:59 on the last day is in time.
 */
async function escalationClosedOn(tx: Tx, theCase: Case, receivedAt: Date): Promise<Date | null> {
  if (theCase.state === 'resolved' || theCase.state === 'closed') return theCase.resolvedAt ?? receivedAt;
  if (theCase.state !== 'responded') return null;
  const window = await tx.deadline.findFirst({
    where: { caseId: theCase.id, kind: 'escalation_window', status: 'pending' },
    orderBy: { step: 'desc' },
    select: { dueAt: true },
  });
  return window && window.dueAt.getTime() < receivedAt.getTime() ? window.dueAt : null;
}

function nextStep(theCase: Case): EscalationStep {
  return theCase.escalationStep >= 1 ? 2 : 1;
}

function keywordFor(brand: Brand, language: Language, step: EscalationStep): string {
  if (brand.policy === 'standard') return ESCALATION_KEYWORD[language];
  return twoStepMarker(language, step) ?? ESCALATION_KEYWORD[language];
}

/** What the seeds ask of an escalation that a machine can check. */
function missingItems(theCase: Case, incoming: Incoming): EscalationItem[] {
  const missing: EscalationItem[] = [];
  const own = incoming.text
    .split(/\r?\n/)
    .filter((line) => !line.startsWith('>'))
    .join(' ');
  const referenced = `${incoming.headers.subject} ${own}`.toUpperCase().includes(theCase.ticket);
  if (!referenced) missing.push('reference');
  const words = own.replace(theCase.ticket, ' ').match(/[\p{L}\p{N}]{2,}/gu) ?? [];
  if (words.length < MIN_DESCRIPTION_WORDS) missing.push('description');
  return missing;
}

/**
 * The subject without the words of our own subjects: a reply to "Your
 * complaint has been received" says "complaint" without escalating anything.
 */
async function subjectWithoutOurWords(tx: Tx, theCase: Case, subject: string): Promise<string> {
  const ours = await tx.caseMessage.findMany({ where: { caseId: theCase.id, direction: 'out' }, select: { subject: true } });
  let rest = withoutTags(subject);
  const phrases = [theCase.subject, ...ours.map((m) => withoutTags(m.subject))]
    .map((phrase) => phrase.replace(/\s+/g, ' ').trim())
    .filter((phrase) => phrase.length > 0)
    .sort((a, b) => b.length - a.length);
  for (const phrase of phrases) rest = rest.split(phrase).join(' ');
  return rest;
}
