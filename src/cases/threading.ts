import { isStaff, type Brand } from '../config/brands.js';
import type { Tx } from '../db/index.js';
import type { Case } from '../generated/prisma/client.js';
import { ticketsInSubject, type PartyRole } from './model.js';

export interface ThreadClues {
  /** The ticket of the case reply address the message was sent to, if any. */
  caseAddressTicket: string | null;
  inReplyTo: string | null;
  references: string[];
  subject: string;
  /** The verified From address. */
  sender: string;
}

export interface Thread {
  theCase: Case;
  role: Exclude<PartyRole, 'system'>;
}

/** Who the sender is to this case, or null when they are nobody to it. */
export function roleInCase(theCase: Pick<Case, 'complainantAddress'>, brand: Brand, sender: string, customers: string[]): Thread['role'] | null {
  const address = sender.toLowerCase();
  if (address === theCase.complainantAddress) return 'complainant';
  if (isStaff(brand, address)) return 'specialist';
  if (customers.includes(address)) return 'customer';
  return null;
}

/**
 * Finds the case a message continues (SPEC section 2): sent to the case's reply
 * address; or In-Reply-To/References naming one of its messages; or its tag in
 * the subject from the case's verified complainant. A message from someone who
 * is nobody to the case opens a new one instead of joining it.
 */
export async function findThread(
  tx: Tx,
  brand: Brand,
  clues: ThreadClues,
  customersOf: (caseId: string) => Promise<string[]>,
): Promise<Thread | null> {
  const join = async (theCase: Case | null): Promise<Thread | null> => {
    if (!theCase || theCase.brand !== brand.id) return null;
    const role = roleInCase(theCase, brand, clues.sender, await customersOf(theCase.id));
    return role ? { theCase, role } : null;
  };

  if (clues.caseAddressTicket) {
    const found = await join(await tx.case.findUnique({ where: { ticket: clues.caseAddressTicket } }));
    if (found) return found;
  }
  const ids = [...new Set([clues.inReplyTo, ...clues.references].filter((id): id is string => Boolean(id)))].slice(-50);
  if (ids.length > 0) {
    const message = await tx.caseMessage.findFirst({ where: { messageId: { in: ids } }, orderBy: { at: 'desc' }, select: { caseId: true } });
    if (message) {
      const found = await join(await tx.case.findUnique({ where: { id: message.caseId } }));
      if (found) return found;
    }
  }
  for (const ticket of ticketsInSubject(clues.subject)) {
    const theCase = await tx.case.findUnique({ where: { ticket } });
    if (theCase && theCase.complainantAddress === clues.sender.toLowerCase()) {
      const found = await join(theCase);
      if (found) return found;
    }
  }
  return null;
}
