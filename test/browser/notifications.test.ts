/**
 * Notifications in a real browser (issue #6 §4): the unread count in the
 * navigation, the notifications page (mark one read, mark all read), the
 * escalation log after a run, and an administrator adding a chat webhook
 * whose URL is never shown again in full, then testing it against a local
 * receiver.
 */
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { RunningServer } from '../../src/main/server.js';
import { createAsset } from '../../src/services/assets/assets.service.js';
import { runEscalations } from '../../src/services/escalation/run.js';
import { notifyUsers } from '../../src/services/notifications/notify.js';
import { createUser } from '../../src/services/users/users.service.js';
import { operator } from '../support/app.js';
import { type Receiver, startReceiver } from '../escalation/support.js';
import { HAVE_CHROMIUM, SKIP_REASON, ensureWebBuilt, launchBrowser, screenshot, startTestServer } from './support.js';

const ANALYST = { username: 'nora.analyst', password: 'a long analyst password' };
const ADMIN = { username: 'adam.admin', password: 'a long admin password' };

describe.skipIf(!HAVE_CHROMIUM)(HAVE_CHROMIUM ? 'notifications in Chromium' : SKIP_REASON, () => {
  let server: RunningServer & { dataDir: string };
  let browser: Browser;
  let page: Page;
  let hooks: Receiver;
  const pageErrors: string[] = [];

  const signIn = async (p: Page, who: { username: string; password: string }) => {
    await p.goto(`${server.url}/`);
    await p.getByLabel('User name').fill(who.username);
    await p.getByLabel('Password').fill(who.password);
    await p.getByRole('button', { name: 'Sign in' }).click();
    await p.getByRole('heading', { name: 'Dashboard' }).waitFor();
  };
  const navLink = () => page.getByRole('banner').getByRole('link', { name: /^Notifications/ });

  beforeAll(async () => {
    ensureWebBuilt();
    hooks = await startReceiver();
    server = await startTestServer();
    const db = server.database.db;
    await db.deleteFrom('priority_requests').execute();
    const analyst = await createUser(db, operator, { username: ANALYST.username, displayName: 'Nora Analyst', role: 'security_analyst', password: ANALYST.password });
    await createUser(db, operator, { username: ADMIN.username, role: 'admin', password: ADMIN.password });
    for (const title of ['Patch window tonight', 'New exception request'])
      await notifyUsers(db, { userIds: [analyst.id], kind: 'test', title, body: `${title}: details.`, link: '/findings' });
    // An overdue finding on an unowned asset: the breach rule tells security.
    const a = await createAsset(db, operator, { hostname: 'legacy-01', environment: 'production', systemType: 'web_server', businessCriticality: 'high', networkExposure: 'internal' });
    const v = await db.insertInto('vulnerabilities').values({ id: 'CVE-2027-6001', cvss_score: 8.8, cvss_version: '3.1', updated_at: new Date() } as never).returning('num').executeTakeFirstOrThrow();
    const since = new Date(Date.now() - 40 * 86_400_000);
    await db
      .insertInto('findings')
      .values({ asset_id: a.id, vulnerability_num: v.num, name_id: 0, package_id: null, source: 'nessus', first_seen: since, last_seen: since, priority: 3, class_since: since, sla_start: since, due_at: new Date(Date.now() - 10 * 86_400_000), prioritised_at: since, policy_version: 1 } as never)
      .execute();
    await runEscalations(db);
    browser = await launchBrowser();
    page = await (await browser.newContext({ viewport: { width: 1400, height: 900 }, locale: 'en-US', timezoneId: 'UTC' })).newPage();
    page.setDefaultTimeout(15_000);
    page.on('pageerror', (e) => pageErrors.push(e.message));
    await signIn(page, ANALYST);
  }, 120_000);

  afterAll(async () => {
    await browser?.close();
    await server?.stop();
    await hooks?.close();
  });

  it('shows the unread count in the navigation and lists the notifications', async () => {
    await expect.poll(() => navLink().textContent()).toBe('Notifications 3 unread');
    await navLink().click();
    await page.getByRole('heading', { name: 'Notifications', level: 1 }).waitFor();
    const list = page.getByRole('list', { name: 'Notifications' });
    await expect.poll(() => list.getByRole('listitem').count()).toBe(3);
    const titles = await list.getByRole('heading').allTextContents();
    expect(titles[0]).toContain('Escalation: 1 finding needs attention');
    expect(titles.slice(1).map((x) => x.replace(/^New\s*/, '').trim())).toEqual(['New exception request', 'Patch window tonight']);
    expect(await list.textContent()).toContain('legacy-01 · CVE-2027-6001');
    await screenshot(page, 'notifications');
  });

  it('marks one read, filters unread ones, then marks all read', async () => {
    await page.getByRole('button', { name: 'Mark read Patch window tonight' }).click();
    await expect.poll(() => navLink().textContent()).toBe('Notifications 2 unread');
    await expect.poll(() => page.getByRole('listitem', { name: 'Patch window tonight' }).count()).toBe(1);
    await page.getByRole('checkbox', { name: 'Unread only' }).check();
    const list = page.getByRole('list', { name: 'Notifications' });
    await expect.poll(() => list.getByRole('listitem').count()).toBe(2);
    await page.getByRole('button', { name: 'Mark all read' }).click();
    await expect.poll(() => list.textContent()).toContain('Nothing unread.');
    await expect.poll(() => navLink().textContent()).toBe('Notifications');
  });

  it('shows the escalation log: rule, finding, who was told', async () => {
    await page.getByRole('link', { name: 'Escalation log' }).click();
    const table = page.getByRole('table', { name: 'Escalation log' });
    await expect.poll(() => table.textContent()).toContain('legacy-01 · CVE-2027-6001');
    const row = await table.locator('tbody tr').first().textContent();
    expect(row).toContain('Breach');
    expect(row).toContain('Nora Analyst');
    // Only administrators run the rules by hand.
    expect(await page.getByRole('button', { name: 'Run escalations now' }).count()).toBe(0);
    await screenshot(page, 'escalation-log');
  });

  it('lets an administrator add a webhook, shows only its masked URL, and tests it', async () => {
    const ctx = await browser.newContext({ viewport: { width: 1400, height: 900 } });
    const p = await ctx.newPage();
    p.on('pageerror', (e) => pageErrors.push(e.message));
    await signIn(p, ADMIN);
    await p.goto(`${server.url}/settings/webhooks`);
    const form = p.getByRole('form', { name: 'New webhook' });
    await form.getByLabel('Name').fill('#vuln-alerts');
    await form.getByLabel('Format').selectOption('teams');
    await form.getByLabel('Webhook URL').fill(`${hooks.url}/workflows/abc/triggers/manual/paths/invoke?sig=BROWSERSECRET`);
    await form.getByRole('button', { name: 'Add webhook' }).click();
    const table = p.getByRole('table', { name: 'Webhooks' });
    await expect.poll(() => table.textContent()).toContain('#vuln-alerts');
    expect(await table.textContent()).toContain(`${hooks.url}/…CRET`);
    expect(await p.content()).not.toContain('BROWSERSECRET');
    await p.getByRole('button', { name: 'Test #vuln-alerts' }).click();
    await expect.poll(() => p.getByRole('status').first().textContent()).toContain('Test message delivered to “#vuln-alerts”.');
    expect(hooks.received.at(-1)?.body).toMatchObject({ type: 'message', attachments: [{ contentType: 'application/vnd.microsoft.card.adaptive' }] });
    // A URL that is not http(s) is refused at the field, and nothing is added.
    await form.getByLabel('Name').fill('bad');
    await form.getByLabel('Webhook URL').fill('ftp://example.com/hook');
    await form.evaluate((f: HTMLFormElement) => f.requestSubmit());
    await expect.poll(() => form.textContent()).toContain('must be an http:// or https:// URL');
    expect(await table.locator('tbody tr').count()).toBe(1);
    await screenshot(p, 'webhooks');
    await ctx.close();
    expect(pageErrors).toEqual([]);
  });
});
