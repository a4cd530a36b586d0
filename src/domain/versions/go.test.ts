import { describe, expect, it } from 'vitest';
import { compareGo, isGoPseudoVersion, parseGo } from './go.js';
import { ladderPairs } from './testkit.js';
import { VersionError } from './types.js';

describe('Go module version order', () => {
  it('orders pseudo-versions below the release they precede and by commit time (go.dev/ref/mod#pseudo-versions)', () => {
    const ladder = [
      'v0.0.0-20191109021931-daa7c04131f5',
      'v0.0.0-20200101000000-000000000000',
      ['v0.0.0', 'v0', '0.0.0'],
      'v1.2.3',
      'v1.2.4-0.20191109021931-daa7c04131f5',
      'v1.2.4-0.20191110000000-aaaaaaaaaaaa',
      'v1.2.4-pre',
      'v1.2.4-pre.0.20191109021931-daa7c04131f5',
      'v1.2.4-pre.1',
      'v1.2.4',
      ['v1.3', 'v1.3.0'],
      ['v2.0.0+incompatible', 'v2.0.0'],
      'v2.0.1-0.20200101000000-abcdefabcdef+incompatible',
      'v2.0.1+incompatible',
      'v10.0.0',
    ];
    for (const [a, want, b] of ladderPairs(ladder)) expect([a, b, compareGo(a, b)]).toEqual([a, b, want]);
  });

  it('recognises pseudo-versions', () => {
    expect(isGoPseudoVersion('v0.0.0-20191109021931-daa7c04131f5')).toBe(true);
    expect(isGoPseudoVersion('v1.2.4-0.20191109021931-daa7c04131f5')).toBe(true);
    expect(isGoPseudoVersion('v1.2.4-pre.0.20191109021931-daa7c04131f5')).toBe(true);
    expect(isGoPseudoVersion('v2.0.1-0.20200101000000-abcdefabcdef+incompatible')).toBe(true);
    expect(isGoPseudoVersion('v1.2.4-pre.1')).toBe(false);
    expect(isGoPseudoVersion('v1.2.4')).toBe(false);
  });

  it.each([
    ['', 'version string is empty'],
    ['V1.0.0', 'major version "V1" is not a number'],
    ['v1.0-pre', 'expected MAJOR.MINOR.PATCH, found 2'],
    ['v01.0.0', 'leading zero'],
    ['vx', 'major version "x" is not a number'],
    ['v1.0.0-', 'empty pre-release identifier'],
  ])('rejects %j: %s', (v, msg) => {
    expect(() => parseGo(v)).toThrow(VersionError);
    expect(() => compareGo(v, 'v1.0.0')).toThrow(msg);
  });
});
