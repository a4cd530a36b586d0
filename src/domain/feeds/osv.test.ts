import { describe, expect, it } from 'vitest';
import { FeedFormatError } from './kev.js';
import { DEBIAN_CODENAMES, describeOsvEcosystem, hostReleaseKey, osvReleaseKey, osvStats, parseOsvDocument, parseOsvRecord } from './osv.js';

type Doc = Record<string, unknown>;
const fixedRange = (fixed: string, introduced = '0') => ({ type: 'ECOSYSTEM', events: [{ introduced }, { fixed }] });
const affected = (ecosystem: string, name: string, over: Doc = {}) => ({ package: { ecosystem, name }, ranges: [fixedRange('1.0.0')], ...over });
const record = (over: Doc = {}): Doc => ({ schema_version: '1.7.0', id: 'GHSA-abcd-efgh-ijkl', modified: '2024-05-01T12:00:00.123456Z', ...over });
const only = (a: Doc) => parseOsvRecord(record({ affected: [a] })).affected[0]!;
const fails = (doc: unknown, where?: string) => {
  try {
    parseOsvRecord(doc, where);
  } catch (e) {
    expect(e).toBeInstanceOf(FeedFormatError);
    return (e as Error).message;
  }
  throw new Error('expected a FeedFormatError');
};

