import { gzipSync } from 'node:zlib';
import { sql } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseDebianTracker } from '../../src/domain/feeds/debian-tracker.js';
import { seedDebianAdvisories } from '../support/advisories.js';
import { bearer, call, type TestApp, testApp, userWithToken } from '../support/app.js';
import { debPackageOutput, type NessusHostSpec, nessusXml } from '../support/reports.js';

/**
 * Scanner imports end to end through POST /api/imports (issue #5): asset
 * resolution, one finding per (asset, vulnerability, package) whatever the
 * source, re-import idempotence, resolved-by-scan, all-or-nothing.
 */
const base = { environment: 'production', systemType: 'web_server', businessCriticality: 'high', networkExposure: 'internal' } as const;

let t: TestApp;
let token: string;
const ids: Record<string, string> = {};

function upload(body: string | Buffer, query = '') {
  return t.app.inject({ method: 'POST', url: `/api/imports${query}`, headers: { ...bearer(token), 'content-type': 'application/octet-stream' }, payload: body });
}

async function counts() {
  const r = await sql<{ findings: number; evidence: number; assets: number; imports: number; events: number }>`select
    (select count(*)::int from findings) as findings, (select count(*)::int from finding_evidence) as evidence,
    (select count(*)::int from assets) as assets, (select count(*)::int from scan_imports) as imports,
    (select count(*)::int from finding_events) as events`.execute(t.database.db);
  const row = r.rows[0];
  if (!row) throw new Error('no counts');
  return row;
}

const web: NessusHostSpec = {
  name: '10.0.0.11',
  ip: '10.0.0.11',
  fqdn: 'web-01.example.com',
  os: 'Debian Linux 12',
  items: [
    { pluginId: 19506, severity: 0, name: 'Nessus Scan Information' },
    { pluginId: 200001, severity: 3, cves: ['CVE-2026-0001'], name: 'Debian DSA-9999-1 : openssl - security update', output: debPackageOutput('openssl', '3.0.14-1~deb12u2', '3.0.15-1~deb12u1') },
    { pluginId: 200002, severity: 2, cves: ['CVE-2026-1111', 'CVE-2026-1112'], port: 443, name: 'TLS weakness' },
    { pluginId: 200003, severity: 1, port: 22, name: 'SSH weak MAC algorithms enabled' },
  ],
};
const db1: NessusHostSpec = { name: '10.0.0.12', ip: '10.0.0.12', items: [{ pluginId: 200002, severity: 2, cves: ['CVE-2026-1111'], port: 5432 }] };
const stranger: NessusHostSpec = { name: '10.9.9.9', ip: '10.9.9.9', fqdn: 'mystery-box.example.net', items: [{ pluginId: 200004, severity: 4, cves: ['CVE-2026-2222'] }] };

beforeAll(async () => {
  t = await testApp();
  ({ token } = await userWithToken(t.database, 'security_analyst', 'scan-analyst'));
  await seedDebianAdvisories(
    t.database.db,
    parseDebianTracker({ openssl: { 'CVE-2026-0001': { releases: { bookworm: { status: 'resolved', fixed_version: '3.0.15-1~deb12u1', urgency: 'high' } } } } }),
  );
  for (const [hostname, extra] of [
    ['web-01', { fqdn: 'web-01.example.com' }],
    ['db-01', { ipAddresses: ['10.0.0.12'] }],
  ] as const) {
    const r = await call(t.app, token, 'POST', '/api/assets', { ...base, hostname, ...extra });
    expect(r.statusCode).toBe(201);
    ids[hostname] = r.json().id;
  }
  // The engine already knows web-01's openssl is vulnerable to CVE-2026-0001.
  const inv = { ecosystem: 'deb', distro: 'debian', release: 'bookworm', source: 'test', packages: [{ name: 'openssl', version: '3.0.14-1~deb12u2', arch: 'amd64' }] };
  expect((await call(t.app, token, 'PUT', `/api/assets/${ids['web-01']}/inventory`, inv)).json().match.opened).toBe(1);
});
afterAll(() => t?.close());

