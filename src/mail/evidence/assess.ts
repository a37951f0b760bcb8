import type { DomainFinding } from './enrich.js';

/**
 * Was a domain registered to abuse, or is it a legitimate site that was
 * broken into? The answer decides the measure to suggest: a maliciously
 * registered domain is suspended after the hearing; a compromised site's
 * registrant (and our hosting customer, if we host it) is asked to clean it
 * up, and nothing is suspended. The specialist decides; these are the reasons.
 */

export type DomainVerdict = 'malicious' | 'compromised' | 'unknown';

export interface DomainAssessment {
  domain: string;
  verdict: DomainVerdict;
  reasons: string[];
}

export interface AccountHistory {
  /** Other DNS-abuse cases about the account's domains in the last year. */
  otherCases: number;
  /** Domains of the account suspended in the last year. */
  suspensions: number;
}

/** A registration this old, with nothing against it, reads as an established site. */
const ESTABLISHED_DAYS = 365;
const DAY_MS = 86_400_000;

export function assessDomain(finding: DomainFinding, history: AccountHistory | null, now: Date): DomainAssessment {
  const malicious: string[] = [];
  const compromised: string[] = [];
  for (const list of finding.blocklists) {
    if (list.meaning === 'malicious') malicious.push(`listed as registered for abuse (${list.source})`);
    if (list.meaning === 'compromised') compromised.push(`listed as a compromised legitimate domain (${list.source})`);
  }
  if (finding.newlyRegistered) malicious.push(`newly registered on ${finding.created?.slice(0, 10)} (managed-domain table)`);
  if (history && history.suspensions > 0) malicious.push(`the account had ${history.suspensions} domain(s) suspended in the last year`);
  if (history && history.otherCases >= 2) malicious.push(`the account's domains are in ${history.otherCases} other abuse cases of the last year`);
  const age = finding.created ? (now.getTime() - Date.parse(finding.created)) / DAY_MS : null;
  if (age !== null && age >= ESTABLISHED_DAYS && malicious.length === 0) compromised.push(`registered for ${Math.floor(age / 365)} year(s) (managed-domain table)`);

  // A list's own judgement outweighs age and history, which only suggest.
  const listedMalicious = finding.blocklists.some((list) => list.meaning === 'malicious');
  const listedCompromised = finding.blocklists.some((list) => list.meaning === 'compromised');
  let verdict: DomainVerdict = 'unknown';
  if (listedMalicious || (malicious.length > 0 && !listedCompromised)) verdict = 'malicious';
  else if (compromised.length > 0) verdict = 'compromised';
  const reasons = verdict === 'malicious' ? [...malicious, ...compromised.map((r) => `against: ${r}`)] : verdict === 'compromised' ? [...compromised, ...malicious.map((r) => `against: ${r}`)] : ['no blocklist listing, registration date or account history to go by'];
  return { domain: finding.domain, verdict, reasons };
}
