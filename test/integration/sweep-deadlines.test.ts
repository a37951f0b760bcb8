import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { dueJobId } from '../../src/queue/jobs.js';
import { startTestApp, type TestApp } from '../support/harness.js';

/**
 * After a flood there are tens of thousands of pending deadlines, and a Redis
 * that lost its queue needs all their timers back. The sweep re-queues them a
 * page at a time: every one of them, once, however many pages there are.
 */
const CASES = 1_234; // more than two pages

describe('the sweep re-queues every pending deadline, page by page (PostgreSQL, Redis)', () => {
  let t: TestApp;
  const dueAt = new Date(Date.now() + 7 * 24 * 3_600_000);

  beforeAll(async () => {
    t = await startTestApp({ roles: ['worker'] });
    const prisma = t.app.database.prisma;
    const ids = Array.from({ length: CASES }, (_, i) => `sweepcase${String(i).padStart(5, '0')}`);
    await prisma.case.createMany({
      data: ids.map((id, i) => ({
        id,
        ticket: `CMP-2026-${String(900_000 + i)}`,
        brand: i % 2 ? 'example-net' : 'support-example',
        kind: 'complaint',
        state: 'acknowledged',
        language: 'en',
        subject: 'flood',
        complainantAddress: `writer${i}@example.org`,
        receivedAt: new Date(),
      })),
    });
    await prisma.deadline.createMany({
      data: ids.map((caseId) => ({ id: `dl-${caseId}`, caseId, kind: 'respond', startedAt: new Date(), dueAt, originalDueAt: dueAt })),
    });
    // One deadline that is no longer pending must not come back.
    await prisma.deadline.update({ where: { id: `dl-${ids[0]}` }, data: { status: 'met', metAt: new Date() } });
  }, 60_000);

  afterAll(async () => {
    await t?.stop({ drop: true });
  });

  it('puts back one due timer per pending deadline, and a second sweep adds none', async () => {
    const queue = t.app.queues.deadlines;
    const dueTimers = async () => (await queue.getDelayed(0, -1)).filter((job) => job.name === 'due');
    expect(await dueTimers()).toHaveLength(0);

    await t.app.sweepNow();
    const first = await dueTimers();
    expect(first).toHaveLength(CASES - 1);
    expect(new Set(first.map((job) => job.id)).size).toBe(CASES - 1);
    expect(first.map((job) => job.id)).not.toContain(dueJobId('dl-sweepcase00000', dueAt));
    expect(first.map((job) => job.id)).toContain(dueJobId(`dl-sweepcase${String(CASES - 1).padStart(5, '0')}`, dueAt));

    await t.app.sweepNow();
    expect(await dueTimers()).toHaveLength(CASES - 1);
  }, 60_000);
});
