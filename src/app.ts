import type { AppConfig, Role } from './config/index.js';
import type { Database } from './db/index.js';
import type { DnsResolver } from './dns/resolver.js';
import { cachePublicKeys } from './intake/public-keys.js';
import type { Logger } from './lib/logger.js';
import type { OutboundTransport } from './outbound/transport.js';
import { intakePulse, type IntakePulse } from './queue/intake-priority.js';
import type { Queues } from './queue/queues.js';
import { sweep } from './queue/sweep.js';
import { Closers } from './roles/closers.js';
import { openShared } from './roles/shared.js';
import type { Metrics } from './web/metrics.js';

export interface AppOptions {
  config: AppConfig;
  roles: Role[];
  logger: Logger;
  /** Injected for tests: the clock, DNS, and the outbound transport. */
  now?: () => Date;
  resolver?: DnsResolver;
  transport?: OutboundTransport;
  /** How often the worker role sweeps for unfinished work (0 = only at start). */
  sweepIntervalMs?: number;
}

export interface RunningApp {
  smtpPort: number | null;
  httpPort: number | null;
  database: Database;
  queues: Queues;
  metrics: Metrics;
  /** Runs the sweep once now (tests; the worker role runs it on a timer). */
  sweepNow(): Promise<void>;
  /** Stops taking work, drains, and closes everything; safe to call twice. */
  stop(timeoutMs?: number): Promise<void>;
}

/**
 * The composition root: opens what the roles share (database, Redis, queues)
 * once, then starts each role this process runs (src/roles). One process may
 * run all roles (a small site) or one (many machines against one PostgreSQL
 * and Redis).
 */
export async function startApp(options: AppOptions): Promise<RunningApp> {
  const { config, roles, logger } = options;
  const env = config.env;
  // For the life of the process: DKIM and ARC keys (at intake, and in evidence) are parsed once.
  cachePublicKeys();
  const closers = new Closers();
  try {
    const shared = await openShared({ config, roles, logger, now: options.now ?? (() => new Date()), resolver: options.resolver });
    closers.adopt(shared.closers);

    // Listeners signal a burst; workers that yield to them take one job at a time meanwhile (see intake-priority.ts).
    let pulse: IntakePulse | undefined;
    // A role's own code is loaded only by a process that runs it: an SMTP-only
    // process carries neither the dashboard nor the case workers (docs/performance.md).
    const smtp = roles.includes('smtp') ? await (await import('./roles/smtp.js')).startSmtpRole(shared, () => pulse?.noteAccepted()) : null;
    if (smtp) closers.adopt(smtp.closers);
    const worker = roles.includes('worker') ? await (await import('./roles/worker.js')).startWorkerRole(shared, { transport: options.transport, sweepIntervalMs: options.sweepIntervalMs }) : null;
    if (worker) closers.adopt(worker.closers);
    if (smtp) {
      const started = intakePulse({ redis: shared.producer, prefix: env.QUEUE_PREFIX, logger }, worker?.governor);
      pulse = started;
      closers.onStop(async () => started.stop());
    }
    const web = roles.includes('web') ? await (await import('./roles/web.js')).startWebRole(shared) : null;
    if (web) closers.adopt(web.closers);

    let stopping: Promise<void> | undefined;
    return {
      smtpPort: smtp?.listener.port ?? null,
      httpPort: web?.port ?? null,
      database: shared.database,
      queues: shared.queues,
      metrics: shared.metrics,
      sweepNow: async () => {
        await sweep(shared.sweep, { graceMs: 0, includeDeadlines: true });
      },
      stop(timeoutMs = env.SHUTDOWN_TIMEOUT_MS) {
        stopping ??= closers.close(timeoutMs, logger);
        return stopping;
      },
    };
  } catch (error) {
    await closers.close(10_000, logger);
    throw error;
  }
}
