import { randomBytes } from 'node:crypto';
import { Hono, type Context } from 'hono';
import type { Logger } from '../lib/logger.js';
import type { Staff } from '../staff/index.js';
import { accountForOidc, OidcRefusal, type PendingLogin } from '../staff/oidc.js';
import type { SignIn } from '../staff/sessions.js';
import type { StaffIdentity } from '../staff/roles.js';
import { same } from '../staff/authenticate.js';
import { clientIp, originCheck } from './auth.js';
import { clearCookie, readCookie, writeCookie } from './cookies.js';
import { serveAsset } from './dashboard/assets.js';
import { Layout, page } from './dashboard/layout.js';

/**
 * Signing in and out: the form (name and password, rate limited), the
 * identity provider when one is configured, and sign-out. A sign-in makes a
 * new session; the form carries a token of its own (a cookie it must match)
 * and, like every form here, must come from this origin.
 */

/** Only a dashboard path of this site: never a redirect elsewhere. */
function safeNext(next: string | undefined): string {
  return next && /^\/admin(?:[/?#]|$)/.test(next) && !/[\\\s]/.test(next) ? next : '/admin';
}

function SignInPage(props: { token: string; next: string; error?: string; oidc: boolean; name?: string }) {
  return (
    <Layout title="Sign in" bare>
      {props.error ? (
        <p class="error" id="sign-in-error">
          {props.error}
        </p>
      ) : null}
      <form method="post" action="/login" class="stacked panel" id="sign-in">
        <input type="hidden" name="_csrf" value={props.token} />
        <input type="hidden" name="next" value={props.next} />
        <label>
          Account name
          <input name="name" autocomplete="username" required value={props.name ?? ''} />
        </label>
        <label>
          Password
          <input name="password" type="password" autocomplete="current-password" required />
        </label>
        <button type="submit">Sign in</button>
      </form>
      {props.oidc ? (
        <p>
          <a href={`/login/oidc?next=${encodeURIComponent(props.next)}`} id="sign-in-oidc">
            Sign in with your organisation's account
          </a>
        </p>
      ) : null}
    </Layout>
  );
}

function Problem(props: { title: string; message: string }) {
  return (
    <Layout title={props.title} bare>
      <p class="error">{props.message}</p>
      <p>
        <a href="/login">Sign in again</a>
      </p>
    </Layout>
  );
}

export function signInRoutes(staff: Staff, logger: Logger): Hono {
  const routes = new Hono();
  const { publicUrl } = staff;
  routes.use('/login', originCheck(staff));
  routes.use('/logout', originCheck(staff));

  // The sign-in page's stylesheet, readable before signing in (the dashboard's own assets are not).
  routes.get('/login/:name{dashboard\\.css}', serveAsset);

  const form = (c: Context, status: 200 | 401 | 429, next: string, error?: string, name?: string) => {
    const token = randomBytes(24).toString('base64url');
    writeCookie(c, publicUrl, 'login', token);
    return c.html(page(<SignInPage token={token} next={next} error={error} oidc={staff.oidc !== null} name={name} />), status);
  };

  const begin = async (c: Context, staffIdentity: StaffIdentity, via: SignIn, next: string) => {
    const { cookie } = await staff.sessions.create(staffIdentity.id, via);
    writeCookie(c, publicUrl, 'session', cookie);
    return c.redirect(staffIdentity.mustChangePassword ? '/admin/account' : next, 303);
  };

  routes.get('/login', async (c) => {
    const next = safeNext(c.req.query('next'));
    const cookie = readCookie(c, publicUrl, 'session');
    if (cookie && (await staff.sessions.find(cookie))) return c.redirect(next, 303);
    return form(c, 200, next);
  });

  routes.post('/login', async (c) => {
    const body = await c.req.parseBody();
    const next = safeNext(typeof body.next === 'string' ? body.next : undefined);
    const expected = readCookie(c, publicUrl, 'login');
    if (typeof body._csrf !== 'string' || !expected || !same(body._csrf, expected)) return form(c, 401, next, 'The sign-in form had expired; please sign in again.');
    const name = typeof body.name === 'string' ? body.name : '';
    const result = await staff.auth.signIn(name, typeof body.password === 'string' ? body.password : '', clientIp(c));
    if (result.kind === 'limited') {
      c.header('Retry-After', String(result.retryAfterSeconds));
      return form(c, 429, next, `Too many failed sign-ins. Try again in ${Math.ceil(result.retryAfterSeconds / 60)} minute(s).`, name);
    }
    if (result.kind === 'refused') return form(c, 401, next, 'Wrong account name or password.', name);
    clearCookie(c, publicUrl, 'login');
    return begin(c, result.staff, result.via, next);
  });

  routes.post('/logout', async (c) => {
    const cookie = readCookie(c, publicUrl, 'session');
    const session = cookie ? await staff.sessions.find(cookie) : null;
    const token = (await c.req.parseBody())._csrf;
    if (cookie && session) {
      if (typeof token !== 'string' || !same(token, session.csrfToken)) return c.text('Forbidden: the sign-out form did not come from this dashboard', 403);
      await staff.sessions.destroy(cookie);
    }
    clearCookie(c, publicUrl, 'session');
    return c.redirect('/login', 303);
  });

  routes.get('/login/oidc', async (c) => {
    if (!staff.oidc) return c.text('not found', 404);
    const { url, pending } = await staff.oidc.start(safeNext(c.req.query('next')));
    writeCookie(c, publicUrl, 'oidc', Buffer.from(JSON.stringify(pending)).toString('base64url'));
    return c.redirect(url.href, 303);
  });

  routes.get('/login/oidc/callback', async (c) => {
    if (!staff.oidc) return c.text('not found', 404);
    const stored = readCookie(c, publicUrl, 'oidc');
    clearCookie(c, publicUrl, 'oidc');
    const query = new URL(c.req.url).searchParams;
    let pending: PendingLogin;
    try {
      pending = JSON.parse(Buffer.from(stored ?? '', 'base64url').toString('utf8')) as PendingLogin;
      if (typeof pending.state !== 'string' || typeof pending.verifier !== 'string' || typeof pending.nonce !== 'string') throw new Error('incomplete');
    } catch {
      return c.html(page(<Problem title="Sign-in expired" message="This sign-in was not started here, or took longer than ten minutes. Please start again." />), 400);
    }
    if (query.has('error')) {
      return c.html(page(<Problem title="Sign-in refused" message={`The identity provider answered: ${query.get('error_description') ?? query.get('error')}`} />), 403);
    }
    try {
      const { issuer, claims } = await staff.oidc.finish(query, pending);
      const identity = await accountForOidc(staff.db, issuer, staff.oidc.decide(claims), staff.now());
      return await begin(c, identity, 'oidc', safeNext(pending.next));
    } catch (error) {
      if (error instanceof OidcRefusal) return c.html(page(<Problem title="Sign-in refused" message={error.message} />), 403);
      logger.warn({ err: error }, 'sign-in through the identity provider failed');
      return c.html(page(<Problem title="Sign-in failed" message={`Signing in through the identity provider failed: ${(error as Error).message}`} />), 400);
    }
  });

  return routes;
}
