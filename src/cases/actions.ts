import { z } from 'zod';
import type { Brand } from '../config/brands.js';
import type { Case } from '../generated/prisma/client.js';
import { calendarForBrand, isLocalDate } from '../deadlines/calendar.js';
import { DEADLINE_POLICIES } from '../deadlines/policies.js';
import { twoStepMarker } from '../deadlines/escalation-markers.js';
import type { Attachment } from '../outbound/compose.js';
import { escalate } from './escalate.js';
import { OPEN_STATES, type CaseState } from './model.js';
import { incidentCases } from './incidents.js';
import { lockCase } from './lock.js';
import { proposeMeasure, dismissMeasures, requestLift, type MeasureName } from './measures.js';
import { settleTriage } from './triage.js';
import { inTransaction, type CaseWork } from './work.js';
import type { CaseDeps } from './context.js';
import { isEmailAddress, truncate } from '../lib/text.js';

const isoDate = z.string().regex(/^\d{4}-\d{2}-\d{2}$/, 'expected YYYY-MM-DD').refine(isLocalDate, 'no such date');
const address = z.string().trim().toLowerCase().refine(isEmailAddress, 'expected an e-mail address');

/** What a specialist can do to a case, through the API or by email commands. */
export const actionSchema = z.discriminatedUnion('action', [
  z.object({ action: z.literal('respond'), text: z.string().trim().min(1, 'text must not be empty') }),
  z.object({ action: z.literal('extend'), until: isoDate, reason: z.string().trim().optional() }),
  z.object({ action: z.literal('need-info'), text: z.string().trim().min(1, 'text must not be empty') }),
  z.object({ action: z.literal('assign'), to: address }),
  z.object({ action: z.literal('resolve'), outcome: z.string().trim().optional() }),
  z.object({ action: z.literal('record-postal-escalation') }),
  z.object({ action: z.literal('note'), text: z.string().trim().min(1) }),
  z.object({
    action: z.literal('measure'),
    measure: z.enum(['suspend-domain', 'block-account', 'deactivate-service']),
    target: z.string().trim().min(1).max(253),
  }),
  z.object({ action: z.literal('dismiss'), reason: z.string().trim().optional() }),
  z.object({ action: z.literal('lift'), target: z.string().trim().min(1).max(253), reason: z.string().trim().max(2_000).optional() }),
]);
export type CaseAction = z.infer<typeof actionSchema>;

/** The action does not fit the case as it is now (HTTP 409). */
export class ActionConflict extends Error {
  override readonly name = 'ActionConflict';
}

export class CaseNotFound extends Error {
  override readonly name = 'CaseNotFound';
}

export interface ActionContext {
  /** The verified staff sender (by email), or the signed-in account's name (dashboard, API). */
  actor: string;
  /** Files a specialist attached to an emailed reply: relayed with the text. */
  attachments?: Attachment[];
}

/**
 * Runs one action inside the caller's transaction: checks it fits the state,
 * writes the audit event, sends what it sends, moves deadlines.
 */
export async function performAction(work: CaseWork, action: CaseAction, context: ActionContext): Promise<void> {
  const incidentId = work.theCase.incidentId;
  if (incidentId && INCIDENT_ACTIONS.has(action.action)) return performIncidentAction(work, incidentId, action, context);
  await runAction(work, action, context);
  // Any action on a DNS-abuse case is its review; a measure, a dismissal or a resolution its mitigation decision.
  if (work.theCase.kind === 'abuse') await settleTriage(work, MITIGATION_DECISIONS.has(action.action) ? 'decision' : 'review', context.actor);
}

const MITIGATION_DECISIONS: ReadonlySet<CaseAction['action']> = new Set(['measure', 'dismiss', 'resolve']);
/** What a specialist decides for a whole incident, from a reply to any of its cases. */
const INCIDENT_ACTIONS: ReadonlySet<CaseAction['action']> = new Set(['measure', 'dismiss', 'resolve', 'lift']);

/**
 * A measure, a dismissal or a resolution in an incident's case is the
 * incident's: the measure and the dismissal go to its first case (where the
 * hearing and the mitigation clock run, so the platform gets one request), a
 * resolution resolves every open case, each reporter told in their own
 * language. The incident is locked already (`lockCase`), so its cases are
 * taken one at a time in a fixed order.
 */
async function performIncidentAction(work: CaseWork, incidentId: string, action: CaseAction, context: ActionContext): Promise<void> {
  const incident = await work.tx.incident.findUniqueOrThrow({ where: { id: incidentId } });
  const primary = incident.primaryCaseId === work.theCase.id ? work : await otherCaseWork(work, incident.primaryCaseId);
  if (action.action === 'resolve') {
    const cases = await incidentCases(work.tx, incidentId);
    const caseIds = cases.map((c) => c.id);
    for (const member of cases) {
      const memberWork = member.id === work.theCase.id ? work : await otherCaseWork(work, member.id);
      if (!OPEN_STATES.includes(memberWork.theCase.state as CaseState)) continue;
      await resolve(memberWork, action.outcome, context, caseIds);
    }
    await work.tx.incident.update({ where: { id: incidentId }, data: { state: 'closed', outcome: 'resolved', closedAt: work.now() } });
  } else {
    await runAction(primary, action, context);
  }
  await settleTriage(primary, 'decision', context.actor);
  if (primary !== work) await work.event('incident_action', { actor: context.actor, data: { incident: incidentId, action: action.action, on: primary.theCase.ticket } });
}

