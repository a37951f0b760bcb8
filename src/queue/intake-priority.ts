import type { Worker } from 'bullmq';
import type { Redis } from 'ioredis';
import type { Logger } from '../lib/logger.js';

/**
 * Intake comes first. While mail arrives quickly, the case workers take one
 * job at a time, so senders get their `250` without waiting behind case
 * processing for the CPU or the database. Nothing is lost by it: the work is
 * stored and queued, and the workers go back to full speed once the burst is
 * over.
 *
 * The signal crosses processes through Redis: each SMTP listener that accepted
 * `busyPerWindow` messages in a window sets a short-lived key, and every worker
 * process looks at it once a window. In one process (`npm start`) the listener
 * also tells its own workers directly.
 */

export interface IntakePriorityOptions {
  redis: Pick<Redis, 'set' | 'exists'>;
  prefix: string;
  logger: Logger;
  windowMs?: number;
  busyPerWindow?: number;
}

/** The listener's side: counts accepted messages and raises the signal. */
export interface IntakePulse {
  noteAccepted(): void;
  stop(): void;
}

/** The workers' side: throttles them while the signal is up. */
export interface WorkerGovernor {
  /** Throttles now, without waiting for Redis (the listener in the same process). */
  busy(): void;
  readonly throttled: boolean;
  stop(): void;
}

const DEFAULT_WINDOW_MS = 250;
const DEFAULT_BUSY_PER_WINDOW = 5;

export function busyKey(prefix: string): string {
  return `${prefix}:intake-busy`;
}

export function intakePulse(options: IntakePriorityOptions, local?: WorkerGovernor): IntakePulse {
  const windowMs = options.windowMs ?? DEFAULT_WINDOW_MS;
  const busyPerWindow = options.busyPerWindow ?? DEFAULT_BUSY_PER_WINDOW;
  let accepted = 0;
  const timer = setInterval(() => {
    const busy = accepted >= busyPerWindow;
    accepted = 0;
    if (!busy) return;
    local?.busy();
    // Lives for a few windows: the listener renews it while the burst lasts.
    options.redis.set(busyKey(options.prefix), '1', 'PX', windowMs * 3).catch((error: unknown) => {
      options.logger.debug({ err: error }, 'could not signal a busy intake');
    });
  }, windowMs);
  timer.unref();
  return {
    noteAccepted: () => {
      accepted += 1;
    },
    stop: () => clearInterval(timer),
  };
}

export function governWorkers(workers: Worker[], options: IntakePriorityOptions): WorkerGovernor {
  const windowMs = options.windowMs ?? DEFAULT_WINDOW_MS;
  const normal = new Map(workers.map((worker) => [worker, worker.concurrency]));
  let throttled = false;
  // Set by the listener in this process; holds the throttle for the window even when Redis says nothing.
  let busyLocally = false;
  let checking = false;
  const apply = (busy: boolean) => {
    if (busy === throttled) return;
    throttled = busy;
    for (const [worker, concurrency] of normal) worker.concurrency = busy ? 1 : concurrency;
  };
  const timer = setInterval(() => {
    if (checking) return;
    checking = true;
    const local = busyLocally;
    busyLocally = false;
    options.redis
      .exists(busyKey(options.prefix))
      .then((count) => apply(local || count > 0))
      // Without Redis no job is fetched anyway; what the listener saw still counts.
      .catch(() => apply(local))
      .finally(() => {
        checking = false;
      });
  }, windowMs);
  timer.unref();
  return {
    busy: () => {
      busyLocally = true;
      apply(true);
    },
    get throttled() {
      return throttled;
    },
    stop: () => clearInterval(timer),
  };
}
