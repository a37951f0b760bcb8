import { domainToASCII } from 'node:url';
import { getDomain } from 'tldts';
import { z } from 'zod';
import { LANGUAGES } from '../config/brands.js';
import type { Db } from '../db/index.js';
import { isValidCidr } from './lookup.js';
import { isEmailAddress } from '../lib/text.js';

/**
 * The operator's tables: managed domains (with the customer account), managed
 * IP ranges, and the accounts behind them. Each import upserts; a bad row is
 * reported with its number and nothing of that import is written.
 */

const domain = z
  .string()
  .trim()
  .toLowerCase()
  // Domains are compared in their ASCII (punycode) form everywhere.
  .transform((value) => domainToASCII(value.replace(/\.$/, '')) || value)
  .refine((value) => getDomain(value) === value, 'not a registrable domain name (e.g. example.com, not www.example.com or com)');

const account = z.string().trim().min(1).max(200);

/** A calendar date, YYYY-MM-DD, not in the future (a registration date). */
const registered = z
  .string()
  .trim()
  .regex(/^\d{4}-\d{2}-\d{2}$/, 'expected a date as YYYY-MM-DD')
  .refine((value) => !Number.isNaN(Date.parse(`${value}T00:00:00Z`)) && new Date(`${value}T00:00:00Z`).toISOString().startsWith(value), 'not a calendar date');

export const managedDomainSchema = z.object({ domain, account: account.nullish(), created: registered.nullish() }).strict();
export const managedRangeSchema = z
  .object({ cidr: z.string().trim().refine(isValidCidr, 'not a CIDR range such as 192.0.2.0/24'), account: account.nullish(), description: z.string().trim().max(500).nullish() })
  .strict();
export const accountSchema = z
  .object({
    account,
    name: z.string().trim().min(1).max(300),
    email: z.string().trim().toLowerCase().refine(isEmailAddress, 'not an e-mail address'),
    language: z.enum(LANGUAGES),
  })
  .strict();

export type ManagedDomainInput = z.infer<typeof managedDomainSchema>;
export type ManagedRangeInput = z.infer<typeof managedRangeSchema>;
export type AccountInput = z.infer<typeof accountSchema>;

export class RecordsError extends Error {
  override readonly name = 'RecordsError';
}

/** Validates every row first; the first bad ones are named by position. */
export function validateRows<T>(schema: z.ZodType<T>, rows: unknown[], label: (index: number) => string): T[] {
  const problems: string[] = [];
  const valid: T[] = [];
  rows.forEach((row, index) => {
    const result = schema.safeParse(row);
    if (result.success) valid.push(result.data);
    else problems.push(`${label(index)}: ${result.error.issues.map((issue) => `${issue.path.join('.') || 'row'} ${issue.message}`).join('; ')}`);
  });
  if (problems.length > 0) throw new RecordsError(`${problems.length} invalid row(s):\n  ${problems.slice(0, 20).join('\n  ')}`);
  return valid;
}

const BATCH = 500;

export async function upsertManagedDomains(db: Db, rows: ManagedDomainInput[]): Promise<number> {
  for (let i = 0; i < rows.length; i += BATCH) {
    const batch = rows.slice(i, i + BATCH);
    await db.$transaction(
      batch.map((row) => {
        // A row without the column keeps the date imported earlier.
        const created = row.created === undefined ? undefined : row.created === null ? null : new Date(`${row.created}T00:00:00Z`);
        return db.managedDomain.upsert({
          where: { domain: row.domain },
          create: { domain: row.domain, account: row.account ?? null, created: created ?? null },
          update: { account: row.account ?? null, ...(created === undefined ? {} : { created }) },
        });
      }),
    );
  }
  return rows.length;
}

export async function upsertManagedRanges(db: Db, rows: ManagedRangeInput[]): Promise<number> {
  await db.$transaction(
    rows.map((row) =>
      db.managedRange.upsert({
        where: { cidr: row.cidr },
        create: { cidr: row.cidr, account: row.account ?? null, description: row.description ?? null },
        update: { account: row.account ?? null, description: row.description ?? null },
      }),
    ),
  );
  return rows.length;
}

export async function upsertAccounts(db: Db, rows: AccountInput[]): Promise<number> {
  for (let i = 0; i < rows.length; i += BATCH) {
    const batch = rows.slice(i, i + BATCH);
    await db.$transaction(batch.map((row) => db.account.upsert({ where: { account: row.account }, create: row, update: { name: row.name, email: row.email, language: row.language } })));
  }
  return rows.length;
}
