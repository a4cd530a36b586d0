/**
 * The Agents page and the asset page's host facts in a real browser (issue #4, INV-2): an administrator
 * creates an enrolment token and sees its secret and the enrol command once; two hosts enrol with that
 * secret through the agent API and one checks in; the page shows their health, search and filters work,
 * the asset page shows the reported kernel and the reboot flag; the administrator revokes an agent (its next
 * check-in is refused) and an enrolment token; an auditor sees the list but no token section or revoke
 * buttons. Screenshots go to test-results/screenshots/.
 */
import { randomUUID } from 'node:crypto';
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { HostFactsReport } from '../../src/domain/agents/protocol.js';
import type { RunningServer } from '../../src/main/server.js';
import { createAsset } from '../../src/services/assets/assets.service.js';
import { createTeam } from '../../src/services/teams/teams.service.js';
import { createUser } from '../../src/services/users/users.service.js';
import { operator } from '../support/app.js';
import { HAVE_CHROMIUM, SKIP_REASON, ensureWebBuilt, launchBrowser, screenshot, startTestServer } from './support.js';

if (!HAVE_CHROMIUM) console.warn(SKIP_REASON);

const ADMIN = { username: 'ann.admin', password: 'correct horse battery staple' };
const AUDITOR = { username: 'otto.auditor', password: 'another long password' };

const facts = (over: Partial<HostFactsReport>): HostFactsReport => ({
  hostname: 'web-07',
  fqdn: 'web-07.example.org',
  machineId: '7'.repeat(32),
  kernel: '6.1.0-28-amd64',
  uptimeSeconds: 93_784, // 1 day 2 hours 3 minutes
  rebootRequired: true,
  os: { id: 'debian', versionId: '12', codename: 'bookworm', prettyName: 'Debian GNU/Linux 12 (bookworm)' },
  addresses: ['10.0.0.7', 'fd00::7'],
  ...over,
});

