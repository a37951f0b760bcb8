import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import { once } from 'node:events';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Provider from 'oidc-provider';
import { chromium, type BrowserContext, type Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createAccount } from '../../src/staff/accounts.js';
import { startTestApp, type TestApp } from '../support/harness.js';
import { freePort } from '../support/ports.js';
import { MAILS, openCase } from './seed.js';

/**
 * Sign-in through an OpenID Connect provider, end to end in Debian's chromium
 * (issue 23, item 1): a real provider (the `oidc-provider` package, its
 * development login and consent pages) on loopback, the desk configured for
 * it from the environment. The provider's `groups` claim decides the role at
 * every sign-in; someone in no mapped group is refused; an account of the
 * same name is linked when the provider verified its address.
 */

const CHROMIUM = '/usr/bin/chromium';
const FLAGS = ['--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'];
const CLIENT = { id: 'abuse-desk', secret: 'oidc-test-client-secret' };

/** What the provider knows about each person: their groups. */
const GROUPS: Record<string, string[]> = {
  olga: ['staff', 'abuse-desk'],
  lena: ['abuse-admins'],
  mallory: ['marketing'],
};

describe('sign-in through an OpenID Connect provider', () => {
  let t: TestApp;
  let provider: Server;
  let ticket: string;
  const contexts: BrowserContext[] = [];
  const profiles: string[] = [];
  let httpPort: number;
  const url = (path: string) => `http://127.0.0.1:${httpPort}${path}`;

  const launch = async () => {
    const profile = mkdtempSync(join(tmpdir(), 'abuse-desk-chromium-'));
    profiles.push(profile);
    const context = await chromium.launchPersistentContext(profile, { executablePath: CHROMIUM, headless: true, args: FLAGS });
    contexts.push(context);
    return context;
  };

  /** From the desk's sign-in page through the provider's login and consent pages; the page ends wherever the desk sends it. */
  const throughProvider = async (context: BrowserContext, login: string, path = '/admin/cases'): Promise<Page> => {
    const page = await context.newPage();
    await page.goto(url(path));
    await page.locator('#sign-in-oidc').click();
    await page.locator('input[name="login"]').fill(login);
    await page.locator('input[name="password"]').fill('anything');
    await page.getByRole('button', { name: 'Sign-in' }).click();
    await page.getByRole('button', { name: 'Continue' }).click();
    await page.waitForURL((current) => current.port === String(httpPort));
    return page;
  };

  const account = (name: string) => t.app.database.prisma.staffUser.findUnique({ where: { name } });

  beforeAll(async () => {
    if (!existsSync(CHROMIUM)) throw new Error(`The browser tests need Debian's chromium at ${CHROMIUM}: install it with \`apt-get install -y chromium\` (.ci/run does this).`);
    const providerPort = await freePort();
    httpPort = await freePort();
    const issuer = `http://127.0.0.1:${providerPort}`;
    const oidc = new Provider(issuer, {
      clients: [{ client_id: CLIENT.id, client_secret: CLIENT.secret, redirect_uris: [url('/login/oidc/callback')], grant_types: ['authorization_code'], response_types: ['code'] }],
      claims: { openid: ['sub'], email: ['email', 'email_verified'], groups: ['groups'] },
      findAccount: async (_context, id) => ({
        accountId: id,
        claims: async () => ({ sub: id, email: `${id}@idp.example`, email_verified: true, groups: GROUPS[id] ?? [] }),
      }),
      pkce: { required: () => true },
    });
    provider = createServer(oidc.callback()).listen(providerPort, '127.0.0.1');
    await once(provider, 'listening');

    t = await startTestApp({
      database: 'postgres',
      env: {
        HTTP_PORT: String(httpPort),
        OIDC_ISSUER: issuer,
        OIDC_CLIENT_ID: CLIENT.id,
        OIDC_CLIENT_SECRET: CLIENT.secret,
        OIDC_REDIRECT_URL: url('/login/oidc/callback'),
        OIDC_SCOPES: 'openid email groups',
        OIDC_ROLE_CLAIM: 'groups',
        OIDC_ROLES: 'abuse-admins=admin,abuse-desk=specialist,staff=viewer',
      },
    });
    ticket = await openCase(t, MAILS.germanComplaint);
    // Made before the provider is used: linked at lena's first sign-in, as the provider verified her address.
    await createAccount(t.app.database.prisma, { name: 'lena@idp.example', email: 'lena@idp.example', role: 'viewer', password: 'her local password' }, new Date());
  });

  afterAll(async () => {
    for (const context of contexts) await context.close();
    for (const profile of profiles) rmSync(profile, { recursive: true, force: true });
    await t?.stop({ drop: true });
    provider?.close();
  });

  it('signs in a specialist the provider vouches for, who then acts under that account', async () => {
    const context = await launch();
    const page = await throughProvider(context, 'olga');
    expect(page.url()).toBe(url('/admin/cases'));
    await page.getByText('olga@idp.example (specialist)').waitFor();
    expect(await account('olga@idp.example')).toMatchObject({ role: 'specialist', oidcSubject: 'olga', passwordHash: null, email: 'olga@idp.example' });
    const cookie = (await context.cookies(url('/'))).find((c) => c.name === 'abuse-desk-session');
    expect(cookie).toMatchObject({ httpOnly: true, sameSite: 'Lax' });
    // The provider's own cookies are its business; the short-lived one of ours is gone.
    expect((await context.cookies(url('/login/oidc'))).some((c) => c.name === 'abuse-desk-oidc')).toBe(false);

    await page.goto(url(`/admin/cases/${ticket}`));
    await page.locator('#case-actions select[name="action"]').selectOption('note');
    await page.locator('#case-actions textarea[name="text"]').fill('Called the customer.');
    await Promise.all([page.waitForURL(url(`/admin/cases/${ticket}?done=note`)), page.getByRole('button', { name: 'Do it' }).click()]);
    expect(await t.app.database.prisma.caseEvent.count({ where: { actor: 'olga@idp.example', type: 'note_added' } })).toBe(1);

    // The role follows the provider at the next sign-in.
    GROUPS.olga = ['staff'];
    await Promise.all([page.waitForURL(url('/login')), page.getByRole('button', { name: 'Sign out' }).click()]);
    // Still signed in at the provider, whose consent is remembered: straight back.
    await Promise.all([page.waitForURL(url('/admin')), page.locator('#sign-in-oidc').click()]);
    await page.getByText('olga@idp.example (viewer)').waitFor();
    expect((await account('olga@idp.example'))?.role).toBe('viewer');
  });

  it('links an existing account with the address the provider verified', async () => {
    const page = await throughProvider(await launch(), 'lena', '/admin/users');
    expect(page.url()).toBe(url('/admin/users'));
    await page.getByText('lena@idp.example (admin)').waitFor();
    expect(await account('lena@idp.example')).toMatchObject({ role: 'admin', oidcSubject: 'lena' });
    expect(await t.app.database.prisma.staffUser.count({ where: { name: { startsWith: 'lena' } } })).toBe(1);
  });

  it('refuses someone in no group that may use the desk, and makes no account', async () => {
    const page = await throughProvider(await launch(), 'mallory');
    expect(new URL(page.url()).pathname).toBe('/login/oidc/callback');
    await page.getByText('not in a group that may use the abuse desk').waitFor();
    expect(await account('mallory@idp.example')).toBeNull();
    const response = await page.goto(url('/admin'));
    expect(new URL(page.url()).pathname).toBe('/login');
    expect(response?.status()).toBe(200);
  });

  it('refuses a callback that was not started here', async () => {
    const page = await (await launch()).newPage();
    const response = await page.goto(url('/login/oidc/callback?code=forged&state=forged'));
    expect(response?.status()).toBe(400);
    await page.getByText('This sign-in was not started here').waitFor();
  });
});
