import { sql } from 'kysely';
import { parse } from 'csv-parse/sync';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createAsset } from '../../src/services/assets/assets.service.js';
import * as teams from '../../src/services/teams/teams.service.js';
import { bearer, call, operator, type TestApp, testApp, userWithToken } from '../support/app.js';
import { nessusXml } from '../support/reports.js';

/**
 * The findings register (issue #5 §6, VUL-8) through the API: every filter
 * and sort on findings seeded with distinguishable attributes, cursors,
 * grouping, saved views with their audit records, CSV export, the finding
 * detail, bad input and who may do what.
 */
let t: TestApp;
let analyst: string;
let analystId: string;
let auditor: string;
let owner: string;
const A: Record<string, string> = {};
const F: Record<string, string> = {};
let teamId = '';

type Item = { id: string; vulnerabilityId: string; severity: string | null; severitySource: string | null; status: string; sources: string[]; package: string | null; asset: { hostname: string }; cvssScore: number | null; kev: unknown; epss: unknown };

const get = (token: string, url: string) => call(t.app, token, 'GET', url);
async function list(qs: string, token = analyst): Promise<{ items: Item[]; nextCursor: string | null }> {
  const r = await get(token, `/api/findings?${qs}`);
  expect(r.statusCode, r.body).toBe(200);
  return r.json();
}
/** Which seeded findings (F1…F8) a query returns, in order. */
async function names(qs: string): Promise<string[]> {
  const byId = new Map(Object.entries(F).map(([k, v]) => [v, k]));
  return (await list(qs)).items.map((i) => byId.get(i.id) ?? i.id);
}
const sorted = async (qs: string) => (await names(qs)).sort();

/** Follows the cursors with a small page and returns every id in order. */
async function walk(qs: string, limit: number): Promise<string[]> {
  const out: string[] = [];
  let cursor: string | null = null;
  for (let i = 0; i < 50; i++) {
    const page = await list(`${qs}&limit=${limit}${cursor ? `&cursor=${encodeURIComponent(cursor)}` : ''}`);
    out.push(...page.items.map((x) => x.id));
    cursor = page.nextCursor;
    if (!cursor) break;
  }
  return out;
}

