import type { MiddlewareHandler } from 'hono';

/**
 * bull-board's page names its files relative to a `<base href>`, which our
 * CSP (`base-uri 'none'`) does not let the browser apply: from /admin/queues
 * the scripts would be fetched from /admin/static/... and the board would
 * stay blank. This makes those paths absolute in the served HTML; the board
 * itself still reads its base path from the element's attribute, and its
 * chunks load relative to its (now absolute) script URLs.
 */
export function absoluteBoardAssets(basePath: string): MiddlewareHandler {
  const prefix = `${basePath.replace(/\/$/, '')}/static/`;
  return async (c, next) => {
    await next();
    if (!c.res.headers.get('Content-Type')?.startsWith('text/html')) return;
    const html = await c.res.text();
    const fixed = html.replace(/\b(href|src)="static\//g, `$1="${prefix}`);
    const headers = new Headers(c.res.headers);
    headers.delete('Content-Length');
    c.res = new Response(fixed, { status: c.res.status, headers });
  };
}
