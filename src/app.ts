import { once } from 'node:events';
import type { Server } from 'node:http';
import { join } from 'node:path';
import { serve } from '@hono/node-server';
import type { Brand } from './config/brands.js';
import type { AppConfig, Role } from './config/index.js';
import type { CaseDeps } from './cases/context.js';
import { ReplyTokens } from './cases/reply-address.js';
import { writersOfCase } from './cases/directory.js';
import { openDatabaseFromConfig, type Database } from './db/index.js';
import { createResolver, type DnsResolver } from './dns/resolver.js';
import { ingest, type IngestDeps } from './intake/ingest.js';
import { RejectionLog } from './intake/rejections.js';
import { sweep } from './intake/sweep.js';
import { cachePublicKeys } from './intake/public-keys.js';
import { inboundStore } from './intake/store.js';
import type { Logger } from './lib/logger.js';
import { LoopMarker } from './outbound/loop-marker.js';
import { outboxTransport, smtpTransport, type OutboundTransport } from './outbound/transport.js';
import { closeConnection, producerConnection, waitReady } from './queue/connection.js';
import { createQueues, type Queues } from './queue/queues.js';
import { ensureRedis, type RedisEndpoint } from './queue/redis-server.js';
import { governWorkers, intakePulse, type IntakePulse, type WorkerGovernor } from './queue/intake-priority.js';
import { startWorker, type RunningWorker } from './queue/worker.js';
import { SmtpRateLimits } from './smtp/limits.js';
import { RecipientRouter } from './smtp/recipients.js';
import { startSmtpListener, type SmtpListener } from './smtp/server.js';
import { loadTls } from './smtp/tls.js';
import { startStaff } from './staff/index.js';
import { createWebApp } from './web/app.js';
import { mountDashboard } from './web/mount.js';
import { createMetrics, type Metrics } from './web/metrics.js';
import { sqlChunkStore } from './intake/spool.js';
import { deadlinesProcessor } from '../workers/deadlines.js';
import { intakeExhausted, intakeProcessor } from '../workers/intake.js';
import { measuresExhausted, measuresProcessor } from '../workers/measures.js';
import { outboundExhausted, outboundProcessor } from '../workers/outbound.js';

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
 * The composition root: builds each role from the configuration and wires
 * the shared pieces (database, Redis, queues) once. One process may run all
 * roles (a small site) or one (many machines against one PostgreSQL and Redis).
 */
