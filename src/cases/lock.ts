import type { Tx } from '../db/index.js';
import type { Case } from '../generated/prisma/client.js';

/**
 * Locks a case row for the rest of the transaction and reads it fresh, so work
 * on one case (an action, an incoming reply, a delivery, a deadline) happens
 * one at a time and always sees the state the previous one left.
 */
export async function lockCase(tx: Tx, where: { id: string } | { ticket: string }): Promise<Case | null> {
  const rows =
    'id' in where
      ? await tx.$queryRaw<Case[]>`SELECT * FROM "Case" WHERE id = ${where.id} FOR UPDATE`
      : await tx.$queryRaw<Case[]>`SELECT * FROM "Case" WHERE ticket = ${where.ticket.toUpperCase()} FOR UPDATE`;
  return rows[0] ?? null;
}
