import { getConnInfo } from '@hono/node-server/conninfo';
import type { Context, MiddlewareHandler, Next } from 'hono';
import { csrf } from 'hono/csrf';
import { same } from '../staff/authenticate.js';
import type { Staff } from '../staff/index.js';
import { hasRole, type StaffIdentity, type StaffRole } from '../staff/roles.js';
import type { ActiveSession } from '../staff/sessions.js';
import { readCookie } from './cookies.js';

declare module 'hono' {
  interface ContextVariableMap {
    /** Who makes the request: every action it takes is recorded under this account's name. */
    staff: StaffIdentity;
    /** The dashboard session, when signed in with the cookie (not with HTTP basic auth or a token). */
    staffSession: ActiveSession | null;
  }
}

/**
 * Who may do what. Reading (GET, HEAD) needs any account; acting on a case a
 * specialist; a person's own account page any account; anything else that
 * changes something — the managed tables, customer accounts, staff accounts,
 * the queues — an admin. Unlisted means admin: a new route is closed until
 * someone decides otherwise.
 */
export function requiredRole(method: string, path: string): StaffRole {
  if (path === '/admin/users' || path.startsWith('/admin/users/')) return 'admin';
  if (method === 'GET' || method === 'HEAD') return 'viewer';
  if (/^\/(api|admin)\/cases\/[^/]+\/actions$/.test(path)) return 'specialist';
  if (path.startsWith('/admin/account/')) return 'viewer';
  return 'admin';
}

const FORM = /^(application\/x-www-form-urlencoded|multipart\/form-data)\b/i;

export function clientIp(c: Context): string {
  try {
    return (getConnInfo(c).remote.address ?? 'unknown').replace(/^::ffff:/, '');
  } catch {
    return 'unknown';
  }
}

/** Where a request may come from: this origin as the request names it, and PUBLIC_URL's. */
export function originCheck(staff: Staff): MiddlewareHandler {
  return csrf({ origin: (origin, c) => origin === new URL(c.req.url).origin || origin === staff.publicUrl?.origin });
}

function unauthorized(c: Context, scheme: 'Basic' | 'Bearer'): Response {
  c.header('WWW-Authenticate', scheme === 'Basic' ? 'Basic realm="abuse desk", charset="UTF-8"' : 'Bearer realm="abuse desk"');
  return c.text('Unauthorized', 401);
}

function tooMany(c: Context, seconds: number): Response {
  c.header('Retry-After', String(seconds));
  return c.text(`Too many failed sign-ins; try again in ${Math.ceil(seconds / 60)} minute(s)`, 429);
}

/** A browser loading a page (not a script, a download tool or an XHR): it is sent to the sign-in form. */
function isNavigation(c: Context): boolean {
  return c.req.method === 'GET' && (c.req.header('accept') ?? '').includes('text/html');
}

function basicCredentials(header: string | undefined): { name: string; password: string } | null {
  const match = /^Basic +([A-Za-z0-9+/=]+) *$/i.exec(header ?? '');
  if (!match) return null;
  const decoded = Buffer.from(match[1] as string, 'base64').toString('utf8');
  const colon = decoded.indexOf(':');
  return colon < 0 ? null : { name: decoded.slice(0, colon), password: decoded.slice(colon + 1) };
}

/** The role check, and for a form the session's CSRF token, once the person is known. */
async function authorize(c: Context, next: Next): Promise<Response | void> {
  const staff = c.get('staff');
  const needed = requiredRole(c.req.method, c.req.path);
  if (!hasRole(staff.role, needed)) return c.text(`Forbidden: this needs the ${needed} role, and ${staff.name} is ${staff.role === 'admin' ? 'an' : 'a'} ${staff.role}`, 403);
  if (!['GET', 'HEAD', 'OPTIONS'].includes(c.req.method) && FORM.test(c.req.header('content-type') ?? '')) {
    const session = c.get('staffSession');
    if (!session) return c.text('Forbidden: forms are sent from a signed-in session; sign in at /login', 403);
    const token = (await c.req.parseBody())._csrf;
    if (typeof token !== 'string' || !same(token, session.csrfToken)) {
      return c.text('Forbidden: the form did not come from this dashboard (its CSRF token is missing or out of date); reload the page and try again', 403);
    }
  }
  await next();
}

/** While a one-time password awaits its replacement, only the account page (and the stylesheet) opens. */
function allowedWhilePasswordPending(c: Context): boolean {
  const { path, method } = c.req;
  return path.startsWith('/admin/assets/') || (method === 'GET' && path === '/admin/account') || (method === 'POST' && path === '/admin/account/password');
}

/**
 * The dashboard's guard: the session cookie, or HTTP basic auth (for scripts,
 * and ADMIN_PASSWORD as of old; each request checks the password and counts
 * failures). A browser without either is sent to the sign-in form.
 */
export function pageGuard(staff: Staff): MiddlewareHandler {
  return async (c, next) => {
    const cookie = readCookie(c, staff.publicUrl, 'session');
    const session = cookie ? await staff.sessions.find(cookie) : null;
    if (session) {
      c.set('staff', session.staff);
      c.set('staffSession', session);
      if (session.staff.mustChangePassword && !allowedWhilePasswordPending(c)) {
        return c.req.method === 'GET' ? c.redirect('/admin/account', 303) : c.text('Forbidden: choose a new password first, at /admin/account', 403);
      }
      return authorize(c, next);
    }
    const basic = basicCredentials(c.req.header('authorization'));
    if (basic) {
      const result = await staff.auth.signIn(basic.name, basic.password, clientIp(c));
      if (result.kind === 'limited') return tooMany(c, result.retryAfterSeconds);
      if (result.kind === 'refused') return unauthorized(c, 'Basic');
      if (result.staff.mustChangePassword) return c.text('Forbidden: this is a one-time password; sign in at /login and choose a new one', 403);
      c.set('staff', result.staff);
      c.set('staffSession', null);
      return authorize(c, next);
    }
    if (isNavigation(c)) return c.redirect(`/login?next=${encodeURIComponent(c.req.path + new URL(c.req.url).search)}`, 303);
    return unauthorized(c, 'Basic');
  };
}

/** The API's guard (and /metrics'): `Authorization: Bearer` with a personal token, or API_TOKEN as of old. */
export function apiGuard(staff: Staff): MiddlewareHandler {
  return async (c, next) => {
    const match = /^Bearer +([\x21-\x7e]+) *$/i.exec(c.req.header('authorization') ?? '');
    const identity = match ? await staff.auth.bearer(match[1] as string) : null;
    if (!identity) return unauthorized(c, 'Bearer');
    c.set('staff', identity);
    c.set('staffSession', null);
    return authorize(c, next);
  };
}
