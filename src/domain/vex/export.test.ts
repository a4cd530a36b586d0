import fc from 'fast-check';
import { PackageURL } from 'packageurl-js';
import { describe, expect, it } from 'vitest';
import { cyclonedxReport } from '../scanners/cyclonedx-vex.js';
import { openvexReport } from '../scanners/openvex.js';
import { type ReportFinding, type ReportSink, VEX_JUSTIFICATIONS, type VexJustification, type VexStatement } from '../scanners/report.js';
import { CYCLONEDX_JUSTIFICATION, cyclonedxVex, groupDecisions, openVex, type VexDecision, vulnerabilitySource } from './export.js';
import { purlOf } from './purl.js';
import { cyclonedxVexSchema, openvexSchema } from './schema.js';

const info = { id: '0b9c1a52-6f0e-4a4e-9d55-1f2a3b4c5d6e', timestamp: '2026-12-03T10:00:00.000Z', author: 'patchloop (exported by alice)', toolVersion: '0.1.0' };
const web = { id: '11111111-1111-4111-8111-111111111111', hostname: 'web-01' };
const db = { id: '22222222-2222-4222-8222-222222222222', hostname: 'db-01' };
const openssl = { ecosystem: 'deb', name: 'openssl', version: '3.0.14-1~deb12u2', arch: 'amd64' };

function decision(over: Partial<VexDecision> = {}): VexDecision {
  return { vulnerabilityId: 'CVE-2026-0001', status: 'not_affected', justification: 'vulnerable_code_not_in_execute_path', reason: 'the TLS code is not used', reviewer: 'alice', at: '2026-12-01T09:00:00.000Z', package: openssl, distro: 'debian', asset: web, ...over };
}

async function readCycloneDx(doc: unknown) {
  const findings: ReportFinding[] = [];
  const skipped: string[] = [];
  const sink: ReportSink = { target: (_t, f) => void findings.push(...f), skip: (r) => void skipped.push(r) };
  const meta = await cyclonedxReport([JSON.stringify(doc)], sink);
  return { meta, findings, skipped };
}

async function readOpenVex(doc: unknown) {
  const statements: VexStatement[] = [];
  const skipped: string[] = [];
  const sink: ReportSink = { target: () => undefined, statement: (s) => void statements.push(s), skip: (r) => void skipped.push(r) };
  const meta = await openvexReport([JSON.stringify(doc)], sink);
  return { meta, statements, skipped };
}

describe('purlOf', () => {
  it.each([
    [{ ecosystem: 'deb', name: 'openssl', version: '3.0.14-1~deb12u2', arch: 'amd64' }, null, 'pkg:deb/debian/openssl@3.0.14-1~deb12u2?arch=amd64'],
    [{ ecosystem: 'deb', name: 'bash', version: '5.1-6ubuntu1', arch: '' }, 'ubuntu', 'pkg:deb/ubuntu/bash@5.1-6ubuntu1'],
    [{ ecosystem: 'deb', name: 'curl', version: '1:7.88.1-10', arch: 'arm64' }, 'Not A Vendor!', 'pkg:deb/debian/curl@1:7.88.1-10?arch=arm64'],
    [{ ecosystem: 'rpm', name: 'openssl', version: '1:3.0.7-27.el9', arch: 'x86_64' }, 'rhel', 'pkg:rpm/redhat/openssl@3.0.7-27.el9?arch=x86_64&epoch=1'],
    [{ ecosystem: 'rpm', name: 'bash', version: '5.1.8-9.el9', arch: null }, 'rocky', 'pkg:rpm/rocky/bash@5.1.8-9.el9'],
    [{ ecosystem: 'apk', name: 'musl', version: '1.2.4-r2', arch: 'x86_64' }, null, 'pkg:apk/alpine/musl@1.2.4-r2?arch=x86_64'],
    [{ ecosystem: 'maven', name: 'org.apache.logging.log4j:log4j-core', version: '2.14.1' }, 'debian', 'pkg:maven/org.apache.logging.log4j/log4j-core@2.14.1'],
    [{ ecosystem: 'npm', name: '@babel/traverse', version: '7.22.0' }, null, 'pkg:npm/%40babel/traverse@7.22.0'],
    [{ ecosystem: 'npm', name: 'lodash', version: '4.17.20' }, null, 'pkg:npm/lodash@4.17.20'],
    [{ ecosystem: 'go', name: 'golang.org/x/net', version: 'v0.17.0' }, null, 'pkg:golang/golang.org/x/net@v0.17.0'],
    [{ ecosystem: 'pypi', name: 'django', version: '4.2.1' }, null, 'pkg:pypi/django@4.2.1'],
    [{ ecosystem: 'something', name: 'tool', version: '1' }, null, 'pkg:generic/tool@1'],
    [{ ecosystem: null, name: 'openssh', version: null }, null, 'pkg:generic/openssh'],
    // Maven needs a group: without one it is still a product, a generic one.
    [{ ecosystem: 'maven', name: 'log4j-core', version: '2.14.1' }, null, 'pkg:generic/log4j-core@2.14.1'],
  ])('%j on %s → %s', (p, distro, want) => {
    expect(purlOf(p, distro)).toBe(want);
  });

  it('always gives a purl that parses back to the same name and version, whatever the package', () => {
    fc.assert(
      fc.property(
        fc.constantFrom('deb', 'rpm', 'apk', 'npm', 'pypi', 'maven', 'go', 'cargo', 'nuget', 'gem', 'composer', 'other', null),
        // Stored names and versions are trimmed and never empty (inventory and scanner input both trim).
        fc.string({ minLength: 1, maxLength: 30 }).filter((s) => s.trim() === s && s !== ''),
        fc.option(fc.string({ minLength: 1, maxLength: 20 }).filter((s) => s.trim() === s && s !== ''), { nil: null }),
        fc.constantFrom('', 'amd64'),
        fc.option(fc.constantFrom('debian', 'ubuntu', 'rhel', 'Weird Distro', ''), { nil: null }),
        (ecosystem, name, version, arch, distro) => {
          const purl = purlOf({ ecosystem, name, version, arch }, distro);
          const back = PackageURL.fromString(purl);
          if (back.type === 'generic') expect(back.name).toBe(name);
          if (back.type !== 'rpm' && back.type !== 'pypi') expect(back.version ?? null).toBe(version);
        },
      ),
      { numRuns: 500 },
    );
  });

  it('keeps the purl a package was stored with', () => {
    expect(purlOf({ ecosystem: 'npm', name: 'x', version: '1', purl: 'pkg:npm/x@1?vcs_url=git' }, 'debian')).toBe('pkg:npm/x@1?vcs_url=git');
  });
});

