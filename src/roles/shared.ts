import type { Brand } from '../config/brands.js';
import type { AppConfig, Role } from '../config/index.js';
import type { CaseDeps } from '../cases/context.js';
import { openDatabaseFromConfig, type Database } from '../db/index.js';
import { createResolver, type DnsResolver } from '../dns/resolver.js';
import { sqlChunkStore, type ChunkStore } from '../intake/spool.js';
import type { Logger } from '../lib/logger.js';
import { LoopMarker } from '../outbound/loop-marker.js';
import { ReplyTokens } from '../outbound/reply-address.js';
import { closeConnection, producerConnection, waitReady } from '../queue/connection.js';
import { createQueues, type Queues } from '../queue/queues.js';
import { ensureRedis, type RedisEndpoint } from '../queue/redis-server.js';
import type { SweepDeps } from '../queue/sweep.js';
import { createMetrics, type Metrics } from '../web/metrics.js';
import { buildRole } from './closers.js';

/** What every role of one process shares: one database pool, one Redis, the queues, the case dependencies. */
export interface Shared {
  config: AppConfig;
  logger: Logger;
  now: () => Date;
  brands: Map<string, Brand>;
  tokens: ReplyTokens;
  loopMarker: LoopMarker;
  metrics: Metrics;
  redis: RedisEndpoint;
  database: Database;
  /** The fail-fast Redis connection of producers (the SMTP path, the queues, readiness). */
  producer: ReturnType<typeof producerConnection>;
  queues: Queues;
  resolver: DnsResolver;
  chunks: ChunkStore;
  cases: CaseDeps;
  sweep: SweepDeps;
}

export interface SharedOptions {
  config: AppConfig;
  roles: Role[];
  logger: Logger;
  now: () => Date;
  resolver?: DnsResolver;
}

/** Opens Redis, the database and the queues once for all roles of the process. */
export function openShared(options: SharedOptions) {
  const { config, roles, logger, now } = options;
  const env = config.env;
  return buildRole(logger, async (closers): Promise<Shared> => {
    const redis = await ensureRedis(env.REDIS_URL, config.dataDir, logger);
    closers.onRelease(() => redis.stop());
    const database = await openDatabaseFromConfig(config, poolSize(roles, env.WORKER_CONCURRENCY));
    closers.onRelease(() => database.close());

    const producer = producerConnection(redis.url, 'abuse-desk-producer');
    producer.on('error', (error) => logger.debug({ err: error }, 'Redis producer connection error'));
    await waitReady(producer, 10_000);
    const queues = createQueues(producer, env.QUEUE_PREFIX, {
      outbound: { attempts: env.OUTBOUND_MAX_ATTEMPTS, delayMs: env.OUTBOUND_RETRY_DELAY_MS },
      measures: { attempts: env.MEASURES_MAX_ATTEMPTS, delayMs: env.MEASURES_RETRY_DELAY_MS },
    });
    closers.onRelease(async () => {
      await queues.close();
      await closeConnection(producer);
    });

    const brands = new Map<string, Brand>(config.brands.map((brand) => [brand.id, brand]));
    const tokens = new ReplyTokens(config.secrets.REPLY_TOKEN_SECRET);
    const loopMarker = new LoopMarker(config.secrets.REPLY_TOKEN_SECRET);
    const resolver = options.resolver ?? createResolver({ servers: env.DNS_SERVERS, timeoutMs: env.DNS_TIMEOUT_MS });
    const chunks = sqlChunkStore(database.runner);
    const cases: CaseDeps = {
      db: database.prisma,
      sql: database.runner,
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
    const sweep: SweepDeps = { db: database.prisma, sql: database.runner, queues, brands, now, logger };
    return { config, logger, now, brands, tokens, loopMarker, metrics: createMetrics(), redis, database, producer, queues, resolver, chunks, cases, sweep };
  });
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
