/**
 * The patch policy and prioritisation in a real browser (issue #6 §7; GOV-1,
 * STK-4, VUL-4): an admin edits the critical SLA and a risk-score effect with
 * a reason, and the new version's history and diff show exactly those
 * fields; the editor refuses an invalid draft before sending it and shows the
 * server's refusal when a concurrent edit got there first; a system owner
 * sees the acknowledgement banner, acknowledges, and leaves the admin's "not
 * acknowledged" list; the finding page explains a priority; the "my overdue"
 * view lists the owner's overdue finding and not another owner's.
 */
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { permissionsOf } from '../../src/domain/auth/roles.js';
import { DEFAULT_POLICY } from '../../src/domain/priority/policy.js';
import type { RunningServer } from '../../src/main/server.js';
import { createAsset } from '../../src/services/assets/assets.service.js';
import { slaSummary } from '../../src/services/findings/sla-summary.js';
import { editPolicy, getPolicy } from '../../src/services/priority/policy.service.js';
import { processPriorityRequests } from '../../src/services/priority/worker.js';
import { createUser } from '../../src/services/users/users.service.js';
import { operator } from '../support/app.js';
import { HAVE_CHROMIUM, SKIP_REASON, ensureWebBuilt, launchBrowser, screenshot, startTestServer } from './support.js';

const ADMIN = { username: 'ada.admin', password: 'a long admin password' };
const OWNER = { username: 'otto.owner', password: 'a long owner password' };
const OTHER = { username: 'olga.owner', password: 'a long other password' };
const DAY = 86_400_000;

