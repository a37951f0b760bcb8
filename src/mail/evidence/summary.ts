import type { DomainFinding } from './enrich.js';
import type { CaseEvidence, StoredMessageEvidence } from './index.js';

/**
 * A short plain-text account of the evidence for the specialist's notice:
 * the grade and the suggested measure first, then per message where it came
 * from and which managed domains it names.
 */

const MAX_MESSAGES = 5;
const MAX_PROBLEMS = 5;

function who(account: string | null): string {
  return account ? ` (account ${account})` : '';
}

function messageLines(message: StoredMessageEvidence, index: number): string[] {
  const sender = message.fromAddress ?? 'unknown sender';
  const parts = [
    `from ${sender} (${message.fromVerified ? 'verified' : 'not verified'})`,
    `origin ${message.originIp ?? 'unknown'}${message.origin?.range ? ` in ${message.origin.range}` : ''}`,
    ...message.dkim.map((d) => `DKIM ${d.domain}=${d.result}`),
    ...(message.spf ? [`SPF ${message.spf.domain}=${message.spf.result}`] : []),
  ];
  const kind = `${message.source ?? 'unknown'}${message.headersOnly ? ', headers only' : ''}`;
  const lines = [`Message ${index + 1} (${kind}): ${parts.join(', ')}`];
  if (message.subject) lines.push(`  Subject: ${message.subject.slice(0, 200)}`);
  const managed = message.domains.filter((d) => d.managed);
  for (const d of managed) {
    lines.push(`  - ${d.domain} (${d.role}, managed${who(d.account)}): ${d.conclusive ? 'conclusive' : d.reason}`);
  }
  const others = message.domains.length - managed.length;
  if (others > 0) lines.push(`  ${others} other domain(s), not managed by us`);
  return lines;
}

const MAX_NAMED = 10;

/** What DNS and our tables say about one domain, each fact with where it comes from. */
function findingLines(f: DomainFinding): string[] {
  const lines = [`Domain ${f.domain}:`];
  lines.push(`  ${f.managed ? `managed by us${who(f.account)}` : 'not managed by us'} (managed-domain table)`);
  if (f.created) lines.push(`  registered ${f.created}${f.newlyRegistered ? ': newly registered' : ''} (managed-domain table)`);
  for (const a of f.addresses.slice(0, 4)) lines.push(`  ${a.host} at ${a.ip}${a.range ? `, our range ${a.range}${who(a.account)}` : ''} (${a.source})`);
  if (f.nameservers.length > 0) lines.push(`  name servers ${f.nameservers.slice(0, 4).join(', ')} (DNS NS)`);
  if (f.mailServers.length > 0) lines.push(`  mail servers ${f.mailServers.slice(0, 4).join(', ')} (DNS MX)`);
  for (const list of f.blocklists) lines.push(`  ${list.meaning.replace('_', ' ')} (${list.source})`);
  for (const gap of f.unavailable.slice(0, 3)) lines.push(`  unavailable: ${gap}`);
  return lines;
}

export function summariseEvidence(e: CaseEvidence): string {
  const lines: string[] = [];
  const count = e.reportedMessages.length;
  const incomplete = e.complete ? '' : `, report incomplete${e.missing ? `: missing ${e.missing.replace(/_/g, ' ')}` : ''}`;
  lines.push(`Evidence: ${e.grade} (${count} reported message${count === 1 ? '' : 's'}${incomplete})`);
  lines.push(`Abuse type: ${e.abuseType}${e.abuseReasons?.length ? ` (${e.abuseReasons.join('; ')})` : ''}`);
  const named = e.resources;
  if (named && named.urls.length + named.domains.length + named.ips.length > 0) {
    lines.push('Named in the report:');
    for (const url of named.urls.slice(0, MAX_NAMED)) lines.push(`  URL ${url}`);
    for (const domain of named.domains.slice(0, MAX_NAMED)) lines.push(`  domain ${domain}`);
    for (const ip of named.ips.slice(0, MAX_NAMED)) lines.push(`  IP ${ip}`);
    if (named.times.length > 0) lines.push(`  seen ${named.times.slice(0, 3).join(', ')}`);
  }
  if (e.assessment) lines.push(`Assessment of ${e.assessment.domain}: ${e.assessment.verdict} (${e.assessment.reasons.join('; ')})`);
  if (e.suggestedMeasure) {
    const m = e.suggestedMeasure;
    lines.push(`Suggested measure: ${m.measure} ${m.target}${who(m.account)}: ${m.reason}`);
  } else {
    lines.push('Suggested measure: none');
  }
  if (e.arf) lines.push(`ARF report: ${e.arf.feedbackType}${e.arf.sourceIp ? `, source IP ${e.arf.sourceIp}` : ''}`);
  if (e.xarf) lines.push(`X-ARF report: ${e.xarf.type ?? 'unknown type'}${e.xarf.valid ? '' : ' (does not validate)'}`);
  for (const origin of e.origins.filter((o) => o.source !== 'received' && o.range)) {
    lines.push(`Reporter states source ${origin.ip} in ${origin.range}${who(origin.account)}: ${origin.reason}`);
  }
  for (const finding of (e.enrichment ?? []).slice(0, 5)) lines.push(...findingLines(finding));
  e.reportedMessages.slice(0, MAX_MESSAGES).forEach((message, i) => lines.push(...messageLines(message, i)));
  if (count > MAX_MESSAGES) lines.push(`… and ${count - MAX_MESSAGES} more message(s)`);
  if (e.problems.length > 0) {
    lines.push(`Problems (${e.problems.length}):`);
    for (const p of e.problems.slice(0, MAX_PROBLEMS)) lines.push(`  - ${p}`);
  }
  return lines.join('\n');
}