describe.skipIf(!HAVE_CHROMIUM)(HAVE_CHROMIUM ? 'Agents page in Chromium' : SKIP_REASON, () => {
  let server: RunningServer & { dataDir: string };
  let browser: Browser;
  let page: Page;
  let secret = '';
  const web = { agentId: '', assetId: '', credential: '' };
  let manualAssetId = '';
  const dialogs: string[] = [];
  const pageErrors: string[] = [];

  const url = (p: string) => `${server.url}${p}`;
  const watch = (p: Page, who: string) => {
    p.setDefaultTimeout(15_000);
    p.on('dialog', (d) => {
      dialogs.push(`${who} ${d.type()}: ${d.message()}`);
      void d.accept();
    });
    p.on('pageerror', (e) => pageErrors.push(`${who}: ${e.message}`));
  };
  const signIn = async (p: Page, who: { username: string; password: string }) => {
    await p.goto(url('/'));
    await p.getByLabel('User name').fill(who.username);
    await p.getByLabel('Password').fill(who.password);
    await p.getByRole('button', { name: 'Sign in' }).click();
    await p.getByRole('heading', { name: 'Dashboard' }).waitFor();
  };
  const openAgents = async (p: Page) => {
    await p.getByRole('navigation', { name: 'Main' }).getByRole('link', { name: 'Agents', exact: true }).click();
    await p.getByRole('heading', { name: 'Agents', level: 1 }).waitFor();
    await p.locator('table.agents').waitFor();
  };
  const agentRows = (p: Page) => p.locator('table.agents tbody tr[data-agent]');
  const hosts = (p: Page) => agentRows(p).locator('th a').allTextContents();
  const rowOf = (p: Page, host: string) => agentRows(p).filter({ has: p.getByRole('link', { name: host, exact: true }) });
  /** Health, last check-in, version, reports, enrolled, status (and actions for administrators). */
  const cellsOf = async (p: Page, host: string) => (await rowOf(p, host).locator('td').allTextContents()).map((s) => s.trim());
  const count = async (p: Page, label: string) => (await p.getByRole('list', { name: 'Agents by health' }).getByRole('link').filter({ hasText: label }).locator('.stat-value').textContent())?.trim();

  const enrol = async (tok: string, f: HostFactsReport) => {
    const res = await fetch(url('/api/agent/enrol'), { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ token: tok, agentVersion: '0.3.1', facts: f }) });
    return { status: res.status, body: (await res.json()) as { agentId: string; assetId: string; credential: string; matchedBy: string; detail?: string } };
  };
  const checkin = async (credential: string, seq: number) => {
    const body = {
      reportId: randomUUID(),
      seq,
      collectedAt: new Date().toISOString(),
      agentVersion: '0.3.1',
      facts: facts({}),
      report: {
        kind: 'full',
        ecosystem: 'deb',
        distro: 'debian',
        release: 'bookworm',
        packages: [
          { name: 'openssl', version: '3.0.15-1~deb12u1', arch: 'amd64' },
          { name: 'bash', version: '5.2.15-2+b7', arch: 'amd64' },
        ],
      },
    };
    const res = await fetch(url('/api/agent/checkin'), { method: 'POST', headers: { 'content-type': 'application/json', authorization: `Bearer ${credential}` }, body: JSON.stringify(body) });
    return { status: res.status, body: (await res.json()) as { status?: string; packages?: number } };
  };

  beforeAll(async () => {
    ensureWebBuilt();
    server = await startTestServer();
    const db = server.database.db;
    await createUser(db, operator, { username: ADMIN.username, role: 'admin', password: ADMIN.password });
    await createUser(db, operator, { username: AUDITOR.username, role: 'auditor', password: AUDITOR.password });
    await createTeam(db, operator, { name: 'Web team' });
    manualAssetId = (await createAsset(db, operator, { hostname: 'manual-01', environment: 'production', systemType: 'other', businessCriticality: 'low', networkExposure: 'internal' } as never)).id;
    browser = await launchBrowser();
    const context = await browser.newContext({ viewport: { width: 1366, height: 900 }, locale: 'en-US', timezoneId: 'UTC' });
    page = await context.newPage();
    watch(page, 'admin');
    await signIn(page, ADMIN);
  }, 120_000);

  afterAll(async () => {
    await browser?.close();
    await server?.stop();
  });

  it('creates an enrolment token and shows its secret and the enrol command once', async () => {
    await openAgents(page);
    expect(await count(page, 'OK')).toBe('0');
    expect(await page.locator('table.agents tbody').textContent()).toContain('No agent is enrolled yet');

    const form = page.getByRole('form', { name: 'New enrolment token' });
    await form.getByLabel('Token name').fill('web tier rollout');
    await form.getByLabel('Hosts that may enrol with it').fill('2');
    await form.getByLabel('Valid for (hours)').fill('48');
    await form.getByLabel('Environment').selectOption('staging');
    await form.getByLabel('System type').selectOption('web_server');
    await form.getByLabel('Business criticality').selectOption('high');
    await form.getByLabel('Network exposure').selectOption('internet_facing');
    await form.getByLabel('Owner team').selectOption({ label: 'Web team' });
    await form.getByLabel('Tags').fill('agent, web');
    await form.getByRole('button', { name: 'Create enrolment token' }).click();

    const shown = page.getByLabel('New enrolment token secret');
    await shown.waitFor();
    secret = await shown.inputValue();
    expect(secret).toMatch(/^ple_.{20,}/);
    const card = page.getByRole('status').filter({ hasText: 'will not be shown again' });
    expect(await card.locator('pre.command').textContent()).toBe(`patchloop agent enroll --server ${server.url} --token ${secret}`);
    expect(await card.textContent()).toContain('--ca-file /path/to/ca.pem');
    expect(await card.textContent()).toContain('--allow-http'); // the test server is plain HTTP
    await expect.poll(() => card.getByRole('button', { name: 'Copy command' }).count()).toBe(1);

    const row = page.locator('table.enrolment-tokens tbody tr').filter({ hasText: 'web tier rollout' });
    const cells = (await row.locator('td').allTextContents()).map((s) => s.trim());
    expect(cells[0]).toBe(`${secret.slice(0, 12)}…`);
    expect(cells[1]).toBe('0 of 2');
    expect(cells[2]).toContain('Staging · Web server · High criticality · Internet-facing');
    expect(cells[2]).toContain('Owner: Web team');
    expect(cells[5]).toContain('Usable');
    await screenshot(page, 'agents-01-token-created');

    // Once: after "Done", and after a reload, the secret is nowhere on the page or in the list the API gives.
    await card.getByRole('button', { name: 'Done' }).click();
    expect(await page.content()).not.toContain(secret);
    await page.reload();
    await page.locator('table.enrolment-tokens').waitFor();
    expect(await page.locator('table.enrolment-tokens tbody').textContent()).toContain('web tier rollout');
    expect(await page.content()).not.toContain(secret);
    const listed = await page.request.get(url('/api/agents/enrolment-tokens'));
    expect(listed.status()).toBe(200);
    expect(await listed.text()).not.toContain(secret);
  });

  it('lists hosts enrolled with that secret, with health from their check-ins, search and filters', async () => {
    expect(secret).not.toBe('');
    const a = await enrol(secret, facts({}));
    expect(a.status, JSON.stringify(a.body)).toBe(200);
    expect(a.body.matchedBy).toBe('created');
    Object.assign(web, a.body);
    const b = await enrol(secret, facts({ hostname: 'db-01', fqdn: 'db-01.example.org', machineId: 'd'.repeat(32), addresses: ['10.0.0.21'], rebootRequired: false }));
    expect(b.status, JSON.stringify(b.body)).toBe(200);
    const c = await checkin(web.credential, 1);
    expect(c.status, JSON.stringify(c.body)).toBe(200);
    expect(c.body).toMatchObject({ status: 'accepted', packages: 2 });

    await page.reload();
    await page.locator('table.agents tbody tr[data-agent]').first().waitFor();
    expect(await hosts(page)).toEqual(['db-01', 'web-07']);
    expect(await count(page, 'OK')).toBe('1');
    expect(await count(page, 'Never checked in')).toBe('1');
    expect(await count(page, 'Late')).toBe('0');
    expect(await count(page, 'Silent')).toBe('0');
    const w = await cellsOf(page, 'web-07');
    expect(w.slice(0, 6)).toEqual(['OK', expect.stringMatching(/^just now/), '0.3.1', '1', expect.any(String), 'Active']);
    expect(w[1]).toContain('from 127.0.0.1');
    const d = await cellsOf(page, 'db-01');
    expect(d.slice(0, 4)).toEqual(['Never checked in', 'never', '0.3.1', '0']);
    // The two-use token is used up now.
    const tokenCells = (await page.locator('table.enrolment-tokens tbody tr').filter({ hasText: 'web tier rollout' }).locator('td').allTextContents()).map((s) => s.trim());
    expect(tokenCells[1]).toBe('2 of 2');
    expect(tokenCells[5]).toBe('Used up');
    expect((await enrol(secret, facts({ hostname: 'late-host', fqdn: null, machineId: 'e'.repeat(32), addresses: [] }))).status).toBe(401);
    await screenshot(page, 'agents-02-list');

    await page.getByLabel('Search agents').fill('web');
    await page.getByRole('button', { name: 'Search', exact: true }).click();
    await expect.poll(() => hosts(page)).toEqual(['web-07']);
    expect(new URL(page.url()).searchParams.get('q')).toBe('web');
    await page.getByLabel('Search agents').fill('');
    await page.getByRole('button', { name: 'Search', exact: true }).click();
    await expect.poll(() => hosts(page)).toEqual(['db-01', 'web-07']);
    await page.getByLabel('Health', { exact: true }).selectOption('never');
    await expect.poll(() => hosts(page)).toEqual(['db-01']);
    await page.getByLabel('Health', { exact: true }).selectOption('');
    await expect.poll(() => hosts(page)).toEqual(['db-01', 'web-07']);
    await page.getByRole('list', { name: 'Agents by health' }).getByRole('link').filter({ hasText: 'OK' }).click();
    await expect.poll(() => hosts(page)).toEqual(['web-07']);
    expect(await page.getByLabel('Health', { exact: true }).inputValue()).toBe('ok');
  });

  it('shows the reported host facts and the agent on the asset page', async () => {
    await rowOf(page, 'web-07').getByRole('link', { name: 'web-07' }).click();
    await page.getByRole('heading', { name: 'web-07', level: 1 }).waitFor();
    expect(new URL(page.url()).pathname).toBe(`/assets/${web.assetId}`);
    const panel = page.getByRole('region', { name: 'Host facts and agent' });
    await panel.getByRole('definition').first().waitFor();
    const props = async (name: string) => {
      const dl = panel.getByLabel(name, { exact: true });
      const terms = await dl.locator('dt').allTextContents();
      const values = await dl.locator('dd').allTextContents();
      return Object.fromEntries(terms.map((t, i) => [t, values[i]?.trim()]));
    };
    const host = await props('Host facts');
    expect(host).toMatchObject({
      Kernel: '6.1.0-28-amd64',
      Uptime: '1 day 2 hours (at collection)',
      'Reboot required': 'Reboot required',
      'Operating system': 'Debian GNU/Linux 12 (bookworm)',
      Addresses: '10.0.0.7, fd00::7',
      'Machine id': '7'.repeat(32),
    });
    expect(host.Collected).toContain('from agent');
    await expect.poll(() => panel.locator('.badge-warn').filter({ hasText: 'Reboot required' }).count()).toBe(1);
    const agent = await props('Agent');
    expect(agent).toMatchObject({ Health: 'OK', 'Agent version': '0.3.1', Status: 'Active' });
    expect(agent['Last check-in']).toMatch(/^just now/);
    // The token's asset defaults made the register entry.
    const context = await page.locator('.card').filter({ has: page.getByRole('heading', { name: 'Context' }) }).textContent();
    expect(context).toContain('Staging');
    expect(context).toContain('Web server');
    expect(context).toContain('Internet-facing');
    expect(await page.locator('.card').filter({ has: page.getByRole('heading', { name: 'Ownership and lifecycle' }) }).textContent()).toContain('Web team');
    await screenshot(page, 'agents-03-asset-facts');

    await panel.getByRole('link', { name: 'This agent on the Agents page' }).click();
    await page.getByRole('heading', { name: 'Agents', level: 1 }).waitFor();
    await expect.poll(() => hosts(page)).toEqual(['web-07']);

    // A host without an agent says so.
    await page.goto(url(`/assets/${manualAssetId}`));
    await page.getByRole('heading', { name: 'manual-01', level: 1 }).waitFor();
    const empty = page.getByRole('region', { name: 'Host facts and agent' });
    await expect.poll(() => empty.textContent()).toContain('No agent reports for this host yet');
  });

  it('revokes an agent (its next check-in is refused) and an enrolment token', async () => {
    await page.goto(url('/agents'));
    await page.locator('table.agents tbody tr[data-agent]').first().waitFor();
    // Cancel changes nothing.
    await page.getByRole('button', { name: 'Revoke the agent of db-01…' }).click();
    await page.getByRole('form', { name: 'Revoke the agent of db-01' }).getByRole('button', { name: 'Cancel' }).click();
    expect(await page.getByRole('form', { name: 'Revoke the agent of db-01' }).count()).toBe(0);

    await page.getByRole('button', { name: 'Revoke the agent of web-07…' }).click();
    const form = page.getByRole('form', { name: 'Revoke the agent of web-07' });
    const reason = form.getByLabel('Reason (recorded in the audit trail)');
    await expect.poll(() => reason.evaluate((el) => el === document.activeElement)).toBe(true);
    await reason.fill('host re-imaged');
    await form.getByRole('button', { name: 'Confirm revocation' }).click();
    await page.getByRole('status').filter({ hasText: 'The agent of web-07 is revoked' }).waitFor();
    const w = await cellsOf(page, 'web-07');
    expect(w[0]).toBe('Revoked');
    expect(w[5]).toMatch(/^Revoked/);
    expect(await rowOf(page, 'web-07').getByRole('button').count()).toBe(0);
    expect(await cellsOf(page, 'db-01')).toContain('Active');
    await screenshot(page, 'agents-04-revoked');

    // The server agrees: the credential no longer works, and the reason is in the audit trail.
    expect((await checkin(web.credential, 2)).status).toBe(401);
    const audit = await page.request.get(url('/api/audit?action=agent.revoke'));
    expect(audit.status()).toBe(200);
    expect(JSON.stringify(await audit.json())).toContain('host re-imaged');
    // The default list shows active agents; the status filter finds the revoked one.
    await page.reload();
    await expect.poll(() => hosts(page)).toEqual(['db-01']);
    await page.getByLabel('Status', { exact: true }).selectOption('revoked');
    await expect.poll(() => hosts(page)).toEqual(['web-07']);
    expect((await cellsOf(page, 'web-07'))[0]).toBe('Revoked');

    // A second token, revoked from the list (after the confirmation dialog).
    const tokenForm = page.getByRole('form', { name: 'New enrolment token' });
    await tokenForm.getByLabel('Token name').fill('spare');
    await tokenForm.getByRole('button', { name: 'Create enrolment token' }).click();
    const spare = await page.getByLabel('New enrolment token secret').inputValue();
    await page.getByRole('button', { name: 'Revoke the enrolment token spare' }).click();
    const spareRow = page.locator('table.enrolment-tokens tbody tr').filter({ hasText: 'spare' });
    await expect.poll(async () => (await spareRow.locator('td').allTextContents()).at(-1)?.trim()).toBe('Revoked');
    expect(dialogs.at(-1)).toMatch(/^admin confirm: Revoke the enrolment token "spare"/);
    expect((await enrol(spare, facts({ hostname: 'spare-01', fqdn: null, machineId: 'f'.repeat(32), addresses: [] }))).status).toBe(401);
  });

  it('shows an auditor the agents but no token section or revoke buttons', async () => {
    const other = await browser.newContext({ viewport: { width: 1366, height: 900 }, locale: 'en-US', timezoneId: 'UTC' });
    try {
      const p2 = await other.newPage();
      watch(p2, 'auditor');
      await signIn(p2, AUDITOR);
      await openAgents(p2);
      await expect.poll(() => hosts(p2)).toEqual(['db-01']);
      expect(await p2.locator('table.agents thead th').allTextContents()).toEqual(['Host', 'Health', 'Last check-in', 'Agent version', 'Reports', 'Enrolled', 'Status']);
      await p2.getByLabel('Status', { exact: true }).selectOption('all');
      await expect.poll(() => hosts(p2)).toEqual(['db-01', 'web-07']);
      expect(await p2.getByRole('button', { name: /Revoke/ }).count()).toBe(0);
      expect(await p2.getByRole('heading', { name: 'Enrolment tokens' }).count()).toBe(0);
      expect(await p2.getByRole('form', { name: 'New enrolment token' }).count()).toBe(0);
      await screenshot(p2, 'agents-05-auditor');
      // The API agrees: tokens and revocation are for administrators.
      expect((await p2.request.get(url('/api/agents/enrolment-tokens'))).status()).toBe(403);
      await rowOf(p2, 'db-01').getByRole('link', { name: 'db-01' }).click();
      const panel = p2.getByRole('region', { name: 'Host facts and agent' });
      await expect.poll(async () => (await panel.getByLabel('Host facts', { exact: true }).textContent()) ?? '').toContain('6.1.0-28-amd64');
    } finally {
      await other.close();
    }
    expect(pageErrors).toEqual([]);
  });
});
