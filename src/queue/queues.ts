import { Queue, type JobsOptions } from 'bullmq';
import type { Redis } from 'ioredis';

/** Every queue of the product; the dashboard shows them all. */
export const QUEUE_NAMES = ['intake', 'outbound', 'deadlines', 'measures'] as const;
export type QueueName = (typeof QUEUE_NAMES)[number];

/** Jobs carry ids, not payloads: each names a database row. */
export interface JobData {
  intake: { inboundId: string };
  outbound: { messageId: string };
  /** A deadline waking up ('due', 'remind'), or an incident's digest of new reports falling due ('digest', incidentId only). */
  deadlines: { deadlineId: string; dueAt: number } | DigestJobData;
  measures: { measureId: string };
}

export interface DigestJobData {
  incidentId: string;
  deadlineId?: undefined;
}

const defaults: Record<QueueName, JobsOptions> = {
  // A stored message is retried for a long while: the database holds it either way
  // and the sweep puts it back if Redis loses the job.
  intake: { attempts: 12, backoff: { type: 'exponential', delay: 2_000 } },
  outbound: { attempts: 10, backoff: { type: 'exponential', delay: 5_000 } },
  deadlines: { attempts: 8, backoff: { type: 'exponential', delay: 5_000 } },
  measures: { attempts: 8, backoff: { type: 'exponential', delay: 10_000 } },
};

const retention: JobsOptions = {
  removeOnComplete: { age: 3_600, count: 5_000 },
  removeOnFail: { age: 14 * 24 * 3_600 },
};

export type Queues = { [K in QueueName]: Queue<JobData[K]> } & { close(): Promise<void> };

/** Retries per queue where the site wants other than the defaults. */
export type RetryOverrides = Partial<Record<QueueName, { attempts?: number; delayMs?: number }>>;

export function createQueues(connection: Redis, prefix: string, retries: RetryOverrides = {}): Queues {
  const optionsFor = (name: QueueName): JobsOptions => {
    const base = defaults[name];
    const override = retries[name];
    const delay = override?.delayMs ?? (base.backoff as { delay: number }).delay;
    return { ...retention, ...base, attempts: override?.attempts ?? base.attempts, backoff: { type: 'exponential', delay } };
  };
  const make = <K extends QueueName>(name: K) => {
    const queue = new Queue<JobData[K]>(name, {
      connection,
      prefix,
      skipWaitingForReady: true,
      defaultJobOptions: optionsFor(name),
    });
    // The shared connection reports its own errors (app.ts); a Queue with no
    // listener prints every failed reconnect to stderr while Redis is away.
    queue.on('error', () => undefined);
    return queue;
  };
  const queues = {
    intake: make('intake'),
    outbound: make('outbound'),
    deadlines: make('deadlines'),
    measures: make('measures'),
  };
  let closed: Promise<void> | undefined;
  return {
    ...queues,
    close() {
      closed ??= Promise.all(Object.values(queues).map((queue) => queue.close())).then(() => undefined);
      return closed;
    },
  };
}