describe('grouping', () => {
  it('one statement per vulnerability, status, justification and reason, naming each package once', () => {
    const g = groupDecisions([
      decision({ asset: web }),
      decision({ asset: db, reviewer: 'bob', at: '2026-12-02T09:00:00.000Z' }),
      decision({ asset: db, package: { ...openssl, version: '3.0.11-1~deb12u2' }, at: '2026-11-30T09:00:00.000Z' }),
      decision({ reason: 'another reason' }),
      decision({ status: 'false_positive', justification: null }),
      decision({ vulnerabilityId: 'CVE-2025-9999' }),
    ]);
    expect(g.map((x) => [x.vulnerabilityId, x.status, x.reason, x.products.length])).toEqual([
      ['CVE-2025-9999', 'not_affected', 'the TLS code is not used', 1],
      ['CVE-2026-0001', 'false_positive', 'the TLS code is not used', 1],
      ['CVE-2026-0001', 'not_affected', 'another reason', 1],
      ['CVE-2026-0001', 'not_affected', 'the TLS code is not used', 2],
    ]);
    const main = g[3];
    expect(main?.products.map((p) => p.ref)).toEqual(['pkg:deb/debian/openssl@3.0.11-1~deb12u2?arch=amd64', 'pkg:deb/debian/openssl@3.0.14-1~deb12u2?arch=amd64']);
    expect(main?.reviewers).toEqual(['alice', 'bob']);
    expect([main?.first, main?.last]).toEqual(['2026-11-30T09:00:00.000Z', '2026-12-02T09:00:00.000Z']);
  });

  it('names the source of each kind of id', () => {
    expect(vulnerabilitySource('CVE-2026-0001')).toEqual({ name: 'NVD', url: 'https://nvd.nist.gov/vuln/detail/CVE-2026-0001' });
    expect(vulnerabilitySource('GHSA-abcd-efgh-ijkl').name).toBe('GitHub');
    expect(vulnerabilitySource('NESSUS-200003')).toEqual({ name: 'Tenable', url: 'https://www.tenable.com/plugins/nessus/200003' });
    expect(vulnerabilitySource('DSA-5678-1').name).toBe('OSV');
    expect(vulnerabilitySource('QID-38173')).toEqual({ name: 'QID' });
  });
});

