import type { Brand } from '../config/brands.js';
import type { Tx } from '../db/index.js';
import type { Case, Prisma } from '../generated/prisma/client.js';
import { buildEvidence, type CaseEvidence, type EvidenceGrade } from '../mail/evidence/index.js';
import { managedLookupLoader } from '../managed/lookup.js';
import type { CaseDeps } from './context.js';
import { appendEvent } from '../audit/events.js';

const GRADE_ORDER: EvidenceGrade[] = ['none', 'inconclusive', 'conclusive'];

/** Evidence is worked out before the case's transaction: it reads DNS and can take seconds. */
export async function collectEvidence(raw: Buffer, brand: Brand, deps: CaseDeps): Promise<CaseEvidence | null> {
  try {
    return await buildEvidence(raw, {
      resolver: deps.resolver,
      trustedRelays: brand.trustedRelays,
      lookup: managedLookupLoader(deps.db, brand),
      now: deps.now(),
      limits: { timeoutMs: 15_000 },
    });
  } catch (error) {
    deps.logger.warn({ err: error }, 'evidence could not be worked out; the case opens without it');
    return null;
  }
}

/** A later message adds its reported messages; the grade is the strongest seen. */
export function mergeEvidence(previous: CaseEvidence | null, next: CaseEvidence): CaseEvidence {
  if (!previous) return next;
  const stronger = GRADE_ORDER.indexOf(next.grade) >= GRADE_ORDER.indexOf(previous.grade) ? next : previous;
  return {
    ...stronger,
    reportedMessages: [...previous.reportedMessages, ...next.reportedMessages].slice(0, 50),
    origins: [...previous.origins, ...next.origins].slice(0, 50),
    problems: [...previous.problems, ...next.problems].slice(0, 100),
    complete: previous.complete || next.complete,
  };
}

export async function recordEvidence(tx: Tx, theCase: Case, evidence: CaseEvidence, actor: string): Promise<void> {
  const data = {
    evidence: evidence as unknown as Prisma.InputJsonValue,
    evidenceGrade: evidence.grade,
    suggestedMeasure: evidence.suggestedMeasure ? JSON.stringify(evidence.suggestedMeasure) : null,
    abuseType: evidence.abuseType,
  };
  await tx.case.update({ where: { id: theCase.id }, data });
  Object.assign(theCase, data);
  await appendEvent(tx, {
    caseId: theCase.id,
    type: 'evidence_recorded',
    actor,
    data: { grade: evidence.grade, complete: evidence.complete, reportedMessages: evidence.reportedMessages.length, suggestedMeasure: evidence.suggestedMeasure?.measure ?? null },
  });
}

export function caseEvidence(theCase: Pick<Case, 'evidence'>): CaseEvidence | null {
  return (theCase.evidence as unknown as CaseEvidence | null) ?? null;
}

/**
 * Machine reports from one source about one domain within the brand's grouping
 * period join one case: the key is the reporter and the domain reported.
 */
export function reportKey(sender: string, evidence: CaseEvidence | null): string {
  const domain =
    evidence?.suggestedMeasure?.target ??
    evidence?.arf?.reportedDomains[0] ??
    evidence?.reportedMessages.flatMap((m) => m.domains).find((d) => d.role !== 'infrastructure')?.domain ??
    evidence?.reportedMessages[0]?.originIp ??
    'unknown';
  return `${sender.toLowerCase()}|${domain.toLowerCase()}`;
}
