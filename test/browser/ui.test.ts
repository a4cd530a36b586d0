/**
 * The web UI walked in a real browser (issue 2, section 6): first-visit set-up
 * with the one-time code, sign-in, CSV import (a rejected file first, which
 * must write nothing), editing an asset, finding the change in the audit
 * page, and hostile strings shown literally. Screenshots go to
 * test-results/screenshots/.
 */
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { RunningServer } from '../../src/main/server.js';
import { issueSetupCode } from '../../src/services/auth/auth.service.js';
import { parseDebianTracker } from '../../src/domain/feeds/debian-tracker.js';
import { seedDebianAdvisories } from '../support/advisories.js';
import { HAVE_CHROMIUM, SKIP_REASON, ensureWebBuilt, launchBrowser, screenshot, startTestServer } from './support.js';

if (!HAVE_CHROMIUM) console.warn(SKIP_REASON);

const ADMIN = { username: 'alice.admin', password: 'correct horse battery staple' };
const HOSTILE_SCRIPT = '<script>alert(1)</script><img src=x onerror=alert(2)>';
const HOSTILE_SQL = "'; DROP TABLE assets; --";

const BAD_CSV = [
  'hostname,environment,system_type,business_criticality,network_exposure,department,owner',
  'web-01,production,web_server,high,internet_facing,Retail,alice.admin',
  'db-01,moon,database,critical,internal,Retail,',
  'app-01,staging,Application server,medium,internal,Finance,nobody-here',
].join('\n');

const GOOD_CSV = [
  'hostname,environment,system_type,business_criticality,network_exposure,department,location,owner,tags',
  'web-01,production,web_server,high,internet_facing,Retail,Amsterdam,alice.admin,pci;frontend',
  'db-01,production,database,critical,internal,Retail,Amsterdam,,pci',
  'app-01,staging,Application server,medium,internal,Finance,Frankfurt,alice.admin,',
].join('\n');

