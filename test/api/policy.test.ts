import { sql } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DEFAULT_POLICY } from '../../src/domain/priority/index.js';
import { processPriorityRequests } from '../../src/services/priority/worker.js';
import { call, type TestApp, testApp, userWithToken } from '../support/app.js';

/**
 * The patch policy through the API (GOV-1, STK-4) and a finding's priority
 * explanation and register columns (VUL-4, VUL-5): versions with author and
 * reason, diffs, refusals that change nothing, acknowledgement, the register's
 * priority filters and sorts.
 */
let t: TestApp;
let admin: { token: string; user: { id: string } };
let analyst: { token: string; user: { id: string } };
let owner: { token: string; user: { id: string } };
let auditor: { token: string; user: { id: string } };
const f: Record<string, string> = {};

const versions = async () => (await sql<{ n: number }>`select count(*)::int as n from policy_versions`.execute(t.database.db)).rows[0]?.n;

beforeAll(async () => {
  t = await testApp();
  admin = await userWithToken(t.database, 'admin', 'pol-admin');
  analyst = await userWithToken(t.database, 'security_analyst', 'pol-analyst');
  owner = await userWithToken(t.database, 'system_owner', 'pol-owner');
  auditor = await userWithToken(t.database, 'auditor', 'pol-auditor');
  const db = t.database.db;
  const mk = async (hostname: string, over: Record<string, unknown>) =>
    (await call(t.app, admin.token, 'POST', '/api/assets', { hostname, environment: 'production', systemType: 'web_server', businessCriticality: 'medium', networkExposure: 'internal', ...over })).json().id as string;
  const shop = await mk('shop-01', { networkExposure: 'internet_facing', businessCriticality: 'critical', ownerUserId: owner.user.id });
  const batch = await mk('batch-01', { networkExposure: 'isolated', environment: 'test' });
  const vuln = async (id: string, cvss: number, kev?: string) =>
    (await db.insertInto('vulnerabilities').values({ id, cvss_score: cvss, cvss_version: '3.1', kev_date_added: kev ? '2026-10-01' : null, kev_due_date: kev ?? null, kev_ransomware: kev ? false : null, updated_at: new Date() } as never).returning('num').executeTakeFirstOrThrow()).num;
  const finding = async (asset: string, num: number, seen: string) =>
    String((await db.insertInto('findings').values({ asset_id: asset, vulnerability_num: num, name_id: 0, package_id: null, source: 'nessus', first_seen: new Date(seen), last_seen: new Date(seen) } as never).returning('id').executeTakeFirstOrThrow()).id);
  const rce = await vuln('CVE-2026-4242', 9.8, '2026-10-22');
  const low = await vuln('CVE-2026-0101', 3.1);
  f.shopRce = await finding(shop, rce, '2026-10-01T00:00:00Z');
  f.batchRce = await finding(batch, rce, '2026-10-01T00:00:00Z');
  f.shopLow = await finding(shop, low, '2026-12-01T00:00:00Z');
  await processPriorityRequests(db);
});
afterAll(async () => t?.close());

