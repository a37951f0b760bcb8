import type { Job } from 'bullmq';
import type { CaseDeps } from '../src/cases/context.js';
import { deadlineFired } from '../src/cases/handlers/deadline-fired.js';
import { sendIncidentDigest } from '../src/cases/incidents.js';
import type { JobData } from '../src/queue/queues.js';

/** deadlines queue: a reminder or a due date woke up, or an incident's digest is due; the rows are re-read. */
export function deadlinesProcessor(deps: CaseDeps) {
  return (job: Job<JobData['deadlines']>) => {
    const data = job.data;
    if ('incidentId' in data) return sendIncidentDigest(data.incidentId, deps);
    return deadlineFired(job.name === 'remind' ? 'remind' : 'due', data.deadlineId, data.dueAt, deps);
  };
}
