import { describe, expect, it } from 'vitest';
import { compareDpkg, parseDpkg, verrevcmp } from './dpkg.js';
import { ladderPairs, rows } from './testkit.js';
import { VersionError } from './types.js';

describe('dpkg version order', () => {
  it('follows the Debian policy examples: ~ before end, end before letters, letters before other characters', () => {
    const ladder = ['1.0~~', '1.0~~a', '1.0~', '1.0~rc1', '1.0', '1.0a', '1.0+b1', '1.0.1', '1.1', '1:0.1', '2:0.0~1'];
    for (const [a, want, b] of ladderPairs(ladder)) expect([a, b, compareDpkg(a, b)]).toEqual([a, b, want]);
  });

  it.each(rows(`
    1.0 = 1.0-0
    0:1.0 = 1.0
    00:1.0 = 0:1.0
    1.0-1 < 1.0-1+b1
    1.0-1~bpo1 < 1.0-1
    1.0-1 < 1.0-1.1
    1.2.3 = 1.02.3
    1.2.3 = 1.2.03
    1.10 > 1.9
    1.0a < 1.0b
    1.0Z < 1.0a
    1.0a < 1.0+
    1.0+ < 1.0.
    1.0. = 1.0.
    1:1.0 > 0:9.9
    2.30-1 < 10:1
    1.0-2 < 1.0-10~
    7.88.1-10+deb12u12 > 7.88.1-10+deb12u8
    3.0.11-1~deb12u2 < 3.0.11-1
    1.2-3-4 > 1.2-3-3
    1:2.36-9+deb12u14 > 1:2.36-9+deb12u9
    1.0 < 1.0-1
    99999999999999999999.1 > 99999999999999999998.2
  `))('%s %s %s', (a, want, b) => {
    expect(compareDpkg(a, b)).toBe(want);
    expect(compareDpkg(b, a)).toBe(-want || 0);
  });

  it('splits epoch, upstream and revision (revision after the last hyphen)', () => {
    expect(parseDpkg('2:1.2-3-4')).toEqual({ epoch: 2, upstream: '1.2-3', revision: '4' });
    expect(parseDpkg(' 1.0 ')).toEqual({ epoch: 0, upstream: '1.0', revision: '' });
    expect(parseDpkg('1:2:3')).toEqual({ epoch: 1, upstream: '2:3', revision: '' });
  });

  it('verrevcmp compares digit runs numerically however long', () => {
    expect(verrevcmp('1.000000000000000000000001', '1.1')).toBe(0);
    expect(verrevcmp('a12345678901234567890', 'a12345678901234567891')).toBe(-1);
  });

  it.each([
    ['', 'version string is empty'],
    ['   ', 'version string is empty'],
    ['1.0 1', 'embedded spaces'],
    [':1.0', 'epoch in version is empty'],
    ['a:1.0', 'epoch in version is not a number'],
    ['99999999999:1.0', 'epoch in version is too big'],
    ['1:', 'nothing after colon'],
    ['1.0-', 'revision number is empty'],
    ['-1', 'version number is empty'],
    ['1:-1', 'version number is empty'],
    ['a1.0', 'does not start with a digit'],
    ['1.0_1', 'invalid character "_" in version number'],
    ['1.0!-1', 'invalid character "!" in version number'],
    ['1:1.0-1:2', 'invalid character ":" in revision number'],
    ['1.0-1_2', 'invalid character "_" in revision number'],
    ['1.0é', 'invalid character U+00E9 in version number'],
  ])('rejects %j: %s', (v, msg) => {
    expect(() => parseDpkg(v)).toThrow(VersionError);
    expect(() => parseDpkg(v)).toThrow(msg);
    expect(() => compareDpkg('1.0', v)).toThrow(msg);
  });
});