describe('OSV record parser', () => {
  it('normalises a GitHub advisory for npm with aliases, severity, references and unknown fields', () => {
    const r = parseOsvRecord(
      record({
        aliases: ['CVE-2024-0001'],
        related: ['GHSA-zzzz-zzzz-zzzz'],
        published: '2024-04-30T08:00:00+02:00',
        summary: 'Prototype pollution',
        details: 'Line one\nline two\twith a tab',
        severity: [{ type: 'CVSS_V3', score: 'CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H' }],
        references: [{ type: 'ADVISORY', url: 'https://github.com/advisories/GHSA-abcd-efgh-ijkl' }],
        database_specific: { github_reviewed: true },
        credits: [{ name: 'someone' }],
        affected: [
          {
            package: { ecosystem: 'npm', name: '@scope/lib', purl: 'pkg:npm/%40scope/lib' },
            ranges: [{ type: 'SEMVER', events: [{ introduced: '1.0.0-beta.1' }, { fixed: '1.4.2' }] }],
            versions: ['1.0.0-beta.1', '1.4.1'],
            ecosystem_specific: { affected_functions: ['x'] },
          },
        ],
      }),
    );
    expect(r).toEqual({
      id: 'GHSA-abcd-efgh-ijkl',
      aliases: ['CVE-2024-0001'],
      related: ['GHSA-zzzz-zzzz-zzzz'],
      upstream: [],
      modified: '2024-05-01T12:00:00.123Z',
      published: '2024-04-30T06:00:00.000Z',
      withdrawn: null,
      summary: 'Prototype pollution',
      details: 'Line one\nline two\twith a tab',
      severity: [{ type: 'CVSS_V3', score: 'CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H' }],
      references: [{ type: 'ADVISORY', url: 'https://github.com/advisories/GHSA-abcd-efgh-ijkl' }],
      affected: [
        {
          ecosystem: 'npm', distro: null, release: '', osvEcosystem: 'npm', package: '@scope/lib', purl: 'pkg:npm/%40scope/lib',
          ranges: [{ type: 'SEMVER', events: [{ introduced: '1.0.0-beta.1' }, { fixed: '1.4.2' }] }],
          versions: ['1.0.0-beta.1', '1.4.1'], severity: [],
        },
      ],
    });
  });

  it('keeps optional fields absent or null as empty, and a withdrawn date', () => {
    const r = parseOsvRecord({ id: 'PYSEC-2021-1', modified: '2021-01-01T00:00:00Z', withdrawn: '2021-02-01T00:00:00Z', summary: null, affected: null });
    expect(r).toMatchObject({ aliases: [], related: [], published: null, withdrawn: '2021-02-01T00:00:00.000Z', summary: null, details: null, severity: [], references: [], affected: [] });
  });

  it.each([
    ['Debian:12', 'deb', 'debian', 'bookworm', 'openssl', '3.0.14-1~deb12u1'],
    ['Debian:11', 'deb', 'debian', 'bullseye', 'glibc', '2.31-13+deb11u11'],
    ['Ubuntu:22.04:LTS', 'deb', 'ubuntu', '22.04', 'openssl', '3.0.2-0ubuntu1.15'],
    ['Ubuntu:Pro:18.04:LTS', 'deb', 'ubuntu', '18.04', 'openssl', '1.1.1-1ubuntu2.1~18.04.23+esm5'],
    ['Alpine:v3.19', 'apk', 'alpine', '3.19', 'busybox', '1.36.1-r16'],
    ['AlmaLinux:9', 'rpm', 'almalinux', '9', 'openssl', '1:3.0.7-27.el9'],
    ['Rocky Linux:9', 'rpm', 'rocky', '9', 'openssl', '1:3.0.7-27.el9_4'],
    ['Red Hat:enterprise_linux:9::appstream', 'rpm', 'rhel', '9', 'openssl', '1:3.0.7-27.el9'],
    ['PyPI', 'pypi', null, '', 'Django', '4.2.post1'],
    ['Maven', 'maven', null, '', 'org.apache.logging.log4j:log4j-core', '2.15.0'],
    ['Go', 'go', null, '', 'golang.org/x/net', '0.23.0'],
  ])('maps %s to ecosystem %s, distro %s, release %s', (osvEcosystem, ecosystem, distro, release, name, fixed) => {
    const a = only(affected(osvEcosystem, name, { ranges: [fixedRange(fixed)] }));
    expect(a).toMatchObject({ ecosystem, distro, release, osvEcosystem, package: name });
  });

  it('keeps entries of ecosystems it does not match, and entries without a package', () => {
    const r = parseOsvRecord(
      record({
        affected: [
          affected('crates.io', 'smallvec', { ranges: [{ type: 'SEMVER', events: [{ introduced: '0.6.3' }, { fixed: 'not-a-version' }] }] }),
          affected('Packagist:https://packages.drupal.org/8', 'drupal/core'),
          { ranges: [{ type: 'GIT', repo: 'https://github.com/madler/zlib', events: [{ introduced: '0' }, { fixed: 'a'.repeat(40) }] }], versions: ['v1.2.11'] },
          affected('npm', 'left-pad'),
        ],
      }),
    );
    expect(r.affected.map((a) => [a.ecosystem, a.osvEcosystem, a.package])).toEqual([
      [null, 'crates.io', 'smallvec'],
      [null, 'Packagist:https://packages.drupal.org/8', 'drupal/core'],
      [null, '', ''],
      ['npm', 'npm', 'left-pad'],
    ]);
    expect(r.affected[2]!.ranges[0]).toEqual({ type: 'GIT', repo: 'https://github.com/madler/zlib', events: [{ introduced: '0' }, { fixed: 'a'.repeat(40) }] });
    expect(osvStats([r, parseOsvRecord(record({ id: 'X-2', withdrawn: '2024-01-01T00:00:00Z' }))])).toEqual({
      records: 2, withdrawn: 1, affected: 4, matchable: 1, unknownEcosystems: { 'crates.io': 1, Packagist: 1, '': 1 },
    });
  });

  it('accepts the special values introduced "0" and a limit of "*" in every ecosystem, and last_affected/limit events', () => {
    const a = only(affected('npm', 'x', { ranges: [{ type: 'SEMVER', events: [{ introduced: '0' }, { last_affected: '2.1.0' }, { limit: '*' }, { limit: '3.0.0' }] }] }));
    expect(a.ranges[0]!.events).toEqual([{ introduced: '0' }, { last_affected: '2.1.0' }, { limit: '*' }, { limit: '3.0.0' }]);
  });

  it('parses a single record or an array of records, refusing duplicate ids', () => {
    expect(parseOsvDocument(record()).records.map((r) => r.id)).toEqual(['GHSA-abcd-efgh-ijkl']);
    const both = parseOsvDocument([record(), record({ id: 'GO-2024-0001', affected: [affected('Go', 'example.com/m')] })]);
    expect(both.records.map((r) => r.id)).toEqual(['GHSA-abcd-efgh-ijkl', 'GO-2024-0001']);
    expect(both.stats).toMatchObject({ records: 2, matchable: 1 });
    expect(() => parseOsvDocument([record(), record()])).toThrow('[1]: GHSA-abcd-efgh-ijkl/id: GHSA-abcd-efgh-ijkl appears twice (also in [0])');
    expect(() => parseOsvDocument([record(), { id: 'X', modified: 'yesterday' }])).toThrow('[1]: X/modified: expected an RFC 3339 date');
  });
});

