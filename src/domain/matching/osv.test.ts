import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { VERSION_ARBITRARY } from '../../../test/versions/generators.js';
import { type OsvAffected, type OsvEvent, type OsvRangeType, parseOsvRecord } from '../feeds/osv.js';
import { ECOSYSTEMS, type Ecosystem, VersionError, compareVersions } from '../versions/index.js';
import { type OsvAdvisory, OsvAdvisoryIndex, matchOsvAffected, matchOsvPackage, normalisePackageName, osvAdvisories } from './osv.js';

/** Builds an affected entry through the parser, so every test input is a valid OSV record. */
function entry(osvEcosystem: string, name: string, ranges: { type?: OsvRangeType; events: OsvEvent[] }[], versions: string[] = []): OsvAffected {
  const doc = { id: 'TEST-1', modified: '2024-05-01T00:00:00Z', affected: [{ package: { ecosystem: osvEcosystem, name }, ranges: ranges.map((r) => ({ type: r.type ?? 'ECOSYSTEM', events: r.events })), versions }] };
  return parseOsvRecord(doc).affected[0]!;
}
const affectedAt = (e: OsvAffected, v: string) => matchOsvAffected(e, v).affected;
const upTo = (fixed: string, introduced = '0'): OsvEvent[] => [{ introduced }, { fixed }];

