import { Worker, type Job } from 'bullmq';
import type { Logger } from '../lib/logger.js';
import { workerConnection } from './connection.js';
import type { JobData, QueueName } from './queues.js';

export interface WorkerHooks {
  onCompleted?(queue: QueueName, durationMs: number): void;
  onFailed?(queue: QueueName, finalAttempt: boolean): void;
}

export interface WorkerOptions<K extends QueueName> {
  redisUrl: string;
  prefix: string;
  concurrency: number;
  lockMs?: number;
  logger: Logger;
  hooks?: WorkerHooks;
  /** Called once a job has used its last attempt: the dead-letter step. */
  onExhausted?(job: Job<JobData[K]>, error: Error): Promise<void>;
}

/**
 * A BullMQ worker on its own connection (workers block on Redis and must
 * wait for it to come back, never fail fast). Stalled jobs of a killed worker
 * are picked up again by any other.
 */
export interface RunningWorker {
  readonly worker: Worker;
  /** Lets jobs under way finish, then disconnects. Safe to call twice. */
  close(): Promise<void>;
}

export function startWorker<K extends QueueName>(
  queue: K,
  process: (job: Job<JobData[K]>) => Promise<unknown>,
  options: WorkerOptions<K>,
): RunningWorker {
  const connection = workerConnection(options.redisUrl, `abuse-desk-${queue}-worker`);
  connection.on('error', () => undefined);
  const worker = new Worker<JobData[K]>(
    queue,
    async (job) => {
      const started = performance.now();
      const result = await process(job);
      options.hooks?.onCompleted?.(queue, performance.now() - started);
      return result;
    },
    {
      connection,
      prefix: options.prefix,
      concurrency: options.concurrency,
      lockDuration: options.lockMs ?? 60_000,
      stalledInterval: Math.max(500, Math.floor((options.lockMs ?? 60_000) / 2)),
      maxStalledCount: 3,
    },
  );
  worker.on('failed', (job, error) => {
    const attempts = job?.opts.attempts ?? 1;
    const finalAttempt = !job || job.attemptsMade >= attempts || error.name === 'UnrecoverableError';
    options.hooks?.onFailed?.(queue, finalAttempt);
    options.logger.warn({ queue, jobId: job?.id, attempt: job?.attemptsMade, err: error }, finalAttempt ? 'job failed for good' : 'job failed; will retry');
    if (finalAttempt && job && options.onExhausted) {
      options.onExhausted(job, error).catch((dlqError: unknown) => options.logger.error({ queue, jobId: job.id, err: dlqError }, 'dead-letter step failed'));
    }
  });
  worker.on('error', (error) => options.logger.warn({ queue, err: error }, 'worker error'));
  let closed: Promise<void> | undefined;
  return {
    worker: worker as unknown as Worker,
    close() {
      closed ??= worker.close().finally(() => connection.disconnect());
      return closed;
    },
  };
}
