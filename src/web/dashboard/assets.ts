import { readFile } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Context } from 'hono';

/**
 * The dashboard's static files, served by name from a fixed list (no path
 * from the request ever reaches the file system): Chart.js's own UMD build
 * from node_modules, and our small script and style sheet. No CDN.
 */

const chartDist = dirname(createRequire(import.meta.url).resolve('chart.js'));
const ours = (name: string) => fileURLToPath(new URL(`./assets/${name}`, import.meta.url));

const FILES: Record<string, { path: string; type: string }> = {
  'chart.umd.min.js': { path: join(chartDist, 'chart.umd.min.js'), type: 'text/javascript; charset=utf-8' },
  'dashboard.js': { path: ours('dashboard.js'), type: 'text/javascript; charset=utf-8' },
  'dashboard.css': { path: ours('dashboard.css'), type: 'text/css; charset=utf-8' },
};

const cache = new Map<string, Promise<Buffer>>();

function load(name: string, path: string): Promise<Buffer> {
  let body = cache.get(name);
  if (!body) {
    body = readFile(path);
    // A failed read is not remembered: the next request tries again.
    body.catch(() => cache.delete(name));
    cache.set(name, body);
  }
  return body;
}

export async function serveAsset(c: Context): Promise<Response> {
  const name = c.req.param('name') ?? '';
  const file = Object.hasOwn(FILES, name) ? FILES[name] : undefined;
  if (!file) return c.text('not found', 404);
  const body = await load(name, file.path);
  return c.body(new Uint8Array(body), 200, { 'Content-Type': file.type, 'Cache-Control': 'private, max-age=300' });
}
