import { sql } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { cyclonedxVexSchema, openvexSchema } from '../../src/domain/vex/schema.js';
import { ValidationError } from '../../src/lib/errors.js';
import { currentValidation, validateFindings } from '../../src/services/findings/validation.service.js';
import { bearer, call, operator, type TestApp, testApp, userWithToken } from '../support/app.js';
import { debPackageOutput, type NessusHostSpec, nessusXml } from '../support/reports.js';

/**
 * Validating findings (issue #5 §5, VUL-6) through the API: bulk marks are
 * all or nothing, carry reviewer, reason and evidence, show in the history
 * and the audit trail; a re-import of the same scan keeps them, one with
 * other evidence lifts them; the decisions export as CycloneDX and OpenVEX.
 */
const base = { environment: 'production', systemType: 'web_server', businessCriticality: 'high', networkExposure: 'internal' } as const;

let t: TestApp;
let analyst: { token: string; user: { id: string } };
const ids: Record<string, string> = {};
/** finding ids by "host vulnerability" */
const f: Record<string, string> = {};

const sshItem = (output: string) => ({ pluginId: 200003, severity: 1 as const, port: 22, name: 'SSH weak MAC algorithms enabled', output });
const web = (ssh = 'The following client-to-server MACs are supported: hmac-md5', openssl = '3.0.14-1~deb12u2'): NessusHostSpec => ({
  name: '10.1.0.11',
  ip: '10.1.0.11',
  fqdn: 'val-web-01.example.com',
  items: [
    { pluginId: 200001, severity: 3, cves: ['CVE-2026-0001'], name: 'Debian DSA-9999-1 : openssl', output: debPackageOutput('openssl', openssl, '3.0.15-1~deb12u1') },
    { pluginId: 200002, severity: 2, cves: ['CVE-2026-1111'], port: 443, name: 'TLS weakness' },
    sshItem(ssh),
  ],
});
const db: NessusHostSpec = { name: '10.1.0.12', ip: '10.1.0.12', items: [{ pluginId: 200002, severity: 2, cves: ['CVE-2026-1111'], port: 5432 }] };

const upload = (body: string) =>
  t.app.inject({ method: 'POST', url: '/api/imports', headers: { ...bearer(analyst.token), 'content-type': 'application/octet-stream' }, payload: body });
const validate = (body: unknown, token = analyst.token) => call(t.app, token, 'POST', '/api/findings/validation', body);
const lift = (id: string, body: unknown, token = analyst.token) => call(t.app, token, 'DELETE', `/api/findings/${id}/validation`, body);
const finding = async (id: string) => (await call(t.app, analyst.token, 'GET', `/api/findings/${id}`)).json();

async function state() {
  const r = await sql<{ statuses: string; validations: number; events: number; audits: number }>`select
    (select string_agg(id || '=' || status, ',' order by id) from findings) as statuses,
    (select count(*)::int from finding_validations) as validations,
    (select count(*)::int from finding_events) as events,
    (select count(*)::int from audit_log where action like 'finding.%') as audits`.execute(t.database.db);
  return r.rows[0];
}

beforeAll(async () => {
  t = await testApp();
  analyst = await userWithToken(t.database, 'security_analyst', 'val-analyst');
  for (const [hostname, extra] of [
    ['val-web-01', { fqdn: 'val-web-01.example.com' }],
    ['val-db-01', { ipAddresses: ['10.1.0.12'] }],
  ] as const) {
    const r = await call(t.app, analyst.token, 'POST', '/api/assets', { ...base, hostname, ...extra });
    expect(r.statusCode, r.body).toBe(201);
    ids[hostname] = r.json().id;
  }
  const r = await upload(nessusXml([web(), db]));
  expect(r.statusCode, r.body).toBe(200);
  expect(r.json().findings).toMatchObject({ reported: 4, new: 4 });
  for (const [host, id] of Object.entries(ids)) {
    for (const x of (await call(t.app, analyst.token, 'GET', `/api/findings?assetId=${id}`)).json().items) f[`${host} ${x.vulnerabilityId}`] = x.id;
  }
  expect(Object.keys(f).sort()).toEqual(['val-db-01 CVE-2026-1111', 'val-web-01 CVE-2026-0001', 'val-web-01 CVE-2026-1111', 'val-web-01 NESSUS-200003']);
});
afterAll(() => t?.close());