async function otherCaseWork(work: CaseWork, caseId: string): Promise<CaseWork> {
  const theCase = await lockCase(work.tx, { id: caseId });
  if (!theCase) throw new Error(`case ${caseId} of an incident is missing`);
  return work.forCase(theCase);
}

async function runAction(work: CaseWork, action: CaseAction, context: ActionContext): Promise<void> {
  const { theCase, brand } = work;
  const state = theCase.state as CaseState;
  const open = OPEN_STATES.includes(state);
  const require = (condition: boolean, reason: string) => {
    if (!condition) throw new ActionConflict(reason);
  };
  switch (action.action) {
    case 'respond':
      require(open && state !== 'responded', `the case is ${state.replace('_', ' ')}: there is no open question to respond to`);
      return respond(work, action.text, context);
    case 'extend':
      require(open, `the case is ${state}`);
      return extend(work, action.until, action.reason, context.actor);
    case 'need-info':
      require(['received', 'acknowledged', 'in_progress', 'escalated', 'awaiting_information'].includes(state), `the case is ${state.replace('_', ' ')}`);
      await work.event('information_requested', { actor: context.actor });
      await relay(work, 'need_info', action.text, context, 'need_info');
      if (state !== 'awaiting_information') await work.changeState('awaiting_information', context.actor, 'information requested from the complainant');
      return;
    case 'assign':
      require(open, `the case is ${state}`);
      await work.tx.case.update({ where: { id: theCase.id }, data: { assignee: action.to } });
      await work.event('assigned', { actor: context.actor, data: { to: action.to } });
      theCase.assignee = action.to;
      if (state === 'received' || state === 'acknowledged') await work.changeState('in_progress', context.actor, `assigned to ${action.to}`);
      return;
    case 'resolve':
      require(open, `the case is already ${state}`);
      return resolve(work, action.outcome, context);
    case 'record-postal-escalation':
      require(brand.policy === 'two-step', `brand ${brand.id} follows the standard policy, which has no escalation by post`);
      require(state === 'responded' && theCase.escalationStep === 1, 'a postal escalation (step 2) follows our answer to step 1');
      return escalate(work, 2, context.actor, null);
    case 'note':
      await work.event('note_added', { actor: context.actor, data: { text: truncate(action.text, 10_000) } });
      return;
    case 'measure':
      require(theCase.kind === 'abuse', 'measures apply to abuse cases');
      require(open, `the case is ${state}`);
      return proposeMeasure(work, action.measure as MeasureName, action.target, context.actor);
    case 'lift': {
      require(theCase.kind === 'abuse', 'measures apply to abuse cases');
      const lifted = await requestLift(work, action.target, action.reason ?? null, context.actor);
      if (!lifted) throw new ActionConflict(`no measure on ${action.target} is in effect in this case`);
      return;
    }
    case 'dismiss': {
      require(open, `the case is ${state}`);
      const outcome = await dismissMeasures(work, action.reason ?? null, context.actor);
      if (outcome.kind === 'in_effect') {
        const where = outcome.status === 'done' ? 'carried out' : 'being sent to the platform';
        throw new ActionConflict(`${outcome.measure} ${outcome.target} is already ${where}; a dismissal cannot undo it (reverse it on the platform and record that with #internal)`);
      }
      return;
    }
  }
}

async function respond(work: CaseWork, text: string, context: ActionContext): Promise<void> {
  const { theCase, brand } = work;
  const now = work.now();
  const escalated = theCase.state === 'escalated';
  const step = theCase.escalationStep as 0 | 1 | 2;
  const lastStep = DEADLINE_POLICIES[brand.policy].escalationSteps;
  // What the complainant may do next: reply (escalate by email), write to
  // management by post (seed 004's step 2), or nothing after the last step.
  const escalation = escalated && step >= lastStep ? 'none' : brand.policy === 'two-step' && escalated ? 'post' : 'email';
  await relay(work, 'response', text, context, 'response', { keyword: nextEscalationKeyword(brand, theCase), escalation });
  await work.settle(escalated ? 'final_response' : 'respond', 'met', now, context.actor);
  await work.changeState('responded', context.actor, escalated ? `final response to escalation step ${step}` : 'response sent', { respondedAt: now });
  await work.event('responded', { actor: context.actor, data: { escalationStep: step } });

  if (escalated && step >= lastStep) {
    // The final answer to the last escalation step: nothing further to escalate.
    await work.changeState('resolved', 'system', 'final response to the last escalation step', { resolvedAt: now, resolution: 'final_response' });
    await work.event('resolved', { actor: 'system', reason: 'final_response' });
    return;
  }
  await work.openDeadline('escalation_window', now, step);
}

