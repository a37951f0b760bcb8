import { registrableDomain } from '../../intake/alignment.js';
import { storableJson } from '../../lib/text.js';
import { analyseReportedMessage } from './analyse.js';
import { assessDomain, type AccountHistory, type DomainAssessment } from './assess.js';
import { classifyAbuse } from './classify.js';
import { enrichDomains, type DomainFinding } from './enrich.js';
import { findReportedMessages } from './find.js';
import { gradeEvidence, type ReporterClaim } from './grade.js';
import { reportResources } from './report-resources.js';
import { missingEvidence } from './requirements.js';
import { DNS_ABUSE_TYPES } from './types.js';
import type {
  AbuseType,
  MissingEvidence,
  ReportResources,
  ArfReport,
  EvidenceGrade,
  ExtractionLimits,
  GradedDomain,
  GradedOrigin,
  ManagedLookup,
  ReportedMessageEvidence,
  ReportExtraction,
  Resolver,
  SuggestedMeasure,
  XarfResult,
} from './types.js';

export { analyseReportedMessage } from './analyse.js';
export { classifyAbuse } from './classify.js';
export { findReportedMessages } from './find.js';
export { FROM_CAN_BE_FORGED, gradeEvidence } from './grade.js';
export { summariseEvidence } from './summary.js';
export type { AccountHistory, DomainAssessment } from './assess.js';
export type { DomainFinding } from './enrich.js';
export type * from './types.js';
export { ABUSE_TYPES, DNS_ABUSE_TYPES } from './types.js';

export interface EvidenceDeps {
  resolver: Resolver;
  trustedRelays: string[];
  /**
   * What we manage, or how to load just the part a report needs: the
   * registrable domains and IPs it names (the managed tables can be large).
   */
  lookup: ManagedLookup | ((candidates: { domains: string[]; ips: string[] }) => Promise<ManagedLookup>);
  /** Registrable domains a report never "names": the brand's own, the reporter's. */
  ownDomains?: string[];
  /**
   * The reporter's address: hops inside their own mail provider (their domain,
   * their MX hosts) are not where a reported message came from.
   */
  reporter?: string;
  /** DNS blocklist zones (DNS_BLOCKLISTS). */
  blocklists?: readonly string[];
  /** A managed domain younger than this is newly registered (default 30). */
  newDomainDays?: number;
  /**
   * The type of the case a follow-up message belongs to: a reply that only
   * gives the URL asked for says nothing of the abuse itself.
   */
  typeHint?: AbuseType;
  /** The account's record, one signal of a maliciously registered domain. */
  accountHistory?: (account: string) => Promise<AccountHistory>;
  now?: Date;
  limits?: ExtractionLimits;
}

export type StoredMessageEvidence = Omit<ReportedMessageEvidence, 'domains' | 'text'> & {
  domains: Array<GradedDomain & { verified?: boolean; via?: string[] }>;
  origin: GradedOrigin | null;
};

export interface CaseEvidence {
  reportedMessages: StoredMessageEvidence[];
  grade: EvidenceGrade;
  suggestedMeasure: SuggestedMeasure | null;
  abuseType: AbuseType;
  /** Why the report is of that type. */
  abuseReasons?: string[];
  /** The report has what its type needs to be acted on (see `missing`). */
  complete: boolean;
  /** What it lacks for its type, when it is not complete. */
  missing?: MissingEvidence | null;
  /** What the report names by itself (its text, HTML, files, machine fields). */
  resources?: ReportResources;
  /** Every domain that graded, merged over the messages and the report's own words. */
  domains?: GradedDomain[];
  /** DNS and our tables on each reported or managed domain. */
  enrichment?: DomainFinding[];
  /** Maliciously registered or compromised, for the domain the measure concerns. */
  assessment?: DomainAssessment | null;
  /** Origins graded, including source IPs the reporter only states. */
  origins: GradedOrigin[];
  problems: string[];
  arf?: ArfReport;
  xarf?: Omit<XarfResult, 'report'>;
}

