import type { Tx } from '../db/index.js';
import { settleDeadline } from '../deadlines/settle.js';
import { brandOf, type CaseDeps } from './context.js';
import { lockCase } from './lock.js';
import { changeState } from './state.js';

/** The kinds of message whose sending changes their case; the incomplete-report reply also tells the writer we have their report. */
export const KINDS_THAT_ACKNOWLEDGE: ReadonlySet<string> = new Set(['ack', 'incomplete_report']);

/**
 * What a delivered message means for its case: the acknowledgement (or the
 * incomplete-report reply) going out meets the acknowledge deadline and moves
 * a received case to acknowledged.
 */
export async function afterSent(tx: Tx, deps: Pick<CaseDeps, 'brands'>, sent: { caseId: string; kind: string; at: Date }): Promise<void> {
  if (!KINDS_THAT_ACKNOWLEDGE.has(sent.kind)) return;
  // Locked: a specialist's action on the case at the same moment must not make
  // this step fail after the acknowledgement already left (it would be resent).
  const theCase = await lockCase(tx, { id: sent.caseId });
  if (!theCase) return;
  await settleDeadline(tx, brandOf(deps, theCase.brand), theCase.id, 'acknowledge', 'met', sent.at);
  if (theCase.state === 'received') await changeState(tx, theCase, 'acknowledged', 'system', 'acknowledgement sent');
}
