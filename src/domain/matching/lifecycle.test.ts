import { describe, expect, it } from 'vitest';
import { type Desired, diffFindings, type Stored } from './lifecycle.js';

const d = (vulnerability: number, nameId: number, packageId: number, advisoryId = 1, fixedVersion: string | null = '2.0'): Desired => ({ vulnerability, nameId, packageId, advisoryId, fixedVersion });
const s = (id: string, vulnerability: number, nameId: number, packageId: number, status = 'open', advisoryId: number | null = 1, fixedVersion: string | null = '2.0'): Stored => ({
  id, vulnerability, nameId, packageId, advisoryId, fixedVersion, status,
});
const exists = (id: number) => id !== 99;

describe('findings lifecycle diff', () => {
  it('opens what is new, keeps what is unchanged, and one finding per (vulnerability, package name)', () => {
    const r = diffFindings([d(1, 10, 100), d(1, 10, 100, 2), d(2, 10, 100)], [s('7', 2, 10, 100)], new Map([[10, 100]]), exists);
    expect(r.open).toEqual([d(1, 10, 100)]);
    expect(r.unchanged).toBe(1);
    expect(r.reopen).toEqual([]);
    expect(r.resolve).toEqual([]);
  });

  it('refreshes an open finding whose installed package, advisory or fix changed, keeping its identity', () => {
    const r = diffFindings([d(1, 10, 101), d(2, 11, 200, 5), d(3, 12, 300, 1, null)], [s('1', 1, 10, 100), s('2', 2, 11, 200), s('3', 3, 12, 300)], new Map(), exists);
    expect(r.refresh.map((x) => x.id)).toEqual(['1', '2', '3']);
    expect(r.refresh[0]).toMatchObject({ packageId: 101 });
    expect(r.open).toEqual([]);
  });

  it('reopens a resolved finding that matches again', () => {
    const r = diffFindings([d(1, 10, 100)], [s('4', 1, 10, 100, 'resolved')], new Map([[10, 100]]), exists);
    expect(r.reopen).toEqual([{ ...d(1, 10, 100), id: '4' }]);
  });

  it('resolves with the reason: fixed version installed, package removed, advisory withdrawn', () => {
    const stored = [s('1', 1, 10, 100), s('2', 2, 11, 200), s('3', 3, 12, 300, 'open', 99), s('4', 4, 13, 400, 'open', null), s('5', 5, 14, 500, 'resolved')];
    const r = diffFindings([], stored, new Map([[10, 101], [12, 300]]), exists);
    expect(r.resolve).toEqual([
      { id: '1', reason: 'fixed version installed', nowInstalledPackageId: 101 },
      { id: '2', reason: 'package removed', nowInstalledPackageId: null },
      { id: '3', reason: 'advisory withdrawn', nowInstalledPackageId: 300 },
      { id: '4', reason: 'advisory withdrawn', nowInstalledPackageId: null },
    ]);
  });

  it('leaves a status the engine does not own alone', () => {
    const r = diffFindings([d(1, 10, 101)], [s('1', 1, 10, 100, 'accepted'), s('2', 2, 11, 200, 'accepted')], new Map(), exists);
    expect(r).toEqual({ open: [], reopen: [], refresh: [], resolve: [], unchanged: 1 });
  });
});
