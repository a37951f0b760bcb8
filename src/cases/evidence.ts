import type { Brand } from '../config/brands.js';
import type { Tx } from '../db/index.js';
import type { Case, Prisma } from '../generated/prisma/client.js';
import { buildEvidence, type AbuseType, type CaseEvidence, type EvidenceGrade, type ReportResources } from '../mail/evidence/index.js';
import { missingEvidence } from '../mail/evidence/requirements.js';
import { registrableDomain } from '../intake/alignment.js';
import { accountHistoryLoader } from '../managed/history.js';
import { managedLookupLoader } from '../managed/lookup.js';
import type { CaseDeps } from './context.js';
import { appendEvent } from '../audit/events.js';

const GRADE_ORDER: EvidenceGrade[] = ['none', 'inconclusive', 'conclusive'];

/**
 * Evidence is worked out before the case's transaction: it reads DNS and can
 * take seconds. `reporter` is the writer's address: their own domain, like the
 * brand's, is never taken for one the report names.
 */
export async function collectEvidence(raw: Buffer, brand: Brand, reporter: string, deps: CaseDeps, typeHint?: AbuseType): Promise<CaseEvidence | null> {
  const reporterDomain = registrableDomain(reporter.slice(reporter.lastIndexOf('@') + 1));
  try {
    return await buildEvidence(raw, {
      resolver: deps.resolver,
      trustedRelays: brand.trustedRelays,
      lookup: managedLookupLoader(deps.db, brand),
      ownDomains: [...brand.domains, ...(reporterDomain ? [reporterDomain] : [])],
      reporter,
      blocklists: deps.blocklists,
      newDomainDays: brand.dnsAbuse.newDomainDays,
      accountHistory: accountHistoryLoader(deps.db, deps.now),
      typeHint,
      now: deps.now(),
      limits: { timeoutMs: 15_000 },
    });
  } catch (error) {
    deps.logger.warn({ err: error }, 'evidence could not be worked out; the case opens without it');
    return null;
  }
}

/**
 * A later message adds what it carries: its reported messages, the URLs and
 * domains it names. The grade is the strongest seen; the type is the case's,
 * unless the case could not tell; the report is complete once what its type
 * needs has arrived, in any of its messages.
 */
export function mergeEvidence(previous: CaseEvidence | null, next: CaseEvidence): CaseEvidence {
  if (!previous) return next;
  const stronger = GRADE_ORDER.indexOf(next.grade) >= GRADE_ORDER.indexOf(previous.grade) ? next : previous;
  const abuseType = previous.abuseType === 'other' ? next.abuseType : previous.abuseType;
  const resources = mergeResources(previous.resources, next.resources);
  const reportedMessages = [...previous.reportedMessages, ...next.reportedMessages].slice(0, 50);
  const missing =
    previous.complete || next.complete
      ? null
      : missingEvidence(abuseType, {
          completeMessage: false,
          urls: resources.urls.length + reportedMessages.reduce((n, m) => n + m.urls.length, 0),
          domains: resources.domains.length,
          ips: resources.ips.length,
        });
  return {
    ...stronger,
    abuseType,
    abuseReasons: abuseType === previous.abuseType ? previous.abuseReasons : next.abuseReasons,
    reportedMessages,
    origins: [...previous.origins, ...next.origins].slice(0, 50),
    problems: [...previous.problems, ...next.problems].slice(0, 100),
    resources,
    domains: unionBy([...(stronger.domains ?? []), ...(previous.domains ?? []), ...(next.domains ?? [])], (d) => `${d.role} ${d.domain}`),
    enrichment: unionBy([...(next.enrichment ?? []), ...(previous.enrichment ?? [])], (f) => f.domain).slice(0, 20),
    complete: missing === null,
    missing,
  };
}

function mergeResources(a: ReportResources | undefined, b: ReportResources | undefined): ReportResources {
  const union = (x: string[] = [], y: string[] = [], max = 200) => [...new Set([...x, ...y])].slice(0, max);
  return {
    urls: union(a?.urls, b?.urls),
    domains: union(a?.domains, b?.domains, 50),
    hosts: union(a?.hosts, b?.hosts, 150),
    ips: union(a?.ips, b?.ips, 50),
    times: union(a?.times, b?.times, 20).sort(),
  };
}

function unionBy<T>(items: T[], key: (item: T) => string): T[] {
  const seen = new Map<string, T>();
  for (const item of items) if (!seen.has(key(item))) seen.set(key(item), item);
  return [...seen.values()];
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
