import { headerToken, type HeaderView } from '../mail/headers.js';
import { isRobotAddress } from '../mail/robot-address.js';
import { SmtpError, smtpErrors } from '../smtp/errors.js';
import { readSenderIdentity, type SenderIdentity } from './sender-identity.js';

/**
 * Pre-acceptance sender policy: from the envelope and the header block alone,
 * is this a person writing to us, a structured machine report the mailbox
 * takes, or mail we refuse at end of DATA (automated or anonymous)? Refusing
 * in the SMTP dialogue lets the sending MTA tell the person; we never send a
 * bounce of our own. SPF/DKIM/DMARC decisions are made elsewhere.
 */

export type SenderClass =
  | { kind: 'person'; identity: SenderIdentity }
  /** Verification of the reporter happens after this, with the auth verdict. */
  | { kind: 'machine_report'; format: MachineReportFormat; identity: SenderIdentity }
  | { kind: 'refused'; error: SmtpError };

export type MachineReportFormat = 'arf' | 'xarf';

export interface SenderPolicyInput {
  /** MAIL FROM address; '' is the null reverse-path. */
  envelopeFrom: string;
  headers: HeaderView;
  /** The mailbox takes ARF/X-ARF reports as silent cases. */
  acceptMachineReports: boolean;
}

/** Each refusal's machine reason, as counted on the dashboard. */
export const SENDER_REFUSAL_REASONS = [
  'automated_null_sender',
  'automated_feedback_report',
  'automated_dsn',
  'automated_auto_submitted',
  'automated_autoreply',
  'automated_precedence',
  'automated_list',
  'automated_robot_sender',
  'automated_bounce_subject',
  'automated_autoreply_subject',
  'anonymous_no_from',
  'anonymous_multiple_from',
  'anonymous_no_domain',
  'from_control_characters',
  'from_domain_literal',
  'from_ambiguous',
] as const;
export type SenderRefusalReason = (typeof SENDER_REFUSAL_REASONS)[number];

export function classifySender(input: SenderPolicyInput): SenderClass {
  const { envelopeFrom, headers, acceptMachineReports } = input;
  const report = machineReportFormat(headers);
  if (report && acceptMachineReports) {
    // Reports are automated by nature (often from noreply@ or a null sender);
    // they still need one From address, as the reporter is verified by it.
    const reading = readSenderIdentity(headers);
    return reading.kind === 'refused' ? reading : { kind: 'machine_report', format: report, identity: reading.identity };
  }
  const automated = automatedRefusal(envelopeFrom, headers);
  if (automated) return refused(automated);
  const reading = readSenderIdentity(headers);
  return reading.kind === 'refused' ? reading : { kind: 'person', identity: reading.identity };
}

/**
 * True for anything a machine sent: what `classifySender` refuses as automated,
 * and machine reports. Outbound loop protection uses it: such mail is never answered.
 */
export function isAutomated(input: { envelopeFrom: string; headers: HeaderView }): boolean {
  return automatedRefusal(input.envelopeFrom, input.headers) !== undefined;
}

/** ARF (RFC 5965; XARF v3 travels inside it too) or X-ARF 0.1/0.2, judged from the headers. */
export function machineReportFormat(headers: HeaderView): MachineReportFormat | undefined {
  const { contentType } = headers;
  if (contentType.value === 'multipart/report' && reportType(headers) === 'feedback-report') return 'arf';
  const xarf = [...headers.getRaw('x-arf'), ...headers.getRaw('x-xarf')].map(headerToken);
  if (xarf.some((value) => value !== '' && value !== 'no')) return 'xarf';
  return undefined;
}

function refused(error: SmtpError): SenderClass {
  return { kind: 'refused', error };
}

function reportType(headers: HeaderView): string {
  return headerToken(headers.contentType.params['report-type'] ?? '');
}

function automatedRefusal(envelopeFrom: string, headers: HeaderView): SmtpError | undefined {
  if (envelopeFrom.trim() === '' || envelopeFrom.trim() === '<>') return smtpErrors.automatedNullSender();
  const report = machineReportFormat(headers);
  if (report) return smtpErrors.automatedFeedbackReport(report);

  const type = headers.contentType.value;
  if (type === 'multipart/report') return smtpErrors.automatedDsn(`multipart/report; report-type=${reportType(headers) || 'unknown'}`);
  if (DSN_TYPES.has(type)) return smtpErrors.automatedDsn(type);

  for (const value of headers.getRaw('auto-submitted')) {
    const token = headerToken(value);
    if (token !== 'no') return smtpErrors.automatedAutoSubmitted(token || '(empty)');
  }
  // Exim writes it on its bounces, whatever their MIME shape.
  if (headers.has('x-failed-recipients')) return smtpErrors.automatedDsn('X-Failed-Recipients');
  for (const field of AUTOREPLY_FIELDS) {
    const values = headers.getRaw(field);
    if (values.some((value) => !NEGATIVE.has(headerToken(value)))) return smtpErrors.automatedAutoreply(fieldName(field));
  }
  for (const value of headers.getRaw('precedence')) {
    const token = headerToken(value);
    if (BULK_PRECEDENCE.has(token)) return smtpErrors.automatedPrecedence(token);
  }
  for (const field of LIST_FIELDS) {
    if (headers.has(field)) return smtpErrors.automatedList(fieldName(field));
  }

  const robot = robotSender(envelopeFrom, headers);
  if (robot) return smtpErrors.automatedRobotSender(robot);

  const subject = headers.subject;
  if (BOUNCE_SUBJECT.test(subject)) return smtpErrors.automatedBounceSubject();
  if (AUTOREPLY_SUBJECT.test(subject)) return smtpErrors.automatedAutoreplySubject();
  return undefined;
}

