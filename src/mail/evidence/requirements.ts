import type { AbuseType, MissingEvidence } from './types.js';

/**
 * What a report must contain to be acted on depends on its type: spam needs
 * the message with its headers; phishing, malware and pharming a URL or a
 * domain; a botnet report a domain or an IP address; anything else at least
 * one of those. A phishing report is never asked for a spam message, but one
 * that forwards the phishing mail whole has its evidence in it (the sender, the
 * attachment), URL or not.
 */
export interface ReportContents {
  /** A reported message with its full headers is attached. */
  completeMessage: boolean;
  urls: number;
  domains: number;
  ips: number;
}

export function missingEvidence(type: AbuseType, contents: ReportContents): MissingEvidence | null {
  switch (type) {
    case 'spam':
      return contents.completeMessage ? null : 'message';
    case 'phishing':
    case 'malware':
    case 'pharming':
      return contents.completeMessage || contents.urls + contents.domains > 0 ? null : 'url';
    case 'botnet':
      return contents.completeMessage || contents.domains + contents.ips > 0 ? null : 'domain_or_ip';
    case 'other':
      return contents.completeMessage || contents.urls + contents.domains + contents.ips > 0 ? null : 'resource';
  }
}
