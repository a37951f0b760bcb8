import { Writable } from 'node:stream';
import pino from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { CaseView } from '../../src/cases/view.js';
import { createAccount, setDisabled } from '../../src/staff/accounts.js';
import { ensureBootstrapAdmin } from '../../src/staff/bootstrap.js';
import { issueToken, revokeToken } from '../../src/staff/tokens.js';
import { openCase, MAILS } from '../browser/seed.js';
import { startTestApp, TestClock, type TestApp } from '../support/harness.js';

/**
 * Staff accounts over HTTP (issue 23, item 1), on real PostgreSQL and Redis:
 * personal API tokens and the account each action is recorded under, roles
 * on the API and the dashboard, the refused `actor` field, the bootstrap
 * admin, sessions (cookie flags behind an https PUBLIC_URL, idle and absolute
 * timeouts on a test clock, sign-out), one-time passwords, and the sign-in
 * rate limits with loopback not exempt.
 */

const PUBLIC_URL = 'https://desk.example.test';
const MINUTE = 60_000;

let t: TestApp;
const clock = new TestClock();
let ticket: string;
const url = (path: string) => `http://127.0.0.1:${t.httpPort}${path}`;
const db = () => t.app.database.prisma;

async function api(token: string, path: string, body?: unknown): Promise<Response> {
  return fetch(url(`/api${path}`), {
    method: body === undefined ? 'GET' : 'POST',
    headers: { Authorization: `Bearer ${token}`, 'Content-Type': 'application/json' },
    ...(body === undefined ? {} : { body: JSON.stringify(body) }),
  });
}

const basic = (name: string, password: string) => `Basic ${Buffer.from(`${name}:${password}`).toString('base64')}`;

/** The value of a cookie the answer sets, with its attributes. */
function setCookie(response: Response, name: string): string | undefined {
  return response.headers.getSetCookie().find((line) => line.startsWith(`${name}=`));
}

function cookieValue(line: string | undefined): string {
  return (line ?? '').split(';')[0] as string;
}

/** Signs in through the form as a browser would (its token cookie, this origin); the answer and the session cookie. */
async function signIn(name: string, password: string): Promise<{ response: Response; session: string }> {
  const form = await fetch(url('/login'));
  const html = await form.text();
  const token = /name="_csrf" value="([^"]+)"/.exec(html)?.[1] as string;
  const response = await fetch(url('/login'), {
    method: 'POST',
    redirect: 'manual',
    headers: { Origin: url(''), Cookie: cookieValue(setCookie(form, '__Secure-abuse-desk-login')), 'Content-Type': 'application/x-www-form-urlencoded' },
    body: new URLSearchParams({ _csrf: token, name, password, next: '/admin/cases' }),
  });
  return { response, session: cookieValue(setCookie(response, '__Host-abuse-desk-session')) };
}

const page = (session: string, path: string) => fetch(url(path), { redirect: 'manual', headers: { Cookie: session, Accept: 'text/html' } });

/** A form posted from a signed-in page: this origin, the session's CSRF token (read from the page). */
async function post(session: string, path: string, fields: Record<string, string>, from = '/admin/account'): Promise<Response> {
  const html = await (await page(session, from)).text();
  const token = /name="_csrf" value="([^"]+)"/.exec(html)?.[1] ?? '';
  return fetch(url(path), {
    method: 'POST',
    redirect: 'manual',
    headers: { Cookie: session, Origin: url(''), 'Content-Type': 'application/x-www-form-urlencoded' },
    body: new URLSearchParams({ _csrf: token, ...fields }),
  });
}

beforeAll(async () => {
  t = await startTestApp({
    database: 'postgres',
    clock,
    env: {
      PUBLIC_URL,
      RATE_LIMIT_EXEMPT: '192.0.2.0/24',
      LOGIN_MAX_FAILURES_PER_USER: '3',
      LOGIN_MAX_FAILURES_PER_IP: '8',
    },
  });
  ticket = await openCase(t, MAILS.englishAbuse);
});
afterAll(async () => {
  await t?.stop({ drop: true });
});

