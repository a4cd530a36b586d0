import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { chunked, collect, formatError, fuzz } from './json-testkit.js';
import { trivyReport } from './trivy.js';

interface Vuln {
  VulnerabilityID: string;
  PkgName: string;
  InstalledVersion: string;
  FixedVersion?: string;
  Severity: string;
  PkgPath?: string;
}

const vulnArb: fc.Arbitrary<Vuln> = fc.record(
  {
    VulnerabilityID: fc.integer({ min: 1000, max: 99999 }).map((n) => `CVE-2024-${n}`),
    PkgName: fc.stringMatching(/^[a-z][a-z0-9.+-]{0,15}$/),
    InstalledVersion: fc.stringMatching(/^[0-9]\.[0-9]{1,2}(-r[0-9])?$/),
    FixedVersion: fc.stringMatching(/^[0-9]\.[0-9]{1,2}(, [0-9]\.[0-9])?$/),
    Severity: fc.constantFrom('CRITICAL', 'HIGH', 'MEDIUM', 'LOW', 'UNKNOWN'),
    PkgPath: fc.stringMatching(/^[a-z]{1,8}\/[a-z]{1,8}\.jar$/),
  },
  { requiredKeys: ['VulnerabilityID', 'PkgName', 'InstalledVersion', 'Severity'] },
);
const resultArb = fc.record({
  Target: fc.stringMatching(/^[a-z][a-z0-9/._-]{0,20}$/),
  Type: fc.constantFrom('alpine', 'debian', 'npm', 'jar', 'gomod', 'pip', 'cargo', 'unknown-type'),
  Vulnerabilities: fc.option(fc.array(vulnArb, { maxLength: 6 }), { nil: undefined }),
});

const schema2 = (results: unknown[], extra: Record<string, unknown> = {}) =>
  JSON.stringify(
    {
      SchemaVersion: 2,
      CreatedAt: '2024-05-02T10:11:12.123456789Z',
      ArtifactName: 'registry.example.com/shop/web:1.4',
      ArtifactType: 'container_image',
      Metadata: {
        OS: { Family: 'alpine', Name: '3.19.1' },
        ImageID: 'sha256:2b3c0e6f4f5d9c0a7f0c2d4e9b8a1f3e5d7c9b1a3e5f7d9c1b3a5e7f9d1c3b5a',
        RepoDigests: [`registry.example.com/shop/web@sha256:${'ab'.repeat(32)}`],
        ImageConfig: { architecture: 'amd64', os: 'linux', config: { Env: ['PATH=/usr/bin'] } },
      },
      Results: results,
      ...extra,
    },
    null,
    2,
  );

const SEVERITY: Record<string, string | null> = { CRITICAL: 'critical', HIGH: 'high', MEDIUM: 'medium', LOW: 'low', UNKNOWN: null };
const ECOSYSTEM: Record<string, string | null> = { alpine: 'apk', debian: 'deb', npm: 'npm', jar: 'maven', gomod: 'go', pip: 'pypi', cargo: 'cargo', 'unknown-type': null };

