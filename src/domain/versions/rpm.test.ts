import { describe, expect, it } from 'vitest';
import { compareRpm, parseRpm, rpmvercmp } from './rpm.js';
import { ladderPairs, rows } from './testkit.js';
import { VersionError } from './types.js';

describe('rpm version order (rpmvercmp + labelCompare)', () => {
  // rpm's own tests (tests/rpmvercmp.at) state these facts
  it.each(rows(`
    1.0 = 1.0
    1.0 < 2.0
    2.0.1 > 2.0
    2.0.1a > 2.0.1
    5.5p1 < 5.5p2
    5.5p10 > 5.5p1
    10xyz < 10.1xyz
    xyz10 < xyz10.1
    xyz.4 < 8
    xyz.4 < 2
    5.5p2 < 5.6p1
    5.6p1 < 6.5p1
    6.0.rc1 > 6.0
    10b2 > 10a1
    10a2 < 10b2
    1.0aa = 1.0aa
    1.0a < 1.0aa
    10.0001 = 10.1
    10.0001 < 10.0039
    4.999.9 < 5.0
    20101121 > 20101120
    1.0~rc1 < 1.0
    1.0~rc1 < 1.0~rc2
    1.0~rc1~git123 < 1.0~rc1
    1.0^ > 1.0
    1.0^git1 > 1.0
    1.0^git1 < 1.01
    1.0^git1 < 1.0.1
    1.0^20160101 < 1.0.1
    1.0^git1 > 1.0~rc1
    1.0^git1^fix > 1.0^git1
    1.0~rc1^git1 > 1.0~rc1
    1.0~rc1^git1 < 1.0
    1.0_1 = 1.0.1
    1.0+1 = 1.0.1
    a+ = a_
    +a = _a
    1:1.0-1 > 0:2.0-1
    1.0-1 = 0:1.0-1
    1.0-2 > 1.0-1
    1.0-1.el9 < 1.0-1.el9_2
    1.0 < 1.0-1
    2.34-60.el9 < 2.34-60.el9_2.7
  `))('%s %s %s', (a, want, b) => {
    // rows containing no '-' or ':' are plain rpmvercmp facts; compareRpm agrees with them
    expect(compareRpm(a, b)).toBe(want);
    expect(compareRpm(b, a)).toBe(-want || 0);
  });

  it('orders a realistic ladder', () => {
    const ladder = ['1.0~alpha', '1.0~beta~1', '1.0~beta', '1.0', '1.0^post1', '1.0a', '1.0.1', ['1.1', '0:1.1', '01.1'], '1:0.1'];
    for (const [a, want, b] of ladderPairs(ladder)) expect([a, b, compareRpm(a, b)]).toEqual([a, b, want]);
  });

  it('rpmvercmp treats non-alphanumeric characters as separators only', () => {
    expect(rpmvercmp('1..0', '1.0')).toBe(0);
    expect(rpmvercmp('1.0.', '1.0')).toBe(0);
    expect(rpmvercmp('1.0a', '1.0.a')).toBe(0);
  });

  it('parses epoch, version and release (release after the last hyphen)', () => {
    expect(parseRpm('1:2.0-3.el9')).toEqual({ epoch: '1', version: '2.0', release: '3.el9' });
    expect(parseRpm('2.0')).toEqual({ epoch: null, version: '2.0', release: null });
  });

  it.each([
    ['', 'version string is empty'],
    [':1.0', 'epoch is empty'],
    ['x:1.0', 'epoch is not a number'],
    ['1.0-', 'release is empty'],
    ['-1', 'version is empty'],
    ['1:', 'version is empty'],
    ['1.0 1', 'invalid character U+0020 in version'],
    ['1.0-1/2', 'invalid character "/" in release'],
    ['1.0:1', 'epoch is not a number'],
  ])('rejects %j: %s', (v, msg) => {
    expect(() => parseRpm(v)).toThrow(VersionError);
    expect(() => compareRpm(v, '1.0')).toThrow(msg);
  });
});
