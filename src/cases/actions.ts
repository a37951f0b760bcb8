import { z } from 'zod';
import type { Brand, Language } from '../config/brands.js';
import type { Tx } from '../db/index.js';
import type { Case } from '../generated/prisma/client.js';
import { calendarForBrand, isLocalDate } from '../deadlines/calendar.js';
import { DEADLINE_POLICIES } from '../deadlines/policies.js';
import { openDeadline } from '../deadlines/schedule.js';
import { settleDeadline } from '../deadlines/settle.js';
import { ESCALATION_MARKERS } from '../deadlines/escalation.js';
import type { Attachment } from '../outbound/compose.js';
import { brandOf, inTransaction, type CaseDeps, type Effects } from './context.js';
import { appendEvent } from './events.js';
import { escalate } from './handlers/escalation.js';
import { sendCaseMessage } from './messaging.js';
import { OPEN_STATES, type CaseState } from './model.js';
import { lockCase } from './lock.js';
import { changeState } from './state.js';
import { proposeMeasure, dismissMeasures, type MeasureName } from './measures.js';
import { settleTriage } from './triage.js';
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
export async function performAction(tx: Tx, effects: Effects, deps: CaseDeps, theCase: Case, action: CaseAction, context: ActionContext): Promise<void> {
  await runAction(tx, effects, deps, theCase, action, context);
  // Any action on a DNS-abuse case is its review; a measure, a dismissal or a resolution its mitigation decision.
  if (theCase.kind === 'abuse') await settleTriage(tx, brandOf(deps, theCase.brand), theCase.id, MITIGATION_DECISIONS.has(action.action) ? 'decision' : 'review', deps.now(), context.actor);
}

const MITIGATION_DECISIONS: ReadonlySet<CaseAction['action']> = new Set(['measure', 'dismiss', 'resolve']);

async function runAction(tx: Tx, effects: Effects, deps: CaseDeps, theCase: Case, action: CaseAction, context: ActionContext): Promise<void> {
  const brand = brandOf(deps, theCase.brand);
  const state = theCase.state as CaseState;
  const open = OPEN_STATES.includes(state);
  const require = (condition: boolean, reason: string) => {
    if (!condition) throw new ActionConflict(reason);
  };
  switch (action.action) {
    case 'respond':
      require(open && state !== 'responded', `the case is ${state.replace('_', ' ')}: there is no open question to respond to`);
      return respond(tx, effects, deps, brand, theCase, action.text, context);
    case 'extend':
      require(open, `the case is ${state}`);
      return extend(tx, effects, deps, brand, theCase, action.until, action.reason, context.actor);
    case 'need-info':
      require(['received', 'acknowledged', 'in_progress', 'escalated', 'awaiting_information'].includes(state), `the case is ${state.replace('_', ' ')}`);
      await appendEvent(tx, { caseId: theCase.id, type: 'information_requested', actor: context.actor });
      await relay(tx, effects, deps, brand, theCase, 'need_info', action.text, context, 'need_info');
      if (state !== 'awaiting_information') await changeState(tx, theCase, 'awaiting_information', context.actor, 'information requested from the complainant');
      return;
    case 'assign':
      require(open, `the case is ${state}`);
      await tx.case.update({ where: { id: theCase.id }, data: { assignee: action.to } });
      await appendEvent(tx, { caseId: theCase.id, type: 'assigned', actor: context.actor, data: { to: action.to } });
      theCase.assignee = action.to;
      if (state === 'received' || state === 'acknowledged') await changeState(tx, theCase, 'in_progress', context.actor, `assigned to ${action.to}`);
      return;
    case 'resolve':
      require(open, `the case is already ${state}`);
      return resolve(tx, effects, deps, brand, theCase, action.outcome, context);
    case 'record-postal-escalation':
      require(brand.policy === 'two-step', `brand ${brand.id} follows the standard policy, which has no escalation by post`);
      require(state === 'responded' && theCase.escalationStep === 1, 'a postal escalation (step 2) follows our answer to step 1');
      return escalate(tx, effects, deps, brand, theCase, 2, context.actor, null);
    case 'note':
      await appendEvent(tx, { caseId: theCase.id, type: 'note_added', actor: context.actor, data: { text: truncate(action.text, 10_000) } });
      return;
    case 'measure':
      require(theCase.kind === 'abuse', 'measures apply to abuse cases');
      require(open, `the case is ${state}`);
      return proposeMeasure(tx, effects, deps, theCase, action.measure as MeasureName, action.target, context.actor);
    case 'dismiss': {
      require(open, `the case is ${state}`);
      const outcome = await dismissMeasures(tx, deps, theCase, action.reason ?? null, context.actor);
      if (outcome.kind === 'in_effect') {
        const where = outcome.status === 'done' ? 'carried out' : 'being sent to the platform';
        throw new ActionConflict(`${outcome.measure} ${outcome.target} is already ${where}; a dismissal cannot undo it (reverse it on the platform and record that with #internal)`);
      }
      return;
    }
  }
}