describe('Trivy JSON, schema 2', () => {
  it('hands on one image target with every vulnerability, mapped field by field, whatever the chunk boundaries', async () => {
    await fc.assert(
      fc.asyncProperty(fc.array(resultArb, { maxLength: 4 }), fc.array(fc.nat(), { maxLength: 8 }), async (results, cuts) => {
        const got = await collect(trivyReport, chunked(schema2(results), cuts));
        expect(got.meta).toEqual({ format: 'trivy', scanner: 'Trivy', reportName: 'registry.example.com/shop/web:1.4', scannedAt: '2024-05-02T10:11:12.123456789Z' });
        expect(got.calls.length).toBeGreaterThanOrEqual(1);
        for (const c of got.calls) {
          expect(c.target).toEqual({ key: 'registry.example.com/shop/web:1.4', kind: 'image', name: 'registry.example.com/shop/web:1.4', imageDigest: `sha256:${'ab'.repeat(32)}`, os: 'alpine 3.19.1' });
        }
        const expected = results.flatMap((r) =>
          (r.Vulnerabilities ?? []).map((v) => ({
            vulnerabilityId: v.VulnerabilityID,
            severity: SEVERITY[v.Severity],
            package: { ecosystem: ECOSYSTEM[r.Type], name: v.PkgName, version: v.InstalledVersion, fixedVersion: v.FixedVersion ? (v.FixedVersion.split(',')[0] as string).trim() : null, purl: null },
            sourceKey: v.PkgPath ? `${r.Target}|${v.PkgPath}` : r.Target,
            location: v.PkgPath ? `${r.Target}: ${v.PkgPath}` : r.Target,
          })),
        );
        expect(got.findings.map((f) => ({ vulnerabilityId: f.vulnerabilityId, severity: f.severity, package: f.package, sourceKey: f.sourceKey, location: f.location }))).toEqual(expected);
      }),
      { numRuns: 150 },
    );
  });

  it('prefers the NVD v3 score, then the first vendor, then v4; UNKNOWN severity is null; Status goes to output; VendorIDs become aliases', async () => {
    const v = (over: Record<string, unknown>) => ({ VulnerabilityID: 'CVE-2023-1111', PkgName: 'openssl', InstalledVersion: '3.0.1-r0', Severity: 'HIGH', ...over });
    const got = await collect(
      trivyReport,
      [
        schema2([
          {
            Target: 'img (alpine 3.19.1)',
            Class: 'os-pkgs',
            Type: 'alpine',
            Vulnerabilities: [
              v({ CVSS: { redhat: { V3Vector: 'CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:N/I:N/A:H', V3Score: 7.5 }, nvd: { V2Score: 5, V3Vector: 'CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H', V3Score: 9.8 } } }),
              v({ CVSS: { ghsa: { V3Vector: 'CVSS:3.1/AV:L/AC:L/PR:N/UI:N/S:U/C:H/I:N/A:N', V3Score: 6.2 }, redhat: { V3Score: 5.5 } }, Severity: 'UNKNOWN', Status: 'will_not_fix' }),
              v({ CVSS: { nvd: { V40Vector: 'CVSS:4.0/AV:N/AC:L/AT:N/PR:N/UI:N/VC:H/VI:H/VA:H/SC:N/SI:N/SA:N', V40Score: 9.3 } }, VendorIDs: ['DSA-5555-1', 'bad id'], PkgIdentifier: { PURL: 'pkg:apk/alpine/openssl@3.0.1-r0?arch=x86_64' } }),
            ],
          },
        ]),
      ],
    );
    expect(got.findings.map((f) => [f.cvssScore, f.cvssVector, f.severity, f.output, f.aliases ?? null, f.package?.purl])).toEqual([
      [9.8, 'CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H', 'high', null, null, null],
      [6.2, 'CVSS:3.1/AV:L/AC:L/PR:N/UI:N/S:U/C:H/I:N/A:N', null, 'Status: will_not_fix', null, null],
      [9.3, 'CVSS:4.0/AV:N/AC:L/AT:N/PR:N/UI:N/VC:H/VI:H/VA:H/SC:N/SI:N/SA:N', 'high', null, ['DSA-5555-1'], 'pkg:apk/alpine/openssl@3.0.1-r0?arch=x86_64'],
    ]);
  });

  it('names the target by ArtifactType: a filesystem with an OS is a host, a repository an application', async () => {
    const doc = (type: string, os: boolean) => JSON.stringify({ SchemaVersion: 2, ArtifactName: '/srv/app', ArtifactType: type, Metadata: os ? { OS: { Family: 'debian', Name: '12.5' } } : {}, Results: [] });
    const kind = async (type: string, os: boolean) => (await collect(trivyReport, [doc(type, os)])).calls.map((c) => [c.target.kind, c.target.os, c.target.imageDigest ?? null]);
    expect(await kind('filesystem', true)).toEqual([['host', 'debian 12.5', null]]);
    expect(await kind('filesystem', false)).toEqual([['application', null, null]]);
    expect(await kind('vm', false)).toEqual([['host', null, null]]);
    expect(await kind('repository', false)).toEqual([['application', null, null]]);
    expect(await kind('container_image', true)).toEqual([['image', 'debian 12.5', null]]);
  });

  it('an empty report hands on its target with no findings (a clean scan), and a Result without Vulnerabilities is fine', async () => {
    const got = await collect(trivyReport, [schema2([{ Target: 'x (alpine 3.19.1)', Class: 'os-pkgs', Type: 'alpine' }])]);
    expect(got.calls).toHaveLength(1);
    expect(got.calls[0]?.findings).toEqual([]);
    const none = await collect(trivyReport, [JSON.stringify({ SchemaVersion: 2, ArtifactName: 'x', ArtifactType: 'repository' })]);
    expect(none.calls.map((c) => [c.target.name, c.findings.length])).toEqual([['x', 0]]);
  });

  it('hands findings on in batches of 1,000 while the file is still being read', async () => {
    const vulns = Array.from({ length: 2500 }, (_, i) => ({ VulnerabilityID: `CVE-2024-${10000 + i}`, PkgName: `p${i}`, InstalledVersion: '1.0', Severity: 'LOW' }));
    const text = schema2([{ Target: 'package-lock.json', Class: 'lang-pkgs', Type: 'npm', Vulnerabilities: vulns }]);
    let read = 0;
    const readAtCall: number[] = [];
    async function* source() {
      for (let i = 0; i < text.length; i += 4096) {
        read = i;
        yield text.slice(i, i + 4096);
      }
      read = text.length;
    }
    const sizes: number[] = [];
    await trivyReport(source(), {
      target(_t, f) {
        sizes.push(f.length);
        readAtCall.push(read);
      },
      skip() {},
    });
    expect(sizes).toEqual([1000, 1000, 500]);
    expect(readAtCall[0]).toBeLessThan(text.length / 2);
  });

  it('reads a Result whose Vulnerabilities come before its Target and Type (another key order)', async () => {
    const text = `{"SchemaVersion":2,"ArtifactName":"a","ArtifactType":"repository","Results":[{"Vulnerabilities":[{"VulnerabilityID":"CVE-2024-1","PkgName":"lodash","InstalledVersion":"4.17.0","Severity":"HIGH"}],"Type":"npm","Target":"web/package-lock.json"}]}`;
    const got = await collect(trivyReport, [text]);
    expect(got.findings.map((f) => [f.sourceKey, f.package?.ecosystem])).toEqual([['web/package-lock.json', 'npm']]);
  });

  it('counts misconfigurations and secrets as skipped, and skips unusable ids', async () => {
    const got = await collect(trivyReport, [
      schema2([
        { Target: 'Dockerfile', Class: 'config', Type: 'dockerfile', Misconfigurations: [{ ID: 'DS002' }, { ID: 'DS026' }] },
        { Target: 'app/.env', Class: 'secret', Secrets: [{ RuleID: 'aws-access-key-id' }] },
        { Target: 'go.sum', Type: 'gomod', Vulnerabilities: [{ VulnerabilityID: 'has space', PkgName: 'x', Severity: 'LOW' }, { PkgName: 'y', Severity: 'LOW' }] },
      ]),
    ]);
    expect(got.findings).toEqual([]);
    expect(got.skips).toEqual({
      'Trivy misconfiguration (not a package vulnerability)': 2,
      'Trivy secret finding (not a package vulnerability)': 1,
      'a vulnerability id that is not usable (spaces, control characters or over 100 characters)': 1,
      'a vulnerability without VulnerabilityID': 1,
    });
  });

  it('removes NUL and control characters from names and versions (PostgreSQL cannot store NUL)', async () => {
    const got = await collect(trivyReport, [schema2([{ Target: 't', Type: 'jar', Vulnerabilities: [{ VulnerabilityID: 'CVE-2024-2', PkgName: 'java\u0007', InstalledVersion: '17.0.10+7\u0000-J', Severity: 'LOW' }] }])]);
    expect(got.findings[0]?.package).toMatchObject({ name: 'java', version: '17.0.10+7-J' });
  });
});

