import { bullets, formatDateTime, languageName, oneLine, paragraphs, verbatim } from './format.js';
import type { StaffCaseKind, StaffTemplateName, TemplateSet } from './types.js';

// The desk works in English; every staff message renders in English whatever
// language the case is in.

const when = (date: Date, timeZone: string): string => formatDateTime(date, 'en', timeZone);

const DEADLINE_LABELS: Readonly<Record<string, string>> = {
  acknowledge: 'Acknowledgement',
  respond: 'Response to the complainant',
  escalation_window: 'Escalation window closes',
  final_response: 'Final response to the escalation',
  customer_response: 'Customer may disprove the complaint until',
  review: 'Review of the DNS-abuse report',
  mitigate: 'Mitigation decision (measure or dismissal)',
};

const PRIORITY_LABELS: Readonly<Record<string, string>> = {
  urgent: 'URGENT: a trusted notifier reported this',
  high: 'high: DNS abuse concerning a domain or address we manage',
};

const deadlineLabel = (kind: string): string => DEADLINE_LABELS[kind] ?? kind.replace(/[_-]+/g, ' ');

const KIND_LABELS: Readonly<Record<StaffCaseKind, string>> = {
  abuse: 'abuse report',
  complaint: 'complaint',
  'complaint-escalation': 'escalated complaint',
  feedback: 'feedback',
};

const footer = 'Reply to this email to work the case; lines at the top of your reply starting with # are commands.';

export const COMMANDS_HELP = [
  'Working this case by email: reply to this email. Lines at the top of your reply that start',
  'with # are commands; the rest of your reply is relayed to the complainant from the desk',
  'mailbox (your own address is never shown), unless #internal is one of the commands.',
  '',
  '  #internal                      a note for the case file only; nothing is relayed',
  '  #assign me                     take the case',
  '  #assign <address>              give the case to a colleague on the staff list',
  '  #extend YYYY-MM-DD [reason]    move the response date; the complainant is told the new date',
  '  #need-info                     your text is a question; the case waits for the answer',
  '  #resolve [outcome]             close the case as resolved; the outcome goes to the complainant',
  '  #action <measure> <target>     confirm a measure: suspend-domain, block-account or',
  '                                 deactivate-service; it is handed to the platform',
  '  #dismiss [reason]              close the case without measures',
  '  (for DNS abuse, any command is the review; #action, #dismiss and #resolve the mitigation decision)',
].join('\n');

