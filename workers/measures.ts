import type { Job } from 'bullmq';
import type { CaseDeps } from '../src/cases/context.js';
import { executeMeasure, measureFailed, type MeasureDeps } from '../src/measures/execute.js';
import type { JobData } from '../src/queue/queues.js';

/** measures queue: a confirmed measure sent to the registrar's platform. */
export function measuresProcessor(deps: CaseDeps, measures: MeasureDeps) {
  return (job: Job<JobData['measures']>) => executeMeasure(job.data.measureId, deps, measures);
}

export function measuresExhausted(deps: CaseDeps) {
  return (job: Job<JobData['measures']>, error: Error) => measureFailed(job.data.measureId, error.message, deps);
}