beforeAll(async () => {
  t = await testApp();
  const db = t.database.db;
  const a = await userWithToken(t.database, 'security_analyst', 'reg-analyst');
  analyst = a.token;
  analystId = a.user.id;
  auditor = (await userWithToken(t.database, 'auditor', 'reg-auditor')).token;
  owner = (await userWithToken(t.database, 'system_owner', 'reg-owner')).token;
  teamId = (await teams.createTeam(db, operator, { name: 'Web team' } as never)).id;
  const base = { systemType: 'web_server', businessCriticality: 'high', networkExposure: 'internal' } as const;
  A.web = (await createAsset(db, operator, { ...base, hostname: 'web-prod-01', environment: 'production', department: 'Finance', businessCriticality: 'critical', networkExposure: 'internet_facing', ownerTeamId: teamId } as never)).id;
  A.db = (await createAsset(db, operator, { ...base, hostname: 'db-stage-01', environment: 'staging', systemType: 'database', department: 'HR', businessCriticality: 'medium', ownerUserId: analystId } as never)).id;
  A.lab = (await createAsset(db, operator, { ...base, hostname: 'lab-test-01', environment: 'test', systemType: 'desktop_workstation', businessCriticality: 'low', networkExposure: 'isolated' } as never)).id;

  await sql`insert into vulnerabilities (id, title, severity, cvss_score, cvss_version, epss_score, epss_percentile, kev_date_added, kev_due_date, updated_at) values
    ('CVE-2026-0001', 'Heap overflow in the TLS handshake', 'CRITICAL', 9.8, '3.1', 0.9, 0.99, '2026-01-01', '2026-01-22', now()),
    ('CVE-2026-0002', '=HYPERLINK("http://evil.example","click")', 'HIGH', 7.5, '3.1', 0.2, 0.8, null, null, now()),
    ('CVE-2026-0003', 'Prototype pollution', null, 5.0, '3.1', 0.05, 0.5, null, null, now()),
    ('CVE-2026-0004', 'Weak TLS configuration', null, null, null, null, null, null, null, now()),
    ('CVE-2026-0005', 'Information leak', 'LOW', 2.0, '3.1', 0.01, 0.1, '2026-03-01', '2026-06-30', now())`.execute(db);
  await sql`insert into vulnerability_aliases (alias, vulnerability_id) values ('GHSA-aaaa-bbbb-cccc', 'CVE-2026-0003')`.execute(db);
  await sql`insert into package_names (ecosystem, name, arch) values ('deb', 'openssl', 'amd64'), ('deb', 'nginx', 'amd64'), ('npm', 'lodash', '')`.execute(db);
  await sql`insert into packages (ecosystem, name, version, arch, source_name, source_version, name_id)
    select ecosystem, name, v, arch, name, v, id from package_names join (values ('openssl', '3.0.14'), ('nginx', '1.22.1'), ('lodash', '4.17.20')) x(n, v) on x.n = name`.execute(db);
  // F1…F8: distinguishable by asset, vulnerability, package, source, status and time.
  const rows: [string, string, string, string | null, string, string, string, string | null][] = [
    ['F1', 'web', 'CVE-2026-0001', 'openssl', 'engine', 'open', '2026-01-10T10:00:00Z', null],
    ['F2', 'web', 'CVE-2026-0002', 'nginx', 'nessus', 'open', '2026-02-01T10:00:00Z', null],
    ['F3', 'db', 'CVE-2026-0001', 'openssl', 'engine', 'resolved', '2025-12-01T10:00:00Z', '2026-01-05T10:00:00Z'],
    ['F4', 'db', 'CVE-2026-0003', 'lodash', 'trivy', 'open', '2026-03-01T10:00:00Z', null],
    ['F5', 'lab', 'CVE-2026-0004', null, 'nessus', 'open', '2026-03-02T10:00:00Z', null],
    ['F6', 'web', 'CVE-2026-0004', null, 'nessus', 'false_positive', '2026-03-03T10:00:00Z', null],
    ['F7', 'lab', 'CVE-2026-0005', 'nginx', 'engine', 'not_affected', '2026-03-04T10:00:00Z', null],
    ['F8', 'db', 'CVE-2026-0002', 'nginx', 'engine', 'open', '2026-03-03T12:00:00.123456Z', null],
  ];
  for (const [key, asset, vuln, pkg, source, status, first, resolved] of rows) {
    const r = await sql<{ id: string }>`insert into findings (asset_id, vulnerability_num, name_id, package_id, source, status, first_seen, last_seen, resolved_at)
      select ${A[asset]}::uuid, v.num, coalesce(p.name_id, 0), p.id, ${source}, ${status}, ${first}::timestamptz,
        case when ${source} = 'engine' then null else ${first}::timestamptz end, ${resolved}::timestamptz
      from vulnerabilities v left join packages p on p.name = ${pkg} where v.id = ${vuln} returning id::text as id`.execute(db);
    F[key] = String(r.rows[0]?.id);
  }
  const ev = (f: string, source: string, key: string, sev: string | null, gone: boolean) =>
    sql`insert into finding_evidence (finding_id, asset_id, source, source_key, first_seen, last_seen, gone_at, fingerprint, title, severity, installed_version, output)
      select id, asset_id, ${source}, ${key}, first_seen, first_seen + interval '1 day', ${gone ? sql`first_seen + interval '2 days'` : sql`null`}, 'fp', 'seen', ${sev}, '1.0', 'plugin output'
      from findings where id = ${F[f]}::bigint`.execute(db);
  await ev('F2', 'nessus', '10001/443/tcp', 'high', false);
  await ev('F4', 'trivy', 'lodash@4.17.20', 'medium', false);
  await ev('F5', 'nessus', '20001/443/tcp', 'critical', false);
  await ev('F5', 'openvas', 'oid-1', 'medium', false);
  await ev('F6', 'nessus', '20001/443/tcp', 'low', false);
  await ev('F7', 'nessus', '30001/0/tcp', 'low', false);
  await ev('F8', 'trivy', 'nginx@1.22.1', 'high', true);
  await sql`insert into finding_events (finding_id, at, from_status, to_status, reason) values (${F.F3}::bigint, '2026-01-05T10:00:00Z', 'open', 'resolved', 'fixed version installed')`.execute(db);
  await sql`insert into finding_validations (finding_id, status, justification, reason, reviewer_name, at, evidence_fingerprint, lifted_at, lifted_reason) values
    (${F.F6}::bigint, 'false_positive', null, 'TLS terminates at the proxy', 'reg-analyst', '2026-03-04T09:00:00Z', 'fp', null, null),
    (${F.F7}::bigint, 'not_affected', 'vulnerable_code_not_in_execute_path', 'old review', 'reg-analyst', '2026-03-04T11:00:00Z', 'fp', '2026-03-05T11:00:00Z', 'evidence changed'),
    (${F.F7}::bigint, 'not_affected', 'vulnerable_code_not_present', 'module not built', 'reg-analyst', '2026-03-06T11:00:00Z', 'fp', null, null)`.execute(db);
});
afterAll(() => t?.close());

