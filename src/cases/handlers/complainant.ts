import type { Brand } from '../../config/brands.js';
import type { Tx } from '../../db/index.js';
import type { Case } from '../../generated/prisma/client.js';
import { openDeadline } from '../../deadlines/schedule.js';
import type { CaseDeps, Effects } from '../context.js';
import { caseEvidence, mergeEvidence, recordEvidence } from '../evidence.js';
import { openHearing } from '../hearing.js';
import type { Incoming } from '../incoming.js';
import { sendCaseMessage } from '../messaging.js';
import { changeState } from '../state.js';
import { handleEscalation } from './escalation.js';

/**
 * The complainant writes again: an escalation when the subject says so,
 * otherwise more information for the case, passed to whoever works it.
 */
export async function handleComplainantMessage(tx: Tx, effects: Effects, deps: CaseDeps, brand: Brand, theCase: Case, incoming: Incoming): Promise<void> {
  if (await handleEscalation(tx, effects, deps, brand, theCase, incoming)) return;
  await completeReport(tx, effects, deps, brand, theCase, incoming);
  if (theCase.state === 'awaiting_information') {
    await changeState(tx, theCase, 'in_progress', incoming.sender, 'the complainant sent more information');
  }
  await forwardToStaff(tx, effects, deps, brand, theCase, incoming, 'complainant_reply');
}

/**
 * A reply in an abuse case may carry the reported message we asked for: its
 * evidence joins the case, and a report that is now complete starts the
 * response clock and, where our customer is concerned, the hearing.
 */
async function completeReport(tx: Tx, effects: Effects, deps: CaseDeps, brand: Brand, theCase: Case, incoming: Incoming): Promise<void> {
  if (theCase.kind !== 'abuse' || !incoming.evidence || incoming.evidence.reportedMessages.length === 0) return;
  const before = caseEvidence(theCase);
  const merged = mergeEvidence(before, incoming.evidence);
  await recordEvidence(tx, theCase, merged, incoming.sender);
  if (!merged.complete || before?.complete) return;
  const respond = await openDeadline(tx, { caseId: theCase.id, brand, kind: 'respond', start: deps.now() });
  effects.deadlines.push({ brand, deadline: respond });
  await openHearing(tx, effects, deps, brand, theCase, merged);
}

/** Passes a message on to the case's assignee, or the specialist address, with the original attached. */
export async function forwardToStaff(
  tx: Tx,
  effects: Effects,
  deps: CaseDeps,
  brand: Brand,
  theCase: Case,
  incoming: Incoming,
  template: 'complainant_reply' | 'customer_reply',
): Promise<void> {
  await sendCaseMessage(
    tx,
    effects,
    deps,
    theCase,
    theCase.assignee ?? brand.specialistAddress,
    template,
    'en',
    { ticket: theCase.ticket, text: incoming.text || '(no readable text; see the attached original)' },
    {
      kind: template === 'complainant_reply' ? 'forward' : 'customer_forward',
      autoSubmitted: 'auto-generated',
      dedupeKey: `forward:${incoming.inboundId}`,
      attachments: [{ filename: `${theCase.ticket}-${incoming.inboundId.slice(0, 8)}.eml`, content: incoming.raw, contentType: 'message/rfc822' }],
      inReplyTo: null,
    },
  );
}
