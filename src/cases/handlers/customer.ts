import { newId } from '../../lib/ids.js';
import { hearingDomain } from '../hearing.js';
import type { Incoming } from '../incoming.js';
import type { CaseWork } from '../work.js';
import { forwardToStaff } from './complainant.js';

/**
 * The registrar's customer answers a hearing: their words go to whoever works
 * the case, the hearing deadline is met, and the specialist is asked to decide
 * (#action … to apply the measure, #dismiss if the customer disproved it).
 */
export async function handleCustomerMessage(work: CaseWork, incoming: Incoming): Promise<void> {
  await forwardToStaff(work, incoming, 'customer_reply');
  const answered = await work.settle('customer_response', 'met', work.now(), incoming.sender);
  if (!answered) return appealIfMeasured(work, incoming);
  const domain = await hearingDomain(work.tx, work.theCase.id);
  await work.send(
    work.desk,
    'decision_needed',
    { ticket: work.theCase.ticket, domain, reason: 'customer_replied' },
    { kind: 'decision_needed', autoSubmitted: 'auto-generated', dedupeKey: `decision:${incoming.inboundId}` },
  );
}

/**
 * A reply after a measure was applied contests it (the statement of reasons
 * says how): the hearing reopens as an appeal, and the specialist decides
 * again — #lift to reverse the measure, or keep it and say why.
 */
async function appealIfMeasured(work: CaseWork, incoming: Incoming): Promise<void> {
  const { tx, theCase } = work;
  const applied = await tx.measure.findFirst({ where: { caseId: theCase.id, operation: 'apply', status: 'done' }, orderBy: { at: 'desc' } });
  if (!applied) return;
  await work.event('appeal_received', { actor: incoming.sender, data: { measure: applied.measure, target: applied.target } });
  await tx.hearing.create({ data: { id: newId(), caseId: theCase.id, account: applied.account ?? '', status: 'appeal', email: incoming.sender, domain: applied.target, measure: applied.measure, at: work.now() } });
  await work.send(
    work.desk,
    'decision_needed',
    { ticket: theCase.ticket, domain: applied.target, reason: 'appeal' },
    { kind: 'decision_needed', autoSubmitted: 'auto-generated', dedupeKey: `appeal:${incoming.inboundId}` },
  );
}
