import { randomBytes, randomUUID } from 'node:crypto';

/**
 * Abuse reports as people and feedback loops send them: the spam itself (with
 * the Received chain of the victim's provider), a report that attaches it, and
 * an RFC 5965 feedback report. CRLF line ends; sign the result with
 * `signMessage` to make the reporter verified.
 */

export interface SpamSpec {
  /** Header value as written, e.g. `"Bank Security" <alerts@bank.example>`. */
  from: string;
  to: string;
  subject: string;
  text: string;
  /** The sending host's IP as the victim's MX recorded it; default 198.51.100.23 (outside every range). */
  originIp?: string;
  /** The HELO/rDNS name the victim's MX recorded. */
  originHost?: string;
  returnPath?: string;
  date?: Date;
}

/** A spam message as it sat in the victim's mailbox: two Received lines, the outer one internal. */
export function buildSpam(spec: SpamSpec): Buffer {
  const date = rfc5322Date(spec.date ?? new Date());
  const originIp = spec.originIp ?? '198.51.100.23';
  const originHost = spec.originHost ?? 'bulk.sender-host.org';
  const lines = [
    `Received: from mx1.victim-mail.org (mx1.victim-mail.org [10.1.2.3]) by store.victim-mail.org with LMTP id ${hex(6)}; ${date}`,
    `Received: from ${originHost} (${originHost} [${originIp}]) by mx1.victim-mail.org with ESMTP id ${hex(8)} for <${spec.to}>; ${date}`,
    ...(spec.returnPath ? [`Return-Path: <${spec.returnPath}>`] : []),
    `From: ${spec.from}`,
    `To: ${spec.to}`,
    `Subject: ${spec.subject}`,
    `Date: ${date}`,
    `Message-ID: <${randomUUID()}@${originHost}>`,
    'MIME-Version: 1.0',
    'Content-Type: text/plain; charset=us-ascii',
    'Content-Transfer-Encoding: 7bit',
  ];
  return Buffer.from(`${lines.join('\r\n')}\r\n\r\n${crlf(spec.text)}`, 'utf8');
}

export interface ReportAttachment {
  raw: Buffer;
  /** message/rfc822 (default), or an .eml file sent as application/octet-stream in base64. */
  as?: 'rfc822' | 'eml-file';
  filename?: string;
}

export interface ReportSpec {
  from: string;
  to: string;
  subject: string;
  text: string;
  attachments?: ReportAttachment[];
  /** Extra header fields (In-Reply-To, References, …). */
  headers?: Array<[string, string]>;
}

/** A person's report: their words, and the spam attached; without attachments a plain text message. */
export function buildReport(spec: ReportSpec): Buffer {
  const head = commonHeaders(spec.from, spec.to, spec.subject, spec.headers);
  const words = textPart(spec.text);
  if (!spec.attachments?.length) return Buffer.from(`${[...head, ...words.headers].join('\r\n')}\r\n\r\n${words.body}`, 'utf8');
  const boundary = `report-${hex(8)}`;
  const parts = [`${words.headers.join('\r\n')}\r\n\r\n${words.body}`, ...spec.attachments.map(attachmentPart)];
  return multipart(head, `multipart/mixed; boundary="${boundary}"`, boundary, parts);
}

export interface ArfSpec {
  from: string;
  to: string;
  spam: Buffer;
  feedbackType?: string;
  sourceIp?: string;
  /** Reported-Domain fields. */
  reportedDomains?: string[];
}

/** An RFC 5965 feedback report (multipart/report; report-type=feedback-report) carrying the spam whole. */
export function buildArf(spec: ArfSpec): Buffer {
  const head = commonHeaders(spec.from, spec.to, 'FW: abuse report');
  const boundary = `arf-${hex(8)}`;
  const feedback = [
    `Feedback-Type: ${spec.feedbackType ?? 'abuse'}`,
    'User-Agent: ExampleFBL/2.1',
    'Version: 1',
    `Arrival-Date: ${rfc5322Date(new Date())}`,
    'Reporting-MTA: dns; fbl.sender.test',
    ...(spec.sourceIp ? [`Source-IP: ${spec.sourceIp}`] : []),
    ...(spec.reportedDomains ?? []).map((domain) => `Reported-Domain: ${domain}`),
  ];
  const parts = [
    'Content-Type: text/plain; charset=us-ascii\r\n\r\nThis is an email abuse report for a message received by one of our users.\r\n',
    `Content-Type: message/feedback-report\r\n\r\n${feedback.join('\r\n')}\r\n`,
    `Content-Type: message/rfc822\r\nContent-Disposition: inline\r\n\r\n${spec.spam.toString('utf8')}`,
  ];
  return multipart(head, `multipart/report; report-type=feedback-report; boundary="${boundary}"`, boundary, parts);
}

function commonHeaders(from: string, to: string, subject: string, extra: Array<[string, string]> = []): string[] {
  const domain = /@([^>\s]+)>?\s*$/.exec(from)?.[1] ?? 'localhost';
  return [
    `From: ${from}`,
    `To: ${to}`,
    `Subject: ${ascii(subject) ? subject : `=?UTF-8?B?${Buffer.from(subject, 'utf8').toString('base64')}?=`}`,
    `Date: ${rfc5322Date(new Date())}`,
    `Message-ID: <${randomUUID()}@${domain}>`,
    'MIME-Version: 1.0',
    ...extra.map(([name, value]) => `${name}: ${value}`),
  ];
}

function textPart(text: string): { headers: string[]; body: string } {
  const plain = ascii(text.replace(/\r?\n/g, ''));
  return {
    headers: [`Content-Type: text/plain; charset=${plain ? 'us-ascii' : 'utf-8'}`, `Content-Transfer-Encoding: ${plain ? '7bit' : '8bit'}`],
    body: crlf(text),
  };
}

function attachmentPart(attachment: ReportAttachment): string {
  const filename = attachment.filename ?? 'spam.eml';
  if (attachment.as === 'eml-file') {
    const base64 = attachment.raw.toString('base64').replace(/.{76}/g, '$&\r\n');
    return `Content-Type: application/octet-stream; name="${filename}"\r\nContent-Disposition: attachment; filename="${filename}"\r\nContent-Transfer-Encoding: base64\r\n\r\n${base64}\r\n`;
  }
  return `Content-Type: message/rfc822\r\nContent-Disposition: attachment; filename="${filename}"\r\n\r\n${attachment.raw.toString('utf8')}`;
}

function multipart(head: string[], contentType: string, boundary: string, parts: string[]): Buffer {
  const body = parts.map((part) => `--${boundary}\r\n${part.endsWith('\r\n') ? part : `${part}\r\n`}`).join('');
  return Buffer.from(`${[...head, `Content-Type: ${contentType}`].join('\r\n')}\r\n\r\n${body}--${boundary}--\r\n`, 'utf8');
}

function crlf(text: string): string {
  const body = text.replace(/\r?\n/g, '\r\n');
  return body.endsWith('\r\n') ? body : `${body}\r\n`;
}

function ascii(value: string): boolean {
  return /^[\x20-\x7e]*$/.test(value);
}

function hex(bytes: number): string {
  return randomBytes(bytes).toString('hex');
}

function rfc5322Date(date: Date): string {
  return date.toUTCString().replace(/GMT$/, '+0000');
}
