import { join } from 'node:path';
import type { Worker } from 'bullmq';
import { outboxTransport, smtpTransport, type OutboundTransport } from '../outbound/transport.js';
import { governWorkers, type WorkerGovernor } from '../queue/intake-priority.js';
import type { QueueName } from '../queue/queues.js';
import { sweep } from '../queue/sweep.js';
import { startWorker, type RunningWorker } from '../queue/worker.js';
import { deadlinesProcessor } from '../../workers/deadlines.js';
import { intakeExhausted, intakeProcessor } from '../../workers/intake.js';
import { measuresExhausted, measuresProcessor } from '../../workers/measures.js';
import { outboundExhausted, outboundProcessor } from '../../workers/outbound.js';
import { buildRole } from './closers.js';
import type { Shared } from './shared.js';

export interface WorkerRoleOptions {
  /** Injected for tests; else the relay at OUTBOUND_SMTP_URL or the outbox folder. */
  transport?: OutboundTransport;
  /** How often to sweep for unfinished work (0 = only at start); else SWEEP_INTERVAL_MS. */
  sweepIntervalMs?: number;
}

export interface WorkerRole {
  workers: Record<QueueName, RunningWorker>;
  /** Throttles the case workers while listeners are in a burst (WORKERS_YIELD_TO_SMTP); else absent. */
  governor?: WorkerGovernor;
}

/**
 * The worker role: one worker per queue, the outbound transport, and the
 * sweep that re-queues what Redis lost (at start, then on a timer).
 */
export function startWorkerRole(shared: Shared, options: WorkerRoleOptions) {
  const { config, logger, metrics, cases } = shared;
  const env = config.env;
  return buildRole(logger, async (closers): Promise<WorkerRole> => {
    const transport = options.transport ?? (env.OUTBOUND_SMTP_URL ? smtpTransport(env.OUTBOUND_SMTP_URL) : outboxTransport(join(config.dataDir, 'outbox')));
    logger.info({ transport: transport.description }, 'outbound messages go to');
    closers.onRelease(() => transport.close());

    const common = { redisUrl: shared.redis.url, prefix: env.QUEUE_PREFIX, lockMs: env.WORKER_LOCK_MS, logger, hooks: metrics.workerHooks };
    const measures = { defaultUrl: env.MEASURES_WEBHOOK_URL, secret: config.secrets.WEBHOOK_SECRET };
    const workers: Record<QueueName, RunningWorker> = {
      intake: startWorker('intake', intakeProcessor(cases), { ...common, concurrency: env.WORKER_CONCURRENCY, onExhausted: intakeExhausted(cases) }),
      outbound: startWorker('outbound', outboundProcessor(cases, transport), { ...common, concurrency: env.WORKER_CONCURRENCY, onExhausted: outboundExhausted(cases) }),
      deadlines: startWorker('deadlines', deadlinesProcessor(cases), { ...common, concurrency: 4 }),
      measures: startWorker('measures', measuresProcessor(cases, measures), { ...common, concurrency: 4, onExhausted: measuresExhausted(cases) }),
    };
    closers.onStop(async () => {
      await Promise.all(Object.values(workers).map((worker) => worker.close()));
    });

    await sweep(shared.sweep, { graceMs: env.SWEEP_GRACE_MS, includeDeadlines: true }).catch((error: unknown) => logger.warn({ err: error }, 'start-up sweep failed'));
    const interval = options.sweepIntervalMs ?? env.SWEEP_INTERVAL_MS;
    if (interval > 0) {
      let round = 0;
      const timer = setInterval(() => {
        round += 1;
        // Deadline jobs are re-checked every tenth round: there can be many.
        sweep(shared.sweep, { graceMs: env.SWEEP_GRACE_MS, includeDeadlines: round % 10 === 0 }).catch((error: unknown) => logger.warn({ err: error }, 'sweep failed'));
      }, interval);
      timer.unref();
      closers.onStop(async () => clearInterval(timer));
    }

    if (!env.WORKERS_YIELD_TO_SMTP) return { workers };
    // Intake and outbound yield to listeners in a burst; deadlines and measures are few and keep their pace.
    const yielding: Worker[] = [workers.intake.worker, workers.outbound.worker];
    const governor = governWorkers(yielding, { redis: shared.producer, prefix: env.QUEUE_PREFIX, logger });
    closers.onStop(async () => governor.stop());
    return { workers, governor };
  });
}
