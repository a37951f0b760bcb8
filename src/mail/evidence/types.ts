/**
 * Shapes shared by the evidence modules. Everything a case stores is plain
 * JSON (strings, numbers, booleans, arrays, objects): no Buffers, no Dates.
 */

/** How the reported message reached us inside the report. */
export type ReportedMessageSource =
  | 'rfc822' // an attached message/rfc822 part (also nested forwards)
  | 'eml' // an attachment named *.eml, whatever its content type
  | 'rfc822-headers' // a text/rfc822-headers part outside an ARF report
  | 'arf' // the third part of an RFC 5965 feedback report
  | 'xarf' // a message carried as evidence inside an X-ARF JSON report
  | 'inline' // a header block pasted into the body text
  | 'resent'; // the report itself, redirected with Resent-* fields

export interface ReportedMessage {
  source: ReportedMessageSource;
  raw: Buffer;
  /** True when only the header section (or a pasted copy) is available. */
  headersOnly: boolean;
}

/** The machine-readable part of an RFC 5965 feedback report. */
export interface ArfReport {
  feedbackType: string;
  /** Absent for RFC 5965 reports; set when a proprietary feedback-loop format was read as ARF. */
  format?: 'jmrp' | 'apple-unsubscribe';
  version?: string;
  userAgent?: string;
  sourceIp?: string;
  originalMailFrom?: string;
  originalRcptTo: string[];
  originalEnvelopeId?: string;
  /** ISO 8601; from Arrival-Date or its older spelling Received-Date. */
  arrivalDate?: string;
  reportingMta?: string;
  reportedDomains: string[];
  reportedUris: string[];
  authenticationResults: string[];
  authFailure?: string;
  deliveryResult?: string;
  dkimDomain?: string;
  dkimIdentity?: string;
  dkimSelector?: string;
  incidents?: number;
}

export interface XarfResult {
  valid: boolean;
  errors: string[];
  /** The parsed JSON report as received. */
  report?: unknown;
  /** 'legacy' for Version 1/2/3 (ReporterInfo/Report), 'v4' for xarf_version 4.x. */
  format?: 'legacy' | 'v4';
  class?: string;
  type?: string;
  sourceIp?: string;
}

export interface ReportExtraction {
  messages: ReportedMessage[];
  arf?: ArfReport;
  xarf?: XarfResult;
  /** Body text of the report itself (the complainant's words), bounded. */
  reportText: string;
  /** Its HTML body, when it has one, bounded. */
  reportHtml: string;
  /** Text of files attached to the report itself (lists of URLs, logs), bounded. */
  reportFiles: string[];
  reportSubject: string;
  /** Malformed or skipped parts, recorded instead of thrown. */
  problems: string[];
  /** True when at least one reported message has full headers. */
  complete: boolean;
}

export interface ExtractionLimits {
  maxDepth?: number;
  maxParts?: number;
  maxBytes?: number;
  timeoutMs?: number;
}

/** dns.promises.resolve shape: answers an array, throws an error with a code. */
export type Resolver = (name: string, rrtype: string) => Promise<unknown>;

export interface ReceivedHop {
  from?: string;
  /** Reverse-DNS name the receiving server recorded for the sending IP. */
  rdns?: string;
  by?: string;
  ip?: string;
  /** ISO 8601 */
  at?: string;
}

/** `reported`: named by the report itself (its text, a URL in it, a machine report's field). */
export type DomainRole = 'advertised' | 'sender' | 'infrastructure' | 'reported';

export interface EvidenceDomain {
  /** Registrable domain (public suffix list), ASCII/punycode, lower case. */
  domain: string;
  role: DomainRole;
  /** Sender domains only: authenticated by a DKIM pass (d=) or an SPF pass, aligned. */
  verified?: boolean;
  /** Sender domains only: where the domain appeared. */
  via?: Array<'from' | 'return-path' | 'dkim'>;
}

export interface DkimEvidence {
  domain: string;
  selector: string | null;
  result: string;
}

export interface SpfEvidence {
  domain: string;
  ip: string;
  result: string;
}

export interface ReportedMessageEvidence {
  source?: ReportedMessageSource;
  headersOnly?: boolean;
  originIp: string | null;
  receivedChain: ReceivedHop[];
  returnPath: string | null;
  fromAddress: string | null;
  fromDomain: string | null;
  fromVerified: boolean;
  dkim: DkimEvidence[];
  spf: SpfEvidence | null;
  urls: string[];
  domains: EvidenceDomain[];
  mailServers: string[];
  attachmentNames: string[];
  subject: string | null;
  messageId: string | null;
  /** ISO 8601 */
  date: string | null;
  /** Body text (bounded) kept for classification; not stored. */
  text?: string;
  problems: string[];
}

/** URLs, domains, addresses and times a report names by itself (report-resources.ts). */
export interface ReportResources {
  urls: string[];
  /** Registrable domains of the hosts. */
  domains: string[];
  hosts: string[];
  ips: string[];
  /** ISO 8601, sorted. */
  times: string[];
}

/** The DNS abuse of ICANN's RAA (2024) section 3.18, spam, and anything else. */
export const ABUSE_TYPES = ['phishing', 'malware', 'botnet', 'pharming', 'spam', 'other'] as const;
export type AbuseType = (typeof ABUSE_TYPES)[number];

/** Types a registrar must mitigate on actionable evidence (spam only when it delivers them). */
export const DNS_ABUSE_TYPES: ReadonlySet<AbuseType> = new Set(['phishing', 'malware', 'botnet', 'pharming']);

export interface AbuseClassification {
  type: AbuseType;
  /** Why, in words a specialist reads: the machine verdict, the words, the attachment. */
  reasons: string[];
}

/** What a report of its type still lacks to be acted on (requirements.ts). */
export type MissingEvidence = 'message' | 'url' | 'domain_or_ip' | 'resource';

export type EvidenceGrade = 'conclusive' | 'inconclusive' | 'none';

/** `clean-up`: no measure of ours; the registrant (and our hosting customer) is asked to clean a compromised site. */
export type MeasureKind = 'suspend-domain' | 'deactivate-service' | 'block-account' | 'clean-up';

export interface SuggestedMeasure {
  measure: MeasureKind;
  target: string;
  account: string | null;
  reason: string;
}

/** Synchronous view over the managed tables the caller preloaded. */
export interface ManagedLookup {
  /** `created`: the registration date (ISO) when the operator imported one. */
  domain(registrable: string): { account: string | null; created?: string | null } | null;
  ip(ip: string): { range: string; account: string | null } | null;
  /** Our own CIDRs (mail relays, hosting). */
  infrastructure: string[];
}

export interface GradedDomain {
  domain: string;
  managed: boolean;
  account: string | null;
  /** The role it is graded by, the strongest it appeared in. */
  role: DomainRole;
  /** Every role it appeared in, when more than one. */
  roles?: DomainRole[];
  conclusive: boolean;
  reason: string;
}

export interface GradedOrigin {
  ip: string;
  /** Where the IP came from: the Received chain, the reporter's own statement, or DNS for a reported domain. */
  source: 'received' | 'arf' | 'xarf' | 'report' | 'dns';
  ours: boolean;
  range: string | null;
  account: string | null;
  conclusive: boolean;
  reason: string;
}

export interface GradeResult {
  domains: GradedDomain[];
  origins: GradedOrigin[];
  /** The same entries, per reported message, in input order. */
  perReport: Array<{ domains: GradedDomain[]; origin: GradedOrigin | null }>;
  grade: EvidenceGrade;
  suggestedMeasure: SuggestedMeasure | null;
}
