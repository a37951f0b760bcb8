import type { Brand } from '../config/brands.js';
import type { Tx } from '../db/index.js';
import type { Verdict } from '../intake/authenticate.js';
import { fromBase64 } from '../db/bytes.js';
import { epochMillis } from '../db/timestamps.js';
import { readSpooled } from '../intake/spool.js';
import type { AbuseType, CaseEvidence } from '../mail/evidence/index.js';
import { readHeaderBlock, type HeaderView } from '../mail/headers.js';
import { bodyText, parseMessage, type ParsedMail } from '../mail/parse.js';
import type { Route } from '../smtp/recipients.js';
import { brandOf, Effects, inTransaction, type CaseDeps } from './context.js';
import { collectEvidence } from './evidence.js';
import { appendEvent } from './events.js';
import { handleComplainantMessage } from './handlers/complainant.js';
import { handleCustomerMessage } from './handlers/customer.js';
import { openCase } from './handlers/open-case.js';
import { handleSpecialistMessage } from './handlers/specialist.js';
import { customersOfCase } from './parties.js';
import { lockCase } from './lock.js';
import { findThread } from './threading.js';

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

export type IntakeOutcome = 'processed' | 'already_processed' | 'missing';

/**
 * The intake job: turns one stored message into a new case or a step in an
 * existing one. Everything it writes happens in one transaction that also marks
 * the message processed, so a retry after a crash finds it done and only
 * re-queues the follow-up jobs (which are idempotent by id).
 */
export async function processInbound(inboundId: string, deps: CaseDeps): Promise<IntakeOutcome> {
  const stored = await readStored(deps, inboundId);
  if (!stored) return 'missing';
  if (stored.status !== 'stored') {
    if (stored.caseId) await requeueFollowUps(stored.caseId, deps);
    return 'already_processed';
  }
  const incoming = await readIncoming(inboundId, stored, deps);
  const brand = brandOf(deps, incoming.route.brandId);
  if (concernsAbuse(incoming)) incoming.evidence = await collectEvidence(incoming.raw, brand, incoming.sender, deps, await caseTypeOf(incoming, deps));

  try {
    await inTransaction(deps, async (tx, effects) => {
      const caseId = await route(tx, effects, deps, brand, incoming);
      // Conditional: two workers may have picked up copies of the job; the one
      // that finds the message no longer stored undoes everything it wrote.
      const marked = await tx.inboundMessage.updateMany({
        where: { id: inboundId, status: 'stored' },
        data: { status: 'processed', caseId, processedAt: deps.now(), error: incoming.parseError },
      });
      if (marked.count === 0) throw new AlreadyProcessed();
    });
  } catch (error) {
    if (error instanceof AlreadyProcessed) return 'already_processed';
    throw error;
  }
  return 'processed';
}

class AlreadyProcessed extends Error {
  override readonly name = 'AlreadyProcessed';
}

async function route(tx: Tx, effects: Effects, deps: CaseDeps, brand: Brand, incoming: Incoming): Promise<string> {
  const thread = await findThread(
    tx,
    brand,
    {
      caseAddressTicket: incoming.route.type === 'case' ? incoming.route.ticket : null,
      inReplyTo: incoming.headers.inReplyTo ?? null,
      references: incoming.headers.references,
      subject: incoming.headers.subject,
      sender: incoming.sender,
      dkimAligned: incoming.verdict.dkim.some((signature) => signature.aligned),
    },
    (caseId) => customersOfCase(tx, caseId),
  );
  if (!thread) return openCase(tx, effects, deps, brand, incoming);
  const { role } = thread;
  const theCase = (await lockCase(tx, { id: thread.theCase.id })) ?? thread.theCase;
  await tx.caseMessage.create({
    data: {
      id: incoming.inboundId,
      caseId: theCase.id,
      direction: 'in',
      role,
      kind: 'reply',
      messageId: incoming.messageId,
      inReplyTo: incoming.headers.inReplyTo ?? null,
      references: incoming.headers.references,
      from: incoming.sender,
      to: [incoming.route.address],
      subject: incoming.headers.subject,
      at: incoming.receivedAt,
      inboundId: incoming.inboundId,
    },
  });
  await appendEvent(tx, { caseId: theCase.id, type: 'message_received', actor: incoming.sender, data: { role, messageId: incoming.messageId } });
  if (role === 'complainant') await handleComplainantMessage(tx, effects, deps, brand, theCase, incoming);
  else if (role === 'specialist') await handleSpecialistMessage(tx, effects, deps, brand, theCase, incoming);
  else await handleCustomerMessage(tx, effects, deps, brand, theCase, incoming);
  return theCase.id;
}

interface StoredInbound {
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
async function readStored(deps: Pick<CaseDeps, 'sql'>, inboundId: string): Promise<StoredInbound | null> {
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

async function readIncoming(inboundId: string, stored: StoredInbound, deps: CaseDeps): Promise<Incoming> {
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

/** The abuse type of the case a reply to a case address belongs to. */
async function caseTypeOf(incoming: Incoming, deps: CaseDeps): Promise<AbuseType | undefined> {
  if (incoming.route.type !== 'case') return undefined;
  const theCase = await deps.db.case.findUnique({ where: { ticket: incoming.route.ticket }, select: { abuseType: true } });
  return (theCase?.abuseType ?? undefined) as AbuseType | undefined;
}

/** Reports to abuse@, and replies in abuse cases (they may carry the spam we asked for). */
function concernsAbuse(incoming: Incoming): boolean {
  if (incoming.route.type === 'mailbox') return incoming.route.mailbox === 'abuse';
  return incoming.route.ticket.startsWith('ABU-') || /\[ABU-\d{4}-\d{6,9}\]/i.test(incoming.headers.subject);
}

/** After a crash between commit and queueing: queue what the case still waits for. */
async function requeueFollowUps(caseId: string, deps: CaseDeps): Promise<void> {
  const queued = await deps.db.caseMessage.findMany({ where: { caseId, status: 'queued' }, select: { id: true } });
  const pending = await deps.db.deadline.findMany({ where: { caseId, status: 'pending' }, select: { id: true, kind: true, dueAt: true, startedAt: true } });
  const theCase = await deps.db.case.findUnique({ where: { id: caseId }, select: { brand: true } });
  if (!theCase) return;
  const brand = brandOf(deps, theCase.brand);
  const effects = new Effects();
  effects.outbound.push(...queued.map((m) => m.id));
  effects.deadlines.push(...pending.map((deadline) => ({ brand, deadline })));
  await effects.apply(deps);
}
