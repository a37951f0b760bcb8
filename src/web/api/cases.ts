import { Hono } from 'hono';
import type { Db } from '../../db/index.js';
import { caseView, InvalidFilterError, listCases } from '../../cases/view.js';

export function casesApi(deps: { db: Db; now: () => Date }) {
  const api = new Hono();

  api.get('/cases', async (c) => {
    const query = c.req.query();
    const limit = query.limit === undefined ? 50 : Number(query.limit);
    if (!Number.isInteger(limit) || limit < 1 || limit > 500) return c.json({ error: 'limit must be a whole number from 1 to 500' }, 400);
    try {
      const page = await listCases(
        deps.db,
        {
          state: query.state,
          kind: query.kind,
          brand: query.brand,
          language: query.language,
          complainant: query.complainant,
          overdue: query.overdue === 'true' || query.overdue === '1',
        },
        { cursor: query.cursor, limit },
        deps.now(),
      );
      return c.json(page);
    } catch (error) {
      if (error instanceof InvalidFilterError) return c.json({ error: error.message }, 400);
      throw error;
    }
  });

  api.get('/cases/:ticket', async (c) => {
    const view = await caseView(deps.db, c.req.param('ticket'));
    if (!view) return c.json({ error: `no case ${c.req.param('ticket')}` }, 404);
    return c.json(view);
  });

  return api;
}
