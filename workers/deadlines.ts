import type { Job } from 'bullmq';
import type { CaseDeps } from '../src/cases/context.js';
import { deadlineFired } from '../src/cases/handlers/deadline-fired.js';
import type { JobData } from '../src/queue/queues.js';

/** deadlines queue: a reminder or a due date woke up; the case is re-read. */
export function deadlinesProcessor(deps: CaseDeps) {
  return (job: Job<JobData['deadlines']>) =>
    deadlineFired(job.name === 'remind' ? 'remind' : 'due', job.data.deadlineId, job.data.dueAt, deps);
}
