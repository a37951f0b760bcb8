import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from 'prom-client';
import type { IngestOutcome } from '../intake/ingest.js';
import type { SmtpError } from '../smtp/errors.js';
import type { QueueName } from '../queue/queues.js';

export interface Metrics {
  registry: Registry;
  smtpHooks: {
    onSession(): void;
    onAccepted(outcome: IngestOutcome): void;
    onRefused(error: SmtpError): void;
    onOpenSessions(count: number): void;
    /** Refusals answered but not kept in the Rejection table (buffer full while the database was away). */
    onRefusalsDropped(count: number): void;
  };
  workerHooks: {
    onCompleted(queue: QueueName, durationMs: number): void;
    onFailed(queue: QueueName, finalAttempt: boolean): void;
  };
}

/** This process's own counters; the web role adds database-wide figures at scrape time. */
export function createMetrics(): Metrics {
  const registry = new Registry();
  collectDefaultMetrics({ register: registry, prefix: 'abuse_desk_process_' });
  const sessions = new Counter({ name: 'abuse_desk_smtp_sessions_total', help: 'SMTP sessions opened', registers: [registry] });
  const accepted = new Counter({ name: 'abuse_desk_smtp_accepted_total', help: 'Messages accepted with 250', labelNames: ['outcome'], registers: [registry] });
  const open = new Gauge({ name: 'abuse_desk_smtp_sessions_open', help: 'SMTP sessions open on this process', registers: [registry] });
  const refused = new Counter({ name: 'abuse_desk_smtp_refusals_total', help: 'SMTP replies refusing or deferring, by reason', labelNames: ['reason', 'code'], registers: [registry] });
  const dropped = new Counter({ name: 'abuse_desk_smtp_refusals_unrecorded_total', help: 'SMTP refusals answered but not written to the Rejection table (database away, buffer full)', registers: [registry] });
  const durations = new Histogram({
    name: 'abuse_desk_job_duration_seconds',
    help: 'Job processing time',
    labelNames: ['queue'],
    buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10],
    registers: [registry],
  });
  const failures = new Counter({ name: 'abuse_desk_job_failures_total', help: 'Job failures', labelNames: ['queue', 'final'], registers: [registry] });
  return {
    registry,
    smtpHooks: {
      onSession: () => sessions.inc(),
      onAccepted: (outcome) => accepted.inc({ outcome: outcome.kind }),
      onRefused: (error) => refused.inc({ reason: error.reason, code: String(error.responseCode) }),
      onOpenSessions: (count) => open.set(count),
      onRefusalsDropped: (count) => dropped.inc(count),
    },
    workerHooks: {
      onCompleted: (queue, durationMs) => durations.observe({ queue }, durationMs / 1000),
      onFailed: (queue, finalAttempt) => failures.inc({ queue, final: String(finalAttempt) }),
    },
  };
}
