/**
 * End of life in a real browser (LEG-1, LEG-2): the End of life page lists
 * the unsupported and soon-unsupported assets riskiest first and filters
 * them; an asset's page shows its OS and software state, risk class and the
 * daily inventory rule; an analyst records a compensating control and
 * retires it; an auditor sees all of it without the forms; an administrator
 * is refused a bad dataset file with the record named. Screenshots go to
 * test-results/screenshots/.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { RunningServer } from '../../src/main/server.js';
import { createAsset } from '../../src/services/assets/assets.service.js';
import { importDataset } from '../../src/services/eol/dataset.service.js';
import { reevaluateAll } from '../../src/services/eol/evaluation.js';
import { putInventory } from '../../src/services/inventory/inventory.service.js';
import { createUser } from '../../src/services/users/users.service.js';
import { operator } from '../support/app.js';
import { day, relativeDataset } from '../eol/support.js';
import { HAVE_CHROMIUM, SKIP_REASON, ensureWebBuilt, launchBrowser, screenshot, startTestServer } from './support.js';

if (!HAVE_CHROMIUM) console.warn(SKIP_REASON);

const ANALYST = { username: 'ana.analyst', password: 'correct horse battery staple' };
const AUDITOR = { username: 'olga.auditor', password: 'another long password' };
const ADMIN = { username: 'alice.admin', password: 'a third long password' };

describe.skipIf(!HAVE_CHROMIUM)(HAVE_CHROMIUM ? 'End of life in Chromium' : SKIP_REASON, () => {
  let server: RunningServer & { dataDir: string };
  let browser: Browser;
  let context: BrowserContext;
  let page: Page;
  const ids: Record<string, string> = {};
  const pageErrors: string[] = [];
  const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'patchloop-eol-browser-'));

  const url = (p: string) => `${server.url}${p}`;
  const signIn = async (p: Page, who: { username: string; password: string }) => {
    p.setDefaultTimeout(15_000);
    p.on('pageerror', (e) => pageErrors.push(`${who.username}: ${e.message}`));
    await p.goto(url('/'));
    await p.getByLabel('User name').fill(who.username);
    await p.getByLabel('Password').fill(who.password);
    await p.getByRole('button', { name: 'Sign in' }).click();
    await p.getByRole('heading', { name: 'Dashboard' }).waitFor();
  };
  const hosts = (p: Page) => p.locator('table.eol-assets tbody tr[data-host]').evaluateAll((rows) => rows.map((r) => r.getAttribute('data-host')));
  const panel = (p: Page) => p.getByRole('region', { name: 'End of life' });

  beforeAll(async () => {
    ensureWebBuilt();
    server = await startTestServer();
    const db = server.database.db;
    await createUser(db, operator, { username: ANALYST.username, role: 'security_analyst', password: ANALYST.password });
    await createUser(db, operator, { username: AUDITOR.username, role: 'auditor', password: AUDITOR.password });
    await createUser(db, operator, { username: ADMIN.username, role: 'admin', password: ADMIN.password });
    await importDataset(db, operator, relativeDataset(), { source: 'browser test dataset' }, reevaluateAll);
    const asset = async (hostname: string, extra: Record<string, unknown>, inventory?: Record<string, unknown>) => {
      const a = await createAsset(db, operator, { hostname, environment: 'production', systemType: 'database', businessCriticality: 'high', networkExposure: 'internal', ...extra } as never);
      ids[hostname] = a.id;
      if (inventory) await putInventory(db, operator, a.id, { ecosystem: 'deb', source: 'upload', ...inventory } as never);
    };
    await asset('legacy-db-01', {}, { distro: 'debian', release: 'bookworm', packages: [{ name: 'postgresql-15', version: '1:15.8-0+deb12u1', arch: 'amd64' }, { name: 'nodejs', version: '18.20.4-1nodesource1', arch: 'amd64' }] });
    await asset('web-soon-01', {}, { distro: 'debian', release: 'trixie', packages: [{ name: 'nginx', version: '1.22.1-1~bookworm', arch: 'amd64' }] });
    await asset('dc-old-01', { osName: 'Windows Server', osVersion: '2012 R2', networkExposure: 'internet_facing' });
    await asset('fine-01', {}, { distro: 'debian', release: 'trixie', packages: [] });
    browser = await launchBrowser();
    context = await browser.newContext({ viewport: { width: 1366, height: 900 }, locale: 'en-US', timezoneId: 'UTC' });
    page = await context.newPage();
    await signIn(page, ANALYST);
  }, 120_000);

  afterAll(async () => {
    await browser?.close();
    await server?.stop();
    fs.rmSync(tmp, { recursive: true, force: true });
  });

  it('lists unsupported and soon-unsupported assets riskiest first, counted and filtered', async () => {
    await page.getByRole('navigation', { name: 'Main' }).getByRole('link', { name: 'End of life', exact: true }).click();
    await page.getByRole('heading', { name: 'End of life', level: 1 }).waitFor();
    await page.locator('table.eol-assets tbody tr[data-host]').first().waitFor();
    expect(await hosts(page)).toEqual(['dc-old-01', 'legacy-db-01', 'web-soon-01']);
    const stats = await page.locator('.stat-row .stat').allTextContents();
    expect(stats).toEqual(['2unsupported', '2unsupported without a control', '1ending within 90 days', '0not recognised']);
    const legacy = page.locator('tr[data-host="legacy-db-01"]');
    expect(await legacy.textContent()).toContain('Medium risk');
    expect(await legacy.textContent()).toContain(`nodejs 18: ${day(-100)} (ended 100 days ago)`);
    expect(await page.locator('tr[data-host="dc-old-01"]').textContent()).toContain('windows-server 2012-r2: ended (date unknown)');
    await screenshot(page, 'eol-01-list');

    await page.getByLabel('State').selectOption('eol_soon');
    await expect.poll(() => hosts(page)).toEqual(['web-soon-01']);
    expect(await page.locator('tr[data-host="web-soon-01"]').textContent()).toContain(`nginx 1.22: ${day(90)} (in 90 days)`);
    expect(new URL(page.url()).search).toBe('?state=eol_soon');
    await page.getByLabel('State').selectOption('');
    await page.getByLabel('Risk class').selectOption('critical');
    await expect.poll(() => hosts(page)).toEqual(['dc-old-01']);
  }, 60_000);

  it("shows an asset's end of life on its page; an analyst records a compensating control and retires it", async () => {
    await page.goto(url('/eol'));
    await page.getByRole('link', { name: 'legacy-db-01' }).click();
    await page.getByRole('heading', { name: 'legacy-db-01' }).waitFor();
    const p = panel(page);
    await p.getByTestId('eol-summary').waitFor();
    expect(await p.getByTestId('eol-summary').textContent()).toMatch(/^Unsupported Medium risk debian 12 is past end of support; only extended support is left; unsupported software: nodejs 18/);
    expect(await p.locator('tr[data-product="debian"]').textContent()).toContain(`${day(-10)} (ended 10 days ago)`);
    const pg = await p.locator('tr[data-product="postgresql"]').textContent();
    expect(pg).toContain('postgresql-15 1:15.8-0+deb12u1');
    expect(pg).toContain('built by debian 12: Unsupported');
    expect(await p.textContent()).toContain('Inventory required every day (raised while the asset is unsupported)');
    await p.getByText('No active compensating control').waitFor();

    await p.getByRole('button', { name: 'Add compensating control…' }).click();
    const form = p.getByRole('form', { name: 'Add a compensating control' });
    await form.getByLabel('Control').fill('Isolated in VLAN 99; inbound only from the app tier');
    await form.getByLabel('Details (optional)').fill('Firewall rule FW-1234');
    await form.getByLabel('Next review').fill(day(-1));
    await form.getByRole('button', { name: 'Record control' }).click();
    await form.getByText('must be today or later').waitFor();
    await form.getByLabel('Next review').fill(day(30));
    await form.getByRole('button', { name: 'Record control' }).click();
    const list = p.getByRole('list', { name: 'Compensating controls' });
    await list.getByText('Isolated in VLAN 99; inbound only from the app tier').waitFor();
    expect(await list.textContent()).toContain(`Owner ana.analyst · review ${day(30)}`);
    expect(await p.getByText('No active compensating control').count()).toBe(0);
    await screenshot(page, 'eol-02-asset-panel');

    await list.getByRole('button', { name: 'Retire…' }).click();
    const retire = p.getByRole('form', { name: /^Retire Isolated/ });
    await retire.getByLabel(/Why is it retired/).fill('host migrated to trixie');
    await retire.getByRole('button', { name: 'Retire control' }).click();
    await list.getByText('Retired', { exact: true }).waitFor();
    expect(await list.textContent()).toContain('host migrated to trixie');
    await p.getByText('No active compensating control').waitFor();
    // The change history of the asset holds all of it.
    await page.reload();
    const history = page.locator('table.history');
    await history.waitFor();
    expect(await history.textContent()).toContain('eol.control.retire');
    expect(await history.textContent()).toContain('eol.control.create');
  }, 60_000);

  it('an auditor sees the state and the controls but no forms', async () => {
    const auditor = await context.browser()?.newContext({ viewport: { width: 1366, height: 900 }, locale: 'en-US', timezoneId: 'UTC' });
    const ap = (await auditor?.newPage()) as Page;
    await signIn(ap, AUDITOR);
    await ap.goto(url(`/assets/${ids['dc-old-01']}`));
    const p = panel(ap);
    await p.getByTestId('eol-summary').waitFor();
    expect(await p.getByTestId('eol-summary').textContent()).toContain('Critical risk');
    expect(await p.getByRole('button', { name: 'Add compensating control…' }).count()).toBe(0);
    await ap.goto(url('/eol'));
    await ap.locator('table.eol-assets tbody tr[data-host]').first().waitFor();
    expect(await ap.getByRole('form', { name: 'Upload an end-of-life dataset' }).count()).toBe(0);
    await auditor?.close();
  }, 60_000);

  it('an administrator is refused a bad dataset file with the record named, and nothing changes', async () => {
    const admin = await context.browser()?.newContext({ viewport: { width: 1366, height: 900 }, locale: 'en-US', timezoneId: 'UTC' });
    const ap = (await admin?.newPage()) as Page;
    await signIn(ap, ADMIN);
    await ap.goto(url('/eol'));
    const bad = relativeDataset();
    (bad.products.debian[1] as Record<string, unknown>).eol = 'next summer';
    const file = path.join(tmp, 'bad-eol.json');
    fs.writeFileSync(file, JSON.stringify(bad));
    const form = ap.getByRole('form', { name: 'Upload an end-of-life dataset' });
    await form.getByLabel('Dataset (JSON)').setInputFiles(file);
    await form.getByRole('button', { name: 'Load file' }).click();
    const alert = ap.getByRole('alert');
    await alert.waitFor();
    expect(await alert.textContent()).toContain('products.debian[1] (cycle 12).eol');
    expect(await ap.locator('main').textContent()).toContain('browser test dataset');
    await screenshot(ap, 'eol-03-admin-refused');
    await admin?.close();
    expect(pageErrors).toEqual([]);
  }, 60_000);
});
