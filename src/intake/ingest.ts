import type { Readable } from 'node:stream';
import type { Brand } from '../config/brands.js';
import { isStaff } from '../config/brands.js';
import type { Db } from '../db/index.js';
import type { Logger } from '../lib/logger.js';
import { withTimeout } from '../lib/timeout.js';
import { readHeaderBlock } from '../mail/headers.js';
import { LOOP_HEADER, type LoopMarker } from '../outbound/loop-marker.js';
import { intakeJob } from '../queue/jobs.js';
import type { Queues } from '../queue/queues.js';
import { SmtpError, smtpErrors } from '../smtp/errors.js';
import { primaryRoute, type Route } from '../smtp/recipients.js';
import { checkMessage, verifySender, type DnsResolver, type MessageChecks, type SessionFacts, type Verdict } from './authenticate.js';
import type { RejectionRecorder } from './rejections.js';
import type { SenderIdentity } from './sender-identity.js';
import { classifySender } from './sender-policy.js';
import { receiveMessage, type ChunkStore, type ReceivedMessage } from './spool.js';
import { forgetInbound, type InboundStore } from './store.js';

/** Who may write to a case reply address, besides the brand's staff, and the case's brand. */
export interface CaseDirectory {
  writers(ticket: string): Promise<{ brand: string; complainant: string; customers: string[] } | null>;
}

export interface IngestDeps {
  db: Db;
  /** Where every message is written before its 250. */
  inbound: InboundStore;
  /** Where a large message goes, piece by piece, while it arrives. */
  chunks: ChunkStore;
  /** Largest message taken (SIZE); a larger one is read to its end and refused. */
  maxMessageBytes: number;
  /** Past this size a message is spooled to `chunks` instead of held in memory. */
  spillBytes: number;
  queues: Pick<Queues, 'intake'>;
  resolver: DnsResolver;
  brands: Map<string, Brand>;
  cases: CaseDirectory;
  loopMarker: LoopMarker;
  recordRejection: RejectionRecorder;
  /** Our host name, for Authentication-Results. */
  mta: string;
  /** Time budget for SPF/DKIM/DMARC/ARC after the final dot; past it the sender is asked to retry. */
  authTimeoutMs: number;
  now: () => Date;
  logger: Logger;
}

export interface IngestInput {
  /** The DATA stream; always read to its end. */
  data: Readable & { sizeExceeded?: boolean };
  /** '' for the null reverse-path. */
  envelopeFrom: string;
  routes: Route[];
  remoteIp: string;
  helo: string;
}

/** A message read to its end, with its authentication when that started while it arrived. */
interface Received extends Omit<IngestInput, 'data'> {
  message: ReceivedMessage;
  /** SPF, DKIM and ARC of a large message, started while it arrived. */
  checks: Promise<MessageChecks> | null;
}

export type IngestOutcome =
  /** Stored and queued: answer 250. */
  | { kind: 'accepted'; id: string }
  /** Already here from an earlier delivery: answer 250, nothing new happens. */
  | { kind: 'duplicate'; id: string };

/**
 * Receives, decides and stores one message, in steps: 1. read DATA (a large
 * message goes to the database in pieces, and is authenticated as it streams
 * by); 2. read the header block; 3. refuse our own mail coming back; 4. refuse
 * automated and anonymous senders; 5. authenticate (SPF, DKIM, DMARC, ARC);
 * 6. refuse DMARC rejects and unverified senders; 7. check who may write to a
 * case address; 8. store durably; 9. enqueue — and only then is it accepted.
 * Refusals throw SmtpError (recorded); our own trouble throws a 4xx SmtpError.
 */
export async function ingest(input: IngestInput, deps: IngestDeps): Promise<IngestOutcome> {
  const received = await receive(input, deps);
  let storing = false;
  try {
    const outcome = await decideAndStore(received, deps, () => {
      storing = true;
    });
    if (outcome.kind === 'duplicate') await dropSpooled(received.message, deps);
    return outcome;
  } catch (error) {
    // Refused before the store: a spooled body has no row to belong to. Once the
    // store was tried its row may exist even if the call failed, so the pieces
    // stay; the sweep removes those that turn out to have no row (and the
    // un-queued path below drops them itself after removing the row).
    if (!storing) await dropSpooled(received.message, deps);
    throw error;
  }
}

async function receive(input: IngestInput, deps: IngestDeps): Promise<Received> {
  const { data, ...envelope } = input;
  let checks: Promise<MessageChecks> | null = null;
  const outcome = await receiveMessage(data, {
    limit: deps.maxMessageBytes,
    spillBytes: deps.spillBytes,
    chunks: deps.chunks,
    // DKIM hashes the body as it streams by, so a large message is never read back.
    onSpill: (body) => {
      checks = checkMessage(body, sessionFacts(envelope, deps), { resolver: deps.resolver, now: deps.now });
      // Awaited later, unless the message is refused first. Once it has its answer
      // the body is let flow, so a verifier that stopped early never holds DATA up.
      checks.catch(() => undefined).finally(() => body.resume());
    },
  });
  if (outcome.kind === 'too_big') throw smtpErrors.messageTooBig(deps.maxMessageBytes);
  if (outcome.kind === 'spool_failed') {
    deps.logger.warn({ err: outcome.error }, 'could not spool a large message');
    throw smtpErrors.temporary('database');
  }
  return { ...envelope, message: outcome.message, checks };
}

function sessionFacts(envelope: Omit<IngestInput, 'data'>, deps: IngestDeps): SessionFacts {
  return { ip: envelope.remoteIp, helo: envelope.helo, sender: envelope.envelopeFrom, mta: deps.mta };
}

