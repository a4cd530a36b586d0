import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { grypeReport } from './grype.js';
import { chunked, collect, formatError, fuzz } from './json-testkit.js';

const DIGEST = `sha256:${'cd'.repeat(32)}`;

interface M {
  id: string;
  related: string[];
  severity: string;
  type: string;
  name: string;
  version: string;
  fixes: string[];
  paths: string[];
}

const match = (m: M) => ({
  vulnerability: {
    id: m.id,
    dataSource: `https://example.org/${m.id}`,
    namespace: 'github:language:javascript',
    severity: m.severity,
    urls: [],
    description: `Line one about ${m.id}.\nMore detail.`,
    cvss: [],
    fix: { versions: m.fixes, state: m.fixes.length ? 'fixed' : 'not-fixed' },
    advisories: [],
  },
  relatedVulnerabilities: m.related.map((id) => ({ id, dataSource: `https://nvd.nist.gov/vuln/detail/${id}`, namespace: 'nvd:cpe', severity: m.severity, cvss: [] })),
  matchDetails: [{ type: 'exact-direct-match', matcher: 'javascript-matcher', searchedBy: {}, found: {} }],
  artifact: { id: 'x', name: m.name, version: m.version, type: m.type, locations: m.paths.map((path) => ({ path, layerID: DIGEST })), language: '', licenses: [], cpes: [], purl: `pkg:generic/${m.name}@${m.version}`, upstreams: [] },
});

const report = (matches: unknown[], opts: { sourceFirst?: boolean; source?: unknown; distro?: unknown } = {}) => {
  const source = opts.source ?? { type: 'image', target: { userInput: 'shop/web:1.4', imageID: `sha256:${'ef'.repeat(32)}`, manifestDigest: DIGEST, tags: ['shop/web:1.4'], repoDigests: [`shop/web@sha256:${'12'.repeat(32)}`], layers: [] } };
  const distro = opts.distro ?? { name: 'debian', version: '12', idLike: [] };
  const descriptor = { name: 'grype', version: '0.79.1', timestamp: '2024-06-01T08:00:00.5+02:00' };
  return JSON.stringify(opts.sourceFirst ? { source, distro, matches, descriptor } : { matches, source, distro, descriptor }, null, 1);
};

const mArb: fc.Arbitrary<M> = fc.record({
  id: fc.oneof(fc.integer({ min: 1000, max: 9999 }).map((n) => `CVE-2023-${n}`), fc.stringMatching(/^GHSA-[2-9c-x]{4}-[2-9c-x]{4}-[2-9c-x]{4}$/)),
  related: fc.array(fc.integer({ min: 1000, max: 9999 }).map((n) => `CVE-2022-${n}`), { maxLength: 2 }),
  severity: fc.constantFrom('Critical', 'High', 'Medium', 'Low', 'Negligible', 'Unknown'),
  type: fc.constantFrom('deb', 'npm', 'python', 'java-archive', 'go-module', 'rust-crate', 'dotnet', 'php-composer', 'gem', 'binary'),
  name: fc.stringMatching(/^[a-z][a-z0-9-]{0,12}$/),
  version: fc.stringMatching(/^[0-9]{1,2}\.[0-9]{1,2}\.[0-9]$/),
  fixes: fc.array(fc.stringMatching(/^[0-9]{1,2}\.[0-9]$/), { maxLength: 2 }),
  paths: fc.array(fc.stringMatching(/^\/[a-z]{1,8}\/[a-z]{1,8}$/), { maxLength: 2 }),
});

const SEVERITY: Record<string, string | null> = { Critical: 'critical', High: 'high', Medium: 'medium', Low: 'low', Negligible: 'info', Unknown: null };
const ECO: Record<string, string | null> = { deb: 'deb', npm: 'npm', python: 'pypi', 'java-archive': 'maven', 'go-module': 'go', 'rust-crate': 'cargo', dotnet: 'nuget', 'php-composer': 'composer', gem: 'gem', binary: null };