// Top-level types of delivery and read reports sent without the multipart/report wrapper.
const DSN_TYPES = new Set(['message/delivery-status', 'message/global-delivery-status', 'message/disposition-notification', 'message/global-disposition-notification']);

// RFC 3834 section 5 names Precedence values that mark mail not to answer; auto_reply is what vacation programs write.
const BULK_PRECEDENCE = new Set(['bulk', 'junk', 'list', 'auto_reply']);

/**
 * Fields that auto-responders add. X-Auto-Response-Suppress is deliberately not
 * here: Exchange and Outlook set it on ordinary mail written by people.
 */
const AUTOREPLY_FIELDS = ['x-autoreply', 'x-autorespond', 'x-autoresponder', 'x-autogenerated', 'x-autoreply-from', 'x-mail-autoreply', 'x-fc-machinegenerated'];
const NEGATIVE = new Set(['no', 'false', '0']);

/**
 * List-Id and List-Unsubscribe first, then the other RFC 2369 fields and the
 * fields of list managers that predate them (ezmlm's Mailing-List, fml's
 * X-MLServer): only a list server writes these.
 */
const LIST_FIELDS = ['list-id', 'list-unsubscribe', 'list-subscribe', 'list-help', 'list-post', 'list-owner', 'list-archive', 'mailing-list', 'x-mlserver'];

function fieldName(lower: string): string {
  return lower.replace(/(^|-)([a-z])/g, (_m, dash: string, ch: string) => dash + ch.toUpperCase());
}

/** The robot address found in the envelope sender or From, if any. */
function robotSender(envelopeFrom: string, headers: HeaderView): string | undefined {
  const envelope = envelopeFrom.trim().replace(/^<|>$/g, '');
  if (isRobotAddress(envelope)) return envelope;
  // Some gateways copy the null reverse-path into the header: "From: <>".
  if (headers.getRaw('from').some((value) => /^<\s*>$/.test(value))) return '<>';
  const from = headers.from;
  for (const mailbox of from) {
    // "From: MAILER-DAEMON" parses as a bare name with no address.
    const address = mailbox.address || (/^\S+$/.test(mailbox.name) ? mailbox.name : '');
    if (address && isRobotAddress(address)) return address;
    if (ROBOT_NAME.test(mailbox.name)) return mailbox.address || mailbox.name;
  }
  return undefined;
}

/**
 * Heuristics, documented as such: display names and subjects that mail
 * systems give their bounces and auto-replies, for the ones that carry no
 * header marker at all. Anchored at the start, literal alternations only.
 */
const ROBOT_NAME = /^(?:mail delivery (?:subsystem|system|service)|mailer[- ]daemon|mail administrator|postmaster)$/i;

const BOUNCE_SUBJECT = new RegExp(
  '^\\s*(?:' +
    [
      'undelivered mail returned to sender',
      'delivery status notification',
      'returned mail\\s*:',
      'mail delivery failed\\s*:',
      'undeliverable\\s*:',
      'undeliverable (?:mail|message)\\b',
      'undelivered mail\\b',
      'failure notice\\s*$',
      'delivery failure\\b',
      'delivery notification\\s*:',
      'non[- ]?delivery (?:report|notification)',
      'mail system error - returned mail',
      'unzustellbar\\s*:',
      'non remis\\s*:',
      'onbestelbaar\\s*:',
    ].join('|') +
    ')',
  'i',
);

const AUTOREPLY_SUBJECT = new RegExp(
  '^\\s*(?:' +
    [
      'out of (?:the )?office\\b[^:]{0,20}:',
      'automatic reply\\s*:',
      'auto[- ]?reply\\s*:',
      'auto[- ]?response\\s*:',
      'abwesenheitsnotiz\\b',
      'automatische antwort\\s*:',
      'r\u00e9ponse automatique\\s*:',
      'automatisch antwoord\\s*:',
    ].join('|') +
    ')',
  'i',
);
