import { readFileSync } from 'node:fs';
import { parse } from 'csv-parse/sync';
import { ConfigError, loadConfig } from '../config/index.js';
import { DatabaseLockedError } from '../db/embedded.js';
import { openDatabaseFromConfig } from '../db/index.js';
import {
  accountSchema,
  managedDomainSchema,
  managedRangeSchema,
  RecordsError,
  upsertAccounts,
  upsertManagedDomains,
  upsertManagedRanges,
  validateRows,
} from './records.js';

/**
 * `npm run -s domains:import -- FILE.csv` (columns domain[,account][,created]),
 * `ranges:import` (cidr[,account][,description]), `accounts:import`
 * (account,name,email,language). The first line names the columns. For a
 * running server on the embedded database use the API instead (the database
 * is locked to that process).
 */
const TABLES = {
  domains: { schema: managedDomainSchema, columns: ['domain', 'account', 'created'], upsert: upsertManagedDomains },
  ranges: { schema: managedRangeSchema, columns: ['cidr', 'account', 'description'], upsert: upsertManagedRanges },
  accounts: { schema: accountSchema, columns: ['account', 'name', 'email', 'language'], upsert: upsertAccounts },
} as const;

async function main(argv: string[]): Promise<number> {
  const [table, file] = argv;
  if (!table || !(table in TABLES) || !file) {
    console.error('usage: tsx src/managed/cli.ts domains|ranges|accounts FILE.csv');
    return 2;
  }
  const spec = TABLES[table as keyof typeof TABLES];
  let rows: Array<Record<string, string>>;
  try {
    rows = parse(readFileSync(file), { columns: true, bom: true, trim: true, skip_empty_lines: true }) as Array<Record<string, string>>;
  } catch (error) {
    console.error(`${file}: ${(error as Error).message}`);
    return 2;
  }
  const unknown = Object.keys(rows[0] ?? {}).filter((column) => !(spec.columns as readonly string[]).includes(column));
  if (unknown.length > 0) {
    console.error(`${file}: unknown column(s) ${unknown.join(', ')}; expected ${spec.columns.join(', ')}`);
    return 2;
  }
  // Empty cells mean "not given".
  const cleaned = rows.map((row) => Object.fromEntries(Object.entries(row).filter(([, value]) => value !== '')));
  // Line numbers count the header as line 1.
  const valid = validateRows(spec.schema as never, cleaned, (index) => `${file} line ${index + 2}`);
  const database = await openDatabaseFromConfig(loadConfig(process.env), 2);
  try {
    const count = await (spec.upsert as (db: typeof database.prisma, rows: unknown[]) => Promise<number>)(database.prisma, valid);
    console.log(`${count} ${table} imported (added or updated)`);
    return 0;
  } finally {
    await database.close();
  }
}

main(process.argv.slice(2)).then(
  (code) => process.exit(code),
  (error: unknown) => {
    if (error instanceof RecordsError || error instanceof ConfigError || error instanceof DatabaseLockedError) console.error(error.message);
    else console.error(error);
    process.exit(1);
  },
);
