import { randomUUID } from 'node:crypto';
import { sql } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DEFAULT_POLICY } from '../../src/domain/priority/index.js';
import { refreshEvaluations } from '../../src/services/eol/evaluation.js';
import { applyExceptionCoverage, expireExceptions } from '../../src/services/exceptions/exceptions.service.js';
import { sendReviewReminders } from '../../src/services/exceptions/reminders.js';
import { processPriorityRequests } from '../../src/services/priority/worker.js';
import { call, type TestApp, testApp } from '../support/app.js';
import { asset, DAY, finding, inDays, people, TODAY, vuln } from './support.js';

/**
 * Risk exceptions through the REST API on a real database (VUL-7, LEG-3,
 * LEG-5, GOV-3): who may decide (the policy's roles, never the requester,
 * senior management for unsupported systems), coverage of findings and their
 * return with a fresh due date on expiry, revocation or a rejected renewal,
 * re-reviews, the register and its CSV export, and bad input changing nothing.
 */
let t: TestApp;
let p: Awaited<ReturnType<typeof people>>;
const detected = new Date(Date.now() - 40 * DAY);
let web: string;
let legacy: string;
let spare: string;
const f = {} as { webCrit: string; webMed: string; spareMed: string; legacyA: string; legacyB: string; web1005: string };
const nums: Record<string, number> = {};

const get = (token: string, url: string) => call(t.app, token, 'GET', url);
const post = (token: string, url: string, body?: unknown) => call(t.app, token, 'POST', url, body ?? {});
const findingOf = async (id: string) => (await get(p.bob.token, `/api/findings/${id}`)).json();
const row = (id: string) => t.database.db.selectFrom('findings').selectAll().where('id', '=', id).executeTakeFirstOrThrow();
const counts = async () => {
  const r = await sql<{ e: number; a: number; covered: number }>`select (select count(*)::int from risk_exceptions) as e, (select count(*)::int from audit_log) as a,
    (select count(*)::int from findings where exception_id is not null) as covered`.execute(t.database.db);
  return r.rows[0];
};
const base = () => ({ justification: 'The vendor fix breaks the payment gateway; patch planned with the Q3 upgrade.', compensatingControls: 'WAF rule 9001 blocks the exploit path', riskOwnerId: p.sam.id, expiresOn: inDays(90) });

async function request(token: string, body: Record<string, unknown>) {
  const r = await post(token, '/api/exceptions', { ...base(), ...body });
  expect(r.statusCode, r.body).toBe(201);
  return r.json() as { id: string; status: string; unsupportedSystem: boolean; version: number };
}

beforeAll(async () => {
  t = await testApp();
  p = await people(t.database, 'x-');
  web = await asset(t.database, 'web-01', { networkExposure: 'internet_facing' });
  legacy = await asset(t.database, 'legacy-01', { osName: 'Debian GNU/Linux', osVersion: '9' });
  spare = await asset(t.database, 'spare-01');
  for (const [id, cvss] of [['CVE-2026-1001', 9.8], ['CVE-2026-1002', 5.0], ['CVE-2026-1003', 7.5], ['CVE-2026-1004', 9.1], ['CVE-2026-1005', 6.0]] as const) nums[id] = await vuln(t.database, id, cvss);
  f.webCrit = await finding(t.database, web, nums['CVE-2026-1001'] as number, detected);
  f.webMed = await finding(t.database, web, nums['CVE-2026-1002'] as number, detected);
  f.spareMed = await finding(t.database, spare, nums['CVE-2026-1002'] as number, detected);
  f.legacyA = await finding(t.database, legacy, nums['CVE-2026-1003'] as number, detected);
  f.legacyB = await finding(t.database, legacy, nums['CVE-2026-1004'] as number, detected);
  f.web1005 = await finding(t.database, web, nums['CVE-2026-1005'] as number, detected);
  await processPriorityRequests(t.database.db);
});
afterAll(async () => t?.close());