describe.skipIf(!HAVE_CHROMIUM)(HAVE_CHROMIUM ? 'patch policy and priorities in Chromium' : SKIP_REASON, () => {
  let server: RunningServer & { dataDir: string };
  let browser: Browser;
  let admin: Page;
  const contexts: BrowserContext[] = [];
  const pageErrors: string[] = [];
  const ids: Record<string, string> = {};
  let adminId = '';

  const open = async (who: { username: string; password: string }) => {
    const ctx = await browser.newContext({ viewport: { width: 1400, height: 900 }, locale: 'en-US', timezoneId: 'UTC' });
    contexts.push(ctx);
    const p = await ctx.newPage();
    p.setDefaultTimeout(15_000);
    p.on('pageerror', (e) => pageErrors.push(e.message));
    await p.goto(`${server.url}/`);
    await p.getByLabel('User name').fill(who.username);
    await p.getByLabel('Password').fill(who.password);
    await p.getByRole('button', { name: 'Sign in' }).click();
    await p.getByRole('heading', { name: 'Dashboard' }).waitFor();
    return p;
  };
  const versions = async () => ((await (await admin.request.get(`${server.url}/api/policy/versions`)).json()) as unknown[]).length;

  beforeAll(async () => {
    ensureWebBuilt();
    server = await startTestServer();
    const db = server.database.db;
    adminId = (await createUser(db, operator, { username: ADMIN.username, role: 'admin', password: ADMIN.password })).id;
    const owner = await createUser(db, operator, { username: OWNER.username, displayName: 'Otto Owner', role: 'system_owner', password: OWNER.password });
    const other = await createUser(db, operator, { username: OTHER.username, displayName: 'Olga Owner', role: 'system_owner', password: OTHER.password });
    const base = { environment: 'production', systemType: 'web_server', businessCriticality: 'critical' } as const;
    const shop = await createAsset(db, operator, { ...base, hostname: 'shop-01', networkExposure: 'internet_facing', ownerUserId: owner.id } as never);
    const ledger = await createAsset(db, operator, { ...base, hostname: 'ledger-01', networkExposure: 'internal', ownerUserId: other.id } as never);
    const now = Date.now();
    const day = (offset: number) => new Date(now + offset * DAY).toISOString().slice(0, 10);
    const vuln = async (id: string, cvss: number, kevDue?: string) =>
      (
        await db
          .insertInto('vulnerabilities')
          .values({ id, cvss_score: cvss, cvss_version: '3.1', kev_date_added: kevDue ? day(-70) : null, kev_due_date: kevDue ?? null, kev_ransomware: kevDue ? false : null, updated_at: new Date() } as never)
          .returning('num')
          .executeTakeFirstOrThrow()
      ).num;
    const finding = async (asset: string, num: number, seen: Date) =>
      String((await db.insertInto('findings').values({ asset_id: asset, vulnerability_num: num, name_id: 0, package_id: null, source: 'nessus', first_seen: seen, last_seen: seen } as never).returning('id').executeTakeFirstOrThrow()).id);
    const rce = await vuln('CVE-2026-4242', 9.8, day(30));
    const weak = await vuln('CVE-2026-0101', 3.1);
    // Found 60 days ago: past every SLA. Known exploited on an internet-facing asset: an emergency.
    ids.shopRce = await finding(shop.id, rce, new Date(now - 60 * DAY));
    ids.ledgerRce = await finding(ledger.id, rce, new Date(now - 60 * DAY));
    ids.shopWeak = await finding(shop.id, weak, new Date(now - DAY));
    await processPriorityRequests(db);
    // Olga read version 1 before any edit.
    await db.insertInto('policy_acknowledgements').values({ user_id: other.id, version: 1 } as never).execute();
    browser = await launchBrowser();
    admin = await open(ADMIN);
  }, 180_000);

  afterAll(async () => {
    for (const c of contexts) await c.close();
    await browser?.close();
    await server?.stop();
  });

  it('shows the policy in force, readably', async () => {
    await admin.getByRole('link', { name: 'Policy', exact: true }).click();
    await admin.getByRole('heading', { name: 'Patch policy' }).waitFor();
    const sla = admin.getByRole('table', { name: 'SLA per class' });
    await expect.poll(() => sla.textContent()).toContain('Critical7 days');
    expect(await sla.textContent()).toContain('Informationalno deadline');
    const text = (await admin.locator('main').textContent()) ?? '';
    expect(text).toContain('Risk score (CVSS adjusted by threat and business context)');
    expect(text).toContain('class Critical, due within 3 days');
    expect(await admin.getByRole('table', { name: 'Escalation rules' }).textContent()).toContain('Owner at half time');
    await screenshot(admin, 'policy-in-force');
  });

  it('refuses an invalid draft in the browser, naming the field, and sends nothing', async () => {
    await admin.goto(`${server.url}/policy/edit`);
    const form = admin.getByRole('form', { name: 'Edit the patch policy' });
    await form.getByRole('group', { name: 'SLA (days from detection)' }).getByLabel('High', { exact: true }).fill('0');
    await form.getByRole('button', { name: 'Save new version' }).click();
    const alert = form.getByRole('alert');
    await expect.poll(() => alert.textContent()).toContain('SLA (days) › High must be at least 1 day');
    expect(await alert.textContent()).toContain('Reason say why the policy changes');
    await screenshot(admin, 'policy-editor-invalid');
    expect(await versions()).toBe(1);
  });

  it('saves the critical SLA and a risk-score effect with a reason as version 2; the history and diff show exactly those fields', async () => {
    await admin.goto(`${server.url}/policy/edit`);
    const form = admin.getByRole('form', { name: 'Edit the patch policy' });
    await form.getByRole('group', { name: 'SLA (days from detection)' }).getByLabel('Critical', { exact: true }).fill('5');
    await form.getByLabel('Criticality high', { exact: true }).fill('1');
    await expect.poll(() => form.textContent()).toContain('2 changes: SLA (days) › Critical 7 → 5; Risk score › Criticality › High 0.5 → 1');
    await form.getByLabel('Reason for the change').fill('Board decision: critical within 5 days');
    await form.getByRole('button', { name: 'Save new version' }).click();
    await admin.waitForURL(/\/policy\/history\?from=1&to=2/);
    expect(await admin.getByRole('status').first().textContent()).toContain('Saved as version 2.');
    const list = admin.getByRole('table', { name: 'Policy versions' });
    await expect.poll(() => list.locator('tbody tr').count()).toBe(2);
    const newest = (await list.locator('tbody tr').first().locator('th, td').allTextContents()).map((t) => t.trim());
    expect(newest.slice(0, 5)).toEqual(['2 (in force)', expect.any(String), ADMIN.username, 'Board decision: critical within 5 days', '2']);
    const diff = admin.getByRole('table', { name: 'Changes from version 1 to version 2' });
    await expect.poll(() => diff.locator('tbody tr').count()).toBe(2);
    const rows = await diff.locator('tbody tr').evaluateAll((trs) => trs.map((tr) => [...tr.querySelectorAll('code, td')].map((c) => c.textContent?.trim())));
    expect(rows).toEqual([
      ['sla.critical', '7', '5'],
      ['riskScore.criticality.high', '0.5', '1'],
    ]);
    await screenshot(admin, 'policy-history-diff');
    const api = await (await admin.request.get(`${server.url}/api/policy`)).json();
    expect(api.version).toBe(2);
    expect(api.document.sla.critical).toBe(5);
    expect(api.document.riskScore.criticality.high).toBe(1);
  });

  it("refuses to overwrite a version someone else saved meanwhile (no lost update)", async () => {
    await admin.goto(`${server.url}/policy/edit`);
    const form = admin.getByRole('form', { name: 'Edit the patch policy' });
    await form.getByRole('group', { name: 'SLA (days from detection)' }).getByLabel('Medium', { exact: true }).fill('60');
    await form.getByLabel('Reason for the change').fill('Medium within 60 days');
    // Another admin session saves another change meanwhile: version 3.
    const doc = structuredClone(DEFAULT_POLICY);
    doc.sla = { ...doc.sla, critical: 5, low: 150 };
    doc.riskScore.criticality.high = 1;
    const ctx = { principal: { kind: 'user' as const, userId: adminId, name: ADMIN.username, role: 'admin' as const, permissions: permissionsOf('admin') }, requestId: 'test' };
    await editPolicy(server.database.db, ctx, { document: doc, reason: 'Low within 150 days (other tab)' });
    await form.getByRole('button', { name: 'Save new version' }).click();
    const alert = form.getByRole('alert');
    // Saving the tab's draft would silently undo the other change (low back to 180): refused, naming both versions.
    await expect.poll(() => alert.textContent()).toContain('Version 3 was saved since you started editing version 2');
    expect(await versions()).toBe(3);
    expect((await getPolicy(server.database.db, ctx)).document.sla.low).toBe(150);
  });

  it("a system owner sees the banner, acknowledges, and leaves the admin's not-acknowledged list", async () => {
    await admin.goto(`${server.url}/policy/acknowledgements`);
    const pending = admin.getByRole('table', { name: 'Not acknowledged version 3' });
    await expect.poll(() => pending.textContent()).toContain('Otto Owner');
    const rowOf = async (name: string) => (await pending.getByRole('row', { name: new RegExp(name) }).locator('th, td').allTextContents()).map((t) => t.trim());
    expect(await rowOf('Otto Owner')).toEqual(['Otto Owner', OWNER.username, 'System owner', 'never']);
    expect((await rowOf('Olga Owner')).slice(0, 3)).toEqual(['Olga Owner', OTHER.username, 'System owner']);
    expect((await rowOf('Olga Owner'))[3]).toMatch(/^version 1 \(/);

    const owner = await open(OWNER);
    const banner = owner.getByRole('region', { name: 'Policy acknowledgement' });
    await expect.poll(() => banner.textContent()).toContain('Patch policy version 3 is in force and you have not acknowledged it');
    await screenshot(owner, 'policy-ack-banner');
    await banner.getByRole('link', { name: 'Read and acknowledge it' }).click();
    await owner.getByRole('heading', { name: 'Patch policy' }).waitFor();
    await owner.getByRole('button', { name: 'I have read it: acknowledge version 3' }).click();
    await expect.poll(() => owner.getByRole('status').first().textContent()).toContain('you acknowledged policy version 3');
    await owner.getByRole('link', { name: 'Dashboard' }).click();
    await owner.getByRole('heading', { name: 'Dashboard' }).waitFor();
    expect(await owner.getByRole('region', { name: 'Policy acknowledgement' }).count()).toBe(0);
    // A system owner may read the policy but not edit it.
    await owner.goto(`${server.url}/policy`);
    await owner.getByRole('heading', { name: 'Patch policy' }).waitFor();
    expect(await owner.getByRole('navigation', { name: 'Policy' }).getByRole('link', { name: 'Edit' }).count()).toBe(0);

    await admin.reload();
    await expect.poll(() => admin.getByRole('table', { name: 'Not acknowledged version 3' }).textContent()).not.toContain('Otto Owner');
    expect(await admin.getByRole('table', { name: 'Not acknowledged version 3' }).textContent()).toContain('Olga Owner');
    expect(await admin.locator('main').textContent()).toMatch(/1 of 3 people have acknowledged version 3/);
  });

  it('adds an escalation rule and removes a threshold in the editor', async () => {
    await admin.goto(`${server.url}/policy/edit`);
    const form = admin.getByRole('form', { name: 'Edit the patch policy' });
    await form.getByRole('button', { name: 'Add escalation rule' }).click();
    const rule = form.getByRole('group', { name: 'Escalation rule 3' });
    await rule.getByLabel('Rule 3 name').fill('Manager at 80 %');
    await rule.getByLabel('At % of the SLA (100 = due date)').fill('80');
    await rule.getByRole('group', { name: 'Notify' }).getByRole('checkbox', { name: "Owner's manager" }).check();
    await form.getByRole('button', { name: 'Remove threshold 2' }).click();
    await form.getByLabel('Reason for the change').fill('Managers hear earlier; one EPSS step');
    await form.getByRole('button', { name: 'Save new version' }).click();
    await admin.waitForURL(/\/policy\/history\?from=3&to=4/);
    const diff = admin.getByRole('table', { name: 'Changes from version 3 to version 4' });
    await expect.poll(() => diff.locator('tbody tr').count()).toBe(2);
    const rows = await diff.locator('tbody tr').evaluateAll((trs) => trs.map((tr) => [...tr.querySelectorAll('code, td')].map((c) => c.textContent?.trim())));
    expect(rows).toEqual([
      ['riskScore.epss[1]', 'from 0.1: +0.5', '(absent)'],
      ['escalation[2]', '(absent)', "Name Manager at 80 %; At % of the SLA 80; Minimum class high; Notify owner, owner_manager; Channels in_app"],
    ]);
    const doc = (await (await admin.request.get(`${server.url}/api/policy`)).json()).document;
    expect(doc.escalation[2]).toEqual({ name: 'Manager at 80 %', atPercent: 80, minPriority: 'high', notify: ['owner', 'owner_manager'], channels: ['in_app'] });
    expect(doc.riskScore.epss).toEqual([{ min: 0.5, effect: 1.5 }]);
  });

  it('explains the priority of a finding: class, emergency, due date, factors and history', async () => {
    await processPriorityRequests(server.database.db);
    const f = await (await admin.request.get(`${server.url}/api/findings/${ids.shopRce}`)).json();
    await admin.goto(`${server.url}/findings/${ids.shopRce}`);
    const panel = admin.getByRole('region', { name: 'Priority and due date' });
    await expect.poll(() => panel.textContent()).toContain('EMERGENCY');
    const text = (await panel.textContent()) ?? '';
    expect(text).toContain('Critical');
    expect(text).toContain('Overdue');
    expect(text).toMatch(/\d+ % \(past due\)/);
    expect(await panel.locator('dd time').first().getAttribute('datetime')).toBe(f.dueAt);
    const factors = panel.getByRole('table', { name: /^Factors/ });
    const rows = await factors.locator('tbody tr').evaluateAll((trs) => trs.map((tr) => [...tr.children].map((c) => c.textContent?.trim())));
    expect(rows).toContainEqual(['CVSS base score', expect.stringMatching(/^9\.8/), 'starting point']);
    expect(rows).toContainEqual(['Known exploited (CISA KEV)', expect.stringContaining('yes'), expect.stringMatching(/^\+2/)]);
    expect(rows).toContainEqual(['Emergency (policy)', 'yes', expect.stringContaining('due within 3 days')]);
    const history = panel.getByRole('table', { name: 'Class and due-date changes' });
    expect(await history.textContent()).toContain('First evaluation: detection (or reopening) plus the SLA of its class');
    expect(await history.textContent()).toContain('policy version 1');
    await screenshot(admin, 'finding-priority');
  });

  it("lists the owner's overdue finding in \"My overdue\", not another owner's", async () => {
    const owner = await open(OWNER);
    const cta = owner.getByRole('link', { name: /You have 1 overdue finding/ });
    await expect.poll(() => cta.count()).toBe(1);
    await cta.click();
    await expect.poll(() => owner.url()).toContain('mine=true');
    const table = owner.getByRole('table', { name: 'Findings' });
    await expect.poll(() => table.textContent()).toContain('shop-01');
    const rows = await table.locator('tbody tr').evaluateAll((trs) => trs.map((tr) => tr.textContent ?? ''));
    expect(rows).toHaveLength(1);
    expect(rows[0]).toContain('CVE-2026-4242');
    expect(rows[0]).toContain('Overdue');
    expect(rows[0]).toContain('EMERGENCY');
    expect(rows[0]).toContain('Critical');
    expect(await table.textContent()).not.toContain('ledger-01');
    expect(await table.textContent()).not.toContain('CVE-2026-0101');
    await screenshot(owner, 'findings-my-overdue');

    // The admin's register: the priority filter and the Due column across owners.
    await admin.goto(`${server.url}/findings`);
    const all = admin.getByRole('table', { name: 'Findings' });
    await expect.poll(() => all.textContent()).toContain('ledger-01');
    await admin.getByLabel('SLA state').selectOption('overdue');
    await expect.poll(() => all.textContent()).not.toContain('CVE-2026-0101');
    expect(admin.url()).toContain('slaState=overdue');
    await admin.getByRole('button', { name: 'Due' }).click();
    await expect.poll(() => admin.url()).toContain('sort=dueAt');
    expect(pageErrors).toEqual([]);
  });
  it('shows the overdue figures on the dashboard, each a way into the register', async () => {
    const expected = await slaSummary(server.database.db, operator, {});
    expect(expected.totals.overdue).toBeGreaterThan(0);
    await admin.goto(`${server.url}/`);
    const table = admin.getByRole('table', { name: 'Open findings by priority and SLA state' });
    await table.waitFor();
    const critical = table.getByRole('row', { name: /^Critical/ });
    const cells = (await critical.locator('td').allTextContents()).map((x) => x.trim());
    const c = expected.byPriority[0];
    expect(cells).toEqual([String(c?.total), String(c?.overdue), String(c?.dueSoon), String(c?.onTrack), String(c?.excepted)]);
    const tile = admin.getByRole('link', { name: /Overdue open findings/ });
    expect((await tile.textContent()) ?? '').toContain(String(expected.totals.overdue));
    await screenshot(admin, 'dashboard-sla-figures');
    await tile.click();
    await expect.poll(() => admin.url()).toContain('slaState=overdue');
    const rows = admin.getByRole('table', { name: 'Findings' }).locator('tbody tr');
    await expect.poll(() => rows.count()).toBe(expected.totals.overdue);
    expect(pageErrors).toEqual([]);
  });
});
