import type { Tx } from '../db/index.js';

/**
 * The registrar's customers heard in a case (a hearing notice went to them).
 * They may write to the case address as the `customer` party.
 */
export async function customersOfCase(db: Pick<Tx, 'caseParty'>, caseId: string): Promise<string[]> {
  const rows = await db.caseParty.findMany({ where: { caseId, role: 'customer' }, orderBy: [{ at: 'asc' }, { address: 'asc' }], select: { address: true } });
  return rows.map((row) => row.address);
}

/** Makes `address` a party of the case in `role`; a second time changes nothing. */
export async function addParty(tx: Pick<Tx, 'caseParty'>, party: { caseId: string; role: 'customer'; address: string; at: Date }): Promise<void> {
  await tx.caseParty.createMany({ data: [{ ...party, address: party.address.toLowerCase() }], skipDuplicates: true });
}
