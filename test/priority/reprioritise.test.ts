import { sql } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DEFAULT_POLICY } from '../../src/domain/priority/index.js';
import * as assets from '../../src/services/assets/assets.service.js';
import { createControl } from '../../src/services/eol/controls.service.js';
import { createUser } from '../../src/services/users/users.service.js';
import { importFeed } from '../../src/services/feeds/feeds.service.js';
import { editPolicy } from '../../src/services/priority/policy.service.js';
import { processPriorityRequests } from '../../src/services/priority/worker.js';
import type { Database } from '../../src/storage/db.js';
import { operator } from '../support/app.js';
import { freshDatabase } from '../support/db.js';

/**
 * Re-prioritisation end to end on the database (PGlite or PostgreSQL):
 * first priorities, a KEV update raising a finding to an emergency, an asset
 * edit lowering one, a policy version changing SLAs, a reopened finding
 * starting a fresh clock. Findings are inserted directly: matching has its
 * own tests; here the inputs are what matters.
 */
let database: Database;
const DAY = 86_400_000;
const detected = new Date('2026-11-01T00:00:00Z');
let web: string;
let db01: string;

async function vuln(id: string, cvss: number | null, extra: Record<string, unknown> = {}) {
  const r = await database.db
    .insertInto('vulnerabilities')
    .values({ id, cvss_score: cvss, cvss_version: cvss === null ? null : '3.1', updated_at: new Date(), ...extra } as never)
    .returning('num')
    .executeTakeFirstOrThrow();
  return r.num;
}
async function finding(assetId: string, num: number) {
  const r = await database.db
    .insertInto('findings')
    .values({ asset_id: assetId, vulnerability_num: num, name_id: 0, package_id: null, source: 'nessus', first_seen: detected, last_seen: detected } as never)
    .returning('id')
    .executeTakeFirstOrThrow();
  return String(r.id);
}
const get = (id: string) => database.db.selectFrom('findings').selectAll().where('id', '=', id).executeTakeFirstOrThrow();
const events = (id: string) => database.db.selectFrom('finding_priority_events').selectAll().where('finding_id', '=', id).orderBy('id').execute();

const kevDoc = (entries: { cve: string; added: string; due: string; ransomware?: boolean }[]) =>
  Buffer.from(
    JSON.stringify({
      title: 'CISA Catalog of Known Exploited Vulnerabilities', catalogVersion: '2026.12.04', dateReleased: '2026-12-04T12:00:00.000Z', count: entries.length,
      vulnerabilities: entries.map((e) => ({
        cveID: e.cve, vendorProject: 'Example', product: 'Widget', vulnerabilityName: 'Widget RCE', dateAdded: e.added, shortDescription: 'Remote code execution.',
        requiredAction: 'Apply updates.', dueDate: e.due, knownRansomwareCampaignUse: e.ransomware ? 'Known' : 'Unknown', notes: '', cwes: [],
      })),
    }),
  );

