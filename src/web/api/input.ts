import type { Context, MiddlewareHandler } from 'hono';
import { bodyLimit } from 'hono/body-limit';
import { storableString } from '../../lib/text.js';

/**
 * What the API takes from a request before anything reads it: a bounded body,
 * and no text PostgreSQL cannot hold (NUL, half a surrogate pair), which would
 * otherwise fail the query with a 500 instead of telling the caller why.
 */

/** 413 for a body over `maxBytes`, decided on Content-Length or while it streams, before any parsing. */
export function limitBody(maxBytes: number): MiddlewareHandler {
  return bodyLimit({
    maxSize: maxBytes,
    onError: (c) => c.json({ error: `the request body is larger than ${maxBytes} bytes` }, 413),
  });
}

/** 400 when the path or the query carries a NUL or a lone surrogate half. */
export const refuseUnstorableUrl: MiddlewareHandler = async (c, next) => {
  const url = new URL(c.req.url);
  let path: string;
  try {
    path = decodeURIComponent(url.pathname);
  } catch {
    return c.json({ error: 'the request path is not valid percent-encoded UTF-8' }, 400);
  }
  if (storableString(path) !== path) return c.json({ error: 'the request path contains a NUL character or broken UTF-16, which no ticket, address or name here has' }, 400);
  for (const [name, value] of url.searchParams) {
    if (storableString(name) !== name || storableString(value) !== value) {
      return c.json({ error: `query parameter ${JSON.stringify(storableString(name))} contains a NUL character or broken UTF-16` }, 400);
    }
  }
  await next();
};

/** The JSON body, or the 400 that says what is wrong with it. */
export async function readJson(c: Context): Promise<{ body: unknown } | Response> {
  let body: unknown;
  try {
    body = await c.req.json();
  } catch {
    return c.json({ error: 'the body must be JSON' }, 400);
  }
  const where = unstorableAt(body, 'body');
  if (where) return c.json({ error: `${where} contains a NUL character or broken UTF-16, which cannot be stored` }, 400);
  return { body };
}

/** Where a JSON value has a string (or key) that cannot be stored, or null. A loop: a parsed body may nest deeper than the stack. */
function unstorableAt(value: unknown, root: string): string | null {
  const pending: Array<[unknown, string]> = [[value, root]];
  for (let next = pending.pop(); next; next = pending.pop()) {
    const [item, path] = next;
    if (typeof item === 'string') {
      if (storableString(item) !== item) return path;
    } else if (Array.isArray(item)) {
      item.forEach((inner, index) => pending.push([inner, `${path}[${index}]`]));
    } else if (item !== null && typeof item === 'object') {
      for (const [key, inner] of Object.entries(item)) {
        if (storableString(key) !== key) return `a key of ${path}`;
        pending.push([inner, `${path}.${key.slice(0, 60)}`]);
      }
    }
  }
  return null;
}
