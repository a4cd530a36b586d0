import { describe, expect, it } from 'vitest';
import { compareSemVer, parseSemVer } from './semver.js';
import { ladderPairs } from './testkit.js';
import { VersionError } from './types.js';

describe('SemVer 2.0.0 precedence (npm)', () => {
  it('follows the precedence example of semver.org §11', () => {
    const ladder = [
      '1.0.0-alpha', '1.0.0-alpha.1', '1.0.0-alpha.beta', '1.0.0-beta', '1.0.0-beta.2', '1.0.0-beta.11', '1.0.0-rc.1',
      '1.0.0', '2.0.0', '2.1.0', '2.1.1',
    ];
    for (const [a, want, b] of ladderPairs(ladder)) expect([a, b, compareSemVer(a, b)]).toEqual([a, b, want]);
  });

  it('ignores build metadata and accepts a leading v', () => {
    const ladder = [['1.0.0-alpha+001', '1.0.0-alpha', 'v1.0.0-alpha'], ['1.0.0+20130313144700', '1.0.0', 'v1.0.0', 'V1.0.0', '1.0.0+exp.sha.5114f85'], '1.0.1-0'];
    for (const [a, want, b] of ladderPairs(ladder)) expect([a, b, compareSemVer(a, b)]).toEqual([a, b, want]);
  });

  it('compares numeric identifiers by value and below alphanumeric ones, alphanumerics in ASCII order', () => {
    expect(compareSemVer('1.0.0-2', '1.0.0-10')).toBe(-1);
    expect(compareSemVer('1.0.0-10', '1.0.0-a')).toBe(-1);
    expect(compareSemVer('1.0.0-B', '1.0.0-a')).toBe(-1);
    expect(compareSemVer('1.0.0-a-b', '1.0.0-a')).toBe(1);
    expect(compareSemVer('1.0.0-0a', '1.0.0-1')).toBe(1);
    expect(compareSemVer('10000000000000000000.0.0', '9999999999999999999.0.0')).toBe(1);
  });

  it('parses the parts', () => {
    expect(parseSemVer('v1.2.3-rc.1+b.5')).toEqual({ major: '1', minor: '2', patch: '3', prerelease: ['rc', '1'], build: ['b', '5'] });
  });

  it.each([
    ['', 'version string is empty'],
    ['1.2', 'expected MAJOR.MINOR.PATCH, found 2 dot-separated parts'],
    ['1.2.3.4', 'found 4 dot-separated parts'],
    ['01.2.3', 'major version "01" has a leading zero'],
    ['1.02.3', 'minor version "02" has a leading zero'],
    ['1.2.x', 'patch version "x" is not a number'],
    ['1..3', 'minor version is empty'],
    ['1.2.3-', 'empty pre-release identifier'],
    ['1.2.3-a..b', 'empty pre-release identifier'],
    ['1.2.3-01', 'numeric pre-release identifier "01" has a leading zero'],
    ['1.2.3-a_b', 'invalid character in pre-release identifier "a_b"'],
    ['1.2.3+', 'empty build metadata identifier'],
    ['1.2.3+a+b', 'invalid character in build metadata'],
    [' 1.2.3', 'major version " 1" is not a number'],
  ])('rejects %j: %s', (v, msg) => {
    expect(() => parseSemVer(v)).toThrow(VersionError);
    expect(() => compareSemVer(v, '1.0.0')).toThrow(msg);
  });
});