describe('separation of duties and the policy’s approval roles', () => {
  let id: string;
  it('the requester cannot approve, even as admin; roles the policy does not name cannot either', async () => {
    id = (await request(p.root.token, { scope: 'finding', findingId: f.webCrit })).id;
    const before = await counts();
    const own = await post(p.root.token, `/api/exceptions/${id}/approve`);
    expect(own.statusCode).toBe(403);
    expect(own.json().detail).toMatch(/You requested this exception, so someone else must approve it \(separation of duties\)/);
    const approver = await post(p.carol.token, `/api/exceptions/${id}/approve`);
    expect(approver.statusCode).toBe(403);
    expect(approver.json().detail).toMatch(/only Security analyst or Administrator approve a risk exception; your role is Change approver/);
    expect((await post(p.olga.token, `/api/exceptions/${id}/approve`)).statusCode).toBe(403); // system owners may ask, never grant
    expect((await post(p.audrey.token, `/api/exceptions/${id}/approve`)).statusCode).toBe(403);
    expect((await post(p.root.token, `/api/exceptions/${id}/reject`, { note: 'changed my mind' })).statusCode).toBe(403);
    expect(await counts()).toEqual(before);
    const seen = (await get(p.root.token, `/api/exceptions/${id}`)).json();
    expect(seen).toMatchObject({ status: 'requested', allowed: { approve: false, reject: false, revoke: false, review: false }, approverRoles: ['security_analyst', 'admin'] });
    expect((await get(p.bob.token, `/api/exceptions/${id}`)).json().allowed).toEqual({ approve: true, reject: true, revoke: false, review: false });
  });

  it('covered findings leave the overdue figures while the exception holds', async () => {
    expect((await findingOf(f.webCrit)).slaState).toBe('overdue');
    const r = await post(p.bob.token, `/api/exceptions/${id}/approve`, { note: 'until the Q3 upgrade', version: 1 });
    expect(r.statusCode, r.body).toBe(200);
    expect(r.json()).toMatchObject({ status: 'approved', decidedBy: { id: p.bob.id, name: 'x-bob' }, policyVersion: 1, coveredFindings: 1, nextReviewOn: inDays(90), version: 2 });
    expect(await findingOf(f.webCrit)).toMatchObject({ slaState: 'excepted', exceptionId: id });
    const overdue = (await get(p.bob.token, '/api/findings?slaState=overdue&limit=100')).json().items.map((x: { id: string }) => x.id);
    expect(overdue).not.toContain(f.webCrit);
    expect((await get(p.bob.token, '/api/findings?slaState=excepted')).json().items.map((x: { id: string }) => x.id)).toEqual([f.webCrit]);
    expect((await get(p.bob.token, `/api/findings?exceptionId=${id}&status=open,resolved`)).json().items.map((x: { id: string }) => x.id)).toEqual([f.webCrit]);
    expect((await get(p.bob.token, `/api/findings?exceptionId=${randomUUID()}`)).json().items).toEqual([]);
    const history = (await findingOf(f.webCrit)).history.map((h: { reason: string }) => h.reason);
    expect(history.at(-1)).toMatch(new RegExp(`covered by risk exception ${id} \\(finding scope\\) until ${inDays(90)}`));
  });

  it('a decision on a changed or decided exception is refused (optimistic locking, states)', async () => {
    expect((await post(p.bob.token, `/api/exceptions/${id}/approve`)).statusCode).toBe(409);
    const stale = await post(p.sam.token, `/api/exceptions/${id}/revoke`, { reason: 'stale view', version: 1 });
    expect(stale.statusCode).toBe(409);
    expect(stale.json().errors).toEqual([{ field: 'body.version', message: 'is 2 now' }]);
  });

  it('revocation brings the findings back with a fresh due date and a line in their history', async () => {
    const before = await row(f.webCrit);
    const r = await post(p.sam.token, `/api/exceptions/${id}/revoke`, { reason: 'WAF rule removed in the migration' });
    expect(r.statusCode, r.body).toBe(200);
    expect(r.json()).toMatchObject({ status: 'revoked', coveredFindings: 0, endReason: 'WAF rule removed in the migration' });
    const after = await row(f.webCrit);
    expect(after.exception_id).toBeNull();
    expect(after.sla_start?.getTime()).toBeGreaterThan(before.due_at?.getTime() as number);
    // Critical: 7 days from the revocation.
    expect((after.due_at?.getTime() as number) - (after.sla_start?.getTime() as number)).toBe(7 * DAY);
    expect((await findingOf(f.webCrit)).slaState).toBe('on_track');
    const history = (await findingOf(f.webCrit)).history.map((h: { reason: string }) => h.reason);
    expect(history.at(-1)).toBe(`risk exception ${id} revoked: WAF rule removed in the migration: back in the SLA figures with a fresh due date`);
    const prio = (await get(p.bob.token, `/api/findings/${f.webCrit}/priority`)).json().history.at(-1);
    expect(prio).toMatchObject({ basis: 'initial', trigger: `risk exception ${id} revoked` });
    const detail = (await get(p.bob.token, `/api/exceptions/${id}`)).json();
    expect(detail.history.map((h: { event: string; actor: string }) => `${h.event} ${h.actor}`)).toEqual(['requested x-root', 'approved x-bob', 'revoked x-sam']);
  });

  it('senior management, and only it, accepts the risk of an unsupported system (LEG-3)', async () => {
    const e = await request(p.alice.token, { scope: 'asset', assetId: legacy, riskOwnerId: p.sam.id });
    expect(e.unsupportedSystem).toBe(true);
    const analyst = await post(p.bob.token, `/api/exceptions/${e.id}/approve`);
    expect(analyst.statusCode).toBe(403);
    expect(analyst.json().detail).toMatch(/only Senior management \(risk owner\) approve a risk exception for an unsupported system/);
    expect((await post(p.root.token, `/api/exceptions/${e.id}/approve`)).statusCode).toBe(403);
    const r = await post(p.sam.token, `/api/exceptions/${e.id}/approve`);
    expect(r.statusCode, r.body).toBe(200);
    expect(r.json()).toMatchObject({ status: 'approved', coveredFindings: 2, approverRoles: ['senior_manager'] });
    expect((await findingOf(f.legacyA)).slaState).toBe('excepted');
    expect((await findingOf(f.legacyB)).slaState).toBe('excepted');
  });

  it('changing the policy’s approval roles changes who may decide', async () => {
    const doc = structuredClone(DEFAULT_POLICY);
    doc.approvals.exception = ['change_approver'];
    const v = await call(t.app, p.root.token, 'PUT', '/api/policy', { document: doc, reason: 'Change board decides exceptions' });
    expect(v.statusCode, v.body).toBe(201);
    const e = await request(p.alice.token, { scope: 'vulnerability', vulnerabilityId: 'CVE-2026-1005' });
    expect((await post(p.bob.token, `/api/exceptions/${e.id}/approve`)).statusCode).toBe(403);
    const r = await post(p.carol.token, `/api/exceptions/${e.id}/approve`);
    expect(r.statusCode, r.body).toBe(200);
    expect(r.json()).toMatchObject({ policyVersion: 2, approverRoles: ['change_approver'] });
    const back = await call(t.app, p.root.token, 'PUT', '/api/policy', { document: DEFAULT_POLICY, reason: 'Analysts decide again' });
    expect(back.statusCode).toBe(201);
    await processPriorityRequests(t.database.db);
  });
});

