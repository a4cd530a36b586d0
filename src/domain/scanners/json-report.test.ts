import { describe, expect, it } from 'vitest';
import { advisoryIdIn, BATCH, canonicalId, imageDigestOf, name, names, score, TargetBatcher } from './json-report.js';
import { type ReportFinding, ScanFormatError } from './report.js';

const f = (i: number): ReportFinding => ({ vulnerabilityId: `CVE-2024-${1000 + i}`, severity: 'low', sourceKey: '' });

describe('JSON report helpers', () => {
  it('TargetBatcher: batches once the target is known, keeps findings until then, and reports a clean target once', async () => {
    const calls: number[] = [];
    const sink = { target: (_t: unknown, fs: ReportFinding[]) => void calls.push(fs.length), skip() {} };
    const b = new TargetBatcher(sink);
    for (let i = 0; i < 1500; i++) await b.add(f(i), 'x');
    expect(calls).toEqual([]);
    await b.setTarget({ key: 'k', kind: 'host', name: 'k' });
    expect(calls).toEqual([BATCH]);
    for (let i = 0; i < 600; i++) await b.add(f(i), 'x');
    await b.end();
    expect(calls).toEqual([1000, 1000, 100]);
    const clean: number[] = [];
    const c = new TargetBatcher({ target: (_t, fs) => void clean.push(fs.length), skip() {} });
    await c.setTarget({ key: 'k', kind: 'host', name: 'k' });
    await c.end();
    expect(clean).toEqual([0]);
    const orphan = new TargetBatcher({ target() {}, skip() {} });
    await orphan.add(f(1), 'x');
    await expect(orphan.end()).rejects.toBeInstanceOf(ScanFormatError);
  });

  it('ids: the CVE first, GHSA otherwise; unusable ids dropped', () => {
    expect(canonicalId(['GHSA-aaaa-bbbb-cccc', 'CVE-2021-1234', 'has space', 'CVE-2021-1234'])).toEqual({ id: 'CVE-2021-1234', aliases: ['GHSA-aaaa-bbbb-cccc'] });
    expect(canonicalId(['MAL-2023-1', 'GHSA-aaaa-bbbb-cccc'])).toEqual({ id: 'MAL-2023-1', aliases: ['GHSA-aaaa-bbbb-cccc'] });
    expect(canonicalId([])).toEqual({ id: null, aliases: [] });
    expect(['[HIGH] cve-2019-14697', 'https://github.com/advisories/GHSA-2HRW-hx67-34x6', 'python.eval', 'CVE-20-1', null].map(advisoryIdIn)).toEqual(['CVE-2019-14697', 'GHSA-2hrw-hx67-34x6', null, null, null]);
  });

  it('readers name the path of a bad value', () => {
    expect(() => name({ a: 1 }, 'a', ['x', 0])).toThrow(expect.objectContaining({ where: '$.x[0].a' }));
    expect(() => name({ a: 'x'.repeat(10) }, 'a', [], 5)).toThrow(/longer than 5 characters/);
    expect(() => names({ a: ['ok', 2] }, 'a', ['p'])).toThrow(expect.objectContaining({ where: '$.p.a[1]' }));
    expect(name({ a: ' a\u0000b\n ' }, 'a', [])).toBe('ab');
    expect([score({ s: '7.5' }, 's', []), score({ s: 11 }, 's', []), score({ s: 'high' }, 's', []), score({}, 's', [])]).toEqual([7.5, null, null, null]);
    expect(() => score({ s: true }, 's', ['r'])).toThrow(expect.objectContaining({ where: '$.r.s' }));
  });

  it('image digests', () => {
    const d = `sha256:${'0a'.repeat(32)}`;
    expect([`repo/x@${d}`, d, 'sha256:short', 'repo/x:latest', null].map(imageDigestOf)).toEqual([d, d, null, null, null]);
  });
});
