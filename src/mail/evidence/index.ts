import { storableJson } from '../../lib/text.js';
import { analyseReportedMessage } from './analyse.js';
import { classifyAbuse } from './classify.js';
import { findReportedMessages } from './find.js';
import { gradeEvidence, type ReporterClaim } from './grade.js';
import type {
  AbuseType,
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

/**
 * From a raw report to the evidence a case stores: find the reported
 * messages, analyse each, classify the abuse and grade it against what we
 * manage. The result is plain JSON for the case's evidence column.
 */

export { analyseReportedMessage } from './analyse.js';
export { classifyAbuse } from './classify.js';
export { findReportedMessages } from './find.js';
export { FROM_CAN_BE_FORGED, gradeEvidence } from './grade.js';
export { summariseEvidence } from './summary.js';
export type * from './types.js';

export interface EvidenceDeps {
  resolver: Resolver;
  trustedRelays: string[];
  /**
   * What we manage, or how to load just the part a report needs: the
   * registrable domains and IPs it names (the managed tables can be large).
   */
  lookup: ManagedLookup | ((candidates: { domains: string[]; ips: string[] }) => Promise<ManagedLookup>);
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
  complete: boolean;
  /** Origins graded, including source IPs the reporter only states. */
  origins: GradedOrigin[];
  problems: string[];
  arf?: ArfReport;
  xarf?: Omit<XarfResult, 'report'>;
}

const MAX_MESSAGES = 20;
const MAX_PROBLEMS = 100;

function claimsOf(arf: ArfReport | undefined, xarf: XarfResult | undefined): ReporterClaim[] {
  const claims: ReporterClaim[] = [];
  if (arf?.sourceIp) claims.push({ ip: arf.sourceIp, source: 'arf' });
  if (xarf?.sourceIp) claims.push({ ip: xarf.sourceIp, source: 'xarf' });
  return claims;
}

export async function buildEvidence(raw: Buffer, deps: EvidenceDeps): Promise<CaseEvidence> {
  let extraction: ReportExtraction;
  try {
    extraction = await findReportedMessages(raw, deps.limits);
  } catch (err) {
    // find records what it can; anything escaping is a defect worth seeing in the case.
    extraction = { messages: [], reportText: '', reportSubject: '', complete: false, problems: [`report could not be read: ${(err as Error).message}`] };
  }
  const problems = [...extraction.problems];
  const started = Date.now();
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
      const evidence = await analyseReportedMessage(message.raw, { resolver: deps.resolver, trustedRelays: deps.trustedRelays, now: deps.now, timeoutMs });
      analysed.push({ ...evidence, source: message.source, headersOnly: message.headersOnly });
      problems.push(...evidence.problems.map((p) => `message ${index + 1}: ${p}`));
    } catch (err) {
      problems.push(`message ${index + 1}: analysis failed: ${(err as Error).message}`);
    }
  }

  const claims = claimsOf(extraction.arf, extraction.xarf);
  const lookup =
    typeof deps.lookup === 'function'
      ? await deps.lookup({
          domains: [...new Set(analysed.flatMap((m) => m.domains.map((d) => d.domain)))],
          ips: [...new Set([...analysed.flatMap((m) => (m.originIp ? [m.originIp] : [])), ...claims.map((c) => c.ip)])],
        })
      : deps.lookup;
  const graded = gradeEvidence(analysed, lookup, claims);
  const reportedMessages: StoredMessageEvidence[] = analysed.map((message, i) => {
    const { text: _text, domains, ...rest } = message;
    const gradedDomains = graded.perReport[i]?.domains ?? [];
    return {
      ...rest,
      domains: domains.map((d, j) => ({ ...(gradedDomains[j] as GradedDomain), ...(d.via ? { verified: d.verified ?? false, via: d.via } : {}) })),
      origin: graded.perReport[i]?.origin ?? null,
    };
  });

  const abuseType = classifyAbuse({
    arfFeedbackType: extraction.arf?.feedbackType,
    xarfClass: extraction.xarf?.class,
    xarfType: extraction.xarf?.type,
    subject: analysed[0]?.subject ?? extraction.reportSubject,
    text: [extraction.reportText, ...analysed.map((m) => m.text ?? '')].join('\n'),
    urls: analysed.flatMap((m) => m.urls),
    attachmentNames: analysed.flatMap((m) => m.attachmentNames),
    hasReportedMessage: extraction.messages.length > 0 || !!extraction.arf || !!extraction.xarf,
  });

  const evidence: CaseEvidence = {
    reportedMessages,
    grade: graded.grade,
    suggestedMeasure: graded.suggestedMeasure,
    abuseType,
    complete: extraction.complete,
    origins: graded.origins,
    problems: problems.slice(0, MAX_PROBLEMS),
  };
  if (extraction.arf) evidence.arf = extraction.arf;
  if (extraction.xarf) {
    const { report: _report, ...xarf } = extraction.xarf;
    evidence.xarf = xarf;
  }
  return JSON.parse(storableJson(evidence)) as CaseEvidence;
}

