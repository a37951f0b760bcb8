import { createHmac } from 'node:crypto';
import { UnrecoverableError } from 'bullmq';
import type { Language } from '../config/brands.js';
import { brandOf, type CaseDeps } from '../cases/context.js';
import { caseEvidence } from '../cases/evidence.js';
import { reviewAssociatedDomains } from '../cases/associated.js';
import { evidenceForCustomer } from '../cases/hearing.js';
import type { MeasureName } from '../cases/measures.js';
import { inTransaction } from '../cases/work.js';
import type { Account, Measure, Prisma } from '../generated/prisma/client.js';
import type { CaseWork } from '../cases/work.js';
import { summariseEvidence } from '../mail/evidence/index.js';
import type { ReportAbuseType } from '../outbound/templates/types.js';

export interface MeasureDeps {
  /** MEASURES_WEBHOOK_URL: used when a brand sets no measuresWebhook. */
  defaultUrl?: string;
  /** WEBHOOK_SECRET: the platform checks X-Signature with it. */
  secret: string;
  fetch?: typeof fetch;
  timeoutMs?: number;
}

export function signBody(body: string, secret: string): string {
  return `sha256=${createHmac('sha256', secret).update(body).digest('hex')}`;
}

/**
 * Hands a confirmed measure to the registrar's platform: a signed POST, retried
 * by the queue with backoff until the platform says yes (at least once; the
 * idempotency key lets it drop repeats). Its answer is kept on the measure.
 */
export async function executeMeasure(measureId: string, deps: CaseDeps, measures: MeasureDeps): Promise<'done' | 'not_pending'> {
  const measure = await deps.db.measure.findUnique({ where: { id: measureId }, include: { case: true } });
  if (!measure || measure.status !== 'pending') return 'not_pending';
  const brand = brandOf(deps, measure.case.brand);
  const url = brand.measuresWebhook ?? measures.defaultUrl;
  if (!url) throw new UnrecoverableError(`no measures webhook: set measuresWebhook for brand ${brand.id} or MEASURES_WEBHOOK_URL`);

  const evidence = caseEvidence(measure.case);
  const body = JSON.stringify({
    case: measure.case.ticket,
    // apply, or lift: reverse a measure applied earlier (same case, measure and target).
    operation: measure.operation,
    measure: measure.measure,
    target: measure.target,
    account: measure.account,
    evidence: evidence ? summariseEvidence(evidence) : null,
    idempotencyKey: measure.idempotencyKey,
  });
  const signal = AbortSignal.timeout(measures.timeoutMs ?? 10_000);
  let response: Response;
  try {
    response = await (measures.fetch ?? fetch)(url, {
      method: 'POST',
      headers: { 'Content-Type': 'application/json', 'X-Signature': signBody(body, measures.secret), 'Idempotency-Key': measure.idempotencyKey },
      body,
      signal,
    });
  } catch (error) {
    await noteAttempt(deps, measureId, `request failed: ${(error as Error).message}`);
    throw error;
  }
  const answer = (await response.text()).slice(0, 4_000);
  if (!response.ok) {
    await noteAttempt(deps, measureId, `platform answered ${response.status}: ${answer.slice(0, 300)}`);
    throw new Error(`measures webhook answered ${response.status}`);
  }

  await inTransaction(deps, async (unit) => {
    const done = await unit.tx.measure.updateMany({
      where: { id: measureId, status: 'pending' },
      data: { status: 'done', doneAt: deps.now(), attempts: { increment: 1 }, lastError: null, response: { status: response.status, body: parseAnswer(answer) } as Prisma.InputJsonValue },
    });
    if (done.count === 0) return;
    const work = unit.forCase(measure.case);
    const account = measure.account ? await unit.tx.account.findUnique({ where: { account: measure.account } }) : null;
    if (measure.operation === 'lift') {
      await liftDone(work, measure, account, response.status);
      return;
    }
    await work.event('measure_done', { actor: 'system', data: { measure: measure.measure, target: measure.target, status: response.status } });
    if (account) {
      // The statement of reasons: what was found, on which evidence, which measure from when, how to contest.
      const theCase = measure.case;
      await work.send(
        { address: account.email.toLowerCase(), language: account.language as Language },
        'measure_applied',
        {
          ticket: theCase.ticket,
          brandName: brand.name,
          measure: measure.measure as MeasureName,
          target: measure.target,
          appliedAt: deps.now(),
          timeZone: brand.timeZone,
          ...(theCase.abuseType ? { abuseType: theCase.abuseType as ReportAbuseType } : {}),
          ...(evidence ? { evidenceSummary: evidenceForCustomer(evidence, theCase) } : {}),
          withhold: [theCase.complainantAddress, ...(theCase.complainantName ? [theCase.complainantName] : [])],
        },
        { kind: 'measure_applied', autoSubmitted: 'auto-generated', dedupeKey: `measure-applied:${measure.id}` },
      );
    }
  });
  // Best effort, after the measure is recorded: a failed look-up must not send the measure again.
  await reviewAssociatedDomains(measureId, deps).catch((error: unknown) => deps.logger.warn({ err: error, measureId }, 'associated domains could not be reviewed'));
  return 'done';
}