describe('POST /api/findings/validation', () => {
  it('marks several open findings false positive in one go: validation rows, statuses, history and one audit record', async () => {
    const targets = [f['val-web-01 CVE-2026-1111'], f['val-db-01 CVE-2026-1111']] as string[];
    const r = await validate({ findingIds: targets, status: 'false_positive', reason: 'TLS 1.0 is disabled; the check reads an old banner' });
    expect(r.statusCode, r.body).toBe(200);
    expect(r.json()).toEqual({ validated: 2, status: 'false_positive', findingIds: targets });
    for (const id of targets) {
      const d = await finding(id);
      expect(d.status).toBe('false_positive');
      expect(d.history.at(-1)).toMatchObject({ from: 'open', to: 'false_positive', reason: 'marked false positive by val-analyst: TLS 1.0 is disabled; the check reads an old banner', runId: null });
    }
    const rows = await sql<{ finding_id: string; status: string; justification: string | null; reviewer_id: string; reviewer_name: string; evidence_fingerprint: string; lifted_at: Date | null }>`
      select finding_id::text as finding_id, status, justification, reviewer_id::text as reviewer_id, reviewer_name, evidence_fingerprint, lifted_at
      from finding_validations order by finding_id`.execute(t.database.db);
    expect(rows.rows.map((x) => x.finding_id).sort()).toEqual([...targets].sort());
    for (const row of rows.rows) {
      expect(row).toMatchObject({ status: 'false_positive', justification: null, reviewer_id: analyst.user.id, reviewer_name: 'val-analyst', lifted_at: null });
      // The evidence the decision was made on: the finding's evidence fingerprints and its package.
      const ev = await sql<{ fingerprint: string }>`select fingerprint from finding_evidence where finding_id = ${row.finding_id} order by id`.execute(t.database.db);
      const pkg = await sql<{ package_id: string | null }>`select package_id::text as package_id from findings where id = ${row.finding_id}`.execute(t.database.db);
      expect(ev.rows.length).toBe(1);
      expect(row.evidence_fingerprint).toBe(`${ev.rows.map((e) => e.fingerprint).join(',')};package:${pkg.rows[0]?.package_id ?? '-'}`);
    }
    const audit = (await call(t.app, analyst.token, 'GET', '/api/audit?action=finding.validate')).json().items;
    expect(audit).toHaveLength(1);
    expect(audit[0]).toMatchObject({ actorName: 'val-analyst (token)', entityType: 'finding', entityId: null, after: { status: 'false_positive', count: 2, findingIds: targets } });
  });

  it('all or nothing: one finding that is not open, or does not exist, and nothing is marked', async () => {
    const before = await state();
    const open = f['val-web-01 NESSUS-200003'] as string;
    const done = f['val-db-01 CVE-2026-1111'] as string;
    const notOpen = await validate({ findingIds: [open, done], status: 'false_positive', reason: 'x' });
    expect(notOpen.statusCode).toBe(409);
    expect(notOpen.json().detail).toContain(`${done} (false positive)`);
    expect(notOpen.json().errors).toEqual([{ field: 'body.findingIds[1]', message: `finding ${done} is false positive, not open` }]);
    const missing = await validate({ findingIds: [open, '987654321'], status: 'false_positive', reason: 'x' });
    expect(missing.statusCode).toBe(422);
    expect(missing.json().detail).toContain('987654321');
    expect(missing.json().errors).toEqual([{ field: 'body.findingIds[1]', message: 'there is no finding 987654321' }]);
    expect(await state()).toEqual(before);
    expect((await finding(open)).status).toBe('open');
  });

  it('not_affected needs a VEX justification; reasons are required and bounded; at most 10,000 findings', async () => {
    const before = await state();
    const id = f['val-web-01 CVE-2026-0001'] as string;
    const cases: [unknown, string][] = [
      [{ findingIds: [id], status: 'not_affected', reason: 'not reachable' }, 'body.justification'],
      [{ findingIds: [id], status: 'not_affected', justification: 'because', reason: 'not reachable' }, 'body.justification'],
      [{ findingIds: [id], status: 'false_positive', reason: '   ' }, 'body.reason'],
      [{ findingIds: [id], status: 'false_positive', reason: 'x'.repeat(2001) }, 'body.reason'],
      [{ findingIds: [id], status: 'resolved', reason: 'x' }, 'body.status'],
      [{ findingIds: [], status: 'false_positive', reason: 'x' }, 'body.findingIds'],
      [{ findingIds: Array.from({ length: 10_001 }, (_, i) => String(i + 1)), status: 'false_positive', reason: 'x' }, 'body.findingIds'],
      [{ findingIds: ['12a'], status: 'false_positive', reason: 'x' }, 'body.findingIds.0'],
    ];
    for (const [body, field] of cases) {
      const r = await validate(body);
      expect(r.statusCode, JSON.stringify(body).slice(0, 100)).toBe(400);
      expect(r.json().errors.map((e: { field: string }) => e.field), r.body.slice(0, 300)).toContain(field);
    }
    expect(await state()).toEqual(before);
    const ok = await validate({ findingIds: [id], status: 'not_affected', justification: 'vulnerable_code_not_in_execute_path', reason: 'the daemon never loads libssl' });
    expect(ok.statusCode, ok.body).toBe(200);
    const v = await sql<{ justification: string }>`select justification from finding_validations where finding_id = ${id} and lifted_at is null`.execute(t.database.db);
    expect(v.rows).toEqual([{ justification: 'vulnerable_code_not_in_execute_path' }]);
    expect((await finding(id)).history.at(-1).reason).toBe('marked not affected (vulnerable_code_not_in_execute_path) by val-analyst: the daemon never loads libssl');
  });

  it('the service checks the same rules for callers that do not come through the HTTP schema', async () => {
    const before = await state();
    const id = f['val-web-01 NESSUS-200003'] as string;
    const err = await validateFindings(t.database.db, operator, { findingIds: [id], status: 'not_affected', reason: 'x' }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ValidationError);
    expect((err as ValidationError).problems).toEqual([{ field: 'body.justification', message: expect.stringMatching(/^is required for not_affected/) }]);
    expect(await state()).toEqual(before);
    expect(await currentValidation(t.database.db, operator, id)).toBeNull();
    const marked = await currentValidation(t.database.db, operator, f['val-web-01 CVE-2026-0001'] as string);
    expect(marked).toMatchObject({ status: 'not_affected', justification: 'vulnerable_code_not_in_execute_path', reason: 'the daemon never loads libssl', reviewer: 'val-analyst' });
  });

  it('needs finding:validate: the auditor, the system owner and the change approver are refused, anonymous callers too', async () => {
    const before = await state();
    const body = { findingIds: [f['val-web-01 NESSUS-200003']], status: 'false_positive', reason: 'x' };
    for (const role of ['auditor', 'system_owner', 'change_approver'] as const) {
      const { token } = await userWithToken(t.database, role, `val-${role}`);
      expect((await validate(body, token)).statusCode, role).toBe(403);
      expect((await lift(f['val-db-01 CVE-2026-1111'] as string, { reason: 'x' }, token)).statusCode, role).toBe(403);
      // Reading the decisions is for everyone who reads the register.
      expect((await call(t.app, token, 'GET', '/api/findings/vex')).statusCode, role).toBe(200);
    }
    expect((await t.app.inject({ method: 'POST', url: '/api/findings/validation', payload: body })).statusCode).toBe(401);
    const { token: admin } = await userWithToken(t.database, 'admin', 'val-admin');
    expect((await call(t.app, admin, 'GET', '/api/auth/me')).json().principal.permissions).toContain('finding:validate');
    expect(await state()).toEqual(before);
  });
});