describe('GET /api/findings filters', () => {
  it('status: one or several values, comma-separated or repeated', async () => {
    expect(await sorted('status=open')).toEqual(['F1', 'F2', 'F4', 'F5', 'F8']);
    expect(await sorted('status=false_positive,not_affected')).toEqual(['F6', 'F7']);
    expect(await sorted('status=resolved&status=not_affected')).toEqual(['F3', 'F7']);
    expect(await sorted('')).toEqual(['F1', 'F2', 'F3', 'F4', 'F5', 'F6', 'F7', 'F8']);
  });

  it("severity: the vulnerability's, else the strongest evidence severity", async () => {
    expect(await sorted('severity=critical')).toEqual(['F1', 'F3', 'F5']); // F5: CVE-2026-0004 has none, its evidence says critical
    expect(await sorted('severity=low')).toEqual(['F6', 'F7']); // F6: evidence low; F7: CVE-2026-0005 LOW (its evidence is ignored)
    expect(await sorted('severity=medium')).toEqual(['F4']); // from the CVSS 3.1 score 5.0
    expect(await sorted('severity=HIGH,medium')).toEqual(['F2', 'F4', 'F8']);
    const f5 = (await list(`ids=${F.F5}`)).items[0];
    expect(f5).toMatchObject({ severity: 'critical', severitySource: 'evidence', cvssScore: null });
    expect((await list(`ids=${F.F4}`)).items[0]).toMatchObject({ severity: 'medium', severitySource: 'vulnerability', cvssScore: 5 });
  });

  it('kev, epssMin and kevDueBefore', async () => {
    expect(await sorted('kev=true')).toEqual(['F1', 'F3', 'F7']);
    expect(await sorted('kev=false')).toEqual(['F2', 'F4', 'F5', 'F6', 'F8']);
    expect(await sorted('epssMin=0.2')).toEqual(['F1', 'F2', 'F3', 'F8']);
    expect(await sorted('epssMin=0.5')).toEqual(['F1', 'F3']);
    expect(await sorted('kevDueBefore=2026-01-22')).toEqual(['F1', 'F3']);
    expect(await sorted('kevDueBefore=2026-12-31')).toEqual(['F1', 'F3', 'F7']);
    expect(await sorted('kevDueBefore=2026-01-21')).toEqual([]);
  });

  it("source: the finding's source or evidence still present", async () => {
    expect(await sorted('source=nessus')).toEqual(['F2', 'F5', 'F6', 'F7']); // F7 by its engine source plus Nessus evidence
    expect(await sorted('source=trivy')).toEqual(['F4']); // F8's Trivy evidence is gone
    expect(await sorted('source=openvas')).toEqual(['F5']);
    expect(await sorted('source=engine')).toEqual(['F1', 'F3', 'F7', 'F8']);
    expect((await list(`ids=${F.F5}`)).items[0]?.sources).toEqual(['nessus', 'openvas']);
    expect((await list(`ids=${F.F8}`)).items[0]?.sources).toEqual(['engine']);
  });

  it('asset attributes', async () => {
    expect(await sorted('department=Finance')).toEqual(['F1', 'F2', 'F6']);
    expect(await sorted('systemType=database')).toEqual(['F3', 'F4', 'F8']);
    expect(await sorted('environment=test')).toEqual(['F5', 'F7']);
    expect(await sorted(`owner=${teamId}`)).toEqual(['F1', 'F2', 'F6']);
    expect(await sorted(`owner=${analystId}`)).toEqual(['F3', 'F4', 'F8']);
    expect(await sorted('networkExposure=internet_facing')).toEqual(['F1', 'F2', 'F6']);
    expect(await sorted('businessCriticality=low')).toEqual(['F5', 'F7']);
    expect(await sorted(`assetId=${A.lab}`)).toEqual(['F5', 'F7']);
    expect(await sorted('environment=production&status=open')).toEqual(['F1', 'F2']);
    const item = (await list(`ids=${F.F1}`)).items[0] as unknown as { asset: Record<string, unknown> };
    expect(item.asset).toMatchObject({ hostname: 'web-prod-01', environment: 'production', department: 'Finance', businessCriticality: 'critical', networkExposure: 'internet_facing', owner: { type: 'team', id: teamId, name: 'Web team' } });
  });

  it('vulnerability (id or alias), package, ids and free text', async () => {
    expect(await sorted('vulnerabilityId=CVE-2026-0002')).toEqual(['F2', 'F8']);
    expect(await sorted('vulnerabilityId=GHSA-aaaa-bbbb-cccc')).toEqual(['F4']);
    expect(await sorted('vulnerabilityId=CVE-1999-0001')).toEqual([]);
    expect(await sorted('package=nginx')).toEqual(['F2', 'F7', 'F8']);
    expect(await sorted(`ids=${F.F1},${F.F7}`)).toEqual(['F1', 'F7']);
    expect(await sorted('q=lab-test')).toEqual(['F5', 'F7']); // host name
    expect(await sorted('q=cve-2026-0003')).toEqual(['F4']); // vulnerability id, any case
    expect(await sorted('q=heap%20overflow')).toEqual(['F1', 'F3']); // title
    expect(await sorted('q=lodash')).toEqual(['F4']); // package
    expect(await sorted('q=100%25')).toEqual([]); // LIKE wildcards are literal
  });
});

