/**
 * The findings register in a real browser (issue #5 §6): an analyst filters
 * the list, groups it by vulnerability, saves the filters as a view, opens a
 * finding and sees its evidence and history, and marks a selected finding
 * false positive with the bulk action; an auditor sees the shared view but
 * no validation buttons.
 */
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { RunningServer } from '../../src/main/server.js';
import { createAsset } from '../../src/services/assets/assets.service.js';
import { importReport } from '../../src/services/scan-import/import.service.js';
import { createUser } from '../../src/services/users/users.service.js';
import { operator } from '../support/app.js';
import { nessusXml } from '../support/reports.js';
import { HAVE_CHROMIUM, SKIP_REASON, ensureWebBuilt, launchBrowser, screenshot, startTestServer } from './support.js';

const ANALYST = { username: 'rita.analyst', password: 'a long analyst password' };
const AUDITOR = { username: 'ada.auditor', password: 'a long auditor password' };

describe.skipIf(!HAVE_CHROMIUM)(HAVE_CHROMIUM ? 'findings register in Chromium' : SKIP_REASON, () => {
  let server: RunningServer & { dataDir: string };
  let browser: Browser;
  let page: Page;
  const pageErrors: string[] = [];

  const signIn = async (p: Page, who: { username: string; password: string }) => {
    await p.goto(`${server.url}/`);
    await p.getByLabel('User name').fill(who.username);
    await p.getByLabel('Password').fill(who.password);
    await p.getByRole('button', { name: 'Sign in' }).click();
    await p.getByRole('heading', { name: 'Dashboard' }).waitFor();
  };
  const listText = () => page.getByRole('table', { name: 'Findings' }).textContent();

  beforeAll(async () => {
    ensureWebBuilt();
    server = await startTestServer();
    const db = server.database.db;
    await createUser(db, operator, { username: ANALYST.username, role: 'security_analyst', password: ANALYST.password });
    await createUser(db, operator, { username: AUDITOR.username, role: 'auditor', password: AUDITOR.password });
    const base = { systemType: 'web_server', businessCriticality: 'high', networkExposure: 'internal' } as const;
    await createAsset(db, operator, { ...base, hostname: 'shop-01', fqdn: 'shop-01.example.com', environment: 'production' } as never);
    await createAsset(db, operator, { ...base, hostname: 'lab-01', fqdn: 'lab-01.example.com', environment: 'test' } as never);
    const report = nessusXml([
      {
        name: '10.0.0.1', ip: '10.0.0.1', fqdn: 'shop-01.example.com',
        items: [
          { pluginId: 70001, severity: 4, cves: ['CVE-2026-7001'], port: 443, name: 'Remote code execution in the shop', output: 'Server: vulnerable/1.0' },
          { pluginId: 70002, severity: 2, cves: ['CVE-2026-7002'], port: 22, name: 'Weak SSH ciphers' },
        ],
      },
      { name: '10.0.0.2', ip: '10.0.0.2', fqdn: 'lab-01.example.com', items: [{ pluginId: 70001, severity: 4, cves: ['CVE-2026-7001'], port: 443, name: 'Remote code execution in the shop' }] },
    ]);
    await importReport(db, operator, { input: (async function* () { yield Buffer.from(report); })(), fileName: 'weekly.nessus' });
    browser = await launchBrowser();
    page = await (await browser.newContext({ viewport: { width: 1400, height: 900 }, locale: 'en-US', timezoneId: 'UTC' })).newPage();
    page.setDefaultTimeout(15_000);
    page.on('pageerror', (e) => pageErrors.push(e.message));
    await signIn(page, ANALYST);
  }, 120_000);

  afterAll(async () => {
    await browser?.close();
    await server?.stop();
  });

  it('filters the list by severity and environment', async () => {
    await page.goto(`${server.url}/findings`);
    await expect.poll(listText).toContain('CVE-2026-7002');
    const filters = page.getByRole('form', { name: 'Filter findings' });
    await filters.getByRole('checkbox', { name: 'Critical' }).check();
    await expect.poll(listText).not.toContain('CVE-2026-7002');
    expect(await listText()).toContain('CVE-2026-7001');
    await filters.getByLabel('Environment').selectOption('production');
    await expect.poll(listText).not.toContain('lab-01');
    expect(await listText()).toContain('shop-01');
    expect(page.url()).toContain('severity=critical');
    expect(page.url()).toContain('environment=production');
  });

  it('groups by vulnerability with counts, then back to the list', async () => {
    await page.goto(`${server.url}/findings`);
    await page.getByLabel('Group by').selectOption('vulnerability');
    const groups = page.getByRole('table', { name: 'Findings grouped by vulnerability' });
    await expect.poll(() => groups.locator('tbody tr').count()).toBe(2);
    const first = groups.locator('tbody tr').first();
    // CVE-2026-7001 (critical) on two assets comes first.
    expect((await first.locator('td').allTextContents()).map((t) => t.trim())).toEqual([expect.stringContaining('CVE-2026-7001'), 'Critical', '2', '2', '2']);
    await screenshot(page, 'findings-groups');
    await groups.getByRole('link', { name: 'CVE-2026-7001' }).click();
    await expect.poll(listText).toContain('lab-01');
    expect(page.url()).toContain('vulnerabilityId=CVE-2026-7001');
  });

  it('saves the current filters as a shared view, and an auditor can pick it', async () => {
    await page.goto(`${server.url}/findings?severity=critical`);
    await page.getByRole('button', { name: 'Save view…' }).click();
    const form = page.getByRole('form', { name: 'Save the current filters as a view' });
    await form.getByLabel('View name').fill('Critical open');
    await form.getByRole('checkbox', { name: 'Share with everyone' }).check();
    await form.getByRole('button', { name: 'Save' }).click();
    await expect.poll(() => page.getByRole('status').first().textContent()).toContain('Saved view "Critical open", shared with everyone');

    const ctx = await browser.newContext({ viewport: { width: 1400, height: 900 } });
    const p = await ctx.newPage();
    await signIn(p, AUDITOR);
    await p.goto(`${server.url}/findings`);
    const picker = p.getByLabel('Saved view');
    await expect.poll(() => picker.locator('option').allTextContents()).toContain('Critical open (shared by rita.analyst)');
    await picker.selectOption({ label: 'Critical open (shared by rita.analyst)' });
    await expect.poll(() => p.url()).toContain('severity=critical');
    await expect.poll(() => p.getByRole('table', { name: 'Findings' }).textContent()).not.toContain('CVE-2026-7002');
    // Read-only: selecting a row offers the export, not validation.
    await p.getByRole('checkbox', { name: /^Select CVE-2026-7001 on shop-01/ }).check();
    const bulk = p.getByRole('region', { name: 'Bulk actions' });
    await expect.poll(() => bulk.getByRole('link', { name: 'Export selection (CSV)' }).count()).toBe(1);
    expect(await bulk.getByRole('button', { name: 'Mark false positive…' }).count()).toBe(0);
    await ctx.close();
  });

  it('opens a finding and shows its evidence and history', async () => {
    await page.goto(`${server.url}/findings?vulnerabilityId=CVE-2026-7001`);
    await page.getByRole('link', { name: /^Finding CVE-2026-7001 on shop-01/ }).click();
    await page.getByRole('heading', { name: /CVE-2026-7001 on shop-01/ }).waitFor();
    const evidence = page.getByRole('table', { name: 'Evidence' });
    await expect.poll(() => evidence.textContent()).toContain('70001/443/tcp');
    expect(await evidence.textContent()).toContain('Remote code execution in the shop');
    expect(await evidence.textContent()).toContain('weekly.nessus');
    const history = page.getByRole('table', { name: 'History' });
    expect(await history.textContent()).toContain('Detected');
    expect(await history.textContent()).toContain('Evidence reported');
    await screenshot(page, 'finding-detail');
  });

  it('marks a selected finding false positive with the bulk action', async () => {
    await page.goto(`${server.url}/findings?vulnerabilityId=CVE-2026-7002`);
    await page.getByRole('checkbox', { name: /^Select CVE-2026-7002 on shop-01/ }).check();
    const bulk = page.getByRole('region', { name: 'Bulk actions' });
    await bulk.getByRole('button', { name: 'Mark false positive…' }).click();
    await screenshot(page, 'findings-bulk');
    const form = page.getByRole('form', { name: 'Mark the selected findings false positive' });
    await form.getByLabel('Reason').fill('Only the management VLAN reaches port 22');
    await form.getByRole('button', { name: 'Mark 1 finding' }).click();
    await expect.poll(() => page.getByRole('status').first().textContent()).toContain('Marked 1 finding false positive.');
    // Open findings only (the default): it is gone from the list.
    await expect.poll(listText).toContain('No findings match.');
    const api = await page.request.get(`${server.url}/api/findings?vulnerabilityId=CVE-2026-7002`);
    expect(((await api.json()).items as { status: string }[]).map((f) => f.status)).toEqual(['false_positive']);
    expect(pageErrors).toEqual([]);
  });
});
