import { startApp } from './app.js';
import { ConfigError, describeConfig, loadConfig, parseRoles } from './config/index.js';
import { DatabaseLockedError } from './db/data-lock.js';
import { lowerCpuPriority } from './lib/cpu-priority.js';
import { createLogger } from './lib/logger.js';
import { RedisUnavailableError } from './queue/redis-server.js';

/**
 * `npm start [-- --role smtp|worker|web] [--print-config]`: validates the
 * configuration once, starts the roles, and shuts down on SIGTERM/SIGINT
 * (a second signal forces the exit).
 */
async function main(): Promise<number> {
  const argv = process.argv.slice(2);
  const config = loadConfig(process.env);
  if (argv.includes('--print-config')) {
    console.log(JSON.stringify(describeConfig(config), null, 2));
    return 0;
  }
  const roles = parseRoles(argv);
  const logger = createLogger(config.env.LOG_LEVEL, { roles: roles.join(',') });
  for (const name of config.generatedSecrets) {
    logger.warn(`${name} is not set: using the value kept in ${config.dataDir}/secrets.json (set it in production)`);
  }
  if (roles.length === 1 && roles[0] === 'worker') {
    // A worker process that shares a machine with SMTP listeners yields the CPU
    // to them: senders waiting for their 250 come before case processing, whose
    // work is stored and queued (see lib/cpu-priority.ts).
    const priority = lowerCpuPriority(config.env.WORKER_CPU_PRIORITY);
    if (priority.problem) logger.warn(priority.problem);
  }
  const app = await startApp({ config, roles, logger });
  logger.info(
    { smtpPort: app.smtpPort, httpPort: app.httpPort, database: app.database.kind, brands: config.brands.map((b) => b.id) },
    'abuse desk running',
  );

  return new Promise<number>((resolve) => {
    let signals = 0;
    const onSignal = (signal: NodeJS.Signals) => {
      signals += 1;
      if (signals > 1) {
        logger.warn({ signal }, 'second signal: exiting now');
        resolve(130);
        return;
      }
      logger.info({ signal }, 'shutting down: no new sessions, draining work');
      app.stop().then(
        () => resolve(0),
        (error: unknown) => {
          logger.error({ err: error }, 'shutdown failed');
          resolve(1);
        },
      );
    };
    process.on('SIGTERM', onSignal);
    process.on('SIGINT', onSignal);
  });
}

main().then(
  (code) => process.exit(code),
  (error: unknown) => {
    if (error instanceof ConfigError || error instanceof RedisUnavailableError || error instanceof DatabaseLockedError) {
      console.error(`abuse-desk: ${error.message}`);
    } else {
      console.error('abuse-desk: failed to start:', error);
    }
    process.exit(1);
  },
);