describe('coverage over time', () => {
  it('an exception that expires reactivates its findings with a fresh due date', async () => {
    const e = await request(p.alice.token, { scope: 'vulnerability', vulnerabilityId: 'CVE-2026-1002', expiresOn: inDays(1), reviewIntervalDays: 30 });
    expect((await post(p.bob.token, `/api/exceptions/${e.id}/approve`)).statusCode).toBe(200);
    expect((await row(f.webMed)).exception_id).toBe(e.id);
    expect((await row(f.spareMed)).exception_id).toBe(e.id);
    // Not yet: the last day has not passed.
    expect(await expireExceptions(t.database.db, new Date(`${inDays(1)}T23:00:00Z`))).toEqual({ expired: 0, released: 0 });
    const later = new Date(`${inDays(2)}T06:00:00Z`);
    expect(await expireExceptions(t.database.db, later)).toEqual({ expired: 1, released: 2 });
    for (const id of [f.webMed, f.spareMed] as string[]) {
      const after = await row(id);
      expect(after.exception_id).toBeNull();
      expect(after.sla_start?.toISOString()).toBe(later.toISOString());
      expect(after.prioritised_at).not.toBeNull();
      expect(after.due_at?.getTime()).toBe(later.getTime() + (after.sla_days as number) * DAY);
      const events = (await findingOf(id)).history.map((h: { reason: string }) => h.reason);
      expect(events.at(-1)).toBe(`risk exception ${e.id} expired (last day ${inDays(1)}): back in the SLA figures with a fresh due date`);
      expect((await get(p.bob.token, `/api/findings/${id}/priority`)).json().history.at(-1)).toMatchObject({ basis: 'initial', trigger: `risk exception ${e.id} expired` });
    }
    const detail = (await get(p.bob.token, `/api/exceptions/${e.id}`)).json();
    expect(detail).toMatchObject({ status: 'expired', coveredFindings: 0, endReason: `expired after ${inDays(1)}` });
    const audit = (await get(p.root.token, `/api/audit?entityType=risk_exception&entityId=${e.id}`)).json().items.map((a: { action: string }) => a.action);
    expect(audit).toEqual(['exception.expire', 'exception.approve', 'exception.request']);
  });

  it('findings that appear later under a valid vulnerability-scope exception get covered; listed assets limit it', async () => {
    const num = await vuln(t.database, 'CVE-2026-2001', 8.8);
    const e = await request(p.alice.token, { scope: 'vulnerability', vulnerabilityId: 'CVE-2026-2001', assetIds: [web] });
    expect((await post(p.bob.token, `/api/exceptions/${e.id}/approve`)).json().coveredFindings).toBe(0);
    const onWeb = await finding(t.database, web, num, new Date());
    const onSpare = await finding(t.database, spare, num, new Date());
    // Their first prioritisation covers them at once (the worker runs coverage after the "detected" pass).
    await processPriorityRequests(t.database.db);
    expect((await findingOf(onWeb)).slaState).toBe('excepted');
    expect((await row(onSpare)).exception_id).toBeNull(); // spare-01 is not listed
    expect(await applyExceptionCoverage(t.database.db)).toEqual({ covered: 0 });
    const audit = (await get(p.root.token, `/api/audit?entityType=risk_exception&entityId=${e.id}`)).json().items[0];
    expect(audit).toMatchObject({ action: 'exception.cover', after: { newlyCovered: 1 } });
  });

  it('a vulnerability-wide exception approved without senior management does not reach an unsupported system found later (LEG-3)', async () => {
    const num = await vuln(t.database, 'CVE-2026-2002', 8.1);
    const e = await request(p.alice.token, { scope: 'vulnerability', vulnerabilityId: 'CVE-2026-2002' });
    expect(e.unsupportedSystem).toBe(false);
    expect((await post(p.bob.token, `/api/exceptions/${e.id}/approve`)).statusCode).toBe(200);
    // A host new to the register after the approval, on Debian 9 (unsupported), evaluated as the end-of-life job does.
    const old = await asset(t.database, 'old-02', { osName: 'Debian GNU/Linux', osVersion: '9' });
    expect(await refreshEvaluations(t.database.db, { assetIds: [old] })).toBe(1);
    const onWeb = await finding(t.database, web, num, new Date());
    const onLegacy = await finding(t.database, old, num, new Date());
    await processPriorityRequests(t.database.db);
    expect((await row(onWeb)).exception_id).toBe(e.id);
    expect((await row(onLegacy)).exception_id).toBeNull();
    expect((await findingOf(onLegacy)).slaState).not.toBe('excepted');
    // The exception says so, lest anyone take that finding for accepted.
    expect((await get(p.bob.token, `/api/exceptions/${e.id}`)).json()).toMatchObject({ coveredFindings: 1, uncoveredUnsupported: 1 });
    // Senior management's exception for the unsupported host covers it.
    const own = await request(p.alice.token, { scope: 'finding', findingId: onLegacy });
    expect(own.unsupportedSystem).toBe(true);
    expect((await post(p.sam.token, `/api/exceptions/${own.id}/approve`)).json().coveredFindings).toBe(1);
    expect((await row(onLegacy)).exception_id).toBe(own.id);
    expect((await get(p.bob.token, `/api/exceptions/${e.id}`)).json()).toMatchObject({ coveredFindings: 1, uncoveredUnsupported: 0 });
  });

  it('a renewal takes the findings over; a rejected renewal ends the exception it would renew', async () => {
    const num = await vuln(t.database, 'CVE-2026-3001', 9.0);
    const fid = await finding(t.database, spare, num, detected);
    await processPriorityRequests(t.database.db);
    const first = await request(p.alice.token, { scope: 'finding', findingId: fid, expiresOn: inDays(30) });
    await post(p.bob.token, `/api/exceptions/${first.id}/approve`);
    const due = (await row(fid)).due_at;
    const renewal = await request(p.alice.token, { scope: 'finding', findingId: fid, expiresOn: inDays(120), renews: first.id });
    expect((await post(p.bob.token, `/api/exceptions/${renewal.id}/approve`)).json()).toMatchObject({ status: 'approved', coveredFindings: 1, renews: first.id });
    expect((await get(p.bob.token, `/api/exceptions/${first.id}`)).json()).toMatchObject({ status: 'expired', endReason: `renewed by risk exception ${renewal.id}` });
    expect(await row(fid)).toMatchObject({ exception_id: renewal.id, due_at: due }); // covered throughout: no fresh clock

    const second = await request(p.alice.token, { scope: 'finding', findingId: fid, expiresOn: inDays(200), renews: renewal.id });
    const r = await post(p.bob.token, `/api/exceptions/${second.id}/reject`, { note: 'the upgrade is overdue; no further acceptance' });
    expect(r.json()).toMatchObject({ status: 'rejected', decisionNote: 'the upgrade is overdue; no further acceptance' });
    expect((await get(p.bob.token, `/api/exceptions/${renewal.id}`)).json()).toMatchObject({ status: 'revoked', endReason: `renewal ${second.id} rejected by x-bob: the upgrade is overdue; no further acceptance` });
    const after = await row(fid);
    expect(after.exception_id).toBeNull();
    expect(after.due_at?.getTime()).toBeGreaterThan(Date.now() + 6 * DAY); // critical: a fresh 7 days
  });

  it('re-review records the review and moves the next date; reminders go to the risk owner and the requester once', async () => {
    const e = await request(p.olga.token, { scope: 'finding', findingId: f.web1005, riskOwnerId: p.sam.id, expiresOn: inDays(300), reviewIntervalDays: 20 });
    // The policy above named change approvers for one version; the default is back: analysts decide.
    await post(p.bob.token, `/api/exceptions/${e.id}/approve`);
    expect((await get(p.bob.token, `/api/exceptions/${e.id}`)).json()).toMatchObject({ nextReviewOn: inDays(20), reviewDue: false });
    expect(await sendReviewReminders(t.database.db, new Date())).toEqual({ reminded: 0 });
    expect(await sendReviewReminders(t.database.db, new Date(Date.now() + 7 * DAY))).toEqual({ reminded: 1 });
    expect(await sendReviewReminders(t.database.db, new Date(Date.now() + 8 * DAY))).toEqual({ reminded: 0 });
    const reminder = (await get(p.root.token, `/api/audit?entityType=risk_exception&entityId=${e.id}&action=exception.review_reminder`)).json().items[0];
    expect(reminder.after).toEqual({ reviewDue: inDays(20), notified: [p.sam.id, p.olga.id] });
    expect((await get(p.bob.token, '/api/exceptions?reviewDue=true')).json().total).toBe(0);
    await sql`update risk_exceptions set next_review_on = ${inDays(-1)}::date where id = ${e.id}::uuid`.execute(t.database.db);
    expect((await get(p.bob.token, '/api/exceptions?reviewDue=true')).json().items.map((x: { id: string }) => x.id)).toEqual([e.id]);

    expect((await post(p.olga.token, `/api/exceptions/${e.id}/review`, { note: 'still needed' })).statusCode).toBe(403); // the requester
    const r = await post(p.sam.token, `/api/exceptions/${e.id}/review`, { note: 'WAF rule verified; still needed' }); // the risk owner
    expect(r.statusCode, r.body).toBe(200);
    expect(r.json()).toMatchObject({ nextReviewOn: inDays(20), reviewDue: false });
    expect(r.json().history.at(-1)).toMatchObject({ event: 'reviewed', actor: 'x-sam', note: 'WAF rule verified; still needed' });
    expect((await get(p.bob.token, '/api/exceptions?reviewDue=true')).json().total).toBe(0);
  });
});

