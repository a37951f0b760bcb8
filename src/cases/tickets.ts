import type { Tx } from '../db/index.js';
import { formatTicket } from './model.js';

/**
 * The next ticket number for a prefix and year, e.g. ABU-2026-000042. One
 * atomic upsert: concurrent workers on any machine never get the same number.
 */
export async function nextTicket(tx: Tx, prefix: string, year: number): Promise<string> {
  const rows = await tx.$queryRaw<Array<{ value: number }>>`
    INSERT INTO "TicketCounter" (prefix, year, value) VALUES (${prefix}, ${year}, 1)
    ON CONFLICT (prefix, year) DO UPDATE SET value = "TicketCounter".value + 1
    RETURNING value`;
  const value = rows[0]?.value;
  if (value === undefined) throw new Error('ticket counter returned no value');
  return formatTicket(prefix, year, Number(value));
}