export async function startApp(options: AppOptions): Promise<RunningApp> {
  const { config, roles, logger } = options;
  const now = options.now ?? (() => new Date());
  const env = config.env;
  const brands = new Map<string, Brand>(config.brands.map((brand) => [brand.id, brand]));
  const tokens = new ReplyTokens(config.secrets.REPLY_TOKEN_SECRET);
  const loopMarker = new LoopMarker(config.secrets.REPLY_TOKEN_SECRET);
  const metrics = createMetrics();
  // For the life of the process: DKIM and ARC keys (at intake, and in evidence) are parsed once.
  cachePublicKeys();
  // Closed in two phases: first everything that takes work, together (the SMTP
  // listener answers 421 to new sessions while messages under way finish, and
  // workers drain); then what they needed, in order: transport, queues, database, Redis.
  const front: Closer[] = [];
  const back: Closer[] = [];

  let redis: RedisEndpoint | undefined;
  let database: Database | undefined;
  try {
    redis = await ensureRedis(env.REDIS_URL, config.dataDir, logger);
    const endpoint = redis;
    back.push(() => endpoint.stop());
    database = await openDatabaseFromConfig(config, poolSize(roles, env.WORKER_CONCURRENCY));
    const db = database;
    back.unshift(() => db.close());

    const producer = producerConnection(redis.url, 'abuse-desk-producer');
    producer.on('error', (error) => logger.debug({ err: error }, 'Redis producer connection error'));
    await waitReady(producer, 10_000);
    const queues = createQueues(producer, env.QUEUE_PREFIX, {
      outbound: { attempts: env.OUTBOUND_MAX_ATTEMPTS, delayMs: env.OUTBOUND_RETRY_DELAY_MS },
      measures: { attempts: env.MEASURES_MAX_ATTEMPTS, delayMs: env.MEASURES_RETRY_DELAY_MS },
    });
    back.unshift(async () => {
      await queues.close();
      await closeConnection(producer);
    });

    const resolver = options.resolver ?? createResolver({ servers: env.DNS_SERVERS, timeoutMs: env.DNS_TIMEOUT_MS });
    const chunks = sqlChunkStore(db.runner);
    const caseDeps: CaseDeps = {
      db: db.prisma,
      sql: db.runner,
      chunks,
      queues,
      brands,
      tokens,
      loopMarker,
      hostname: config.hostname,
      dailyCap: env.AUTO_REPLY_DAILY_CAP,
      blocklists: env.DNS_BLOCKLISTS,
      resolver,
      now,
      logger,
    };

    let smtp: SmtpListener | undefined;
    let priority: IntakePulse | undefined;
    if (roles.includes('smtp')) {
      const tls = await loadTls({ certFile: env.TLS_CERT_FILE, keyFile: env.TLS_KEY_FILE, dataDir: config.dataDir, hostname: config.hostname });
      const directory = { writers: (ticket: string) => writersOfCase(db.prisma, ticket) };
      // Every refusal is kept, written in batches; flushed before the database closes.
      const rejections = new RejectionLog(
        { flushMs: env.REJECTION_FLUSH_MS, batchRows: 500, maxBuffered: env.REJECTION_BUFFER_ROWS, retentionDays: env.RETENTION_DAYS },
        { db: db.prisma, now, logger, onDropped: metrics.smtpHooks.onRefusalsDropped },
      ).start();
      back.unshift(() => rejections.close());
      const ingestDeps: IngestDeps = {
        db: db.prisma,
        inbound: inboundStore(db.prisma, db.runner),
        chunks,
        maxMessageBytes: env.MAX_MESSAGE_BYTES,
        spillBytes: env.SMTP_SPOOL_BYTES,
        queues,
        resolver,
        brands,
        cases: directory,
        loopMarker,
        recordRejection: rejections.record,
        mta: config.hostname,
        authTimeoutMs: Math.max(5_000, env.DNS_TIMEOUT_MS * 4),
        now,
        logger,
      };
      smtp = await startSmtpListener({
        host: env.SMTP_HOST,
        port: env.SMTP_PORT,
        hostname: config.hostname,
        maxMessageBytes: env.MAX_MESSAGE_BYTES,
        tls,
        maxClients: env.SMTP_MAX_CLIENTS,
        maxRecipients: env.SMTP_MAX_RECIPIENTS,
        socketTimeoutMs: env.SMTP_IDLE_TIMEOUT_MS,
        pace: { commandMs: env.SMTP_COMMAND_TIMEOUT_MS, dataMs: env.SMTP_DATA_TIMEOUT_MS, dataMinBytesPerSecond: env.SMTP_DATA_MIN_RATE },
        router: new RecipientRouter(config.brands, tokens),
        limits: new SmtpRateLimits(producer, {
          connectionsPerMinutePerIp: env.RATE_LIMIT_IP_PER_MINUTE,
          openSessionsPerIp: env.SMTP_MAX_CLIENTS_PER_IP,
          messagesPerHourPerSender: env.RATE_LIMIT_SENDER_PER_HOUR,
          exempt: env.RATE_LIMIT_EXEMPT,
          prefix: env.QUEUE_PREFIX,
        }),
        cases: directory,
        ingest: (input) => ingest(input, ingestDeps),
        logger,
        hooks: {
          ...metrics.smtpHooks,
          onAccepted: (outcome) => {
            metrics.smtpHooks.onAccepted(outcome);
            priority?.noteAccepted();
          },
          onRefused: (error, facts) => {
            metrics.smtpHooks.onRefused(error);
            rejections.record(error, facts);
          },
        },
      });
      const listener = smtp;
      front.push(() => listener.close());
    }

    const workers: RunningWorker[] = [];
    let transport: OutboundTransport | undefined;
    const sweepDeps = { db: db.prisma, sql: db.runner, queues, brands, now, logger };
    if (roles.includes('worker')) {
      transport = options.transport ?? (env.OUTBOUND_SMTP_URL ? smtpTransport(env.OUTBOUND_SMTP_URL) : outboxTransport(join(config.dataDir, 'outbox')));
      logger.info({ transport: transport.description }, 'outbound messages go to');
      const common = { redisUrl: redis.url, prefix: env.QUEUE_PREFIX, lockMs: env.WORKER_LOCK_MS, logger, hooks: metrics.workerHooks };
      workers.push(
        startWorker('intake', intakeProcessor(caseDeps), { ...common, concurrency: env.WORKER_CONCURRENCY, onExhausted: intakeExhausted(caseDeps) }),
        startWorker('outbound', outboundProcessor(caseDeps, transport), { ...common, concurrency: env.WORKER_CONCURRENCY, onExhausted: outboundExhausted(caseDeps) }),
        startWorker('deadlines', deadlinesProcessor(caseDeps), { ...common, concurrency: 4 }),
        startWorker('measures', measuresProcessor(caseDeps, { defaultUrl: env.MEASURES_WEBHOOK_URL, secret: config.secrets.WEBHOOK_SECRET }), {
          ...common,
          concurrency: 4,
          onExhausted: measuresExhausted(caseDeps),
        }),
      );
      const sending = transport;
      back.unshift(() => sending.close());
      front.push(async () => {
        await Promise.all(workers.map((worker) => worker.close()));
      });
      await sweep(sweepDeps, { graceMs: env.SWEEP_GRACE_MS, includeDeadlines: true }).catch((error: unknown) => logger.warn({ err: error }, 'start-up sweep failed'));
      const interval = options.sweepIntervalMs ?? env.SWEEP_INTERVAL_MS;
      if (interval > 0) {
        let round = 0;
        const timer = setInterval(() => {
          round += 1;
          // Deadline jobs are re-checked every tenth round: there can be many.
          sweep(sweepDeps, { graceMs: env.SWEEP_GRACE_MS, includeDeadlines: round % 10 === 0 }).catch((error: unknown) => logger.warn({ err: error }, 'sweep failed'));
        }, interval);
        timer.unref();
        front.push(async () => clearInterval(timer));
      }
    }

    // Listeners signal a burst; workers that yield to them take one job at a time meanwhile (see intake-priority.ts).
    const priorityOptions = { redis: producer, prefix: env.QUEUE_PREFIX, logger };
    let governor: WorkerGovernor | undefined;
    if (workers.length > 0 && env.WORKERS_YIELD_TO_SMTP) {
      const yielding = governWorkers(workers.slice(0, 2).map((running) => running.worker), priorityOptions);
      governor = yielding;
      front.push(async () => yielding.stop());
    }
    if (smtp) {
      const pulse = intakePulse(priorityOptions, governor);
      priority = pulse;
      front.push(async () => pulse.stop());
    }

    let http: Server | undefined;
    if (roles.includes('web')) {
      // Staff accounts (issue 23): the first admin is made here when there is none.
      const staff = await startStaff({ db: db.prisma, redis: producer, env, secrets: config.secrets, now, logger });
      const app = createWebApp({
        db: db.prisma,
        cases: caseDeps,
        staff,
        maxBodyBytes: env.HTTP_MAX_BODY_BYTES,
        now,
        logger,
        ready: async () => ({
          database: await db.ping().then(() => true, () => false),
          redis: await producer.ping().then(() => true, () => false),
        }),
        extend: (web, guards) => mountDashboard(web, guards, { db: db.prisma, queues, metrics, brands, now, logger, cases: caseDeps, staff }),
      });
      http = serve({ fetch: app.fetch, port: env.HTTP_PORT, hostname: env.HTTP_HOST }) as Server;
      await once(http, 'listening');
      const server = http;
      front.push(() => new Promise<void>((resolve) => server.close(() => resolve())));
      logger.info({ port: httpPort(http) }, 'web server ready');
    }

    let stopping: Promise<void> | undefined;
    return {
      smtpPort: smtp?.port ?? null,
      httpPort: http ? httpPort(http) : null,
      database: db,
      queues,
      metrics,
      sweepNow: async () => {
        await sweep(sweepDeps, { graceMs: 0, includeDeadlines: true });
      },
      stop(timeoutMs = env.SHUTDOWN_TIMEOUT_MS) {
        stopping ??= closeAll(front, back, timeoutMs, logger);
        return stopping;
      },
    };
  } catch (error) {
    await closeAll(front, back, 10_000, logger);
    throw error;
  }
}