async function respond(tx: Tx, effects: Effects, deps: CaseDeps, brand: Brand, theCase: Case, text: string, context: ActionContext): Promise<void> {
  const now = deps.now();
  const escalated = theCase.state === 'escalated';
  const step = theCase.escalationStep as 0 | 1 | 2;
  const lastStep = DEADLINE_POLICIES[brand.policy].escalationSteps;
  // What the complainant may do next: reply (escalate by email), write to
  // management by post (seed 004's step 2), or nothing after the last step.
  const escalation = escalated && step >= lastStep ? 'none' : brand.policy === 'two-step' && escalated ? 'post' : 'email';
  await relay(tx, effects, deps, brand, theCase, 'response', text, context, 'response', { keyword: nextEscalationKeyword(brand, theCase), escalation });
  await settleDeadline(tx, brand, theCase.id, escalated ? 'final_response' : 'respond', 'met', now, context.actor);
  await changeState(tx, theCase, 'responded', context.actor, escalated ? `final response to escalation step ${step}` : 'response sent', { respondedAt: now });
  await appendEvent(tx, { caseId: theCase.id, type: 'responded', actor: context.actor, data: { escalationStep: step } });

  if (escalated && step >= lastStep) {
    // The final answer to the last escalation step: nothing further to escalate.
    await changeState(tx, theCase, 'resolved', 'system', 'final response to the last escalation step', { resolvedAt: now, resolution: 'final_response' });
    await appendEvent(tx, { caseId: theCase.id, type: 'resolved', actor: 'system', reason: 'final_response' });
    return;
  }
  const window = await openDeadline(tx, { caseId: theCase.id, brand, kind: 'escalation_window', start: now, step });
  effects.deadlines.push({ brand, deadline: window });
}

async function extend(tx: Tx, effects: Effects, deps: CaseDeps, brand: Brand, theCase: Case, until: string, reason: string | undefined, actor: string): Promise<void> {
  const deadline = await tx.deadline.findFirst({
    where: { caseId: theCase.id, kind: { in: ['respond', 'final_response'] }, status: 'pending' },
    orderBy: { dueAt: 'asc' },
  });
  if (!deadline) throw new ActionConflict('there is no pending response deadline to extend');
  const now = deps.now();
  if (now.getTime() > deadline.dueAt.getTime()) {
    throw new ActionConflict(`the response deadline passed on ${deadline.dueAt.toISOString()}; an extension must be announced before it`);
  }
  const calendar = calendarForBrand(brand);
  if (until <= calendar.localDate(deadline.dueAt)) throw new ActionConflict(`${until} is not later than the current deadline (${calendar.localDate(deadline.dueAt)})`);
  if (!calendar.isWorkingDay(until)) throw new ActionConflict(`${until} is not a working day for brand ${brand.id}`);
  const newDue = calendar.endOfLocalDay(until);
  await tx.deadline.update({ where: { id: deadline.id }, data: { dueAt: newDue, reminderSentAt: null } });
  await appendEvent(tx, {
    caseId: theCase.id,
    type: 'deadline_extended',
    actor,
    reason: reason ?? null,
    data: { kind: deadline.kind, from: deadline.dueAt.toISOString(), to: newDue.toISOString(), originalDueAt: deadline.originalDueAt.toISOString() },
  });
  effects.deadlines.push({ brand, deadline: { ...deadline, dueAt: newDue }, previousDue: deadline.dueAt });
  await sendCaseMessage(
    tx, effects, deps, theCase, theCase.complainantAddress, 'extension_notice', theCase.language as Language,
    { ticket: theCase.ticket, brandName: brand.name, newDate: newDue, timeZone: brand.timeZone, ...(reason ? { reason } : {}) },
    { kind: 'extension', autoSubmitted: 'auto-generated', dedupeKey: `extension:${deadline.id}:${newDue.getTime()}` },
  );
}

