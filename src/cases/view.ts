import type { Db, Tx } from '../db/index.js';
import { readSnapshot } from '../db/snapshot.js';
import type { Prisma } from '../generated/prisma/client.js';
import type { Verdict } from '../intake/authenticate.js';
import { CASE_KINDS, CASE_STATES, OPEN_STATES } from './model.js';
import { customersOfCase } from './parties.js';

/** What the API shows of a case: the thread, the trail, the promises. */
export interface CaseView {
  ticket: string;
  kind: string;
  abuseType: string | null;
  /** urgent (trusted notifier), high (DNS abuse about something we manage or host), normal. */
  priority: string;
  /** The customer account the evidence names. */
  account: string | null;
  /** The incident the report belongs to: reports about one domain or range, worked once. */
  incident: { id: string; target: string; state: string; reportCount: number; primaryTicket: string } | null;
  state: string;
  /** The escalation step the case is at: 0 before any, 1, or 2 (two-step policy, by post). */
  escalationStep: number;
  language: string;
  brand: string;
  subject: string;
  silent: boolean;
  assignee: string | null;
  complainant: { address: string; name: string | null };
  parties: Array<{ role: 'complainant' | 'customer'; address: string }>;
  receivedAt: string;
  respondedAt: string | null;
  resolvedAt: string | null;
  resolution: string | null;
  auth: { spf: string; dkim: string; dmarc: string; arc: string; verified: boolean; fromDomain: string | null } | null;
  deadlines: Array<{ kind: string; step: number; dueAt: string; originalDueAt: string; status: string; metAt: string | null; marginWorkingMinutes: number | null }>;
  messages: Array<{ direction: string; role: string; kind: string; messageId: string; from: string; to: string[]; subject: string; at: string; relayed: boolean; status: string | null }>;
  events: Array<{ type: string; at: string; actor: string; reason: string | null; data: unknown }>;
  evidence: unknown;
  measures: Array<{ measure: string; operation: string; target: string; account: string | null; status: string; at: string; doneAt: string | null }>;
}

export interface CaseSummary {
  ticket: string;
  kind: string;
  state: string;
  language: string;
  brand: string;
  subject: string;
  complainant: { address: string; name: string | null };
  receivedAt: string;
  nextDueAt: string | null;
}

export interface CaseFilters {
  state?: string;
  kind?: string;
  brand?: string;
  language?: string;
  complainant?: string;
  /** Only open cases with a pending deadline already past. */
  overdue?: boolean;
}

export class InvalidFilterError extends Error {
  override readonly name = 'InvalidFilterError';
}

/** The case as of one moment (see `readSnapshot`), or null when there is no such ticket. */
export function caseView(db: Db, ticket: string): Promise<CaseView | null> {
  return readSnapshot(db, (tx) => readCaseView(tx, ticket));
}

/**
 * The case's view read through `tx`; consistent only when `tx` is one
 * snapshot. One query after the other: an `include` of several relations runs
 * them at once, which one transaction's connection does not take.
 */
export async function readCaseView(tx: Tx, ticket: string): Promise<CaseView | null> {
  const found = await tx.case.findUnique({ where: { ticket: ticket.toUpperCase() } });
  if (!found) return null;
  const ofCase = { caseId: found.id };
  const theCase = {
    ...found,
    deadlines: await tx.deadline.findMany({ where: ofCase, orderBy: [{ dueAt: 'asc' }] }),
    messages: await tx.caseMessage.findMany({ where: ofCase, orderBy: { at: 'asc' } }),
    events: await tx.caseEvent.findMany({ where: ofCase, orderBy: { seq: 'asc' } }),
    measures: await tx.measure.findMany({ where: ofCase, orderBy: { at: 'asc' } }),
  };
  const first = await tx.inboundMessage.findFirst({ where: ofCase, orderBy: { receivedAt: 'asc' }, select: { verdict: true } });
  const verdict = first?.verdict as unknown as Verdict | undefined;
  const customers = await customersOfCase(tx, theCase.id);
  const incident = theCase.incidentId ? await tx.incident.findUnique({ where: { id: theCase.incidentId } }) : null;
  const primaryTicket = incident ? (incident.primaryCaseId === theCase.id ? theCase.ticket : (await tx.case.findUnique({ where: { id: incident.primaryCaseId }, select: { ticket: true } }))?.ticket ?? '') : '';
  return {
    ticket: theCase.ticket,
    kind: theCase.kind,
    abuseType: theCase.abuseType,
    priority: theCase.priority,
    account: theCase.account,
    incident: incident ? { id: incident.id, target: incident.target, state: incident.state, reportCount: incident.reportCount, primaryTicket } : null,
    state: theCase.state,
    escalationStep: theCase.escalationStep,
    language: theCase.language,
    brand: theCase.brand,
    subject: theCase.subject,
    silent: theCase.silent,
    assignee: theCase.assignee,
    complainant: { address: theCase.complainantAddress, name: theCase.complainantName },
    parties: [
      { role: 'complainant', address: theCase.complainantAddress },
      ...customers.map((address) => ({ role: 'customer' as const, address })),
    ],
    receivedAt: theCase.receivedAt.toISOString(),
    respondedAt: theCase.respondedAt?.toISOString() ?? null,
    resolvedAt: theCase.resolvedAt?.toISOString() ?? null,
    resolution: theCase.resolution,
    auth: verdict
      ? {
          spf: verdict.spf.result,
          dkim: verdict.dkim.find((s) => s.aligned)?.result ?? verdict.dkim[0]?.result ?? 'none',
          dmarc: verdict.dmarc.result,
          arc: verdict.arc.result,
          verified: verdict.verified,
          fromDomain: verdict.fromDomain,
        }
      : null,
    deadlines: theCase.deadlines.map((d) => ({
      kind: d.kind,
      step: d.step,
      dueAt: d.dueAt.toISOString(),
      originalDueAt: d.originalDueAt.toISOString(),
      status: d.status,
      metAt: d.metAt?.toISOString() ?? null,
      marginWorkingMinutes: d.marginMinutes,
    })),
    messages: theCase.messages.map((m) => ({
      direction: m.direction,
      role: m.role,
      kind: m.kind,
      messageId: m.messageId,
      from: m.from,
      to: m.to,
      subject: m.subject,
      at: m.at.toISOString(),
      relayed: m.relayed,
      status: m.status,
    })),
    events: theCase.events.map((e) => ({ type: e.type, at: e.at.toISOString(), actor: e.actor, reason: e.reason, data: e.data })),
    evidence: theCase.evidence ?? null,
    measures: theCase.measures.map((m) => ({
      measure: m.measure,
      operation: m.operation,
      target: m.target,
      account: m.account,
      status: m.status,
      at: m.at.toISOString(),
      doneAt: m.doneAt?.toISOString() ?? null,
    })),
  };
}