describe('re-prioritisation', () => {
  let fCrit: string;
  let fMed: string;
  let fKev: string;
  let fInternal: string;
  beforeAll(async () => {
    database = await freshDatabase();
    const db = database.db;
    web = (await assets.createAsset(db, operator, { hostname: 'web-01', environment: 'production', systemType: 'web_server', businessCriticality: 'high', networkExposure: 'internet_facing' })).id;
    db01 = (await assets.createAsset(db, operator, { hostname: 'db-01', environment: 'production', systemType: 'database', businessCriticality: 'medium', networkExposure: 'internal' })).id;
    const a = await vuln('CVE-2026-1000', 9.8);
    const b = await vuln('CVE-2026-2000', 5.3);
    const c = await vuln('CVE-2026-3000', 6.1);
    fCrit = await finding(db01, a);
    fMed = await finding(db01, b);
    fKev = await finding(web, c);
    fInternal = await finding(db01, c);
  });
  afterAll(async () => database?.close());

  it('gives every open finding a class and a due date from policy version 1 (the migration queued it)', async () => {
    const s = await processPriorityRequests(database.db);
    expect(s.runs[0]?.trigger).toBe('policy version 1');
    const crit = await get(fCrit);
    expect([crit.priority, crit.priority_score, crit.policy_version, crit.sla_days]).toEqual([4, 9.8, 1, 7]);
    expect(crit.due_at?.getTime()).toBe(detected.getTime() + 7 * DAY);
    // 5.3 on a medium internal production asset: medium, 90 days. 6.1 on a high internet-facing one: 6.1 + 0.5 + 1 = 7.6 → high.
    expect([(await get(fMed)).priority, (await get(fMed)).sla_days]).toEqual([2, 90]);
    expect([(await get(fKev)).priority, Number((await get(fKev)).priority_score)]).toEqual([3, 7.6]);
    expect((await events(fCrit)).map((e) => [e.basis, e.trigger, e.policy_version])).toEqual([['initial', 'policy version 1', 1]]);
    // Nothing changed: a second pass writes nothing.
    await database.db.insertInto('priority_requests').values({ scope: 'all', trigger: 'again', at: new Date() }).execute();
    const again = await processPriorityRequests(database.db);
    expect(again.runs[0]).toMatchObject({ evaluated: 4, changed: 0 });
  });

  it('a KEV addition makes the internet-facing finding an emergency within the same feed import, due by the earlier of 3 days and CISA’s date', async () => {
    const before = await get(fKev);
    const summary = await importFeed(database.db, operator, 'kev', kevDoc([{ cve: 'CVE-2026-3000', added: '2026-12-01', due: '2026-12-22' }]), { source: 'test' });
    expect(summary.reprioritised).toMatchObject({ evaluated: 2, changed: 2, raised: 2, deferred: false });
    const after = await get(fKev);
    expect([after.priority, after.emergency, after.sla_days]).toEqual([4, true, 3]);
    const ev = (await events(fKev)).at(-1);
    expect(ev).toMatchObject({ basis: 'raised', trigger: 'kev feed 2026.12.04', previous_priority: 3, priority: 4, emergency: true });
    // Raised: 3 days from the change, never later than before.
    const changeAt = ev?.at as Date;
    expect(after.due_at?.getTime()).toBe(Math.min(changeAt.getTime() + 3 * DAY, before.due_at?.getTime() as number));
    // The same vulnerability on an internal asset: KEV adds 2 points (8.1 → high) but is no emergency;
    // high allows 30 days from the change, CISA's due date (22 December) is earlier and wins.
    const internal = await get(fInternal);
    expect([internal.priority, internal.emergency]).toEqual([3, false]);
    expect(internal.due_at?.toISOString()).toBe('2026-12-22T23:59:59.999Z');
    expect((await events(fInternal)).at(-1)).toMatchObject({ basis: 'kev_due_date', previous_priority: 2 });
  });

  it('an earlier KEV due date moves the deadline to the end of that day', async () => {
    await importFeed(database.db, operator, 'kev', kevDoc([{ cve: 'CVE-2026-3000', added: '2026-11-20', due: '2026-11-25' }]), { source: 'test2' });
    expect((await get(fInternal)).due_at?.toISOString()).toBe('2026-11-25T23:59:59.999Z');
    expect((await events(fInternal)).at(-1)).toMatchObject({ basis: 'kev_due_date' });
  });

  it('an asset edit re-prioritises its findings at once, and a lower class never brings the deadline earlier', async () => {
    const before = await get(fCrit);
    await assets.updateAsset(database.db, operator, db01, { networkExposure: 'isolated' });
    const after = await get(fCrit);
    // 9.8 − 1.5 = 8.3: high; due = max(old due, detection + 30 days).
    expect([after.priority, Number(after.priority_score)]).toEqual([3, 8.3]);
    expect(after.due_at?.getTime()).toBe(Math.max(before.due_at?.getTime() as number, detected.getTime() + 30 * DAY));
    expect((await events(fCrit)).at(-1)).toMatchObject({ basis: 'lowered', trigger: 'asset db-01 edited: networkExposure internal → isolated' });
  });

  it('a new policy version re-prioritises everything and the findings it changes record it', async () => {
    const doc = structuredClone(DEFAULT_POLICY);
    doc.sla.low = 120;
    const v = await editPolicy(database.db, operator, { document: doc, reason: 'Audit finding 2026-07: medium SLA too long' });
    expect(v.version).toBe(2);
    await processPriorityRequests(database.db);
    const med = await get(fMed);
    // db-01 went isolated above: 5.3 − 1.5 = 3.8, low; its clock began at detection.
    expect([med.priority, med.sla_days, med.policy_version]).toEqual([1, 120, 2]);
    expect(med.due_at?.getTime()).toBe(detected.getTime() + 120 * DAY);
    expect((await events(fMed)).at(-1)).toMatchObject({ basis: 'sla_changed', trigger: 'policy version 2' });
    // A finding the version did not change keeps the version that set its due date.
    expect((await get(fKev)).policy_version).toBe(1);
  });

  it('a recorded WAF control lowers the score of the asset’s findings; one whose review is overdue earns nothing', async () => {
    const before = Number((await get(fKev)).priority_score);
    const owner = await createUser(database.db, operator, { username: 'waf-owner', role: 'system_owner', password: 'correct horse battery staple' });
    const ctl = await createControl(database.db, operator, web, { control: 'ModSecurity CRS in blocking mode', kind: 'waf', reviewDate: '2027-06-30', ownerUserId: owner.id });
    await processPriorityRequests(database.db);
    expect(Number((await get(fKev)).priority_score)).toBe(Math.round((before - 1) * 10) / 10);
    expect((await events(fKev)).length).toBeGreaterThan(0);
    await sql`update eol_controls set review_date = '2026-01-01' where id = ${ctl.id}::uuid`.execute(database.db);
    await database.db.insertInto('priority_requests').values({ scope: 'assets', ids: [web], trigger: 'review lapsed', at: new Date() }).execute();
    await processPriorityRequests(database.db);
    expect(Number((await get(fKev)).priority_score)).toBe(before);
  });

  it('a reopened finding starts a fresh clock', async () => {
    await sql`update findings set status = 'resolved', resolved_at = now() where id = ${fMed}`.execute(database.db);
    await sql`update findings set status = 'open', resolved_at = null, sla_start = '2026-12-01T00:00:00Z', prioritised_at = null where id = ${fMed}`.execute(database.db);
    const s = await processPriorityRequests(database.db);
    expect(s.runs.find((r) => r.trigger === 'detected')?.changed).toBe(1);
    expect((await get(fMed)).due_at?.getTime()).toBe(new Date('2026-12-01T00:00:00Z').getTime() + 120 * DAY);
    expect((await events(fMed)).at(-1)).toMatchObject({ basis: 'initial', trigger: 'detected' });
  });
});
