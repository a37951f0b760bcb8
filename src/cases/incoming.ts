import { fromBase64 } from '../db/bytes.js';
import { epochMillis } from '../db/timestamps.js';
import type { Verdict } from '../intake/authenticate.js';
import { readSpooled } from '../intake/spool.js';
import type { CaseEvidence } from '../mail/evidence/index.js';
import { readHeaderBlock, type HeaderView } from '../mail/headers.js';
import { bodyText, parseMessage, type ParsedMail } from '../mail/parse.js';
import { ticketsInSubject } from '../outbound/subject-tag.js';
import type { Route } from '../smtp/recipients.js';
import type { CaseDeps } from './context.js';

/** One received message as the case handlers see it. */
export interface Incoming {
  inboundId: string;
  raw: Buffer;
  headers: HeaderView;
  /** Null when the message could not be parsed; the raw bytes are kept either way. */
  parsed: ParsedMail | null;
  parseError: string | null;
  text: string;
  sender: string;
  senderName: string | null;
  route: Route & { machineReport?: 'arf' | 'xarf' };
  verdict: Verdict;
  receivedAt: Date;
  messageId: string;
  /** For messages about abuse: the reported messages found in it, analysed and graded. */
  evidence: CaseEvidence | null;
}

export interface StoredInbound {
  status: string;
  caseId: string | null;
  route: unknown;
  verdict: unknown;
  receivedAt: Date;
  messageId: string | null;
  /** While it waits to be processed: its bytes, or null when they were spooled in pieces. */
  raw: Buffer | null;
}

/** The row and, while it waits, its bytes: one query, through the driver (it decodes bytes far faster than the ORM). */
export async function readStored(deps: Pick<CaseDeps, 'sql'>, inboundId: string): Promise<StoredInbound | null> {
  const rows = await deps.sql.query<Omit<StoredInbound, 'receivedAt' | 'raw'> & { receivedAtMs: number; bytes: string | null }>(
    `SELECT status, "caseId", route, verdict, "messageId",
            ${epochMillis('receivedAt')} AS "receivedAtMs",
            CASE WHEN status = 'stored' THEN encode(raw, 'base64') END AS bytes
       FROM "InboundMessage" WHERE id = $1`,
    [inboundId],
  );
  const row = rows[0];
  if (!row) return null;
  const { receivedAtMs, bytes, ...rest } = row;
  return { ...rest, receivedAt: new Date(receivedAtMs), raw: fromBase64(bytes) };
}

export async function readIncoming(inboundId: string, stored: StoredInbound, deps: CaseDeps): Promise<Incoming> {
  const raw = stored.raw ?? (await readSpooled(deps.chunks, inboundId));
  const headers = readHeaderBlock(raw);
  let parsed: ParsedMail | null = null;
  let parseError: string | null = null;
  try {
    parsed = await parseMessage(raw);
  } catch (error) {
    parseError = (error as Error).message;
    deps.logger.warn({ inboundId, err: error }, 'message could not be parsed; kept raw and flagged');
  }
  const verdict = stored.verdict as Verdict;
  return {
    inboundId,
    raw,
    headers,
    parsed,
    parseError,
    text: parsed ? bodyText(parsed) : '',
    // The identity that was verified at the SMTP session, not a second reading of From.
    sender: verdict.fromAddresses[0] ?? '',
    senderName: headers.from[0]?.name || null,
    route: stored.route as Incoming['route'],
    verdict,
    receivedAt: stored.receivedAt,
    // A message without a Message-ID still needs one to be threaded to.
    messageId: stored.messageId ?? `<${inboundId}@received.invalid>`,
    evidence: null,
  };
}

/** Reports to abuse@, and replies in abuse cases (they may carry the spam we asked for). */
export function concernsAbuse(incoming: Incoming): boolean {
  if (incoming.route.type === 'mailbox') return incoming.route.mailbox === 'abuse';
  return incoming.route.ticket.startsWith('ABU-') || ticketsInSubject(incoming.headers.subject, Infinity).some((ticket) => ticket.startsWith('ABU-'));
}