describe('DELETE /api/findings/:id/validation', () => {
  it('lifts a mark: the finding is open again, the validation keeps who lifted it and why, with history and audit', async () => {
    const id = f['val-db-01 CVE-2026-1111'] as string;
    const r = await lift(id, { reason: 'the banner check was right after all' });
    expect(r.statusCode, r.body).toBe(200);
    expect(r.json()).toEqual({ id, status: 'open', lifted: 1 });
    const d = await finding(id);
    expect(d.status).toBe('open');
    expect(d.history.at(-1)).toMatchObject({ from: 'false_positive', to: 'open', reason: 'validation lifted by val-analyst: the banner check was right after all' });
    const v = await sql<{ lifted_at: Date | null; lifted_reason: string }>`select lifted_at, lifted_reason from finding_validations where finding_id = ${id}`.execute(t.database.db);
    expect(v.rows).toHaveLength(1);
    expect(v.rows[0]?.lifted_at).toBeInstanceOf(Date);
    expect(v.rows[0]?.lifted_reason).toBe('lifted by val-analyst: the banner check was right after all');
    const audit = (await call(t.app, analyst.token, 'GET', `/api/audit?action=finding.validation_lifted&entityId=${id}`)).json().items;
    expect(audit).toHaveLength(1);
    expect(audit[0]).toMatchObject({ before: { status: 'false_positive', validation: { status: 'false_positive', reviewer: 'val-analyst' } }, after: { status: 'open' } });
  });

  it('refuses to lift what is not marked (409), a finding that does not exist (404), and a lift without a reason (400)', async () => {
    const before = await state();
    const open = f['val-db-01 CVE-2026-1111'] as string;
    const r = await lift(open, { reason: 'again' });
    expect(r.statusCode).toBe(409);
    expect(r.json().detail).toMatch(/is open: it is not marked/);
    expect((await lift('987654321', { reason: 'x' })).statusCode).toBe(404);
    expect((await lift('not-a-number', { reason: 'x' })).statusCode).toBe(404);
    expect((await lift(f['val-web-01 CVE-2026-1111'] as string, {})).statusCode).toBe(400);
    expect(await state()).toEqual(before);
  });
});