describe('Grype JSON', () => {
  it('maps every match, keyed by CVE where one exists, whatever the chunking and whether source comes first or last', async () => {
    await fc.assert(
      fc.asyncProperty(fc.array(mArb, { maxLength: 8 }), fc.boolean(), fc.array(fc.nat(), { maxLength: 6 }), async (ms, sourceFirst, cuts) => {
        const got = await collect(grypeReport, chunked(report(ms.map(match), { sourceFirst }), cuts));
        expect(got.meta).toEqual({ format: 'grype', scanner: 'Grype 0.79.1', reportName: 'shop/web:1.4', scannedAt: '2024-06-01T08:00:00.5+02:00' });
        for (const c of got.calls) expect(c.target).toEqual({ key: 'shop/web:1.4', kind: 'image', name: 'shop/web:1.4', imageDigest: `sha256:${'12'.repeat(32)}`, os: 'debian 12' });
        expect(got.calls.length).toBeGreaterThanOrEqual(1);
        expect(
          got.findings.map((f) => ({ id: f.vulnerabilityId, aliases: f.aliases ?? [], severity: f.severity, pkg: f.package, key: f.sourceKey, out: f.output, title: f.title })),
        ).toEqual(
          ms.map((m) => {
            const ids = [...new Set([m.id, ...m.related])];
            const id = ids.find((i) => i.startsWith('CVE-')) ?? m.id;
            return {
              id,
              aliases: ids.filter((i) => i !== id),
              severity: SEVERITY[m.severity],
              pkg: { ecosystem: ECO[m.type], name: m.name, version: m.version, fixedVersion: m.fixes[0] ?? null, purl: `pkg:generic/${m.name}@${m.version}` },
              key: m.paths[0] ?? '',
              out: `matched by exact-direct-match; fix state: ${m.fixes.length ? 'fixed' : 'not-fixed'}`,
              title: `Line one about ${m.id}.`,
            };
          }),
        );
      }),
      { numRuns: 120 },
    );
  });

  it('keeps the v3 Primary score over others, ignores v2, and falls back to the related CVE record', async () => {
    const m = match({ id: 'GHSA-aaaa-bbbb-cccc', related: ['CVE-2021-1'], severity: 'High', type: 'npm', name: 'x', version: '1.0.0', fixes: [], paths: [] });
    const own = JSON.parse(JSON.stringify(m));
    own.vulnerability.cvss = [
      { version: '2.0', vector: 'AV:N/AC:L/Au:N/C:P/I:P/A:P', metrics: { baseScore: 7.5 } },
      { source: 'github', type: 'Secondary', version: '3.1', vector: 'CVSS:3.1/AV:N/AC:H/PR:N/UI:N/S:U/C:H/I:N/A:N', metrics: { baseScore: 5.9 } },
      { source: 'nvd', type: 'Primary', version: '3.1', vector: 'CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H', metrics: { baseScore: 9.8 } },
    ];
    const related = JSON.parse(JSON.stringify(m));
    related.relatedVulnerabilities[0].cvss = [{ version: '3.0', vector: 'CVSS:3.0/AV:N/AC:L/PR:N/UI:R/S:U/C:L/I:L/A:N', metrics: { baseScore: 5.4 } }];
    const v2only = JSON.parse(JSON.stringify(m));
    v2only.vulnerability.cvss = [{ version: '2.0', vector: 'AV:N/AC:L/Au:N/C:P/I:P/A:P', metrics: { baseScore: 7.5 } }];
    const got = await collect(grypeReport, [report([own, related, v2only])]);
    expect(got.findings.map((f) => [f.cvssScore, f.cvssVector])).toEqual([
      [9.8, 'CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H'],
      [5.4, 'CVSS:3.0/AV:N/AC:L/PR:N/UI:R/S:U/C:L/I:L/A:N'],
      [null, null],
    ]);
  });

  it('a directory scan is an application, or a host when Grype found a distribution; old quoted targets are unquoted', async () => {
    const m = match({ id: 'CVE-2024-1', related: [], severity: 'Low', type: 'deb', name: 'bash', version: '5.2', fixes: [], paths: ['/var/lib/dpkg/status'] });
    const app = await collect(grypeReport, [report([m], { source: { type: 'directory', target: '"."' }, distro: { name: '', version: '' } })]);
    expect(app.calls.map((c) => c.target)).toEqual([{ key: '.', kind: 'application', name: '.', os: null }]);
    const host = await collect(grypeReport, [report([m], { source: { type: 'directory', target: { path: '/mnt/rootfs' } }, distro: { name: 'ubuntu', version: '22.04' } })]);
    expect(host.calls.map((c) => c.target)).toEqual([{ key: '/mnt/rootfs', kind: 'host', name: '/mnt/rootfs', os: 'ubuntu 22.04' }]);
  });

  it('streams in batches when source and distro come first; keeps them until the end otherwise', async () => {
    const ms = Array.from({ length: 2300 }, (_, i) => match({ id: `CVE-2024-${1000 + i}`, related: [], severity: 'Low', type: 'npm', name: `p${i}`, version: '1.0.0', fixes: [], paths: [] }));
    for (const sourceFirst of [true, false]) {
      const text = report(ms, { sourceFirst });
      let read = 0;
      const readAt: number[] = [];
      async function* source() {
        for (let i = 0; i < text.length; i += 8192) {
          read = i;
          yield text.slice(i, i + 8192);
        }
        read = text.length;
      }
      const sizes: number[] = [];
      await grypeReport(source(), {
        target(_t, f) {
          sizes.push(f.length);
          readAt.push(read);
        },
        skip() {},
      });
      expect(sizes).toEqual([1000, 1000, 300]);
      if (sourceFirst) expect(readAt[0]).toBeLessThan(text.length / 2);
      else expect(readAt[0]).toBe(text.length);
    }
  });

  it('an empty report hands on its target with no findings; ignored matches are counted as skipped', async () => {
    const text = JSON.stringify({ matches: [], ignoredMatches: [{ vulnerability: { id: 'CVE-1' } }, { vulnerability: { id: 'CVE-2' } }], source: { type: 'image', target: { userInput: 'busybox:latest' } }, distro: { name: 'busybox', version: '1.36' }, descriptor: { name: 'grype', version: '0.7.0' } });
    const got = await collect(grypeReport, [text]);
    expect(got.calls.map((c) => [c.target.name, c.findings.length])).toEqual([['busybox:latest', 0]]);
    expect(got.skips).toEqual({ 'ignored by the Grype configuration': 2 });
  });

  it('a Trivy, SARIF or osv-scanner file is refused, saying what a Grype report is', async () => {
    for (const other of [{ SchemaVersion: 2, ArtifactName: 'x', Results: [] }, { version: '2.1.0', runs: [] }, { results: [] }, []]) {
      const err = await formatError(grypeReport, [JSON.stringify(other)]);
      expect(err.message).toMatch(/expected a Grype JSON report/);
    }
    const noSource = await formatError(grypeReport, [JSON.stringify({ matches: [match({ id: 'CVE-2024-1', related: [], severity: 'Low', type: 'npm', name: 'a', version: '1', fixes: [], paths: [] })] })]);
    expect(noSource.where).toBe('$.source');
  });

  it('a value of the wrong type is an error naming its JSON path', async () => {
    const good = report([match({ id: 'CVE-2024-1', related: ['CVE-2024-2'], severity: 'Low', type: 'npm', name: 'a', version: '1.0.0', fixes: ['1.0.1'], paths: ['/x'] })]);
    const doc = JSON.parse(good);
    const broken = (f: (d: any) => void) => {
      const d = JSON.parse(good);
      f(d);
      return JSON.stringify(d);
    };
    const cases: [string, string][] = [
      [broken((d) => { d.matches[0].artifact.version = 1; }), '$.matches[0].artifact.version'],
      [broken((d) => { d.matches[0].vulnerability.fix.versions = '1.0.1'; }), '$.matches[0].vulnerability.fix.versions'],
      [broken((d) => { d.matches[0].relatedVulnerabilities[0].id = {}; }), '$.matches[0].relatedVulnerabilities[0].id'],
      [broken((d) => { d.matches[0].vulnerability = 'CVE-2024-1'; }), '$.matches[0].vulnerability'],
      [broken((d) => { d.matches[0] = null; }), '$.matches[0]'],
      [broken((d) => { d.source.target.userInput = 5; }), '$.source.target.userInput'],
    ];
    expect(doc.matches).toHaveLength(1);
    for (const [text, where] of cases) expect((await formatError(grypeReport, [text])).where).toBe(where);
  });

  it('a truncated file says so; fuzz: damage gives a parse or a ScanFormatError only', async () => {
    const good = report([match({ id: 'GHSA-2222-3333-4444', related: ['CVE-2024-2'], severity: 'High', type: 'npm', name: 'a', version: '1.0.0', fixes: ['1.0.1'], paths: ['/x'] })]);
    expect((await formatError(grypeReport, [good.slice(0, -30)])).message).toMatch(/truncated/);
    await fuzz(grypeReport, good, 300);
  });
});
