/**
 * Risk exceptions and SLA extensions in a real browser: a system owner
 * requests an exception for an overdue finding and sees no way to decide it;
 * an analyst opens it from the register and approves it, and the finding
 * leaves the overdue figures. Then an SLA extension is requested with finding
 * ids and approved from the extension register by the analyst.
 */
import type { Browser } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { RunningServer } from '../../src/main/server.js';
import { refreshEvaluations } from '../../src/services/eol/evaluation.js';
import { processPriorityRequests } from '../../src/services/priority/worker.js';
import { createUser } from '../../src/services/users/users.service.js';
import { asset, DAY, finding, inDays, vuln } from '../exceptions/support.js';
import { operator, userWithToken } from '../support/app.js';
import { HAVE_CHROMIUM, SKIP_REASON, ensureWebBuilt, launchBrowser, screenshot, startTestServer } from './support.js';

const OWNER = { username: 'olga.owner', password: 'a long system owner password' };
const ANALYST = { username: 'bob.analyst', password: 'a long analyst password' };

describe.skipIf(!HAVE_CHROMIUM)(HAVE_CHROMIUM ? 'risk exceptions in Chromium' : SKIP_REASON, () => {
  let server: RunningServer & { dataDir: string };
  let browser: Browser;
  const pageErrors: string[] = [];
  let overdue: string;
  let other: string;

  const signIn = async (who: { username: string; password: string }) => {
    const p = await (await browser.newContext({ viewport: { width: 1400, height: 900 }, locale: 'en-US', timezoneId: 'UTC' })).newPage();
    p.setDefaultTimeout(15_000);
    p.on('pageerror', (e) => pageErrors.push(e.message));
    await p.goto(`${server.url}/`);
    await p.getByLabel('User name').fill(who.username);
    await p.getByLabel('Password').fill(who.password);
    await p.getByRole('button', { name: 'Sign in' }).click();
    await p.getByRole('heading', { name: 'Dashboard' }).waitFor();
    return p;
  };
  const findingRow = (id: string) => server.database.db.selectFrom('findings').select(['exception_id', 'extended_due_at', 'due_at']).where('id', '=', id).executeTakeFirstOrThrow();

  beforeAll(async () => {
    ensureWebBuilt();
    server = await startTestServer();
    const db = server.database.db;
    await createUser(db, operator, { username: OWNER.username, role: 'system_owner', password: OWNER.password });
    await createUser(db, operator, { username: ANALYST.username, role: 'security_analyst', password: ANALYST.password });
    const shop = await asset(server.database, 'shop-01');
    overdue = await finding(server.database, shop, await vuln(server.database, 'CVE-2026-8001', 9.8), new Date(Date.now() - 30 * DAY));
    other = await finding(server.database, shop, await vuln(server.database, 'CVE-2026-8002', 6.1), new Date(Date.now() - DAY));
    await processPriorityRequests(db);
    browser = await launchBrowser();
  }, 120_000);

  afterAll(async () => {
    await browser?.close();
    await server?.stop();
  });

  it('a system owner requests an exception and cannot decide it', async () => {
    const page = await signIn(OWNER);
    await page.getByRole('navigation', { name: 'Main' }).getByRole('link', { name: 'Exceptions' }).click();
    await page.getByRole('heading', { name: 'Risk exceptions' }).waitFor();
    await page.getByRole('button', { name: 'Request an exception' }).click();
    const form = page.getByRole('form', { name: 'Request a risk exception' });
    await form.getByLabel('Finding id').fill(overdue);
    await form.getByLabel('Risk owner').selectOption({ label: 'bob.analyst (Security analyst)' });
    await form.getByLabel('Last valid day').fill(inDays(30));
    await form.getByLabel('Justification').fill('The shop vendor certifies the fix only in next month’s release.');
    await form.getByLabel('Compensating controls').fill('WAF virtual patch for the exploit path');
    await form.getByRole('button', { name: 'Submit request' }).click();
    await page.getByRole('heading', { name: new RegExp(`Finding ${overdue} \\(CVE-2026-8001 on shop-01\\)`) }).waitFor();
    expect(await page.getByRole('heading', { level: 1 }).textContent()).toContain('Requested');
    await expect.poll(() => page.getByText('You requested this exception: someone else decides it (separation of duties).').count()).toBe(1);
    expect(await page.getByRole('button', { name: 'Approve' }).count()).toBe(0);
    expect(await page.getByRole('button', { name: 'Reject' }).count()).toBe(0);
    await screenshot(page, 'exception-requested');
    await page.context().close();
  });

  it('an analyst approves it from the register; the finding is excepted', async () => {
    const page = await signIn(ANALYST);
    await page.goto(`${server.url}/exceptions?status=requested`);
    const table = page.getByRole('table', { name: 'Risk exceptions' });
    await table.getByRole('link', { name: new RegExp(`Finding ${overdue}`) }).click();
    await page.getByRole('button', { name: 'Approve' }).waitFor();
    await page.getByLabel('Note (required to reject)').fill('until the certified release');
    await page.getByRole('button', { name: 'Approve' }).click();
    await expect.poll(() => page.getByRole('status').textContent()).toContain('Approved.');
    expect(await page.getByRole('heading', { level: 1 }).textContent()).toContain('Approved');
    await expect.poll(() => page.getByText('1 open finding').count()).toBe(1);
    expect(await page.getByRole('button', { name: 'Revoke' }).count()).toBe(1);
    expect((await page.getByRole('list', { name: 'Exception history' }).textContent()) ?? '').toMatch(/approved by bob\.analyst: until the certified release/);
    expect((await findingRow(overdue)).exception_id).not.toBeNull();
    await screenshot(page, 'exception-approved');
    await page.goto(`${server.url}/exceptions?status=approved`);
    await expect.poll(() => page.getByRole('table', { name: 'Risk exceptions' }).textContent()).toContain('olga.owner');
    await page.context().close();
  });

  it('an SLA extension is requested with finding ids and approved by someone else', async () => {
    const owner = await signIn(OWNER);
    await owner.goto(`${server.url}/sla-extensions?findingIds=${other}`);
    const form = owner.getByRole('form', { name: 'Request an SLA extension' });
    expect(await form.getByLabel('Finding ids').inputValue()).toBe(other);
    await form.getByLabel('New due day').fill(inDays(200));
    await form.getByLabel('Incident').fill('INC-2026-042');
    await form.getByLabel('Justification').fill('Change freeze during the incident response');
    await form.getByRole('button', { name: 'Submit request' }).click();
    const table = owner.getByRole('table', { name: 'SLA extensions' });
    await expect.poll(() => table.textContent()).toContain('INC-2026-042');
    expect(await table.getByRole('button', { name: 'Approve' }).count()).toBe(0);
    expect(await table.getByRole('button', { name: 'Withdraw' }).count()).toBe(1);
    await owner.context().close();

    const analyst = await signIn(ANALYST);
    await analyst.goto(`${server.url}/sla-extensions?status=requested`);
    const decide = analyst.getByRole('form', { name: `Decide the extension to ${inDays(200)}` });
    await decide.getByLabel('Note').fill('approved for the incident');
    await decide.getByRole('button', { name: 'Approve' }).click();
    await analyst.goto(`${server.url}/sla-extensions?status=approved`);
    await expect.poll(() => analyst.getByRole('table', { name: 'SLA extensions' }).textContent()).toContain('approved for the incident');
    expect((await findingRow(other)).extended_due_at?.toISOString()).toBe(`${inDays(200)}T23:59:59.999Z`);
    expect((await findingRow(other)).due_at?.toISOString()).toBe(`${inDays(200)}T23:59:59.999Z`);
    await screenshot(analyst, 'sla-extension-approved');
    await analyst.context().close();
    expect(pageErrors).toEqual([]);
  });
  it("shows, on a vulnerability-wide exception, the findings on unsupported systems it cannot cover (LEG-3)", async () => {
    const requester = await userWithToken(server.database, 'security_analyst', 'alice.analyst');
    const approver = await userWithToken(server.database, 'security_analyst', 'sam.analyst');
    const api = (token: string, method: string, url: string, body?: unknown) =>
      fetch(`${server.url}${url}`, { method, headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' }, body: body === undefined ? undefined : JSON.stringify(body) });
    await vuln(server.database, 'CVE-2026-8003', 8.1);
    const made = await api(requester.token, 'POST', '/api/exceptions', {
      scope: 'vulnerability', vulnerabilityId: 'CVE-2026-8003', justification: 'Blocked at the WAF on every site.', riskOwnerId: approver.user.id, expiresOn: inDays(60),
    });
    expect(made.status).toBe(201);
    const id = ((await made.json()) as { id: string }).id;
    expect((await api(approver.token, 'POST', `/api/exceptions/${id}/approve`, {})).status).toBe(200);
    const old = await asset(server.database, 'old-shop-01', { osName: 'Debian GNU/Linux', osVersion: '9' });
    await refreshEvaluations(server.database.db, { assetIds: [old] });
    await finding(server.database, old, (await server.database.db.selectFrom('vulnerabilities').select('num').where('id', '=', 'CVE-2026-8003').executeTakeFirstOrThrow()).num, new Date());
    await processPriorityRequests(server.database.db);

    const page = await signIn(ANALYST);
    await page.goto(`${server.url}/exceptions/${id}`);
    const note = page.getByRole('note').filter({ hasText: 'Not covered' });
    await expect.poll(() => note.textContent()).toContain('Not covered: 1 open finding in its scope on unsupported systems');
    expect(await note.textContent()).toContain("needs senior management's own exception (LEG-3)");
    await page.context().close();
  });
});
