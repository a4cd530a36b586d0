import { sql } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { bearer, call, type TestApp, testApp, userWithToken } from '../support/app.js';

/**
 * VEX through imports (issue #5 §5): an OpenVEX "not affected" statement
 * marks the matching findings with its justification; the mark survives a
 * re-scan that reports the same thing and is lifted when the scanner reports
 * another version; a CycloneDX report's own analysis marks its findings.
 */
let t: TestApp;
let token: string;

const trivy = (lodash: string) =>
  JSON.stringify({
    SchemaVersion: 2,
    ArtifactName: 'registry.example/shop:1.4',
    ArtifactType: 'container_image',
    Metadata: { RepoDigests: [`registry.example/shop@sha256:${'c'.repeat(64)}`] },
    Results: [
      {
        Target: 'app/package-lock.json',
        Class: 'lang-pkgs',
        Type: 'npm',
        Vulnerabilities: [
          { VulnerabilityID: 'CVE-2021-23337', PkgName: 'lodash', InstalledVersion: lodash, FixedVersion: '4.17.21', Severity: 'HIGH', PkgIdentifier: { PURL: `pkg:npm/lodash@${lodash}` } },
          { VulnerabilityID: 'CVE-2022-25883', PkgName: 'semver', InstalledVersion: '7.5.1', FixedVersion: '7.5.2', Severity: 'MEDIUM' },
        ],
      },
    ],
  });

const openvex = JSON.stringify({
  '@context': 'https://openvex.dev/ns/v0.2.0',
  '@id': 'https://example.org/vex/shop-1',
  author: 'Shop team',
  timestamp: '2026-12-01T10:00:00Z',
  version: 1,
  statements: [
    { vulnerability: { name: 'CVE-2021-23337' }, products: [{ '@id': 'pkg:npm/lodash@4.17.20' }], status: 'not_affected', justification: 'vulnerable_code_not_in_execute_path', impact_statement: 'template() is never called' },
    { vulnerability: { name: 'CVE-2022-25883' }, products: [{ '@id': 'pkg:oci/shop', subcomponents: [{ '@id': 'pkg:npm/semver@7.5.1' }] }], status: 'not_affected', justification: 'vulnerable_code_not_present' },
  ],
});

function upload(body: string, query = '') {
  return t.app.inject({ method: 'POST', url: `/api/imports${query}`, headers: { ...bearer(token), 'content-type': 'application/octet-stream' }, payload: body });
}

async function finding(vuln: string) {
  const items = (await call(t.app, token, 'GET', `/api/findings?vulnerabilityId=${vuln}`)).json().items;
  expect(items).toHaveLength(1);
  return items[0];
}

beforeAll(async () => {
  t = await testApp();
  ({ token } = await userWithToken(t.database, 'security_analyst', 'vex-analyst'));
});
afterAll(() => t?.close());

describe('VEX in imports', () => {
  it('an OpenVEX statement marks the matching finding not affected; a statement about a subcomponent within a product is not applied everywhere', async () => {
    expect((await upload(trivy('4.17.20'))).json().findings).toMatchObject({ new: 2 });
    const r = await upload(openvex, '?fileName=shop.openvex.json');
    expect(r.statusCode, r.body).toBe(200);
    expect(r.json().vex).toEqual({ statements: 3, notAffected: 1, findingsValidated: 1, unmatched: 0 });
    expect(r.json().skipped.map((s: { reason: string }) => s.reason).join('\n')).toMatch(/within another product/);

    expect((await finding('CVE-2021-23337')).status).toBe('not_affected');
    expect((await finding('CVE-2022-25883')).status).toBe('open');
    const v = await sql<{ status: string; justification: string; reason: string }>`select status, justification, reason from finding_validations`.execute(t.database.db);
    expect(v.rows).toEqual([{ status: 'not_affected', justification: 'vulnerable_code_not_in_execute_path', reason: 'VEX statement in the Shop team document shop.openvex.json: template() is never called' }]);
  });

  it('the mark survives a re-scan that reports the same evidence, and is lifted when the scanner reports another version', async () => {
    expect((await upload(trivy('4.17.20'))).json().findings).toMatchObject({ new: 0, validationsLifted: 0 });
    expect((await finding('CVE-2021-23337')).status).toBe('not_affected');
    const r = (await upload(trivy('4.17.19'))).json();
    expect(r.findings).toMatchObject({ new: 0, validationsLifted: 1 });
    expect(r.evidence.changed).toBeGreaterThanOrEqual(1);
    const f = await finding('CVE-2021-23337');
    expect(f.status).toBe('open');
    expect(f.installedVersion).toBe('4.17.19');
    const detail = (await call(t.app, token, 'GET', `/api/findings/${f.id}`)).json();
    const history: string[] = detail.history.map((h: { to: string; reason: string }) => `${h.to}: ${h.reason}`);
    const steps = ['open: detected', 'not_affected: VEX statement in the Shop team document shop.openvex.json', 'open: validation lifted: the Trivy scan brought new evidence'];
    const at = steps.map((step) => history.indexOf(step));
    expect(at.every((i) => i >= 0), history.join('\n')).toBe(true);
    expect([...at].sort((a, b) => a - b)).toEqual(at);
  });

  it("a CycloneDX report's own analysis marks its findings (not affected, false positive)", async () => {
    const bom = {
      bomFormat: 'CycloneDX',
      specVersion: '1.5',
      metadata: { component: { type: 'application', name: 'billing', version: '2.0', 'bom-ref': 'billing' } },
      components: [{ 'bom-ref': 'pkg:maven/org.example/parser@1.0', type: 'library', name: 'parser', version: '1.0', purl: 'pkg:maven/org.example/parser@1.0' }],
      vulnerabilities: [
        { id: 'CVE-2026-5001', ratings: [{ severity: 'high' }], affects: [{ ref: 'pkg:maven/org.example/parser@1.0' }], analysis: { state: 'not_affected', justification: 'code_not_reachable', detail: 'only used at build time' } },
        { id: 'CVE-2026-5002', ratings: [{ severity: 'low' }], affects: [{ ref: 'pkg:maven/org.example/parser@1.0' }], analysis: { state: 'false_positive', detail: 'wrong component matched' } },
        { id: 'CVE-2026-5003', ratings: [{ severity: 'low' }], affects: [{ ref: 'pkg:maven/org.example/parser@1.0' }], analysis: { state: 'exploitable' } },
      ],
    };
    const r = (await upload(JSON.stringify(bom))).json();
    expect(r.findings).toMatchObject({ new: 3, validatedByVex: 2 });
    expect((await finding('CVE-2026-5001')).status).toBe('not_affected');
    expect((await finding('CVE-2026-5002')).status).toBe('false_positive');
    expect((await finding('CVE-2026-5003')).status).toBe('open');
  });
});
