import type { Tx } from '../db/index.js';
import type { Case } from '../generated/prisma/client.js';
import { appendEvent } from '../audit/events.js';
import { canMove, type CaseState } from './model.js';

export class InvalidTransitionError extends Error {
  override readonly name = 'InvalidTransitionError';
  constructor(
    readonly from: string,
    readonly to: string,
  ) {
    super(`a case that is ${from.replace('_', ' ')} cannot become ${to.replace('_', ' ')}`);
  }
}

/** Columns that change with the state. */
export interface StateExtra {
  respondedAt?: Date;
  resolvedAt?: Date;
  resolution?: string | null;
}

/**
 * Moves a case to another state and records who did it and why. The update is
 * conditional on the state read, so two concurrent moves cannot both win.
 */
export async function changeState(
  tx: Tx,
  theCase: Pick<Case, 'id' | 'state'>,
  to: CaseState,
  actor: string,
  reason: string | null,
  extra: StateExtra = {},
): Promise<void> {
  if (theCase.state === to) return;
  if (!canMove(theCase.state as CaseState, to)) throw new InvalidTransitionError(theCase.state, to);
  const { count } = await tx.case.updateMany({ where: { id: theCase.id, state: theCase.state }, data: { state: to, ...extra } });
  if (count !== 1) throw new InvalidTransitionError(theCase.state, to);
  await appendEvent(tx, { caseId: theCase.id, type: 'state_changed', actor, reason, data: { from: theCase.state, to } });
  theCase.state = to;
}
