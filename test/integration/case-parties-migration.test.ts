import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pg from 'pg';
import { afterAll, describe, expect, it } from 'vitest';
import { openEmbedded } from '../../src/db/embedded.js';
import { migrate, readMigrations, type SqlRunner } from '../../src/db/migrate.js';
import { createPool, parseDatabaseUrl, postgresRunner } from '../../src/db/postgres.js';
import { TEST_DATABASE_URL } from '../support/harness.js';

/**
 * Hearings and the customers heard in a case were found by scanning the audit
 * trail's customer_notified events; now they are rows. A database that already
 * holds such events gets the rows from them when it migrates.
 */

const MIGRATION = '0005_case_parties';
const at = '2026-03-02T09:00:00.000Z';

async function seedBefore(runner: SqlRunner): Promise<void> {
  const insertCase = `INSERT INTO "Case" (id, ticket, brand, kind, state, language, subject, "complainantAddress", "receivedAt", "updatedAt")
                      VALUES ($1, $2, 'example-net', 'abuse', 'in_progress', 'en', 'Spam', 'victim@sender.test', $3, $3)`;
  await runner.query(insertCase, ['case-a', 'ABU-2026-000001', at]);
  await runner.query(insertCase, ['case-b', 'ABU-2026-000002', at]);
  const event = `INSERT INTO "CaseEvent" (id, "caseId", at, type, actor, reason, data) VALUES ($1, $2, $3, $4, 'system', $5, $6::jsonb)`;
  const notified = (email: string, domain: string) =>
    JSON.stringify({ account: 'ACC-1', email, domain, measure: 'suspend-domain', respondBy: '2026-03-16T22:59:59.999Z', sent: true });
  await runner.query(event, ['ev-1', 'case-a', at, 'customer_notified', null, notified('Owner@Customer.test', 'pills.test')]);
  await runner.query(event, ['ev-2', 'case-a', at, 'note_added', null, JSON.stringify({ text: 'not a hearing' })]);
  await runner.query(event, ['ev-3', 'case-a', '2026-03-03T09:00:00.000Z', 'customer_notified', null, notified('owner@customer.test', 'pills.test')]);
  await runner.query(event, ['ev-4', 'case-b', at, 'customer_notified', 'no contact on file for the account', JSON.stringify({ account: 'ACC-2', domain: 'other.test', sent: false })]);
}

async function checkAfter(runner: SqlRunner): Promise<void> {
  const hearings = await runner.query<Record<string, unknown>>(
    // The column holds UTC without a zone; read as text so no driver applies the machine's zone.
    `SELECT id, "caseId", account, status, email, domain, measure, to_char("respondBy", 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"') AS "respondBy" FROM "Hearing" ORDER BY seq`,
  );
  expect(hearings).toEqual([
    { id: 'ev-1', caseId: 'case-a', account: 'ACC-1', status: 'notified', email: 'owner@customer.test', domain: 'pills.test', measure: 'suspend-domain', respondBy: '2026-03-16T22:59:59.999Z' },
    { id: 'ev-3', caseId: 'case-a', account: 'ACC-1', status: 'notified', email: 'owner@customer.test', domain: 'pills.test', measure: 'suspend-domain', respondBy: '2026-03-16T22:59:59.999Z' },
    { id: 'ev-4', caseId: 'case-b', account: 'ACC-2', status: 'no_contact', email: null, domain: 'other.test', measure: null, respondBy: null },
  ]);
  const parties = await runner.query<Record<string, unknown>>(`SELECT "caseId", role, address FROM "CaseParty" ORDER BY "caseId", address`);
  expect(parties).toEqual([{ caseId: 'case-a', role: 'customer', address: 'owner@customer.test' }]);
}

async function migrateAcross(runner: SqlRunner): Promise<void> {
  const all = readMigrations();
  expect(all.map((migration) => migration.name)).toContain(MIGRATION);
  await migrate(runner, all.filter((migration) => migration.name < MIGRATION));
  await seedBefore(runner);
  expect(await migrate(runner, all)).toContain(MIGRATION);
  await checkAfter(runner);
}

describe('migration 0005 fills hearings and parties from the audit trail', () => {
  const cleanups: Array<() => Promise<void>> = [];
  afterAll(async () => {
    for (const cleanup of cleanups) await cleanup();
  });

  it('on PostgreSQL', async () => {
    const schema = `t_mig_${randomBytes(4).toString('hex')}`;
    const target = parseDatabaseUrl(`${TEST_DATABASE_URL}?schema=${schema}`);
    const pool = createPool(target, 2);
    cleanups.push(async () => {
      await pool.end();
      const client = new pg.Client({ connectionString: TEST_DATABASE_URL });
      await client.connect();
      await client.query(`DROP SCHEMA IF EXISTS "${schema}" CASCADE`);
      await client.end();
    });
    await migrateAcross(postgresRunner(pool, target));
  });

  it('on the embedded database', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'abuse-desk-migration-'));
    const database = await openEmbedded(dir);
    cleanups.push(async () => {
      await database.close();
      rmSync(dir, { recursive: true, force: true });
    });
    await migrateAcross(database.runner);
  }, 30_000);
});
