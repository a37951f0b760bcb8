import type { Verdict } from './authenticate.js';

/** The authentication verdict in plain words, for the people working a case. */
export function describeVerdict(verdict: Verdict): string {
  const dkim = verdict.dkim.length
    ? verdict.dkim.map((s) => `DKIM ${s.result} (d=${s.domain}${s.aligned ? ', aligned' : ''})`).join(', ')
    : 'no DKIM signature';
  const spf = `SPF ${verdict.spf.result}${verdict.spf.domain ? ` (${verdict.spf.domain})` : ''}`;
  const dmarc = `DMARC ${verdict.dmarc.result}${verdict.dmarc.policy ? ` (p=${verdict.dmarc.policy})` : ''}`;
  const head = verdict.verified
    ? `Verified sender: ${verdict.fromDomain} is confirmed by ${verdict.alignedBy === 'dkim' ? 'a DKIM signature' : 'SPF'} of the same organisation.`
    : `Not verified: nothing confirms ${verdict.fromDomain ?? 'the From domain'}.`;
  return `${head} ${dkim}; ${spf}; ${dmarc}; ARC ${verdict.arc.result}.`;
}