describe('GET /api/findings sorting and cursors', () => {
  it('sorts by each key in its default order', async () => {
    // Severity: critical ones (F5's from its evidence) first; ties by vulnerability, then finding, in the same direction.
    expect(await names('sort=severity')).toEqual(['F5', 'F3', 'F1', 'F8', 'F2', 'F4', 'F7', 'F6']);
    expect(await names('sort=severity&order=asc')).toEqual(['F6', 'F7', 'F4', 'F2', 'F8', 'F1', 'F3', 'F5']);
    expect(await names('sort=cvss')).toEqual(['F3', 'F1', 'F8', 'F2', 'F4', 'F7', 'F6', 'F5']); // unknown CVSS last
    expect(await names('sort=cvss&order=asc')).toEqual(['F5', 'F6', 'F7', 'F4', 'F2', 'F8', 'F1', 'F3']); // … and first
    expect(await names('sort=epss')).toEqual(['F3', 'F1', 'F8', 'F2', 'F4', 'F7', 'F6', 'F5']);
    expect(await names('sort=firstSeen')).toEqual(['F7', 'F8', 'F6', 'F5', 'F4', 'F2', 'F1', 'F3']);
    expect(await names('sort=hostname')).toEqual(['F3', 'F4', 'F8', 'F5', 'F7', 'F1', 'F2', 'F6']);
    expect(await names('sort=vulnerability')).toEqual(['F1', 'F3', 'F2', 'F8', 'F4', 'F5', 'F6', 'F7']);
    const last = await names('sort=lastSeen&order=asc');
    expect(last.indexOf('F3')).toBeLessThan(last.indexOf('F2')); // resolved 2026-01-05, before F2 was last seen
  });

  it('every sort and order pages through everything once, in the same order as one page', async () => {
    for (const sort of ['severity', 'cvss', 'epss', 'firstSeen', 'lastSeen', 'hostname', 'vulnerability']) {
      for (const order of ['asc', 'desc']) {
        const whole = (await list(`sort=${sort}&order=${order}&limit=100`)).items.map((i) => i.id);
        expect(whole, `${sort} ${order}`).toHaveLength(8);
        for (const limit of [1, 3]) expect(await walk(`sort=${sort}&order=${order}`, limit), `${sort} ${order} by ${limit}`).toEqual(whole);
        expect(await walk(`sort=${sort}&order=${order}&status=open`, 2), `${sort} ${order} open`).toHaveLength(5);
      }
    }
  });

  it('keeps microseconds in time cursors', async () => {
    // F8 was first seen at .123456: a cursor rounded to milliseconds would show it again on the next page.
    const page = await list('sort=firstSeen&order=asc&limit=7');
    expect(page.items.at(-1)?.id).toBe(F.F8);
    const next = await list(`sort=firstSeen&order=asc&limit=7&cursor=${encodeURIComponent(page.nextCursor ?? '')}`);
    expect(next.items.map((i) => i.id)).toEqual([F.F7]);
  });
});