/** The platform reversed a measure: the applied one is marked lifted, and its holder is told with the reason given. */
async function liftDone(work: CaseWork, lift: Measure, account: Account | null, status: number): Promise<void> {
  const { tx, theCase, brand } = work;
  await tx.measure.updateMany({ where: { caseId: lift.caseId, operation: 'apply', status: 'done', measure: lift.measure, target: lift.target }, data: { status: 'lifted' } });
  const requested = await tx.caseEvent.findFirst({ where: { caseId: lift.caseId, type: 'measure_lift_requested' }, orderBy: { seq: 'desc' }, select: { reason: true } });
  await work.event('measure_lifted', { actor: 'system', reason: requested?.reason ?? null, data: { measure: lift.measure, target: lift.target, status } });
  if (!account) return;
  await work.send(
    { address: account.email.toLowerCase(), language: account.language as Language },
    'measure_lifted',
    { ticket: theCase.ticket, brandName: brand.name, measure: lift.measure as MeasureName, target: lift.target, liftedAt: work.now(), timeZone: brand.timeZone, ...(requested?.reason ? { reason: requested.reason } : {}) },
    { kind: 'measure_lifted', autoSubmitted: 'auto-generated', dedupeKey: `measure-lifted:${lift.id}` },
  );
}

/** After the last retry: the measure failed, and the specialist hears of it. */
export async function measureFailed(measureId: string, reason: string, deps: CaseDeps): Promise<void> {
  await inTransaction(deps, async (unit) => {
    const measure = await unit.tx.measure.findUnique({ where: { id: measureId }, include: { case: true } });
    if (!measure || measure.status !== 'pending') return;
    await unit.tx.measure.update({ where: { id: measureId }, data: { status: 'failed', lastError: reason.slice(0, 500) } });
    const work = unit.forCase(measure.case);
    await work.event('measure_failed', { actor: 'system', reason: reason.slice(0, 500), data: { measure: measure.measure, target: measure.target } });
    await work.send(
      work.desk,
      'measure_failed',
      { ticket: measure.case.ticket, measure: measure.measure as MeasureName, target: measure.target, error: reason.slice(0, 500) },
      { kind: 'measure_failed', autoSubmitted: 'auto-generated', dedupeKey: `measure-failed:${measure.id}` },
    );
  });
}

async function noteAttempt(deps: CaseDeps, measureId: string, error: string): Promise<void> {
  await deps.db.measure.update({ where: { id: measureId }, data: { attempts: { increment: 1 }, lastError: error.slice(0, 500) } }).catch((dbError: unknown) => deps.logger.warn({ err: dbError }, 'could not note a measure attempt'));
}

function parseAnswer(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return text;
  }
}