describe('Trivy JSON, the older list form', () => {
  it('derives an image from the first Target "name (family version)"', async () => {
    const text = JSON.stringify([
      { Target: 'alpine:3.10 (alpine 3.10.2)', Type: 'alpine', Vulnerabilities: [{ VulnerabilityID: 'CVE-2019-14697', PkgName: 'musl', InstalledVersion: '1.1.22-r2', FixedVersion: '1.1.22-r3', Severity: 'CRITICAL' }] },
      { Target: 'app/package-lock.json', Type: 'npm', Vulnerabilities: [{ VulnerabilityID: 'GHSA-p6mc-m468-83gw', PkgName: 'lodash', InstalledVersion: '4.17.15', Severity: 'HIGH' }] },
    ]);
    const got = await collect(trivyReport, chunked(text, [7, 100]));
    expect(got.calls.map((c) => c.target)).toEqual([{ key: 'alpine:3.10', kind: 'image', name: 'alpine:3.10', imageDigest: null, os: 'alpine 3.10.2' }]);
    expect(got.findings.map((f) => [f.vulnerabilityId, f.package?.ecosystem, f.package?.fixedVersion, f.sourceKey])).toEqual([
      ['CVE-2019-14697', 'apk', '1.1.22-r3', 'alpine:3.10 (alpine 3.10.2)'],
      ['GHSA-p6mc-m468-83gw', 'npm', null, 'app/package-lock.json'],
    ]);
  });

  it('a Target that is not an image names an application', async () => {
    const got = await collect(trivyReport, [JSON.stringify([{ Target: 'requirements.txt', Type: 'pip', Vulnerabilities: [{ VulnerabilityID: 'CVE-2024-3', PkgName: 'django', InstalledVersion: '4.2', Severity: 'MEDIUM' }] }])]);
    expect(got.calls.map((c) => [c.target.kind, c.target.name])).toEqual([['application', 'requirements.txt']]);
  });

  it('`null` (old Trivy, nothing found) and `[]` import cleanly with nothing', async () => {
    for (const text of ['null', ' null\n', '[]', '[\n]']) {
      const got = await collect(trivyReport, [text]);
      expect(got.calls).toEqual([]);
      expect(got.meta.format).toBe('trivy');
    }
    expect((await formatError(trivyReport, ['nul'])).message).toMatch(/not valid JSON|truncated/);
  });
});

