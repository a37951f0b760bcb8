import type { Language } from '../../config/brands.js';

/** The kinds of case a complainant opens (an escalation belongs to a complaint). */
export type CaseKind = 'abuse' | 'complaint' | 'feedback';

/** What the staff see: escalations are worked as cases of their own. */
export type StaffCaseKind = CaseKind | 'complaint-escalation';

export const MEASURES = ['suspend-domain', 'block-account', 'deactivate-service'] as const;
export type Measure = (typeof MEASURES)[number];

/** The abuse a report is about (src/mail/evidence, ABUSE_TYPES). */
export type ReportAbuseType = 'phishing' | 'malware' | 'botnet' | 'pharming' | 'spam' | 'other';

/**
 * What a report of its type lacks: the spam message with its headers; the URL
 * (phishing, malware, pharming); a domain or IP address (botnet); or any of
 * those (anything else).
 */
export type MissingReportItem = 'message' | 'url' | 'domain_or_ip' | 'resource';

export interface MeasureTaken {
  measure: Measure;
  target: string;
}

/** The seeds' list of what an escalated complaint must contain, in the seeds' order. */
export const ESCALATION_ITEMS = ['contact', 'reference', 'domains', 'description', 'desired_steps', 'keyword'] as const;
export type EscalationItem = (typeof ESCALATION_ITEMS)[number];

/** The word the seeds ask complainants to write in the subject of an escalated complaint. */
export const ESCALATION_KEYWORD: Readonly<Record<Language, string>> = {
  en: 'Complaint',
  de: 'Beschwerde',
  fr: 'plainte',
  nl: 'klacht',
};

/** The seeds' escalation window: 20 working days from our response (seeds 000–003). */
export const DEFAULT_ESCALATION_WORKING_DAYS = 20;
/** The seeds' response promise: 10 working days from receipt. */
export const DEFAULT_RESPONSE_WORKING_DAYS = 10;

/** Subject without the ticket tag (the sender prefixes "[TICKET] ") and a plain-text body. */
export interface RenderedMessage {
  subject: string;
  text: string;
}

interface CaseVars {
  ticket: string;
  brandName: string;
}

/** Messages to the person who wrote to abuse@, complaints@ or feedback@. */
export interface ComplainantVars {
  acknowledgement: CaseVars & {
    caseKind: CaseKind;
    originalSubject: string;
    respondBy: Date;
    timeZone: string;
    /** Shown next to the date; defaults to the seeds' 10. */
    responseWorkingDays?: number;
  };
  /** `missing` defaults to the spam message (SPEC section 6). */
  incomplete_report: CaseVars & { timeZone?: string; missing?: MissingReportItem; abuseType?: ReportAbuseType };
  escalation_received: CaseVars & { finalResponseBy: Date; timeZone: string; step?: 1 | 2 };
  escalation_missing_info: CaseVars & {
    /** Must not be empty: a message saying nothing is missing is a bug upstream. */
    missing: readonly EscalationItem[];
    /** What to write in the subject, e.g. ESCALATION_KEYWORD[language] or a two-step marker. */
    keyword: string;
  };
  escalation_window_closed: CaseVars & {
    closedOn: Date;
    timeZone: string;
    complaintsAddress: string;
    escalationWorkingDays?: number;
    /** Why it closed: the window passed (the default), or it ended otherwise (final answer, resolved). */
    closedBecause?: 'no_escalation' | 'other';
  };
  extension_notice: CaseVars & { newDate: Date; timeZone: string; reason?: string };
  /** The specialist's question, inserted verbatim. */
  need_info: CaseVars & { text: string };
  /** The specialist's response, relayed verbatim with the escalation footer. */
  response: CaseVars & {
    text: string;
    /** Defaults to ESCALATION_KEYWORD[language]; the two-step policy passes its step marker. */
    keyword?: string;
    escalationWorkingDays?: number;
    /**
     * How a dissatisfied complainant goes on: by replying (the default), by
     * post to management (seed 004's step 2), or not at all (the final answer
     * to the last step).
     */
    escalation?: 'email' | 'post' | 'none';
  };
  outcome: CaseVars & { result: string; measures: readonly MeasureTaken[] };
  feedback_thanks: CaseVars;
}

