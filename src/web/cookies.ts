import type { Context } from 'hono';
import { deleteCookie, getCookie, setCookie } from 'hono/cookie';
import type { CookieOptions } from 'hono/utils/cookie';

/**
 * The cookies of the web role. All are HttpOnly. They are Secure (and carry
 * the __Host-/__Secure- prefix browsers enforce) when people reach us over
 * https: PUBLIC_URL says so behind a proxy, else the request itself.
 */

export type CookieName = 'session' | 'login' | 'oidc';

const SPEC: Record<CookieName, { name: string; path: string; sameSite: 'Lax' | 'Strict'; maxAge?: number }> = {
  // Lax: a link to a case from mail or chat opens it signed in; no form of ours acts on a GET.
  session: { name: 'abuse-desk-session', path: '/', sameSite: 'Lax' },
  // The sign-in form's own token (double submit), before there is a session.
  login: { name: 'abuse-desk-login', path: '/login', sameSite: 'Strict', maxAge: 3_600 },
  // State, nonce and PKCE verifier of a sign-in at the identity provider; Lax, for the provider's redirect back is cross-site.
  oidc: { name: 'abuse-desk-oidc', path: '/login/oidc', sameSite: 'Lax', maxAge: 600 },
};

export function servedSecurely(c: Context, publicUrl: URL | null): boolean {
  return (publicUrl ?? new URL(c.req.url)).protocol === 'https:';
}

function options(c: Context, publicUrl: URL | null, which: CookieName): CookieOptions {
  const spec = SPEC[which];
  const secure = servedSecurely(c, publicUrl);
  return {
    path: spec.path,
    httpOnly: true,
    sameSite: spec.sameSite,
    secure,
    ...(spec.maxAge ? { maxAge: spec.maxAge } : {}),
    ...(secure ? { prefix: spec.path === '/' ? 'host' : 'secure' } : {}),
  } as CookieOptions;
}

export function readCookie(c: Context, publicUrl: URL | null, which: CookieName): string | undefined {
  const opts = options(c, publicUrl, which);
  return getCookie(c, SPEC[which].name, opts.prefix);
}

export function writeCookie(c: Context, publicUrl: URL | null, which: CookieName, value: string): void {
  setCookie(c, SPEC[which].name, value, options(c, publicUrl, which));
}

export function clearCookie(c: Context, publicUrl: URL | null, which: CookieName): void {
  deleteCookie(c, SPEC[which].name, options(c, publicUrl, which));
}
