import type { Child } from 'hono/jsx';
import { tryGetContext } from 'hono/context-storage';

/**
 * The one way the dashboard writes HTML: hono/jsx, which escapes every
 * interpolated string and attribute. Subjects, addresses and error texts come
 * from mail and are hostile; nothing here builds markup from strings, except
 * the JSON data block below, whose own escaping keeps it inert.
 */

export const ASSET_BASE = '/admin/assets';

const NAV: Array<[href: string, label: string]> = [
  ['/admin', 'Overview'],
  ['/admin/cases', 'Cases'],
  ['/admin/incidents', 'Incidents'],
  ['/admin/queues', 'Queues'],
];

/** Who is signed in, for the page being rendered (the request's context, see web/app.ts). */
function signedIn() {
  const c = tryGetContext();
  return { staff: c?.get('staff'), session: c?.get('staffSession') ?? null };
}

/** The session's CSRF token, which every form that posts carries. */
export function CsrfField() {
  const { session } = signedIn();
  return session ? <input type="hidden" name="_csrf" value={session.csrfToken} /> : null;
}

function Who() {
  const { staff, session } = signedIn();
  if (!staff) return null;
  return (
    <span class="who">
      {staff.role === 'admin' ? <a href="/admin/users">Users</a> : null}
      <a href="/admin/account" id="signed-in-as">
        {staff.name} ({staff.role})
      </a>
      {session ? (
        <form method="post" action="/logout" class="inline">
          <CsrfField />
          <button type="submit">Sign out</button>
        </form>
      ) : null}
    </span>
  );
}

/** `bare`: the sign-in page, with no navigation and its stylesheet where it can be read before signing in. */
export function Layout(props: { title: string; charts?: boolean; bare?: boolean; children?: Child }) {
  return (
    <html lang="en">
      <head>
        <meta charset="utf-8" />
        <meta name="viewport" content="width=device-width, initial-scale=1" />
        <title>{`${props.title} · abuse desk`}</title>
        {/* no icon: spares the browser a request for /favicon.ico */}
        <link rel="icon" href="data:," />
        <link rel="stylesheet" href={props.bare ? '/login/dashboard.css' : `${ASSET_BASE}/dashboard.css`} />
        {props.charts ? <script src={`${ASSET_BASE}/chart.umd.min.js`} defer></script> : null}
        {props.charts ? <script src={`${ASSET_BASE}/dashboard.js`} defer></script> : null}
      </head>
      <body>
        <header class="top">
          <strong>abuse desk</strong>
          <nav>
            {props.bare
              ? null
              : NAV.map(([href, label]) => (
                  <a href={href}>{label}</a>
                ))}
          </nav>
          <span class="muted">all times UTC</span>
          {props.bare ? null : <Who />}
        </header>
        <main>
          <h1>{props.title}</h1>
          {props.children}
        </main>
      </body>
    </html>
  );
}

/** A whole page as the response body. */
export function page(element: unknown): string {
  return `<!DOCTYPE html>${String(element)}`;
}

/**
 * JSON for a `<script type="application/json">` block. `<`, `>` and `&` become
 * \u escapes so no value can close the element or open a comment; the line
 * separators are escaped for older JSON readers.
 */
export function jsonForScript(value: unknown): string {
  return JSON.stringify(value)
    .replace(/</g, '\\u003c')
    .replace(/>/g, '\\u003e')
    .replace(/&/g, '\\u0026')
    .replace(/\u2028/g, '\\u2028')
    .replace(/\u2029/g, '\\u2029');
}

export function DataBlock(props: { id: string; value: unknown }) {
  return <script type="application/json" id={props.id} dangerouslySetInnerHTML={{ __html: jsonForScript(props.value) }}></script>;
}

/** Every time on the dashboard: ISO 8601 in UTC, to the minute. */
export function utc(date: Date | string | null | undefined): string {
  if (!date) return '—';
  const d = typeof date === 'string' ? new Date(date) : date;
  return `${d.toISOString().slice(0, 16).replace('T', ' ')}Z`;
}

export function Time(props: { at: Date | string | null | undefined }) {
  if (!props.at) return <span class="muted">—</span>;
  const d = typeof props.at === 'string' ? new Date(props.at) : props.at;
  return <time datetime={d.toISOString()}>{utc(d)}</time>;
}

/** Hours and minutes, signed: how far a moment lies from now. */
export function span(ms: number): string {
  const sign = ms < 0 ? '-' : '+';
  const minutes = Math.round(Math.abs(ms) / 60_000);
  const days = Math.floor(minutes / 1440);
  const hours = Math.floor((minutes % 1440) / 60);
  const mins = minutes % 60;
  return `${sign}${days > 0 ? `${days}d ` : ''}${hours}h ${String(mins).padStart(2, '0')}m`;
}

export function caseHref(ticket: string): string {
  return `/admin/cases/${encodeURIComponent(ticket)}`;
}

export function ErrorPage(props: { title: string; message: string; back?: string }) {
  return (
    <Layout title={props.title}>
      <p class="error">{props.message}</p>
      <p>
        <a href={props.back ?? '/admin/cases'}>{props.back ? 'Back' : 'Back to the cases'}</a>
      </p>
    </Layout>
  );
}