describe('personal API tokens and the acting account', () => {
  let specialist: { id: string; token: string };
  let viewer: string;
  let admin: string;

  beforeAll(async () => {
    const make = async (name: string, role: string) => {
      const { user } = await createAccount(db(), { name, role, password: 'a long password 4 tests' }, clock.now());
      return { id: user.id, token: (await issueToken(db(), user.id, 'test', clock.now())).token };
    };
    specialist = await make('sam', 'specialist');
    viewer = (await make('vera', 'viewer')).token;
    admin = (await make('ada', 'admin')).token;
  });

  it("records an action under the token's account, and refuses an actor field naming someone else", async () => {
    const noted = await api(specialist.token, `/cases/${ticket}/actions`, { action: 'note', text: 'looked at the phishing page' });
    expect(noted.status).toBe(200);
    const view = (await noted.json()) as CaseView;
    expect(view.events).toContainEqual(expect.objectContaining({ type: 'note_added', actor: 'sam' }));

    const forged = await api(specialist.token, `/cases/${ticket}/actions`, { action: 'note', text: 'as someone else', actor: 'jane.doe@example.com' });
    expect(forged.status).toBe(400);
    expect(((await forged.json()) as { error: string }).error).toMatch(/^actor: not accepted/);
    expect(await db().caseEvent.count({ where: { actor: 'jane.doe@example.com' } })).toBe(0);

    // API_TOKEN from the environment acts as the bootstrap admin.
    const legacy = await api('test-api-token', `/cases/${ticket}/actions`, { action: 'note', text: 'with the shared token' });
    expect(((await legacy.json()) as CaseView).events.at(-1)).toMatchObject({ type: 'note_added', actor: 'admin' });
  });

  it('lets a viewer read, a specialist act on cases, and only an admin change the managed tables', async () => {
    expect((await api(viewer, '/cases')).status).toBe(200);
    expect((await api(viewer, `/cases/${ticket}`)).status).toBe(200);
    expect((await api(viewer, '/managed-domains')).status).toBe(200);
    const viewerActs = await api(viewer, `/cases/${ticket}/actions`, { action: 'note', text: 'may I?' });
    expect(viewerActs.status).toBe(403);
    expect(await viewerActs.text()).toMatch(/needs the specialist role, and vera is a viewer/);

    const domains = [{ domain: 'roles-test.example', account: 'C-1' }];
    expect((await api(viewer, '/managed-domains', domains)).status).toBe(403);
    expect((await api(specialist.token, '/managed-domains', domains)).status).toBe(403);
    expect((await api(specialist.token, '/accounts', [{ account: 'C-1', name: 'Cust', email: 'c@cust.example', language: 'en' }])).status).toBe(403);
    expect((await api(admin, '/managed-domains', domains)).status).toBe(200);
    expect((await api(admin, '/managed-ranges', [{ cidr: '198.51.100.0/24', account: 'C-1' }])).status).toBe(200);
    expect(await db().managedDomain.count({ where: { domain: 'roles-test.example' } })).toBe(1);
  });

  it("stops a disabled account's tokens and a revoked token, and keeps the others", async () => {
    const other = await issueToken(db(), specialist.id, 'second', clock.now());
    expect((await api(other.token, '/cases')).status).toBe(200);
    expect(await revokeToken(db(), specialist.id, other.id, clock.now())).toBe(true);
    expect((await api(other.token, '/cases')).status).toBe(401);
    expect((await api(specialist.token, '/cases')).status).toBe(200);

    await setDisabled(db(), 'sam', true, clock.now());
    const refused = await api(specialist.token, '/cases');
    expect(refused.status).toBe(401);
    expect(refused.headers.get('www-authenticate')).toMatch(/^Bearer/);
    expect((await api(specialist.token, `/cases/${ticket}/actions`, { action: 'note', text: 'after being disabled' })).status).toBe(401);
    await setDisabled(db(), 'sam', false, clock.now());
    expect((await api(specialist.token, '/cases')).status).toBe(200);
    // A token is no key to the pages, nor a made-up one to anything.
    expect((await fetch(url('/admin'), { headers: { Authorization: `Bearer ${specialist.token}` } })).status).toBe(401);
    expect((await api(`adk_${'x'.repeat(43)}`, '/cases')).status).toBe(401);
  });
});

