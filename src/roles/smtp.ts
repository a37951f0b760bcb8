import { writersOfCase } from '../cases/directory.js';
import { ingest, type IngestDeps } from '../intake/ingest.js';
import { RejectionLog } from '../intake/rejections.js';
import { inboundStore } from '../intake/store.js';
import { SmtpRateLimits } from '../smtp/limits.js';
import { RecipientRouter } from '../smtp/recipients.js';
import { startSmtpListener, type SmtpListener } from '../smtp/server.js';
import { loadTls } from '../smtp/tls.js';
import { buildRole } from './closers.js';
import type { Shared } from './shared.js';

/**
 * The SMTP role: the listener and the ingest path behind it. `onAccepted`
 * hears of each message taken (the intake pulse that makes workers yield).
 */
export function startSmtpRole(shared: Shared, onAccepted: () => void) {
  const { config, logger, database, producer, queues, metrics, now } = shared;
  const env = config.env;
  return buildRole(logger, async (closers): Promise<{ listener: SmtpListener }> => {
    const tls = await loadTls({ certFile: env.TLS_CERT_FILE, keyFile: env.TLS_KEY_FILE, dataDir: config.dataDir, hostname: config.hostname });
    const directory = { writers: (ticket: string) => writersOfCase(database.prisma, ticket) };
    // Every refusal is kept, written in batches; flushed after the listener stops, before the database closes.
    const rejections = new RejectionLog(
      { flushMs: env.REJECTION_FLUSH_MS, batchRows: 500, maxBuffered: env.REJECTION_BUFFER_ROWS, retentionDays: env.RETENTION_DAYS },
      { db: database.prisma, now, logger, onDropped: metrics.smtpHooks.onRefusalsDropped },
    ).start();
    closers.onRelease(() => rejections.close());
    const ingestDeps: IngestDeps = {
      db: database.prisma,
      inbound: inboundStore(database.prisma, database.runner),
      chunks: shared.chunks,
      maxMessageBytes: env.MAX_MESSAGE_BYTES,
      spillBytes: env.SMTP_SPOOL_BYTES,
      queues,
      resolver: shared.resolver,
      brands: shared.brands,
      cases: directory,
      loopMarker: shared.loopMarker,
      recordRejection: rejections.record,
      mta: config.hostname,
      authTimeoutMs: Math.max(5_000, env.DNS_TIMEOUT_MS * 4),
      now,
      logger,
    };
    const listener = await startSmtpListener({
      host: env.SMTP_HOST,
      port: env.SMTP_PORT,
      hostname: config.hostname,
      maxMessageBytes: env.MAX_MESSAGE_BYTES,
      tls,
      maxClients: env.SMTP_MAX_CLIENTS,
      maxRecipients: env.SMTP_MAX_RECIPIENTS,
      socketTimeoutMs: env.SMTP_IDLE_TIMEOUT_MS,
      pace: { commandMs: env.SMTP_COMMAND_TIMEOUT_MS, dataMs: env.SMTP_DATA_TIMEOUT_MS, dataMinBytesPerSecond: env.SMTP_DATA_MIN_RATE },
      router: new RecipientRouter(config.brands, shared.tokens),
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
          onAccepted();
        },
        onRefused: (error, facts) => {
          metrics.smtpHooks.onRefused(error);
          rejections.record(error, facts);
        },
      },
    });
    closers.onStop(() => listener.close());
    return { listener };
  });
}