describe('CycloneDX 1.6 VEX', () => {
  const decisions = [
    decision({ asset: web }),
    decision({ asset: db, reviewer: 'bob', at: '2026-12-02T09:00:00.000Z' }),
    decision({ vulnerabilityId: 'NESSUS-200003', status: 'false_positive', justification: null, reason: 'the MACs are disabled in sshd_config', package: null, asset: db }),
    decision({ vulnerabilityId: 'CVE-2026-2222', justification: 'component_not_present', reason: 'not built in', package: { ecosystem: 'npm', name: '@scope/pkg', version: '1.0.0' }, aliases: ['GHSA-aaaa-bbbb-cccc'] }),
  ];
  const doc = cyclonedxVex(decisions, info);

  it('matches the schema and says what was decided', () => {
    expect(cyclonedxVexSchema.safeParse(doc).error?.issues ?? []).toEqual([]);
    expect(doc).toMatchObject({ bomFormat: 'CycloneDX', specVersion: '1.6', serialNumber: `urn:uuid:${info.id}`, version: 1 });
    expect(doc.components.map((c) => c['bom-ref'])).toEqual([
      'pkg:deb/debian/openssl@3.0.14-1~deb12u2?arch=amd64',
      'pkg:npm/%40scope/pkg@1.0.0',
      `urn:uuid:${db.id}`,
    ]);
    expect(doc.components[1]).toEqual({ type: 'library', 'bom-ref': 'pkg:npm/%40scope/pkg@1.0.0', name: 'pkg', group: '@scope', version: '1.0.0', purl: 'pkg:npm/%40scope/pkg@1.0.0' });
    expect(doc.components[2]).toEqual({ type: 'device', 'bom-ref': `urn:uuid:${db.id}`, name: 'db-01' });
    const ssl = doc.vulnerabilities.find((v) => v.id === 'CVE-2026-0001');
    expect(ssl).toEqual({
      id: 'CVE-2026-0001',
      source: { name: 'NVD', url: 'https://nvd.nist.gov/vuln/detail/CVE-2026-0001' },
      analysis: { state: 'not_affected', justification: 'code_not_reachable', detail: 'the TLS code is not used', firstIssued: '2026-12-01T09:00:00.000Z', lastUpdated: '2026-12-02T09:00:00.000Z' },
      affects: [{ ref: 'pkg:deb/debian/openssl@3.0.14-1~deb12u2?arch=amd64' }],
      properties: [{ name: 'patchloop:reviewer', value: 'alice' }, { name: 'patchloop:reviewer', value: 'bob' }],
    });
    const fp = doc.vulnerabilities.find((v) => v.id === 'NESSUS-200003');
    expect(fp?.analysis).toMatchObject({ state: 'false_positive', detail: 'the MACs are disabled in sshd_config' });
    expect(fp?.analysis.justification).toBeUndefined();
    expect(doc.vulnerabilities.find((v) => v.id === 'CVE-2026-2222')?.references).toEqual([{ id: 'GHSA-aaaa-bbbb-cccc', source: { name: 'GitHub' } }]);
  });

  it('maps each VEX justification onto the CycloneDX word the brief names', () => {
    expect(CYCLONEDX_JUSTIFICATION).toEqual({
      vulnerable_code_not_present: 'code_not_present',
      vulnerable_code_not_in_execute_path: 'code_not_reachable',
      vulnerable_code_cannot_be_controlled_by_adversary: 'requires_environment',
      inline_mitigations_already_exist: 'protected_by_mitigating_control',
      component_not_present: 'code_not_present',
    });
  });

  it('the schema catches what a consumer would choke on', () => {
    const broken = structuredClone(doc);
    (broken.vulnerabilities[0] as { affects: { ref: string }[] }).affects.push({ ref: 'pkg:npm/not-in-this-bom@1' });
    expect(cyclonedxVexSchema.safeParse(broken).success).toBe(false);
    expect(cyclonedxVexSchema.safeParse({ ...doc, specVersion: '1.5' }).success).toBe(false);
    expect(cyclonedxVexSchema.safeParse({ ...doc, serialNumber: 'abc' }).success).toBe(false);
  });

  it('reads back through the CycloneDX importer with the same decisions', async () => {
    const { findings, skipped } = await readCycloneDx(doc);
    expect(skipped).toEqual([]);
    const got = findings.map((f) => [f.vulnerabilityId, f.package?.purl ?? f.package?.name, f.vex?.status, f.vex?.justification, f.vex?.detail]).sort();
    expect(got).toEqual(
      [
        ['CVE-2026-0001', 'pkg:deb/debian/openssl@3.0.14-1~deb12u2?arch=amd64', 'not_affected', 'vulnerable_code_not_in_execute_path', 'the TLS code is not used'],
        // component_not_present has no CycloneDX twin: it comes back as the nearest, vulnerable_code_not_present.
        ['CVE-2026-2222', 'pkg:npm/%40scope/pkg@1.0.0', 'not_affected', 'vulnerable_code_not_present', 'not built in'],
        ['NESSUS-200003', 'db-01', 'not_affected', null, 'false_positive: the MACs are disabled in sshd_config'],
      ].sort(),
    );
    expect(findings.find((f) => f.vulnerabilityId === 'CVE-2026-2222')?.aliases).toEqual(['GHSA-aaaa-bbbb-cccc']);
  });
});

