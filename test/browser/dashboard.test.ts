import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { chromium, type BrowserContext, type Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestApp, type TestApp } from '../support/harness.js';
import { answered, HOSTILE_SUBJECT, MAILS, openCase, sendForged } from './seed.js';

/**
 * The dashboard as ops see it: Debian's chromium, driven by playwright-core,
 * against the whole product with cases opened by real signed mail. Signs in
 * through the form (as the bootstrap admin, with ADMIN_PASSWORD),
 * watches the charts draw, filters the list, opens a case, downloads the CSV,
 * and saves a screenshot of each page under test-output/screenshots/.
 */

const CHROMIUM = '/usr/bin/chromium';
const SCREENSHOTS = fileURLToPath(new URL('../../test-output/screenshots/', import.meta.url));
const CREDENTIALS = { username: 'admin', password: 'test-admin-password' };
const FLAGS = ['--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'];

describe('dashboard in a browser', () => {
  let t: TestApp;
  let signedIn: BrowserContext;
  let anonymous: BrowserContext;
  const profiles: string[] = [];
  const tickets: Record<string, string> = {};
  /** Console errors (a CSP violation shows up here) and uncaught page errors. */
  const problems: string[] = [];
  const url = (path: string) => `http://127.0.0.1:${t.httpPort}${path}`;

  const launch = () => {
    const profile = mkdtempSync(join(tmpdir(), 'abuse-desk-chromium-'));
    profiles.push(profile);
    return chromium.launchPersistentContext(profile, { executablePath: CHROMIUM, headless: true, args: FLAGS, acceptDownloads: true, viewport: { width: 1400, height: 900 } });
  };

  const signIn = async (context: BrowserContext) => {
    const page = await context.newPage();
    await page.goto(url('/login'));
    await page.getByLabel('Account name').fill(CREDENTIALS.username);
    await page.getByLabel('Password').fill(CREDENTIALS.password);
    await Promise.all([page.waitForURL(url('/admin')), page.getByRole('button', { name: 'Sign in' }).click()]);
    await page.close();
  };

  /** Opens a page signed in; our own pages (`watch`) must log no error at all, CSP violations included. */
  const open = async (path: string, watch = true): Promise<Page> => {
    const page = await signedIn.newPage();
    if (watch) {
      page.on('console', (message) => {
        if (message.type() === 'error') problems.push(`${path}: ${message.text()}`);
      });
      page.on('pageerror', (error) => problems.push(`${path}: ${error.message}`));
    }
    const response = await page.goto(url(path));
    expect(response?.status(), path).toBe(200);
    return page;
  };

  const shoot = (page: Page, name: string) => page.screenshot({ path: join(SCREENSHOTS, `${name}.png`), fullPage: true });

  beforeAll(async () => {
    if (!existsSync(CHROMIUM)) {
      throw new Error(`The browser tests need Debian's chromium at ${CHROMIUM}: install it with \`apt-get install -y chromium\` (.ci/run does this).`);
    }
    mkdirSync(SCREENSHOTS, { recursive: true });
    t = await startTestApp({ database: 'postgres' });
    for (const name of ['germanComplaint', 'englishAbuse', 'frenchComplaint', 'hostile'] as const) tickets[name] = await openCase(t, MAILS[name]);
    const refused = await sendForged(t);
    expect(refused.final.code).toBe(550);
    for (const ticket of Object.values(tickets)) await answered(t, ticket);
    signedIn = await launch();
    await signIn(signedIn);
    anonymous = await launch();
  });

  afterAll(async () => {
    await signedIn?.close();
    await anonymous?.close();
    for (const profile of profiles) rmSync(profile, { recursive: true, force: true });
    await t?.stop({ drop: true });
  });

  it('sends a visit without signing in to the sign-in form, and shows nothing', async () => {
    for (const path of ['/admin', '/admin/cases', `/admin/cases/${tickets.germanComplaint}`, '/admin/cases.csv', '/admin/queues', '/admin/assets/dashboard.js']) {
      const page = await anonymous.newPage();
      const seen: Array<{ status: number; body: string }> = [];
      page.on('response', (response) => {
        if (response.url() === url(path)) void response.text().then((body) => seen.push({ status: response.status(), body }), () => seen.push({ status: response.status(), body: '' }));
      });
      const landed = await page.goto(url(path));
      expect(landed?.status(), path).toBe(200);
      expect(page.url(), path).toBe(url(`/login?next=${encodeURIComponent(path)}`));
      await page.getByRole('button', { name: 'Sign in' }).waitFor();
      // (The ticket is in the page: the form goes back to it once signed in; nothing of the case is.)
      expect(await page.content(), path).not.toContain(MAILS.germanComplaint.subject);
      await expect.poll(() => seen.length, { message: path }).toBeGreaterThan(0);
      expect(seen[0]?.status, path).toBe(303);
      expect(seen[0]?.body, path).not.toContain(tickets.germanComplaint);
      await page.close();
    }
    const page = await anonymous.newPage();
    const health = await page.goto(url('/healthz'));
    expect(health?.status()).toBe(200);
    await page.close();
  });

  it('draws the overview charts from the real cases', async () => {
    const page = await open('/admin');
    const canvases = await page.locator('canvas[data-chart]').count();
    expect(canvases).toBeGreaterThanOrEqual(7);
    await expect.poll(() => page.locator('canvas[data-chart]:not([data-rendered="true"])').count(), { timeout: 10_000 }).toBe(0);
    // What Chart.js itself holds for each canvas (evaluated in the page).
    const charts = (await page.locator('canvas[data-chart]').evaluateAll((canvases) => {
      const registry = (globalThis as unknown as { Chart: { getChart(canvas: unknown): { data: { labels: string[]; datasets: Array<{ label: string; data: number[] }> } } | undefined } }).Chart;
      return canvases.map((canvas: { width: number; getAttribute(name: string): string | null }) => {
        const instance = registry.getChart(canvas);
        return {
          id: canvas.getAttribute('data-chart'),
          drawn: Boolean(instance) && canvas.width > 0,
          labels: instance?.data.labels ?? [],
          sums: Object.fromEntries((instance?.data.datasets ?? []).map((d) => [d.label, d.data.reduce((a, b) => a + b, 0)])),
          values: instance?.data.datasets[0]?.data ?? [],
        };
      });
    })) as Array<{ id: string | null; drawn: boolean; labels: string[]; sums: Record<string, number>; values: number[] }>;
    expect(charts.every((c) => c.drawn)).toBe(true);
    const byKind = charts.find((c) => c.id === 'chart-data-by-kind');
    expect(Object.fromEntries(byKind?.labels.map((label, i) => [label, byKind.values[i]]) ?? [])).toEqual({ complaint: 3, abuse: 1 });
    expect(charts.find((c) => c.id === 'chart-data-refusals')?.sums).toMatchObject({ dmarc_reject: 1 });
    expect(charts.find((c) => c.id === 'chart-data-sla-acknowledge')?.sums).toMatchObject({ met: 4 });
    // The JSON block carries the same numbers as the table beside the chart.
    const block = JSON.parse((await page.locator('#chart-data-by-brand').textContent()) ?? '{}') as { labels: string[]; series: Array<{ values: number[] }> };
    expect(Object.fromEntries(block.labels.map((label, i) => [label, block.series[0]?.values[i]]))).toEqual({ 'example-net': 3, 'support-example': 1 });
    await expect(page.locator('#by-brand table').textContent()).resolves.toMatch(/support-example\s*1/);
    await shoot(page, 'overview');
    expect(problems).toEqual([]);
    await page.close();
  });

  it('filters the list, exports it as CSV, and opens a case', async () => {
    const page = await open('/admin/cases');
    await expect(page.locator('#cases tbody tr').count()).resolves.toBe(4);
    await page.selectOption('select[name="kind"]', 'complaint');
    await page.selectOption('select[name="brand"]', 'example-net');
    await Promise.all([page.waitForURL(/kind=complaint/), page.click('#filters button[type="submit"]')]);
    expect(page.url()).toMatch(/brand=example-net/);
    const listed = await page.locator('#cases tbody tr td:first-child a').allTextContents();
    expect(listed.sort()).toEqual([tickets.germanComplaint, tickets.hostile].sort());
    await shoot(page, 'cases');

    const [download] = await Promise.all([page.waitForEvent('download'), page.click('#csv-export')]);
    expect(download.suggestedFilename()).toMatch(/^cases-\d{4}-\d{2}-\d{2}\.csv$/);
    const csv = readFileSync((await download.path()) as string, 'utf8');
    const rows = csv.split('\r\n').filter(Boolean);
    expect(rows[0]).toMatch(/^ticket,kind,state,/);
    expect(rows.slice(1).map((row) => row.split(',')[0]).sort()).toEqual([tickets.germanComplaint, tickets.hostile].sort());

    await Promise.all([page.waitForURL(/\/admin\/cases\/CMP-/), page.click(`a:text-is("${tickets.germanComplaint}")`)]);
    await expect(page.locator('h1').textContent()).resolves.toBe(`Case ${tickets.germanComplaint}`);
    await expect(page.locator('#timeline').textContent()).resolves.toMatch(/← in: original/);
    await expect(page.locator('#timeline').textContent()).resolves.toMatch(/→ out: ack/);
    await expect(page.locator('#deadlines').textContent()).resolves.toMatch(/acknowledge\s*met/);
    await expect(page.locator('#verdict').textContent()).resolves.toMatch(/verified\s*yes/);
    await shoot(page, 'case');
    expect(problems).toEqual([]);
    await page.close();
  });

  it('shows a hostile subject as text and runs nothing', async () => {
    const dialogs: string[] = [];
    for (const path of ['/admin', `/admin/cases?complainant=${encodeURIComponent('mallory@sender.test')}`, `/admin/cases/${tickets.hostile}`]) {
      const page = await open(path);
      page.on('dialog', (dialog) => {
        dialogs.push(dialog.message());
        void dialog.dismiss();
      });
      await page.waitForLoadState('load');
      await expect(page.getByText(HOSTILE_SUBJECT, { exact: true }).first().isVisible(), path).resolves.toBe(true);
      await expect(page.locator('img[src="x"]').count(), path).resolves.toBe(0);
      await expect(page.locator('main script:not([type="application/json"])').count(), path).resolves.toBe(0);
      if (path.startsWith('/admin/cases/')) await shoot(page, 'hostile-case');
      await page.close();
    }
    expect(dialogs).toEqual([]);
    expect(problems).toEqual([]);
  });

  it('shows the queue board, and a queue from a direct link', async () => {
    // bull-board's own inline styles and web fonts are refused by our CSP; it works without them.
    const page = await open('/admin/queues', false);
    for (const queue of ['intake', 'outbound', 'deadlines', 'measures']) await page.getByRole('link', { name: queue, exact: true }).first().waitFor();
    await shoot(page, 'queues');
    await page.goto(url('/admin/queues/queue/deadlines'));
    await page.getByText('deadlines', { exact: true }).first().waitFor();
    await expect.poll(() => page.locator('script[src^="/admin/queues/static/js/"]').count()).toBeGreaterThan(0);
    await shoot(page, 'queue-deadlines');
    await page.close();
  });
});
