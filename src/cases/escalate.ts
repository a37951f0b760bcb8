import { appendEvent } from '../audit/events.js';
import type { Brand, Language } from '../config/brands.js';
import type { Tx } from '../db/index.js';
import type { EscalationStep } from '../deadlines/policies.js';
import { openDeadline } from '../deadlines/schedule.js';
import { settleDeadline } from '../deadlines/settle.js';
import type { Case } from '../generated/prisma/client.js';
import { describeVerdict } from '../intake/verdict-words.js';
import type { CaseDeps, Effects } from './context.js';
import type { Incoming } from './incoming.js';
import { sendCaseMessage } from './messaging.js';
import { changeState } from './state.js';

/**
 * Escalates a case that we answered: the window is met, the case is escalated,
 * the final response deadline opens, and both the complainant and the desk hear of it.
 * Also used for a step 2 received by post (recorded through the API).
 */
export async function escalate(
  tx: Tx,
  effects: Effects,
  deps: CaseDeps,
  brand: Brand,
  theCase: Case,
  step: EscalationStep,
  actor: string,
  incoming: Incoming | null,
): Promise<void> {
  const now = deps.now();
  await settleDeadline(tx, brand, theCase.id, 'escalation_window', 'met', now, actor);
  await changeState(tx, theCase, 'escalated', actor, incoming ? 'escalated complaint received by email' : 'escalated complaint received by post');
  await tx.case.update({ where: { id: theCase.id }, data: { escalationStep: step } });
  await appendEvent(tx, { caseId: theCase.id, type: 'escalated', actor, data: { step, channel: incoming ? 'email' : 'post' } });
  const deadline = await openDeadline(tx, { caseId: theCase.id, brand, kind: 'final_response', start: now, step });
  effects.deadlines.push({ brand, deadline });

  // Seed 004 promises an acknowledgement within 24 hours for each step, the one by
  // post to management included; we answer it by email, where we know the complainant.
  await sendCaseMessage(
    tx, effects, deps, theCase, theCase.complainantAddress, 'escalation_received', theCase.language as Language,
    { ticket: theCase.ticket, brandName: brand.name, finalResponseBy: deadline.dueAt, timeZone: brand.timeZone, ...(brand.policy === 'two-step' ? { step } : {}) },
    { kind: 'escalation_ack', autoSubmitted: incoming ? 'auto-replied' : 'auto-generated', dedupeKey: `escalation-ack:${theCase.id}:${step}` },
  );
  await sendCaseMessage(
    tx, effects, deps, theCase, theCase.assignee ?? brand.specialistAddress, 'specialist_notice', 'en',
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