export const staff: TemplateSet<StaffTemplateName> = {
  specialist_notice: (v) => {
    const lines = [
      `Case:          ${v.ticket} (${KIND_LABELS[v.caseKind]})`,
      `Complainant:   ${v.complainant}`,
      v.trustedNotifier !== undefined && `Reported by:   ${oneLine(v.trustedNotifier)}, a trusted notifier of this brand`,
      v.priority !== undefined && v.priority !== 'normal' && `Priority:      ${PRIORITY_LABELS[v.priority] ?? v.priority}`,
      v.originalSubject !== undefined && `Subject:       ${oneLine(v.originalSubject)}`,
      `Language:      ${languageName(v.language)} (${v.language}); write your reply in ${languageName(v.language)}, it is relayed as written`,
      `Sender check:  ${oneLine(v.verdictSummary, 300)}`,
    ].filter((line): line is string => typeof line === 'string');
    const urgency = v.priority === 'urgent' ? 'URGENT ' : v.priority === 'high' ? 'priority ' : '';
    return {
      // "[TICKET] kind: original subject": the desk's mail client sorts and threads by it.
      subject: `${urgency}${v.caseKind}: ${oneLine(v.originalSubject ?? `from ${v.complainant}`)}`,
      text: paragraphs(
        `A new case has been opened and needs a specialist.`,
        lines.join('\n'),
        v.deadlines.length > 0
          ? `Deadlines:\n${bullets(v.deadlines.map((d) => `${deadlineLabel(d.kind)}: ${when(d.dueAt, v.timeZone)}`))}`
          : 'Deadlines: none.',
        v.evidenceSummary !== undefined && v.evidenceSummary.trim() !== '' && `Evidence:\n${verbatim(v.evidenceSummary)}`,
        'The original message is attached.',
        v.commandsHelp ? COMMANDS_HELP : footer,
      ),
    };
  },

  deadline_reminder: (v) => ({
    subject: `Reminder: ${deadlineLabel(v.kind)} due ${when(v.dueAt, v.timeZone)}`,
    text: paragraphs(
      `Case ${v.ticket}: the deadline “${deadlineLabel(v.kind)}” falls due on ${when(v.dueAt, v.timeZone)}.`,
      'If you need more time, send #extend YYYY-MM-DD [reason] before then so that the complainant is told the new date.',
      footer,
    ),
  }),

  deadline_breached: (v) => ({
    subject: `Deadline missed: ${deadlineLabel(v.kind)}`,
    text: paragraphs(
      `Case ${v.ticket}: the deadline “${deadlineLabel(v.kind)}” passed on ${when(v.dueAt, v.timeZone)} and has been recorded as breached.`,
      'Please act on the case now.',
      footer,
    ),
  }),

  command_error: (v) => ({
    subject: 'Command not understood',
    text: paragraphs(
      `Case ${v.ticket}: your reply was not processed because of this line:`,
      `  ${oneLine(v.line, 300)}`,
      `Reason: ${oneLine(v.reason, 300)}`,
      'Please correct the command and send your reply again.',
      COMMANDS_HELP,
    ),
  }),

  complainant_reply: (v) => ({
    subject: 'The complainant replied',
    text: paragraphs(`Case ${v.ticket}: the complainant replied:`, verbatim(v.text), footer),
  }),

  customer_reply: (v) => ({
    subject: v.domain ? `The customer replied about ${v.domain}` : 'The customer replied',
    text: paragraphs(
      `Case ${v.ticket}: the customer${v.domain ? ` holding ${v.domain}` : ''} replied to our hearing:`,
      verbatim(v.text),
      footer,
    ),
  }),

  decision_needed: (v) => ({
    subject: `Decision needed: ${v.domain}`,
    text: paragraphs(
      {
        customer_replied: `Case ${v.ticket}: the customer holding ${v.domain} has replied to our hearing. Please review the reply and decide.`,
        deadline_passed: `Case ${v.ticket}: the customer holding ${v.domain} has not disproved the complaint by the deadline. Please decide.`,
        appeal: `Case ${v.ticket}: the customer holding ${v.domain} contests the measure applied to it (an appeal). Please review their reply (forwarded separately) and decide: #lift ${v.domain} [reason] reverses the measure; to keep it, answer them with your reasons.`,
      }[v.reason],
      'To apply the measure, reply with #action suspend-domain|block-account|deactivate-service <target>; to close the case without measures, reply with #dismiss [reason].',
      footer,
    ),
  }),

  measure_failed: (v) => ({
    subject: `Measure failed: ${v.measure} ${v.target}`,
    text: paragraphs(
      `Case ${v.ticket}: the platform did not apply ${v.measure} for ${v.target}.`,
      `Error: ${verbatim(v.error)}`,
      `The measure is not in effect. Check the target and send #action ${v.measure} ${v.target} again, or apply it by hand and note it with #internal.`,
      footer,
    ),
  }),

  incident_digest: (v) => ({
    subject: `Incident ${v.target}: ${v.reports.length} new report${v.reports.length === 1 ? '' : 's'} (${v.total} in all)`,
    text: paragraphs(
      `The incident about ${v.target} (${v.state}) has ${v.reports.length} new report${v.reports.length === 1 ? '' : 's'} since the last digest, ${v.total} in all. Each reporter has their own ticket and was acknowledged; the hearing, the mitigation clock and the measures run on ${v.ticket}.`,
      bullets(v.reports.map((r) => `${r.ticket}: ${r.abuseType}, from ${r.reporter} (${r.language}), ${when(r.receivedAt, v.timeZone)}`)),
      'Reply to this email to work the incident: #action, #dismiss and #resolve apply to all of its cases, and the outcome goes to every reporter in their own language.',
    ),
  }),

  associated_domains: (v) => ({
    subject: `Associated domains of ${v.domain} to review`,
    text: paragraphs(
      `${v.domain} was suspended as maliciously registered (case ${v.ticket}). These managed domains look related to it; nothing has been done to them. Please review each:`,
      bullets(v.domains.map((d) => `${d.domain}: ${d.reasons.join('; ')}${d.listed.length > 0 ? `; listed: ${d.listed.join('; ')}` : ''}`)),
      'A domain you find abused gets its own measure: reply with #action suspend-domain <domain>, or write to the abuse desk about it.',
    ),
  }),
};
