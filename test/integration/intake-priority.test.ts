import { randomBytes } from 'node:crypto';
import { Queue, Worker } from 'bullmq';
import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { silentLogger } from '../../src/lib/logger.js';
import { busyKey, governWorkers, intakePulse } from '../../src/queue/intake-priority.js';
import { TEST_REDIS_URL, waitFor } from '../support/harness.js';

/**
 * The listener in one process and the workers in another share nothing but
 * Redis: a burst seen by the listener must throttle the other process's real
 * BullMQ worker to one job at a time, and the worker must get its full
 * concurrency back once the burst is over.
 */

const WINDOW_MS = 50;
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

describe('intake priority across processes (real Redis, real BullMQ worker)', () => {
  const prefix = `prio-${randomBytes(4).toString('hex')}`;
  // Separate connections, as separate processes would have.
  const listenerSide = new Redis(TEST_REDIS_URL, { maxRetriesPerRequest: 1 });
  const workerSide = new Redis(TEST_REDIS_URL, { maxRetriesPerRequest: 1 });
  const queueConnection = new Redis(TEST_REDIS_URL, { maxRetriesPerRequest: null });
  let queue: Queue;
  let worker: Worker;
  let running = 0;
  let mostAtOnce = 0;

  beforeAll(async () => {
    await listenerSide.ping(); // fails loudly without Redis
    queue = new Queue('work', { connection: queueConnection, prefix });
    worker = new Worker(
      'work',
      async () => {
        running += 1;
        mostAtOnce = Math.max(mostAtOnce, running);
        await sleep(60);
        running -= 1;
      },
      { connection: new Redis(TEST_REDIS_URL, { maxRetriesPerRequest: null }), prefix, concurrency: 4 },
    );
    await worker.waitUntilReady();
  });

  afterAll(async () => {
    await worker?.close();
    await queue?.obliterate({ force: true }).catch(() => undefined);
    await queue?.close();
    const keys = await listenerSide.keys(`${prefix}:*`);
    if (keys.length) await listenerSide.del(...keys);
    for (const connection of [listenerSide, workerSide, queueConnection]) connection.disconnect();
  });

  async function runBatch(size: number): Promise<number> {
    mostAtOnce = 0;
    const jobs = await queue.addBulk(Array.from({ length: size }, (_, i) => ({ name: 'job', data: { i } })));
    await waitFor(async () => (await Promise.all(jobs.map((job) => job.isCompleted()))).every(Boolean), 10_000, 'the batch to finish');
    return mostAtOnce;
  }

  it('throttles the other process during a burst and lets go after it', async () => {
    const options = { prefix, logger: silentLogger, windowMs: WINDOW_MS, busyPerWindow: 3 };
    const governor = governWorkers([worker], { ...options, redis: workerSide });
    const pulse = intakePulse({ ...options, redis: listenerSide });
    try {
      expect(await runBatch(8)).toBeGreaterThan(1);

      // A burst: the listener accepts more than three messages every window.
      const burst = setInterval(() => {
        for (let i = 0; i < 5; i++) pulse.noteAccepted();
      }, WINDOW_MS / 2);
      try {
        await waitFor(() => governor.throttled, 2_000, 'the worker process to notice the burst');
        expect(await listenerSide.exists(busyKey(prefix))).toBe(1);
        expect(worker.concurrency).toBe(1);
        expect(await runBatch(6)).toBe(1);
      } finally {
        clearInterval(burst);
      }

      // The key lapses a few windows after the last busy one, and the worker is back to full speed.
      await waitFor(() => !governor.throttled, 2_000, 'the throttle to lift');
      expect(worker.concurrency).toBe(4);
      expect(await runBatch(8)).toBeGreaterThan(1);

      // A trickle below the threshold never throttles.
      const trickle = setInterval(() => pulse.noteAccepted(), WINDOW_MS);
      try {
        await sleep(WINDOW_MS * 8);
        expect(governor.throttled).toBe(false);
      } finally {
        clearInterval(trickle);
      }
    } finally {
      pulse.stop();
      governor.stop();
    }
  });

  it('in one process the listener throttles its workers at once, and Redis failing does not lift it early', async () => {
    const broken = { set: () => Promise.reject(new Error('redis down')), exists: () => Promise.reject(new Error('redis down')) };
    const options = { prefix, logger: silentLogger, windowMs: WINDOW_MS, busyPerWindow: 3, redis: broken };
    const governor = governWorkers([worker], options);
    const pulse = intakePulse(options, governor);
    try {
      for (let i = 0; i < 5; i++) pulse.noteAccepted();
      await waitFor(() => governor.throttled, 1_000, 'the local throttle');
      expect(worker.concurrency).toBe(1);
      await waitFor(() => !governor.throttled, 2_000, 'the local throttle to lift');
      expect(worker.concurrency).toBe(4);
    } finally {
      pulse.stop();
      governor.stop();
    }
  });
});