describe('OSV validation names the record and the JSON path', () => {
  const ranges = (...events: unknown[]) => [{ type: 'ECOSYSTEM', events }];
  const withAffected = (...list: unknown[]) => record({ affected: list });
  const three = (bad: Doc) => withAffected(affected('npm', 'a'), affected('npm', 'b'), bad);

  it.each<[string, unknown, string]>([
    ['a document that is not an object', [record()], 'record: expected an OSV record'],
    ['a missing id', { modified: '2024-01-01T00:00:00Z' }, 'record/id: expected a string, got undefined'],
    ['an ill-typed id', record({ id: 42 }), 'record/id: expected a string, got 42'],
    ['an over-long id', record({ id: 'X'.repeat(101) }), 'record/id: is longer than 100 characters'],
    ['a control character in the id', record({ id: 'GHSA-\u0007' }), 'record/id: contains the control character U+0007'],
    ['a space in the id', record({ id: 'GHSA 1' }), 'record/id: contains a space'],
    ['a missing modified', record({ modified: undefined }), 'GHSA-abcd-efgh-ijkl/modified: expected a string, got undefined'],
    ['an ill-typed modified', record({ modified: 1714564800 }), 'GHSA-abcd-efgh-ijkl/modified: expected a string, got 1714564800'],
    ['a modified that is not a date', record({ modified: '2024-13-45T00:00:00Z' }), 'GHSA-abcd-efgh-ijkl/modified: expected an RFC 3339 date'],
    ['a date without a time zone', record({ published: '2024-05-01T12:00:00' }), 'GHSA-abcd-efgh-ijkl/published: expected an RFC 3339 date'],
    ['aliases that are not an array', record({ aliases: 'CVE-2024-1' }), 'GHSA-abcd-efgh-ijkl/aliases: expected an array'],
    ['an over-long summary', record({ summary: 's'.repeat(1_001) }), 'GHSA-abcd-efgh-ijkl/summary: is longer than 1000 characters'],
    ['over-long details', record({ details: 'd'.repeat(50_001) }), 'GHSA-abcd-efgh-ijkl/details: is longer than 50000 characters'],
    ['a NUL in the details', record({ details: 'a\u0000b' }), 'GHSA-abcd-efgh-ijkl/details: contains the control character U+0000'],
    ['a severity without a score', record({ severity: [{ type: 'CVSS_V3' }] }), 'GHSA-abcd-efgh-ijkl/severity[0].score: expected a string'],
    ['a reference without a url', record({ references: [{ type: 'WEB' }] }), 'GHSA-abcd-efgh-ijkl/references[0].url: expected a string'],
    ['affected that is not an array', record({ affected: {} }), 'GHSA-abcd-efgh-ijkl/affected: expected an array'],
    ['more than 1,000 affected entries', record({ affected: Array.from({ length: 1_001 }, () => affected('npm', 'a')) }), 'GHSA-abcd-efgh-ijkl/affected: holds 1001 entries, more than 1000'],
    ['a package without an ecosystem', three({ package: { name: 'c' } }), 'GHSA-abcd-efgh-ijkl/affected[2].package.ecosystem: expected a string'],
    ['an over-long package name', three(affected('npm', 'n'.repeat(501))), 'GHSA-abcd-efgh-ijkl/affected[2].package.name: is longer than 500 characters'],
    ['a control character in a package name', three(affected('PyPI', 'req\nuests')), 'GHSA-abcd-efgh-ijkl/affected[2].package.name: contains the control character U+000A'],
    ['a Maven name that is not group:artifact', three(affected('Maven', 'log4j-core')), 'GHSA-abcd-efgh-ijkl/affected[2].package.name: a Maven package is named groupId:artifactId'],
    ['more than 10,000 versions', three(affected('npm', 'c', { versions: Array.from({ length: 10_001 }, (_, i) => `1.0.${i}`) })), 'GHSA-abcd-efgh-ijkl/affected[2].versions: holds 10001 entries, more than 10000'],
    ['a version that is not a string', three(affected('npm', 'c', { versions: ['1.0.0', 2] })), 'GHSA-abcd-efgh-ijkl/affected[2].versions[1]: expected a string, got 2'],
    ['an unknown range type', three(affected('npm', 'c', { ranges: [{ type: 'RANGE', events: [{ introduced: '0' }] }] })), 'GHSA-abcd-efgh-ijkl/affected[2].ranges[0].type: expected SEMVER, ECOSYSTEM or GIT'],
    ['a range without events', three(affected('npm', 'c', { ranges: [{ type: 'SEMVER', events: [] }] })), 'GHSA-abcd-efgh-ijkl/affected[2].ranges[0].events: expected a non-empty array'],
    ['a range without an introduced event', three(affected('npm', 'c', { ranges: ranges({ fixed: '1.0.0' }) })), 'GHSA-abcd-efgh-ijkl/affected[2].ranges[0].events: a range needs at least one "introduced" event'],
    ['an event with two kinds', three(affected('npm', 'c', { ranges: ranges({ introduced: '1.0.0' }, { introduced: '1.0.0', fixed: '1.0.2' }) })), 'GHSA-abcd-efgh-ijkl/affected[2].ranges[0].events[1]: an event holds exactly one of introduced, fixed, last_affected, limit; found introduced and fixed'],
    ['an event with none', three(affected('npm', 'c', { ranges: ranges({ introduced: '0' }, { fixd: '1.0.2' }) })), 'GHSA-abcd-efgh-ijkl/affected[2].ranges[0].events[1]: an event holds exactly one of introduced, fixed, last_affected, limit; found none'],
    ['an event value that is not a string', three(affected('npm', 'c', { ranges: ranges({ introduced: 0 }) })), 'GHSA-abcd-efgh-ijkl/affected[2].ranges[0].events[0].introduced: expected a string, got 0'],
    ['a SEMVER range holding a non-SemVer version', three(affected('Go', 'c', { ranges: [{ type: 'SEMVER', events: [{ introduced: '0' }, { fixed: '1.2' }] }] })), 'GHSA-abcd-efgh-ijkl/affected[2].ranges[0].events[1].fixed: not a SemVer 2.0 version: invalid npm version "1.2"'],
    ['an invalid dpkg version', three(affected('Debian:12', 'c', { ranges: ranges({ introduced: '0' }, { fixed: '1.0 beta' }) })), 'affected[2].ranges[0].events[1].fixed: not a valid deb version'],
    ['an invalid rpm version', three(affected('AlmaLinux:9', 'c', { ranges: ranges({ introduced: 'x:1.0' }) })), 'affected[2].ranges[0].events[0].introduced: not a valid rpm version'],
    ['an invalid apk version', three(affected('Alpine:v3.19', 'c', { ranges: ranges({ introduced: '0' }, { fixed: '1.2-r' }) })), 'affected[2].ranges[0].events[1].fixed: not a valid apk version'],
    ['an invalid PEP 440 version', three(affected('PyPI', 'c', { ranges: ranges({ introduced: '0' }, { last_affected: 'latest' }) })), 'affected[2].ranges[0].events[1].last_affected: not a valid pypi version'],
    ['an invalid limit', three(affected('npm', 'c', { ranges: ranges({ introduced: '0' }, { limit: '2.x' }) })), 'affected[2].ranges[0].events[1].limit: not a valid npm version'],
  ])('%s', (_, doc, message) => {
    expect(fails(doc)).toContain(message);
  });

  it('prefixes the place with where the record came from', () => {
    expect(fails(record({ modified: 'soon' }), 'GHSA-abcd-efgh-ijkl.json')).toBe(
      'GHSA-abcd-efgh-ijkl.json: GHSA-abcd-efgh-ijkl/modified: expected an RFC 3339 date and time such as 2024-05-01T12:00:00Z, got "soon"',
    );
    expect(fails({ modified: '2024-01-01T00:00:00Z' }, 'a.json')).toBe('a.json/id: expected a string, got undefined');
  });

  it('checks nothing but the structure of GIT ranges and ranges of unknown ecosystems', () => {
    const a = only({ package: { ecosystem: 'Hex', name: 'plug' }, ranges: [{ type: 'ECOSYSTEM', events: [{ introduced: 'anything goes' }] }] });
    expect(a.ecosystem).toBeNull();
    expect(fails(record({ affected: [{ package: { ecosystem: 'Hex', name: 'plug' }, ranges: [{ type: 'ECOSYSTEM', events: [{ fixed: '1' }] }] }] }))).toContain('affected[0].ranges[0].events: a range needs at least one "introduced"');
  });

  it('does not check listed versions against the grammar (feeds list legacy releases)', () => {
    expect(only(affected('PyPI', 'pytz', { versions: ['2004d', '2023.3'] })).versions).toEqual(['2004d', '2023.3']);
  });
});