describe('the register and its export', () => {
  it('filters by status, scope, asset, vulnerability and expiry', async () => {
    const ids = async (q: string) => ((await get(p.audrey.token, `/api/exceptions?${q}`)).json().items as { id: string; scope: string; status: string }[]);
    expect((await ids('status=approved')).every((e) => e.status === 'approved')).toBe(true);
    expect((await ids('scope=asset')).map((e) => e.scope)).toEqual(['asset']);
    expect((await ids(`assetId=${legacy}`)).map((e) => e.scope)).toEqual(['asset']);
    // spare-01: CVE-2026-1002 on every asset (it has that finding) and three of its own findings; not CVE-2026-2001, limited to web-01.
    expect((await ids(`assetId=${spare}`)).map((e) => e.scope).sort()).toEqual(['finding', 'finding', 'finding', 'vulnerability']);
    expect((await ids('vulnerabilityId=CVE-2026-1002')).map((e) => e.status)).toEqual(['expired']);
    expect((await ids('vulnerabilityId=CVE-1999-0001')).length).toBe(0);
    expect((await ids('expiringWithinDays=31')).every((e) => e.status === 'approved')).toBe(true);
    const page = (await get(p.audrey.token, '/api/exceptions?limit=2&offset=1')).json();
    expect(page.items.length).toBe(2);
    expect(page.total).toBeGreaterThan(5);
    expect((await get(p.audrey.token, '/api/exceptions?status=pending')).statusCode).toBe(400);
  });

  it('exports CSV with the list filters, formulas defused', async () => {
    const e = await request(p.alice.token, { scope: 'finding', findingId: f.webCrit, justification: '=HYPERLINK("http://evil.example","click") is not a reason', compensatingControls: '@SUM(A1)' });
    const res = await get(p.audrey.token, '/api/exceptions/export.csv?status=requested');
    expect(res.statusCode).toBe(200);
    expect(res.headers['content-type']).toMatch(/^text\/csv/);
    const lines = res.body.trimEnd().split('\n');
    expect(lines[0]).toBe('id,status,scope,finding_id,vulnerability,asset,assets,unsupported_system,justification,compensating_controls,risk_owner,requested_by,requested_at,decided_by,decided_at,decision_note,policy_version,expires_on,review_interval_days,next_review_on,last_reviewed_at,review_due,covered_findings,renews,ended_at,end_reason');
    expect(lines).toHaveLength(2);
    expect(lines[1]).toContain(`${e.id},requested,finding,${f.webCrit},CVE-2026-1001,web-01,,,"'=HYPERLINK(""http://evil.example"",""click"") is not a reason",'@SUM(A1),x-sam,x-alice,`);
    expect(lines[1]).toContain(`,${inDays(90)},365,,,,0,,,`);
    const all = await get(p.audrey.token, '/api/exceptions/export.csv');
    expect(all.body.trimEnd().split('\n').length - 1).toBe((await get(p.audrey.token, '/api/exceptions')).json().total);
    expect((await get(p.audrey.token, '/api/exceptions/export.csv?scope=bogus')).statusCode).toBe(400);
  });
});

