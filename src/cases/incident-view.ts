import type { Db, Tx } from '../db/index.js';
import { readSnapshot } from '../db/snapshot.js';
import type { Prisma } from '../generated/prisma/client.js';
import { registrableDomain } from '../intake/alignment.js';
import { InvalidFilterError } from './view.js';

/**
 * What the API and the dashboard show of incidents and of a domain: each read
 * as one snapshot, each list keyset-paginated (newest report first).
 */

export interface IncidentSummary {
  id: string;
  target: string;
  kind: string;
  brand: string;
  account: string | null;
  abuseType: string | null;
  state: string;
  outcome: string | null;
  reportCount: number;
  firstReportAt: string;
  lastReportAt: string;
  primaryTicket: string;
  /** The mitigation decision's due date (the first report's clock), while it is pending. */
  mitigateBy: string | null;
}

export interface IncidentView extends IncidentSummary {
  cases: Array<{ ticket: string; reporter: string; language: string; state: string; abuseType: string | null; receivedAt: string }>;
  measures: Array<{ measure: string; operation: string; target: string; status: string; at: string; doneAt: string | null }>;
  associated: unknown;
}

export interface IncidentFilters {
  state?: string;
  domain?: string;
  account?: string;
  brand?: string;
}

const STATES = ['open', 'closed'];

function incidentWhere(filters: IncidentFilters): Prisma.IncidentWhereInput {
  if (filters.state && !STATES.includes(filters.state)) throw new InvalidFilterError(`state must be one of ${STATES.join(', ')}`);
  const where: Prisma.IncidentWhereInput = {};
  if (filters.state) where.state = filters.state;
  if (filters.brand) where.brand = filters.brand;
  if (filters.account) where.account = filters.account;
  if (filters.domain) {
    const domain = registrableDomain(filters.domain.trim().toLowerCase());
    if (!domain) throw new InvalidFilterError(`${filters.domain.slice(0, 100)} is not a domain name`);
    where.target = domain;
  }
  return where;
}

interface Cursor {
  lastReportAt: string;
  id: string;
}

function readCursor(cursor: string | undefined): Cursor | null {
  if (!cursor) return null;
  try {
    const parsed = JSON.parse(Buffer.from(cursor, 'base64url').toString('utf8')) as Cursor;
    if (typeof parsed.id !== 'string' || Number.isNaN(Date.parse(parsed.lastReportAt))) throw new Error('bad cursor');
    return parsed;
  } catch {
    throw new InvalidFilterError('cursor is not one this API gave out');
  }
}

export async function listIncidents(db: Db, filters: IncidentFilters, page: { cursor?: string; limit: number }): Promise<{ items: IncidentSummary[]; nextCursor: string | null }> {
  const where = incidentWhere(filters);
  const after = readCursor(page.cursor);
  const keyset: Prisma.IncidentWhereInput = after
    ? { OR: [{ lastReportAt: { lt: new Date(after.lastReportAt) } }, { lastReportAt: new Date(after.lastReportAt), id: { lt: after.id } }] }
    : {};
  const { rows, items } = await readSnapshot(db, async (tx) => {
    const found = await tx.incident.findMany({ where: { AND: [where, keyset] }, orderBy: [{ lastReportAt: 'desc' }, { id: 'desc' }], take: page.limit + 1 });
    // One query after the other: a snapshot's one connection takes no parallel queries.
    return { rows: found, items: await summariseAll(tx, found.slice(0, page.limit)) };
  });
  const last = rows.length > page.limit ? rows[page.limit - 1] : undefined;
  const nextCursor = last ? Buffer.from(JSON.stringify({ lastReportAt: last.lastReportAt.toISOString(), id: last.id })).toString('base64url') : null;
  return { items, nextCursor };
}

type IncidentRow = Awaited<ReturnType<Db['incident']['findUniqueOrThrow']>>;

async function summarise(tx: Tx, incident: IncidentRow): Promise<IncidentSummary> {
  const primary = await tx.case.findUnique({ where: { id: incident.primaryCaseId }, select: { ticket: true } });
  const mitigate = await tx.deadline.findFirst({ where: { caseId: incident.primaryCaseId, kind: 'mitigate', status: 'pending' }, select: { dueAt: true } });
  return {
    id: incident.id,
    target: incident.target,
    kind: incident.kind,
    brand: incident.brand,
    account: incident.account,
    abuseType: incident.abuseType,
    state: incident.state,
    outcome: incident.outcome,
    reportCount: incident.reportCount,
    firstReportAt: incident.firstReportAt.toISOString(),
    lastReportAt: incident.lastReportAt.toISOString(),
    primaryTicket: primary?.ticket ?? '',
    mitigateBy: mitigate?.dueAt.toISOString() ?? null,
  };
}

