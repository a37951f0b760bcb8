import { isTrustedNotifier, type Brand } from '../config/brands.js';
import type { DeadlineKind } from '../deadlines/policies.js';
import { TRUSTED_REVIEW_HOURS } from '../deadlines/policies.js';
import { calendarForBrand } from '../deadlines/calendar.js';
import { openDeadline, type DeadlineRef } from '../deadlines/schedule.js';
import { DNS_ABUSE_TYPES, type CaseEvidence } from '../mail/evidence/index.js';
import type { CaseWork } from './work.js';

/**
 * Triage of abuse reports (RAA 3.18, ICANN's 2024 advisory): DNS abuse about
 * a domain or address of ours is worked first and on a clock of its own, a
 * review and then a mitigation decision, apart from the complaint's response
 * deadline. A trusted notifier's report (a CERT, law enforcement) comes first
 * of all, reviewed within 24 hours whatever it is about.
 */

export type Priority = 'urgent' | 'high' | 'normal';

export interface Triage {
  priority: Priority;
  /** Sent by one of the brand's trusted notifiers. */
  trusted: boolean;
  /** Phishing, malware, botnet or pharming naming something we manage or host. */
  dnsAbuse: boolean;
  /** The account the evidence names, if any. */
  account: string | null;
}

export function triage(brand: Brand, sender: string, evidence: CaseEvidence | null): Triage {
  const trusted = isTrustedNotifier(brand, sender);
  const ours = evidence !== null && ((evidence.domains ?? []).some((d) => d.managed) || evidence.origins.some((o) => o.range !== null));
  const dnsAbuse = evidence !== null && DNS_ABUSE_TYPES.has(evidence.abuseType) && ours;
  const account = evidence?.suggestedMeasure?.account ?? (evidence?.domains ?? []).find((d) => d.managed && d.account)?.account ?? null;
  return { priority: trusted ? 'urgent' : dnsAbuse ? 'high' : 'normal', trusted, dnsAbuse, account };
}

/**
 * Opens the review and mitigation deadlines a triaged case is owed; a second
 * call (a grouped machine report completing the evidence) opens only what is
 * missing. The mitigation clock waits for a report complete enough to act on.
 * Their jobs are scheduled after the commit.
 */
export async function openTriageDeadlines(work: CaseWork, t: Triage, complete: boolean, start: Date): Promise<DeadlineRef[]> {
  const { brand, theCase } = work;
  const opened: DeadlineRef[] = [];
  const existing = new Set((await work.tx.deadline.findMany({ where: { caseId: theCase.id, kind: { in: ['review', 'mitigate'] } }, select: { kind: true } })).map((d) => d.kind));
  const open = async (kind: DeadlineKind, due?: Date): Promise<void> => {
    if (existing.has(kind)) return;
    const deadline = await openDeadline(work.tx, { caseId: theCase.id, brand, kind, start, due });
    work.effects.deadlines.push({ brand, deadline });
    opened.push(deadline);
  };
  if (t.trusted || t.dnsAbuse) {
    const hours = t.trusted ? Math.min(TRUSTED_REVIEW_HOURS, brand.dnsAbuse.reviewHours) : brand.dnsAbuse.reviewHours;
    await open('review', calendarForBrand(brand).addHours(start, hours));
  }
  if (t.dnsAbuse && complete) await open('mitigate');
  return opened;
}

/** Raises a case's priority (never lowers it) and records the account the evidence names. */
export async function applyTriage(work: CaseWork, t: Triage): Promise<void> {
  const { theCase } = work;
  const priority = rank(t.priority) > rank(theCase.priority as Priority) ? t.priority : theCase.priority;
  const account = theCase.account ?? t.account;
  if (priority === theCase.priority && account === theCase.account) return;
  await work.tx.case.update({ where: { id: theCase.id }, data: { priority, account } });
  Object.assign(theCase, { priority, account });
}

function rank(priority: Priority): number {
  return ['normal', 'high', 'urgent'].indexOf(priority);
}

/**
 * A specialist acted on the case: that is its review. Confirming or dismissing
 * a measure, or resolving, is the mitigation decision.
 */
export async function settleTriage(work: CaseWork, what: 'review' | 'decision', actor: string): Promise<void> {
  await work.settle('review', 'met', work.now(), actor);
  if (what === 'decision') await work.settle('mitigate', 'met', work.now(), actor);
}