describe('marks and later scans', () => {
  it('a re-import of the same scan keeps the marks', async () => {
    const ssh = f['val-web-01 NESSUS-200003'] as string;
    expect((await validate({ findingIds: [ssh], status: 'false_positive', reason: 'hmac-md5 is disabled in sshd_config' })).statusCode).toBe(200);
    const r = await upload(nessusXml([web(), db]));
    expect(r.statusCode, r.body).toBe(200);
    expect(r.json().findings).toMatchObject({ new: 0, validationsLifted: 0 });
    expect((await finding(ssh)).status).toBe('false_positive');
    expect((await finding(f['val-web-01 CVE-2026-1111'] as string)).status).toBe('false_positive');
    expect((await finding(f['val-web-01 CVE-2026-0001'] as string)).status).toBe('not_affected');
  });

  it('a scan with other plugin output lifts the mark on that finding only, naming the scan', async () => {
    const ssh = f['val-web-01 NESSUS-200003'] as string;
    const r = await upload(nessusXml([web('The following client-to-server MACs are supported: hmac-md5, hmac-sha1-96'), db]));
    expect(r.statusCode, r.body).toBe(200);
    expect(r.json().findings).toMatchObject({ validationsLifted: 1 });
    const d = await finding(ssh);
    expect(d.status).toBe('open');
    expect(d.history.at(-1)).toMatchObject({ from: 'false_positive', to: 'open', runId: r.json().importId });
    const v = await sql<{ lifted_reason: string | null }>`select lifted_reason from finding_validations where finding_id = ${ssh} order by id`.execute(t.database.db);
    expect(v.rows.map((x) => x.lifted_reason)).toEqual([expect.stringMatching(/^evidence changed/)]);
    expect((await finding(f['val-web-01 CVE-2026-1111'] as string)).status).toBe('false_positive');
  });

  it('another installed version lifts a not-affected mark', async () => {
    const id = f['val-web-01 CVE-2026-0001'] as string;
    const r = await upload(nessusXml([web('The following client-to-server MACs are supported: hmac-md5, hmac-sha1-96', '3.0.14-1~deb12u3'), db]));
    expect(r.json().findings).toMatchObject({ validationsLifted: 1 });
    expect((await finding(id)).status).toBe('open');
  });

  it('a mark made again after a lift is the one in force; the old one stays as history', async () => {
    const id = f['val-web-01 NESSUS-200003'] as string;
    expect((await validate({ findingIds: [id], status: 'false_positive', reason: 'both MACs are disabled' })).statusCode).toBe(200);
    const v = await sql<{ reason: string; lifted: boolean }>`select reason, lifted_at is not null as lifted from finding_validations where finding_id = ${id} order by id`.execute(t.database.db);
    expect(v.rows).toEqual([
      { reason: 'hmac-md5 is disabled in sshd_config', lifted: true },
      { reason: 'both MACs are disabled', lifted: false },
    ]);
  });
});

