import { sql } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { processPriorityRequests } from '../../src/services/priority/worker.js';
import { call, type TestApp, testApp } from '../support/app.js';
import { asset, DAY, finding, inDays, people, TODAY, vuln } from './support.js';

/**
 * SLA extensions through the REST API (INC-3: SLAs adjusted during an
 * incident only with justification and approval): approval by a role the
 * policy names and never the requester moves the due date and shows on the
 * finding; bad input and refused decisions change nothing.
 */
let t: TestApp;
let p: Awaited<ReturnType<typeof people>>;
const f = {} as { a: string; b: string; c: string };
const detected = new Date(Date.now() - 2 * DAY);

const get = (token: string, url: string) => call(t.app, token, 'GET', url);
const post = (token: string, url: string, body?: unknown) => call(t.app, token, 'POST', url, body ?? {});
const row = (id: string) => t.database.db.selectFrom('findings').selectAll().where('id', '=', id).executeTakeFirstOrThrow();
const counts = async () => {
  const r = await sql<{ x: number; xf: number; a: number; r: number }>`select (select count(*)::int from sla_extensions) as x, (select count(*)::int from sla_extension_findings) as xf,
    (select count(*)::int from audit_log) as a, (select count(*)::int from findings where extended_due_at is not null) as r`.execute(t.database.db);
  return r.rows[0];
};
const body = (over: Record<string, unknown> = {}) => ({
  findingIds: [f.a, f.b], newDueOn: inDays(60), justification: 'Change freeze during the ransomware incident response', incidentRef: 'INC-2026-042', ...over,
});

beforeAll(async () => {
  t = await testApp();
  p = await people(t.database, 'y-');
  const web = await asset(t.database, 'web-02');
  const db = await asset(t.database, 'db-02');
  const n = await vuln(t.database, 'CVE-2026-4001', 9.8);
  const m = await vuln(t.database, 'CVE-2026-4002', 7.2);
  f.a = await finding(t.database, web, n, detected);
  f.b = await finding(t.database, db, m, detected);
  f.c = await finding(t.database, db, n, detected);
  await processPriorityRequests(t.database.db);
});
afterAll(async () => t?.close());

