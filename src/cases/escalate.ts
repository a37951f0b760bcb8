import type { Language } from '../config/brands.js';
import type { EscalationStep } from '../deadlines/escalation-markers.js';
import { describeVerdict } from '../intake/verdict-words.js';
import type { Incoming } from './incoming.js';
import type { CaseWork } from './work.js';

/**
 * Escalates a case that we answered: the window is met, the case is escalated,
 * the final response deadline opens, and both the complainant and the desk hear of it.
 * Also used for a step 2 received by post (recorded through the API).
 */
export async function escalate(work: CaseWork, step: EscalationStep, actor: string, incoming: Incoming | null): Promise<void> {
  const { theCase, brand } = work;
  const now = work.now();
  await work.settle('escalation_window', 'met', now, actor);
  await work.changeState('escalated', actor, incoming ? 'escalated complaint received by email' : 'escalated complaint received by post');
  await work.tx.case.update({ where: { id: theCase.id }, data: { escalationStep: step } });
  await work.event('escalated', { actor, data: { step, channel: incoming ? 'email' : 'post' } });
  const deadline = await work.openDeadline('final_response', now, step);

  // Seed 004 promises an acknowledgement within 24 hours for each step, the one by
  // post to management included; we answer it by email, where we know the complainant.
  await work.send(
    work.complainant,
    'escalation_received',
    { ticket: theCase.ticket, brandName: brand.name, finalResponseBy: deadline.dueAt, timeZone: brand.timeZone, ...(brand.policy === 'two-step' ? { step } : {}) },
    { kind: 'escalation_ack', autoSubmitted: incoming ? 'auto-replied' : 'auto-generated', dedupeKey: `escalation-ack:${theCase.id}:${step}` },
  );
  await work.send(
    work.desk,
    'specialist_notice',
    {
      ticket: theCase.ticket,
      caseKind: 'complaint-escalation',
      complainant: theCase.complainantAddress,
      originalSubject: incoming?.headers.subject ?? theCase.subject,
      verdictSummary: incoming ? describeVerdict(incoming.verdict) : 'Received by post and recorded by a specialist.',
      deadlines: [{ kind: 'final_response', dueAt: deadline.dueAt }],
      language: theCase.language as Language,
      timeZone: brand.timeZone,
      commandsHelp: true,
    },
    {
      kind: 'escalation_notice',
      autoSubmitted: 'auto-generated',
      dedupeKey: `escalation-notice:${theCase.id}:${step}`,
      attachments: incoming ? [{ filename: `${theCase.ticket}-escalation.eml`, content: incoming.raw, contentType: 'message/rfc822' }] : undefined,
    },
  );
}
