import type { Worker } from 'bullmq';

export interface IntakePriority {
  /** Called for every message the listener accepts. */
  noteAccepted(): void;
  stop(): void;
}

/**
 * When the SMTP listener and the workers share one process (`npm start`), the
 * listener comes first: while mail arrives quickly, the workers take one job
 * at a time, so senders get their 250 without waiting behind case processing.
 * Nothing waits for long: the work is stored and queued, and the workers go
 * back to full speed as soon as the burst is over.
 */
export function prioritiseIntake(workers: Worker[], options: { windowMs?: number; busyPerWindow?: number } = {}): IntakePriority {
  const windowMs = options.windowMs ?? 250;
  const busyPerWindow = options.busyPerWindow ?? 5;
  const normal = new Map(workers.map((worker) => [worker, worker.concurrency]));
  let accepted = 0;
  let throttled = false;
  const timer = setInterval(() => {
    const busy = accepted >= busyPerWindow;
    accepted = 0;
    if (busy === throttled) return;
    throttled = busy;
    for (const [worker, concurrency] of normal) worker.concurrency = busy ? 1 : concurrency;
  }, windowMs);
  timer.unref();
  return {
    noteAccepted: () => {
      accepted += 1;
    },
    stop: () => clearInterval(timer),
  };
}
