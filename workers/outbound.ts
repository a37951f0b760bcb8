import type { Job } from 'bullmq';
import type { CaseDeps } from '../src/cases/context.js';
import { afterSent, KINDS_THAT_ACKNOWLEDGE } from '../src/cases/delivered.js';
import { deliverMessage, markUndeliverable, type DeliverDeps } from '../src/outbound/deliver.js';
import type { OutboundTransport } from '../src/outbound/transport.js';
import type { JobData } from '../src/queue/queues.js';

/** outbound queue: one recorded message handed to the relay. */
export function outboundProcessor(deps: CaseDeps, transport: OutboundTransport) {
  const deliverDeps: DeliverDeps = {
    db: deps.db,
    sql: deps.sql,
    transport,
    now: deps.now,
    logger: deps.logger,
    afterSent: { kinds: KINDS_THAT_ACKNOWLEDGE, record: (tx, sent) => afterSent(tx, deps, sent) },
  };
  return (job: Job<JobData['outbound']>) => deliverMessage(job.data.messageId, deliverDeps);
}

export function outboundExhausted(deps: Pick<CaseDeps, 'db'>) {
  return (job: Job<JobData['outbound']>, error: Error) => markUndeliverable(job.data.messageId, error.message, deps);
}
