import MailComposer from 'nodemailer/lib/mail-composer';
import type { Brand, Mailbox } from '../config/brands.js';
import { brandDomain } from '../config/brands.js';
import { newId } from '../lib/ids.js';
import { LOOP_HEADER, type LoopMarker } from './loop-marker.js';
import { tagSubject } from './subject-tag.js';

/** Whose words a case message carries, or who a received one comes from. */
export type PartyRole = 'complainant' | 'specialist' | 'customer' | 'system';

export interface Attachment {
  filename: string;
  content: Buffer;
  contentType: string;
}

/** One message the system sends about a case, before it is written down. */
export interface OutgoingMessage {
  caseId: string;
  ticket: string;
  brand: Brand;
  /** What it is: ack, notice, relay, reminder, … */
  kind: string;
  /** Whose words it carries: `system`, or `specialist` for a relayed reply. */
  role: PartyRole;
  to: string;
  subject: string;
  text: string;
  /** RFC 3834: every automatic message says so; relayed human replies do not. */
  autoSubmitted: 'auto-replied' | 'auto-generated' | null;
  fromMailbox: Mailbox;
  replyTo: string;
  inReplyTo?: string | null;
  references?: string[];
  attachments?: Attachment[];
  /** At most one message per key, ever (e.g. one acknowledgement per case). */
  dedupeKey?: string;
  relayed?: boolean;
}

export interface ComposedMessage {
  id: string;
  messageId: string;
  subject: string;
  raw: Buffer;
  at: Date;
}

const FROM_NAMES: Record<Mailbox, string> = { abuse: 'Abuse Team', complaints: 'Customer Service', feedback: 'Feedback' };

/**
 * Header values come partly from mail we received: no CR or LF may pass into
 * them, nor other control characters (NUL, NEL, …), which would reach the
 * reader through an encoded word.
 */
export function headerSafe(value: string): string {
  // eslint-disable-next-line no-control-regex -- removing control characters is the point
  return value.replace(/[\x00-\x1f\x7f-\x9f\u2028\u2029]+/g, ' ').trim();
}

/**
 * Renders a case message to RFC 5322 bytes with everything that keeps threads
 * together and loops away: the subject tag, In-Reply-To/References, Reply-To
 * the case address, X-Ticket-ID, Auto-Submitted and our loop marker.
 */
export async function composeMessage(message: OutgoingMessage, deps: { hostname: string; loopMarker: LoopMarker; now: Date }): Promise<ComposedMessage> {
  const id = newId();
  const messageId = `<${id}@${deps.hostname}>`;
  const subject = tagSubject(message.ticket, headerSafe(message.subject));
  const references = [...(message.references ?? []), ...(message.inReplyTo ? [message.inReplyTo] : [])]
    .map(headerSafe)
    .filter((ref, index, all) => ref && all.indexOf(ref) === index)
    .slice(-20);
  const headers: Record<string, string> = {
    'X-Ticket-ID': message.ticket,
    [LOOP_HEADER]: deps.loopMarker.header(),
  };
  if (message.autoSubmitted) {
    headers['Auto-Submitted'] = message.autoSubmitted;
    // Asks Exchange and similar systems not to answer with out-of-office replies.
    headers['X-Auto-Response-Suppress'] = 'All';
  }
  const composer = new MailComposer({
    from: { name: `${message.brand.name} ${FROM_NAMES[message.fromMailbox]}`, address: `${message.fromMailbox}@${brandDomain(message.brand)}` },
    to: message.to,
    replyTo: message.replyTo,
    subject,
    text: message.text,
    messageId,
    date: deps.now,
    inReplyTo: message.inReplyTo ? headerSafe(message.inReplyTo) : undefined,
    references: references.length ? references.join(' ') : undefined,
    headers,
    attachments: message.attachments?.map((attachment) => ({
      // Names come from mail too (a specialist's attachments).
      filename: headerSafe(attachment.filename) || 'attachment',
      content: attachment.content,
      contentType: attachment.contentType,
    })),
  });
  const raw = await composer.compile().build();
  return { id, messageId, subject, raw, at: deps.now };
}
