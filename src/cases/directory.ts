import type { Db } from '../db/index.js';
import { customersOfCase } from './parties.js';

/**
 * Who may write to a case's reply address besides staff: its complainant and
 * the customers heard in it; and the brand whose domains the address lives at.
 * Null when there is no such case.
 */
export async function writersOfCase(db: Db, ticket: string): Promise<{ brand: string; complainant: string; customers: string[] } | null> {
  const theCase = await db.case.findUnique({ where: { ticket }, select: { id: true, brand: true, complainantAddress: true } });
  if (!theCase) return null;
  return { brand: theCase.brand, complainant: theCase.complainantAddress, customers: await customersOfCase(db, theCase.id) };
}
