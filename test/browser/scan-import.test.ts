/**
 * The scanner import page in a real browser (issue #5 §1 UI): an analyst
 * chooses a generated Nessus report and sees the summary (assets matched by
 * FQDN, one created for review with a link, findings new, the informational
 * item skipped); a second report dropped on the zone (a synthetic drop
 * event carrying a File) imports too; a broken file is rejected with the
 * position of the problem and changes nothing; past imports link to their
 * summaries; an auditor has no way to import.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { RunningServer } from '../../src/main/server.js';
import { createAsset } from '../../src/services/assets/assets.service.js';
import { createUser } from '../../src/services/users/users.service.js';
import { operator, userWithToken } from '../support/app.js';
import { type NessusHostSpec, nessusXml } from '../support/reports.js';
import { HAVE_CHROMIUM, SKIP_REASON, ensureWebBuilt, launchBrowser, screenshot, startTestServer } from './support.js';

const ANALYST = { username: 'sia.analyst', password: 'a long analyst password' };
const AUDITOR = { username: 'sam.auditor', password: 'a long auditor password' };

const known: NessusHostSpec = {
  name: '10.3.0.10',
  ip: '10.3.0.10',
  fqdn: 'shop-01.corp.example',
  items: [
    { pluginId: 19506, severity: 0, name: 'Nessus Scan Information' },
    { pluginId: 400001, severity: 3, cves: ['CVE-2026-8001'], port: 443, name: 'TLS library flaw' },
    { pluginId: 400002, severity: 2, cves: ['CVE-2026-8002', 'CVE-2026-8003'], port: 80, name: 'HTTP server flaw' },
  ],
};
const stranger: NessusHostSpec = { name: '10.3.0.99', ip: '10.3.0.99', fqdn: 'mystery-07.corp.example', items: [{ pluginId: 400003, severity: 4, cves: ['CVE-2026-8004'], port: 22 }] };
const later: NessusHostSpec = { ...known, items: [...known.items, { pluginId: 400005, severity: 2, cves: ['CVE-2026-8005'], port: 8443 }] };

describe.skipIf(!HAVE_CHROMIUM)(HAVE_CHROMIUM ? 'scanner report import in Chromium' : SKIP_REASON, () => {
  let server: RunningServer & { dataDir: string };
  let browser: Browser;
  let page: Page;
  let apiToken: string;
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'patchloop-scan-ui-'));
  const pageErrors: string[] = [];

  const signIn = async (p: Page, who: { username: string; password: string }) => {
    await p.goto(`${server.url}/`);
    await p.getByLabel('User name').fill(who.username);
    await p.getByLabel('Password').fill(who.password);
    await p.getByRole('button', { name: 'Sign in' }).click();
    await p.getByRole('heading', { name: 'Dashboard' }).waitFor();
  };
  const api = async (url: string, init: RequestInit = {}) => fetch(`${server.url}${url}`, { ...init, headers: { authorization: `Bearer ${apiToken}`, ...init.headers } });
  const importCount = async () => ((await (await api('/api/imports?limit=500')).json()) as unknown[]).length;

  beforeAll(async () => {
    ensureWebBuilt();
    server = await startTestServer();
    const db = server.database.db;
    await createUser(db, operator, { username: ANALYST.username, role: 'security_analyst', password: ANALYST.password });
    await createUser(db, operator, { username: AUDITOR.username, role: 'auditor', password: AUDITOR.password });
    await createAsset(db, operator, { hostname: 'shop-01', fqdn: 'shop-01.corp.example', environment: 'production', systemType: 'web_server', businessCriticality: 'high', networkExposure: 'internet_facing' } as never);
    ({ token: apiToken } = await userWithToken(server.database, 'security_analyst', 'scan-ui-api'));
    fs.writeFileSync(path.join(dir, 'week49.nessus'), nessusXml([known, stranger], 'week 49'));
    fs.writeFileSync(path.join(dir, 'week50.nessus'), nessusXml([later], 'week 50'));
    // Line by line as the generator writes it; the first plugin line gets an unquoted attribute value.
    const lines = nessusXml([known], 'broken').split('\n');
    const bad = lines.findIndex((l) => l.includes('pluginID="400001"'));
    lines[bad] = (lines[bad] as string).replace('pluginID="400001"', 'pluginID=400001');
    fs.writeFileSync(path.join(dir, 'broken.nessus'), lines.join('\n'));
    fs.writeFileSync(path.join(dir, 'broken-line.txt'), String(bad + 1));
    browser = await launchBrowser();
    page = await (await browser.newContext({ viewport: { width: 1366, height: 900 }, locale: 'en-US', timezoneId: 'UTC' })).newPage();
    page.setDefaultTimeout(20_000);
    page.on('pageerror', (e) => pageErrors.push(e.message));
    page.on('dialog', (d) => {
      pageErrors.push(`dialog: ${d.message()}`);
      void d.dismiss();
    });
    await signIn(page, ANALYST);
  }, 180_000);

  afterAll(async () => {
    await browser?.close();
    await server?.stop();
    fs.rmSync(dir, { recursive: true, force: true });
  });

  it('a chosen file is imported and the summary says what it did', async () => {
    await page.getByRole('navigation', { name: 'Main' }).getByRole('link', { name: 'Import scan' }).click();
    await page.getByRole('heading', { name: 'Import a scanner report' }).waitFor();
    expect(await page.getByLabel('Format').inputValue()).toBe('');
    await page.getByLabel('Choose a report file').setInputFiles(path.join(dir, 'week49.nessus'));
    await page.getByRole('heading', { name: 'Import complete' }).waitFor();
    expect(await page.getByRole('status').textContent()).toContain('Import complete: week49.nessus was imported.');

    const [listed] = (await (await api('/api/imports')).json()) as { id: string }[];
    const s = await (await api(`/api/imports/${listed?.id}`)).json();
    expect(s).toMatchObject({ fileName: 'week49.nessus', assets: { reported: 2, matched: 1, created: 1 }, findings: { new: 4 } });
    const assets = page.getByRole('list', { name: 'Assets' });
    expect((await assets.textContent())?.replace(/\s+/g, ' ')).toBe('2 in the report1 matched (1 by fqdn)1 created for review');
    const findings = page.getByRole('list', { name: 'Findings' });
    expect(await findings.textContent()).toBe('4 reported4 new0 seen again0 reopened0 resolved by scan');
    expect(await page.getByRole('list', { name: 'Skipped' }).textContent()).toBe('1 × informational (severity 0)');
    const created = page.getByRole('link', { name: 'mystery-07' });
    expect(await created.getAttribute('href')).toBe(`/assets/${s.assets.createdForReview[0].id}`);
    await screenshot(page, 'scan-import-summary');
    await created.click();
    await page.getByRole('heading', { name: 'mystery-07' }).waitFor();
  });

  it('a file dropped on the zone is imported too', async () => {
    await page.goto(`${server.url}/imports`);
    await page.getByRole('heading', { name: 'Import a scanner report' }).waitFor();
    const content = fs.readFileSync(path.join(dir, 'week50.nessus'), 'utf8');
    const dataTransfer = await page.evaluateHandle((text) => {
      const dt = new DataTransfer();
      dt.items.add(new File([text], 'week50.nessus', { type: 'application/xml' }));
      return dt;
    }, content);
    const zone = page.getByRole('group', { name: 'Scanner report drop zone' });
    await zone.dispatchEvent('dragover', { dataTransfer });
    await zone.dispatchEvent('drop', { dataTransfer });
    await page.getByRole('heading', { name: 'Import complete' }).waitFor();
    // shop-01 again: three findings seen again, one new; mystery-07 was not in this scan.
    expect(await page.getByRole('list', { name: 'Findings' }).textContent()).toBe('4 reported1 new3 seen again0 reopened0 resolved by scan');
    const rows = page.getByRole('table', { name: 'Past scanner imports, newest first' }).locator('tbody tr');
    await expect.poll(() => rows.count()).toBe(2);
    expect(await rows.nth(0).locator('td').nth(1).textContent()).toBe('week50.nessus');
    expect(await rows.nth(1).locator('td').nth(1).textContent()).toBe('week49.nessus');
  });

  it('a broken file is rejected with the position of the problem and nothing is imported', async () => {
    const before = await importCount();
    await page.goto(`${server.url}/imports`);
    await page.getByLabel('Choose a report file').setInputFiles(path.join(dir, 'broken.nessus'));
    const card = page.getByTestId('import-error');
    await card.getByRole('heading', { name: 'The file was rejected: nothing was imported' }).waitFor();
    const line = fs.readFileSync(path.join(dir, 'broken-line.txt'), 'utf8');
    const position = await card.getByText(/^Position:/).textContent();
    expect(position).toMatch(new RegExp(`^Position: line ${line}, column \\d+ \\(`));
    // The page shows the position the API gives for the same bytes (a rejected file changes nothing, so asking again is safe).
    const direct = await api('/api/imports?fileName=broken.nessus', { method: 'POST', headers: { 'content-type': 'application/octet-stream' }, body: fs.readFileSync(path.join(dir, 'broken.nessus')) });
    expect(direct.status).toBe(422);
    const problem = (await direct.json()) as { detail: string; errors: { field: string; message: string }[] };
    const [where, what] = [problem.errors[0]?.field as string, problem.errors[0]?.message as string];
    // The message repeats the position; the page says it once.
    expect(what.startsWith(`${where}: `)).toBe(true);
    expect(position).toBe(`Position: ${where} (${what.slice(where.length + 2)})`);
    expect(await card.getByRole('alert').textContent()).toContain(problem.detail);
    expect(await page.getByRole('status').textContent()).toBe('The file broken.nessus was rejected: nothing was imported.');
    expect(await importCount()).toBe(before);
    await screenshot(page, 'scan-import-rejected');
  });

  it('a format named by hand is used instead of detection', async () => {
    const before = await importCount();
    await page.goto(`${server.url}/imports`);
    await page.getByLabel('Format').selectOption('trivy');
    await page.getByLabel('Choose a report file').setInputFiles(path.join(dir, 'week49.nessus'));
    const card = page.getByTestId('import-error');
    await card.getByRole('heading', { name: 'The file was rejected: nothing was imported' }).waitFor();
    expect(await card.getByRole('alert').textContent()).toMatch(/JSON|Trivy/i);
    expect(await importCount()).toBe(before);
  });

  it('a CSV report is read with the column mapping typed in the page', async () => {
    fs.writeFileSync(path.join(dir, 'cmdb-findings.csv'), 'Server,Flaw,Risk\nshop-01,CVE-2026-8101,High\nshop-01,CVE-2026-8102,Low\n');
    await page.goto(`${server.url}/imports`);
    await page.getByLabel('Format').selectOption('csv');
    // Spaces around the separators are the kind of thing people type.
    await page.getByLabel('CSV column mapping').fill('host = Server, vulnerability=Flaw ,severity=Risk');
    await page.getByLabel('Choose a report file').setInputFiles(path.join(dir, 'cmdb-findings.csv'));
    await page.getByRole('heading', { name: 'Import complete' }).waitFor();
    expect((await page.getByRole('list', { name: 'Assets' }).textContent())?.replace(/\s+/g, ' ')).toBe('1 in the report1 matched (1 by hostname)0 created for review');
    expect(await page.getByRole('list', { name: 'Findings' }).textContent()).toBe('2 reported2 new0 seen again0 reopened0 resolved by scan');
  });

  it('a past import links to its summary', async () => {
    await page.goto(`${server.url}/imports`);
    const first = page.getByRole('table', { name: 'Past scanner imports, newest first' }).locator('tbody tr').nth(2).getByRole('link');
    await first.click();
    await page.getByRole('heading', { name: 'Scanner import: week49.nessus' }).waitFor();
    expect(await page.getByRole('list', { name: 'Findings' }).textContent()).toBe('4 reported4 new0 seen again0 reopened0 resolved by scan');
    expect(pageErrors).toEqual([]);
  });

  it('an auditor has no link and no upload; past imports are listed', async () => {
    const ctx = await browser.newContext();
    const p = await ctx.newPage();
    await signIn(p, AUDITOR);
    expect(await p.getByRole('navigation', { name: 'Main' }).getByRole('link', { name: 'Import scan' }).count()).toBe(0);
    await p.goto(`${server.url}/imports`);
    await p.getByRole('heading', { name: 'Import a scanner report' }).waitFor();
    expect(await p.getByText('needs the asset:import permission').count()).toBe(1);
    expect(await p.getByLabel('Choose a report file').count()).toBe(0);
    await expect.poll(() => p.getByRole('table', { name: 'Past scanner imports, newest first' }).locator('tbody tr').count()).toBe(3);
    await ctx.close();
  });
});
