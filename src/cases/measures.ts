import { createHash } from 'node:crypto';
import { isIP } from 'node:net';
import { getDomain } from 'tldts';
import type { Tx } from '../db/index.js';
import type { Case } from '../generated/prisma/client.js';
import { newId } from '../lib/ids.js';
import { managedRangeOf } from '../managed/lookup.js';
import type { CaseWork } from './work.js';

export const MEASURE_NAMES = ['suspend-domain', 'block-account', 'deactivate-service'] as const;
export type MeasureName = (typeof MEASURE_NAMES)[number];

/** The platform drops a repeat with the same key: one per case, measure and target. */
export function measureIdempotencyKey(ticket: string, measure: string, target: string): string {
  return createHash('sha256').update(`${ticket}\n${measure}\n${target.toLowerCase()}`).digest('hex').slice(0, 32);
}

/**
 * A specialist confirms a measure: it is recorded as pending and handed to the
 * measures queue, which sends it to the registrar's platform. Confirming a
 * measure pending or done changes nothing; one that failed or was dismissed
 * is sent again (the measure_failed alert tells the specialist to do so),
 * under the same idempotency key.
 */
export async function proposeMeasure(work: CaseWork, measure: MeasureName, target: string, actor: string): Promise<void> {
  const { tx, theCase } = work;
  const key = measureIdempotencyKey(theCase.ticket, measure, target);
  const existing = await tx.measure.findUnique({ where: { idempotencyKey: key }, select: { id: true, status: true } });
  if (existing && (existing.status === 'pending' || existing.status === 'done')) return;
  const account = await accountOfTarget(tx, measure, target);
  const id = existing?.id ?? newId();
  const at = work.now();
  await tx.measure.upsert({
    where: { idempotencyKey: key },
    create: { id, caseId: theCase.id, measure, target: target.toLowerCase(), account, idempotencyKey: key, requestedBy: actor, at },
    update: { status: 'pending', requestedBy: actor, attempts: 0, lastError: null, at },
  });
  await work.event('measure_requested', { actor, data: { measure, target, account, again: existing !== null } });
  work.effects.measures.push({ measureId: id, requestedAt: at });
}

/**
 * `#lift <target>`: a measure in effect is reversed through the same signed
 * webhook (operation `lift`, a key of its own), and its holder is told once
 * the platform has done it. False when no measure on `target` is in effect.
 */
export async function requestLift(work: CaseWork, target: string, reason: string | null, actor: string): Promise<boolean> {
  const { tx, theCase } = work;
  const applied = await tx.measure.findFirst({ where: { caseId: theCase.id, operation: 'apply', status: 'done', target: target.toLowerCase() }, orderBy: { at: 'desc' } });
  if (!applied) return false;
  const key = measureIdempotencyKey(theCase.ticket, `lift:${applied.measure}:${applied.id}`, applied.target);
  const existing = await tx.measure.findUnique({ where: { idempotencyKey: key }, select: { id: true, status: true } });
  if (existing && (existing.status === 'pending' || existing.status === 'done')) return true;
  const id = existing?.id ?? newId();
  const at = work.now();
  await tx.measure.upsert({
    where: { idempotencyKey: key },
    create: { id, caseId: theCase.id, measure: applied.measure, operation: 'lift', target: applied.target, account: applied.account, idempotencyKey: key, requestedBy: actor, at, lastError: null },
    update: { status: 'pending', requestedBy: actor, attempts: 0, lastError: null, at },
  });
  await work.event('measure_lift_requested', { actor, reason, data: { measure: applied.measure, target: applied.target, account: applied.account } });
  work.effects.measures.push({ measureId: id, requestedAt: at });
  return true;
}

/** The customer account the platform acts on: the account itself, the range's holder for an IP, or the domain's. */
async function accountOfTarget(tx: Tx, measure: MeasureName, target: string): Promise<string | null> {
  const value = target.toLowerCase();
  if (measure === 'block-account') return target;
  if (isIP(value)) return (await managedRangeOf(tx, value))?.account ?? null;
  const registrable = getDomain(value) ?? value;
  const managed = await tx.managedDomain.findUnique({ where: { domain: registrable }, select: { account: true } });
  return managed?.account ?? null;
}

export type DismissOutcome =
  | { kind: 'dismissed' }
  /** A measure already carried out, or being sent: a dismissal cannot stop it. */
  | { kind: 'in_effect'; measure: string; target: string; status: string };

/**
 * The customer disproved the complaint: the measures not yet carried out (not
 * sent, or failed) are recorded as dismissed — or, when none was confirmed,
 * the suggested one — and the hearing deadline ends. A measure in effect is
 * left as it is: the platform has acted, and the record must say so.
 */
export async function dismissMeasures(work: CaseWork, reason: string | null, actor: string): Promise<DismissOutcome> {
  const { tx, theCase } = work;
  const stoppable = { caseId: theCase.id, operation: 'apply', OR: [{ status: 'pending', attempts: 0 }, { status: 'failed' }] };
  const stopped = await tx.measure.updateMany({ where: stoppable, data: { status: 'dismissed', lastError: reason } });
  if (stopped.count === 0) {
    const inEffect = await tx.measure.findFirst({
      where: { caseId: theCase.id, operation: 'apply', OR: [{ status: 'done' }, { status: 'pending', attempts: { gt: 0 } }] },
      select: { measure: true, target: true, status: true },
    });
    if (inEffect) return { kind: 'in_effect', ...inEffect };
    await recordSuggestedAsDismissed(tx, theCase, reason, actor);
  }
  await work.settle('customer_response', 'cancelled', work.now(), actor);
  await work.event('measure_dismissed', { actor, reason });
  return { kind: 'dismissed' };
}

/** Nothing was confirmed: the measure the evidence suggested is what the customer averted. */
async function recordSuggestedAsDismissed(tx: Tx, theCase: Case, reason: string | null, actor: string): Promise<void> {
  const suggested = theCase.suggestedMeasure ? (JSON.parse(theCase.suggestedMeasure) as { measure?: string; target?: string; account?: string | null }) : null;
  if (!suggested?.measure || !suggested.target) return;
  const idempotencyKey = measureIdempotencyKey(theCase.ticket, suggested.measure, suggested.target);
  await tx.measure.upsert({
    where: { idempotencyKey },
    create: {
      id: newId(),
      caseId: theCase.id,
      measure: suggested.measure,
      target: suggested.target,
      account: suggested.account ?? null,
      idempotencyKey,
      requestedBy: actor,
      status: 'dismissed',
      lastError: reason,
    },
    update: { lastError: reason },
  });
}
