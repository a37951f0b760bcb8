import type { Db } from '../db/index.js';
import { customersOfCase } from './parties.js';

/**
 * Who may write to a case's reply address besides staff: its complainant and
 * the customers heard in it. Null when there is no such case.
 */
export async function writersOfCase(db: Db, ticket: string): Promise<{ complainant: string; customers: string[] } | null> {
  const theCase = await db.case.findUnique({ where: { ticket }, select: { id: true, complainantAddress: true } });
  if (!theCase) return null;
  return { complainant: theCase.complainantAddress, customers: await customersOfCase(db, theCase.id) };
}