describe('Trivy JSON, broken and wrong input', () => {
  const good = schema2([{ Target: 'x (alpine 3.19.1)', Type: 'alpine', Vulnerabilities: [{ VulnerabilityID: 'CVE-2024-1', PkgName: 'musl', InstalledVersion: '1.2', FixedVersion: '1.3', Severity: 'LOW', CVSS: { nvd: { V3Score: 3.1 } } }] }]);

  it('a Grype, SARIF or osv-scanner file is refused, saying what a Trivy report is', async () => {
    for (const other of [
      { matches: [{ vulnerability: { id: 'CVE-2024-1' }, artifact: { name: 'x' } }], source: { type: 'image' }, descriptor: { name: 'grype' } },
      { version: '2.1.0', runs: [] },
      { results: [] },
    ]) {
      const err = await formatError(trivyReport, [JSON.stringify(other)]);
      expect(err.message).toMatch(/expected a Trivy JSON report/);
      expect(err.where).toBe('$');
    }
  });

  it('another SchemaVersion is refused at $.SchemaVersion', async () => {
    const err = await formatError(trivyReport, [JSON.stringify({ SchemaVersion: 3, Results: [] })]);
    expect(err.where).toBe('$.SchemaVersion');
    expect(err.message).toMatch(/schema version 3 is not supported/);
  });

  it('a value of the wrong type is an error naming its JSON path', async () => {
    const cases: [string, string][] = [
      [good.replace('"PkgName": "musl"', '"PkgName": 42'), '$.Results[0].Vulnerabilities[0].PkgName'],
      [good.replace('"Target": "x (alpine 3.19.1)"', '"Target": ["x"]'), '$.Results[0].Target'],
      [good.replace('"V3Score": 3.1', '"V3Score": true'), '$.Results[0].Vulnerabilities[0].CVSS.nvd.V3Score'],
      [good.replace('"SchemaVersion": 2', '"SchemaVersion": "2"'), '$.SchemaVersion'],
      [JSON.stringify([{ Target: 't', Type: 'npm', Vulnerabilities: [1] }]), '$[0].Vulnerabilities[0]'],
      [good.replace('"PkgName": "musl"', `"PkgName": "${'m'.repeat(5000)}"`), '$.Results[0].Vulnerabilities[0].PkgName'],
    ];
    for (const [text, where] of cases) expect((await formatError(trivyReport, [text])).where).toBe(where);
  });

  it('a truncated file says so', async () => {
    const err = await formatError(trivyReport, [good.slice(0, good.length - 20)]);
    expect(err.message).toMatch(/truncated/);
    expect((await formatError(trivyReport, [''])).message).toMatch(/empty/);
  });

  it('fuzz: damaged documents parse or throw ScanFormatError, never anything else', async () => {
    await fuzz(trivyReport, good, 300);
    await fuzz(trivyReport, JSON.stringify([{ Target: 'alpine:3.10 (alpine 3.10.2)', Type: 'alpine', Vulnerabilities: [{ VulnerabilityID: 'CVE-2019-1', PkgName: 'musl', InstalledVersion: '1' }] }]), 200);
  });
});

describe('Trivy JSON, a large report', () => {
  it('50,000 findings stream through in batches: the first is handed on before 5% of the file is read', async () => {
    const N = 50_000;
    const head = '{"SchemaVersion":2,"ArtifactName":"big:1","ArtifactType":"container_image","Metadata":{"OS":{"Family":"debian","Name":"12"}},"Results":[{"Target":"big:1 (debian 12)","Class":"os-pkgs","Type":"debian","Vulnerabilities":[';
    let produced = 0;
    function* text() {
      yield head;
      for (let i = 0; i < N; i += 500) {
        const part: string[] = [];
        for (let j = i; j < i + 500; j++) part.push(`${j ? ',' : ''}{"VulnerabilityID":"CVE-2024-${10000 + j}","PkgName":"pkg${j % 700}","InstalledVersion":"1.${j % 50}-1","FixedVersion":"1.${j % 50}-2","Severity":"MEDIUM","Title":"A title long enough to matter for memory ${j}","CVSS":{"nvd":{"V3Score":5.3}}}`);
        produced = i + 500;
        yield part.join('');
      }
      yield ']}]}';
    }
    const sizes: number[] = [];
    let producedAtFirst = -1;
    await trivyReport(text(), {
      target(t, f) {
        if (producedAtFirst < 0) producedAtFirst = produced;
        expect(t.name).toBe('big:1');
        sizes.push(f.length);
      },
      skip() {},
    });
    expect(sizes.reduce((a, b) => a + b, 0)).toBe(N);
    expect(Math.max(...sizes)).toBe(1000);
    expect(producedAtFirst).toBeLessThan(N * 0.05);
  });
});
