import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { cyclonedxReport } from './cyclonedx-vex.js';
import { type ReportFinding, type ReportTarget, ScanFormatError, VEX_JUSTIFICATIONS } from './report.js';
import { packageOfPurl } from './vex-shared.js';

function collector() {
  const targets: { target: ReportTarget; findings: ReportFinding[] }[] = [];
  const skips: { reason: string; count?: number }[] = [];
  return {
    targets,
    skips,
    findings: () => targets.flatMap((t) => t.findings),
    sink: {
      target: (target: ReportTarget, findings: ReportFinding[]) => {
        targets.push({ target, findings });
      },
      skip: (reason: string, count?: number) => {
        skips.push({ reason, count });
      },
    },
  };
}

async function run(doc: string | object, chunk = 7) {
  const text = typeof doc === 'string' ? doc : JSON.stringify(doc);
  const c = collector();
  const chunks: string[] = [];
  for (let i = 0; i < text.length; i += chunk) chunks.push(text.slice(i, i + chunk));
  const meta = await cyclonedxReport(chunks, c.sink);
  return { meta, ...c };
}

async function failure(doc: string | object): Promise<ScanFormatError> {
  const err = await run(doc).then(
    () => null,
    (e: unknown) => e,
  );
  expect(err).toBeInstanceOf(ScanFormatError);
  return err as ScanFormatError;
}

const DIGEST = `sha256:${'ab'.repeat(32)}`;

const components = [
  { 'bom-ref': 'pkg:npm/%40babel/core@7.1.0', type: 'library', name: 'core', group: '@babel', version: '7.1.0', purl: 'pkg:npm/%40babel/core@7.1.0' },
  {
    'bom-ref': 'app-1',
    type: 'application',
    name: 'app',
    components: [{ 'bom-ref': 'deb-openssl', type: 'library', name: 'openssl', version: '3.0.11-1', purl: 'pkg:deb/debian/openssl@3.0.11-1?arch=amd64' }],
  },
  { 'bom-ref': 'no-purl', type: 'library', name: 'vendored-zlib', version: '1.2.11' },
];

const vulnerabilities = [
  {
    id: 'GHSA-67hx-6x53-jw92',
    references: [{ id: 'CVE-2023-45133', source: { name: 'NVD' } }],
    description: 'Babel vulnerable to arbitrary code execution\nwhen compiling specifically crafted code',
    ratings: [{ severity: 'critical' }, { method: 'CVSSv2', score: 6.8 }, { method: 'CVSSv31', score: 8.8, vector: 'AV:N/AC:L/PR:N/UI:R/S:U/C:H/I:H/A:H' }],
    affects: [{ ref: 'pkg:npm/%40babel/core@7.1.0' }],
    analysis: { state: 'not_affected', justification: 'requires_configuration', detail: 'plugin not enabled', response: ['will_not_fix'] },
  },
  {
    id: 'CVE-2023-5678',
    ratings: [{ method: 'CVSSv4', score: 5.3, vector: 'CVSS:4.0/AV:N/AC:L/AT:N/PR:N/UI:N/VC:L/VI:N/VA:N/SC:N/SI:N/SA:N' }, { method: 'CVSSv31', score: 9.1 }],
    affects: [{ ref: 'deb-openssl' }, { ref: 'no-purl' }, { ref: 'deb-openssl' }],
    analysis: { state: 'false_positive', detail: 'the scanner matched the wrong package' },
  },
  { id: 'CVE-2024-0001', ratings: [{ severity: 'low' }], affects: [{ ref: 'urn:cdx:3e671687-395b-41f5-a30f-a58921a69b79/1#no-purl' }, { ref: 'pkg:gem/rack@2.0.1' }, { ref: 'elsewhere' }] },
  { id: 'CVE-2024-0002' },
];

function bom(order: string[] = ['bomFormat', 'specVersion', 'serialNumber', 'metadata', 'components', 'vulnerabilities'], extra: Record<string, unknown> = {}) {
  const parts: Record<string, unknown> = {
    bomFormat: 'CycloneDX',
    specVersion: '1.5',
    serialNumber: 'urn:uuid:3e671687-395b-41f5-a30f-a58921a69b79',
    metadata: {
      timestamp: '2024-03-01T10:00:00Z',
      tools: { components: [{ type: 'application', name: 'trivy', version: '0.50.1' }] },
      component: { 'bom-ref': 'img', type: 'container', name: 'registry.example/shop', purl: `pkg:oci/shop@${encodeURIComponent(DIGEST)}?repository_url=registry.example/shop` },
    },
    components,
    vulnerabilities,
    ...extra,
  };
  return JSON.stringify(Object.fromEntries(order.filter((k) => k in parts).map((k) => [k, parts[k]])));
}

