import { Hono, type Context } from 'hono';
import type { Brand } from '../../config/brands.js';
import { InvalidFilterError, listCases, readCaseView } from '../../cases/view.js';
import type { Db } from '../../db/index.js';
import { readSnapshot } from '../../db/snapshot.js';
import type { Queues } from '../../queue/queues.js';
import { serveAsset } from './assets.js';
import { CasePage } from './case-page.js';
import { CasesListPage } from './cases-list.js';
import { caseCsvStream } from './csv.js';
import { filtersFromQuery } from './filters.js';
import { ErrorPage, page } from './layout.js';
import { loadOverview, OverviewPage } from './overview.js';
import { caseExtras } from './queries.js';
import { DomainPage, IncidentPage, IncidentsPage } from './incidents.js';
import { domainView, incidentView, listIncidents } from '../../cases/incident-view.js';

export interface DashboardPagesDeps {
  db: Db;
  queues: Queues;
  brands: Map<string, Brand>;
  now: () => Date;
}

const PAGE_SIZE = 50;
const MAX_PAGE_SIZE = 500;

function badFilter(c: Context, error: InvalidFilterError) {
  return c.html(page(<ErrorPage title="Bad filter" message={error.message} />), 400);
}

/**
 * The dashboard pages, relative to /admin. They carry no guard of their own:
 * mount.ts puts the admin guard on /admin and /admin/* before routing here.
 */
export function dashboardPages(deps: DashboardPagesDeps): Hono {
  const pages = new Hono();

  pages.get('/', async (c) => {
    const data = await loadOverview(deps.db, deps.queues, deps.now());
    return c.html(page(<OverviewPage data={data} />));
  });

  pages.get('/assets/:name', serveAsset);

  pages.get('/cases', async (c) => {
    const query = c.req.query();
    const filters = filtersFromQuery(query);
    const now = deps.now();
    const limit = query.limit ? Number(query.limit) : PAGE_SIZE;
    if (!Number.isInteger(limit) || limit < 1 || limit > MAX_PAGE_SIZE) {
      return badFilter(c, new InvalidFilterError(`limit must be a whole number from 1 to ${MAX_PAGE_SIZE}`));
    }
    try {
      const result = await listCases(deps.db, filters, { cursor: query.cursor || undefined, limit }, now);
      const brands = [...deps.brands.keys()].sort();
      return c.html(page(<CasesListPage filters={filters} brands={brands} items={result.items} limit={limit === PAGE_SIZE ? null : limit} nextCursor={result.nextCursor} paged={Boolean(query.cursor)} now={now} />));
    } catch (error) {
      if (error instanceof InvalidFilterError) return badFilter(c, error);
      throw error;
    }
  });

  pages.get('/cases.csv', async (c) => {
    const now = deps.now();
    try {
      const body = await caseCsvStream(deps.db, filtersFromQuery(c.req.query()), now);
      return c.body(body, 200, {
        'Content-Type': 'text/csv; charset=utf-8',
        'Content-Disposition': `attachment; filename="cases-${now.toISOString().slice(0, 10)}.csv"`,
      });
    } catch (error) {
      if (error instanceof InvalidFilterError) return c.text(error.message, 400);
      throw error;
    }
  });

  pages.get('/incidents', async (c) => {
    const query = c.req.query();
    const filters = { state: query.state || undefined, domain: query.domain || undefined, account: query.account || undefined };
    try {
      const result = await listIncidents(deps.db, filters, { cursor: query.cursor || undefined, limit: PAGE_SIZE });
      return c.html(page(<IncidentsPage filters={filters} items={result.items} nextCursor={result.nextCursor} now={deps.now()} />));
    } catch (error) {
      if (error instanceof InvalidFilterError) return badFilter(c, error);
      throw error;
    }
  });

  pages.get('/incidents/:id', async (c) => {
    const view = await incidentView(deps.db, c.req.param('id'));
    if (!view) return c.html(page(<ErrorPage title="No such incident" message={`There is no incident ${c.req.param('id')}.`} />), 404);
    return c.html(page(<IncidentPage view={view} now={deps.now()} />));
  });

  pages.get('/domains/:domain', async (c) => {
    try {
      const view = await domainView(deps.db, c.req.param('domain'));
      if (!view) return c.html(page(<ErrorPage title="Unknown domain" message={`Nothing is known about ${c.req.param('domain')}.`} />), 404);
      return c.html(page(<DomainPage view={view} now={deps.now()} />));
    } catch (error) {
      if (error instanceof InvalidFilterError) return badFilter(c, error);
      throw error;
    }
  });

  pages.get('/cases/:ticket', async (c) => {
    const ticket = c.req.param('ticket');
    const { view, extras } = await readSnapshot(deps.db, async (tx) => ({ view: await readCaseView(tx, ticket), extras: await caseExtras(tx, ticket) }));
    if (!view || !extras) return c.html(page(<ErrorPage title="No such case" message={`There is no case ${ticket}.`} />), 404);
    return c.html(page(<CasePage view={view} extras={extras} now={deps.now()} />));
  });

  return pages;
}
