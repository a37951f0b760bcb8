import type { Brand, PolicyName } from '../config/brands.js';
import { calendarForBrand } from './calendar.js';

/**
 * What the desk promises, per brand policy (SPEC §3), and when each
 * deadline falls. Each kind runs from its own start:
 * - acknowledge, respond: receipt of the complaint (or of an escalation);
 * - escalation_window: our response; when it passes, the case is resolved;
 * - final_response: receipt of the escalated complaint (per step, two-step);
 * - customer_response: our request to the customer concerned;
 * - review, mitigate: receipt of a DNS-abuse report about a managed domain
 *   (RAA 3.18: review it, then decide on mitigation promptly). A trusted
 *   notifier's report is reviewed within 24 hours whatever the brand says.
 */
export const DEADLINE_KINDS = ['acknowledge', 'respond', 'escalation_window', 'final_response', 'customer_response', 'review', 'mitigate'] as const;
export type DeadlineKind = (typeof DEADLINE_KINDS)[number];

export interface WorkingDaysRule {
  unit: 'working-days';
  days: number;
}

export interface ClockHoursRule {
  unit: 'clock-hours';
  hours: number;
}

export type DeadlineRule = WorkingDaysRule | ClockHoursRule;

export interface DeadlinePolicy {
  acknowledge: DeadlineRule;
  respond: WorkingDaysRule;
  escalationWindow: WorkingDaysRule;
  /** Per escalation step. */
  finalResponse: WorkingDaysRule;
  escalationSteps: 1 | 2;
}

const workingDays = (days: number): WorkingDaysRule => ({ unit: 'working-days', days });

export const DEADLINE_POLICIES: Readonly<Record<PolicyName, DeadlinePolicy>> = {
  // Seeds 000–003.
  standard: {
    acknowledge: workingDays(2),
    respond: workingDays(10),
    escalationWindow: workingDays(20),
    finalResponse: workingDays(10),
    escalationSteps: 1,
  },
  // Seed 004: step 1 by e-mail, step 2 by post to management (recorded through
  // the API), each acknowledged within 24 hours and answered within 10 working
  // days. The seed states no window for escalating, so we keep the standard 20
  // working days rather than leave cases open for ever.
  'two-step': {
    acknowledge: { unit: 'clock-hours', hours: 24 },
    respond: workingDays(10),
    escalationWindow: workingDays(20),
    finalResponse: workingDays(10),
    escalationSteps: 2,
  },
};

/**
 * Kinds where a specialist owes the next move. Acknowledgements go out at
 * once without one, and the other kinds wait on someone else.
 */
const SPECIALIST_OWES: ReadonlySet<DeadlineKind> = new Set(['respond', 'final_response', 'mitigate']);

/** The RAA asks well-founded reports from law enforcement to be reviewed within 24 hours. */
export const TRUSTED_REVIEW_HOURS = 24;

export function deadlineRule(brand: Brand, kind: DeadlineKind): DeadlineRule {
  const policy = DEADLINE_POLICIES[brand.policy];
  switch (kind) {
    case 'acknowledge':
      return policy.acknowledge;
    case 'respond':
      return policy.respond;
    case 'escalation_window':
      return policy.escalationWindow;
    case 'final_response':
      return policy.finalResponse;
    case 'customer_response':
      return workingDays(brand.customerResponseWorkingDays);
    case 'review':
      return { unit: 'clock-hours', hours: brand.dnsAbuse.reviewHours };
    case 'mitigate':
      return workingDays(brand.dnsAbuse.decisionWorkingDays);
  }
}

/** When a deadline of `kind` that started at `start` falls due. */
export function dueAt(brand: Brand, kind: DeadlineKind, start: Date): Date {
  const rule = deadlineRule(brand, kind);
  const calendar = calendarForBrand(brand);
  return rule.unit === 'clock-hours' ? calendar.addHours(start, rule.hours) : calendar.withinWorkingDays(start, rule.days);
}

/**
 * When to remind the specialist: the end of the working day that leaves
 * `brand.reminderWorkingDays` full working days before the due day ends.
 * `due` is the deadline's current due instant when it was moved (an extension).
 * Null when no reminder applies: reminders switched off (0), a deadline no
 * specialist has to act on, or a reminder that would not fall after the start.
 */
export function reminderAt(brand: Brand, kind: DeadlineKind, start: Date, due: Date = dueAt(brand, kind, start)): Date | null {
  if (brand.reminderWorkingDays === 0 || !SPECIALIST_OWES.has(kind)) return null;
  const calendar = calendarForBrand(brand);
  const dueDay = calendar.localDate(due);
  const reminder = calendar.endOfLocalDay(calendar.addWorkingDays(dueDay, -brand.reminderWorkingDays));
  return reminder.getTime() > start.getTime() ? reminder : null;
}

/**
 * The deadlines known at receipt. Later ones depend on events that have not
 * happened yet (our response, an escalation), so they are given in days.
 * Snake-case keys: this is also the CLI's JSON and the deadline kinds' names.
 */
export interface DueDates {
  policy: PolicyName;
  receivedAt: Date;
  acknowledge: Date;
  respond: Date;
  escalation_window_days: number;
  final_response_days: number;
  escalation_steps: 1 | 2;
  customer_response_days: number;
}

export function dueDatesFor(brand: Brand, receivedAt: Date): DueDates {
  const policy = DEADLINE_POLICIES[brand.policy];
  return {
    policy: brand.policy,
    receivedAt,
    acknowledge: dueAt(brand, 'acknowledge', receivedAt),
    respond: dueAt(brand, 'respond', receivedAt),
    escalation_window_days: policy.escalationWindow.days,
    final_response_days: policy.finalResponse.days,
    escalation_steps: policy.escalationSteps,
    customer_response_days: brand.customerResponseWorkingDays,
  };
}

export function describeRule(rule: DeadlineRule): string {
  if (rule.unit === 'clock-hours') return `${rule.hours} hours`;
  return `${rule.days} working day${rule.days === 1 ? '' : 's'}`;
}