describe('bad input names the parameter', () => {
  const bad = async (qs: string, field: RegExp, path = '/api/findings') => {
    const r = await get(analyst, `${path}?${qs}`);
    expect(r.statusCode, qs).toBe(400);
    expect(r.json().errors.map((e: { field: string }) => e.field).join(' '), qs).toMatch(field);
  };
  it('refuses unknown values, unknown parameters and foreign cursors', async () => {
    await bad('severity=urgent', /severity/);
    await bad('status=open,closed', /status/);
    await bad('source=burp', /source/);
    await bad('sort=colour', /sort/);
    await bad('epssMin=2', /epssMin/);
    await bad('kev=yes', /kev/);
    await bad('kevDueBefore=2026-13-45', /kevDueBefore/);
    await bad('environment=prod', /environment/);
    await bad('owner=nobody', /owner/);
    await bad('ids=1,x', /ids/);
    await bad('colour=red', /querystring/);
    await bad('cursor=garbage', /cursor/);
    const c = (await list('sort=epss&limit=1')).nextCursor ?? '';
    await bad(`sort=cvss&cursor=${encodeURIComponent(c)}`, /cursor/);
    await bad('by=colour', /by/, '/api/findings/groups');
    await bad('severity=urgent', /severity/, '/api/findings/export.csv');
  });
});

describe('GET /api/findings/groups', () => {
  type Group = { key: string; label: string; total: number; open: number; assets: number; worstSeverity: string | null };
  const groups = async (qs: string) => {
    const r = await get(analyst, `/api/findings/groups?${qs}`);
    expect(r.statusCode, r.body).toBe(200);
    return r.json() as { items: Group[]; nextCursor: string | null };
  };
  it('by vulnerability: counts, worst severity first', async () => {
    const g = (await groups('by=vulnerability')).items.map((x) => [x.key, x.open, x.total, x.assets, x.worstSeverity]);
    expect(g).toEqual([
      ['CVE-2026-0001', 1, 2, 2, 'critical'],
      ['CVE-2026-0004', 1, 2, 2, 'critical'], // the strongest evidence of its findings
      ['CVE-2026-0002', 2, 2, 2, 'high'],
      ['CVE-2026-0003', 1, 1, 1, 'medium'],
      ['CVE-2026-0005', 0, 1, 1, 'low'],
    ]);
  });
  it('by asset and by package, with filters, paged', async () => {
    const byAsset = (await groups('by=asset&status=open')).items.map((x) => [x.label, x.open, x.total]);
    expect(byAsset).toEqual([['web-prod-01', 2, 2], ['lab-test-01', 1, 1], ['db-stage-01', 2, 2]]);
    const byPackage = (await groups('by=package')).items.map((x) => [x.label, x.total]);
    expect(byPackage).toEqual([['(no package)', 2], ['openssl', 2], ['nginx', 3], ['lodash', 1]]);
    const keys: string[] = [];
    let cursor: string | null = null;
    do {
      const page = await groups(`by=vulnerability&limit=2${cursor ? `&cursor=${encodeURIComponent(cursor)}` : ''}`);
      keys.push(...page.items.map((x) => x.key));
      cursor = page.nextCursor;
    } while (cursor);
    expect(keys).toEqual(['CVE-2026-0001', 'CVE-2026-0004', 'CVE-2026-0002', 'CVE-2026-0003', 'CVE-2026-0005']);
  });
});