async function summariseAll(tx: Tx, rows: IncidentRow[]): Promise<IncidentSummary[]> {
  const out: IncidentSummary[] = [];
  for (const row of rows) out.push(await summarise(tx, row));
  return out;
}

export function incidentView(db: Db, id: string): Promise<IncidentView | null> {
  return readSnapshot(db, async (tx) => {
    const incident = await tx.incident.findUnique({ where: { id } });
    if (!incident) return null;
    const cases = await tx.case.findMany({ where: { incidentId: id }, orderBy: [{ receivedAt: 'asc' }, { id: 'asc' }], take: 1_000 });
    const measures = await tx.measure.findMany({ where: { caseId: incident.primaryCaseId }, orderBy: { at: 'asc' } });
    return {
      ...(await summarise(tx, incident)),
      cases: cases.map((c) => ({ ticket: c.ticket, reporter: c.complainantAddress, language: c.language, state: c.state, abuseType: c.abuseType, receivedAt: c.receivedAt.toISOString() })),
      measures: measures.map((m) => ({ measure: m.measure, operation: m.operation, target: m.target, status: m.status, at: m.at.toISOString(), doneAt: m.doneAt?.toISOString() ?? null })),
      associated: incident.associated,
    };
  });
}

export interface DomainView {
  domain: string;
  managed: { account: string | null; created: string | null } | null;
  account: { account: string; name: string; email: string; language: string } | null;
  /** The account's other managed domains. */
  otherDomains: string[];
  cases: Array<{ ticket: string; kind: string; abuseType: string | null; state: string; receivedAt: string; incidentId: string | null }>;
  incidents: IncidentSummary[];
  measures: Array<{ ticket: string; measure: string; operation: string; target: string; status: string; at: string }>;
}

const DOMAIN_LIST_LIMIT = 200;

/** Everything the desk holds about one registrable domain, as of one moment. */
export function domainView(db: Db, name: string): Promise<DomainView | null> {
  const domain = registrableDomain(name.trim().toLowerCase());
  if (!domain) throw new InvalidFilterError(`${name.slice(0, 100)} is not a domain name`);
  return readSnapshot(db, async (tx) => {
    const managed = await tx.managedDomain.findUnique({ where: { domain } });
    const incidents = await tx.incident.findMany({ where: { target: domain }, orderBy: [{ lastReportAt: 'desc' }, { id: 'desc' }], take: DOMAIN_LIST_LIMIT });
    const caseIds = incidents.length > 0 ? (await tx.case.findMany({ where: { incidentId: { in: incidents.map((i) => i.id) } }, select: { id: true } })).map((c) => c.id) : [];
    const measures = await tx.measure.findMany({ where: { target: domain }, orderBy: { at: 'desc' }, take: DOMAIN_LIST_LIMIT, include: { case: { select: { ticket: true } } } });
    if (!managed && incidents.length === 0 && measures.length === 0) return null;
    const cases = caseIds.length > 0 ? await tx.case.findMany({ where: { id: { in: caseIds } }, orderBy: { receivedAt: 'desc' }, take: DOMAIN_LIST_LIMIT }) : [];
    const account = managed?.account ? await tx.account.findUnique({ where: { account: managed.account } }) : null;
    const otherDomains = managed?.account
      ? (await tx.managedDomain.findMany({ where: { account: managed.account, domain: { not: domain } }, orderBy: { domain: 'asc' }, take: DOMAIN_LIST_LIMIT, select: { domain: true } })).map((d) => d.domain)
      : [];
    return {
      domain,
      managed: managed ? { account: managed.account, created: managed.created?.toISOString().slice(0, 10) ?? null } : null,
      account: account ? { account: account.account, name: account.name, email: account.email, language: account.language } : null,
      otherDomains,
      cases: cases.map((c) => ({ ticket: c.ticket, kind: c.kind, abuseType: c.abuseType, state: c.state, receivedAt: c.receivedAt.toISOString(), incidentId: c.incidentId })),
      incidents: await summariseAll(tx, incidents),
      measures: measures.map((m) => ({ ticket: m.case.ticket, measure: m.measure, operation: m.operation, target: m.target, status: m.status, at: m.at.toISOString() })),
    };
  });
}
