import type { Job } from 'bullmq';
import type { CaseDeps } from '../src/cases/context.js';
import { routeMessage } from '../src/cases/route-message.js';
import type { JobData } from '../src/queue/queues.js';

/** intake queue: one stored message becomes a case or a step in one. */
export function intakeProcessor(deps: CaseDeps) {
  return (job: Job<JobData['intake']>) => routeMessage(job.data.inboundId, deps);
}

/** After the last retry the message stays stored, marked failed for ops to see. */
export function intakeExhausted(deps: Pick<CaseDeps, 'db'>) {
  return async (job: Job<JobData['intake']>, error: Error) => {
    await deps.db.inboundMessage.updateMany({
      where: { id: job.data.inboundId, status: 'stored' },
      data: { status: 'failed', error: error.message.slice(0, 500) },
    });
  };
}
