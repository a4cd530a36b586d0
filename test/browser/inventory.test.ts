/**
 * Installed software through the asset page in a real browser: a system
 * owner uploads the host's dpkg status file, then an application's
 * CycloneDX SBOM; each is matched (against OSV records imported first) and
 * the page shows the packages and findings; a broken SBOM is refused with
 * the place named and nothing changes; an auditor sees no upload form.
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

const OWNER = { username: 'sam.owner', password: 'a long owner password' };
const AUDITOR = { username: 'ada.auditor', password: 'a long auditor password' };

describe.skipIf(!HAVE_CHROMIUM)(HAVE_CHROMIUM ? 'inventory upload in Chromium' : SKIP_REASON, () => {
  let server: RunningServer & { dataDir: string };
  let browser: Browser;
  let page: Page;
  let assetId = '';
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'patchloop-inv-ui-'));
  const pageErrors: string[] = [];

  const signIn = async (p: Page, who: { username: string; password: string }) => {
    await p.goto(`${server.url}/`);
    await p.getByLabel('User name').fill(who.username);
    await p.getByLabel('Password').fill(who.password);
    await p.getByRole('button', { name: 'Sign in' }).click();
    await p.getByRole('heading', { name: 'Dashboard' }).waitFor();
  };
  const upload = async (type: string, file: string, release?: string) => {
    const form = page.getByRole('form', { name: 'Upload an inventory file' });
    await form.getByLabel('File type').selectOption(type);
    if (release !== undefined) await form.getByLabel('Release').fill(release);
    await form.getByLabel('File', { exact: true }).setInputFiles(file);
    await form.getByRole('button', { name: 'Upload and match' }).click();
  };

  beforeAll(async () => {
    ensureWebBuilt();
    server = await startTestServer();
    const db = server.database.db;
    const owner = await createUser(db, operator, { username: OWNER.username, role: 'system_owner', password: OWNER.password });
    await createUser(db, operator, { username: AUDITOR.username, role: 'auditor', password: AUDITOR.password });
    const asset = await createAsset(db, operator, { hostname: 'shop-01', environment: 'production', systemType: 'web_server', businessCriticality: 'high', networkExposure: 'internet_facing', ownerUserId: owner.id } as never);
    assetId = asset.id;
    const rec = (id: string, alias: string, ecosystem: string, name: string, fixed: string) => ({
      id, modified: '2026-10-01T00:00:00Z', aliases: [alias], affected: [{ package: { ecosystem, name }, ranges: [{ type: 'ECOSYSTEM', events: [{ introduced: '0' }, { fixed }] }] }],
    });
    await importFeed(db, operator, 'osv', JSON.stringify([rec('DEBIAN-CVE-2026-9001', 'CVE-2026-9001', 'Debian:12', 'curl', '7.88.1-10+deb12u9'), rec('GHSA-ui-9002', 'CVE-2026-9002', 'npm', 'lodash', '4.17.21')]), { source: 'test' });
    fs.writeFileSync(path.join(dir, 'status'), 'Package: curl\nStatus: install ok installed\nArchitecture: amd64\nVersion: 7.88.1-10+deb12u8\n\nPackage: bash\nStatus: install ok installed\nArchitecture: amd64\nVersion: 5.2.15-2+b2\nSource: bash (5.2.15-2)\n');
    fs.writeFileSync(path.join(dir, 'app.cdx.json'), JSON.stringify({ bomFormat: 'CycloneDX', specVersion: '1.5', components: [{ name: 'lodash', purl: 'pkg:npm/lodash@4.17.20' }] }));
    fs.writeFileSync(path.join(dir, 'broken.cdx.json'), JSON.stringify({ bomFormat: 'CycloneDX', components: [{ name: 'x', purl: '<script>alert(1)</script>' }] }));
    browser = await launchBrowser();
    page = await (await browser.newContext({ viewport: { width: 1366, height: 900 }, locale: 'en-US', timezoneId: 'UTC' })).newPage();
    page.setDefaultTimeout(15_000);
    page.on('pageerror', (e) => pageErrors.push(e.message));
    page.on('dialog', (d) => {
      pageErrors.push(`dialog: ${d.message()}`);
      void d.dismiss();
    });
    await signIn(page, OWNER);
  }, 120_000);

  afterAll(async () => {
    await browser?.close();
    await server?.stop();
    fs.rmSync(dir, { recursive: true, force: true });
  });

  it('a dpkg status file, then an SBOM: packages listed, findings opened', async () => {
    await page.goto(`${server.url}/assets/${assetId}`);
    await page.getByRole('heading', { name: 'Installed software' }).waitFor();
    await upload('dpkg-status', path.join(dir, 'status'), 'bookworm');
    await expect.poll(() => page.getByRole('status').textContent()).toContain('Stored 2 packages (2 added, 0 removed); findings: 1 opened');
    await upload('cyclonedx', path.join(dir, 'app.cdx.json'));
    await expect.poll(() => page.getByRole('status').textContent()).toContain('Stored 3 packages (1 added, 0 removed); findings: 1 opened');
    await expect.poll(() => page.getByRole('table', { name: 'Installed packages' }).textContent()).toContain('lodash');
    const findings = await page.request.get(`${server.url}/api/findings?assetId=${assetId}&status=open`);
    expect(((await findings.json()).items as { vulnerabilityId: string; package: string }[]).map((f) => `${f.vulnerabilityId} ${f.package}`).sort()).toEqual(['CVE-2026-9001 curl', 'CVE-2026-9002 lodash']);
    // The software changes list follows each upload.
    const changes = page.getByRole('list', { name: 'Software changes' });
    await expect.poll(() => changes.textContent()).toContain('installed 4.17.20');
    expect(await changes.textContent()).toContain('First inventory: 2 packages.');
    await screenshot(page, 'inventory-upload');
  });

  it('refuses a broken SBOM, naming the component, and changes nothing', async () => {
    const before = await (await page.request.get(`${server.url}/api/assets/${assetId}/inventory`)).json();
    await upload('cyclonedx', path.join(dir, 'broken.cdx.json'));
    const alert = page.getByRole('alert');
    await expect.poll(() => alert.textContent()).toContain('components[0].purl');
    expect(await (await page.request.get(`${server.url}/api/assets/${assetId}/inventory`)).json()).toEqual(before);
    expect(pageErrors).toEqual([]);
  });

  it('an auditor sees the packages but no upload form', async () => {
    const ctx = await browser.newContext();
    const p = await ctx.newPage();
    await signIn(p, AUDITOR);
    await p.goto(`${server.url}/assets/${assetId}`);
    await p.getByRole('heading', { name: 'Installed software' }).waitFor();
    await expect.poll(() => p.getByRole('table', { name: 'Installed packages' }).textContent()).toContain('curl');
    expect(await p.getByRole('form', { name: 'Upload an inventory file' }).count()).toBe(0);
    await ctx.close();
  });
});