export function caseWhere(filters: CaseFilters, now: Date): Prisma.CaseWhereInput {
  if (filters.state && !(CASE_STATES as readonly string[]).includes(filters.state)) {
    throw new InvalidFilterError(`state must be one of ${CASE_STATES.join(', ')}`);
  }
  if (filters.kind && !(CASE_KINDS as readonly string[]).includes(filters.kind)) {
    throw new InvalidFilterError(`kind must be one of ${CASE_KINDS.join(', ')}`);
  }
  return {
    ...(filters.state ? { state: filters.state } : {}),
    ...(filters.kind ? { kind: filters.kind } : {}),
    ...(filters.brand ? { brand: filters.brand } : {}),
    ...(filters.language ? { language: filters.language } : {}),
    ...(filters.complainant ? { complainantAddress: filters.complainant.toLowerCase() } : {}),
    ...(filters.overdue ? { state: { in: [...OPEN_STATES] }, deadlines: { some: { status: { in: ['pending', 'breached'] }, metAt: null, dueAt: { lt: now } } } } : {}),
  };
}

interface Cursor {
  receivedAt: string;
  id: string;
}

function decodeCursor(cursor: string): Cursor {
  try {
    const parsed = JSON.parse(Buffer.from(cursor, 'base64url').toString('utf8')) as Cursor;
    if (typeof parsed.receivedAt !== 'string' || typeof parsed.id !== 'string' || Number.isNaN(Date.parse(parsed.receivedAt))) throw new Error('shape');
    return parsed;
  } catch {
    throw new InvalidFilterError('cursor is not one this API gave out');
  }
}

/** Newest first, with an opaque cursor for the next page. */
export async function listCases(
  db: Db,
  filters: CaseFilters,
  page: { cursor?: string; limit: number },
  now: Date,
): Promise<{ items: CaseSummary[]; nextCursor: string | null }> {
  const where = caseWhere(filters, now);
  const after = page.cursor ? decodeCursor(page.cursor) : null;
  // The cases and their next deadlines as of one moment: a step that settles a deadline also moves the state.
  const rows = await readSnapshot(db, (tx) => tx.case.findMany({
    where: after
      ? {
          AND: [
            where,
            { OR: [{ receivedAt: { lt: new Date(after.receivedAt) } }, { receivedAt: new Date(after.receivedAt), id: { lt: after.id } }] },
          ],
        }
      : where,
    orderBy: [{ receivedAt: 'desc' }, { id: 'desc' }],
    take: page.limit + 1,
    include: { deadlines: { where: { status: 'pending' }, orderBy: { dueAt: 'asc' }, take: 1, select: { dueAt: true } } },
  }));
  const items = rows.slice(0, page.limit);
  const last = items.at(-1);
  const nextCursor =
    rows.length > page.limit && last ? Buffer.from(JSON.stringify({ receivedAt: last.receivedAt.toISOString(), id: last.id })).toString('base64url') : null;
  return {
    items: items.map((row) => ({
      ticket: row.ticket,
      kind: row.kind,
      state: row.state,
      language: row.language,
      brand: row.brand,
      subject: row.subject,
      complainant: { address: row.complainantAddress, name: row.complainantName },
      receivedAt: row.receivedAt.toISOString(),
      nextDueAt: row.deadlines[0]?.dueAt.toISOString() ?? null,
    })),
    nextCursor,
  };
}
