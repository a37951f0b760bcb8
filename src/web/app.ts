import { Hono, type MiddlewareHandler } from 'hono';
import { HTTPException } from 'hono/http-exception';
import { secureHeaders } from 'hono/secure-headers';
import type { Db } from '../db/index.js';
import type { Logger } from '../lib/logger.js';
import type { CaseDeps } from '../cases/context.js';
import { actionsApi } from './api/actions.js';
import { casesApi } from './api/cases.js';
import { limitBody, refuseUnstorableUrl } from './api/input.js';
import { incidentsApi } from './api/incidents.js';
import { managedApi } from './api/managed.js';
import { adminAuth, apiAuth } from './auth.js';

export interface WebDeps {
  db: Db;
  cases: CaseDeps;
  secrets: { API_TOKEN: string; ADMIN_PASSWORD: string };
  /** Largest request body taken (413 beyond). */
  maxBodyBytes: number;
  now: () => Date;
  logger: Logger;
  /** Database and Redis answer: what /readyz reports. */
  ready(): Promise<Record<string, boolean>>;
  /** Further routes (dashboard, queues, metrics), mounted behind the right credentials. */
  extend?(app: Hono, guards: { admin: MiddlewareHandler; api: MiddlewareHandler }): void;
}

/**
 * The web role: health, the JSON API and (through `extend`) the dashboard.
 * Everything but /healthz and /readyz needs credentials.
 */
export function createWebApp(deps: WebDeps): Hono {
  const app = new Hono();
  const admin = adminAuth(deps.secrets.ADMIN_PASSWORD);
  const api = apiAuth(deps.secrets.API_TOKEN);

  app.use(
    '*',
    secureHeaders({
      contentSecurityPolicy: {
        defaultSrc: ["'self'"],
        scriptSrc: ["'self'"],
        styleSrc: ["'self'"],
        imgSrc: ["'self'", 'data:'],
        objectSrc: ["'none'"],
        frameAncestors: ["'none'"],
        baseUri: ["'none'"],
        formAction: ["'self'"],
      },
    }),
  );

  // Every body, API or dashboard, is bounded before anything reads it.
  app.use('*', limitBody(deps.maxBodyBytes));

  app.get('/healthz', (c) => c.json({ status: 'ok' }));
  app.get('/readyz', async (c) => {
    const checks = await deps.ready();
    const ok = Object.values(checks).every(Boolean);
    return c.json({ status: ok ? 'ok' : 'unavailable', checks }, ok ? 200 : 503);
  });

  app.use('/api/*', api);
  app.use('/api/*', refuseUnstorableUrl);
  app.route('/api', casesApi(deps));
  app.route('/api', actionsApi(deps.cases));
  app.route('/api', managedApi(deps));
  app.route('/api', incidentsApi(deps));
  deps.extend?.(app, { admin, api });

  app.notFound((c) => c.json({ error: 'not found' }, 404));
  app.onError((error, c) => {
    if (error instanceof HTTPException) return error.getResponse();
    deps.logger.error({ err: error, path: c.req.path }, 'web request failed');
    return c.json({ error: 'internal error' }, 500);
  });
  return app;
}
