import { describe, expect, it } from 'vitest';
import { comparePep440, normalizePep440, parsePep440 } from './pep440.js';
import { ladderPairs } from './testkit.js';
import { VersionError } from './types.js';

describe('PEP 440 version order (PyPI)', () => {
  it('follows the ordering example of PEP 440 ("Summary of permitted suffixes and relative ordering")', () => {
    const ladder = [
      '1.dev0', '1.0.dev456', '1.0a1', '1.0a2.dev456', '1.0a12.dev456', '1.0a12', '1.0b1.dev456', '1.0b2', '1.0b2.post345.dev456',
      '1.0b2.post345', '1.0rc1.dev456', '1.0rc1', '1.0', '1.0+abc.5', '1.0+abc.7', '1.0+5', '1.0.post456.dev34', '1.0.post456',
      '1.0.15', '1.1.dev1',
    ];
    for (const [a, want, b] of ladderPairs(ladder)) expect([a, b, comparePep440(a, b)]).toEqual([a, b, want]);
  });

  it('orders epochs before everything', () => {
    expect(comparePep440('1!1.0', '2.0')).toBe(1);
    expect(comparePep440('0!2.0', '2.0')).toBe(0);
    expect(comparePep440('2013.10', '1!1.0')).toBe(-1);
  });

  it.each([
    ['1.0.0', '1.0'], ['1.0', '1'], ['1.0a', '1.0a0'], ['1.0alpha1', '1.0a1'], ['1.0-a.1', '1.0a1'], ['1.0_a_1', '1.0a1'], ['1.0BETA2', '1.0b2'],
    ['1.0c1', '1.0rc1'], ['1.0pre1', '1.0rc1'], ['1.0preview1', '1.0rc1'], ['1.0-1', '1.0.post1'], ['1.0.rev1', '1.0.post1'],
    ['1.0r', '1.0.post0'], ['1.0-post', '1.0.post0'], ['1.0-dev', '1.0.dev0'], ['1.0DEV3', '1.0.dev3'], ['v1.0', '1.0'], [' 1.0\n', '1.0'],
    ['1.0+ubuntu-1', '1.0+ubuntu.1'], ['1.0+Local_A', '1.0+local.a'], ['01.002', '1.2'], ['1.0+01', '1.0+1'],
  ])('normalises %j as %j', (raw, canonical) => {
    expect(comparePep440(raw, canonical)).toBe(0);
  });

  it('prints the canonical form', () => {
    expect(normalizePep440('V1.0-ALPHA-1.POST-2.DEV-3+UBUNTU-01')).toBe('1.0a1.post2.dev3+ubuntu.1');
    expect(normalizePep440('0!01.0.0')).toBe('1.0.0');
    expect(normalizePep440('2!1.0c')).toBe('2!1.0rc0');
  });

  it('orders local versions segment by segment: numbers by value above strings, a longer label above its prefix', () => {
    const ladder = ['1.0', '1.0+a', '1.0+a.b', '1.0+a.1', '1.0+b', '1.0+2', '1.0+10', '1.0+10.a'];
    for (const [a, want, b] of ladderPairs(ladder)) expect([a, b, comparePep440(a, b)]).toEqual([a, b, want]);
  });

  it('parses the parts', () => {
    expect(parsePep440('1!2.3rc4.post5.dev6+x.7')).toEqual({ epoch: '1', release: ['2', '3'], pre: { label: 'rc', n: '4' }, post: '5', dev: '6', local: ['x', '7'] });
  });

  it.each([
    ['', 'version string is empty'],
    ['french toast', 'must start with a release number'],
    ['1.0+', 'invalid local version label ""'],
    ['1.0+a..b', 'invalid local version label "a..b"'],
    ['1.0+ä', 'invalid local version label'],
    ['1.0.a1.x', 'does not match the PEP 440 grammar'],
    ['1.0-', 'does not match the PEP 440 grammar'],
    ['1.0gamma', 'does not match the PEP 440 grammar'],
    ['1!', 'does not match the PEP 440 grammar'],
  ])('rejects %j: %s', (v, msg) => {
    expect(() => parsePep440(v)).toThrow(VersionError);
    expect(() => comparePep440(v, '1.0')).toThrow(msg);
  });
});
