import type { Brand } from '../config/brands.js';
import type { Tx } from '../db/index.js';
import type { Case, Incident, Prisma } from '../generated/prisma/client.js';
import { registrableDomain } from '../intake/alignment.js';
import { newId } from '../lib/ids.js';
import type { CaseEvidence } from '../mail/evidence/index.js';
import type { CaseDeps } from './context.js';
import { mergeEvidence } from './evidence.js';
import { lockCase } from './lock.js';
import { applyTriage, openTriageDeadlines, type Triage } from './triage.js';
import { inTransaction, type CaseWork } from './work.js';

/**
 * Incidents (issue 21): reports whose conclusive evidence names the same
 * registrable domain, or the same managed IP range for abuse from our own
 * infrastructure, join one open incident, whatever the mailbox, reporter or
 * format. Each reporter keeps their own case (ticket, acknowledgement,
 * deadlines, outcome); the incident's first report (its primary case) carries
 * the hearing, the mitigation clock and the measures, and the specialists get
 * one notice, then a digest of new reports per period.
 *
 * One open incident per brand and key is a partial unique index: two
 * transactions opening the same one at once meet there, and the second joins.
 */

export interface IncidentKey {
  key: string;
  kind: 'domain' | 'range';
  target: string;
}

/** What a report's conclusive evidence is about, as an incident key; null when nothing conclusive. */
export function incidentKeyOf(evidence: CaseEvidence | null): IncidentKey | null {
  if (!evidence || evidence.grade !== 'conclusive') return null;
  const suggested = evidence.suggestedMeasure;
  const domain = suggested && !isIpAddress(suggested.target) ? registrableDomain(suggested.target) : null;
  if (domain) return { key: `domain:${domain}`, kind: 'domain', target: domain };
  const conclusiveDomain = (evidence.domains ?? []).find((d) => d.conclusive)?.domain;
  if (conclusiveDomain) return { key: `domain:${conclusiveDomain}`, kind: 'domain', target: conclusiveDomain };
  const origin = evidence.origins.find((o) => o.conclusive && o.range);
  if (origin?.range) return { key: `range:${origin.range}`, kind: 'range', target: origin.range };
  return null;
}

function isIpAddress(value: string): boolean {
  return /^[\d.]+$|:/.test(value);
}

export type IncidentMembership = { incident: Incident; role: 'primary' | 'member' };

/**
 * Puts a new case into the open incident its evidence names, opening one when
 * there is none. The incident row is locked for the rest of the transaction
 * (see `lockCase`: incident before case, everywhere). A member's report adds
 * to the incident's evidence and to the next digest.
 */
export async function joinIncident(work: CaseWork, evidence: CaseEvidence, at: Date): Promise<IncidentMembership | null> {
  const key = incidentKeyOf(evidence);
  if (!key) return null;
  const { tx, theCase, brand } = work;
  const id = newId();
  const now = work.now();
  const opened = await tx.$queryRaw<Array<{ id: string }>>`
    INSERT INTO "Incident" (id, brand, key, kind, target, account, "abuseType", "primaryCaseId", "firstReportAt", "lastReportAt", evidence, "createdAt", "updatedAt")
    VALUES (${id}, ${brand.id}, ${key.key}, ${key.kind}, ${key.target}, ${theCase.account}, ${evidence.abuseType}, ${theCase.id}, ${at}, ${at},
            ${JSON.stringify(evidence)}::jsonb, ${now}, ${now})
    ON CONFLICT (brand, key) WHERE state = 'open' DO NOTHING
    RETURNING id`;
  if (opened.length > 0) {
    await tx.case.update({ where: { id: theCase.id }, data: { incidentId: id } });
    theCase.incidentId = id;
    await work.event('incident_opened', { actor: 'system', data: { incident: id, key: key.key } });
    return { incident: await tx.incident.findUniqueOrThrow({ where: { id } }), role: 'primary' };
  }

  const [existing] = await tx.$queryRaw<Incident[]>`SELECT * FROM "Incident" WHERE brand = ${brand.id} AND key = ${key.key} AND state = 'open' FOR UPDATE`;
  if (!existing) return null;
  const merged = mergeEvidence(existing.evidence as unknown as CaseEvidence | null, evidence);
  const incident = await tx.incident.update({
    where: { id: existing.id },
    data: {
      reportCount: { increment: 1 },
      lastReportAt: at > existing.lastReportAt ? at : existing.lastReportAt,
      evidence: merged as unknown as Prisma.InputJsonValue,
      account: existing.account ?? theCase.account,
    },
  });
  await tx.case.update({ where: { id: theCase.id }, data: { incidentId: incident.id } });
  theCase.incidentId = incident.id;
  await work.event('incident_joined', { actor: 'system', data: { incident: incident.id, key: key.key, reports: incident.reportCount } });
  work.effects.digests.push({ incidentId: incident.id, at: nextDigestAt(incident, brand, now) });
  return { incident, role: 'member' };
}

