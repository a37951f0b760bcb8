import { createHash } from 'node:crypto';
import { getDomain } from 'tldts';
import type { Tx } from '../db/index.js';
import type { Case } from '../generated/prisma/client.js';
import { newId } from '../lib/ids.js';
import type { CaseDeps, Effects } from './context.js';
import { appendEvent } from './events.js';

export const MEASURE_NAMES = ['suspend-domain', 'block-account', 'deactivate-service'] as const;
export type MeasureName = (typeof MEASURE_NAMES)[number];

/** The platform drops a repeat with the same key: one per case, measure and target. */
export function measureIdempotencyKey(ticket: string, measure: string, target: string): string {
  return createHash('sha256').update(`${ticket}\n${measure}\n${target.toLowerCase()}`).digest('hex').slice(0, 32);
}

/**
 * A specialist confirms a measure: it is recorded as pending and handed to the
 * measures queue, which sends it to the registrar's platform. Confirming the
 * same measure twice changes nothing.
 */
export async function proposeMeasure(tx: Tx, effects: Effects, _deps: CaseDeps, theCase: Case, measure: MeasureName, target: string, actor: string): Promise<void> {
  const key = measureIdempotencyKey(theCase.ticket, measure, target);
  const existing = await tx.measure.findUnique({ where: { idempotencyKey: key }, select: { id: true, status: true } });
  if (existing && existing.status !== 'dismissed') return;
  const registrable = getDomain(target.toLowerCase()) ?? target.toLowerCase();
  const managed = await tx.managedDomain.findUnique({ where: { domain: registrable }, select: { account: true } });
  const id = existing?.id ?? newId();
  await tx.measure.upsert({
    where: { idempotencyKey: key },
    create: { id, caseId: theCase.id, measure, target: target.toLowerCase(), account: managed?.account ?? null, idempotencyKey: key, requestedBy: actor },
    update: { status: 'pending', requestedBy: actor, attempts: 0, lastError: null },
  });
  await appendEvent(tx, { caseId: theCase.id, type: 'measure_requested', actor, data: { measure, target, account: managed?.account ?? null } });
  effects.measures.push(id);
}

/**
 * The customer disproved the complaint: the measure under consideration is
 * recorded as dismissed and the hearing deadline ends.
 */
export async function dismissMeasures(tx: Tx, _deps: CaseDeps, theCase: Case, reason: string | null, actor: string): Promise<void> {
  const pending = await tx.measure.updateMany({ where: { caseId: theCase.id, status: 'pending', attempts: 0 }, data: { status: 'dismissed', lastError: reason } });
  const suggested = theCase.suggestedMeasure ? (JSON.parse(theCase.suggestedMeasure) as { measure?: string; target?: string }) : null;
  if (pending.count === 0 && suggested?.measure && suggested.target) {
    await tx.measure.upsert({
      where: { idempotencyKey: measureIdempotencyKey(theCase.ticket, suggested.measure, suggested.target) },
      create: {
        id: newId(),
        caseId: theCase.id,
        measure: suggested.measure,
        target: suggested.target,
        idempotencyKey: measureIdempotencyKey(theCase.ticket, suggested.measure, suggested.target),
        requestedBy: actor,
        status: 'dismissed',
        lastError: reason,
      },
      update: { status: 'dismissed', lastError: reason },
    });
  }
  await tx.deadline.updateMany({ where: { caseId: theCase.id, kind: 'customer_response', status: 'pending' }, data: { status: 'cancelled' } });
  await appendEvent(tx, { caseId: theCase.id, type: 'measure_dismissed', actor, reason });
}