const MAX_MESSAGES = 20;
const MAX_PROBLEMS = 100;
const ENRICH_BUDGET_MS = 5_000;

function claimsOf(arf: ArfReport | undefined, xarf: XarfResult | undefined, reportIps: string[]): ReporterClaim[] {
  const claims: ReporterClaim[] = [];
  if (arf?.sourceIp) claims.push({ ip: arf.sourceIp, source: 'arf' });
  if (xarf?.sourceIp) claims.push({ ip: xarf.sourceIp, source: 'xarf' });
  for (const ip of reportIps) claims.push({ ip, source: 'report' });
  return claims;
}

async function extract(raw: Buffer, limits: ExtractionLimits | undefined): Promise<ReportExtraction> {
  try {
    return await findReportedMessages(raw, limits);
  } catch (err) {
    // find records what it can; anything escaping is a defect worth seeing in the case.
    return { messages: [], reportText: '', reportHtml: '', reportFiles: [], reportSubject: '', complete: false, problems: [`report could not be read: ${(err as Error).message}`] };
  }
}

/** The reporter's registrable domain and those of its MX hosts; a failed lookup leaves just the first. */
async function providerDomainsOf(reporter: string | undefined, resolver: Resolver): Promise<string[]> {
  const domain = reporter ? registrableDomain(reporter.slice(reporter.lastIndexOf('@') + 1)) : null;
  if (!domain) return [];
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<unknown>((resolve) => {
    timer = setTimeout(() => resolve([]), 3_000);
  });
  const answer = await Promise.race([resolver(domain, 'MX').catch(() => []), timeout]).finally(() => clearTimeout(timer));
  const exchanges = Array.isArray(answer) ? answer.map((mx: { exchange?: unknown }) => (typeof mx?.exchange === 'string' ? registrableDomain(mx.exchange) : null)) : [];
  return [...new Set([domain, ...exchanges.filter((d): d is string => d !== null)])];
}

async function analyseAll(extraction: ReportExtraction, deps: EvidenceDeps, problems: string[]): Promise<ReportedMessageEvidence[]> {
  const started = Date.now();
  const providerDomains = extraction.messages.length > 0 ? await providerDomainsOf(deps.reporter, deps.resolver) : [];
  const budgetMs = deps.limits?.timeoutMs ?? 15_000;
  const analysed: ReportedMessageEvidence[] = [];
  if (extraction.messages.length > MAX_MESSAGES) problems.push(`${extraction.messages.length} reported messages, only the first ${MAX_MESSAGES} analysed`);
  for (const [index, message] of extraction.messages.slice(0, MAX_MESSAGES).entries()) {
    const timeoutMs = budgetMs - (Date.now() - started);
    if (timeoutMs <= 0) {
      problems.push(`message ${index + 1}: not analysed, the time limit was reached`);
      break;
    }
    try {
      const evidence = await analyseReportedMessage(message.raw, { resolver: deps.resolver, trustedRelays: deps.trustedRelays, providerDomains, now: deps.now, timeoutMs });
      analysed.push({ ...evidence, source: message.source, headersOnly: message.headersOnly });
      problems.push(...evidence.problems.map((p) => `message ${index + 1}: ${p}`));
    } catch (err) {
      problems.push(`message ${index + 1}: analysis failed: ${(err as Error).message}`);
    }
  }
  return analysed;
}

function xarfThreatType(xarf: XarfResult | undefined): string | undefined {
  const report = xarf?.report as { threat_type?: unknown } | undefined;
  return typeof report?.threat_type === 'string' ? report.threat_type : undefined;
}

/**
 * From a raw report to the evidence a case stores, in steps: 1. find the
 * reported messages and what the report names by itself; 2. analyse each
 * message; 3. classify the abuse; 4. grade it against what we manage;
 * 5. look up each reported or managed domain in DNS and the blocklists;
 * 6. judge whether the domain the measure concerns was registered to abuse or
 * compromised, and suggest the measure. The result is plain JSON.
 */
