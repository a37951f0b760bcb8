import { existsSync, mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import { once } from 'node:events';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { chromium, type BrowserContext, type Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestApp, type TestApp } from '../support/harness.js';
import { MAILS, openCase } from './seed.js';

/**
 * Staff accounts in Debian's chromium (issue 23, item 1): the sign-in form
 * and its cookie, an admin making accounts on the Users page, a specialist
 * and a viewer signing in with their one-time passwords, choosing their own,
 * and then what each role may do on a case; forms forged from another origin
 * or without the session's token refused; a disabled account's session
 * ended; signing out.
 */

const CHROMIUM = '/usr/bin/chromium';
const SCREENSHOTS = fileURLToPath(new URL('../../test-output/screenshots/', import.meta.url));
const FLAGS = ['--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'];

describe('staff accounts in a browser', () => {
  let t: TestApp;
  let ticket: string;
  let evil: Server;
  let evilOrigin: string;
  const contexts: BrowserContext[] = [];
  const profiles: string[] = [];
  const passwords: Record<string, string> = {};
  const url = (path: string) => `http://127.0.0.1:${t.httpPort}${path}`;
  let admin: BrowserContext;
  let specialist: BrowserContext;

  const launch = async () => {
    const profile = mkdtempSync(join(tmpdir(), 'abuse-desk-chromium-'));
    profiles.push(profile);
    const context = await chromium.launchPersistentContext(profile, { executablePath: CHROMIUM, headless: true, args: FLAGS, viewport: { width: 1300, height: 900 } });
    contexts.push(context);
    return context;
  };

  /** Signs in through the form; the page is left where the desk sent it. */
  const signIn = async (context: BrowserContext, name: string, password: string, path = '/admin'): Promise<Page> => {
    const page = await context.newPage();
    await page.goto(url(path));
    await page.getByLabel('Account name').fill(name);
    await page.getByLabel('Password').fill(password);
    await Promise.all([page.waitForURL((u) => !u.pathname.startsWith('/login')), page.getByRole('button', { name: 'Sign in' }).click()]);
    return page;
  };

  /** The first sign-in with a one-time password ends on the account page, which asks for a new one. */
  const firstSignIn = async (name: string, chosen: string) => {
    const context = await launch();
    const page = await signIn(context, name, passwords[name] as string);
    expect(new URL(page.url()).pathname).toBe('/admin/account');
    await page.getByText('You signed in with a one-time password').waitFor();
    await page.goto(url('/admin/cases'));
    expect(new URL(page.url()).pathname).toBe('/admin/account');
    await page.getByLabel('Current password').fill(passwords[name] as string);
    await page.getByLabel(/^New password \(at least/).fill(chosen);
    await page.getByLabel('New password again').fill(chosen);
    await Promise.all([page.waitForURL(url('/admin/account?changed=1')), page.getByRole('button', { name: 'Change password' }).click()]);
    return { context, page };
  };

  const events = (actor: string) => t.app.database.prisma.caseEvent.findMany({ where: { actor }, select: { type: true, data: true } });

  beforeAll(async () => {
    if (!existsSync(CHROMIUM)) throw new Error(`The browser tests need Debian's chromium at ${CHROMIUM}: install it with \`apt-get install -y chromium\` (.ci/run does this).`);
    mkdirSync(SCREENSHOTS, { recursive: true });
    t = await startTestApp({ database: 'postgres' });
    ticket = await openCase(t, MAILS.englishAbuse);
    // Another origin (same host, another port) whose page posts a form to the desk as soon as it loads.
    evil = createServer((_request, response) => {
      response.setHeader('Content-Type', 'text/html');
      response.end(
        `<!DOCTYPE html><html><body><form id="f" method="post" action="${url('/admin/users')}"><input name="name" value="mallory"><input name="role" value="admin"><input name="_csrf" value="guessed"></form><script>document.getElementById('f').submit()</script></body></html>`,
      );
    }).listen(0, '127.0.0.1');
    await once(evil, 'listening');
    evilOrigin = `http://127.0.0.1:${(evil.address() as { port: number }).port}`;
    admin = await launch();
  });

  afterAll(async () => {
    for (const context of contexts) await context.close();
    for (const profile of profiles) rmSync(profile, { recursive: true, force: true });
    evil?.close();
    await t?.stop({ drop: true });
  });

  it('signs in through the form with an HttpOnly, SameSite=Lax session cookie', async () => {
    const page = await admin.newPage();
    await page.goto(url('/admin/cases'));
    expect(page.url()).toBe(url('/login?next=%2Fadmin%2Fcases'));
    await page.screenshot({ path: join(SCREENSHOTS, 'sign-in.png'), fullPage: true });
    await page.getByLabel('Account name').fill('admin');
    await page.getByLabel('Password').fill('a wrong password');
    await page.getByRole('button', { name: 'Sign in' }).click();
    await expect.poll(() => page.locator('#sign-in-error').textContent()).toBe('Wrong account name or password.');
    await page.getByLabel('Password').fill('test-admin-password');
    await Promise.all([page.waitForURL(url('/admin/cases')), page.getByRole('button', { name: 'Sign in' }).click()]);
    await page.getByText('admin (admin)').waitFor();

    const cookies = await admin.cookies(url('/'));
    const session = cookies.find((cookie) => cookie.name === 'abuse-desk-session');
    expect(session).toMatchObject({ httpOnly: true, sameSite: 'Lax', path: '/', secure: false });
    // Served over plain http here, so not Secure; behind https it is (test/integration/accounts.test.ts).
    expect(await page.evaluate(() => (globalThis as unknown as { document: { cookie: string } }).document.cookie)).not.toContain('abuse-desk-session');
    await page.close();
  });

  it('lets an admin make accounts on the Users page, each with a one-time password shown once', async () => {
    const page = await admin.newPage();
    await page.goto(url('/admin/users'));
    for (const [name, role] of [
      ['sam', 'specialist'],
      ['vera', 'viewer'],
    ] as const) {
      await page.getByLabel(/^Name/).fill(name);
      await page.locator('#new-user select[name="role"]').selectOption(role);
      await page.getByRole('button', { name: 'Create' }).click();
      const shown = await page.locator('#one-time-password', { hasText: `for ${name}:` }).locator('code').textContent();
      expect(shown).toMatch(/^[A-Za-z0-9_-]{20}$/);
      passwords[name] = shown as string;
      await expect.poll(() => page.locator(`tr[data-user="${name}"]`).textContent()).toContain(role);
    }
    await page.screenshot({ path: join(SCREENSHOTS, 'users.png'), fullPage: true });
    // Shown once: the list never shows it again.
    await page.goto(url('/admin/users'));
    expect(await page.content()).not.toContain(passwords.sam);
    await page.close();
  });

  it('has a specialist choose a password at the first sign-in, then act on a case under their own name', async () => {
    const { context, page } = await firstSignIn('sam', 'a long new password one');
    specialist = context;
    await page.goto(url(`/admin/cases/${ticket}`));
    await page.locator('#case-actions select[name="action"]').selectOption('note');
    await page.locator('#case-actions textarea[name="text"]').fill('Checked the reported page: it is a phishing kit.');
    await Promise.all([page.waitForURL(url(`/admin/cases/${ticket}?done=note`)), page.getByRole('button', { name: 'Do it' }).click()]);
    await expect.poll(() => page.locator('#action-done').textContent()).toContain('recorded under sam');
    await page.screenshot({ path: join(SCREENSHOTS, 'case-action.png'), fullPage: true });
    expect(await events('sam')).toEqual([{ type: 'note_added', data: { text: 'Checked the reported page: it is a phishing kit.' } }]);

    // The same action that does not fit the case is refused with the reason, and nothing is recorded.
    await page.locator('#case-actions select[name="action"]').selectOption('record-postal-escalation');
    await page.getByRole('button', { name: 'Do it' }).click();
    await page.getByText('follows the standard policy, which has no escalation by post').waitFor();
    expect(await events('sam')).toHaveLength(1);
  });

  it('lets a viewer read a case but not act on it, nor see the Users page', async () => {
    const { context, page } = await firstSignIn('vera', 'a long new password two');
    await page.goto(url(`/admin/cases/${ticket}`));
    await page.getByText(`Case ${ticket}`).first().waitFor();
    expect(await page.locator('#case-actions').count()).toBe(0);
    expect(await page.getByRole('link', { name: 'Users' }).count()).toBe(0);

    // A form she builds herself, with her own session's token, is refused for her role.
    const token = await page.locator('input[name="_csrf"]').first().inputValue();
    const forged = await page.evaluate(
      async ({ path, token }) => {
        const response = await fetch(path, { method: 'POST', body: new URLSearchParams({ _csrf: token, action: 'note', text: 'a viewer acting' }) });
        return { status: response.status, text: await response.text() };
      },
      { path: `/admin/cases/${ticket}/actions`, token },
    );
    expect(forged.status).toBe(403);
    expect(forged.text).toContain('needs the specialist role, and vera is a viewer');
    expect(await events('vera')).toEqual([]);

    const users = await context.newPage();
    const response = await users.goto(url('/admin/users'));
    expect(response?.status()).toBe(403);
    await users.close();
  });

  it('refuses a form posted from another origin, and one without the session token', async () => {
    const page = await admin.newPage();
    const posted = page.waitForResponse((response) => response.url() === url('/admin/users') && response.request().method() === 'POST');
    await page.goto(evilOrigin);
    const response = await posted;
    expect(response.status()).toBe(403);
    expect(response.request().headers()['origin']).toBe(evilOrigin);

    await page.goto(url('/admin'));
    const attempts = await page.evaluate(async () => {
      const post = async (fields: Record<string, string>) => (await fetch('/admin/users', { method: 'POST', body: new URLSearchParams(fields) })).status;
      return { none: await post({ name: 'mallory2', role: 'admin' }), wrong: await post({ name: 'mallory3', role: 'admin', _csrf: 'not-the-token' }) };
    });
    expect(attempts).toEqual({ none: 403, wrong: 403 });
    expect(await t.app.database.prisma.staffUser.count({ where: { name: { startsWith: 'mallory' } } })).toBe(0);
    await page.close();
  });

  it("ends a disabled account's session at once, and signs out", async () => {
    const page = await admin.newPage();
    await page.goto(url('/admin/users'));
    await page.locator('tr[data-user="sam"]').getByRole('button', { name: 'Disable' }).click();
    await page.getByText('Account sam disabled').waitFor();
    expect(await page.locator('tr[data-user="sam"]').textContent()).toContain('disabled');
    const samPage = await specialist.newPage();
    await samPage.goto(url('/admin'));
    expect(new URL(samPage.url()).pathname).toBe('/login');

    await Promise.all([page.waitForURL(url('/login')), page.getByRole('button', { name: 'Sign out' }).click()]);
    await page.goto(url('/admin'));
    expect(new URL(page.url()).pathname).toBe('/login');
    await page.close();
    await samPage.close();
  });
});
