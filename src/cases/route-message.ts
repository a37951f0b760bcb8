import type { Brand } from '../config/brands.js';
import { brandOf, Effects, type CaseDeps } from './context.js';
import type { AbuseType } from '../mail/evidence/index.js';
import { collectEvidence } from './evidence.js';
import { handleComplainantMessage } from './handlers/complainant.js';
import { handleCustomerMessage } from './handlers/customer.js';
import { openCase } from './handlers/open-case.js';
import { handleSpecialistMessage } from './handlers/specialist.js';
import { customersOfCase } from './parties.js';
import { lockCase } from './lock.js';
import { findThread } from './threading.js';
import { concernsAbuse, readIncoming, readStored, type Incoming } from './incoming.js';
import { inTransaction, type Work } from './work.js';

export type RouteOutcome = 'processed' | 'already_processed' | 'missing';

/**
 * The intake queue's job: routes one stored message to a new case or to a
 * step in an existing one. Everything it writes happens in one transaction
 * that also marks the message processed, so a retry after a crash finds it
 * done and only re-queues the follow-up jobs (which are idempotent by id).
 */
export async function routeMessage(inboundId: string, deps: CaseDeps): Promise<RouteOutcome> {
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
    await inTransaction(deps, async (work) => {
      const caseId = await routeToCase(work, brand, incoming);
      // Conditional: two workers may have picked up copies of the job; the one
      // that finds the message no longer stored undoes everything it wrote.
      const marked = await work.tx.inboundMessage.updateMany({
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

async function routeToCase(unit: Work, brand: Brand, incoming: Incoming): Promise<string> {
  const { tx } = unit;
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
  if (!thread) return openCase(unit, brand, incoming);
  const { role } = thread;
  const work = unit.forCase((await lockCase(tx, { id: thread.theCase.id })) ?? thread.theCase);
  await tx.caseMessage.create({
    data: {
      id: incoming.inboundId,
      caseId: work.theCase.id,
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
  await work.event('message_received', { actor: incoming.sender, data: { role, messageId: incoming.messageId } });
  if (role === 'complainant') await handleComplainantMessage(work, incoming);
  else if (role === 'specialist') await handleSpecialistMessage(work, incoming);
  else await handleCustomerMessage(work, incoming);
  return work.theCase.id;
}

/** The abuse type of the case a reply to a case address belongs to. */
async function caseTypeOf(incoming: Incoming, deps: CaseDeps): Promise<AbuseType | undefined> {
  if (incoming.route.type !== 'case') return undefined;
  const theCase = await deps.db.case.findUnique({ where: { ticket: incoming.route.ticket }, select: { abuseType: true } });
  return (theCase?.abuseType ?? undefined) as AbuseType | undefined;
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