describe('OSV evaluation per ecosystem', () => {
  it('Debian: source package, source version, epochs and ~ backports', () => {
    const e = entry('Debian:12', 'openssl', [{ events: upTo('3.0.14-1~deb12u1') }]);
    expect(matchOsvAffected(e, '3.0.13-1~deb12u1')).toEqual({ affected: true, rule: 'in_range', range: { introduced: '0', fixed: '3.0.14-1~deb12u1', lastAffected: null }, fixedVersion: '3.0.14-1~deb12u1' });
    expect(affectedAt(e, '3.0.14-1~deb12u1')).toBe(false);
    expect(affectedAt(e, '3.0.14-1')).toBe(false); // ~ sorts before the end: the backport is older than 3.0.14-1
    expect(affectedAt(e, '3.0.14-0~bpo12+1')).toBe(true);
    const epoch = entry('Debian:12', 'sudo', [{ events: upTo('1:1.9.13p3-1+deb12u1') }]);
    expect(affectedAt(epoch, '1.9.15p5-3')).toBe(true); // no epoch = 0 < 1
    expect(affectedAt(epoch, '1:1.9.13p3-1+deb12u1')).toBe(false);
    // the binary libssl3 is built from openssl: its own version does not count, its source's does
    expect(matchOsvPackage(e, { name: 'libssl3', version: '9.9.9-1', sourceName: 'openssl', sourceVersion: '3.0.11-1~deb12u2' }).affected).toBe(true);
    expect(matchOsvPackage(e, { name: 'libssl3', version: '1.0-1', sourceName: 'openssl', sourceVersion: '3.0.14-1~deb12u1' }).affected).toBe(false);
    expect(matchOsvPackage(e, { name: 'libssl3', version: '1.0-1', sourceName: 'libssl3', sourceVersion: '1.0-1' }).affected).toBe(false);
  });

  it('Ubuntu: introduced 0 and the fixed version', () => {
    const e = entry('Ubuntu:22.04:LTS', 'tomcat9', [{ events: upTo('9.0.70-2ubuntu0.1') }], ['9.0.70-1ubuntu1', '9.0.70-2']);
    expect(matchOsvAffected(e, '9.0.70-2')).toMatchObject({ affected: true, rule: 'in_range', fixedVersion: '9.0.70-2ubuntu0.1' });
    expect(affectedAt(e, '9.0.70-2ubuntu0.1')).toBe(false);
    expect(affectedAt(e, '9.0.70-2ubuntu0.2')).toBe(false);
  });

  it('Alpine: -r revisions and _p / _rc suffixes', () => {
    const e = entry('Alpine:v3.19', 'openssh', [{ events: upTo('9.6_p1-r1') }]);
    expect(affectedAt(e, '9.6_p1-r0')).toBe(true);
    expect(affectedAt(e, '9.6-r5')).toBe(true); // 9.6 < 9.6_p1
    expect(affectedAt(e, '9.6_rc1-r9')).toBe(true);
    expect(affectedAt(e, '9.6_p1-r1')).toBe(false);
    expect(affectedAt(e, '9.7-r0')).toBe(false);
  });

  it('AlmaLinux, Rocky Linux and Red Hat: rpm epochs and el9 releases', () => {
    for (const eco of ['AlmaLinux:9', 'Rocky Linux:9', 'Red Hat:enterprise_linux:9::baseos']) {
      const e = entry(eco, 'openssl', [{ events: upTo('1:3.0.7-27.el9') }]);
      expect(affectedAt(e, '1:3.0.7-24.el9')).toBe(true);
      expect(affectedAt(e, '3.0.9-1.el9')).toBe(true); // epoch 0
      expect(affectedAt(e, '1:3.0.7-27.el9')).toBe(false);
      expect(affectedAt(e, '1:3.0.7-27.el9_4')).toBe(false);
    }
  });

  it('npm: SemVer pre-releases, multiple ranges', () => {
    const e = entry('npm', 'lodash', [
      { type: 'SEMVER', events: upTo('4.17.21') },
      { type: 'SEMVER', events: upTo('5.0.1', '5.0.0-alpha.2') },
    ]);
    expect(affectedAt(e, '4.17.21-rc.1')).toBe(true);
    expect(affectedAt(e, '4.17.21')).toBe(false);
    expect(affectedAt(e, '5.0.0-alpha.1')).toBe(false);
    expect(matchOsvAffected(e, '5.0.0-beta')).toEqual({ affected: true, rule: 'in_range', range: { introduced: '5.0.0-alpha.2', fixed: '5.0.1', lastAffected: null }, fixedVersion: '5.0.1' });
    expect(affectedAt(e, '5.0.1')).toBe(false);
  });

  it('PyPI: PEP 440 pre- and post-releases, equal versions, normalised names', () => {
    const e = entry('PyPI', 'Django_REST.framework', [{ events: upTo('1.0.post1', '1.0rc1') }], ['0.9']);
    expect(affectedAt(e, '1.0b2')).toBe(false);
    expect(affectedAt(e, '1.0rc1')).toBe(true);
    expect(affectedAt(e, '1.0')).toBe(true);
    expect(affectedAt(e, '1.0.0')).toBe(true);
    expect(affectedAt(e, '1.0.post1')).toBe(false);
    expect(matchOsvAffected(e, '0.9.0')).toEqual({ affected: true, rule: 'listed_version', range: null, fixedVersion: '1.0.post1' });
    expect(normalisePackageName('pypi', 'Django_REST.framework')).toBe('django-rest-framework');
    expect(normalisePackageName('PyPI', 'zope.--interface')).toBe('zope-interface');
    expect(normalisePackageName('npm', 'Foo_Bar')).toBe('Foo_Bar');
    expect(matchOsvPackage(e, { name: 'django-rest-framework', version: '1.0' }).affected).toBe(true);
    expect(matchOsvPackage(e, { name: 'djangorestframework', version: '1.0' }).affected).toBe(false);
  });

  it('Maven: group:artifact and qualifiers', () => {
    const e = entry('Maven', 'org.apache.logging.log4j:log4j-core', [{ events: upTo('2.15.0', '2.0-beta9') }]);
    expect(affectedAt(e, '2.0-alpha1')).toBe(false);
    expect(affectedAt(e, '2.0-beta9')).toBe(true);
    expect(affectedAt(e, '2.0')).toBe(true);
    expect(affectedAt(e, '2.14.1')).toBe(true);
    expect(affectedAt(e, '2.15.0-rc1')).toBe(true);
    expect(affectedAt(e, '2.15.0')).toBe(false);
    expect(affectedAt(e, '2.15')).toBe(false); // = 2.15.0 in Maven's order
  });

  it('Go: v prefixes, pseudo-versions and +incompatible', () => {
    const e = entry('Go', 'golang.org/x/crypto', [{ type: 'SEMVER', events: upTo('0.0.0-20220315160706-3147a52a75dd') }]);
    expect(affectedAt(e, 'v0.0.0-20211202192323-5770296d904e')).toBe(true);
    expect(affectedAt(e, 'v0.0.0-20220315160706-3147a52a75dd')).toBe(false);
    expect(affectedAt(e, 'v0.17.0')).toBe(false);
    const inc = entry('Go', 'github.com/docker/docker', [{ type: 'SEMVER', events: upTo('20.10.11', '1.5.0') }]);
    expect(affectedAt(inc, 'v20.10.9+incompatible')).toBe(true);
    expect(affectedAt(inc, 'v20.10.11+incompatible')).toBe(false);
  });
});