describe('policy versions', () => {
  it('starts at version 1, the product defaults, readable by every role', async () => {
    const r = await call(t.app, auditor.token, 'GET', '/api/policy');
    expect(r.statusCode).toBe(200);
    expect(r.json()).toMatchObject({ version: 1, author: { name: 'patchloop' }, document: DEFAULT_POLICY });
  });

  it('refuses an edit by a role without policy:write, an invalid document (naming the field), or no change — and changes nothing', async () => {
    const doc = structuredClone(DEFAULT_POLICY);
    doc.sla.critical = 5;
    expect((await call(t.app, analyst.token, 'PUT', '/api/policy', { document: doc, reason: 'tighter' })).statusCode).toBe(403);
    const bad = await call(t.app, admin.token, 'PUT', '/api/policy', { document: { ...doc, sla: { ...doc.sla, high: 0 } }, reason: 'oops' });
    expect(bad.statusCode).toBe(400);
    expect(JSON.stringify(bad.json())).toContain('sla.high');
    const hostile = await call(t.app, admin.token, 'PUT', '/api/policy', { document: { ...doc, __proto__: { x: 1 }, extra: '<script>' }, reason: 'x'.repeat(3000) });
    expect(hostile.statusCode).toBe(400);
    const same = await call(t.app, admin.token, 'PUT', '/api/policy', { document: DEFAULT_POLICY, reason: 'no change' });
    expect(same.statusCode).toBe(400);
    expect(same.json().detail).toContain('unchanged');
    // Edited from version 1 while someone else saved... (simulated: base version 7 is not the one in force).
    const stale = await call(t.app, admin.token, 'PUT', '/api/policy', { document: doc, reason: 'from an old tab', baseVersion: 7 });
    expect(stale.statusCode).toBe(409);
    expect(stale.json().detail).toContain('Version 1 was saved since you started editing version 7');
    const noReason = await call(t.app, admin.token, 'PUT', '/api/policy', { document: doc, reason: ' ' });
    expect(noReason.statusCode).toBe(400);
    expect(await versions()).toBe(1);
  });

  it('an edit is a new version with author and reason; versions list, read and compare; the audit trail has it', async () => {
    const doc = structuredClone(DEFAULT_POLICY);
    doc.sla.critical = 5;
    doc.approvals.exception = ['security_analyst'];
    const r = await call(t.app, admin.token, 'PUT', '/api/policy', { document: doc, reason: 'Board decision 2026-12: critical in 5 days', baseVersion: 1 });
    expect(r.statusCode, r.body).toBe(201);
    expect(r.json()).toMatchObject({ version: 2, reason: 'Board decision 2026-12: critical in 5 days', author: { id: admin.user.id, name: 'pol-admin' } });
    const list = (await call(t.app, owner.token, 'GET', '/api/policy/versions')).json();
    expect(list.map((v: any) => [v.version, v.changes])).toEqual([[2, 2], [1, 0]]);
    expect((await call(t.app, owner.token, 'GET', '/api/policy/versions/1')).json().document.sla.critical).toBe(7);
    expect((await call(t.app, owner.token, 'GET', '/api/policy/versions/9')).statusCode).toBe(404);
    const diff = (await call(t.app, owner.token, 'GET', '/api/policy/diff?from=1&to=2')).json();
    expect(diff.changes).toEqual([
      { path: 'sla.critical', before: 7, after: 5 },
      { path: 'approvals.exception', before: ['security_analyst', 'admin'], after: ['security_analyst'] },
    ]);
    expect((await call(t.app, owner.token, 'GET', '/api/policy/diff?from=1&to=abc')).statusCode).toBe(400);
    const a = await sql<{ action: string; entity_id: string }>`select action, entity_id from audit_log where action = 'policy.version'`.execute(t.database.db);
    expect(a.rows).toEqual([{ action: 'policy.version', entity_id: '2' }]);
    // The findings it changes record version 2 once the worker has run.
    await processPriorityRequests(t.database.db);
    const shop = (await call(t.app, owner.token, 'GET', `/api/findings/${f.shopRce}`)).json();
    expect([shop.priority, shop.emergency, shop.policyVersion]).toEqual(['critical', true, 1]);
  });
});

describe('acknowledgement (STK-4)', () => {
  it('records who read the version in force and lists who has not', async () => {
    expect((await call(t.app, owner.token, 'POST', '/api/policy/acknowledge', { version: 1 })).statusCode).toBe(400);
    const r = await call(t.app, owner.token, 'POST', '/api/policy/acknowledge', { version: 2 });
    expect(r.statusCode, r.body).toBe(200);
    expect(r.json().version).toBe(2);
    // Twice is fine: the first time counts.
    expect((await call(t.app, owner.token, 'POST', '/api/policy/acknowledge', {})).json().acknowledgedAt).toBe(r.json().acknowledgedAt);
    expect((await call(t.app, auditor.token, 'POST', '/api/policy/acknowledge', {})).statusCode).toBe(403);
    const list = (await call(t.app, admin.token, 'GET', '/api/policy/acknowledgements')).json();
    expect(list.version).toBe(2);
    const byName = Object.fromEntries(list.people.map((p: any) => [p.username, p.current]));
    expect(byName['pol-owner']).toBe(true);
    expect(byName['pol-analyst']).toBe(false);
    expect(byName['pol-auditor']).toBeUndefined();
    expect((await call(t.app, owner.token, 'GET', '/api/policy/acknowledgements')).statusCode).toBe(200);
  });
});