export async function buildEvidence(raw: Buffer, deps: EvidenceDeps): Promise<CaseEvidence> {
  const extraction = await extract(raw, deps.limits);
  const problems = [...extraction.problems];
  const resources = reportResources({
    text: extraction.reportText,
    html: extraction.reportHtml,
    files: extraction.reportFiles,
    xarf: extraction.xarf?.report,
    arf: extraction.arf,
    exclude: deps.ownDomains ?? [],
  });
  const analysed = await analyseAll(extraction, deps, problems);

  const messageUrls = analysed.flatMap((m) => m.urls);
  const classified = classifyAbuse({
    arfFeedbackType: extraction.arf?.feedbackType,
    xarfClass: extraction.xarf?.class,
    xarfType: extraction.xarf?.type,
    xarfThreatType: xarfThreatType(extraction.xarf),
    subject: analysed[0]?.subject ?? extraction.reportSubject,
    text: [extraction.reportSubject, extraction.reportText, ...analysed.map((m) => m.text ?? '')].join('\n'),
    urls: [...resources.urls, ...messageUrls],
    attachmentNames: analysed.flatMap((m) => m.attachmentNames),
    hasReportedMessage: extraction.messages.length > 0 || !!extraction.arf || !!extraction.xarf,
  });
  const classification = deps.typeHint && classified.type === 'other' ? { type: deps.typeHint, reasons: ['the case it belongs to'] } : classified;
  const dnsAbuse = DNS_ABUSE_TYPES.has(classification.type);

  const claims = claimsOf(extraction.arf, extraction.xarf, resources.ips);
  const candidates = {
    domains: [...new Set([...analysed.flatMap((m) => m.domains.map((d) => d.domain)), ...resources.domains])],
    ips: [...new Set([...analysed.flatMap((m) => (m.originIp ? [m.originIp] : [])), ...claims.map((c) => c.ip)])],
  };
  const load = (wanted: { domains: string[]; ips: string[] }): Promise<ManagedLookup> =>
    typeof deps.lookup === 'function' ? deps.lookup(wanted) : Promise.resolve(deps.lookup);
  const lookup = await load(candidates);
  const graded = gradeEvidence(analysed, lookup, claims, { dnsAbuse, type: classification.type, reportedDomains: resources.domains });

  const missing = missingEvidence(classification.type, {
    completeMessage: extraction.complete,
    urls: resources.urls.length + messageUrls.length,
    domains: resources.domains.length + analysed.reduce((n, m) => n + m.domains.filter((d) => d.role === 'advertised').length, 0),
    ips: resources.ips.length + claims.length,
  });

  // Reported domains, and managed ones wherever they appeared: the rest of a spam's links are not ours to look into.
  const toEnrich = graded.domains
    .filter((d) => d.role === 'reported' || d.managed)
    .map((d) => ({ domain: d.domain, hosts: resources.hosts.filter((host) => host === d.domain || host.endsWith(`.${d.domain}`)) }));
  const enrichment = await enrichDomains(dedupeByDomain(toEnrich), {
    resolver: deps.resolver,
    managed: lookup,
    lookupIps: (ips) => load({ domains: candidates.domains, ips: [...candidates.ips, ...ips] }),
    blocklists: deps.blocklists ?? [],
    newDomainDays: deps.newDomainDays ?? 30,
    now: deps.now ?? new Date(),
    budgetMs: ENRICH_BUDGET_MS,
  });
  const hosted = dnsAbuse ? hostingOrigins(enrichment) : [];
  const origins = [...graded.origins, ...hosted];
  const grade = hosted.length > 0 ? 'conclusive' : graded.grade;
  const decided = await decideMeasure(graded.suggestedMeasure, graded.domains, enrichment, dnsAbuse, deps);

  const reportedMessages: StoredMessageEvidence[] = analysed.map((message, i) => {
    const { text: _text, domains, ...rest } = message;
    const gradedDomains = graded.perReport[i]?.domains ?? [];
    return {
      ...rest,
      domains: domains.map((d, j) => ({ ...(gradedDomains[j] as GradedDomain), ...(d.via ? { verified: d.verified ?? false, via: d.via } : {}) })),
      origin: graded.perReport[i]?.origin ?? null,
    };
  });

  const evidence: CaseEvidence = {
    reportedMessages,
    grade,
    suggestedMeasure: decided.measure,
    abuseType: classification.type,
    abuseReasons: classification.reasons,
    complete: missing === null,
    missing,
    resources,
    domains: graded.domains,
    enrichment,
    assessment: decided.assessment,
    origins,
    problems: problems.slice(0, MAX_PROBLEMS),
  };
  if (extraction.arf) evidence.arf = extraction.arf;
  if (extraction.xarf) {
    const { report: _report, ...xarf } = extraction.xarf;
    evidence.xarf = xarf;
  }
  return JSON.parse(storableJson(evidence)) as CaseEvidence;
}

