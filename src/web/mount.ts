import { createBullBoard } from '@bull-board/api';
import { BullMQAdapter } from '@bull-board/api/bullMQAdapter';
import { HonoAdapter } from '@bull-board/hono';
import { serveStatic } from '@hono/node-server/serve-static';
import type { Hono, MiddlewareHandler } from 'hono';
import type { Brand } from '../config/brands.js';
import type { Db } from '../db/index.js';
import { QUEUE_NAMES, type Queues } from '../queue/queues.js';
import type { Metrics } from './metrics.js';

export interface DashboardDeps {
  db: Db;
  queues: Queues;
  metrics: Metrics;
  brands: Map<string, Brand>;
  now: () => Date;
}

/** The queues (bull-board) behind the admin password, and /metrics behind the API token. */
export function mountDashboard(app: Hono, guards: { admin: MiddlewareHandler; api: MiddlewareHandler }, deps: DashboardDeps): void {
  const board = new HonoAdapter(serveStatic);
  createBullBoard({ queues: QUEUE_NAMES.map((name) => new BullMQAdapter(deps.queues[name])), serverAdapter: board });
  board.setBasePath('/admin/queues');
  app.use('/admin/*', guards.admin);
  app.use('/admin', guards.admin);
  app.route('/admin/queues', board.registerPlugin());

  app.use('/metrics', guards.api);
  app.get('/metrics', async (c) => {
    const body = await deps.metrics.registry.metrics();
    return c.body(body, 200, { 'Content-Type': deps.metrics.registry.contentType });
  });
}