describe('SLA extensions', () => {
  let id: string;
  it('a request records the findings and their due dates, and changes no deadline yet', async () => {
    const before = await row(f.a as string);
    const r = await post(p.olga.token, '/api/sla-extensions', body());
    expect(r.statusCode, r.body).toBe(201);
    id = r.json().id;
    expect(r.json()).toMatchObject({ status: 'requested', newDueOn: inDays(60), incidentRef: 'INC-2026-042', requestedBy: { id: p.olga.id }, allowed: { approve: false, reject: false, withdraw: true } });
    expect(r.json().findings.map((x: { id: string; dueAtRequest: string }) => [x.id, x.dueAtRequest])).toEqual([
      [f.a, before.due_at?.toISOString()],
      [f.b, (await row(f.b as string)).due_at?.toISOString()],
    ]);
    expect((await row(f.a as string)).due_at).toEqual(before.due_at);
  });

  it('the requester cannot approve; a role the policy does not name cannot; nor can anyone else withdraw', async () => {
    const mine = (await post(p.alice.token, '/api/sla-extensions', body({ findingIds: [f.c] }))).json().id;
    const before = await counts();
    const own = await post(p.olga.token, `/api/sla-extensions/${id}/approve`);
    expect(own.statusCode).toBe(403); // a system owner lacks exception:decide altogether
    const self = await post(p.alice.token, `/api/sla-extensions/${mine}/approve`);
    expect(self.statusCode).toBe(403);
    expect(self.json().detail).toMatch(/You requested this SLA extension, so someone else must approve it \(separation of duties\)/);
    const carol = await post(p.carol.token, `/api/sla-extensions/${id}/approve`);
    expect(carol.statusCode).toBe(403);
    expect(carol.json().detail).toMatch(/only Security analyst or Administrator approve an SLA extension/);
    expect((await post(p.sam.token, `/api/sla-extensions/${id}/approve`)).statusCode).toBe(403);
    expect((await post(p.bob.token, `/api/sla-extensions/${mine}/withdraw`)).statusCode).toBe(403);
    expect(await counts()).toEqual(before);
    // The requester may withdraw their own.
    expect((await post(p.alice.token, `/api/sla-extensions/${mine}/withdraw`, { note: 'incident closed' })).json()).toMatchObject({ status: 'withdrawn' });
  });

  it('approval moves due_at to the end of the new day and the extension shows on the finding', async () => {
    const before = { a: (await row(f.a as string)).due_at?.toISOString(), b: (await row(f.b as string)).due_at?.toISOString() };
    const r = await post(p.bob.token, `/api/sla-extensions/${id}/approve`, { note: 'approved by the incident manager', version: 1 });
    expect(r.statusCode, r.body).toBe(200);
    const due = `${inDays(60)}T23:59:59.999Z`;
    expect(r.json()).toMatchObject({ status: 'approved', decidedBy: { name: 'y-bob' }, policyVersion: 1, version: 2 });
    expect(r.json().findings.map((x: { dueAt: string; dueBeforeApproval: string }) => [x.dueAt, x.dueBeforeApproval])).toEqual([[due, before.a], [due, before.b]]);
    for (const fid of [f.a, f.b] as string[]) {
      const fr = (await get(p.audrey.token, `/api/findings/${fid}`)).json();
      expect(fr).toMatchObject({ dueAt: due, extendedDueAt: due, slaState: 'on_track' });
      const shown = (await get(p.audrey.token, `/api/findings/${fid}/extensions`)).json();
      expect(shown.map((x: { id: string; status: string; incidentRef: string }) => [x.id, x.status, x.incidentRef])).toEqual([[id, 'approved', 'INC-2026-042']]);
      const prio = (await get(p.audrey.token, `/api/findings/${fid}/priority`)).json().history.at(-1);
      expect(prio).toMatchObject({ basis: 'extension', dueAt: due, trigger: `SLA extension ${id} to ${inDays(60)} approved by y-bob (incident INC-2026-042)` });
    }
    expect((await get(p.audrey.token, `/api/findings/${f.c}/extensions`)).json().map((x: { status: string }) => x.status)).toEqual(['withdrawn']);
    expect((await row(f.c as string)).extended_due_at).toBeNull();
    const audit = (await get(p.root.token, `/api/audit?entityType=sla_extension&entityId=${id}`)).json().items.map((a: { action: string; actorName: string }) => `${a.action} ${a.actorName}`);
    expect(audit).toEqual(['sla_extension.approve y-bob (token)', 'sla_extension.request y-olga (token)']);
    expect((await post(p.bob.token, `/api/sla-extensions/${id}/reject`, { note: 'too late' })).statusCode).toBe(409);
  });

  it('the register lists by status and finding', async () => {
    const list = async (q: string) => (await get(p.audrey.token, `/api/sla-extensions?${q}`)).json();
    expect((await list('status=approved')).items.map((x: { id: string }) => x.id)).toEqual([id]);
    expect((await list(`findingId=${f.c}`)).total).toBe(1);
    expect((await list('')).total).toBe(2);
    expect((await get(p.audrey.token, `/api/sla-extensions/${id}`)).json().id).toBe(id);
    expect((await get(p.audrey.token, '/api/sla-extensions/00000000-0000-4000-8000-000000000000')).statusCode).toBe(404);
    expect((await get(p.audrey.token, '/api/findings/99999999/extensions')).statusCode).toBe(404);
    expect((await get(p.audrey.token, '/api/sla-extensions?status=maybe')).statusCode).toBe(400);
  });

  it('a rejection is recorded and moves nothing', async () => {
    const before = await row(f.c as string);
    const x = (await post(p.olga.token, '/api/sla-extensions', body({ findingIds: [f.c], newDueOn: inDays(20) }))).json();
    const r = await post(p.bob.token, `/api/sla-extensions/${x.id}/reject`, { note: 'patch is available; apply it' });
    expect(r.json()).toMatchObject({ status: 'rejected', decisionNote: 'patch is available; apply it', decidedBy: { name: 'y-bob' } });
    expect((await row(f.c as string)).due_at).toEqual(before.due_at);
  });

  const bad: [string, Record<string, unknown>, number, RegExp][] = [
    ['an unknown finding', { findingIds: ['FA', '999999999'] }, 422, /finding 999999999 does not exist/],
    ['a new due date in the past', { newDueOn: inDays(-3) }, 422, /The new due date .* must be after today/],
    ['today', { newDueOn: TODAY }, 422, /must be after today/],
    ['beyond maxDays', { newDueOn: inDays(400) }, 422, /must be at most 365 days .* request a risk exception/],
    ['earlier than the current due date', { newDueOn: inDays(2) }, 422, /finding .* is already due .*: the new due date must be later/],
    ['no findings', { findingIds: [] }, 400, /body\.findingIds name at least one finding/],
    ['the same finding twice', { findingIds: ['FA', 'FA'] }, 400, /each finding once/],
    ['a malformed finding id', { findingIds: ['12; drop table findings'] }, 400, /must be a finding id/],
    ['an empty justification', { justification: '' }, 400, /say why the deadline cannot be met/],
    ['an oversized justification', { justification: 'j'.repeat(4001) }, 400, /must be at most 4000 characters/],
    ['an oversized incident reference', { incidentRef: 'I'.repeat(201) }, 400, /body\.incidentRef must be at most 200 characters/],
    ['an unknown field', { approved: true }, 400, /approved/],
  ];
  it.each(bad)('refuses %s and changes nothing', async (_n, over, status, message) => {
    const before = await counts();
    const b = body(over) as { findingIds: string[] };
    b.findingIds = b.findingIds.map((x) => (x === 'FA' ? (f.c as string) : x));
    const r = await post(p.olga.token, '/api/sla-extensions', b);
    expect(r.statusCode, r.body).toBe(status);
    expect(r.json().detail).toMatch(message);
    expect(await counts()).toEqual(before);
  });
});
