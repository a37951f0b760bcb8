import { createBullBoard } from '@bull-board/api';
import { BullMQAdapter } from '@bull-board/api/bullMQAdapter';
import { HonoAdapter } from '@bull-board/hono';
import { serveStatic } from '@hono/node-server/serve-static';
import type { Hono, MiddlewareHandler } from 'hono';
import type { CaseDeps } from '../cases/context.js';
import type { Brand } from '../config/brands.js';
import type { Db } from '../db/index.js';
import type { Logger } from '../lib/logger.js';
import { QUEUE_NAMES, type Queues } from '../queue/queues.js';
import type { Staff } from '../staff/index.js';
import { accountPages } from './dashboard/account.js';
import { caseActionRoutes } from './dashboard/case-actions.js';
import { dashboardPages } from './dashboard/routes.js';
import { userPages } from './dashboard/users.js';
import { absoluteBoardAssets } from './board-assets.js';
import type { Metrics } from './metrics.js';
import { registerDatabaseMetrics } from './metrics-collector.js';

export interface DashboardDeps {
  db: Db;
  queues: Queues;
  metrics: Metrics;
  brands: Map<string, Brand>;
  now: () => Date;
  logger: Logger;
  /** For the case actions on a case's page. */
  cases: CaseDeps;
  staff: Staff;
}

/**
 * The dashboard pages and the queues (bull-board) behind the page guard
 * (signed-in staff; what each role may do is decided there, web/auth.ts), and
 * /metrics behind an API token. The guards go on before any route.
 */
export function mountDashboard(app: Hono, guards: { admin: MiddlewareHandler; api: MiddlewareHandler }, deps: DashboardDeps): void {
  const board = new HonoAdapter(serveStatic);
  const assets = '/admin/queues/static';
  createBullBoard({
    queues: QUEUE_NAMES.map((name) => new BullMQAdapter(deps.queues[name])),
    serverAdapter: board,
    // Absolute paths: the board's own relative ones need a <base> that our CSP refuses.
    options: {
      uiConfig: {
        boardTitle: 'abuse desk queues',
        boardLogo: { path: `${assets}/images/logo.svg` },
        favIcon: { default: `${assets}/images/logo.svg`, alternative: `${assets}/favicon-32x32.png` },
        miscLinks: [{ text: 'Dashboard', url: '/admin' }],
        hideDocsLink: true,
      },
    },
  });
  board.setBasePath('/admin/queues');
  app.use('/admin/*', guards.admin);
  app.use('/admin', guards.admin);
  app.use('/admin/queues', absoluteBoardAssets('/admin/queues'));
  app.use('/admin/queues/*', absoluteBoardAssets('/admin/queues'));
  app.route('/admin/queues', board.registerPlugin());
  app.route('/admin', dashboardPages(deps));
  app.route('/admin', caseActionRoutes(deps.cases));
  app.route('/admin', accountPages(deps.staff));
  app.route('/admin', userPages(deps.staff));

  registerDatabaseMetrics(deps.metrics.registry, deps);

  app.use('/metrics', guards.api);
  app.get('/metrics', async (c) => {
    const body = await deps.metrics.registry.metrics();
    return c.body(body, 200, { 'Content-Type': deps.metrics.registry.contentType });
  });
}
