import type { Tx } from '../db/index.js';
import type { Case } from '../generated/prisma/client.js';

/**
 * Locks a case row for the rest of the transaction and reads it fresh, so work
 * on one case (an action, an incoming reply, a delivery, a deadline) happens
 * one at a time and always sees the state the previous one left.
 *
 * A case of an incident is locked after its incident, everywhere: work on the
 * whole incident (a measure, a resolution for every reporter) holds the
 * incident and then its cases, and nothing waits the other way round.
 */
export async function lockCase(tx: Tx, where: { id: string } | { ticket: string }): Promise<Case | null> {
  const membership =
    'id' in where
      ? await tx.$queryRaw<Array<{ incidentId: string | null }>>`SELECT "incidentId" FROM "Case" WHERE id = ${where.id}`
      : await tx.$queryRaw<Array<{ incidentId: string | null }>>`SELECT "incidentId" FROM "Case" WHERE ticket = ${where.ticket.toUpperCase()}`;
  const incidentId = membership[0]?.incidentId;
  if (incidentId) await tx.$queryRaw`SELECT 1 FROM "Incident" WHERE id = ${incidentId} FOR UPDATE`;
  const rows =
    'id' in where
      ? await tx.$queryRaw<Case[]>`SELECT * FROM "Case" WHERE id = ${where.id} FOR UPDATE`
      : await tx.$queryRaw<Case[]>`SELECT * FROM "Case" WHERE ticket = ${where.ticket.toUpperCase()} FOR UPDATE`;
  return rows[0] ?? null;
}
