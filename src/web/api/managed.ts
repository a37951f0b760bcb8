import { Hono, type Context } from 'hono';
import { z } from 'zod';
import type { Db } from '../../db/index.js';
import {
  accountSchema,
  managedDomainSchema,
  managedRangeSchema,
  RecordsError,
  upsertAccounts,
  upsertManagedDomains,
  upsertManagedRanges,
  validateRows,
} from '../../managed/records.js';
import { readJson } from './input.js';

async function jsonArray(c: Context): Promise<unknown[] | Response> {
  const json = await readJson(c);
  if (json instanceof Response) return json;
  const { body } = json;
  if (!Array.isArray(body)) return c.json({ error: 'the body must be a JSON array' }, 400);
  if (body.length > 10_000) return c.json({ error: 'at most 10000 entries per request' }, 400);
  return body;
}

/** Validates and upserts an array body; a bad entry is named by index and nothing is written. */
function upsertRoute<T>(schema: z.ZodType<T>, upsert: (db: Db, rows: T[]) => Promise<number>, db: Db) {
  return async (c: Context) => {
    const body = await jsonArray(c);
    if (body instanceof Response) return body;
    try {
      const rows = validateRows(schema, body, (index) => `entry ${index}`);
      return c.json({ upserted: await upsert(db, rows) });
    } catch (error) {
      if (error instanceof RecordsError) return c.json({ error: error.message }, 400);
      throw error;
    }
  };
}

const pageSchema = z.object({ after: z.string().optional(), limit: z.coerce.number().int().min(1).max(1000).default(100) });

/** The operator's tables: managed domains and ranges, and customer accounts. */
export function managedApi(deps: { db: Db }) {
  const api = new Hono();
  const { db } = deps;

  api.get('/managed-domains', async (c) => {
    const page = pageSchema.safeParse(c.req.query());
    if (!page.success) return c.json({ error: 'limit must be 1 to 1000' }, 400);
    const rows = await db.managedDomain.findMany({
      where: page.data.after ? { domain: { gt: page.data.after } } : {},
      orderBy: { domain: 'asc' },
      take: page.data.limit,
      select: { domain: true, account: true, created: true },
    });
    const items = rows.map((row) => ({ ...row, created: row.created?.toISOString().slice(0, 10) ?? null }));
    return c.json({ items, next: rows.length === page.data.limit ? rows.at(-1)?.domain : null });
  });
  api.post('/managed-domains', upsertRoute(managedDomainSchema, upsertManagedDomains, db));

  api.get('/managed-ranges', async (c) => c.json({ items: await db.managedRange.findMany({ orderBy: { cidr: 'asc' }, select: { cidr: true, account: true, description: true } }) }));
  api.post('/managed-ranges', upsertRoute(managedRangeSchema, upsertManagedRanges, db));

  api.post('/accounts', upsertRoute(accountSchema, upsertAccounts, db));
  api.get('/accounts/:account', async (c) => {
    const account = await db.account.findUnique({ where: { account: c.req.param('account') }, select: { account: true, name: true, email: true, language: true } });
    if (!account) return c.json({ error: `no account ${c.req.param('account')}` }, 404);
    const domains = await db.managedDomain.findMany({ where: { account: account.account }, select: { domain: true }, take: 1000 });
    return c.json({ ...account, domains: domains.map((d) => d.domain) });
  });
  return api;
}