describe('OSV event semantics', () => {
  const semver = (events: OsvEvent[], versions: string[] = []) => entry('npm', 'x', [{ type: 'SEMVER', events }], versions);

  it('several introduced/fixed pairs in one range, in any order in the record', () => {
    for (const events of [
      [{ introduced: '1.0.0' }, { fixed: '1.0.2' }, { introduced: '3.0.0' }, { fixed: '3.2.5' }],
      [{ fixed: '3.2.5' }, { introduced: '3.0.0' }, { fixed: '1.0.2' }, { introduced: '1.0.0' }],
    ] as OsvEvent[][]) {
      const e = semver(events);
      expect(['0.9.0', '1.0.0', '1.0.1', '1.0.2', '2.0.0', '3.0.0', '3.2.4', '3.2.5', '4.0.0'].filter((v) => affectedAt(e, v))).toEqual(['1.0.0', '1.0.1', '3.0.0', '3.2.4']);
      expect(matchOsvAffected(e, '3.1.0')).toMatchObject({ range: { introduced: '3.0.0', fixed: '3.2.5' }, fixedVersion: '3.2.5' });
    }
  });

  it('last_affected includes its version and explains without a fix', () => {
    const e = semver([{ introduced: '0' }, { last_affected: '2.1.214' }]);
    expect(matchOsvAffected(e, '2.1.214')).toEqual({ affected: true, rule: 'in_range', range: { introduced: '0', fixed: null, lastAffected: '2.1.214' }, fixedVersion: null });
    expect(affectedAt(e, '2.1.215')).toBe(false);
  });

  it('limit bounds a range from above; "*" means no bound; several limits widen it', () => {
    const e = semver([{ introduced: '1.0.0' }, { limit: '2.0.0' }]);
    expect(affectedAt(e, '1.9.9')).toBe(true);
    expect(affectedAt(e, '2.0.0')).toBe(false);
    expect(affectedAt(semver([{ introduced: '1.0.0' }, { limit: '*' }]), '99.0.0')).toBe(true);
    const two = semver([{ introduced: '1.0.0' }, { limit: '2.0.0' }, { limit: '3.0.0' }]);
    expect(affectedAt(two, '2.5.0')).toBe(true);
    expect(affectedAt(two, '3.0.0')).toBe(false);
  });

  it('no fix: introduced only', () => {
    expect(matchOsvAffected(semver([{ introduced: '0' }]), '0.0.1')).toEqual({ affected: true, rule: 'in_range', range: { introduced: '0', fixed: null, lastAffected: null }, fixedVersion: null });
    expect(affectedAt(semver([{ introduced: '2.0.0' }]), '1.9.9')).toBe(false);
  });

  it('the fixed version is the smallest fix above the installed version (cherry-picked fixes)', () => {
    const e = semver([{ introduced: '0' }, { fixed: '2.0.0' }, { fixed: '1.8.3' }]);
    expect(matchOsvAffected(e, '1.2.0')).toMatchObject({ affected: true, fixedVersion: '1.8.3', range: { fixed: '1.8.3' } });
    expect(affectedAt(e, '1.9.0')).toBe(false);
  });

  it('events of equal version keep the record order', () => {
    expect(affectedAt(semver([{ introduced: '1.0.0' }, { fixed: '1.0.0' }]), '1.0.0')).toBe(false);
    // fixed in 1.0.0 and re-introduced by it: [0, 1.0.0) ∪ [1.0.0, 2.0.0)
    const back = semver([{ introduced: '0' }, { fixed: '1.0.0' }, { introduced: '1.0.0' }, { fixed: '2.0.0' }]);
    expect(['0.5.0', '1.0.0', '1.5.0', '2.0.0'].map((v) => affectedAt(back, v))).toEqual([true, true, true, false]);
  });

  it('versions-only entries match listed versions, by ecosystem equality too', () => {
    const e = entry('PyPI', 'pytz', [], ['2004d', '1.0', '2.0.post1']);
    expect(matchOsvAffected(e, '1.0.0')).toEqual({ affected: true, rule: 'listed_version', range: null, fixedVersion: null });
    expect(affectedAt(e, '2.0.post1')).toBe(true);
    expect(affectedAt(e, '2.0')).toBe(false);
    // a legacy version the grammar rejects matches verbatim, and only then
    expect(affectedAt(e, '2004d')).toBe(true);
    expect(() => matchOsvAffected(e, '2004e')).toThrow(VersionError);
  });

  it('never matches GIT ranges or unknown ecosystems', () => {
    const git = parseOsvRecord({ id: 'OSV-1', modified: '2024-01-01T00:00:00Z', affected: [{ package: { ecosystem: 'npm', name: 'x' }, ranges: [{ type: 'GIT', repo: 'https://example.com/x.git', events: [{ introduced: '0' }] }] }] }).affected[0]!;
    expect(affectedAt(git, '1.0.0')).toBe(false);
    const crate = entry('crates.io', 'smallvec', [{ type: 'SEMVER', events: [{ introduced: '0' }] }], ['1.0.0']);
    expect(crate.ecosystem).toBeNull();
    expect(affectedAt(crate, '1.0.0')).toBe(false);
  });

  it('counts comparisons through a caller-supplied comparator', () => {
    let n = 0;
    const e = entry('npm', 'x', [{ type: 'SEMVER', events: upTo('1.0.2', '1.0.0') }]);
    const counting = (a: string, b: string) => {
      n++;
      return compareVersions('npm', a, b);
    };
    expect(matchOsvAffected(e, '1.0.1', counting).affected).toBe(true);
    expect(n).toBe(2);
  });
});

