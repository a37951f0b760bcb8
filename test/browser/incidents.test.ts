import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { chromium, type BrowserContext } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { deskClient } from '../support/desk.js';
import { startTestApp, TestClock, type TestApp } from '../support/harness.js';
import { SENDER_DOMAIN } from '../support/mail.js';

/**
 * The incident and domain pages in Debian's chromium: an incident of two
 * reports about one managed domain is listed, opened, and leads to the
 * domain's page with the account's other domains.
 */

const CHROMIUM = '/usr/bin/chromium';
const FLAGS = ['--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'];
const DOMAIN = 'browser-incident-shop.com';

describe('incident and domain pages in a browser', () => {
  const clock = new TestClock();
  let t: TestApp;
  let browser: BrowserContext;
  let profile: string;
  const problems: string[] = [];
  const url = (path: string) => `http://127.0.0.1:${t.httpPort}${path}`;

  beforeAll(async () => {
    if (!existsSync(CHROMIUM)) throw new Error(`The browser tests need Debian's chromium at ${CHROMIUM}: install it with \`apt-get install -y chromium\` (.ci/run does this).`);
    t = await startTestApp({ database: 'postgres', clock });
    const desk = deskClient(t, clock);
    expect((await desk.post('/managed-domains', JSON.stringify([{ domain: DOMAIN, account: 'ACC-B' }, { domain: 'second-browser-shop.com', account: 'ACC-B' }]))).status).toBe(200);
    for (const local of ['ida', 'jon']) {
      await desk.send({ from: `${local} <${local}@${SENDER_DOMAIN}>`, to: 'abuse@example.net', subject: 'Phishing site', text: `This is a phishing page: https://${DOMAIN}/login\n` });
      await desk.waitForMail({ to: `${local}@${SENDER_DOMAIN}` }, `acknowledgement to ${local}`);
    }
    profile = mkdtempSync(join(tmpdir(), 'abuse-desk-chromium-'));
    browser = await chromium.launchPersistentContext(profile, { executablePath: CHROMIUM, headless: true, args: FLAGS });
    // Signed in as ops are: the form, with the bootstrap admin's password.
    const login = await browser.newPage();
    await login.goto(url('/login'));
    await login.getByLabel('Account name').fill('admin');
    await login.getByLabel('Password').fill('test-admin-password');
    await Promise.all([login.waitForURL(url('/admin')), login.getByRole('button', { name: 'Sign in' }).click()]);
    await login.close();
  });

  afterAll(async () => {
    await browser?.close();
    if (profile) rmSync(profile, { recursive: true, force: true });
    await t?.stop({ drop: true });
  });

  it('lists the incident, opens it, and shows its domain with the account’s other domains', async () => {
    const page = await browser.newPage();
    page.on('console', (message) => {
      if (message.type() === 'error') problems.push(message.text());
    });
    expect((await page.goto(url(`/admin/incidents?domain=${DOMAIN}`)))?.status()).toBe(200);
    const row = page.locator('#incidents tbody tr', { hasText: DOMAIN });
    await expect(row.locator('td.count').textContent()).resolves.toBe('2');
    await row.locator(`a:text("${DOMAIN}")`).click();
    await page.waitForURL(/\/admin\/incidents\//);
    await expect(page.locator('#incident-cases tbody tr').count()).resolves.toBe(2);
    await page.locator(`#incident-facts a:text("${DOMAIN}")`).click();
    await page.waitForURL(/\/admin\/domains\//);
    await expect(page.locator('#domain-facts').textContent()).resolves.toContain('second-browser-shop.com');
    await expect(page.locator('#incidents tbody tr').count()).resolves.toBe(1);
    expect(problems).toEqual([]);
  });

  it('refuses the pages without credentials and answers 404 for what it does not know', async () => {
    for (const path of ['/admin/incidents', `/admin/domains/${DOMAIN}`]) {
      // A browser is sent to the sign-in page, anything else gets 401.
      const browserVisit = await fetch(url(path), { redirect: 'manual', headers: { Accept: 'text/html' } });
      expect(browserVisit.status, path).toBe(303);
      expect(browserVisit.headers.get('location'), path).toMatch(/^\/login\?next=/);
      expect((await fetch(url(path), { redirect: 'manual' })).status, path).toBe(401);
    }
    const auth = { Authorization: `Basic ${Buffer.from('admin:test-admin-password').toString('base64')}` };
    expect((await fetch(url('/admin/domains/never-reported-anywhere.com'), { headers: auth })).status).toBe(404);
    expect((await fetch(url('/admin/incidents?state=bogus'), { headers: auth })).status).toBe(400);
  });
});