/**
 * Database connections this process may need at once: an interactive
 * transaction holds one for its whole length, so workers need one per job they
 * run (intake and outbound at the configured concurrency, deadlines and
 * measures at 4), the SMTP listener a few for stores and lookups, the web role
 * a few for pages. The sum over all processes must stay under the server's
 * max_connections.
 */
function poolSize(roles: Role[], workerConcurrency: number): number {
  return (roles.includes('worker') ? 2 * workerConcurrency + 10 : 0) + (roles.includes('smtp') ? 10 : 0) + (roles.includes('web') ? 5 : 0);
}

function httpPort(server: Server): number {
  const address = server.address();
  return typeof address === 'object' && address ? address.port : 0;
}

type Closer = () => Promise<void>;

/** Closes the front together, then the back in order, each raced against the deadline. */
async function closeAll(front: Closer[], back: Closer[], timeoutMs: number, logger: Logger): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  const bounded = async (close: Closer) => {
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<'timeout'>((resolve) => {
      timer = setTimeout(() => resolve('timeout'), Math.max(100, deadline - Date.now()));
    });
    const done = close().then(
      () => 'done' as const,
      (error: unknown) => {
        logger.warn({ err: error }, 'error while closing');
        return 'done' as const;
      },
    );
    const result = await Promise.race([done, timeout]);
    clearTimeout(timer);
    if (result === 'timeout') logger.warn('a component did not close in time; moving on');
  };
  await Promise.all(front.map(bounded));
  for (const close of back) await bounded(close);
}
