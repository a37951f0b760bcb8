import type { Mailbox } from '../config/brands.js';
import type { Tx } from '../db/index.js';
import type { Attachment, PartyRole } from '../outbound/compose.js';

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
 * In-Reply-To: the latest message we received from this recipient (or the
 * case's first message); References: the messages this recipient has seen,
 * oldest first, bounded. Only those: the Message-ID of a specialist's own
 * reply would tell the complainant where the specialist works.
 */
export async function threadHeaders(tx: Tx, caseId: string, to: string, explicit?: string | null): Promise<{ inReplyTo: string | null; references: string[] }> {
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
