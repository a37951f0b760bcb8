import type { Prisma } from '../generated/prisma/client.js';
import { enrichDomains, type DomainFinding } from '../mail/evidence/enrich.js';
import type { CaseEvidence } from '../mail/evidence/index.js';
import { managedLookupLoader } from '../managed/lookup.js';
import type { CaseDeps } from './context.js';
import { caseEvidence } from './evidence.js';
import { lockCase } from './lock.js';
import { inTransaction } from './work.js';

/**
 * Associated domains (ahead of ICANN's planned "associated domain checks"):
 * once a maliciously registered domain is suspended, the managed domains that
 * look related — the same account, the same name servers, registered within
 * 24 hours of it — are listed for the specialist to review, each with what
 * DNS and the blocklists say of it. Nothing is done to them automatically.
 */

export interface AssociatedDomain {
  domain: string;
  /** Why it is listed: same account, shared name servers, registered the same day. */
  reasons: string[];
  finding: DomainFinding;
}

const MAX_CANDIDATES = 50;
const DAY_MS = 86_400_000;

export async function reviewAssociatedDomains(measureId: string, deps: CaseDeps): Promise<AssociatedDomain[]> {
  const measure = await deps.db.measure.findUnique({ where: { id: measureId }, include: { case: true } });
  if (!measure || measure.measure !== 'suspend-domain' || measure.operation !== 'apply' || measure.status !== 'done') return [];
  const evidence = caseEvidence(measure.case);
  if (evidence?.assessment?.verdict !== 'malicious') return [];
  const domain = measure.target;
  const managed = await deps.db.managedDomain.findUnique({ where: { domain } });
  if (!managed) return [];

  const sameDay = managed.created ? { created: { gte: new Date(managed.created.getTime() - DAY_MS), lte: new Date(managed.created.getTime() + DAY_MS) } } : null;
  const candidates = await deps.db.managedDomain.findMany({
    where: { domain: { not: domain }, OR: [...(managed.account ? [{ account: managed.account }] : []), ...(sameDay ? [sameDay] : [])] },
    orderBy: { domain: 'asc' },
    take: MAX_CANDIDATES,
  });
  if (candidates.length === 0) return [];

  const brand = deps.brands.get(measure.case.brand);
  if (!brand) return [];
  const load = managedLookupLoader(deps.db, brand);
  const lookup = await load({ domains: candidates.map((c) => c.domain), ips: [] });
  const findings = await enrichDomains([{ domain, hosts: [] }, ...candidates.map((c) => ({ domain: c.domain, hosts: [] }))], {
    resolver: deps.resolver,
    managed: lookup,
    lookupIps: (ips) => load({ domains: [], ips }),
    blocklists: deps.blocklists,
    newDomainDays: brand.dnsAbuse.newDomainDays,
    now: deps.now(),
    budgetMs: 10_000,
  });
  const nameservers = new Set(findings.find((f) => f.domain === domain)?.nameservers ?? enrichedNameservers(evidence, domain));
  const associated = candidates.flatMap((candidate): AssociatedDomain[] => {
    const finding = findings.find((f) => f.domain === candidate.domain);
    if (!finding) return [];
    const shared = finding.nameservers.filter((ns) => nameservers.has(ns));
    const reasons = [
      ...(managed.account && candidate.account === managed.account ? [`the same account (${managed.account})`] : []),
      ...(shared.length > 0 ? [`the same name servers (${shared.join(', ')})`] : []),
      ...(managed.created && candidate.created && Math.abs(candidate.created.getTime() - managed.created.getTime()) <= DAY_MS ? [`registered within 24 hours (${candidate.created.toISOString().slice(0, 10)})`] : []),
    ];
    return reasons.length > 0 ? [{ domain: candidate.domain, reasons, finding }] : [];
  });
  if (associated.length === 0) return [];

  await inTransaction(deps, async (unit) => {
    const theCase = await lockCase(unit.tx, { id: measure.caseId });
    if (!theCase) return;
    const work = unit.forCase(theCase);
    if (theCase.incidentId) await unit.tx.incident.update({ where: { id: theCase.incidentId }, data: { associated: associated as unknown as Prisma.InputJsonValue } });
    await work.event('note_added', { actor: 'system', reason: 'associated domains', data: { domain, associated: associated.map((a) => ({ domain: a.domain, reasons: a.reasons })) } });
    await work.send(
      work.desk,
      'associated_domains',
      { ticket: theCase.ticket, domain, domains: associated.map((a) => ({ domain: a.domain, reasons: a.reasons, listed: a.finding.blocklists.filter((b) => b.meaning === 'malicious' || b.meaning === 'listed' || b.meaning === 'compromised').map((b) => b.source) })) },
      { kind: 'associated_domains', autoSubmitted: 'auto-generated', dedupeKey: `associated:${measure.id}` },
    );
  });
  return associated;
}

function enrichedNameservers(evidence: CaseEvidence, domain: string): string[] {
  return evidence.enrichment?.find((f) => f.domain === domain)?.nameservers ?? [];
}