async function resolve(tx: Tx, effects: Effects, deps: CaseDeps, brand: Brand, theCase: Case, outcome: string | undefined, context: ActionContext): Promise<void> {
  const now = deps.now();
  // Confirmed measures still being sent count too: the complainant is told what was decided (a failure alerts the specialist).
  const measures = await tx.measure.findMany({ where: { caseId: theCase.id, status: { in: ['pending', 'done'] } }, orderBy: { at: 'asc' }, select: { measure: true, target: true } });
  if (!theCase.silent && theCase.kind !== 'feedback') {
    await sendCaseMessage(
      tx, effects, deps, theCase, theCase.complainantAddress, 'outcome', theCase.language as Language,
      { ticket: theCase.ticket, brandName: brand.name, result: outcome ?? '', measures: measures.map((m) => ({ measure: m.measure as MeasureName, target: m.target })) },
      { kind: 'outcome', autoSubmitted: null, role: 'specialist', relayed: true, dedupeKey: `outcome:${theCase.id}` },
    );
    await settleDeadline(tx, brand, theCase.id, theCase.state === 'escalated' ? 'final_response' : 'respond', 'met', now, context.actor);
  }
  for (const kind of ['acknowledge', 'respond', 'final_response', 'escalation_window', 'customer_response'] as const) {
    await settleDeadline(tx, brand, theCase.id, kind, 'cancelled', now, context.actor);
  }
  await changeState(tx, theCase, 'resolved', context.actor, outcome ?? 'resolved', { resolvedAt: now, resolution: outcome ?? 'resolved' });
  await appendEvent(tx, { caseId: theCase.id, type: 'resolved', actor: context.actor, reason: outcome ?? null, data: { measures: measures.length } });
}

/** A specialist's words to the complainant, from the brand mailbox, in the case's thread. */
async function relay(
  tx: Tx,
  effects: Effects,
  deps: CaseDeps,
  brand: Brand,
  theCase: Case,
  template: 'response' | 'need_info',
  text: string,
  context: ActionContext,
  kind: string,
  footer: { keyword?: string; escalation?: 'email' | 'post' | 'none' } = {},
): Promise<void> {
  const vars = { ticket: theCase.ticket, brandName: brand.name, text, ...(footer.keyword ? { keyword: footer.keyword } : {}), ...(footer.escalation ? { escalation: footer.escalation } : {}) };
  await sendCaseMessage(tx, effects, deps, theCase, theCase.complainantAddress, template, theCase.language as Language, vars, {
    kind,
    autoSubmitted: null,
    role: 'specialist',
    relayed: true,
    attachments: context.attachments,
  });
}

/** For two-step brands, the marker the complainant writes to take the next step. */
function nextEscalationKeyword(brand: Brand, theCase: Case): string | undefined {
  if (brand.policy !== 'two-step') return undefined;
  const next = theCase.escalationStep + 1;
  const markers = ESCALATION_MARKERS['two-step'].filter((marker) => marker.step === next);
  return (markers.find((marker) => marker.language === theCase.language) ?? markers[0])?.text;
}

/** Runs an action on the case with this ticket, in its own transaction. */
export async function runCaseAction(deps: CaseDeps, ticket: string, action: CaseAction, context: ActionContext): Promise<void> {
  await inTransaction(deps, async (tx, effects) => {
    const theCase = await lockCase(tx, { ticket });
    if (!theCase) throw new CaseNotFound(`no case ${ticket}`);
    await performAction(tx, effects, deps, theCase, action, context);
  });
}