describe('OSV release keys', () => {
  it.each([
    ['Debian:10', 'buster'], ['Debian:12', 'bookworm'], ['Debian:13', 'trixie'], ['Debian:14', 'forky'], ['Debian:sid', 'sid'], ['Debian:99', '99'], ['Debian', ''],
    ['Ubuntu:22.04:LTS', '22.04'], ['Ubuntu:24.10', '24.10'], ['Ubuntu:Pro:18.04:LTS', '18.04'],
    ['Ubuntu:Pro:FIPS-updates:20.04:LTS', '20.04/fips-updates'], ['Ubuntu:Pro:22.04:LTS:Realtime:Kernel', '22.04/realtime:kernel'],
    ['Alpine:v3.19', '3.19'], ['Alpine:v3.20', '3.20'],
    ['AlmaLinux:9', '9'], ['AlmaLinux:8', '8'], ['Rocky Linux:9', '9'],
    ['Red Hat:enterprise_linux:9::appstream', '9'], ['Red Hat:enterprise_linux:8::baseos', '8'], ['Red Hat:rhel_eus:9.2::appstream', 'rhel_eus:9.2::appstream'],
    ['npm', ''], ['PyPI', ''], ['Maven', ''], ['Maven:https://maven.google.com', ''], ['Go', ''],
  ])('%s → %s', (eco, key) => {
    expect(osvReleaseKey(eco)).toBe(key);
  });

  it('tells distributions apart where rebuilds share a release', () => {
    expect(describeOsvEcosystem('Rocky Linux:9')).toEqual({ ecosystem: 'rpm', distro: 'rocky', release: '9' });
    expect(describeOsvEcosystem('crates.io')).toEqual({ ecosystem: null, distro: null, release: '' });
  });

  it('maps a host release onto the same keys', () => {
    expect(hostReleaseKey('debian', 'bookworm')).toBe('bookworm');
    expect(hostReleaseKey('debian', '12')).toBe('bookworm');
    expect(hostReleaseKey('ubuntu', '22.04')).toBe('22.04');
    expect(hostReleaseKey('alpine', '3.19.1')).toBe('3.19');
    expect(hostReleaseKey('almalinux', '9.4')).toBe('9');
    expect(hostReleaseKey('rocky', '8.10')).toBe('8');
    expect(hostReleaseKey('rhel', '9.4')).toBe('9');
    expect(hostReleaseKey('fedora', '40')).toBe('40');
    for (const [n, codename] of Object.entries(DEBIAN_CODENAMES)) {
      expect(osvReleaseKey(`Debian:${n}`)).toBe(codename);
      expect(hostReleaseKey('debian', n)).toBe(codename);
    }
  });
});