describe('OsvAdvisoryIndex', () => {
  const record = (id: string, affected: unknown[], over: Record<string, unknown> = {}) => parseOsvRecord({ id, modified: '2024-05-01T00:00:00Z', affected, ...over });
  const pkg = (ecosystem: string, name: string, fixed: string, over: Record<string, unknown> = {}) => ({ package: { ecosystem, name }, ranges: [{ type: 'ECOSYSTEM', events: upTo(fixed) }], ...over });
  const records = [
    record('DEBIAN-CVE-2024-0001', [pkg('Debian:12', 'openssl', '3.0.14-1~deb12u1'), pkg('Debian:11', 'openssl', '1.1.1w-0+deb11u2')]),
    record('DEBIAN-CVE-2024-0002', [pkg('Debian:12', 'libfoo-bin', '2.0-1')]),
    record('UBUNTU-CVE-2024-0003', [pkg('Ubuntu:22.04:LTS', 'openssl', '3.0.2-0ubuntu1.16'), pkg('Ubuntu:Pro:18.04:LTS', 'openssl', '1.1.1-1ubuntu2.1~18.04.23+esm5'), pkg('Ubuntu:Pro:FIPS-updates:20.04:LTS', 'openssl', '1.1.1f-1ubuntu2.fips.2.99')]),
    record('ALSA-2024:0001', [pkg('AlmaLinux:9', 'openssl', '1:3.0.7-27.el9')]),
    record('RLSA-2024:0001', [pkg('Rocky Linux:9', 'openssl', '1:3.0.7-28.el9')]),
    record('ALPINE-CVE-2024-0004', [pkg('Alpine:v3.19', 'busybox', '1.36.1-r16')]),
    record('PYSEC-2024-5', [pkg('PyPI', 'Django-REST_framework', '3.15.2')]),
    record('GHSA-wwww-xxxx-yyyy', [pkg('npm', 'lodash', '4.17.21')], { withdrawn: '2024-06-01T00:00:00Z' }),
    record('GHSA-mixed-feed-0001', [pkg('crates.io', 'smallvec', '1.6.1'), pkg('Maven', 'org.example:lib', '1.2.0')]),
  ];
  const index = new OsvAdvisoryIndex(records.flatMap(osvAdvisories));
  const vulns = (p: Parameters<OsvAdvisoryIndex['affecting']>[0]) => index.affecting(p).map((f) => f.advisory.vulnerability);

  it('flattens records into matchable entries, leaving out withdrawn records and unknown ecosystems', () => {
    expect(records.flatMap(osvAdvisories).map((a) => `${a.vulnerability} ${a.ecosystem}/${a.release}/${a.package}`)).toEqual([
      'DEBIAN-CVE-2024-0001 deb/bookworm/openssl', 'DEBIAN-CVE-2024-0001 deb/bullseye/openssl', 'DEBIAN-CVE-2024-0002 deb/bookworm/libfoo-bin',
      'UBUNTU-CVE-2024-0003 deb/22.04/openssl', 'UBUNTU-CVE-2024-0003 deb/18.04/openssl', 'UBUNTU-CVE-2024-0003 deb/20.04/fips-updates/openssl',
      'ALSA-2024:0001 rpm/9/openssl', 'RLSA-2024:0001 rpm/9/openssl', 'ALPINE-CVE-2024-0004 apk/3.19/busybox', 'PYSEC-2024-5 pypi//Django-REST_framework',
      'GHSA-mixed-feed-0001 maven//org.example:lib',
    ]);
    expect(index.size).toBe(10);
  });

  it('matches a Debian binary through its source package and release codename', () => {
    const found = index.affecting({ ecosystem: 'deb', distro: 'debian', release: 'bookworm', name: 'libssl3', version: '3.0.13-1~deb12u1+b1', sourceName: 'openssl', sourceVersion: '3.0.13-1~deb12u1' });
    expect(found).toHaveLength(1);
    expect(found[0]).toMatchObject({ advisory: { vulnerability: 'DEBIAN-CVE-2024-0001', release: 'bookworm' }, matchedName: 'openssl', comparedVersion: '3.0.13-1~deb12u1', match: { rule: 'in_range', fixedVersion: '3.0.14-1~deb12u1' } });
    expect(vulns({ ecosystem: 'deb', distro: 'debian', release: '12', name: 'libssl3', version: 'x', sourceName: 'openssl', sourceVersion: '3.0.13-1~deb12u1' })).toEqual(['DEBIAN-CVE-2024-0001']);
    expect(vulns({ ecosystem: 'deb', release: 'bookworm', name: 'libssl3', version: '3.0.13-1', sourceName: 'openssl', sourceVersion: '3.0.14-1~deb12u1' })).toEqual([]);
    expect(vulns({ ecosystem: 'deb', release: 'trixie', name: 'openssl', version: '3.0.13-1' })).toEqual([]);
    // nothing under its source: looked up by its own name, at its own version
    expect(vulns({ ecosystem: 'deb', release: 'bookworm', name: 'libfoo-bin', version: '1.9-1', sourceName: 'foo', sourceVersion: '5.0-1' })).toEqual(['DEBIAN-CVE-2024-0002']);
    // source named as the binary: the source version is compared (binNMU)
    expect(vulns({ ecosystem: 'deb', release: 'bookworm', name: 'libfoo-bin', version: '2.0-1+b1', sourceName: 'libfoo-bin', sourceVersion: '1.9-1' })).toEqual(['DEBIAN-CVE-2024-0002']);
  });

  it('matches Ubuntu hosts against their release and its Pro (ESM) stream, never a FIPS stream', () => {
    expect(vulns({ ecosystem: 'deb', distro: 'ubuntu', release: '18.04', name: 'openssl', version: '1.1.1-1ubuntu2.1~18.04.23' })).toEqual(['UBUNTU-CVE-2024-0003']);
    expect(vulns({ ecosystem: 'deb', distro: 'ubuntu', release: '20.04', name: 'openssl', version: '1.1.1f-1ubuntu2.fips.2.1' })).toEqual([]);
    expect(vulns({ ecosystem: 'deb', distro: 'debian', release: '22.04', name: 'openssl', version: '1.0-1' })).toEqual([]);
  });

  it('keeps RHEL rebuilds apart by distribution and maps VERSION_ID to the major release', () => {
    const host = { ecosystem: 'rpm', release: '9.4', name: 'openssl-libs', version: '1:3.0.7-27.el9', sourceName: 'openssl', sourceVersion: '1:3.0.7-27.el9' };
    expect(vulns({ ...host, distro: 'almalinux' })).toEqual([]);
    expect(vulns({ ...host, distro: 'rocky' })).toEqual(['RLSA-2024:0001']);
    // without a distribution both rebuilds' entries apply: Rocky's later fix is not installed
    expect(vulns({ ...host, release: '9' })).toEqual(['RLSA-2024:0001']);
  });

  it('returns the same candidate list for the same key, so callers can cache by it', () => {
    const host = { ecosystem: 'rpm', distro: 'rocky', release: '9.4', name: 'openssl', version: '1:3.0.7-1.el9' };
    const a = index.candidates(host)!;
    expect(a.advisories.map((x) => x.vulnerability)).toEqual(['RLSA-2024:0001']);
    expect(index.candidates({ ...host, version: '1:3.0.7-2.el9' })!.advisories).toBe(a.advisories);
    expect(index.candidates({ ...host, distro: 'centos' })).toBeUndefined();
  });

  it('maps an Alpine VERSION_ID to its branch', () => {
    expect(vulns({ ecosystem: 'apk', distro: 'alpine', release: '3.19.1', name: 'busybox-binsh', version: '1.36.1-r15', sourceName: 'busybox', sourceVersion: '1.36.1-r15' })).toEqual(['ALPINE-CVE-2024-0004']);
  });

  it('looks language packages up by normalised name whatever the host release', () => {
    expect(vulns({ ecosystem: 'pypi', release: 'bookworm', name: 'django_rest.framework', version: '3.15.1' })).toEqual(['PYSEC-2024-5']);
    expect(vulns({ ecosystem: 'PyPI', release: '', name: 'Django-REST-Framework', version: '3.15.2' })).toEqual([]);
    expect(vulns({ ecosystem: 'maven', release: '', name: 'org.example:lib', version: '1.1' })).toEqual(['GHSA-mixed-feed-0001']);
    expect(vulns({ ecosystem: 'npm', release: '', name: 'lodash', version: '4.17.20' })).toEqual([]); // withdrawn
    expect(vulns({ ecosystem: 'cargo', release: '', name: 'smallvec', version: '1.0.0' })).toEqual([]);
  });

  it('accepts stored rows and skips withdrawn ones', () => {
    const row: OsvAdvisory = { id: 7, vulnerability: 'GHSA-row', ecosystem: 'npm', release: '', package: 'x', ranges: [{ type: 'SEMVER', events: upTo('2.0.0') }], versions: [] };
    const idx = new OsvAdvisoryIndex([row, { ...row, id: 8, withdrawn: '2024-01-01T00:00:00.000Z' }]);
    expect(idx.affecting({ ecosystem: 'npm', release: '', name: 'x', version: '1.0.0' }).map((f) => f.advisory.id)).toEqual([7]);
  });
});

