import type { Brand } from '../../config/brands.js';
import type { Tx } from '../../db/index.js';
import type { Case } from '../../generated/prisma/client.js';
import { settleDeadline } from '../../deadlines/settle.js';
import type { CaseDeps, Effects } from '../context.js';
import type { Incoming } from '../incoming.js';
import { sendCaseMessage } from '../messaging.js';
import { forwardToStaff } from './complainant.js';

/**
 * The registrar's customer answers a hearing: their words go to whoever works
 * the case, the hearing deadline is met, and the specialist is asked to decide
 * (#action … to apply the measure, #dismiss if the customer disproved it).
 */
export async function handleCustomerMessage(tx: Tx, effects: Effects, deps: CaseDeps, brand: Brand, theCase: Case, incoming: Incoming): Promise<void> {
  await forwardToStaff(tx, effects, deps, brand, theCase, incoming, 'customer_reply');
  const answered = await settleDeadline(tx, brand, theCase.id, 'customer_response', 'met', deps.now(), incoming.sender);
  if (!answered) return;
  const hearing = await tx.caseEvent.findFirst({ where: { caseId: theCase.id, type: 'customer_notified' }, orderBy: { seq: 'desc' }, select: { data: true } });
  const domain = (hearing?.data as { domain?: string } | null)?.domain ?? '(see case)';
  await sendCaseMessage(
    tx, effects, deps, theCase, theCase.assignee ?? brand.specialistAddress, 'decision_needed', 'en',
    { ticket: theCase.ticket, domain, reason: 'customer_replied' },
    { kind: 'decision_needed', autoSubmitted: 'auto-generated', dedupeKey: `decision:${incoming.inboundId}` },
  );
}
