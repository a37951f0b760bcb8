import { appendEvent, eventMark, rewindEvents, withEventBuffer, type EventInput, type EventType } from '../audit/events.js';
import { brandDomain, type Brand, type Language } from '../config/brands.js';
import type { Tx } from '../db/index.js';
import type { DeadlineKind } from '../deadlines/policies.js';
import { openDeadline, type DeadlineRef } from '../deadlines/schedule.js';
import { settleDeadline, type Settlement } from '../deadlines/settle.js';
import type { Case } from '../generated/prisma/client.js';
import { composeMessage } from '../outbound/compose.js';
import { recordOutgoing, type RecordOutcome } from '../outbound/outbox.js';
import { renderTemplate, type TemplateName, type TemplateVars } from '../outbound/templates/index.js';
import { brandOf, Effects, type CaseDeps } from './context.js';
import { caseMailbox, threadHeaders, type SendOptions } from './messaging.js';
import type { CaseState } from './model.js';
import { changeState, type StateExtra } from './state.js';

/** Who a case message goes to, and in which language. */
export interface Recipient {
  address: string;
  language: Language;
}

/**
 * One transaction's worth of case work: the transaction, what it leaves to do
 * after the commit, and the world it runs in. Case code passes this one object
 * instead of the transaction, effects and dependencies one by one.
 */
export class Work {
  private savepoints = 0;

  constructor(
    readonly tx: Tx,
    readonly effects: Effects,
    readonly deps: CaseDeps,
  ) {}

  now(): Date {
    return this.deps.now();
  }

  /** The same transaction, about one case. */
  forCase(theCase: Case): CaseWork {
    return new CaseWork(this.tx, this.effects, this.deps, theCase);
  }

  /**
   * Runs `fn` all or nothing inside the transaction: when it throws, the rows
   * it wrote, the effects it left and the events it appended are undone
   * together, and the error goes on to the caller, who may carry on.
   */
  async savepoint<T>(fn: () => Promise<T>): Promise<T> {
    this.savepoints += 1;
    const name = `work_${this.savepoints}`;
    await this.tx.$executeRawUnsafe(`SAVEPOINT ${name}`);
    const mark = { effects: this.effects.mark(), events: eventMark(this.tx), state: this.snapshot() };
    let result: T;
    try {
      result = await fn();
    } catch (error) {
      try {
        await this.tx.$executeRawUnsafe(`ROLLBACK TO SAVEPOINT ${name}`);
      } catch (rollbackError) {
        throw new AggregateError([error, rollbackError], 'rolling back to a savepoint failed', { cause: rollbackError });
      }
      this.effects.rewind(mark.effects);
      rewindEvents(this.tx, mark.events);
      this.restore(mark.state);
      throw error;
    }
    await this.tx.$executeRawUnsafe(`RELEASE SAVEPOINT ${name}`);
    return result;
  }

  /** What a savepoint keeps of the objects this unit holds in memory beside its rows. */
  protected snapshot(): unknown {
    return null;
  }

  protected restore(_snapshot: unknown): void {}
}

/**
 * Work on one case: its brand and row come along, and what the case does is
 * a method here — send a message, record an event, move its state, open or
 * settle a deadline.
 */
export class CaseWork extends Work {
  readonly brand: Brand;

  constructor(
    tx: Tx,
    effects: Effects,
    deps: CaseDeps,
    readonly theCase: Case,
  ) {
    super(tx, effects, deps);
    this.brand = brandOf(deps, theCase.brand);
  }

  /** The person who wrote to us, in the case's language. */
  get complainant(): Recipient {
    return { address: this.theCase.complainantAddress, language: this.theCase.language as Language };
  }

  /** Whoever works the case (its assignee, else the brand's specialist address); staff texts are English. */
  get desk(): Recipient {
    return { address: this.theCase.assignee ?? this.brand.specialistAddress, language: 'en' };
  }

  /**
   * Renders a template, writes the message into the case (queued, or
   * suppressed by loop protection) and leaves its send job to the effects.
   * Threading headers point at the case's messages.
   */
  async send<N extends TemplateName>(to: Recipient, template: N, vars: TemplateVars[N], options: SendOptions): Promise<RecordOutcome> {
    const { theCase, brand, deps } = this;
    const rendered = renderTemplate(template, to.language, vars);
    const thread = options.thread ?? (await threadHeaders(this.tx, theCase.id, to.address, options.inReplyTo));
    const message = {
      caseId: theCase.id,
      ticket: theCase.ticket,
      brand,
      kind: options.kind,
      role: options.role ?? 'system',
      to: to.address,
      subject: rendered.subject,
      text: rendered.text,
      autoSubmitted: options.autoSubmitted,
      fromMailbox: caseMailbox(theCase.kind),
      replyTo: deps.tokens.address(theCase.ticket, brandDomain(brand)),
      inReplyTo: thread.inReplyTo,
      references: thread.references,
      attachments: options.attachments,
      dedupeKey: options.dedupeKey,
      relayed: options.relayed,
    };
    const composed = await composeMessage(message, { hostname: deps.hostname, loopMarker: deps.loopMarker, now: deps.now() });
    const outcome = await recordOutgoing(this.tx, message, composed, { dailyCap: deps.dailyCap, now: deps.now });
    if (outcome.kind === 'queued') this.effects.outbound.push(outcome.id);
    return outcome;
  }

  /** Appends an event to the case's audit trail. */
  event(type: EventType, details: Omit<EventInput, 'caseId' | 'type'>): Promise<void> {
    return appendEvent(this.tx, { caseId: this.theCase.id, type, ...details });
  }

  changeState(to: CaseState, actor: string, reason: string | null, extra?: StateExtra): Promise<void> {
    return changeState(this.tx, this.theCase, to, actor, reason, extra);
  }

  /** Opens a deadline of the brand's policy; its jobs are scheduled after the commit. */
  async openDeadline(kind: DeadlineKind, start: Date, step?: number): Promise<DeadlineRef> {
    const deadline = await openDeadline(this.tx, { caseId: this.theCase.id, brand: this.brand, kind, start, step });
    this.effects.deadlines.push({ brand: this.brand, deadline });
    return deadline;
  }

  /** Settles the case's open deadline of `kind`; false when none was open. */
  settle(kind: DeadlineKind, outcome: Settlement, at: Date, actor?: string): Promise<boolean> {
    return settleDeadline(this.tx, this.brand, this.theCase.id, kind, outcome, at, actor);
  }

  protected override snapshot(): unknown {
    return { ...this.theCase };
  }

  protected override restore(snapshot: unknown): void {
    Object.assign(this.theCase, snapshot);
  }
}

/** Runs `fn` in one transaction with its events buffered, then applies what it left to do. */
export async function inTransaction<T>(deps: CaseDeps, fn: (work: Work) => Promise<T>): Promise<T> {
  const effects = new Effects();
  const result = await deps.db.$transaction((tx) => withEventBuffer(tx, () => fn(new Work(tx, effects, deps))), { timeout: 30_000, maxWait: 30_000 });
  await effects.apply(deps);
  return result;
}
