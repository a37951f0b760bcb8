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

export function summariseEvidence(e: CaseEvidence): string {
  const lines: string[] = [];
  const count = e.reportedMessages.length;
  lines.push(`Evidence: ${e.grade} (${count} reported message${count === 1 ? '' : 's'}${e.complete ? '' : ', report incomplete'})`);
  lines.push(`Abuse type: ${e.abuseType}`);
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
  e.reportedMessages.slice(0, MAX_MESSAGES).forEach((message, i) => lines.push(...messageLines(message, i)));
  if (count > MAX_MESSAGES) lines.push(`… and ${count - MAX_MESSAGES} more message(s)`);
  if (e.problems.length > 0) {
    lines.push(`Problems (${e.problems.length}):`);
    for (const p of e.problems.slice(0, MAX_PROBLEMS)) lines.push(`  - ${p}`);
  }
  return lines.join('\n');
}
