import { Hono, type MiddlewareHandler } from 'hono';
import { every } from 'hono/combine';
import { contextStorage } from 'hono/context-storage';
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
import type { Staff } from '../staff/index.js';
import { apiGuard, originCheck, pageGuard } from './auth.js';
import { signInRoutes } from './sign-in.js';

export interface WebDeps {
  db: Db;
  cases: CaseDeps;
  /** Staff accounts: who makes each request, and what their role lets them do. */
  staff: Staff;
  /** Largest request body taken (413 beyond). */
  maxBodyBytes: number;
  now: () => Date;
  logger: Logger;
  /** Database and Redis answer: what /readyz reports. */
  ready(): Promise<Record<string, boolean>>;
  /** Further routes (dashboard, queues, metrics), mounted behind the right guard: `admin` for pages, `api` for tokens. */
  extend?(app: Hono, guards: { admin: MiddlewareHandler; api: MiddlewareHandler }): void;
}

/**
 * The web role: health, the JSON API, signing in and (through `extend`) the
 * dashboard. Everything but /healthz, /readyz and the sign-in form needs
 * credentials, and each request acts as the account they belong to.
 */
export function createWebApp(deps: WebDeps): Hono {
  const app = new Hono();
  // Dashboard pages: the session cookie (or basic auth), then forms checked for their origin and CSRF token.
  const admin = every(originCheck(deps.staff), pageGuard(deps.staff));
  const api = apiGuard(deps.staff);

  // Pages read who is signed in from here (dashboard/layout.tsx).
  app.use('*', contextStorage());

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
  app.route('/', signInRoutes(deps.staff, deps.logger));
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
