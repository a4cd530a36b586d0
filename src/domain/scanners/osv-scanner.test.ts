import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { chunked, collect, formatError, fuzz } from './json-testkit.js';
import { commonDirectory, fixedVersionFor, osvScannerReport } from './osv-scanner.js';

const record = (id: string, over: Record<string, unknown> = {}) => ({
  modified: '2024-01-01T00:00:00Z',
  id,
  aliases: [],
  summary: `Summary of ${id}`,
  affected: [{ package: { ecosystem: 'npm', name: 'lodash', purl: 'pkg:npm/lodash' }, ranges: [{ type: 'SEMVER', events: [{ introduced: '0' }, { fixed: '4.17.21' }] }] }],
  ...over,
});

const pkg = (name: string, version: string, ecosystem: string, vulns: unknown[], groups?: unknown[]) => ({ package: { name, version, ecosystem }, vulnerabilities: vulns, ...(groups ? { groups } : {}) });

const report = (results: unknown[]) => JSON.stringify({ results, experimental_config: { licenses: { summary: false, allowlist: null } } }, null, 2);

describe('osv-scanner JSON', () => {
  it('one finding per group, under the CVE where the group names one, with the rest as aliases', async () => {
    const text = report([
      {
        source: { path: '/src/shop/web/package-lock.json', type: 'lockfile' },
        packages: [
          pkg(
            'lodash',
            '4.17.15',
            'npm',
            [record('GHSA-p6mc-m468-83gw', { aliases: ['CVE-2020-8203'], database_specific: { severity: 'HIGH' }, severity: [{ type: 'CVSS_V3', score: 'CVSS:3.1/AV:N/AC:H/PR:N/UI:N/S:U/C:N/I:H/A:H' }] }), record('GHSA-35jh-r3h4-6jhm', { aliases: ['CVE-2021-23337'] })],
            [
              { ids: ['GHSA-p6mc-m468-83gw'], aliases: ['CVE-2020-8203', 'GHSA-p6mc-m468-83gw'], max_severity: '7.4' },
              { ids: ['GHSA-35jh-r3h4-6jhm'], aliases: ['CVE-2021-23337', 'GHSA-35jh-r3h4-6jhm'], max_severity: '' },
            ],
          ),
        ],
      },
      {
        source: { path: '/src/shop/api/requirements.txt', type: 'lockfile' },
        packages: [pkg('django', '4.2.0', 'PyPI', [record('PYSEC-2023-100', { affected: [{ package: { ecosystem: 'PyPI', name: 'django' }, ranges: [{ type: 'ECOSYSTEM', events: [{ introduced: '4.2' }, { fixed: '4.2.2' }] }] }] })], [{ ids: ['PYSEC-2023-100'], aliases: ['PYSEC-2023-100'], max_severity: '9.1' }])],
      },
    ]);
    const got = await collect(osvScannerReport, chunked(text, [11, 300, 1200]));
    expect(got.meta).toEqual({ format: 'osv-scanner', scanner: 'osv-scanner', reportName: '/src/shop', scannedAt: null });
    expect(got.calls.map((c) => c.target)).toEqual([{ key: '/src/shop', kind: 'application', name: '/src/shop' }]);
    expect(got.findings.map((f) => [f.vulnerabilityId, f.aliases, f.severity, f.cvssScore, f.cvssVector, f.package?.ecosystem, f.package?.fixedVersion, f.sourceKey, f.title])).toEqual([
      ['CVE-2020-8203', ['GHSA-p6mc-m468-83gw'], 'high', 7.4, 'CVSS:3.1/AV:N/AC:H/PR:N/UI:N/S:U/C:N/I:H/A:H', 'npm', '4.17.21', '/src/shop/web/package-lock.json', 'Summary of GHSA-p6mc-m468-83gw'],
      ['CVE-2021-23337', ['GHSA-35jh-r3h4-6jhm'], null, null, null, 'npm', '4.17.21', '/src/shop/web/package-lock.json', 'Summary of GHSA-35jh-r3h4-6jhm'],
      ['PYSEC-2023-100', undefined, 'critical', 9.1, null, 'pypi', '4.2.2', '/src/shop/api/requirements.txt', 'Summary of PYSEC-2023-100'],
    ]);
  });

  it('reports from before groups existed: one finding per record', async () => {
    const text = report([{ source: { path: 'go.mod', type: 'lockfile' }, packages: [pkg('golang.org/x/net', '0.7.0', 'Go', [record('GO-2023-1571', { aliases: ['CVE-2022-41723', 'GHSA-vvpx-j8f3-3w6h'], affected: [] })])] }]);
    const got = await collect(osvScannerReport, [text]);
    expect(got.findings.map((f) => [f.vulnerabilityId, f.aliases, f.package?.ecosystem, f.package?.fixedVersion])).toEqual([['CVE-2022-41723', ['GO-2023-1571', 'GHSA-vvpx-j8f3-3w6h'], 'go', null]]);
    expect(got.calls[0]?.target.name).toBe('.');
  });

  it('the fixed version is the one of the range holding the installed version', () => {
    const rec = record('X-1', {
      affected: [
        { package: { ecosystem: 'Debian:12', name: 'openssl' }, ranges: [{ type: 'ECOSYSTEM', events: [{ introduced: '0' }, { fixed: '1.1.1n-0+deb10u1' }, { introduced: '3.0.0-1' }, { fixed: '3.0.11-1~deb12u2' }] }] },
        { package: { ecosystem: 'Debian:12', name: 'other' }, ranges: [{ type: 'ECOSYSTEM', events: [{ introduced: '0' }, { fixed: '9' }] }] },
      ],
    });
    const at = ['x'];
    expect(fixedVersionFor([rec], { name: 'openssl', ecosystem: 'Debian:12', version: '3.0.9-1' }, at)).toBe('3.0.11-1~deb12u2');
    expect(fixedVersionFor([rec], { name: 'openssl', ecosystem: 'Debian:12', version: '1.1.1k-1' }, at)).toBe('1.1.1n-0+deb10u1');
    // Past every fix, or in an ecosystem patchloop does not order: the first fixed event named for the package.
    expect(fixedVersionFor([rec], { name: 'openssl', ecosystem: 'Debian:12', version: '3.1.0-1' }, at)).toBe('1.1.1n-0+deb10u1');
    const cargo = record('X-2', { affected: [{ package: { ecosystem: 'crates.io', name: 'time' }, ranges: [{ type: 'ECOSYSTEM', events: [{ introduced: '0.2.7' }, { fixed: '0.2.23' }] }] }] });
    expect(fixedVersionFor([cargo], { name: 'time', ecosystem: 'crates.io', version: '0.2.10' }, at)).toBe('0.2.23');
    expect(fixedVersionFor([cargo], { name: 'time', ecosystem: 'npm', version: '0.2.10' }, at)).toBeNull();
  });

  it('commonDirectory: the directory the sources share', () => {
    expect(commonDirectory([{ path: '/a/b/c/package-lock.json', type: 'lockfile' }, { path: '/a/b/d/yarn.lock', type: 'lockfile' }])).toBe('/a/b');
    expect(commonDirectory([{ path: '/a/b/package-lock.json', type: 'lockfile' }])).toBe('/a/b');
    expect(commonDirectory([{ path: '/x/go.mod', type: 'lockfile' }, { path: '/y/go.mod', type: 'lockfile' }])).toBe('/');
    expect(commonDirectory([{ path: '/repo/checkout', type: 'git' }])).toBe('/repo/checkout');
    expect(commonDirectory([{ path: 'C:\\work\\app\\package-lock.json', type: 'lockfile' }])).toBe('C:/work/app');
    expect(commonDirectory([])).toBeNull();
    fc.assert(
      fc.property(fc.array(fc.array(fc.stringMatching(/^[a-z]{1,3}$/), { minLength: 1, maxLength: 4 }), { minLength: 1, maxLength: 4 }), (paths) => {
        const dir = commonDirectory(paths.map((p) => ({ path: `/${p.join('/')}/lock.json`, type: 'lockfile' }))) as string;
        for (const p of paths) expect(`/${p.join('/')}/`.startsWith(dir === '/' ? '/' : `${dir}/`)).toBe(true);
      }),
    );
  });

  it('a scan of operating-system package databases is a host', async () => {
    const text = report([{ source: { path: '/var/lib/dpkg/status', type: 'lockfile' }, packages: [pkg('openssl', '3.0.9-1', 'Debian:12', [record('DSA-5532-1', { aliases: ['CVE-2023-5363'] })])] }]);
    const got = await collect(osvScannerReport, [text]);
    expect(got.calls.map((c) => [c.target.kind, c.target.name])).toEqual([['host', '/var/lib/dpkg']]);
    expect(got.findings[0]?.package?.ecosystem).toBe('deb');
  });

  it('an empty report imports cleanly with no target', async () => {
    for (const text of ['{"results": [], "experimental_config": {}}', '{\n  "results": []\n}']) {
      const got = await collect(osvScannerReport, [text]);
      expect(got.calls).toEqual([]);
    }
  });

  it('a Trivy, Grype or SARIF file is refused, saying what an osv-scanner report is', async () => {
    for (const other of [{ SchemaVersion: 2, Results: [] }, { matches: [], source: { type: 'image' } }, { version: '2.1.0', runs: [{ results: [] }] }, [], {}]) {
      const err = await formatError(osvScannerReport, [JSON.stringify(other)]);
      expect(err.message).toMatch(/expected an osv-scanner JSON report/);
    }
  });

  it('a value of the wrong type is an error naming its JSON path; truncation says so', async () => {
    const good = report([{ source: { path: '/a/package-lock.json', type: 'lockfile' }, packages: [pkg('lodash', '4.17.15', 'npm', [record('GHSA-p6mc-m468-83gw')], [{ ids: ['GHSA-p6mc-m468-83gw'], aliases: [], max_severity: '7.4' }])] }]);
    const broken = (f: (d: any) => void) => {
      const d = JSON.parse(good);
      f(d);
      return JSON.stringify(d);
    };
    const cases: [string, string][] = [
      [broken((d) => { d.results[0].packages[0].package.version = 4; }), '$.results[0].packages[0].package.version'],
      [broken((d) => { d.results[0].packages[0].groups[0].ids = 'GHSA'; }), '$.results[0].packages[0].groups[0].ids'],
      [broken((d) => { d.results[0].packages[0].vulnerabilities[0].affected[0].ranges[0].events[1].fixed = 1; }), '$.results[0].packages[0].vulnerabilities[0].affected[0].ranges[0].events[1].fixed'],
      [broken((d) => { d.results[0].source = 'x'; }), '$.results[0].source'],
      [broken((d) => { d.results[0].packages[0].groups[0].max_severity = []; }), '$.results[0].packages[0].groups[0].max_severity'],
    ];
    for (const [text, where] of cases) expect((await formatError(osvScannerReport, [text])).where).toBe(where);
    expect((await formatError(osvScannerReport, [good.slice(0, -10)])).message).toMatch(/truncated/);
  });

  it('fuzz: damaged documents parse or throw ScanFormatError only', async () => {
    const good = report([{ source: { path: '/a/package-lock.json', type: 'lockfile' }, packages: [pkg('lodash', '4.17.15', 'npm', [record('GHSA-p6mc-m468-83gw', { aliases: ['CVE-2020-8203'] })], [{ ids: ['GHSA-p6mc-m468-83gw'], aliases: ['CVE-2020-8203'], max_severity: '7.4' }])] }]);
    await fuzz(osvScannerReport, good, 300);
  });
});
