/**
 * The SSH panel of the asset page in a real browser, against a real sshd
 * on a loopback port: an administrator sets up the target with a pasted
 * key, is refused collection until a host key is pinned, reads the host's
 * key, pins it, collects (the packages and the software changes appear),
 * then pins a wrong key and sees the refusal. A bad pin is refused at its
 * line. The key was sealed under the key file the server made in its data
 * directory (0600). An auditor sees the target but no controls.
 */
import fs from 'node:fs';
import path from 'node:path';
import type { Browser, Page } from 'playwright-core';
import { sql } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { RunningServer } from '../../src/main/server.js';
import { createAsset } from '../../src/services/assets/assets.service.js';
import { createUser } from '../../src/services/users/users.service.js';
import { operator } from '../support/app.js';
import { obtainSshd, startSshd, strangerKey, type TestSshd } from '../support/sshd.js';
import { fakeRoot } from '../ssh/fixtures.js';
import { HAVE_CHROMIUM, SKIP_REASON, ensureWebBuilt, launchBrowser, screenshot, startTestServer } from './support.js';

const ADMIN = { username: 'alice.admin', password: 'correct horse battery staple' };
const AUDITOR = { username: 'olga.auditor', password: 'another long password' };

const got = HAVE_CHROMIUM ? obtainSshd() : { skip: SKIP_REASON };
const SKIP = 'skip' in got ? got.skip : '';
if (SKIP) console.warn(SKIP);

