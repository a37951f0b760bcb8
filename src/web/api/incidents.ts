import { Hono } from 'hono';
import { domainView, incidentView, listIncidents } from '../../cases/incident-view.js';
import { InvalidFilterError } from '../../cases/view.js';
import type { Db } from '../../db/index.js';

/** Incidents and domains: `GET /api/incidents?state=&domain=&account=`, `/api/incidents/:id`, `/api/domains/:domain`. */
export function incidentsApi(deps: { db: Db }) {
  const api = new Hono();

  api.get('/incidents', async (c) => {
    const query = c.req.query();
    const limit = query.limit === undefined ? 50 : Number(query.limit);
    if (!Number.isInteger(limit) || limit < 1 || limit > 500) return c.json({ error: 'limit must be a whole number from 1 to 500' }, 400);
    try {
      return c.json(await listIncidents(deps.db, { state: query.state, domain: query.domain, account: query.account, brand: query.brand }, { cursor: query.cursor, limit }));
    } catch (error) {
      if (error instanceof InvalidFilterError) return c.json({ error: error.message }, 400);
      throw error;
    }
  });

  api.get('/incidents/:id', async (c) => {
    const view = await incidentView(deps.db, c.req.param('id'));
    return view ? c.json(view) : c.json({ error: `no incident ${c.req.param('id')}` }, 404);
  });

  api.get('/domains/:domain', async (c) => {
    try {
      const view = await domainView(deps.db, c.req.param('domain'));
      return view ? c.json(view) : c.json({ error: `nothing is known about ${c.req.param('domain')}` }, 404);
    } catch (error) {
      if (error instanceof InvalidFilterError) return c.json({ error: error.message }, 400);
      throw error;
    }
  });

  return api;
}