describe('OSV evaluation properties (fast-check)', () => {
  const OSV_NAME: Record<Ecosystem, [string, string]> = {
    deb: ['Debian:12', 'openssl'], rpm: ['AlmaLinux:9', 'openssl'], apk: ['Alpine:v3.19', 'busybox'],
    npm: ['npm', 'lodash'], pypi: ['PyPI', 'requests'], maven: ['Maven', 'org.example:lib'], go: ['Go', 'example.com/m'],
  };

  it.each(ECOSYSTEMS)('%s: a single introduced/fixed range holds exactly introduced <= v < fixed', (eco) => {
    const gen = VERSION_ARBITRARY[eco];
    const cmp = (a: string, b: string) => compareVersions(eco, a, b);
    fc.assert(
      fc.property(gen, gen, gen, fc.boolean(), fc.boolean(), (a, b, v, fromZero, reversed) => {
        fc.pre(cmp(a, b) !== 0);
        const [lo, hi] = cmp(a, b) < 0 ? [a, b] : [b, a];
        const introduced = fromZero ? '0' : lo;
        const events: OsvEvent[] = [{ introduced }, { fixed: hi }];
        const [osvEco, name] = OSV_NAME[eco];
        const e = entry(osvEco, name, [{ events: reversed ? events.reverse() : events }]);
        const expected = (introduced === '0' || cmp(introduced, v) <= 0) && cmp(v, hi) < 0;
        const m = matchOsvAffected(e, v);
        expect(m.affected).toBe(expected);
        if (m.affected) expect(m).toEqual({ affected: true, rule: 'in_range', range: { introduced, fixed: hi, lastAffected: null }, fixedVersion: hi });
      }),
      { numRuns: 300 },
    );
  });
});