describe.skipIf(!!SKIP)(SKIP || 'SSH panel in Chromium', () => {
  let server: RunningServer & { dataDir: string };
  let sshd: TestSshd;
  let browser: Browser;
  let page: Page;
  let assetId = '';
  let root = '';
  const pageErrors: string[] = [];

  const signIn = async (p: Page, who: { username: string; password: string }) => {
    await p.goto(`${server.url}/`);
    await p.getByLabel('User name').fill(who.username);
    await p.getByLabel('Password').fill(who.password);
    await p.getByRole('button', { name: 'Sign in' }).click();
    await p.getByRole('heading', { name: 'Dashboard' }).waitFor();
  };
  const panel = () => page.getByRole('region', { name: 'Agentless collection (SSH)' });

  beforeAll(async () => {
    ensureWebBuilt();
    sshd = await startSshd((got as { sshd: string }).sshd);
    root = fakeRoot();
    server = await startTestServer();
    const db = server.database.db;
    await createUser(db, operator, { username: ADMIN.username, role: 'admin', password: ADMIN.password });
    await createUser(db, operator, { username: AUDITOR.username, role: 'auditor', password: AUDITOR.password });
    assetId = (await createAsset(db, operator, { hostname: 'legacy-01', environment: 'production', systemType: 'database', businessCriticality: 'high', networkExposure: 'internal' } as never)).id;
    browser = await launchBrowser();
    page = await (await browser.newContext({ viewport: { width: 1366, height: 900 }, locale: 'en-US', timezoneId: 'UTC' })).newPage();
    page.setDefaultTimeout(20_000);
    page.on('pageerror', (e) => pageErrors.push(e.message));
    page.on('dialog', (d) => {
      pageErrors.push(`dialog: ${d.message()}`);
      void d.dismiss();
    });
    await signIn(page, ADMIN);
  }, 120_000);

  afterAll(async () => {
    await browser?.close();
    await server?.stop();
    await sshd?.stop();
    if (root) fs.rmSync(root, { recursive: true, force: true });
  });

  it('set up, refused without a pinned key, scan and pin, collect; a wrong key is refused', async () => {
    await page.goto(`${server.url}/assets/${assetId}`);
    await panel().getByText('No SSH target').waitFor();
    await panel().getByRole('button', { name: 'Set up SSH collection' }).click();
    const form = panel().getByRole('form', { name: 'SSH target' });
    await form.getByLabel('Host', { exact: true }).fill(sshd.host);
    await form.getByLabel('Port', { exact: true }).fill(String(sshd.port));
    await form.getByLabel('User', { exact: true }).fill(sshd.user);
    await form.getByLabel('Directory to inventory').fill(root);
    await form.getByLabel('Pinned host keys').fill('ssh-ed25519 not-a-key');
    await form.getByLabel('Private key', { exact: true }).fill(sshd.clientKey);
    await form.getByRole('button', { name: 'Save SSH target' }).click();
    await form.getByText('line 1: the key is not valid base64').waitFor();
    await form.getByLabel('Pinned host keys').fill('');
    await form.getByRole('button', { name: 'Save SSH target' }).click();
    await panel().getByText('None: collection is refused until a host key is pinned').waitFor();
    expect(await panel().textContent()).toMatch(/Private key SHA256:\S+, stored encrypted/);
    expect(await page.content()).not.toContain('PRIVATE KEY-----\n');

    await panel().getByRole('button', { name: 'Collect now' }).click();
    await panel().getByRole('status').getByText(/Collection failed: no host key is pinned/).waitFor();
    await panel().getByText('Failed', { exact: true }).waitFor();

    await panel().getByRole('button', { name: 'Scan host key' }).click();
    const offered = panel().getByRole('region', { name: 'Host keys offered' });
    await offered.getByText(sshd.hostKeyFingerprint).waitFor();
    await offered.getByRole('button', { name: `Pin ssh-ed25519 key ${sshd.hostKeyFingerprint}` }).click();
    await panel().getByRole('list', { name: 'Pinned host keys' }).getByText(sshd.hostKeyFingerprint).waitFor();

    await panel().getByRole('button', { name: 'Collect now' }).click();
    await panel().getByRole('status').getByText('Collected 4 packages: 4 added, 0 removed.').waitFor();
    await panel().getByText('Succeeded', { exact: true }).waitFor();
    await panel().getByText(/4 dpkg packages from fakehost \(Debian GNU\/Linux 12 \(bookworm\)\)/).waitFor();
    await page.getByRole('list', { name: 'Software changes' }).getByText('First inventory: 4 packages.').waitFor();
    await screenshot(page, 'ssh-collected');
    await panel().getByRole('button', { name: 'Reload the page' }).click();
    await page.getByText(/debian bookworm · 4 packages · from ssh/).waitFor();
    await panel().getByText('Succeeded', { exact: true }).waitFor();

    // The host "changes" its key: the newly pinned one does not match, and collection is refused.
    await panel().getByRole('button', { name: 'Edit' }).click();
    const edit = panel().getByRole('form', { name: 'SSH target' });
    expect(await edit.getByLabel('Private key', { exact: true }).inputValue()).toBe('');
    await edit.getByLabel('Pinned host keys').fill(strangerKey());
    await edit.getByRole('button', { name: 'Save SSH target' }).click();
    await panel().getByRole('button', { name: 'Collect now' }).click();
    await panel().getByRole('status').getByText(`Collection failed: the host presented a key that is not pinned (${sshd.hostKeyFingerprint})`, { exact: false }).waitFor();
    // After a reload the target's last collection says the same, with its kind; the inventory of the good run stays.
    await page.reload();
    await panel().getByText(`host_key_changed: the host presented a key that is not pinned (${sshd.hostKeyFingerprint})`, { exact: false }).waitFor();
    await page.getByRole('heading', { name: 'Installed software' }).waitFor();
    expect(await page.getByText(/debian bookworm · 4 packages · from ssh/).count()).toBe(1);
    await screenshot(page, 'ssh-refused');

    // Sealed under the key file the server made in its data directory.
    const keyFile = path.join(server.dataDir, 'secret.key');
    expect(fs.statSync(keyFile).mode & 0o777).toBe(0o600);
    const { rows } = await sql<{ credential: string }>`select credential from ssh_targets`.execute(server.database.db);
    expect(rows).toHaveLength(1);
    expect(rows[0]?.credential).not.toContain('PRIVATE KEY');
    expect(pageErrors).toEqual([]);
  });

  it('an auditor sees the target and its last collection, and no controls', async () => {
    const ctx = await browser.newContext({ viewport: { width: 1366, height: 900 }, locale: 'en-US', timezoneId: 'UTC' });
    const p = await ctx.newPage();
    p.setDefaultTimeout(20_000);
    await signIn(p, AUDITOR);
    await p.goto(`${server.url}/assets/${assetId}`);
    const region = p.getByRole('region', { name: 'Agentless collection (SSH)' });
    await region.getByText(`${sshd.user}@${sshd.host}:${sshd.port}`).waitFor();
    await region.getByText('Failed', { exact: true }).waitFor();
    expect(await region.getByRole('button').count()).toBe(0);
    await ctx.close();
  });
});