describe('OpenVEX 0.2.0', () => {
  const decisions = [
    decision({ asset: web }),
    decision({ asset: db, package: { ...openssl, version: '3.0.11-1~deb12u2' } }),
    decision({ vulnerabilityId: 'CVE-2026-3333', status: 'false_positive', justification: null, reason: 'the scanner read the wrong banner', package: { ecosystem: 'pypi', name: 'django', version: '4.2.1' } }),
    decision({ vulnerabilityId: 'NESSUS-200003', status: 'false_positive', justification: null, reason: 'MACs disabled', package: null, asset: db }),
  ];
  const doc = openVex(decisions, info);

  it('matches the schema; a false positive is not_affected with an impact statement and no made-up justification', () => {
    expect(openvexSchema.safeParse(doc).error?.issues ?? []).toEqual([]);
    expect(doc).toMatchObject({ '@context': 'https://openvex.dev/ns/v0.2.0', '@id': `urn:uuid:${info.id}`, author: info.author, version: 1, timestamp: info.timestamp });
    expect(doc.statements).toHaveLength(3);
    const ssl = doc.statements.find((s) => s.vulnerability.name === 'CVE-2026-0001');
    expect(ssl).toMatchObject({ status: 'not_affected', justification: 'vulnerable_code_not_in_execute_path', impact_statement: 'the TLS code is not used' });
    expect(ssl?.products).toEqual([
      { '@id': 'pkg:deb/debian/openssl@3.0.11-1~deb12u2?arch=amd64', identifiers: { purl: 'pkg:deb/debian/openssl@3.0.11-1~deb12u2?arch=amd64' } },
      { '@id': 'pkg:deb/debian/openssl@3.0.14-1~deb12u2?arch=amd64', identifiers: { purl: 'pkg:deb/debian/openssl@3.0.14-1~deb12u2?arch=amd64' } },
    ]);
    const fp = doc.statements.find((s) => s.vulnerability.name === 'CVE-2026-3333');
    expect(fp).toMatchObject({ status: 'not_affected', impact_statement: 'false positive: the scanner read the wrong banner' });
    expect(fp && 'justification' in fp).toBe(false);
    expect(doc.statements.find((s) => s.vulnerability.name === 'NESSUS-200003')?.products).toEqual([{ '@id': `urn:uuid:${db.id}` }]);
    expect(openvexSchema.safeParse({ ...doc, statements: [{ ...fp, impact_statement: undefined }] }).success).toBe(false);
  });

  it('reads back through the OpenVEX importer with the same statements', async () => {
    const { statements, skipped } = await readOpenVex(doc);
    expect(skipped).toEqual([]);
    expect(statements.map((s) => [s.vulnerabilityId, s.product.purl ?? s.product.name, s.product.version, s.status, s.justification, s.detail]).sort()).toEqual(
      [
        ['CVE-2026-0001', 'pkg:deb/debian/openssl@3.0.11-1~deb12u2?arch=amd64', '3.0.11-1~deb12u2', 'not_affected', 'vulnerable_code_not_in_execute_path', 'the TLS code is not used'],
        ['CVE-2026-0001', 'pkg:deb/debian/openssl@3.0.14-1~deb12u2?arch=amd64', '3.0.14-1~deb12u2', 'not_affected', 'vulnerable_code_not_in_execute_path', 'the TLS code is not used'],
        ['CVE-2026-3333', 'pkg:pypi/django@4.2.1', '4.2.1', 'not_affected', null, 'false positive: the scanner read the wrong banner'],
        ['NESSUS-200003', `urn:uuid:${db.id}`, null, 'not_affected', null, 'false positive: MACs disabled'],
      ].sort(),
    );
  });
});

