import type { Brand } from '../config/brands.js';
import { isStaff } from '../config/brands.js';
import type { Db } from '../db/index.js';
import type { SqlRunner } from '../db/migrate.js';
import type { Logger } from '../lib/logger.js';
import { readHeaderBlock } from '../mail/headers.js';
import { LOOP_HEADER, type LoopMarker } from '../outbound/loop-marker.js';
import type { Queues } from '../queue/queues.js';
import { SmtpError, smtpErrors } from '../smtp/errors.js';
import { primaryRoute, type Route } from '../smtp/recipients.js';
import { authenticateMessage, type DnsResolver, type Verdict } from './authenticate.js';
import type { RejectionRecorder } from './rejections.js';
import { classifySender } from './sender-policy.js';
import { forgetInbound, storeInbound } from './store.js';

/** Who may write to a case reply address, besides the brand's staff. */
export interface CaseDirectory {
  writers(ticket: string): Promise<{ complainant: string; customers: string[] } | null>;
}

export interface IngestDeps {
  db: Db;
  /** The driver itself, for the one INSERT every message makes before its 250. */
  sql: Pick<SqlRunner, 'query'>;
  queues: Pick<Queues, 'intake'>;
  resolver: DnsResolver;
  brands: Map<string, Brand>;
  cases: CaseDirectory;
  loopMarker: LoopMarker;
  recordRejection: RejectionRecorder;
  /** Our host name, for Authentication-Results. */
  mta: string;
  /** Time budget for SPF/DKIM/DMARC/ARC; past it the sender is asked to retry. */
  authTimeoutMs: number;
  now: () => Date;
  logger: Logger;
}

export interface IngestInput {
  raw: Buffer;
  /** '' for the null reverse-path. */
  envelopeFrom: string;
  routes: Route[];
  remoteIp: string;
  helo: string;
}

export type IngestOutcome =
  /** Stored and queued: answer 250. */
  | { kind: 'accepted'; id: string }
  /** Already here from an earlier delivery: answer 250, nothing new happens. */
  | { kind: 'duplicate'; id: string };

/**
 * Decides and stores one message at the end of DATA, in steps:
 * 1. read the header block; 2. refuse our own mail coming back; 3. refuse
 * automated and anonymous senders; 4. authenticate (SPF, DKIM, DMARC, ARC);
 * 5. refuse DMARC rejects and unverified senders; 6. check who may write to a
 * case address; 7. store durably; 8. enqueue — and only then is it accepted.
 * Refusals throw SmtpError (recorded); our own trouble throws a 4xx SmtpError.
 */
export async function ingest(input: IngestInput, deps: IngestDeps): Promise<IngestOutcome> {
  const route = primaryRoute(input.routes);
  if (!route) throw smtpErrors.unknownRecipient();
  const brand = deps.brands.get(route.brandId) as Brand;
  const headers = readHeaderBlock(input.raw);
  const refuse = (error: SmtpError): never => {
    deps.recordRejection(error, {
      envelopeFrom: input.envelopeFrom,
      fromHeader: headers.from.map((mailbox) => mailbox.address).join(', ') || null,
      recipients: input.routes.map((r) => r.address),
      remoteIp: input.remoteIp,
      helo: input.helo,
    });
    throw error;
  };

  if (deps.loopMarker.isOurs(headers.get(LOOP_HEADER))) refuse(smtpErrors.loopDetected());

  const acceptMachineReports = route.type === 'mailbox' && Boolean(brand.mailboxes[route.mailbox]?.machineReports);
  const senderClass = classifySender({ envelopeFrom: input.envelopeFrom, headers, acceptMachineReports });
  if (senderClass.kind === 'refused') refuse(senderClass.error);

  const verdict = await authenticateWithin(input, deps);
  if (verdict.temperror) throw smtpErrors.dnsTemporary();
  const fromDomain = verdict.fromDomain ?? '';
  if (verdict.dmarc.result === 'fail' && verdict.dmarc.policy === 'reject') refuse(smtpErrors.dmarcReject(fromDomain));
  if (!verdict.verified) refuse(smtpErrors.unverifiedSender(fromDomain));

  if (route.type === 'case') {
    const sender = (headers.from[0]?.address ?? '').toLowerCase();
    const writers = await temporaryOnFailure('database', () => deps.cases.writers(route.ticket));
    const allowed = writers && (sender === writers.complainant || writers.customers.includes(sender) || isStaff(brand, sender));
    if (!allowed) refuse(smtpErrors.notCaseParticipant());
  }

  const storedRoute = senderClass.kind === 'machine_report' ? { ...route, machineReport: senderClass.format } : route;
  const stored = await temporaryOnFailure('database', () =>
    storeInbound(deps.db, deps.sql, {
      raw: input.raw,
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
    await forgetInbound(deps.db, stored.id).catch((dbError: unknown) =>
      // Kept: the sweep will queue it, and the retry is recognised as a duplicate.
      deps.logger.error({ err: dbError, inboundId: stored.id }, 'could not remove the unqueued message'),
    );
    throw smtpErrors.temporary('queue');
  }
  return { kind: 'accepted', id: stored.id };
}

export function intakeJobId(inboundId: string): string {
  return `in-${inboundId}`;
}

async function enqueue(inboundId: string, deps: IngestDeps): Promise<void> {
  await deps.queues.intake.add('intake', { inboundId }, { jobId: intakeJobId(inboundId) });
}

async function authenticateWithin(input: IngestInput, deps: IngestDeps): Promise<Verdict> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(smtpErrors.dnsTemporary()), deps.authTimeoutMs);
  });
  try {
    return await Promise.race([
      authenticateMessage(input.raw, { ip: input.remoteIp, helo: input.helo, sender: input.envelopeFrom, mta: deps.mta }, { resolver: deps.resolver, now: deps.now }),
      timeout,
    ]);
  } catch (error) {
    if (error instanceof SmtpError) throw error;
    deps.logger.warn({ err: error }, 'authentication failed unexpectedly');
    throw smtpErrors.temporary('authentication');
  } finally {
    clearTimeout(timer);
  }
}

async function temporaryOnFailure<T>(what: string, fn: () => Promise<T>): Promise<T> {
  try {
    return await fn();
  } catch (error) {
    if (error instanceof SmtpError) throw error;
    throw Object.assign(smtpErrors.temporary(what), { cause: error });
  }
}
