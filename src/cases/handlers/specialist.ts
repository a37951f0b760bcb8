import type { Brand } from '../../config/brands.js';
import type { Tx } from '../../db/index.js';
import type { Case } from '../../generated/prisma/client.js';
import type { CaseDeps, Effects } from '../context.js';
import type { Incoming } from '../intake.js';

/** A specialist's reply to a case address: kept on file (relaying and commands come next). */
export async function handleSpecialistMessage(_tx: Tx, _effects: Effects, _deps: CaseDeps, _brand: Brand, _theCase: Case, _incoming: Incoming): Promise<void> {}
