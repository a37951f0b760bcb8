import { matchCidr } from './ip.js';
import type {
  AbuseType,
  DomainRole,
  EvidenceDomain,
  EvidenceGrade,
  GradedDomain,
  GradedOrigin,
  GradeResult,
  ManagedLookup,
  ReportedMessageEvidence,
  SuggestedMeasure,
} from './types.js';

/**
 * Grades evidence against what we manage, following the desk's published
 * rules: a managed domain advertised in the spam, a managed sender domain
 * that DKIM or SPF vouches for, or our own infrastructure as the origin is
 * conclusive; a managed domain in a From nobody vouches for is not, because
 * "the FROM field and thus the sender of the email could be faked".
 *
 * Pure: the lookup is a synchronous view over tables the caller loaded.
 */

export const FROM_CAN_BE_FORGED = 'not conclusive: From can be forged';
const SENDER_NOT_AUTHENTICATED = 'not conclusive: sender domain not authenticated by DKIM or SPF';
const SERVER_NAMES_CAN_BE_FORGED = 'not conclusive: mail server names in Received can be forged';
const CLAIM_ONLY = 'not conclusive: source IP stated by the reporter only';
const NEEDS_MESSAGE = 'not conclusive: named in the report only; the reported message shows it';

/**
 * An IP address the reporter states without a message that shows it: ARF
 * Source-IP, X-ARF SourceIp, or one named in the report's text.
 */
export interface ReporterClaim {
  ip: string;
  source: 'arf' | 'xarf' | 'report';
}

/**
 * What the report is about. For DNS abuse (phishing, malware, botnet,
 * pharming) the report's own URL, domain or address is the evidence: anyone
 * can look at the page or the host. For spam the message that was sent is.
 */
export interface GradeContext {
  dnsAbuse: boolean;
  type?: AbuseType;
  /** Registrable domains the report names by itself. */
  reportedDomains?: string[];
}

function gradeDomain(entry: EvidenceDomain, lookup: ManagedLookup, context: GradeContext): GradedDomain {
  const managed = lookup.domain(entry.domain);
  const base = { domain: entry.domain, managed: managed !== null, account: managed?.account ?? null, role: entry.role };
  if (!managed) return { ...base, conclusive: false, reason: 'not managed by us' };
  switch (entry.role) {
    case 'advertised':
      return { ...base, conclusive: true, reason: 'managed domain advertised in the message' };
    case 'sender':
      if (entry.verified) {
        return { ...base, conclusive: true, reason: `managed sender domain authenticated (${(entry.via ?? []).join(', ')})` };
      }
      return { ...base, conclusive: false, reason: entry.via?.includes('from') ? FROM_CAN_BE_FORGED : SENDER_NOT_AUTHENTICATED };
    case 'infrastructure':
      return { ...base, conclusive: false, reason: SERVER_NAMES_CAN_BE_FORGED };
    case 'reported':
      if (context.dnsAbuse) return { ...base, conclusive: true, reason: `managed domain named in a ${context.type ?? 'DNS abuse'} report` };
      return { ...base, conclusive: false, reason: NEEDS_MESSAGE };
  }
}

function gradeOrigin(ip: string, source: GradedOrigin['source'], lookup: ManagedLookup, context: GradeContext): GradedOrigin {
  const ours = matchCidr(ip, lookup.infrastructure);
  const managed = lookup.ip(ip);
  const range = managed?.range ?? ours;
  const base = { ip, source, ours: ours !== null, range, account: managed?.account ?? null };
  if (!range) return { ...base, conclusive: false, reason: 'origin outside our ranges' };
  if (source !== 'received' && context.dnsAbuse) {
    return { ...base, conclusive: true, reason: `${context.type ?? 'DNS abuse'} reported at ${ip} in ${ours ? `our infrastructure (${ours})` : `managed range ${range}`}` };
  }
  if (source !== 'received') return { ...base, conclusive: false, reason: CLAIM_ONLY };
  const where = ours ? `our infrastructure (${ours})` : `managed range ${range}`;
  return { ...base, conclusive: true, reason: `sent from ${ip} in ${where}` };
}

// When a domain appears in several roles, the one it is graded by: what it did in the message first.
const ROLE_STRENGTH: Record<DomainRole, number> = { advertised: 3, sender: 2, reported: 1, infrastructure: 0 };

function strength(entry: GradedDomain): number {
  return (entry.conclusive ? 100 : 0) + (entry.managed ? 10 : 0) + ROLE_STRENGTH[entry.role];
}

/**
 * One entry per domain, graded by its strongest role: a DKIM-verified managed
 * sender domain stays conclusive when the same domain also names a server in
 * a Received line. The other roles it appeared in are listed with it.
 */
function mergeDomains(lists: GradedDomain[][]): GradedDomain[] {
  const merged = new Map<string, GradedDomain>();
  for (const entry of lists.flat()) {
    const seen = merged.get(entry.domain);
    const roles = [...new Set([...(seen?.roles ?? (seen ? [seen.role] : [])), ...(entry.roles ?? [entry.role])])];
    const best = !seen || strength(entry) > strength(seen) ? entry : seen;
    merged.set(entry.domain, roles.length > 1 ? { ...best, roles } : best);
  }
  return [...merged.values()];
}

function suggest(origins: GradedOrigin[], domains: GradedDomain[]): SuggestedMeasure | null {
  // Stopping the sending resource ends the recurrence soonest.
  const origin = origins.find((o) => o.conclusive);
  if (origin) {
    return { measure: 'deactivate-service', target: origin.ip, account: origin.account, reason: origin.reason };
  }
  const domain = domains.find((d) => d.conclusive && d.role === 'advertised') ?? domains.find((d) => d.conclusive);
  if (domain) {
    const others = domains.filter((d) => d.conclusive && d.domain !== domain.domain).map((d) => d.domain);
    const also = others.length > 0 ? `; also conclusive: ${[...new Set(others)].join(', ')}` : '';
    return { measure: 'suspend-domain', target: domain.domain, account: domain.account, reason: `${domain.reason}${also}` };
  }
  return null;
}

export function gradeEvidence(reports: ReportedMessageEvidence[], lookup: ManagedLookup, claims: ReporterClaim[] = [], context: GradeContext = { dnsAbuse: false }): GradeResult {
  const perReport = reports.map((report) => ({
    domains: report.domains.map((entry) => gradeDomain(entry, lookup, context)),
    origin: report.originIp ? gradeOrigin(report.originIp, 'received', lookup, context) : null,
  }));
  const seenIps = new Set(perReport.map((r) => r.origin?.ip).filter((ip): ip is string => !!ip));
  const origins = perReport.map((r) => r.origin).filter((o): o is GradedOrigin => o !== null);
  for (const claim of claims) {
    if (seenIps.has(claim.ip)) continue;
    seenIps.add(claim.ip);
    origins.push(gradeOrigin(claim.ip, claim.source, lookup, context));
  }
  const reported = (context.reportedDomains ?? []).map((domain) => gradeDomain({ domain, role: 'reported' }, lookup, context));
  const domains = mergeDomains([...perReport.map((r) => r.domains), reported]);

  let grade: EvidenceGrade = 'none';
  if (domains.some((d) => d.conclusive) || origins.some((o) => o.conclusive)) grade = 'conclusive';
  else if (domains.some((d) => d.managed) || origins.some((o) => o.range !== null)) grade = 'inconclusive';

  return { domains, origins, perReport, grade, suggestedMeasure: suggest(origins, domains) };
}
