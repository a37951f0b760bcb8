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
  if (!answered) return;
  const domain = await hearingDomain(work.tx, work.theCase.id);
  await work.send(
    work.desk,
    'decision_needed',
    { ticket: work.theCase.ticket, domain, reason: 'customer_replied' },
    { kind: 'decision_needed', autoSubmitted: 'auto-generated', dedupeKey: `decision:${incoming.inboundId}` },
  );
}
