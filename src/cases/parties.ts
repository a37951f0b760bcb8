import type { Tx } from '../db/index.js';
import { flushEvents } from '../audit/events.js';

/**
 * The registrar's customers heard in a case: everyone a hearing notice went to
 * (recorded as `customer_notified` events). They may write to the case address
 * as the `customer` party.
 */
export async function customersOfCase(tx: Tx, caseId: string): Promise<string[]> {
  await flushEvents(tx);
  const events = await tx.caseEvent.findMany({ where: { caseId, type: 'customer_notified' }, select: { data: true } });
  const emails = events
    .map((event) => (event.data as { email?: unknown } | null)?.email)
    .filter((email): email is string => typeof email === 'string');
  return [...new Set(emails.map((email) => email.toLowerCase()))];
}