async function dropSpooled(message: ReceivedMessage, deps: IngestDeps): Promise<void> {
  await message.discard().catch((error: unknown) => deps.logger.warn({ err: error, inboundId: message.id }, 'could not drop a spooled body; the sweep will'));
}

async function decideAndStore(input: Received, deps: IngestDeps, onStoring: () => void): Promise<IngestOutcome> {
  const route = primaryRoute(input.routes);
  if (!route) throw smtpErrors.unknownRecipient();
  const brand = deps.brands.get(route.brandId) as Brand;
  const headers = readHeaderBlock(input.message.head);
  const refuse = async (error: SmtpError): Promise<never> => {
    await deps.recordRejection(error, {
      envelopeFrom: input.envelopeFrom,
      fromHeader: headers.from.map((mailbox) => mailbox.address).join(', ') || null,
      recipients: input.routes.map((r) => r.address),
      remoteIp: input.remoteIp,
      helo: input.helo,
    });
    throw error;
  };

  if (deps.loopMarker.isOurs(headers.get(LOOP_HEADER))) await refuse(smtpErrors.loopDetected());

  const acceptMachineReports = route.type === 'mailbox' && Boolean(brand.mailboxes[route.mailbox]?.machineReports);
  const senderClass = classifySender({ envelopeFrom: input.envelopeFrom, headers, acceptMachineReports });
  if (senderClass.kind === 'refused') return await refuse(senderClass.error);

  const { identity } = senderClass;
  const verdict = await authenticateWithin(input, identity, deps);
  const refusal = verdictRefusal(verdict, identity);
  if (refusal?.temporary) throw refusal;
  if (refusal) await refuse(refusal);

  if (route.type === 'case') {
    const sender = identity.address;
    const writers = await temporaryOnFailure('database', () => deps.cases.writers(route.ticket));
    const allowed = writers?.brand === route.brandId && (sender === writers.complainant || writers.customers.includes(sender) || isStaff(brand, sender));
    if (!allowed) await refuse(smtpErrors.notCaseParticipant());
  }

  const storedRoute = senderClass.kind === 'machine_report' ? { ...route, machineReport: senderClass.format } : route;
  onStoring();
  const stored = await temporaryOnFailure('database', () =>
    deps.inbound.store({
      message: input.message,
      messageId: headers.messageId ?? null,
      envelopeFrom: input.envelopeFrom.toLowerCase(),
      recipients: input.routes.map((r) => r.address),
      route: storedRoute,
      remoteIp: input.remoteIp,
      helo: input.helo,
      verdict,
      receivedAt: deps.now(),
    }),
  );

  if (stored.kind === 'duplicate') {
    // The first delivery may have been stored while its job was lost; queueing
    // again under the same job id is harmless and lets it finish.
    if (!stored.processed) await enqueue(stored.id, deps).catch(() => undefined);
    return { kind: 'duplicate', id: stored.id };
  }
  try {
    await enqueue(stored.id, deps);
  } catch (error) {
    deps.logger.warn({ err: error, inboundId: stored.id }, 'queue unavailable; removing the stored message and asking the sender to retry');
    const forgotten = await forgetInbound(deps.db, stored.id).then(
      () => true,
      (dbError: unknown) => {
        // Kept: the sweep will queue it, and the retry is recognised as a duplicate.
        deps.logger.error({ err: dbError, inboundId: stored.id }, 'could not remove the unqueued message');
        return false;
      },
    );
    if (forgotten) await dropSpooled(input.message, deps);
    throw smtpErrors.temporary('queue');
  }
  return { kind: 'accepted', id: stored.id };
}

/**
 * What the verdict on the sender's identity refuses, in order: a From that
 * mailauth read as someone else (before anything else: it must not be verified
 * for one and used as the other), DNS trouble (retry), DMARC reject, unverified.
 */
export function verdictRefusal(verdict: Verdict, identity: SenderIdentity): SmtpError | null {
  if (verdict.fromAmbiguous) return smtpErrors.fromAmbiguous();
  if (verdict.temperror) return smtpErrors.dnsTemporary();
  if (verdict.dmarc.result === 'fail' && verdict.dmarc.policy === 'reject') return smtpErrors.dmarcReject(identity.domain);
  if (!verdict.verified) return smtpErrors.unverifiedSender(identity.domain);
  return null;
}

async function enqueue(inboundId: string, deps: IngestDeps): Promise<void> {
  const job = intakeJob(inboundId);
  await deps.queues.intake.add(job.name, job.data, job.opts);
}

async function authenticateWithin(input: Received, identity: SenderIdentity, deps: IngestDeps): Promise<Verdict> {
  try {
    const facts = sessionFacts(input, deps);
    const authDeps = { resolver: deps.resolver, now: deps.now };
    const verdict = (input.checks ?? checkInMemory(input, deps)).then((checks) => verifySender(checks, identity, facts, authDeps));
    return await withTimeout(verdict, deps.authTimeoutMs, () => smtpErrors.dnsTemporary());
  } catch (error) {
    if (error instanceof SmtpError) throw error;
    deps.logger.warn({ err: error }, 'authentication failed unexpectedly');
    throw smtpErrors.temporary('authentication');
  }
}

async function checkInMemory(input: Received, deps: IngestDeps): Promise<MessageChecks> {
  if (!input.message.raw) throw new Error('a spooled message is checked while it arrives');
  return checkMessage(input.message.raw, sessionFacts(input, deps), { resolver: deps.resolver, now: deps.now });
}

async function temporaryOnFailure<T>(what: string, fn: () => Promise<T>): Promise<T> {
  try {
    return await fn();
  } catch (error) {
    if (error instanceof SmtpError) throw error;
    throw Object.assign(smtpErrors.temporary(what), { cause: error });
  }
}
