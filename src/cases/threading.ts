import { isStaff, type Brand } from '../config/brands.js';
import type { Tx } from '../db/index.js';
import type { Case } from '../generated/prisma/client.js';
import type { PartyRole } from '../outbound/compose.js';
import { ticketsInSubject } from '../outbound/subject-tag.js';

export interface ThreadClues {
  /** The ticket of the case reply address the message was sent to, if any. */
  caseAddressTicket: string | null;
  inReplyTo: string | null;
  references: string[];
  subject: string;
  /** The verified From address. */
  sender: string;
  /** A passing DKIM signature aligned with the sender's domain vouches for the message. */
  dkimAligned: boolean;
}

export interface Thread {
  theCase: Case;
  role: Exclude<PartyRole, 'system'>;
}

/**
 * Who the sender is to this case, or null when they are nobody to it. Staff act
 * on a case only with proof beyond a verified From: the case's token address, or
 * a DKIM signature of their own domain. An SPF pass can be shared with others on
 * the same sending service, and In-Reply-To is no secret.
 */
export function roleInCase(
  theCase: Pick<Case, 'complainantAddress'>,
  brand: Brand,
  sender: string,
  customers: string[],
  staffProven: boolean,
): Thread['role'] | null {
  const address = sender.toLowerCase();
  if (address === theCase.complainantAddress) return 'complainant';
  if (isStaff(brand, address)) return staffProven ? 'specialist' : null;
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
  const join = async (theCase: Case | null, viaCaseAddress = false): Promise<Thread | null> => {
    if (!theCase || theCase.brand !== brand.id) return null;
    const role = roleInCase(theCase, brand, clues.sender, await customersOf(theCase.id), viaCaseAddress || clues.dkimAligned);
    return role ? { theCase, role } : null;
  };

  if (clues.caseAddressTicket) {
    const found = await join(await tx.case.findUnique({ where: { ticket: clues.caseAddressTicket } }), true);
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
  const tickets = ticketsInSubject(clues.subject);
  if (tickets.length === 0) return null;
  // One query for all tags; the first tag in the subject that is the sender's own case wins.
  const tagged = await tx.case.findMany({ where: { ticket: { in: tickets }, complainantAddress: clues.sender.toLowerCase() } });
  for (const ticket of tickets) {
    const found = await join(tagged.find((theCase) => theCase.ticket === ticket) ?? null);
    if (found) return found;
  }
  return null;
}