describe('GET /api/findings/:id', () => {
  it('shows every piece of evidence, the validation in force and the history in time order', async () => {
    const r = await get(auditor, `/api/findings/${F.F7}`);
    expect(r.statusCode, r.body).toBe(200);
    const d = r.json();
    expect(d.evidence).toEqual([expect.objectContaining({ source: 'nessus', sourceKey: '30001/0/tcp', severity: 'low', installedVersion: '1.0', output: 'plugin output', goneAt: null })]);
    expect(d.validation).toMatchObject({ status: 'not_affected', justification: 'vulnerable_code_not_present', reason: 'module not built', reviewer: { name: 'reg-analyst' } });
    expect(d.history.map((h: { kind: string }) => h.kind)).toEqual(['detected', 'evidence_seen', 'validated', 'validation_lifted', 'validated']);
    const f8 = (await get(analyst, `/api/findings/${F.F8}`)).json();
    expect(f8.history.map((h: { kind: string }) => h.kind)).toEqual(['detected', 'evidence_seen', 'evidence_gone']);
    const f3 = (await get(analyst, `/api/findings/${F.F3}`)).json();
    expect(f3.history.at(-1)).toMatchObject({ kind: 'status', from: 'open', to: 'resolved', reason: 'fixed version installed' });
    expect(f3.validation).toBeNull();
    expect((await get(analyst, '/api/findings/999999999')).statusCode).toBe(404);
  });

  it('after a real import: the scan is named as evidence and in the history', async () => {
    const report = nessusXml([{ name: '10.1.1.1', ip: '10.1.1.1', fqdn: 'scan-me.example.com', items: [{ pluginId: 424242, severity: 4, cves: ['CVE-2026-0009'], port: 8443, name: 'Remote code execution', output: 'banner: x' }] }]);
    const up = await t.app.inject({ method: 'POST', url: '/api/imports?fileName=weekly.nessus', headers: { ...bearer(analyst), 'content-type': 'application/octet-stream' }, payload: report });
    expect(up.statusCode, up.body).toBe(200);
    const found = await list('vulnerabilityId=CVE-2026-0009');
    expect(found.items).toMatchObject([{ source: 'nessus', sources: ['nessus'], severity: 'critical', status: 'open', asset: { hostname: 'scan-me' } }]);
    const d = (await get(analyst, `/api/findings/${found.items[0]?.id}`)).json();
    expect(d.evidence).toMatchObject([{ source: 'nessus', sourceKey: '424242/8443/tcp', firstImportId: up.json().importId, title: 'Remote code execution', output: 'banner: x' }]);
    expect(d.imports).toMatchObject([{ id: up.json().importId, fileName: 'weekly.nessus' }]);
    expect(await sorted('source=nessus&q=scan-me')).toEqual([found.items[0]?.id]);
  });
});