function dedupeByDomain(list: Array<{ domain: string; hosts: string[] }>): Array<{ domain: string; hosts: string[] }> {
  const seen = new Map<string, { domain: string; hosts: string[] }>();
  for (const entry of list) if (!seen.has(entry.domain)) seen.set(entry.domain, entry);
  return [...seen.values()];
}

/** A reported site on our addresses: we host it, whoever registered the domain. */
function hostingOrigins(enrichment: DomainFinding[]): GradedOrigin[] {
  return enrichment.flatMap((finding) => {
    const address = finding.addresses.find((a) => a.range !== null);
    if (!address) return [];
    const where = address.ours ? `our infrastructure (${address.range})` : `managed range ${address.range}`;
    return [{ ip: address.ip, source: 'dns' as const, ours: address.ours, range: address.range, account: address.account, conclusive: true, reason: `${finding.domain} is hosted at ${address.ip} in ${where} (${address.source})` }];
  });
}

/**
 * For DNS abuse the domain's story decides the measure: registered to abuse →
 * suspend it (or, when only our hosting is involved, end that service);
 * compromised → ask its owner to clean it up. For spam, the graded suggestion.
 */
async function decideMeasure(
  suggested: SuggestedMeasure | null,
  domains: GradedDomain[],
  enrichment: DomainFinding[],
  dnsAbuse: boolean,
  deps: EvidenceDeps,
): Promise<{ measure: SuggestedMeasure | null; assessment: DomainAssessment | null }> {
  if (!dnsAbuse) return { measure: suggested, assessment: null };
  const conclusive = domains.filter((d) => d.conclusive).map((d) => d.domain);
  const target = suggested && conclusive.includes(suggested.target) ? suggested.target : conclusive[0];
  const finding = enrichment.find((f) => f.domain === target) ?? enrichment.find((f) => f.hostedByUs);
  if (!finding) return { measure: suggested, assessment: null };
  const host = finding.addresses.find((a) => a.range !== null);
  const account = finding.account ?? host?.account ?? null;
  const history = account && deps.accountHistory ? await deps.accountHistory(account).catch(() => null) : null;
  const assessment = assessDomain(finding, history, deps.now ?? new Date());
  const why = assessment.reasons.join('; ');
  if (assessment.verdict === 'compromised') {
    return { assessment, measure: { measure: 'clean-up', target: finding.domain, account, reason: `a compromised legitimate site: ${why}` } };
  }
  if (finding.managed) {
    const reason = assessment.verdict === 'malicious' ? `registered for abuse: ${why}` : (suggested?.reason ?? 'managed domain named in the report');
    return { assessment, measure: { measure: 'suspend-domain', target: finding.domain, account: finding.account, reason } };
  }
  if (host) {
    return { assessment, measure: { measure: 'deactivate-service', target: finding.domain, account: host.account, reason: `hosted by us at ${host.ip} (${host.range}): ${why}` } };
  }
  return { measure: suggested, assessment };
}