describe('sessions', () => {
  beforeAll(async () => {
    await createAccount(db(), { name: 'sally', role: 'specialist', password: 'her own good password' }, clock.now());
  });

  it('sets a Secure, HttpOnly, SameSite=Lax host cookie behind an https PUBLIC_URL', async () => {
    const { response, session } = await signIn('sally', 'her own good password');
    expect(response.status).toBe(303);
    expect(response.headers.get('location')).toBe('/admin/cases');
    const line = setCookie(response, '__Host-abuse-desk-session') as string;
    expect(line).toMatch(/; Path=\//);
    expect(line).toMatch(/; HttpOnly/);
    expect(line).toMatch(/; Secure/);
    expect(line).toMatch(/; SameSite=Lax/);
    expect(line).not.toMatch(/Domain=/);
    expect((await page(session, '/admin/cases')).status).toBe(200);
    // Only its hash is kept.
    const value = session.split('=')[1] as string;
    expect(await db().staffSession.count({ where: { id: value } })).toBe(0);
  });

  it('ends a session idle too long, and one older than its maximum however busy', async () => {
    const { session } = await signIn('sally', 'her own good password');
    clock.advance(59 * MINUTE);
    expect((await page(session, '/admin')).status).toBe(200);
    clock.advance(61 * MINUTE);
    const idle = await page(session, '/admin');
    expect(idle.status).toBe(303);
    expect(idle.headers.get('location')).toBe('/login?next=%2Fadmin');

    const busy = (await signIn('sally', 'her own good password')).session;
    // Seen every 50 minutes: never idle, and still alive after 11 h 40 min (14 × 50).
    for (let round = 1; round <= 14; round++) {
      clock.advance(50 * MINUTE);
      expect((await page(busy, '/admin')).status, `after ${round * 50} minutes`).toBe(200);
    }
    // 12 h 30 min: past SESSION_MAX_HOURS (12).
    clock.advance(50 * MINUTE);
    expect((await page(busy, '/admin')).status).toBe(303);
  });

  it('signs out: the session ends on the server too', async () => {
    const { session } = await signIn('sally', 'her own good password');
    const out = await post(session, '/logout', {});
    expect(out.status).toBe(303);
    expect(setCookie(out, '__Host-abuse-desk-session')).toMatch(/Max-Age=0/);
    expect((await page(session, '/admin')).status).toBe(303);
  });

  it('makes a one-time password be changed before anything else, and refuses it over basic auth', async () => {
    const { oneTimePassword } = await createAccount(db(), { name: 'newbie', role: 'viewer' }, clock.now());
    const { response, session } = await signIn('newbie', oneTimePassword as string);
    expect(response.headers.get('location')).toBe('/admin/account');
    expect((await page(session, '/admin/cases')).headers.get('location')).toBe('/admin/account');
    expect((await fetch(url('/admin/cases'), { headers: { Authorization: basic('newbie', oneTimePassword as string) } })).status).toBe(403);

    const short = await post(session, '/admin/account/password', { current: oneTimePassword as string, password: 'short', repeat: 'short' });
    expect(short.status).toBe(400);
    const changed = await post(session, '/admin/account/password', { current: oneTimePassword as string, password: 'my own long password', repeat: 'my own long password' });
    expect(changed.status).toBe(303);
    expect((await page(session, '/admin/cases')).status).toBe(200);
    expect((await fetch(url('/admin/cases'), { headers: { Authorization: basic('newbie', 'my own long password') } })).status).toBe(200);
    expect((await fetch(url('/admin/cases'), { headers: { Authorization: basic('newbie', oneTimePassword as string) } })).status).toBe(401);
  });

  it('keeps ADMIN_PASSWORD as the bootstrap admin password, for basic auth and the form', async () => {
    expect((await fetch(url('/admin'), { headers: { Authorization: basic('admin', 'test-admin-password') } })).status).toBe(200);
    const { response, session } = await signIn('Admin', 'test-admin-password');
    expect(response.headers.get('location')).toBe('/admin/cases');
    expect((await page(session, '/admin/users')).status).toBe(200);
  });
});

describe('the first admin', () => {
  it('is created with a one-time password written to the log once, when there is no account', async () => {
    let log = '';
    const logger = pino({ level: 'info' }, new Writable({ write: (chunk: Buffer, _encoding, done) => ((log += chunk.toString()), done()) }));
    await db().staffSession.deleteMany();
    await db().staffToken.deleteMany();
    await db().staffUser.deleteMany();
    await ensureBootstrapAdmin(db(), {}, clock.now(), logger);
    const password = /one-time password (\S+)/.exec(log)?.[1] as string;
    expect(password).toMatch(/^[A-Za-z0-9_-]{20}$/);
    expect(await db().staffUser.findUnique({ where: { name: 'admin' } })).toMatchObject({ role: 'admin', mustChangePassword: true });
    // Never again: there is an account now.
    await ensureBootstrapAdmin(db(), {}, clock.now(), logger);
    expect(log.match(/one-time password/g)).toHaveLength(1);

    const { response } = await signIn('admin', password);
    expect(response.headers.get('location')).toBe('/admin/account');
  });
});

// Last: it uses up this client's sign-in attempts.
describe('sign-in rate limits (loopback not exempt)', () => {
  it('stops a name after its failures, even with the right password, then the client IP after its own', async () => {
    await createAccount(db(), { name: 'target', role: 'viewer', password: 'the right password' }, clock.now());
    for (let i = 0; i < 3; i++) expect((await signIn('target', `wrong ${i}`)).response.status).toBe(401);
    const limited = await signIn('target', 'the right password');
    expect(limited.response.status).toBe(429);
    expect(Number(limited.response.headers.get('retry-after'))).toBeGreaterThan(0);
    expect(await limited.response.text()).toContain('Too many failed sign-ins');
    expect((await fetch(url('/admin'), { headers: { Authorization: basic('target', 'the right password') } })).status).toBe(429);

    // Other names from the same client: eight failures in all from this IP (one was earlier in this file), then nothing more.
    const statuses: number[] = [];
    for (let i = 0; i < 6 && statuses.at(-1) !== 429; i++) statuses.push((await signIn(`nobody-${i}`, 'guess')).response.status);
    expect(statuses.at(-1)).toBe(429);
    expect(statuses.filter((status) => status === 401).length).toBeLessThanOrEqual(5);
    const ipLimited = await fetch(url('/admin'), { headers: { Authorization: basic('admin', 'test-admin-password') } });
    expect(ipLimited.status).toBe(429);
  });
});
