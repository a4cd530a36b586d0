import { describe, expect, it } from 'vitest';
import { compareApk, compareApkRaw, isValidApk, parseApk } from './apk.js';
import { ladderPairs, rows } from './testkit.js';
import { VersionError } from './types.js';

describe('apk version order', () => {
  it('orders suffixes _alpha < _beta < _pre < _rc < (none) < _cvs < _svn < _git < _hg < _p', () => {
    const ladder = ['1.2_alpha', '1.2_alpha1', '1.2_beta', '1.2_pre2', '1.2_rc1', '1.2', '1.2_cvs', '1.2_svn', '1.2_git20240101', '1.2_hg', '1.2_p1', '1.2_p2', '1.2.1'];
    for (const [a, want, b] of ladderPairs(ladder)) expect([a, b, compareApk(a, b)]).toEqual([a, b, want]);
  });

  it.each(rows(`
    1.2_rc1 < 1.2
    1.2 < 1.2_p1
    1.2_p1 < 1.2.1
    1.0 < 1.0a
    1.0a < 1.0b
    1.0z < 1.0.1
    1.0-r1 < 1.0-r2
    1.0-r10 > 1.0-r9
    1.0 < 1.0-r1
    1.0-r0 > 1.0
    1.0_rc1-r5 < 1.0-r0
    1.01 < 1.1
    1.01 > 1.001
    1.10 > 1.9
    01.1 = 1.1
    1.0_alpha_beta < 1.0_alpha
    1.0_alpha1_p1 > 1.0_alpha1
    1.0_beta1_alpha < 1.0_beta1
    1.0~abc123 > 1.0
    1.0~abc123 < 1.0a
    1.0~abc123-r1 > 1.0~abc123
    1.0~abc < 1.0~abd
    1.0_p1~abc > 1.0_p1
    2.0.0 > 1.99.99
    1.2.3.4.5.6 > 1.2.3.4.5
    1.0.0 > 1.0
  `))('%s %s %s', (a, want, b) => {
    expect(compareApk(a, b)).toBe(want);
    expect(compareApk(b, a)).toBe(-want || 0);
  });

  it('raw comparison reproduces apk for invalid tails (the valid prefix decides, an invalid continuation sorts low)', () => {
    expect(compareApkRaw('1.0', '1.0bc')).toBe(-1);
    expect(compareApkRaw('1.0-foo', '1.0')).toBe(-1);
    expect(compareApkRaw('23_foo', '4_beta')).toBe(1);
    expect(compareApkRaw('x', 'y')).toBe(0);
  });

  it.each([
    ['', 'version string is empty'],
    ['v1.0', 'unexpected "v" at position 1: a version must start with a number'],
    ['1.0bc', 'unexpected "c" at position 5: a letter may only follow a number'],
    ['1.0_foo', 'unknown suffix "_foo"'],
    ['1.0_', 'unknown suffix "_"'],
    ['1.0-1', 'a hyphen must start the revision'],
    ['1.0-r', 'the revision "-r" needs a number'],
    ['1.0-r1-r2', 'only one revision'],
    ['1.0~', 'lower-case hexadecimal commit hash'],
    ['1.0~ABC', 'lower-case hexadecimal commit hash'],
    ['1.0.', 'unexpected end at position 5: a number was expected'],
    ['1..0', 'a number was expected'],
    ['1.0a.1', '"." may only follow a number'],
    ['1.0-r1_p1', 'a suffix may not follow a commit hash or revision'],
    ['1.0 ', 'unexpected U+0020 at position 4'],
    ['1.0A', 'unexpected "A" at position 4'],
  ])('rejects %j: %s', (v, msg) => {
    expect(isValidApk(v)).toBe(false);
    expect(() => parseApk(v)).toThrow(VersionError);
    expect(() => compareApk(v, '1.0')).toThrow(msg);
  });
});