describe('POST /api/imports', () => {
  it('imports a Nessus report: assets by FQDN and address, an unknown host created for review, informational items skipped', async () => {
    const r = await upload(nessusXml([web, db1, stranger]), '?fileName=week49.nessus');
    expect(r.statusCode, r.body).toBe(200);
    const s = r.json();
    expect(s).toMatchObject({
      format: 'nessus', scanner: 'Nessus', fileName: 'week49.nessus',
      assets: { reported: 3, matched: 2, created: 1, matchedBy: { fqdn: 1, address: 1, created: 1 } },
      skipped: [{ reason: 'informational (severity 0)', count: 1 }],
    });
    // web-01: CVE-2026-0001 (joins the engine's finding), 1111, 1112, NESSUS-200003; db-01: 1111; stranger: 2222.
    expect(s.findings).toMatchObject({ reported: 6, new: 5, seenAgain: 1, reopened: 0, resolved: 0 });
    expect(s.assets.createdForReview).toEqual([{ id: expect.any(String), hostname: 'mystery-box' }]);
    const created = (await call(t.app, token, 'GET', `/api/assets/${s.assets.createdForReview[0].id}`)).json();
    expect(created).toMatchObject({ hostname: 'mystery-box', fqdn: 'mystery-box.example.net', ipAddresses: ['10.9.9.9'], tags: ['discovered'] });
    expect(created).toMatchObject({ reviewRequired: true, discoveredImportId: s.importId });
    const toReview = (await call(t.app, token, 'GET', '/api/assets?reviewRequired=true')).json().items;
    expect(toReview.map((a: { hostname: string }) => a.hostname)).toEqual(['mystery-box']);
    expect((await call(t.app, token, 'GET', '/api/assets?reviewRequired=false')).json().items.map((a: { hostname: string }) => a.hostname).sort()).toEqual(['db-01', 'web-01']);
  });

  it('a discovered asset is confirmed explicitly or by editing it, each audited', async () => {
    const [a] = (await call(t.app, token, 'GET', '/api/assets?reviewRequired=true')).json().items;
    const confirmed = await call(t.app, token, 'POST', `/api/assets/${a.id}/review`);
    expect(confirmed.statusCode).toBe(200);
    expect(confirmed.json()).toMatchObject({ reviewRequired: false, version: a.version + 1 });
    await sql`update assets set review_required = true where id = ${a.id}`.execute(t.database.db);
    const edited = await call(t.app, token, 'PATCH', `/api/assets/${a.id}`, { businessCriticality: 'low' });
    expect(edited.json()).toMatchObject({ reviewRequired: false, businessCriticality: 'low' });
    const audit = await sql<{ action: string }>`select action from audit_log where entity_id = ${a.id} order by seq`.execute(t.database.db);
    expect(audit.rows.map((r) => r.action)).toEqual(['asset.review_confirmed', 'asset.update', 'asset.review_confirmed']);
  });

  it('the same vulnerability on the same asset and package from the engine and Nessus is one finding with the scan as evidence', async () => {
    const f = (await call(t.app, token, 'GET', `/api/findings?assetId=${ids['web-01']}&vulnerabilityId=CVE-2026-0001`)).json().items;
    expect(f).toHaveLength(1);
    expect(f[0]).toMatchObject({ source: 'engine', package: 'openssl', installedVersion: '3.0.14-1~deb12u2' });
    const ev = await sql<{ source: string; source_key: string; installed_version: string; fixed_version: string }>`
      select source, source_key, installed_version, fixed_version from finding_evidence where finding_id = ${f[0].id}`.execute(t.database.db);
    expect(ev.rows).toEqual([{ source: 'nessus', source_key: '200001/0/tcp', installed_version: '3.0.14-1~deb12u2', fixed_version: '3.0.15-1~deb12u1' }]);
    const noCve = (await call(t.app, token, 'GET', `/api/findings?assetId=${ids['web-01']}&vulnerabilityId=NESSUS-200003`)).json().items;
    expect(noCve).toMatchObject([{ source: 'nessus', package: null, rule: 'reported_by_scanner', status: 'open' }]);
  });

  it('re-importing the same file changes nothing but "last seen"', async () => {
    const before = await counts();
    const seen = await sql<{ m: Date }>`select max(last_seen) as m from finding_evidence`.execute(t.database.db);
    const r = await upload(nessusXml([web, db1, stranger]));
    expect(r.statusCode, r.body).toBe(200);
    expect(r.json()).toMatchObject({ assets: { matched: 3, created: 0 }, findings: { reported: 6, new: 0, seenAgain: 6, reopened: 0, resolved: 0 }, evidence: { new: 0, changed: 0 } });
    const after = await counts();
    expect(after).toEqual({ ...before, imports: before.imports + 1 });
    const seen2 = await sql<{ m: Date }>`select max(last_seen) as m from finding_evidence`.execute(t.database.db);
    expect(seen2.rows[0]?.m.getTime()).toBeGreaterThan(seen.rows[0]?.m.getTime() ?? 0);
  });

  it('a re-scan of the same host that no longer reports a finding resolves it by scan, with the scan in its history', async () => {
    const fixed = { ...web, items: web.items.filter((i) => i.pluginId !== 200003) };
    const s = (await upload(nessusXml([fixed]))).json();
    expect(s.findings).toMatchObject({ reported: 3, new: 0, resolved: 1 });
    const f = (await call(t.app, token, 'GET', `/api/findings?assetId=${ids['web-01']}&vulnerabilityId=NESSUS-200003`)).json().items[0];
    expect(f.status).toBe('resolved');
    const detail = (await call(t.app, token, 'GET', `/api/findings/${f.id}`)).json();
    expect(detail.history.at(-1)).toMatchObject({ from: 'open', to: 'resolved', reason: 'resolved by scan: the Nessus scan no longer reports it', runId: s.importId });
    // db-01 was not in this scan: its finding stays open.
    expect((await call(t.app, token, 'GET', `/api/findings?assetId=${ids['db-01']}&status=open`)).json().items).toHaveLength(1);
    // Reported again: reopened.
    const again = (await upload(nessusXml([web]))).json();
    expect(again.findings).toMatchObject({ reopened: 1, resolved: 0 });
  });

  it('a truncated, hostile or unrecognised file is refused with the position and writes nothing', async () => {
    const before = await counts();
    const good = nessusXml([web, db1, stranger, { name: '10.7.7.7', ip: '10.7.7.7', items: [{ pluginId: 1, severity: 3, cves: ['CVE-2026-7777'] }] }]);
    const truncated = await upload(good.slice(0, good.lastIndexOf('<ReportItem')));
    expect(truncated.statusCode).toBe(422);
    expect(truncated.json().detail).toMatch(/truncated/);
    expect(truncated.json().errors[0].field).toMatch(/^line \d+, column \d+$/);
    const laughs = await upload('<?xml version="1.0"?><!DOCTYPE lolz [<!ENTITY lol "lol"><!ENTITY lol2 "&lol;&lol;">]><NessusClientData_v2>&lol2;</NessusClientData_v2>');
    expect(laughs.statusCode).toBe(422);
    expect(laughs.json().detail).toMatch(/DOCTYPE/);
    const unknown = await upload('<html><body>not a report</body></html>');
    expect(unknown.statusCode).toBe(422);
    expect(unknown.json().detail).toMatch(/Cannot tell the format.*<html>/);
    const empty = await upload('');
    expect(empty.statusCode).toBe(422);
    expect(await counts()).toEqual(before);
  });

  it('reads gzip-compressed reports', async () => {
    const r = await upload(gzipSync(nessusXml([db1])));
    expect(r.statusCode, r.body).toBe(200);
    expect(r.json()).toMatchObject({ format: 'nessus', findings: { reported: 1, new: 0 } });
    const broken = gzipSync(nessusXml([db1])).subarray(0, 40);
    const b = await upload(broken);
    expect(b.statusCode).toBe(422);
  });

  it('writes one audit record per import and lists past imports', async () => {
    const list = (await call(t.app, token, 'GET', '/api/imports?limit=100')).json();
    expect(list.length).toBeGreaterThanOrEqual(4);
    expect(list.map((i: { id: string }) => i.id)).toEqual([...new Set(list.map((i: { id: string }) => i.id))]);
    expect(list[list.length - 1]).toMatchObject({ format: 'nessus', fileName: 'week49.nessus', counts: { assets: 3, created: 1, findings: 6, new: 5 } });
    const audit = await sql<{ n: number }>`select count(*)::int as n from audit_log where action = 'scan.import'`.execute(t.database.db);
    expect(audit.rows[0]?.n).toBe(list.length);
  });

  it('a finding a scan reported before the asset had an inventory becomes the engine\'s when the engine finds it: still one finding', async () => {
    const r = await upload(nessusXml([{ ...db1, items: [{ pluginId: 200001, severity: 3, cves: ['CVE-2026-0001'], output: debPackageOutput('openssl', '3.0.14-1~deb12u2', '3.0.15-1~deb12u1') }] }]));
    expect(r.json().findings).toMatchObject({ new: 1 });
    const before = (await call(t.app, token, 'GET', `/api/findings?assetId=${ids['db-01']}&vulnerabilityId=CVE-2026-0001`)).json().items;
    expect(before).toMatchObject([{ source: 'nessus', package: 'openssl', arch: '', ecosystem: 'deb' }]);
    const inv = { ecosystem: 'deb', distro: 'debian', release: 'bookworm', source: 'test', packages: [{ name: 'openssl', version: '3.0.14-1~deb12u2', arch: 'amd64' }] };
    expect((await call(t.app, token, 'PUT', `/api/assets/${ids['db-01']}/inventory`, inv)).json().match).toMatchObject({ opened: 1 });
    const after = (await call(t.app, token, 'GET', `/api/findings?assetId=${ids['db-01']}&vulnerabilityId=CVE-2026-0001`)).json().items;
    expect(after).toMatchObject([{ id: before[0].id, source: 'engine', package: 'openssl', arch: 'amd64', status: 'open' }]);
    const ev = await sql<{ n: number }>`select count(*)::int as n from finding_evidence where finding_id = ${before[0].id} and source = 'nessus'`.execute(t.database.db);
    expect(ev.rows[0]?.n).toBe(1);
  });

  it('imports a CSV with a column mapping, and names the row of a bad cell', async () => {
    const csv = 'Asset IP;Vuln;Sev;Pkg;Ver\n10.0.0.12;CVE-2026-3001;High;libxml2;2.9.14\n10.0.0.12;CVE-2026-3002;Low;;\n';
    const r = await upload(csv, '?format=csv&fileName=export.csv&map=address=Asset IP,vulnerability=Vuln,severity=Sev,package=Pkg,version=Ver');
    expect(r.statusCode, r.body).toBe(200);
    expect(r.json()).toMatchObject({ format: 'csv', assets: { reported: 1, matched: 1, matchedBy: { address: 1 } }, findings: { reported: 2, new: 2 } });
    const bad = await upload('Asset IP;Vuln;Sev\n10.0.0.12;CVE-2026-3003;High\n10.0.0.12;CVE-2026-3004;Dreadful\n', '?format=csv&map=address=Asset IP,vulnerability=Vuln,severity=Sev');
    expect(bad.statusCode).toBe(422);
    expect(bad.json().detail).toMatch(/row 3/);
    const unknown = await upload(csv, '?format=csv&map=address=No Such Column,vulnerability=Vuln');
    expect(unknown.statusCode).toBe(422);
    expect(unknown.json().detail).toMatch(/No Such Column/);
    expect((await call(t.app, token, 'GET', '/api/findings?vulnerabilityId=CVE-2026-3003')).json().items).toHaveLength(0);
  });

  it('needs asset:import', async () => {
    const { token: auditor } = await userWithToken(t.database, 'auditor', 'scan-auditor');
    const r = await t.app.inject({ method: 'POST', url: '/api/imports', headers: { ...bearer(auditor), 'content-type': 'application/octet-stream' }, payload: nessusXml([db1]) });
    expect(r.statusCode).toBe(403);
  });
});
