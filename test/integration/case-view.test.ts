import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { caseView } from '../../src/cases/view.js';
import { newId } from '../../src/lib/ids.js';
import { startTestApp, type TestApp } from '../support/harness.js';

/**
 * A case's view is assembled from several queries (the case, its deadlines,
 * messages, events, measures, customers). It must show the case as of one
 * moment: a change committed between two of those queries (a dismissal ends
 * the measure and the hearing deadline together) must be seen whole or not at
 * all. Read as separate statements, a view once showed the measure dismissed
 * and its hearing deadline still pending.
 */

const ROUNDS = 150;

for (const database of ['postgres', 'embedded'] as const) {
  describe(`the case view (${database})`, () => {
    let t: TestApp;
    let ticket: string;
    let deadlineId: string;
    let measureId: string;

    beforeAll(async () => {
      t = await startTestApp({ roles: ['web'], database });
      const db = t.app.database.prisma;
      const caseId = newId();
      ticket = `ABU-2026-${String(Math.floor(Math.random() * 1e6)).padStart(6, '0')}`;
      const now = new Date();
      await db.case.create({
        data: { id: caseId, ticket, brand: 'example-net', kind: 'abuse', state: 'in_progress', language: 'en', subject: 'Spam', complainantAddress: 'c1@sender.test', receivedAt: now },
      });
      deadlineId = newId();
      await db.deadline.create({ data: { id: deadlineId, caseId, kind: 'customer_response', startedAt: now, dueAt: now, originalDueAt: now } });
      measureId = newId();
      await db.measure.create({
        data: { id: measureId, caseId, measure: 'suspend-domain', target: 'shop.test', idempotencyKey: `${ticket}:suspend-domain:shop.test`, requestedBy: 'staff@example.net' },
      });
    }, 60_000);

    afterAll(async () => {
      await t?.stop();
    });

    it('never shows half of a change committed while it is read', async () => {
      const db = t.app.database.prisma;
      let writing = true;
      const writer = (async () => {
        try {
          for (let round = 1; round <= ROUNDS; round++) {
            const dismissed = round % 2 === 1;
            await db.$transaction([
              db.measure.update({ where: { id: measureId }, data: { status: dismissed ? 'dismissed' : 'pending' } }),
              db.deadline.update({ where: { id: deadlineId }, data: { status: dismissed ? 'cancelled' : 'pending' } }),
            ]);
          }
        } finally {
          writing = false;
        }
      })();

      const torn: string[] = [];
      let reads = 0;
      while (writing) {
        const view = await caseView(db, ticket);
        reads++;
        const pair = `${view?.measures[0]?.status}/${view?.deadlines[0]?.status}`;
        if (pair !== 'dismissed/cancelled' && pair !== 'pending/pending') torn.push(pair);
      }
      await writer;
      expect(reads).toBeGreaterThan(10);
      expect(torn).toEqual([]);
    }, 60_000);
  });
}