/**
 * A member report from a trusted notifier (or of a higher priority) raises the
 * incident's first case: its priority, and a 24-hour review if none is open.
 * The incident is locked already; its first case is locked after it.
 */
export async function raiseIncident(work: CaseWork, incident: Incident, triaged: Triage): Promise<void> {
  if (!triaged.trusted && triaged.priority === 'normal') return;
  const primary = await lockCase(work.tx, { id: incident.primaryCaseId });
  if (!primary) return;
  const primaryWork = work.forCase(primary);
  await applyTriage(primaryWork, triaged);
  await openTriageDeadlines(primaryWork, triaged, true, work.now());
}

/** The end of the digest period the new reports fall in: one digest per period, never before it ends. */
function nextDigestAt(incident: Incident, brand: Brand, now: Date): Date {
  const period = brand.incidentDigestMinutes * 60_000;
  const since = (incident.digestedAt ?? incident.firstReportAt).getTime();
  const due = since + period * Math.max(1, Math.ceil((now.getTime() - since) / period));
  return new Date(due);
}

/** The cases of an incident, oldest first. */
export function incidentCases(tx: Pick<Tx, 'case'>, incidentId: string): Promise<Case[]> {
  return tx.case.findMany({ where: { incidentId }, orderBy: [{ receivedAt: 'asc' }, { id: 'asc' }] });
}

/**
 * The digest job: one message to the specialists, in the primary case's
 * thread, listing the reports that joined since the last one. A digest that
 * finds nothing new (an earlier job sent it) does nothing.
 */
export async function sendIncidentDigest(incidentId: string, deps: CaseDeps): Promise<'sent' | 'nothing_new' | 'missing'> {
  return inTransaction(deps, async (unit) => {
    const incident = await unit.tx.incident.findUnique({ where: { id: incidentId } });
    if (!incident) return 'missing';
    const primary = await lockCase(unit.tx, { id: incident.primaryCaseId });
    if (!primary) return 'missing';
    const fresh = await unit.tx.case.findMany({
      where: { incidentId, id: { not: incident.primaryCaseId }, digestedAt: null },
      orderBy: [{ receivedAt: 'asc' }, { id: 'asc' }],
      take: 200,
    });
    if (fresh.length === 0) return 'nothing_new';
    const work = unit.forCase(primary);
    const now = work.now();
    await unit.tx.case.updateMany({ where: { id: { in: fresh.map((c) => c.id) } }, data: { digestedAt: now } });
    await unit.tx.incident.update({ where: { id: incidentId }, data: { digestedAt: now } });
    await work.send(
      work.desk,
      'incident_digest',
      {
        ticket: primary.ticket,
        target: incident.target,
        total: incident.reportCount,
        state: incident.state,
        timeZone: work.brand.timeZone,
        reports: fresh.map((c) => ({ ticket: c.ticket, reporter: c.complainantAddress, receivedAt: c.receivedAt, abuseType: c.abuseType ?? 'other', language: c.language })),
      },
      { kind: 'incident_digest', autoSubmitted: 'auto-generated', dedupeKey: `digest:${incidentId}:${fresh[0]?.id as string}` },
    );
    return 'sent';
  });
}