describe('severity from evidence, kept as evidence and vulnerabilities change', () => {
  const sev = async (key: string) => (await list(`ids=${F[key]}`)).items[0];
  it('follows a change of evidence severity and a vulnerability gaining or losing its own', async () => {
    const db = t.database.db;
    expect(await sev('F5')).toMatchObject({ severity: 'critical', severitySource: 'evidence' });
    // Nessus lowers its rating: the OpenVAS evidence (medium) is now the strongest.
    await sql`update finding_evidence set severity = 'low' where finding_id = ${F.F5}::bigint and source = 'nessus'`.execute(db);
    expect(await sev('F5')).toMatchObject({ severity: 'medium', severitySource: 'evidence' });
    expect(await sorted('severity=medium')).toContain('F5');
    // The feed gives the vulnerability a severity: it counts, for F5 and F6 alike.
    await sql`update vulnerabilities set severity = 'HIGH' where id = 'CVE-2026-0004'`.execute(db);
    expect(await sev('F5')).toMatchObject({ severity: 'high', severitySource: 'vulnerability' });
    expect(await sev('F6')).toMatchObject({ severity: 'high', severitySource: 'vulnerability' });
    expect(await names('sort=severity&severity=high')).toEqual(['F6', 'F5', 'F8', 'F2']);
    // … and takes it back: the evidence counts again.
    await sql`update vulnerabilities set severity = null where id = 'CVE-2026-0004'`.execute(db);
    expect(await sev('F6')).toMatchObject({ severity: 'low', severitySource: 'evidence' });
    await sql`update finding_evidence set severity = 'critical' where finding_id = ${F.F5}::bigint and source = 'nessus'`.execute(db);
    expect(await sev('F5')).toMatchObject({ severity: 'critical', severitySource: 'evidence' });
    // A finding whose vulnerability has a severity keeps none of its own (F7's evidence says low, like CVE-2026-0005).
    const kept = await sql<{ n: number }>`select count(*)::int as n from findings where evidence_rank is not null`.execute(db);
    expect(kept.rows[0]?.n).toBe(2);
  });
});

describe('CSV export', () => {
  it('streams the filtered rows with a header, and defuses formula cells', async () => {
    const r = await get(auditor, '/api/findings/export.csv?status=open&sort=firstSeen&order=asc');
    expect(r.statusCode, r.body).toBe(200);
    expect(r.headers['content-type']).toMatch(/^text\/csv/);
    const rows = parse(r.body) as string[][];
    const [header, ...data] = rows as [string[], ...string[][]];
    expect(header.slice(0, 4)).toEqual(['finding_id', 'vulnerability', 'title', 'severity']);
    const col = (name: string) => header.indexOf(name);
    expect(data.map((d) => d[col('finding_id')])).toEqual([F.F1, F.F2, F.F4, F.F5, F.F8, ...data.slice(5).map((d) => d[0])]);
    const f2 = data.find((d) => d[col('finding_id')] === F.F2) as string[];
    expect(f2[col('title')]).toBe(`'=HYPERLINK("http://evil.example","click")`);
    expect(f2[col('hostname')]).toBe('web-prod-01');
    expect(f2[col('sources')]).toBe('nessus');
    expect(data.find((d) => d[col('finding_id')] === F.F1)?.[col('kev_due_date')]).toBe('2026-01-22');
  });
  it('exports a selection', async () => {
    const r = await get(analyst, `/api/findings/export.csv?ids=${F.F6},${F.F7}`);
    expect((parse(r.body) as string[][]).slice(1).map((d) => d[0]).sort()).toEqual([F.F6, F.F7].sort());
  });
});

