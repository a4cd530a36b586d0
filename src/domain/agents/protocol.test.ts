import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { agentHealth, applyDiff, DiffError, diffPackages, snapshotDigest } from './protocol.js';

const pkg = fc.record({
  name: fc.constantFrom('openssl', 'libssl3', 'bash', 'zlib1g', 'curl', 'libc6', 'tzdata'),
  arch: fc.constantFrom('amd64', 'all', ''),
  version: fc.constantFrom('1.0-1', '1.0-2', '2:1.1-1', '3.0.15-1~deb12u1'),
});
const snapshot = fc.uniqueArray(pkg, { selector: (p) => `${p.name}\t${p.arch}` });

describe('differences between snapshots', () => {
  it('applying the differences of two snapshots to the first gives the second (same digest)', () => {
    fc.assert(
      fc.property(snapshot, snapshot, (a, b) => {
        const d = diffPackages(a, b);
        const result = applyDiff(a, d);
        expect(snapshotDigest(result)).toBe(snapshotDigest(b));
        expect(result).toHaveLength(b.length);
      }),
    );
  });

  it('sends only what changed: an upgrade is one added entry, nothing removed', () => {
    const before = [{ name: 'openssl', arch: 'amd64', version: '3.0.15-1~deb12u1' }, { name: 'bash', arch: 'amd64', version: '5.2.15-2+b7' }];
    const after = [{ name: 'openssl', arch: 'amd64', version: '3.0.16-1~deb12u1' }, { name: 'bash', arch: 'amd64', version: '5.2.15-2+b7' }];
    expect(diffPackages(before, after)).toEqual({ added: [after[0]], removed: [] });
  });

  it('the digest does not depend on order and changes with a source version', () => {
    const a = [{ name: 'x', arch: '', version: '1' }, { name: 'y', arch: '', version: '2' }];
    expect(snapshotDigest(a)).toBe(snapshotDigest([...a].reverse()));
    expect(snapshotDigest([{ name: 'x', arch: '', version: '1', sourceVersion: '1+b1' }])).not.toBe(snapshotDigest([{ name: 'x', arch: '', version: '1' }]));
  });

  it('refuses to remove what the base does not have (the two sides disagree: a full snapshot is needed)', () => {
    expect(() => applyDiff([], { added: [], removed: [{ name: 'ghost', arch: 'amd64' }] })).toThrow(DiffError);
  });
});

describe('agent health', () => {
  const now = new Date('2026-11-23T12:00:00Z');
  const ago = (s: number) => new Date(now.getTime() - s * 1000);
  it('is ok within three intervals, late after, silent after a day, never without a check-in', () => {
    expect(agentHealth({ status: 'active', lastCheckinAt: ago(3 * 3600) }, now)).toBe('ok');
    expect(agentHealth({ status: 'active', lastCheckinAt: ago(3 * 3600 + 1) }, now)).toBe('late');
    expect(agentHealth({ status: 'active', lastCheckinAt: ago(86401) }, now)).toBe('silent');
    expect(agentHealth({ status: 'active', lastCheckinAt: null }, now)).toBe('never');
    expect(agentHealth({ status: 'revoked', lastCheckinAt: ago(1) }, now)).toBe('revoked');
  });
});
