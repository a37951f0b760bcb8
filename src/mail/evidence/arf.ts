import { collapse, parseHeaderFields, type HeaderField } from './headers.js';
import { normaliseIp } from './ip.js';
import type { ArfReport } from './types.js';

/**
 * The machine-readable part of an Abuse Reporting Format report (RFC 5965
 * section 3.1, RFC 6591 for auth-failure): a header-like block of fields.
 */

const MAX_LIST = 100;

function one(fields: HeaderField[], ...keys: string[]): string | undefined {
  for (const key of keys) {
    const value = fields.find((f) => f.key === key)?.value;
    if (value !== undefined && value.trim().length > 0) return collapse(value);
  }
  return undefined;
}

function all(fields: HeaderField[], key: string): string[] {
  return fields
    .filter((f) => f.key === key)
    .map((f) => collapse(f.value))
    .filter((v) => v.length > 0)
    .slice(0, MAX_LIST);
}

/** "<a@b>" → "a@b"; the field may carry the brackets or not. */
function unbracket(value: string | undefined): string | undefined {
  if (value === undefined) return undefined;
  const trimmed = value.trim();
  const inner = trimmed.startsWith('<') && trimmed.endsWith('>') ? trimmed.slice(1, -1).trim() : trimmed;
  return inner.length > 0 ? inner : undefined;
}

/** "Source-IP: 192.0.2.1 (host.example)" → "192.0.2.1". */
function sourceIp(value: string | undefined): string | undefined {
  const token = value?.split(' ')[0];
  return token ? (normaliseIp(token) ?? undefined) : undefined;
}

/** "Reporting-MTA: dns; mail.example.com" → "mail.example.com". */
function mtaName(value: string | undefined): string | undefined {
  if (!value) return undefined;
  const semicolon = value.indexOf(';');
  const name = (semicolon >= 0 ? value.slice(semicolon + 1) : value).trim();
  return name.length > 0 ? name : undefined;
}

function isoDate(value: string | undefined): string | undefined {
  if (!value) return undefined;
  const when = Date.parse(value);
  return Number.isFinite(when) ? new Date(when).toISOString() : undefined;
}

function set<K extends keyof ArfReport>(report: ArfReport, key: K, value: ArfReport[K] | undefined): void {
  if (value !== undefined) report[key] = value;
}

/**
 * Parses a message/feedback-report body. Returns null when it has no
 * Feedback-Type, the one field RFC 5965 makes mandatory that we act on.
 */
export function parseFeedbackReport(body: Buffer | string): ArfReport | null {
  const text = typeof body === 'string' ? body : body.subarray(0, 256 * 1024).toString('utf8');
  const { fields } = parseHeaderFields(text);
  const feedbackType = one(fields, 'feedback-type');
  if (!feedbackType) return null;
  const report: ArfReport = {
    feedbackType: feedbackType.toLowerCase(),
    originalRcptTo: all(fields, 'original-rcpt-to').map((v) => unbracket(v) ?? v),
    reportedDomains: all(fields, 'reported-domain').map((v) => v.toLowerCase()),
    reportedUris: all(fields, 'reported-uri').map((v) => unbracket(v) ?? v),
    authenticationResults: all(fields, 'authentication-results'),
  };
  set(report, 'version', one(fields, 'version'));
  set(report, 'userAgent', one(fields, 'user-agent'));
  set(report, 'sourceIp', sourceIp(one(fields, 'source-ip')));
  set(report, 'originalMailFrom', unbracket(one(fields, 'original-mail-from')));
  set(report, 'originalEnvelopeId', one(fields, 'original-envelope-id'));
  set(report, 'arrivalDate', isoDate(one(fields, 'arrival-date', 'received-date')));
  set(report, 'reportingMta', mtaName(one(fields, 'reporting-mta')));
  set(report, 'authFailure', one(fields, 'auth-failure')?.toLowerCase());
  set(report, 'deliveryResult', one(fields, 'delivery-result')?.toLowerCase());
  set(report, 'dkimDomain', one(fields, 'dkim-domain')?.toLowerCase());
  set(report, 'dkimIdentity', one(fields, 'dkim-identity'));
  set(report, 'dkimSelector', one(fields, 'dkim-selector'));
  const incidents = Number.parseInt(one(fields, 'incidents') ?? '', 10);
  if (Number.isFinite(incidents) && incidents >= 0) report.incidents = incidents;
  return report;
}