describe('saved views', () => {
  const audits = async (id: string) =>
    (await sql<{ action: string; actor_name: string }>`select action, actor_name from audit_log where entity_type = 'finding_view' and entity_id = ${id} order by seq`.execute(t.database.db)).rows;

  it('create, list, rename, share and delete, each audited', async () => {
    const made = await call(t.app, analyst, 'POST', '/api/findings/views', { name: 'Critical open', query: 'status=open&severity=critical&sort=epss' });
    expect(made.statusCode, made.body).toBe(201);
    const v = made.json();
    expect(v).toMatchObject({ name: 'Critical open', query: 'status=open&severity=critical&sort=epss', shared: false, mine: true, owner: { id: analystId, name: 'reg-analyst' } });
    expect((await call(t.app, analyst, 'POST', '/api/findings/views', { name: 'critical OPEN', query: '' })).statusCode).toBe(409);
    // Personal: invisible to others.
    expect((await get(auditor, '/api/findings/views')).json().map((x: { id: string }) => x.id)).not.toContain(v.id);
    const renamed = await call(t.app, analyst, 'PATCH', `/api/findings/views/${v.id}`, { name: 'KEV', query: '?kev=true', shared: true });
    expect(renamed.statusCode, renamed.body).toBe(200);
    expect(renamed.json()).toMatchObject({ name: 'KEV', query: 'kev=true', shared: true });
    // Shared: everyone sees it; the query works as a list query.
    const seen = (await get(auditor, '/api/findings/views')).json().find((x: { id: string }) => x.id === v.id);
    expect(seen).toMatchObject({ mine: false, shared: true });
    expect(await sorted(seen.query)).toEqual(['F1', 'F3', 'F7']);
    expect((await call(t.app, analyst, 'DELETE', `/api/findings/views/${v.id}`)).statusCode).toBe(204);
    expect((await get(analyst, '/api/findings/views')).json().map((x: { id: string }) => x.id)).not.toContain(v.id);
    expect(await audits(v.id)).toEqual([
      { action: 'finding_view.create', actor_name: 'reg-analyst (token)' },
      { action: 'finding_view.update', actor_name: 'reg-analyst (token)' },
      { action: 'finding_view.delete', actor_name: 'reg-analyst (token)' },
    ]);
    expect((await get(auditor, '/api/audit/verify')).json().ok).toBe(true);
  });

  it('checks the query like a request', async () => {
    const r = await call(t.app, analyst, 'POST', '/api/findings/views', { name: 'Broken', query: 'severity=urgent&colour=red' });
    expect(r.statusCode).toBe(422);
    const fields = r.json().errors.map((e: { field: string; message: string }) => `${e.field}: ${e.message}`).join('\n');
    expect(fields).toMatch(/colour/);
    expect((await call(t.app, analyst, 'POST', '/api/findings/views', { name: 'Broken', query: 'severity=urgent' })).json().errors[0].field).toMatch(/severity/);
  });

  it('people keep personal views; sharing needs asset:write; others cannot touch a personal view; auditors save nothing', async () => {
    const mine = await call(t.app, owner, 'POST', '/api/findings/views', { name: 'Owner view', query: 'status=resolved' });
    expect(mine.statusCode, mine.body).toBe(201);
    expect((await call(t.app, auditor, 'POST', '/api/findings/views', { name: 'Auditor view', query: 'status=resolved' })).statusCode).toBe(403);
    expect((await call(t.app, owner, 'POST', '/api/findings/views', { name: 'Shared by owner', query: '', shared: true })).statusCode).toBe(403);
    expect((await call(t.app, owner, 'PATCH', `/api/findings/views/${mine.json().id}`, { shared: true })).statusCode).toBe(403);
    expect((await call(t.app, analyst, 'DELETE', `/api/findings/views/${mine.json().id}`)).statusCode).toBe(404);
    const shared = (await call(t.app, analyst, 'POST', '/api/findings/views', { name: 'Team view', query: 'status=open', shared: true })).json();
    expect((await call(t.app, auditor, 'DELETE', `/api/findings/views/${shared.id}`)).statusCode).toBe(403);
    expect((await call(t.app, owner, 'PATCH', `/api/findings/views/${shared.id}`, { name: 'Taken' })).statusCode).toBe(403);
    const seen = (await get(auditor, '/api/findings/views')).json();
    expect(JSON.stringify(seen)).toContain('Team view');
    expect(JSON.stringify(seen)).not.toContain('Owner view');
    expect((await call(t.app, owner, 'DELETE', `/api/findings/views/${mine.json().id}`)).statusCode).toBe(204);
  });

  it('auditors read the register: list, groups, detail, export', async () => {
    for (const url of ['/api/findings?status=open', '/api/findings/groups?by=asset', `/api/findings/${F.F1}`, '/api/findings/export.csv', '/api/findings/views']) {
      expect((await get(auditor, url)).statusCode, url).toBe(200);
    }
    expect((await t.app.inject({ method: 'GET', url: '/api/findings' })).statusCode).toBe(401);
  });
});