describe('priority in the register and its explanation', () => {
  it('explains the class with each factor and the due date with its history', async () => {
    const e = (await call(t.app, owner.token, 'GET', `/api/findings/${f.shopRce}/priority`)).json();
    expect(e.stored).toMatchObject({ priority: 'critical', emergency: true, slaState: 'overdue' });
    expect(e.current.factors.map((x: any) => x.factor)).toContain('Emergency (policy)');
    expect(e.current.factors.find((x: any) => x.factor === 'Known exploited (CISA KEV)').value).toBe('yes, CISA due 2026-10-22');
    expect(e.history[0]).toMatchObject({ basis: 'initial', trigger: 'policy version 1', priority: 'critical', emergency: true });
    // Detected 1 October, 3 emergency days (CISA's 22 October is later): due 4 October.
    expect(e.stored.dueAt).toBe('2026-10-04T00:00:00.000Z');
    expect((await call(t.app, owner.token, 'GET', '/api/findings/999999/priority')).statusCode).toBe(404);
    expect((await call(t.app, owner.token, 'GET', '/api/findings/1x/priority')).statusCode).toBe(400);
  });

  it('filters by priority, SLA state, emergency, due date and "mine", and sorts by due date', async () => {
    const ids = async (qs: string, token = owner.token) => {
      const r = await call(t.app, token, 'GET', `/api/findings?${qs}`);
      expect(r.statusCode, r.body).toBe(200);
      return r.json().items.map((x: any) => x.id).sort();
    };
    // 9.8 + KEV 2 − isolated 1.5 − test 1 = 9.3: batch-01's is critical too, but no emergency (isolated).
    expect(await ids('priority=critical')).toEqual([f.batchRce, f.shopRce].sort());
    expect(await ids('priority=medium,low')).toEqual([f.shopLow]);
    expect(await ids('emergency=true')).toEqual([f.shopRce]);
    expect(await ids('slaState=overdue')).toEqual([f.batchRce, f.shopRce].sort());
    expect(await ids('slaState=on_track,due_soon')).toEqual([f.shopLow]);
    expect(await ids('dueBefore=2026-10-22')).toEqual([f.batchRce, f.shopRce].sort());
    expect(await ids('mine=true')).toEqual([f.shopLow, f.shopRce].sort());
    expect(await ids('mine=true', analyst.token)).toEqual([]);
    const sorted = (await call(t.app, owner.token, 'GET', '/api/findings?sort=dueAt&limit=2')).json();
    expect(sorted.items.map((x: any) => x.id)).toEqual([f.shopRce, f.batchRce]);
    const next = (await call(t.app, owner.token, 'GET', `/api/findings?sort=dueAt&limit=2&cursor=${sorted.nextCursor}`)).json();
    expect(next.items.map((x: any) => x.id)).toEqual([f.shopLow]);
    const byPriority = (await call(t.app, owner.token, 'GET', '/api/findings?sort=priority')).json();
    expect(byPriority.items.map((x: any) => x.priority)).toEqual(['critical', 'critical', 'medium']);
    expect((await call(t.app, owner.token, 'GET', '/api/findings?slaState=late')).statusCode).toBe(400);
    expect((await call(t.app, owner.token, 'GET', '/api/findings?dueBefore=2026-02-30')).statusCode).toBe(400);
  });

  it('counts the overdue figures by class and SLA state, excepted findings apart, with the register\'s filters', async () => {
    const summary = async (qs: string, token = owner.token) => {
      const r = await call(t.app, token, 'GET', `/api/findings/sla-summary${qs ? `?${qs}` : ''}`);
      expect(r.statusCode, r.body).toBe(200);
      return r.json();
    };
    const all = await summary('');
    expect(all.byPriority.map((c: any) => c.priority)).toEqual(['critical', 'high', 'medium', 'low', 'informational']);
    expect(all.byPriority[0]).toMatchObject({ total: 2, overdue: 2, excepted: 0, emergencies: 1 });
    expect(all.byPriority[2].total).toBe(1);
    expect(all.byPriority[2].onTrack + all.byPriority[2].dueSoon).toBe(1);
    expect(all.totals).toMatchObject({ total: 3, overdue: 2, emergencies: 1 });
    expect(all).toMatchObject({ policyVersion: expect.any(Number), unprioritised: 0 });
    expect((await summary('mine=true')).byPriority[0]).toMatchObject({ total: 1, overdue: 1, emergencies: 1 });
    expect((await summary('mine=true', analyst.token)).totals.total).toBe(0);
    expect((await summary('environment=test')).totals).toMatchObject({ total: 1, overdue: 1, emergencies: 0 });
    // A finding a risk exception covers leaves the overdue figure and is counted as excepted.
    await sql`update findings set exception_id = gen_random_uuid() where id = ${f.batchRce}::bigint`.execute(t.database.db);
    try {
      expect((await summary('')).byPriority[0]).toMatchObject({ total: 2, overdue: 1, excepted: 1 });
    } finally {
      await sql`update findings set exception_id = null where id = ${f.batchRce}::bigint`.execute(t.database.db);
    }
    // It counts open findings in every state: status and slaState are refused, naming the parameter.
    for (const bad of ['status=open', 'slaState=overdue', 'environment=moon']) {
      const r = await call(t.app, owner.token, 'GET', `/api/findings/sla-summary?${bad}`);
      expect(r.statusCode, bad).toBe(400);
      expect(r.body, bad).toContain(bad.split('=')[0]);
    }
  });

  it('exports the priority columns as CSV', async () => {
    const r = await call(t.app, owner.token, 'GET', `/api/findings/export.csv?ids=${f.shopRce}`);
    expect(r.statusCode, r.body).toBe(200);
    const [head, row] = r.body.trim().split('\n');
    const cols = head?.split(',') ?? [];
    const cells = row?.split(',') ?? [];
    const at = (c: string) => cells[cols.indexOf(c)];
    expect([at('priority'), at('emergency'), at('due_at'), at('sla_state'), at('policy_version')]).toEqual(['critical', 'yes', '2026-10-04T00:00:00.000Z', 'overdue', '1']);
  });
});
