/**
 * The CMDB/CSV inventory import page in a real browser (INV-3): a security
 * analyst chooses a semicolon-separated CMDB export, the column mapping is
 * guessed from its header, the check lists what will change, the import
 * stores every asset's packages and opens findings; a file with an unknown
 * host is rejected row by row and changes nothing; an auditor has no link.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { RunningServer } from '../../src/main/server.js';
import { createAsset } from '../../src/services/assets/assets.service.js';
import { importFeed } from '../../src/services/feeds/feeds.service.js';
import { createUser } from '../../src/services/users/users.service.js';
import { operator } from '../support/app.js';
import { HAVE_CHROMIUM, SKIP_REASON, ensureWebBuilt, launchBrowser, screenshot, startTestServer } from './support.js';

const ANALYST = { username: 'ivy.analyst', password: 'a long analyst password' };
const AUDITOR = { username: 'abe.auditor', password: 'a long auditor password' };

describe.skipIf(!HAVE_CHROMIUM)(HAVE_CHROMIUM ? 'inventory CSV import in Chromium' : SKIP_REASON, () => {
  let server: RunningServer & { dataDir: string };
  let browser: Browser;
  let page: Page;
  const ids: Record<string, string> = {};
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'patchloop-inv-csv-ui-'));
  const pageErrors: string[] = [];

  const signIn = async (p: Page, who: { username: string; password: string }) => {
    await p.goto(`${server.url}/`);
    await p.getByLabel('User name').fill(who.username);
    await p.getByLabel('Password').fill(who.password);
    await p.getByRole('button', { name: 'Sign in' }).click();
    await p.getByRole('heading', { name: 'Dashboard' }).waitFor();
  };
  const api = async (url: string) => (await page.request.get(`${server.url}${url}`)).json();

  beforeAll(async () => {
    ensureWebBuilt();
    server = await startTestServer();
    const db = server.database.db;
    await createUser(db, operator, { username: ANALYST.username, role: 'security_analyst', password: ANALYST.password });
    await createUser(db, operator, { username: AUDITOR.username, role: 'auditor', password: AUDITOR.password });
    for (const [hostname, fqdn] of [['web-01', null], ['app-01', 'app-01.corp.example']] as const) {
      ids[hostname] = (await createAsset(db, operator, { hostname, fqdn, environment: 'production', systemType: 'web_server', businessCriticality: 'high', networkExposure: 'internet_facing' } as never)).id;
    }
    const rec = (id: string, alias: string, ecosystem: string, name: string, fixed: string) => ({
      id, modified: '2026-10-01T00:00:00Z', aliases: [alias], affected: [{ package: { ecosystem, name }, ranges: [{ type: 'ECOSYSTEM', events: [{ introduced: '0' }, { fixed }] }] }],
    });
    await importFeed(db, operator, 'osv', JSON.stringify([rec('DEBIAN-CVE-2026-9101', 'CVE-2026-9101', 'Debian:12', 'curl', '7.88.1-10+deb12u9'), rec('GHSA-ui-9102', 'CVE-2026-9102', 'npm', 'lodash', '4.17.21')]), { source: 'test' });
    fs.writeFileSync(path.join(dir, 'cmdb.csv'), '"CI Name";"Software";"Version";"Type";"Owner"\nweb-01;curl;7.88.1-10+deb12u8;deb;ops\nweb-01;bash;5.2.15-2+b2;deb;ops\napp-01.corp.example;lodash;4.17.20;npm;"dev; web"\n');
    fs.writeFileSync(path.join(dir, 'broken.csv'), 'CI Name,Software,Version\nweb-01,curl,7.88.1-10+deb12u10\nghost-01,curl,7.88.1\nweb-01,openssl,\n');
    browser = await launchBrowser();
    page = await (await browser.newContext({ viewport: { width: 1366, height: 900 }, locale: 'en-US', timezoneId: 'UTC' })).newPage();
    page.setDefaultTimeout(15_000);
    page.on('pageerror', (e) => pageErrors.push(e.message));
    page.on('dialog', (d) => {
      pageErrors.push(`dialog: ${d.message()}`);
      void d.dismiss();
    });
    await signIn(page, ANALYST);
  }, 120_000);

  afterAll(async () => {
    await browser?.close();
    await server?.stop();
    fs.rmSync(dir, { recursive: true, force: true });
  });

  it('maps the columns, checks the file, then imports every asset and opens findings', async () => {
    await page.getByRole('navigation', { name: 'Main' }).getByRole('link', { name: 'Inventory import' }).click();
    await page.getByRole('heading', { name: 'Import inventory from CSV' }).waitFor();
    await page.getByLabel('CSV file').setInputFiles(path.join(dir, 'cmdb.csv'));
    const mapping = page.getByRole('form', { name: 'Column mapping' });
    // Guessed from the header.
    await expect.poll(() => mapping.getByLabel('Host', { exact: true }).inputValue()).toBe('CI Name');
    expect(await mapping.getByLabel('Package name').inputValue()).toBe('Software');
    expect(await mapping.getByLabel('Version', { exact: true }).inputValue()).toBe('Version');
    expect(await mapping.getByLabel('Ecosystem', { exact: true }).inputValue()).toBe('Type');
    await mapping.getByLabel('Release of new inventories').fill('bookworm');
    await mapping.getByRole('button', { name: 'Check the file' }).click();
    const plan = page.getByRole('table', { name: 'What the import will change' });
    await expect.poll(() => plan.textContent()).toContain('web-01');
    expect(await plan.textContent()).toContain('app-01');
    expect(await api(`/api/assets/${ids['web-01']}/inventory`)).toBeNull(); // the check wrote nothing
    await page.getByRole('button', { name: 'Import 2 assets' }).click();
    const done = page.getByRole('status');
    await expect.poll(() => done.textContent()).toContain('Import complete');
    expect(await page.getByRole('table', { name: 'What the import changed' }).textContent()).toContain('1 opened');
    const open = (await api('/api/findings?status=open')).items.map((f: { vulnerabilityId: string; asset: { hostname: string } }) => `${f.asset.hostname} ${f.vulnerabilityId}`).sort();
    expect(open).toEqual(['app-01 CVE-2026-9102', 'web-01 CVE-2026-9101']);
    await screenshot(page, 'inventory-csv-import');
  });

  it('rejects a file with an unknown host and an empty version, row by row, and changes nothing', async () => {
    const before = await api(`/api/assets/${ids['web-01']}/inventory`);
    await page.goto(`${server.url}/inventory/import`);
    await page.getByLabel('CSV file').setInputFiles(path.join(dir, 'broken.csv'));
    const mapping = page.getByRole('form', { name: 'Column mapping' });
    await expect.poll(() => mapping.getByLabel('Host', { exact: true }).inputValue()).toBe('CI Name');
    await mapping.getByRole('button', { name: 'Check the file' }).click();
    const problems = page.getByRole('table', { name: /Problems, row by row/ });
    await expect.poll(() => problems.textContent()).toContain('no active asset has the FQDN, host name or IP address "ghost-01"');
    const rows = await problems.locator('tbody tr').allTextContents();
    expect(rows).toEqual(['3CI Nameno active asset has the FQDN, host name or IP address "ghost-01"', '4Versionis empty']);
    expect(await page.getByRole('button', { name: /^Import/ }).count()).toBe(0);
    // A mapping naming nothing for the host column is named too.
    await mapping.getByLabel('Host', { exact: true }).selectOption('');
    await mapping.getByRole('button', { name: 'Check the file' }).click();
    await expect.poll(() => problems.textContent()).toContain('mapping of Host');
    await screenshot(page, 'inventory-csv-import-rejected');
    expect(await api(`/api/assets/${ids['web-01']}/inventory`)).toEqual(before);
    expect(pageErrors).toEqual([]);
  });

  it('an auditor has no link to the import and the page says why', async () => {
    const ctx = await browser.newContext();
    const p = await ctx.newPage();
    await signIn(p, AUDITOR);
    expect(await p.getByRole('navigation', { name: 'Main' }).getByRole('link', { name: 'Inventory import' }).count()).toBe(0);
    await p.goto(`${server.url}/inventory/import`);
    await p.getByRole('heading', { name: 'Import inventory from CSV' }).waitFor();
    expect(await p.getByText('needs the asset:import permission').count()).toBe(1);
    expect(await p.getByLabel('CSV file').count()).toBe(0);
    await ctx.close();
  });
});