describe.skipIf(!HAVE_CHROMIUM)(HAVE_CHROMIUM ? 'web UI in Chromium' : SKIP_REASON, () => {
  let server: RunningServer & { dataDir: string };
  let browser: Browser;
  let context: BrowserContext;
  let page: Page;
  const dialogs: string[] = [];
  let acceptConfirms = false;
  const pageErrors: string[] = [];
  const consoleErrors: string[] = [];
  let assetId = '';

  const url = (p: string) => `${server.url}${p}`;
  const nav = (name: string) => page.getByRole('navigation', { name: 'Main' }).getByRole('link', { name, exact: true });
  const countAssets = async () => {
    const res = await page.request.get(url('/api/assets?lifecycle=all&limit=1'));
    expect(res.ok()).toBe(true);
    return ((await res.json()) as { total: number }).total;
  };

  beforeAll(async () => {
    ensureWebBuilt();
    server = await startTestServer();
    browser = await launchBrowser();
    context = await browser.newContext({ viewport: { width: 1366, height: 768 } });
    page = await context.newPage();
    page.setDefaultTimeout(10_000);
    page.on('dialog', (d) => {
      dialogs.push(`${d.type()}: ${d.message()}`);
      void (d.type() === 'confirm' && acceptConfirms ? d.accept() : d.dismiss());
    });
    page.on('pageerror', (e) => pageErrors.push(e.message));
    // Refused requests (wrong password, invalid CSV) are logged by the browser as "Failed to load resource";
    // anything else, CSP violations above all, is a defect.
    page.on('console', (m) => {
      if (m.type() === 'error' && !m.text().startsWith('Failed to load resource')) consoleErrors.push(m.text());
    });
  }, 120_000);

  afterAll(async () => {
    await browser?.close();
    await server?.stop();
  });

  it('offers first-visit set-up and creates the first administrator with the one-time code', async () => {
    const code = await issueSetupCode(server.database.db);
    expect(code).toBeTruthy();
    await page.goto(url('/'));
    await expect.poll(() => page.getByRole('heading', { name: 'Welcome to patchloop' }).isVisible()).toBe(true);

    // A wrong code is refused at the field.
    await page.getByLabel('Set-up code').fill('WRONG-CODE');
    await page.getByLabel('Administrator user name').fill(ADMIN.username);
    await page.getByLabel('Password', { exact: true }).fill(ADMIN.password);
    await page.getByLabel('Repeat password').fill(ADMIN.password);
    await page.getByRole('button', { name: 'Create administrator' }).click();
    await page.locator('.field-error', { hasText: 'is not valid' }).waitFor();
    await screenshot(page, '01-setup-wrong-code');

    await page.getByLabel('Set-up code').fill(code as string);
    await page.getByLabel('Repeat password').press('Enter'); // forms submit with Enter
    await page.getByRole('heading', { name: 'Dashboard' }).waitFor();
    expect(await page.getByRole('navigation', { name: 'Main' }).textContent()).toMatch(/Dashboard[\s\S]*Assets[\s\S]*Audit[\s\S]*Settings/);
    await screenshot(page, '02-dashboard-empty');
  }, 60_000);

  it('signs out and signs in again', async () => {
    await page.getByRole('button', { name: 'Sign out' }).click();
    await page.getByRole('heading', { name: 'Sign in to patchloop' }).waitFor();
    await page.getByLabel('User name').fill(ADMIN.username);
    await page.getByLabel('Password').fill('not the password');
    await page.getByRole('button', { name: 'Sign in' }).click();
    await page.getByRole('alert').waitFor();
    await screenshot(page, '03-login-failed');
    await page.getByLabel('Password').fill(ADMIN.password);
    await page.getByLabel('Password').press('Enter');
    await page.getByRole('heading', { name: 'Dashboard' }).waitFor();
  }, 60_000);

  it('rejects a CSV with a bad row, showing the row error and writing nothing; then imports a good one', async () => {
    await nav('Assets').click();
    await page.getByRole('link', { name: 'Import CSV' }).click();
    await page.getByRole('heading', { name: 'Import assets from CSV' }).waitFor();

    await page.getByLabel('Choose a CSV file').setInputFiles({ name: 'bad.csv', mimeType: 'text/csv', buffer: Buffer.from(BAD_CSV) });
    const errors = page.locator('table.import-errors');
    await errors.waitFor();
    const envRow = errors.locator('tbody tr', { hasText: 'environment' });
    expect(await envRow.locator('td').first().textContent()).toBe('3');
    expect(await errors.locator('tbody tr', { hasText: 'nobody-here' }).locator('td').nth(1).textContent()).toBe('owner');
    await expect.poll(() => page.getByText('nothing was imported').first().isVisible()).toBe(true);
    await screenshot(page, '04-import-rejected');
    expect(await countAssets()).toBe(0);

    await page.getByRole('button', { name: 'Choose another file' }).first().click();
    await page.getByLabel('Choose a CSV file').setInputFiles({ name: 'good.csv', mimeType: 'text/csv', buffer: Buffer.from(GOOD_CSV) });
    await page.getByRole('heading', { name: /Check passed/ }).waitFor();
    expect(await page.locator('.preview tbody tr').count()).toBe(3); // preview of the file's rows
    await screenshot(page, '05-import-dry-run');
    expect(await countAssets()).toBe(0); // the dry run wrote nothing either
    await page.getByRole('button', { name: 'Import 3 rows' }).click();
    await page.getByRole('heading', { name: 'Import complete' }).waitFor();
    expect(await countAssets()).toBe(3);
    await screenshot(page, '06-import-done');
  }, 60_000);

  it('lists, filters and flags unowned assets', async () => {
    await page.getByRole('link', { name: 'View assets' }).click();
    await page.getByText('3 assets').waitFor();
    const dbRow = page.locator('table.data tbody tr', { hasText: 'db-01' });
    expect(await dbRow.textContent()).toContain('Unowned');
    await page.getByLabel('Environment').selectOption('staging');
    await page.getByText('1 asset', { exact: true }).waitFor();
    expect(new URL(page.url()).searchParams.get('environment')).toBe('staging');
    expect(await page.getByRole('link', { name: 'Export CSV' }).getAttribute('href')).toContain('environment=staging');
    await page.getByRole('button', { name: 'Clear filters' }).click();
    await page.getByText('3 assets').waitFor();
    await page.getByRole('button', { name: 'Host name' }).click(); // sort descending
    await expect.poll(async () => ((await page.locator('table.data tbody tr').first().textContent()) ?? '').startsWith('web-01')).toBe(true);
    await screenshot(page, '07-asset-list');
  }, 60_000);

  it('edits an asset in the form, showing validation errors at the field and the change in its history', async () => {
    await page.getByRole('link', { name: 'app-01' }).click();
    await page.getByRole('heading', { name: /app-01/ }).waitFor();
    assetId = new URL(page.url()).pathname.split('/').pop() ?? '';
    await page.getByRole('link', { name: 'Edit' }).click();
    await page.getByRole('heading', { name: 'Edit app-01' }).waitFor();

    await page.getByLabel('Host name').fill('not a host name!');
    await page.getByRole('button', { name: 'Save changes' }).click();
    const hostField = page.locator('.field', { has: page.getByLabel('Host name') });
    await hostField.locator('.field-error').waitFor();
    expect(await page.getByLabel('Host name').getAttribute('aria-invalid')).toBe('true');
    await screenshot(page, '08-edit-validation');

    await page.getByLabel('Host name').fill('app-01');
    await page.getByLabel('Department').fill('Treasury');
    await page.getByLabel('Business criticality').selectOption({ label: 'Critical' });
    await page.getByRole('button', { name: 'Save changes' }).click();
    await page.getByRole('heading', { name: /app-01/ }).waitFor();
    expect(await page.locator('dl.props').nth(1).textContent()).toContain('Treasury');
    const history = page.locator('table.history tbody tr', { hasText: 'asset.update' });
    await history.first().waitFor();
    expect(await history.first().textContent()).toMatch(/Finance[\s\S]*→[\s\S]*Treasury/);
    expect(await history.first().textContent()).toContain(ADMIN.username);
    await screenshot(page, '09-asset-detail');
  }, 60_000);

  it('finds the change in the audit page, by actor and asset', async () => {
    await nav('Audit').click();
    await page.getByRole('heading', { name: 'Audit trail' }).waitFor();
    await page.getByLabel('Actor').fill(ADMIN.username);
    await page.getByLabel('Entity type').selectOption('asset');
    await page.getByLabel('Entity id').fill(assetId);
    await page.getByLabel('Entity id').press('Enter');
    await expect.poll(() => new URL(page.url()).searchParams.get('entityId')).toBe(assetId);
    const row = page.locator('table.audit > tbody > tr', { hasText: 'asset.update' });
    await row.first().waitFor();
    const text = await row.first().textContent();
    expect(text).toContain(ADMIN.username);
    expect(text).toContain('app-01');
    await row.first().locator('summary').click();
    expect(await row.first().locator('table.diff').textContent()).toMatch(/Finance[\s\S]*Treasury/);
    // Only this asset's records are listed.
    for (const t of await page.locator('table.audit > tbody > tr').allTextContents()) expect(t).toContain('app-01');

    await page.getByRole('button', { name: 'Verify chain' }).click();
    await page.getByText(/Chain intact/).waitFor();
    await screenshot(page, '10-audit');
  }, 60_000);

  it('shows hostile strings literally and never runs them', async () => {
    await page.goto(url('/assets/new'));
    await page.getByRole('heading', { name: 'New asset' }).waitFor();
    await page.getByLabel('Host name').fill('evil-01');
    await page.getByLabel('Department').fill(HOSTILE_SQL);
    await page.getByLabel('Description').fill(HOSTILE_SCRIPT);
    await page.getByLabel('Tags').fill('<b>bold</b>');
    await page.getByRole('button', { name: 'Create asset' }).click();
    await page.getByRole('heading', { name: /evil-01/ }).waitFor();
    expect(await page.locator('p.pre').first().textContent()).toBe(HOSTILE_SCRIPT);
    expect(await page.locator('dl.props').nth(1).textContent()).toContain(HOSTILE_SQL);
    expect(await page.locator('.tag').first().textContent()).toBe('<b>bold</b>');
    expect(await page.locator('main img, main b').count()).toBe(0);
    await screenshot(page, '11-hostile-detail');

    await nav('Assets').click();
    const row = page.locator('table.data tbody tr', { hasText: 'evil-01' });
    await row.waitFor();
    expect(await row.textContent()).toContain(HOSTILE_SQL);
    expect(await countAssets()).toBe(4); // the SQL did nothing either
    expect(dialogs).toEqual([]);
  }, 60_000);

  it('creates an API token, shows its secret once, and revokes it', async () => {
    await nav('Settings').click();
    await page.getByRole('link', { name: 'API tokens' }).click();
    await page.getByLabel('Token name').fill('CMDB sync');
    await page.getByRole('button', { name: 'Create token' }).click();
    const secret = await page.getByLabel('New token secret').inputValue();
    expect(secret).toMatch(/^plt_/);
    await screenshot(page, '12-token-created');
    const res = await fetch(url('/api/assets?limit=1'), { headers: { authorization: `Bearer ${secret}` } });
    expect(res.status).toBe(200);
    await page.getByRole('button', { name: 'Done' }).click();
    expect(await page.getByLabel('New token secret').count()).toBe(0);
    acceptConfirms = true;
    await page.getByRole('button', { name: 'Revoke CMDB sync' }).click();
    expect(dialogs.pop()).toMatch(/^confirm: Revoke the token "CMDB sync"/);
    await page.locator('table.data tbody tr', { hasText: 'CMDB sync' }).getByText('Revoked').waitFor();
    const after = await fetch(url('/api/assets?limit=1'), { headers: { authorization: `Bearer ${secret}` } });
    expect(after.status).toBe(401);
  }, 60_000);

  it('refuses a stale edit (If-Match) and decommissions and reactivates with a reason', async () => {
    await page.goto(url(`/assets/${assetId}/edit`));
    await page.getByRole('heading', { name: 'Edit app-01' }).waitFor();
    // Someone else changes the asset after the form was loaded.
    const me = (await (await page.request.get(url('/api/auth/me'))).json()) as { csrfToken: string };
    const other = await page.request.patch(url(`/api/assets/${assetId}`), { headers: { 'x-csrf-token': me.csrfToken }, data: { location: 'Paris' } });
    expect(other.status()).toBe(200);
    await page.getByLabel('Department').fill('Legal');
    await page.getByRole('button', { name: 'Save changes' }).click();
    await page.getByRole('alert').filter({ hasText: 'changed by someone else' }).waitFor();
    await screenshot(page, '15-edit-conflict');
    await page.getByRole('button', { name: 'Reload the current version' }).click();
    await expect.poll(() => page.getByLabel('Location').inputValue()).toBe('Paris');

    await page.getByRole('link', { name: 'Cancel' }).click();
    await page.getByRole('button', { name: 'Decommission…' }).click();
    await page.getByLabel(/Reason to decommission/).fill('replaced by app-02');
    await page.getByLabel(/Reason to decommission/).press('Enter');
    await page.locator('h1 .badge', { hasText: 'Decommissioned' }).waitFor();
    await page.locator('table.history tbody tr', { hasText: 'replaced by app-02' }).first().waitFor();
    await page.getByRole('button', { name: 'Reactivate…' }).click();
    await page.getByRole('button', { name: 'Reactivate', exact: true }).click();
    await page.getByRole('button', { name: 'Decommission…' }).waitFor();
  }, 60_000);

  it('manages users, roles and teams, and shows an auditor a read-only UI', async () => {
    await nav('Settings').click();
    await page.getByRole('link', { name: 'Users' }).click();
    await page.getByRole('button', { name: 'New user' }).click();
    expect(await page.evaluate(() => document.activeElement?.id)).toBe(await page.getByLabel('User name').getAttribute('id'));
    await page.getByLabel('User name').fill('olga.auditor');
    await page.getByLabel('Display name').fill('Olga <i>Auditor</i>');
    await page.getByLabel('Role').selectOption('system_owner');
    await page.getByLabel('Initial password').fill('another long password');
    await page.getByRole('button', { name: 'Create user' }).click();
    const row = page.locator('table.data tbody tr', { hasText: 'olga.auditor' });
    await row.waitFor();
    expect(await row.textContent()).toContain('Olga <i>Auditor</i>');
    await page.getByLabel('Role of olga.auditor').selectOption('auditor');
    await row.getByRole('button', { name: 'Save role' }).click();
    await row.getByRole('button', { name: 'Save role' }).waitFor({ state: 'detached' });
    await screenshot(page, '16-users');

    await page.getByRole('link', { name: 'Teams' }).click();
    await page.getByRole('button', { name: 'New team' }).click();
    await page.getByLabel('Team name').fill('Retail Platform');
    await page.getByRole('checkbox', { name: /olga\.auditor/ }).check();
    await page.getByRole('button', { name: 'Create team' }).click();
    const team = page.locator('table.data tbody tr', { hasText: 'Retail Platform' });
    await team.waitFor();
    expect(await team.textContent()).toContain('Olga <i>Auditor</i>');
    await team.getByRole('button', { name: 'Edit Retail Platform' }).click();
    await page.getByRole('checkbox', { name: /alice\.admin/ }).check();
    await page.getByRole('button', { name: 'Save team' }).click();
    await expect.poll(async () => (await team.textContent()) ?? '').toContain('alice.admin');
    await screenshot(page, '17-teams');

    // The auditor signs in elsewhere and gets no way to change anything.
    const other = await browser.newContext({ viewport: { width: 1366, height: 768 } });
    const p2 = await other.newPage();
    p2.setDefaultTimeout(10_000);
    p2.on('pageerror', (e) => pageErrors.push(`auditor page: ${e.message}`));
    p2.on('console', (m) => {
      if (m.type() === 'error' && !m.text().startsWith('Failed to load resource')) consoleErrors.push(`auditor page: ${m.text()}`);
    });
    await p2.goto(url('/login?error=%3Cscript%3Ealert(3)%3C%2Fscript%3E'));
    expect(await p2.getByRole('alert').textContent()).toContain('<script>alert(3)</script>');
    await p2.getByLabel('User name').fill('olga.auditor');
    await p2.getByLabel('Password').fill('another long password');
    await p2.getByRole('button', { name: 'Sign in' }).click();
    await p2.getByRole('heading', { name: 'Dashboard' }).waitFor();
    await p2.goto(url(`/assets/${assetId}`));
    await p2.getByRole('heading', { name: /app-01/ }).waitFor();
    expect(await p2.getByRole('link', { name: 'Edit' }).count()).toBe(0);
    expect(await p2.getByRole('button', { name: /Decommission/ }).count()).toBe(0);
    await p2.goto(url('/assets'));
    await p2.getByRole('heading', { name: 'Assets' }).waitFor();
    expect(await p2.getByRole('link', { name: 'New asset' }).count()).toBe(0);
    await p2.goto(url('/settings'));
    await p2.getByRole('heading', { name: 'Users' }).waitFor();
    expect(await p2.getByRole('button', { name: 'New user' }).count()).toBe(0);
    expect(await p2.getByRole('link', { name: 'API tokens' }).count()).toBe(0);
    await screenshot(p2, '18-auditor-settings');
    await other.close();

    // Disabling ends the account's access.
    await page.getByRole('link', { name: 'Users' }).click();
    await page.getByRole('button', { name: 'Disable olga.auditor' }).click();
    await page.locator('table.data tbody tr', { hasText: 'olga.auditor' }).getByText('Disabled').waitFor();
  }, 90_000);

  it('is keyboard-usable: skip link first, then the main navigation', async () => {
    await page.goto(url('/assets'));
    await page.getByRole('heading', { name: 'Assets' }).waitFor();
    await page.keyboard.press('Tab');
    expect(await page.evaluate(() => document.activeElement?.textContent)).toBe('Skip to content');
    await page.keyboard.press('Tab');
    await page.keyboard.press('Tab');
    expect(await page.evaluate(() => document.activeElement?.textContent)).toBe('Dashboard');
    await page.keyboard.press('Enter');
    await page.getByRole('heading', { name: 'Dashboard' }).waitFor();
    expect(new URL(page.url()).pathname).toBe('/');
  }, 60_000);

  it('shows a populated register: dashboard figures and cursor pagination', async () => {
    const me = (await (await page.request.get(url('/api/auth/me'))).json()) as { csrfToken: string };
    const demo = await page.request.post(url('/api/system/demo'), { headers: { 'x-csrf-token': me.csrfToken } });
    expect(demo.status()).toBe(201);
    const total = ((await (await page.request.get(url('/api/assets?limit=1'))).json()) as { total: number }).total;
    const unowned = ((await (await page.request.get(url('/api/assets?limit=1&unowned=true'))).json()) as { total: number }).total;

    await page.goto(url('/'));
    const active = page.locator('.stat', { hasText: 'Active assets' }).locator('.stat-value');
    await active.waitFor();
    expect(await active.textContent()).toBe(String(total));
    expect(await page.locator('.stat', { hasText: 'Unowned assets' }).locator('.stat-value').textContent()).toBe(String(unowned));
    await screenshot(page, '13-dashboard-demo');

    await nav('Assets').click();
    await page.getByText(`${total} assets`).waitFor();
    const rows = page.locator('table.data > tbody > tr');
    expect(await rows.count()).toBe(50);
    await page.getByRole('button', { name: /Load more/ }).click();
    await expect.poll(() => rows.count()).toBe(100);
    const names = await rows.locator('td:first-child a').allTextContents();
    expect(new Set(names).size).toBe(100); // the second page continues, no repeats
    await page.getByLabel('Ownership').selectOption('true');
    await page.getByText(unowned === 1 ? '1 asset' : `${unowned} assets`, { exact: true }).waitFor();
    expect(await page.locator('table.data > tbody > tr .badge-warn').count()).toBe(unowned);
    await screenshot(page, '14-asset-list-demo');
  }, 90_000);

  it('walks the vulnerability register: list, detail, finding and its history, asset software, re-evaluation', async () => {
    // Advisories as the feed importers store them; the inventory through the API, as an agent or the CLI would.
    const db = server.database.db;
    await seedDebianAdvisories(db, parseDebianTracker({ openssl: { 'CVE-2026-2001': { releases: { bookworm: { status: 'resolved', fixed_version: '3.0.15-1~deb12u1', urgency: 'high' } } } } }));
    await db
      .updateTable('vulnerabilities')
      .set({
        description: HOSTILE_SCRIPT,
        cvss_score: 9.8,
        cvss_version: '3.1',
        severity: 'critical',
        cvss: JSON.stringify([{ source: 'nvd@nist.gov', version: '3.1', vector: 'CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H', score: 9.8 }]),
        epss_score: 0.9712,
        epss_percentile: 0.9991,
        epss_date: '2026-11-22',
        kev_date_added: '2026-01-10',
        kev_due_date: '2026-01-31',
        kev_ransomware: true,
        refs: JSON.stringify(['https://www.openssl.org/news/secadv/20260110.txt', 'javascript:alert(3)']),
      })
      .where('id', '=', 'CVE-2026-2001')
      .execute();
    await db.insertInto('vulnerability_aliases').values({ alias: 'GHSA-abcd-efgh-ijkl', vulnerability_id: 'CVE-2026-2001' }).execute();
    const web01 = ((await (await page.request.get(url('/api/assets?q=web-01&limit=1'))).json()) as { items: { id: string }[] }).items[0]?.id as string;
    const me = (await (await page.request.get(url('/api/auth/me'))).json()) as { csrfToken: string };
    const putInventory = async (ssl: string) => {
      const r = await page.request.put(url(`/api/assets/${web01}/inventory`), {
        headers: { 'x-csrf-token': me.csrfToken },
        data: {
          ecosystem: 'deb', distro: 'debian', release: 'bookworm', source: 'browser-test',
          packages: [
            { name: 'libssl3', version: ssl, arch: 'amd64', sourceName: 'openssl' },
            { name: 'bash', version: '5.2.15-2+b7', arch: 'amd64', sourceName: 'bash', sourceVersion: '5.2.15-2' },
            { name: 'coreutils', version: '9.1-1', arch: 'amd64' },
          ],
        },
      });
      expect(r.status(), await r.text()).toBe(200);
    };
    await putInventory('3.0.14-1~deb12u2');

    // The register lists the CVE with KEV, CVSS, EPSS and the affected asset count.
    await nav('Vulnerabilities').click();
    await page.getByRole('heading', { name: 'Vulnerabilities' }).waitFor();
    const row = page.locator('table.data tbody tr', { hasText: 'CVE-2026-2001' });
    await row.waitFor();
    const cells = await row.locator('td').allTextContents();
    expect(cells[0]).toContain('GHSA-abcd-efgh-ijkl');
    expect(cells[1]).toContain('KEV');
    expect(cells[2]).toContain('9.8');
    expect(cells[2]).toContain('Critical');
    expect(cells[3]).toContain('97.12%');
    expect(cells.slice(4, 7)).toEqual(['1', '1', '1']);
    expect(cells[7]).toBe(HOSTILE_SCRIPT);
    await page.getByLabel('Known exploited (KEV)').selectOption('true');
    await page.waitForURL(/kev=true/);
    await row.waitFor();
    await page.getByRole('button', { name: 'CVSS' }).click();
    await page.waitForURL(/sort=cvss/);
    await row.waitFor();
    await screenshot(page, '19-vulnerabilities');

    // The detail: description literally, scores, the affected asset with installed and fixed versions.
    await row.getByRole('link', { name: 'CVE-2026-2001' }).click();
    await page.getByRole('heading', { name: /CVE-2026-2001/ }).waitFor();
    expect(await page.locator('p.pre').first().textContent()).toBe(HOSTILE_SCRIPT);
    await page.getByText('Listed since 2026-01-10').waitFor();
    const affected = page.locator('.card', { has: page.getByRole('heading', { name: /Affected assets/ }) }).locator('tbody tr');
    expect(await affected.count()).toBe(1);
    const affectedText = await affected.first().textContent();
    for (const s of ['web-01', 'libssl3', '3.0.14-1~deb12u2', '3.0.15-1~deb12u1']) expect(affectedText).toContain(s);
    expect(await page.getByRole('link', { name: 'https://www.openssl.org/news/secadv/20260110.txt' }).count()).toBe(1);
    expect(await page.locator('a[href^="javascript:"]').count()).toBe(0);
    await page.getByText('javascript:alert(3)').waitFor();
    expect(await page.locator('main img').count()).toBe(0);
    await screenshot(page, '20-vulnerability-detail');

    // An alias opens the same page.
    await page.goto(url('/vulnerabilities/GHSA-abcd-efgh-ijkl'));
    await page.getByRole('heading', { name: /CVE-2026-2001/ }).waitFor();

    // The finding and its history.
    await page.getByRole('link', { name: 'Finding for libssl3 on web-01' }).click();
    await page.getByRole('heading', { name: /CVE-2026-2001 in libssl3 on web-01/ }).waitFor();
    const history = page.locator('table.history tbody tr');
    expect(await history.count()).toBe(1);
    expect(await history.first().textContent()).toContain('detected');
    await screenshot(page, '21-finding-detail');

    // The asset shows its installed software (searchable) and its findings.
    await page.getByRole('link', { name: 'web-01' }).first().click();
    await page.getByRole('heading', { name: 'Installed software' }).waitFor();
    await page.getByText('3 packages', { exact: true }).waitFor();
    await page.getByLabel('Search installed packages').fill('ssl');
    await page.getByText('1 of 3 packages match').waitFor();
    const findingsCard = page.locator('.card', { has: page.getByRole('heading', { name: 'Findings', exact: true }) });
    expect(await findingsCard.locator('tbody tr').first().textContent()).toContain('CVE-2026-2001');
    await screenshot(page, '22-asset-software-findings');

    // Re-evaluate all: a background run with a progress bar.
    await nav('Vulnerabilities').click();
    await page.getByRole('button', { name: 'Re-evaluate all' }).click();
    await page.locator('.run-status progress').waitFor();
    await page.getByText(/^Done/).waitFor({ timeout: 30_000 });
    await screenshot(page, '23-reevaluate-done');

    // The fixed version arrives: the finding resolves, with the reason in its history.
    await putInventory('3.0.15-1~deb12u1');
    await nav('Findings').click();
    await page.getByRole('heading', { name: 'Findings' }).waitFor();
    await page.getByLabel('Status').selectOption('resolved');
    const resolved = page.locator('table.data tbody tr', { hasText: 'CVE-2026-2001' });
    await resolved.waitFor();
    expect(await resolved.textContent()).toContain('Resolved');
    await resolved.getByRole('link', { name: /^Finding CVE-2026-2001/ }).click();
    await page.getByRole('heading', { name: /CVE-2026-2001 in libssl3 on web-01/ }).waitFor();
    await expect.poll(() => history.count()).toBe(2);
    expect(await history.nth(1).textContent()).toContain('fixed version installed');
    await screenshot(page, '24-finding-history');

    // No longer affecting the fleet: gone from the default register, still under "All known".
    await nav('Vulnerabilities').click();
    await page.getByText(/No vulnerability with open findings/).waitFor();
    await page.getByLabel('Show').selectOption('all');
    await page.locator('table.data tbody tr', { hasText: 'CVE-2026-2001' }).waitFor();
  }, 120_000);

  it('has no script errors or CSP violations on the way', () => {
    expect(pageErrors).toEqual([]);
    expect(consoleErrors).toEqual([]);
  });
});
