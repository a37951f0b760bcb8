import { isTrustedNotifier, type Brand } from '../config/brands.js';
import type { Tx } from '../db/index.js';
import type { DeadlineKind } from '../deadlines/policies.js';
import { TRUSTED_REVIEW_HOURS } from '../deadlines/policies.js';
import { calendarForBrand } from '../deadlines/calendar.js';
import { openDeadline, type DeadlineRef } from '../deadlines/schedule.js';
import { settleDeadline } from '../deadlines/settle.js';
import { DNS_ABUSE_TYPES, type CaseEvidence } from '../mail/evidence/index.js';

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
 */
export async function openTriageDeadlines(tx: Tx, input: { caseId: string; brand: Brand; triage: Triage; complete: boolean; start: Date }): Promise<DeadlineRef[]> {
  const { brand, triage: t } = input;
  const opened: DeadlineRef[] = [];
  const existing = new Set((await tx.deadline.findMany({ where: { caseId: input.caseId, kind: { in: ['review', 'mitigate'] } }, select: { kind: true } })).map((d) => d.kind));
  const open = async (kind: DeadlineKind, due?: Date): Promise<void> => {
    if (!existing.has(kind)) opened.push(await openDeadline(tx, { caseId: input.caseId, brand, kind, start: input.start, due }));
  };
  if (t.trusted || t.dnsAbuse) {
    const hours = t.trusted ? Math.min(TRUSTED_REVIEW_HOURS, brand.dnsAbuse.reviewHours) : brand.dnsAbuse.reviewHours;
    await open('review', calendarForBrand(brand).addHours(input.start, hours));
  }
  if (t.dnsAbuse && input.complete) await open('mitigate');
  return opened;
}

type Settling = 'review' | 'decision';

/**
 * A specialist acted on the case: that is its review. Confirming or dismissing
 * a measure, or resolving, is the mitigation decision.
 */
export async function settleTriage(tx: Tx, brand: Brand, caseId: string, what: Settling, at: Date, actor: string): Promise<void> {
  await settleDeadline(tx, brand, caseId, 'review', 'met', at, actor);
  if (what === 'decision') await settleDeadline(tx, brand, caseId, 'mitigate', 'met', at, actor);
}