/** Messages to the registrar's customer who holds a reported domain. Never about the reporter. */
export interface CustomerVars {
  customer_hearing: CaseVars & {
    domain: string;
    measure: Measure;
    /** What the measure applies to when it is not the domain (an account, a service). */
    target?: string;
    /** Inserted verbatim, after the addresses in `withhold` are masked. */
    evidenceSummary: string;
    respondBy: Date;
    timeZone: string;
    /** The reporter's addresses: masked wherever they appear (a spam's To: header names the reporter). */
    withhold?: readonly string[];
  };
  /**
   * The statement of reasons (EU Digital Services Act, Art. 17; ICANN's 2024
   * advisory expects registrants to be told): what was found, on which
   * evidence (never who reported it), which measure, from when, how to contest.
   */
  measure_applied: CaseVars & {
    measure: Measure;
    target: string;
    /** When the platform carried it out. */
    appliedAt?: Date;
    timeZone?: string;
    abuseType?: ReportAbuseType;
    /** Inserted verbatim, after the addresses in `withhold` are masked. */
    evidenceSummary?: string;
    withhold?: readonly string[];
  };
  /** A measure reversed (`#lift`): the holder is told, with the reason when one was given. */
  measure_lifted: CaseVars & { measure: Measure; target: string; liftedAt: Date; timeZone: string; reason?: string };
  /**
   * A legitimate site that appears compromised: its owner (and our hosting
   * customer, when we host it) is asked to clean it up; nothing is suspended.
   */
  customer_cleanup: CaseVars & {
    domain: string;
    abuseType: ReportAbuseType;
    /** Inserted verbatim, after the addresses in `withhold` are masked. */
    evidenceSummary: string;
    respondBy: Date;
    timeZone: string;
    withhold?: readonly string[];
  };
}

export interface DeadlineSummary {
  /** A DeadlineKind from src/deadlines ('respond', 'final_response', ...); unknown kinds are shown as written. */
  kind: string;
  dueAt: Date;
}

/** Messages to the desk's specialists. English only: the language argument falls back to it. */
export interface StaffVars {
  specialist_notice: {
    ticket: string;
    caseKind: StaffCaseKind;
    complainant: string;
    originalSubject?: string;
    verdictSummary: string;
    deadlines: readonly DeadlineSummary[];
    /** The case's language: the one the specialist's reply should be written in. */
    language: Language;
    evidenceSummary?: string;
    timeZone: string;
    commandsHelp: boolean;
    /** urgent (trusted notifier), high (DNS abuse about something of ours), normal. */
    priority?: string;
    /** The trusted notifier who sent the report, when one did. */
    trustedNotifier?: string;
  };
  deadline_reminder: { ticket: string; kind: string; dueAt: Date; timeZone: string };
  deadline_breached: { ticket: string; kind: string; dueAt: Date; timeZone: string };
  command_error: { ticket: string; line: string; reason: string };
  complainant_reply: { ticket: string; text: string };
  customer_reply: { ticket: string; text: string; domain?: string };
  decision_needed: { ticket: string; domain: string; reason: 'customer_replied' | 'deadline_passed' | 'appeal' };
  measure_failed: { ticket: string; measure: Measure; target: string; error: string };
  /** Managed domains that look related to one suspended as maliciously registered, for review. */
  associated_domains: { ticket: string; domain: string; domains: ReadonlyArray<{ domain: string; reasons: readonly string[]; listed: readonly string[] }> };
  /** New reports that joined an incident since the last digest. */
  incident_digest: {
    ticket: string;
    target: string;
    total: number;
    state: string;
    timeZone: string;
    reports: ReadonlyArray<{ ticket: string; reporter: string; receivedAt: Date; abuseType: string; language: string }>;
  };
}

export interface TemplateVars extends ComplainantVars, CustomerVars, StaffVars {}
export type TemplateName = keyof TemplateVars;
export type LocalizedTemplateName = keyof ComplainantVars | keyof CustomerVars;
export type StaffTemplateName = keyof StaffVars;

/** A renderer per template name, each checked against that template's vars. */
export type TemplateSet<K extends TemplateName> = {
  readonly [N in K]: (vars: TemplateVars[N]) => RenderedMessage;
};

/** What each language file (en, de, fr, nl) implements. */
export type LanguageTexts = TemplateSet<LocalizedTemplateName>;
