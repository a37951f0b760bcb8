import type { Brand } from '../../config/brands.js';
import type { Tx } from '../../db/index.js';
import type { Case } from '../../generated/prisma/client.js';
import type { CaseDeps, Effects } from '../context.js';
import type { Incoming } from '../intake.js';
import { forwardToStaff } from './complainant.js';

/** The registrar's customer answers a hearing: the desk gets it to decide. */
export async function handleCustomerMessage(tx: Tx, effects: Effects, deps: CaseDeps, brand: Brand, theCase: Case, incoming: Incoming): Promise<void> {
  await forwardToStaff(tx, effects, deps, brand, theCase, incoming, 'customer_reply');
}
