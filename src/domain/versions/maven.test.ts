import { describe, expect, it } from 'vitest';
import { canonicalMaven, compareMaven, parseMaven } from './maven.js';
import { ladderPairs, rows } from './testkit.js';
import { VersionError } from './types.js';

describe('Maven version order (ComparableVersion, Maven 3.9)', () => {
  // the orderings the POM reference's "Version Order Specification" documents
  it.each(rows(`
    1 < 1.1
    1-snapshot < 1
    1 < 1-sp
    1-foo2 < 1-foo10
    1.foo = 1-foo
    1-foo < 1-1
    1-1 < 1.1
    1.ga = 1-ga
    1-ga = 1-0
    1-0 = 1.0
    1.0 = 1
    1-sp > 1-ga
    1-sp.1 > 1-ga.1
    1-sp-1 < 1-ga-1
    # the POM reference says 1-ga-1 = 1-1, but ComparableVersion (3.8.7 and 3.9.6 alike) orders it lower
    1-ga-1 < 1-1
    1-a1 = 1-alpha-1
    1.0.0-RC1 = 1.0.0-rc-1
    1-CR2 = 1-rc2
    1-final = 1
    1-release = 1
    1.0.0 = 1
  `))('%s %s %s', (a, want, b) => {
    expect(compareMaven(a, b)).toBe(want);
    expect(compareMaven(b, a)).toBe(-want || 0);
  });

  it('orders the qualifiers alpha < beta < milestone < rc = cr < snapshot < "" = ga = final = release < sp < unknown (lexical)', () => {
    const ladder = ['1-alpha', '1-beta', '1-milestone', ['1-rc', '1-cr'], '1-snapshot', ['1', '1-ga', '1-final', '1-release', '1.0'], '1-sp', '1-abc', '1-xyz', '1-1', '1.1'];
    for (const [a, want, b] of ladderPairs(ladder)) expect([a, b, compareMaven(a, b)]).toEqual([a, b, want]);
  });

  // Maven's own ComparableVersionTest lists, each in ascending order
  it('orders the qualifier examples of ComparableVersionTest', () => {
    const ladder = ['1-alpha2snapshot', '1-alpha2', '1-alpha-123', '1-beta-2', '1-beta123', '1-m2', '1-m11', '1-rc', '1-cr2', '1-rc123', '1-SNAPSHOT', '1', '1-sp', '1-sp2', '1-sp123', '1-abc', '1-def', '1-pom-1', '1-1-snapshot', '1-1', '1-2', '1-123'];
    for (const [a, want, b] of ladderPairs(ladder)) expect([a, b, compareMaven(a, b)]).toEqual([a, b, want]);
  });

  it('orders the number examples of ComparableVersionTest (Maven 3.9: a trailing .a counts as -a)', () => {
    const ladder = ['2.0', ['2.0.a', '2.0.0.a'], '2-1', '2.0.2', '2.0.123', '2.1.0', '2.1-a', '2.1b', '2.1-c', '2.1-1', '2.1.0.1', '2.2', '2.123', '11.a2', '11.a11', '11.b2', '11.b11', '11.m2', '11.m11', '11', '11.a', '11b', '11c', '11m'];
    for (const [a, want, b] of ladderPairs(ladder)) expect([a, b, compareMaven(a, b)]).toEqual([a, b, want]);
  });

  it('compares numbers of any size by value', () => {
    expect(compareMaven('1.99999999999999999999', '1.100000000000000000000')).toBe(-1);
    expect(compareMaven('1.0000000001', '1.1')).toBe(0);
    expect(compareMaven('2147483648', '2147483647')).toBe(1);
  });

  it('prints the canonical form as Maven does', () => {
    expect(canonicalMaven('1.0.0')).toBe('1');
    expect(canonicalMaven('1.0-alpha1')).toBe('1-alpha-1');
    expect(canonicalMaven('1-ga-1')).toBe('1-1');
  });

  it.each([
    ['', 'version string is empty'],
    ['1.0 beta', 'invalid character at position 4'],
    ['1.0\tbeta', 'invalid character at position 4'],
    ['1.0-ß', 'invalid character at position 5'],
  ])('rejects %j: %s', (v, msg) => {
    expect(() => parseMaven(v)).toThrow(VersionError);
    expect(() => compareMaven(v, '1.0')).toThrow(msg);
  });
});
