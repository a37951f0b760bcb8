import { once } from 'node:events';
import type { Server } from 'node:http';
import { serve } from '@hono/node-server';
import { startStaff } from '../staff/index.js';
import { createWebApp } from '../web/app.js';
import { mountDashboard } from '../web/mount.js';
import { buildRole } from './closers.js';
import type { Shared } from './shared.js';

/** The web role: health, the API, the dashboard and the queues' board. */
export function startWebRole(shared: Shared) {
  const { config, logger, database, producer, queues, metrics, brands, now } = shared;
  const env = config.env;
  return buildRole(logger, async (closers): Promise<{ port: number }> => {
    // Staff accounts (issue 23): the first admin is made here when there is none.
    const staff = await startStaff({ db: database.prisma, redis: producer, env, secrets: config.secrets, now, logger });
    const app = createWebApp({
      db: database.prisma,
      cases: shared.cases,
      staff,
      maxBodyBytes: env.HTTP_MAX_BODY_BYTES,
      now,
      logger,
      ready: async () => ({
        database: await database.ping().then(() => true, () => false),
        redis: await producer.ping().then(() => true, () => false),
      }),
      extend: (web, guards) => mountDashboard(web, guards, { db: database.prisma, queues, metrics, brands, now, logger, cases: shared.cases, staff }),
    });
    const http = serve({ fetch: app.fetch, port: env.HTTP_PORT, hostname: env.HTTP_HOST }) as Server;
    await once(http, 'listening');
    closers.onStop(() => new Promise<void>((resolve) => http.close(() => resolve())));
    const port = listeningPort(http);
    logger.info({ port }, 'web server ready');
    return { port };
  });
}

function listeningPort(server: Server): number {
  const address = server.address();
  return typeof address === 'object' && address ? address.port : 0;
}
