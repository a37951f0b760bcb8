import { Prisma } from '../generated/prisma/client.js';
import { storableJson } from '../lib/text.js';
import type { Tx } from './index.js';

/** How a value goes into its column. */
export type ColumnKind = 'value' | 'timestamp' | 'text[]' | 'jsonb' | 'bytes';

export interface InsertOptions {
  /** Rows that would break a unique index are left out (ON CONFLICT DO NOTHING). */
  skipDuplicates?: boolean;
}

/**
 * Inserts rows in one raw statement; returns how many went in. For the hot
 * paths that would otherwise use `createMany`: the ORM leaves `createMany` out
 * of its query-plan cache and compiles each call afresh, and opening a case
 * made four such calls (a tenth of a worker's CPU went to compiling them).
 * Columns are written exactly as given: no ORM defaults are applied, so a
 * caller passes every value it means to set.
 */
export async function insertRows<Row extends object>(
  tx: Tx,
  table: string,
  columns: { [K in keyof Row & string]?: ColumnKind },
  rows: readonly Row[],
  options: InsertOptions = {},
): Promise<number> {
  if (rows.length === 0) return 0;
  const names = Object.keys(columns) as Array<keyof Row & string>;
  const tuples = rows.map((row) => Prisma.sql`(${Prisma.join(names.map((name) => placeholder(columns[name] ?? 'value', row[name])))})`);
  const target = Prisma.raw(`${quote(table)} (${names.map(quote).join(', ')})`);
  const conflict = options.skipDuplicates ? Prisma.raw(' ON CONFLICT DO NOTHING') : Prisma.empty;
  return tx.$executeRaw`INSERT INTO ${target} VALUES ${Prisma.join(tuples)}${conflict}`;
}

/**
 * Inserts one row in the same statement as `change` (an UPDATE or DELETE,
 * without RETURNING), and only if the change touched a row; returns whether it
 * did. A one-step change and the row that records it (an audit event) are then
 * atomic without a transaction: one statement instead of four. The row is a
 * SELECT list here, so a 'value' column must be text: parameters get no other
 * type from it.
 */
export async function insertRowIfChanged<Row extends object>(
  db: Pick<Tx, '$executeRaw'>,
  change: Prisma.Sql,
  table: string,
  columns: { [K in keyof Row & string]?: ColumnKind },
  row: Row,
): Promise<boolean> {
  const names = Object.keys(columns) as Array<keyof Row & string>;
  const values = Prisma.join(names.map((name) => placeholder(columns[name] ?? 'value', row[name])));
  const target = Prisma.raw(`${quote(table)} (${names.map(quote).join(', ')})`);
  const inserted = await db.$executeRaw`WITH changed AS (${change} RETURNING 1) INSERT INTO ${target} SELECT ${values} WHERE EXISTS (SELECT 1 FROM changed)`;
  return inserted > 0;
}

function placeholder(kind: ColumnKind, value: unknown): Prisma.Sql {
  const given = value ?? null;
  switch (kind) {
    case 'value':
      return Prisma.sql`${given}`;
    case 'timestamp':
      return Prisma.sql`${given}::timestamp`;
    case 'text[]':
      return Prisma.sql`${given}::text[]`;
    case 'jsonb':
      // jsonb cannot hold U+0000 or half a surrogate pair: those become U+FFFD rather than fail the statement.
      return Prisma.sql`${given === null ? null : storableJson(given)}::jsonb`;
    case 'bytes':
      // Base64 for the database to decode: the embedded database converts a byte parameter byte by byte.
      return given === null ? Prisma.sql`NULL` : Prisma.sql`decode(${(given as Buffer).toString('base64')}, 'base64')`;
  }
}

function quote(identifier: string): string {
  if (!/^[A-Za-z_][A-Za-z0-9_]*$/.test(identifier)) throw new Error(`not a plain identifier: ${identifier}`);
  return `"${identifier}"`;
}