describe('property: any set of decisions gives valid documents that read back to the same decisions', () => {
  const token = fc.stringMatching(/^[a-z][a-z0-9]{0,11}$/);
  const pkg = fc.oneof(
    fc.constant(null),
    fc.record({ ecosystem: fc.constantFrom('deb', 'rpm', 'apk', 'npm', 'maven', 'go', 'cargo', 'gem'), name: token, version: fc.stringMatching(/^[0-9]{1,3}(\.[0-9]{1,3}){0,2}(-[0-9a-z]{1,4})?$/), arch: fc.constantFrom('', 'amd64', 'x86_64') }),
  );
  // Reasons as the service stores them: trimmed, no control characters (the importers drop those).
  const printable = (c: string) => (c.codePointAt(0) ?? 0) >= 0x20 && !((c.codePointAt(0) ?? 0) >= 0x7f && (c.codePointAt(0) ?? 0) <= 0x9f);
  const reason = fc.string({ minLength: 1, maxLength: 80, unit: 'grapheme' }).map((s) => [...s].filter(printable).join('').trim()).filter((s) => s.length > 0);
  const dec = fc.record({
    vulnerabilityId: fc.constantFrom('CVE-2026-0001', 'CVE-2026-0002', 'GHSA-aaaa-bbbb-cccc', 'NESSUS-10001'),
    fp: fc.boolean(),
    justification: fc.constantFrom(...VEX_JUSTIFICATIONS),
    reason,
    reviewer: fc.constantFrom('alice', 'bob'),
    at: fc.date({ min: new Date('2025-01-01'), max: new Date('2027-01-01'), noInvalidDate: true }).map((d) => d.toISOString()),
    package: pkg,
    asset: fc.constantFrom(web, db),
  });
  const decisions = fc.array(dec, { minLength: 0, maxLength: 25 }).map((list) =>
    list.map(({ fp, ...d }): VexDecision => ({ ...d, status: fp ? 'false_positive' : 'not_affected', justification: fp ? null : d.justification, distro: 'debian' })),
  );
  const key = (vuln: string, d: VexDecision) => JSON.stringify([vuln, d.package ? purlOf(d.package, d.distro) : `urn:uuid:${d.asset.id}`]);
  const BACK: Record<VexJustification, VexJustification> = {
    vulnerable_code_not_present: 'vulnerable_code_not_present',
    component_not_present: 'vulnerable_code_not_present',
    vulnerable_code_not_in_execute_path: 'vulnerable_code_not_in_execute_path',
    vulnerable_code_cannot_be_controlled_by_adversary: 'vulnerable_code_cannot_be_controlled_by_adversary',
    inline_mitigations_already_exist: 'inline_mitigations_already_exist',
  };

  it('CycloneDX', async () => {
    await fc.assert(
      fc.asyncProperty(decisions, async (list) => {
        const doc = cyclonedxVex(list, info);
        expect(cyclonedxVexSchema.safeParse(doc).success).toBe(true);
        const { findings } = await readCycloneDx(doc);
        const got = new Set(findings.map((f) => JSON.stringify([f.vulnerabilityId, f.sourceKey, f.vex?.status, f.vex?.justification ?? null, f.vex?.detail])));
        const want = new Set(
          list.map((d) => {
            const [vuln, ref] = JSON.parse(key(d.vulnerabilityId, d)) as [string, string];
            const cdx = d.justification ? CYCLONEDX_JUSTIFICATION[d.justification] : null;
            let detail = d.reason;
            if (cdx === 'requires_environment' || cdx === 'protected_by_mitigating_control') detail = `${cdx}: ${detail}`;
            if (d.status === 'false_positive') detail = `false_positive: ${detail}`;
            return JSON.stringify([vuln, ref, 'not_affected', d.status === 'false_positive' || !d.justification ? null : BACK[d.justification], detail]);
          }),
        );
        expect(got).toEqual(want);
      }),
      { numRuns: 60 },
    );
  });

  it('OpenVEX', async () => {
    await fc.assert(
      fc.asyncProperty(decisions, async (list) => {
        const doc = openVex(list, info);
        expect(openvexSchema.safeParse(doc).success).toBe(true);
        const { statements } = await readOpenVex(doc);
        const got = new Set(statements.map((s) => JSON.stringify([s.vulnerabilityId, s.product.purl ?? s.product.name, s.status, s.justification, s.detail])));
        const want = new Set(
          list.map((d) => {
            const [vuln, ref] = JSON.parse(key(d.vulnerabilityId, d)) as [string, string];
            return JSON.stringify([vuln, ref, 'not_affected', d.justification, d.status === 'false_positive' ? `false positive: ${d.reason}` : d.reason]);
          }),
        );
        expect(got).toEqual(want);
        // Grouping never repeats a product within a statement.
        for (const s of doc.statements) expect(new Set(s.products.map((p) => p['@id'])).size).toBe(s.products.length);
      }),
      { numRuns: 60 },
    );
  });
});
