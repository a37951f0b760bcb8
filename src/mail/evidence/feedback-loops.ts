import { bareAddress, collapse, first, headerFields, type HeaderField } from './headers.js';
import type { ArfReport, ReportedMessage } from './types.js';

/**
 * Feedback-loop reports that predate or ignore RFC 5965, read as if they were
 * ARF so the rest of the desk treats them alike:
 * - Microsoft JMRP: the complained-about message attached as message/rfc822,
 *   marked with X-HmXmrOriginalRecipient.
 * - Apple Mail's unsubscribe: a plain mail with X-Apple-Unsubscribe: true.
 */

function emptyReport(feedbackType: string, userAgent: string, format: ArfReport['format']): ArfReport {
  return { feedbackType, userAgent, format, originalRcptTo: [], reportedDomains: [], reportedUris: [], authenticationResults: [] };
}

export function jmrpReport(messages: ReportedMessage[]): ArfReport | null {
  const recipients: string[] = [];
  for (const message of messages) {
    if (message.source !== 'rfc822') continue;
    const recipient = first(headerFields(message.raw), 'x-hmxmroriginalrecipient');
    if (recipient !== undefined) recipients.push(bareAddress(recipient) ?? collapse(recipient));
  }
  if (recipients.length === 0) return null;
  const report = emptyReport('abuse', 'Microsoft JMRP', 'jmrp');
  report.originalRcptTo = recipients.filter((r) => r.length > 0);
  return report;
}

export function appleUnsubscribe(reportFields: HeaderField[]): ArfReport | null {
  const flag = first(reportFields, 'x-apple-unsubscribe');
  return flag?.trim().toLowerCase() === 'true' ? emptyReport('opt-out', 'Apple Mail', 'apple-unsubscribe') : null;
}