describe('bad input changes nothing', () => {
  const cases: [string, Record<string, unknown>, number, RegExp][] = [
    ['expiry in the past', { scope: 'finding', expiresOn: inDays(-1) }, 422, /body\.expiresOn must be after today/],
    ['expiry today', { scope: 'finding', expiresOn: TODAY }, 422, /body\.expiresOn must be after today/],
    ['expiry beyond maxDays', { scope: 'finding', expiresOn: inDays(366) }, 422, /body\.expiresOn must be at most 365 days/],
    ['review interval beyond the policy', { scope: 'finding', reviewIntervalDays: 400 }, 422, /body\.reviewIntervalDays must be at most 365 days/],
    ['unknown finding', { scope: 'finding', findingId: '999999999' }, 422, /body\.findingId there is no finding 999999999/],
    ['unknown vulnerability', { scope: 'vulnerability', findingId: undefined, vulnerabilityId: 'CVE-1999-0001' }, 422, /body\.vulnerabilityId there is no vulnerability CVE-1999-0001/],
    ['unknown asset', { scope: 'asset', findingId: undefined, assetId: '00000000-0000-4000-8000-000000000000' }, 422, /body\.assetId there is no asset/],
    ['unknown listed asset', { scope: 'vulnerability', findingId: undefined, vulnerabilityId: 'CVE-2026-1001', assetIds: ['00000000-0000-4000-8000-000000000000'] }, 422, /body\.assetIds\.0 there is no asset/],
    ['an auditor as risk owner', { scope: 'finding', riskOwnerId: 'AUDITOR' }, 422, /body\.riskOwnerId must be a person who can carry a risk, not an auditor/],
    ['unknown risk owner', { scope: 'finding', riskOwnerId: '00000000-0000-4000-8000-000000000000' }, 422, /body\.riskOwnerId there is no user/],
    ['renewing a request', { scope: 'finding', renews: 'REQUESTED' }, 422, /body\.renews exception .* is requested: only an approved exception can be renewed/],
    ['empty justification', { scope: 'finding', justification: '          ' }, 400, /body\.justification say why the risk is accepted/],
    ['oversized justification', { scope: 'finding', justification: 'x'.repeat(4001) }, 400, /body\.justification must be at most 4000 characters/],
    ['oversized controls', { scope: 'finding', compensatingControls: 'y'.repeat(4001) }, 400, /body\.compensatingControls must be at most 4000 characters/],
    ['control characters', { scope: 'finding', justification: 'fine reason\u0007with a bell' }, 400, /must not contain control characters/],
    ['finding scope naming an asset', { scope: 'finding', assetId: '00000000-0000-4000-8000-000000000000' }, 400, /body\.assetId is not allowed with scope finding/],
    ['asset scope without an asset', { scope: 'asset', findingId: undefined }, 400, /body\.assetId is required with scope asset/],
    ['vulnerability scope with a finding', { scope: 'vulnerability', vulnerabilityId: 'CVE-2026-1001' }, 400, /body\.findingId is not allowed with scope vulnerability/],
    ['an unknown field', { scope: 'finding', approvedBy: 'me' }, 400, /approvedBy/],
    ['a bad date', { scope: 'finding', expiresOn: '2026-13-45' }, 400, /body\.expiresOn must be a date/],
  ];
  it.each(cases)('%s', async (_name, over, status, message) => {
    const requested = (await get(p.bob.token, '/api/exceptions?status=requested&limit=1')).json().items[0].id;
    const body = { ...base(), findingId: f.webMed, ...over } as Record<string, unknown>;
    if (body.riskOwnerId === 'AUDITOR') body.riskOwnerId = p.audrey.id;
    if (body.renews === 'REQUESTED') body.renews = requested;
    const before = await counts();
    const r = await post(p.alice.token, '/api/exceptions', body);
    expect(r.statusCode, r.body).toBe(status);
    expect(r.json().detail).toMatch(message);
    expect(await counts()).toEqual(before);
  });

  it('decisions with bad input or on unknown exceptions change nothing', async () => {
    const e = await request(p.alice.token, { scope: 'finding', findingId: f.webMed });
    const before = await counts();
    expect((await post(p.bob.token, `/api/exceptions/${e.id}/reject`, { note: '' })).statusCode).toBe(400);
    expect((await post(p.bob.token, `/api/exceptions/${e.id}/reject`, { note: 'n'.repeat(2001) })).statusCode).toBe(400);
    expect((await post(p.bob.token, `/api/exceptions/${e.id}/approve`, { note: 'ok', sneaky: true })).statusCode).toBe(400);
    expect((await post(p.bob.token, `/api/exceptions/${e.id}/revoke`, { reason: 'not approved yet' })).statusCode).toBe(409);
    expect((await post(p.bob.token, `/api/exceptions/${e.id}/review`, { note: 'not approved yet' })).statusCode).toBe(409);
    expect((await post(p.bob.token, '/api/exceptions/00000000-0000-4000-8000-000000000000/approve')).statusCode).toBe(404);
    expect((await post(p.bob.token, '/api/exceptions/not-a-uuid/approve')).statusCode).toBe(400);
    expect((await get(p.bob.token, '/api/exceptions/00000000-0000-4000-8000-000000000000')).statusCode).toBe(404);
    expect(await counts()).toEqual(before);
  });

  it('an expiry that passed before the decision cannot be approved', async () => {
    const e = await request(p.alice.token, { scope: 'finding', findingId: f.webMed, expiresOn: inDays(5) });
    await sql`update risk_exceptions set expires_on = ${inDays(-1)}::date where id = ${e.id}::uuid`.execute(t.database.db);
    const before = await counts();
    const r = await post(p.bob.token, `/api/exceptions/${e.id}/approve`);
    expect(r.statusCode).toBe(409);
    expect(r.json().detail).toMatch(/cannot be approved: its last day .* must be after today/);
    expect(await counts()).toEqual(before);
  });
});