async function extend(work: CaseWork, until: string, reason: string | undefined, actor: string): Promise<void> {
  const { theCase, brand } = work;
  const deadline = await work.tx.deadline.findFirst({
    where: { caseId: theCase.id, kind: { in: ['respond', 'final_response'] }, status: 'pending' },
    orderBy: { dueAt: 'asc' },
  });
  if (!deadline) throw new ActionConflict('there is no pending response deadline to extend');
  const now = work.now();
  if (now.getTime() > deadline.dueAt.getTime()) {
    throw new ActionConflict(`the response deadline passed on ${deadline.dueAt.toISOString()}; an extension must be announced before it`);
  }
  const calendar = calendarForBrand(brand);
  if (until <= calendar.localDate(deadline.dueAt)) throw new ActionConflict(`${until} is not later than the current deadline (${calendar.localDate(deadline.dueAt)})`);
  if (!calendar.isWorkingDay(until)) throw new ActionConflict(`${until} is not a working day for brand ${brand.id}`);
  const newDue = calendar.endOfLocalDay(until);
  await work.tx.deadline.update({ where: { id: deadline.id }, data: { dueAt: newDue, reminderSentAt: null } });
  await work.event('deadline_extended', {
    actor,
    reason: reason ?? null,
    data: { kind: deadline.kind, from: deadline.dueAt.toISOString(), to: newDue.toISOString(), originalDueAt: deadline.originalDueAt.toISOString() },
  });
  work.effects.deadlines.push({ brand, deadline: { ...deadline, dueAt: newDue }, previousDue: deadline.dueAt });
  await work.send(
    work.complainant,
    'extension_notice',
    { ticket: theCase.ticket, brandName: brand.name, newDate: newDue, timeZone: brand.timeZone, ...(reason ? { reason } : {}) },
    { kind: 'extension', autoSubmitted: 'auto-generated', dedupeKey: `extension:${deadline.id}:${newDue.getTime()}` },
  );
}

/** `measuresOf`: the cases whose measures count (an incident's: all of them). */
async function resolve(work: CaseWork, outcome: string | undefined, context: ActionContext, measuresOf: string[] = [work.theCase.id]): Promise<void> {
  const { theCase, brand } = work;
  const now = work.now();
  // Confirmed measures still being sent count too: the complainant is told what was decided (a failure alerts the specialist).
  const measures = await work.tx.measure.findMany({
    where: { caseId: { in: measuresOf }, operation: 'apply', status: { in: ['pending', 'done'] } },
    orderBy: { at: 'asc' },
    select: { measure: true, target: true },
  });
  if (!theCase.silent && theCase.kind !== 'feedback') {
    await work.send(
      work.complainant,
      'outcome',
      { ticket: theCase.ticket, brandName: brand.name, result: outcome ?? '', measures: measures.map((m) => ({ measure: m.measure as MeasureName, target: m.target })) },
      { kind: 'outcome', autoSubmitted: null, role: 'specialist', relayed: true, dedupeKey: `outcome:${theCase.id}` },
    );
    await work.settle(theCase.state === 'escalated' ? 'final_response' : 'respond', 'met', now, context.actor);
  }
  for (const kind of ['acknowledge', 'respond', 'final_response', 'escalation_window', 'customer_response'] as const) {
    await work.settle(kind, 'cancelled', now, context.actor);
  }
  await work.changeState('resolved', context.actor, outcome ?? 'resolved', { resolvedAt: now, resolution: outcome ?? 'resolved' });
  await work.event('resolved', { actor: context.actor, reason: outcome ?? null, data: { measures: measures.length } });
}

/** A specialist's words to the complainant, from the brand mailbox, in the case's thread. */
async function relay(
  work: CaseWork,
  template: 'response' | 'need_info',
  text: string,
  context: ActionContext,
  kind: string,
  footer: { keyword?: string; escalation?: 'email' | 'post' | 'none' } = {},
): Promise<void> {
  const vars = { ticket: work.theCase.ticket, brandName: work.brand.name, text, ...(footer.keyword ? { keyword: footer.keyword } : {}), ...(footer.escalation ? { escalation: footer.escalation } : {}) };
  await work.send(work.complainant, template, vars, {
    kind,
    autoSubmitted: null,
    role: 'specialist',
    relayed: true,
    attachments: context.attachments,
  });
}

/** For two-step brands, the marker the complainant writes to take the next step. */
function nextEscalationKeyword(brand: Brand, theCase: Case): string | undefined {
  return brand.policy === 'two-step' ? twoStepMarker(theCase.language, theCase.escalationStep + 1) : undefined;
}

/** Runs an action on the case with this ticket, in its own transaction. */
export async function runCaseAction(deps: CaseDeps, ticket: string, action: CaseAction, context: ActionContext): Promise<void> {
  await inTransaction(deps, async (work) => {
    const theCase = await lockCase(work.tx, { ticket });
    if (!theCase) throw new CaseNotFound(`no case ${ticket}`);
    await performAction(work.forCase(theCase), action, context);
  });
}