describe('CycloneDX importer', () => {
  it('maps the subject, packages, ratings and VEX analysis of every (vulnerability × affected component)', async () => {
    const { meta, targets, findings } = await run(bom());
    expect(meta).toEqual({ format: 'cyclonedx', scanner: 'trivy 0.50.1', reportName: 'registry.example/shop', scannedAt: '2024-03-01T10:00:00Z' });
    expect(targets).toHaveLength(1);
    expect(targets[0]?.target).toMatchObject({ kind: 'image', name: 'registry.example/shop', imageDigest: DIGEST });
    const f = findings();
    expect(f.map((x) => [x.vulnerabilityId, x.sourceKey])).toEqual([
      ['CVE-2023-45133', 'pkg:npm/%40babel/core@7.1.0'],
      ['CVE-2023-5678', 'deb-openssl'],
      ['CVE-2023-5678', 'no-purl'],
      ['CVE-2024-0001', 'urn:cdx:3e671687-395b-41f5-a30f-a58921a69b79/1#no-purl'],
      ['CVE-2024-0001', 'pkg:gem/rack@2.0.1'],
      ['CVE-2024-0001', 'elsewhere'],
      ['CVE-2024-0002', ''],
    ]);
    const [babel, openssl, zlib, linked, rack, elsewhere, bare] = f as [ReportFinding, ReportFinding, ReportFinding, ReportFinding, ReportFinding, ReportFinding, ReportFinding];
    // The CVE in references keys the register; the GHSA becomes an alias.
    expect(babel).toMatchObject({ aliases: ['GHSA-67hx-6x53-jw92'], title: 'Babel vulnerable to arbitrary code execution', severity: 'high', cvssScore: 8.8, cvssVector: 'CVSS:3.1/AV:N/AC:L/PR:N/UI:R/S:U/C:H/I:H/A:H' });
    expect(babel.package).toEqual({ ecosystem: 'npm', name: '@babel/core', version: '7.1.0', purl: 'pkg:npm/%40babel/core@7.1.0' });
    expect(babel.vex).toEqual({ status: 'not_affected', justification: 'vulnerable_code_cannot_be_controlled_by_adversary', detail: 'requires_configuration: plugin not enabled (response: will_not_fix)' });
    // CVSS v4 is preferred over v3.1; the nested component is found.
    expect(openssl).toMatchObject({ severity: 'medium', cvssScore: 5.3, package: { ecosystem: 'deb', name: 'openssl', version: '3.0.11-1' } });
    expect(openssl.vex).toEqual({ status: 'not_affected', justification: null, detail: 'false_positive: the scanner matched the wrong package' });
    expect(zlib.package).toEqual({ ecosystem: null, name: 'vendored-zlib', version: '1.2.11', purl: null });
    expect(linked.package?.name).toBe('vendored-zlib');
    expect(linked.severity).toBe('low');
    expect(rack.package).toMatchObject({ ecosystem: 'gem', name: 'rack', version: '2.0.1' });
    expect(elsewhere.package).toBeNull();
    expect(bare).toMatchObject({ package: null, severity: null, vex: null });
  });

  it('gives the same result whatever the order of the top-level keys and the chunk size', async () => {
    const expected = (await run(bom())).findings();
    const keys = ['bomFormat', 'specVersion', 'serialNumber', 'metadata', 'components', 'vulnerabilities'];
    await fc.assert(
      fc.asyncProperty(fc.shuffledSubarray(keys, { minLength: keys.length }), fc.integer({ min: 1, max: 400 }), async (order, chunk) => {
        const got = await run(bom(order), chunk);
        expect(got.findings()).toEqual(expected);
        expect(got.targets[0]?.target.imageDigest).toBe(DIGEST);
      }),
      { numRuns: 60 },
    );
  });

  it('maps every analysis state and justification onto the VEX vocabulary', async () => {
    const states = { exploitable: 'affected', not_affected: 'not_affected', false_positive: 'not_affected', resolved: 'fixed', resolved_with_pedigree: 'fixed', in_triage: 'under_investigation' };
    const justs = {
      code_not_present: 'vulnerable_code_not_present',
      code_not_reachable: 'vulnerable_code_not_in_execute_path',
      requires_configuration: 'vulnerable_code_cannot_be_controlled_by_adversary',
      requires_dependency: 'vulnerable_code_cannot_be_controlled_by_adversary',
      requires_environment: 'vulnerable_code_cannot_be_controlled_by_adversary',
      protected_by_compiler: 'inline_mitigations_already_exist',
      protected_at_runtime: 'inline_mitigations_already_exist',
      protected_at_perimeter: 'inline_mitigations_already_exist',
      protected_by_mitigating_control: 'inline_mitigations_already_exist',
    };
    const vulns = Object.keys(states).flatMap((state, i) => Object.keys(justs).map((justification, j) => ({ id: `CVE-2024-${1000 + i * 100 + j}`, affects: [{ ref: 'no-purl' }], analysis: { state, justification } })));
    const { findings } = await run({ bomFormat: 'CycloneDX', specVersion: '1.6', components, vulnerabilities: vulns }, 4096);
    const got = findings();
    expect(got).toHaveLength(vulns.length);
    got.forEach((f, k) => {
      const v = vulns[k] as (typeof vulns)[number];
      expect(f.vex?.status).toBe(states[v.analysis.state as keyof typeof states]);
      if (v.analysis.state === 'false_positive') expect(f.vex).toMatchObject({ justification: null, detail: expect.stringMatching(/^false_positive/) });
      else expect(f.vex?.justification).toBe(justs[v.analysis.justification as keyof typeof justs]);
      expect([null, ...VEX_JUSTIFICATIONS]).toContain(f.vex?.justification);
    });
  });

  it('imports a BOM without vulnerabilities as a clean scan of its subject', async () => {
    const { targets, meta } = await run({ bomFormat: 'CycloneDX', specVersion: '1.4', metadata: { component: { type: 'operating-system', name: 'debian', version: '12' } }, components });
    expect(targets).toEqual([{ target: expect.objectContaining({ kind: 'host', name: 'debian:12', os: 'debian:12' }), findings: [] }]);
    expect(meta.scanner).toBe('CycloneDX');
    const bare = await run({ bomFormat: 'CycloneDX', specVersion: '1.5', serialNumber: 'urn:uuid:x', vulnerabilities: [] });
    expect(bare.targets).toEqual([{ target: { key: 'application:cyclonedx urn:uuid:x', kind: 'application', name: 'cyclonedx urn:uuid:x' }, findings: [] }]);
  });

  it('hands findings on in batches while reading, not at the end', async () => {
    const many = Array.from({ length: 2500 }, (_, i) => ({ id: `CVE-2024-${10000 + i}`, ratings: [{ severity: 'high' }], affects: [{ ref: 'no-purl' }] }));
    const text = JSON.stringify({ bomFormat: 'CycloneDX', specVersion: '1.5', metadata: { component: { type: 'application', name: 'shop', version: '2.1' } }, components, vulnerabilities: many });
    let read = 0;
    const readAtCall: number[] = [];
    function* chunks() {
      for (let i = 0; i < text.length; i += 1024) {
        read = i;
        yield text.slice(i, i + 1024);
      }
    }
    const sizes: number[] = [];
    await cyclonedxReport(chunks(), {
      target: (t, f) => {
        expect(t.name).toBe('shop:2.1');
        sizes.push(f.length);
        readAtCall.push(read);
      },
      skip: () => {},
    });
    expect(sizes).toEqual([1000, 1000, 500]);
    expect(readAtCall[0]).toBeLessThan(text.length / 2);
  });

  it('skips vulnerabilities without a usable id and says why', async () => {
    const { findings, skips } = await run({ bomFormat: 'CycloneDX', specVersion: '1.5', metadata: {}, components, vulnerabilities: [{ affects: [{ ref: 'no-purl' }] }, { id: 'not an id', affects: [] }, { id: 'CVE-2024-1234' }] });
    expect(findings().map((f) => f.vulnerabilityId)).toEqual(['CVE-2024-1234']);
    expect(skips.map((s) => s.reason)).toEqual(['$.vulnerabilities[0]: vulnerability without an id', '$.vulnerabilities[1]: the vulnerability id is not an id (letters, digits and . _ : / + -)']);
  });

  it('refuses other formats, naming what was expected', async () => {
    const openvex = await failure({ '@context': 'https://openvex.dev/ns/v0.2.0', statements: [] });
    expect(openvex.message).toMatch(/expected a CycloneDX JSON BOM.*OpenVEX/);
    expect((await failure({ document: { csaf_version: '2.0' } })).message).toMatch(/CycloneDX.*CSAF/);
    expect((await failure({ SchemaVersion: 2, Results: [] })).message).toMatch(/expected a CycloneDX JSON BOM/);
    expect((await failure({ bomFormat: 'SPDX' })).where).toBe('$.bomFormat');
    expect((await failure({ bomFormat: 'CycloneDX', specVersion: '2.0' })).where).toBe('$.specVersion');
    const xml = await failure('<?xml version="1.0"?><bom xmlns="http://cyclonedx.org/schema/bom/1.5"/>');
    expect(xml.message).toMatch(/^.*expected a CycloneDX JSON BOM: not valid JSON/);
  });

  it('names the JSON path of a value of the wrong type', async () => {
    const at = async (v: object) => (await failure({ bomFormat: 'CycloneDX', specVersion: '1.5', components, vulnerabilities: [{ id: 'CVE-2024-1' }, v] })).where;
    expect(await at({ id: 'CVE-2024-2', ratings: [{ method: 'CVSSv31', score: 'high' }] })).toBe('$.vulnerabilities[1].ratings[0].score');
    expect(await at({ id: 'CVE-2024-2', ratings: [{ method: 'CVSSv31', score: 11 }] })).toBe('$.vulnerabilities[1].ratings[0].score');
    expect(await at({ id: 'CVE-2024-2', affects: { ref: 'x' } })).toBe('$.vulnerabilities[1].affects');
    expect(await at({ id: 'CVE-2024-2', affects: [{ ref: 5 }] })).toBe('$.vulnerabilities[1].affects[0].ref');
    expect(await at({ id: 'CVE-2024-2', analysis: { state: 'maybe' } })).toBe('$.vulnerabilities[1].analysis.state');
    expect(await at({ id: 'CVE-2024-2', analysis: { state: 'not_affected', justification: 'trust_me' } })).toBe('$.vulnerabilities[1].analysis.justification');
    expect(await at({ id: ['CVE-2024-2'] })).toBe('$.vulnerabilities[1].id');
    expect((await failure({ bomFormat: 'CycloneDX', components: [{ 'bom-ref': 'a', name: 'a', components: [{ name: 7 }] }] })).where).toBe('$.components[0].components[0].name');
    expect((await failure({ bomFormat: 'CycloneDX', vulnerabilities: { a: { id: 'CVE-2024-1' } } })).where).toBe('$.vulnerabilities');
    expect((await failure({ bomFormat: 'CycloneDX', components: { a: { name: 'a' } } })).where).toBe('$.components');
    expect((await failure({ bomFormat: 'CycloneDX', metadata: { component: 'app' } })).where).toBe('$.metadata.component');
  });

  it('fails on empty and truncated files with the position', async () => {
    expect((await failure('')).message).toMatch(/empty/);
    expect((await failure('{}')).message).toMatch(/bomFormat/);
    const text = bom();
    const cut = await failure(text.slice(0, text.indexOf('CVE-2023-5678') + 4));
    expect(cut.message).toMatch(/truncated/);
    expect(cut.where).toMatch(/^byte \d+$/);
  });

  it('parses or throws ScanFormatError on any truncation or corruption', async () => {
    const text = bom();
    await fc.assert(
      fc.asyncProperty(fc.nat(text.length), fc.array(fc.tuple(fc.nat(text.length - 1), fc.integer({ min: 0, max: 255 })), { maxLength: 4 }), async (cut, flips) => {
        const bytes = new TextEncoder().encode(text.slice(0, cut));
        for (const [at, b] of flips) if (at < bytes.length) bytes[at] = b;
        const c = collector();
        try {
          await cyclonedxReport([bytes.subarray(0, bytes.length >> 1), bytes.subarray(bytes.length >> 1)], c.sink);
        } catch (err) {
          if (!(err instanceof ScanFormatError)) throw err;
        }
      }),
      { numRuns: 300 },
    );
  });
});

describe('packageOfPurl', () => {
  it('names packages as their ecosystems do', () => {
    expect(packageOfPurl('pkg:maven/org.apache.logging.log4j/log4j-core@2.13.2?type=jar')).toMatchObject({ ecosystem: 'maven', name: 'org.apache.logging.log4j:log4j-core', version: '2.13.2' });
    expect(packageOfPurl('pkg:golang/github.com/gin-gonic/gin@v1.9.0')).toMatchObject({ ecosystem: 'go', name: 'github.com/gin-gonic/gin', version: 'v1.9.0' });
    expect(packageOfPurl('pkg:rpm/redhat/openssl@3.0.7-1.el9?arch=x86_64')).toMatchObject({ ecosystem: 'rpm', name: 'openssl', version: '3.0.7-1.el9' });
    expect(packageOfPurl('pkg:github/actions/checkout@v4')).toMatchObject({ ecosystem: null, name: 'actions/checkout' });
    expect(packageOfPurl('pkg:npm/%zz')).toBeNull();
    expect(packageOfPurl('not a purl')).toBeNull();
  });
});
