import { Registry } from 'prom-client';
import { describe, expect, it } from 'vitest';
import type { Db } from '../../src/db/index.js';
import type { Logger } from '../../src/lib/logger.js';
import type { Queues } from '../../src/queue/queues.js';
import { QUEUE_NAMES } from '../../src/queue/queues.js';
import { registerDatabaseMetrics } from '../../src/web/metrics-collector.js';

/** A scrape while the database is down: process metrics still answer, the success gauge says 0, and the log says why. */
describe('database metrics when the database is down', () => {
  it('answers, reports the failure in a gauge and logs it', async () => {
    const refused = () => Promise.reject(new Error('connect ECONNREFUSED 127.0.0.1:5432'));
    const db = { inboundMessage: { groupBy: refused }, rejection: { groupBy: refused }, caseMessage: { groupBy: refused }, deadline: { groupBy: refused } } as unknown as Db;
    const queues = Object.fromEntries(QUEUE_NAMES.map((name) => [name, { getJobCounts: async () => ({}) }])) as unknown as Queues;
    const warnings: Array<{ message: string; err: unknown }> = [];
    const logger = { warn: (fields: { err: unknown }, message: string) => warnings.push({ message, err: fields.err }) } as unknown as Logger;
    const registry = new Registry();
    registerDatabaseMetrics(registry, { db, queues, logger });

    const text = await registry.metrics();
    expect(text).toMatch(/^abuse_desk_store_scrape_success 0$/m);
    // One snapshot per scrape, so one warning however many gauges share it.
    expect(warnings).toHaveLength(1);
    expect(warnings[0]?.message).toMatch(/could not be read/);
    expect(String(warnings[0]?.err)).toMatch(/ECONNREFUSED/);
  });
});
