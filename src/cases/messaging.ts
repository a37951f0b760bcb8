import type { Language, Mailbox } from '../config/brands.js';
import { brandDomain } from '../config/brands.js';
import type { Tx } from '../db/index.js';
import type { Case } from '../generated/prisma/client.js';
import { composeMessage, type Attachment, type PartyRole } from '../outbound/compose.js';
import { recordOutgoing, type RecordOutcome } from '../outbound/outbox.js';
import { renderTemplate, type TemplateName, type TemplateVars } from '../outbound/templates/index.js';
import { brandOf, type CaseDeps, type Effects } from './context.js';

export interface SendOptions {
  /** What the message is (ack, notice, relay, …), kept on the row. */
  kind: string;
  autoSubmitted: 'auto-replied' | 'auto-generated' | null;
  role?: PartyRole;
  dedupeKey?: string;
  attachments?: Attachment[];
  relayed?: boolean;
  /** Thread to this message; by default the latest message from the recipient. */
  inReplyTo?: string | null;
  /** The whole thread when the caller knows it (a case opened just now): spares a query. */
  thread?: { inReplyTo: string | null; references: string[] };
}

const MAILBOX_OF_KIND: Record<string, Mailbox> = { abuse: 'abuse', complaint: 'complaints', feedback: 'feedback' };

/** The brand mailbox a case's messages come from. */
export function caseMailbox(kind: string): Mailbox {
  return MAILBOX_OF_KIND[kind] ?? 'complaints';
}

/**
 * Renders a template in `language`, writes the message into the case (queued
 * or suppressed by loop protection) inside the caller's transaction, and leaves
 * its send job to the effects. Threading headers point at the case's messages.
 */
export async function sendCaseMessage<N extends TemplateName>(
  tx: Tx,
  effects: Effects,
  deps: CaseDeps,
  theCase: Case,
  to: string,
  template: N,
  language: Language,
  vars: TemplateVars[N],
  options: SendOptions,
): Promise<RecordOutcome> {
  const brand = brandOf(deps, theCase.brand);
  const rendered = renderTemplate(template, language, vars);
  const thread = options.thread ?? (await threadHeaders(tx, theCase.id, to, options.inReplyTo));
  const message = {
    caseId: theCase.id,
    ticket: theCase.ticket,
    brand,
    kind: options.kind,
    role: options.role ?? 'system',
    to,
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
  const outcome = await recordOutgoing(tx, message, composed, { dailyCap: deps.dailyCap, now: deps.now });
  if (outcome.kind === 'queued') effects.outbound.push(outcome.id);
  return outcome;
}

/**
 * In-Reply-To: the latest message we received from this recipient (or the
 * case's first message); References: the messages this recipient has seen,
 * oldest first, bounded. Only those: the Message-ID of a specialist's own
 * reply would tell the complainant where the specialist works.
 */
async function threadHeaders(tx: Tx, caseId: string, to: string, explicit?: string | null) {
  const recipient = to.toLowerCase();
  const messages = await tx.caseMessage.findMany({
    where: { caseId },
    orderBy: { at: 'asc' },
    select: { messageId: true, direction: true, from: true, to: true },
    take: 200,
  });
  const seen = messages.filter((m) => (m.direction === 'in' ? m.from.toLowerCase() === recipient : m.to.includes(recipient)));
  const fromRecipient = seen.filter((m) => m.direction === 'in');
  const inReplyTo = explicit ?? fromRecipient.at(-1)?.messageId ?? null;
  const references = seen.map((m) => m.messageId).filter((id) => id !== inReplyTo).slice(-19);
  return { inReplyTo, references };
}