describe('GET /api/findings/vex', () => {
  it('OpenVEX: a download naming every decision in force, valid against the spec shape', async () => {
    const r = await call(t.app, analyst.token, 'GET', '/api/findings/vex?format=openvex');
    expect(r.statusCode, r.body).toBe(200);
    expect(r.headers['content-disposition']).toMatch(/^attachment; filename="patchloop-vex-\d{4}-\d{2}-\d{2}\.openvex\.json"$/);
    const doc = openvexSchema.parse(JSON.parse(r.body));
    expect(doc.author).toBe('patchloop (exported by val-analyst)');
    // In force: web CVE-2026-1111 (false positive), web NESSUS-200003 (false positive). Lifted ones are not stated.
    const inForce = await sql<{ n: number }>`select count(*)::int as n from finding_validations where lifted_at is null`.execute(t.database.db);
    expect(inForce.rows[0]?.n).toBe(2);
    expect(doc.statements.map((s) => [s.vulnerability.name, s.status, s.impact_statement, s.products.map((p) => p['@id'])]).sort()).toEqual(
      [
        ['CVE-2026-1111', 'not_affected', 'false positive: TLS 1.0 is disabled; the check reads an old banner', [`urn:uuid:${ids['val-web-01']}`]],
        ['NESSUS-200003', 'not_affected', 'false positive: both MACs are disabled', [`urn:uuid:${ids['val-web-01']}`]],
      ].sort(),
    );
    expect(r.headers['x-vex-statements']).toBe('2');
  });

  it('CycloneDX (the default) with the package purl as bom-ref, filtered by asset and vulnerability', async () => {
    // A package finding marked not affected, to see its purl.
    const id = f['val-web-01 CVE-2026-0001'] as string;
    expect((await validate({ findingIds: [id], status: 'not_affected', justification: 'inline_mitigations_already_exist', reason: 'AppArmor profile blocks it' })).statusCode).toBe(200);
    const r = await call(t.app, analyst.token, 'GET', `/api/findings/vex?assetId=${ids['val-web-01']}`);
    expect(r.statusCode, r.body).toBe(200);
    expect(r.headers['content-type']).toMatch(/^application\/vnd\.cyclonedx\+json/);
    const doc = cyclonedxVexSchema.parse(JSON.parse(r.body));
    const ssl = doc.vulnerabilities.find((v) => v.id === 'CVE-2026-0001');
    expect(ssl?.analysis).toMatchObject({ state: 'not_affected', justification: 'protected_by_mitigating_control', detail: 'AppArmor profile blocks it' });
    // The finding's package (a scan names it without architecture; no stored purl): pkg:deb/debian/name@version.
    const pkg = await sql<{ name: string; version: string; ecosystem: string; arch: string; purl: string | null }>`
      select p.name, p.version, p.ecosystem, p.arch, p.purl from findings f join packages p on p.id = f.package_id where f.id = ${id}`.execute(t.database.db);
    const p = pkg.rows[0];
    expect(p).toMatchObject({ name: 'openssl', ecosystem: 'deb', arch: '', purl: null });
    expect(ssl?.affects).toEqual([{ ref: `pkg:deb/debian/openssl@${p?.version}` }]);
    expect(doc.components.find((c) => c['bom-ref'] === ssl?.affects[0]?.ref)).toEqual({ type: 'library', 'bom-ref': `pkg:deb/debian/openssl@${p?.version}`, name: 'openssl', version: p?.version, purl: `pkg:deb/debian/openssl@${p?.version}` });
    expect(doc.vulnerabilities.map((v) => v.id).sort()).toEqual(['CVE-2026-0001', 'CVE-2026-1111', 'NESSUS-200003']);
    const other = JSON.parse((await call(t.app, analyst.token, 'GET', `/api/findings/vex?assetId=${ids['val-db-01']}`)).body);
    expect(other.vulnerabilities).toEqual([]);
    const one = JSON.parse((await call(t.app, analyst.token, 'GET', '/api/findings/vex?vulnerabilityId=NESSUS-200003')).body);
    expect(one.vulnerabilities.map((v: { id: string }) => v.id)).toEqual(['NESSUS-200003']);
    expect((await call(t.app, analyst.token, 'GET', '/api/findings/vex?format=spdx')).statusCode).toBe(400);
  });
});
