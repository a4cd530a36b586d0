import { describe, expect, it } from 'vitest';
import { parseDebianTracker, TrackerFormatError } from './debian-tracker.js';

describe('Debian security tracker export', () => {
  const doc = {
    openssl: {
      'CVE-2024-0001': { description: 'overflow', releases: { bookworm: { status: 'resolved', fixed_version: '3.0.13-1~deb12u1', urgency: 'medium' }, trixie: { status: 'resolved', fixed_version: '0', urgency: 'unimportant' } } },
      'CVE-2024-0002': { description: '', releases: { bookworm: { status: 'open', urgency: 'low' } } },
    },
  };

  it('flattens to one record per source, vulnerability and release, with fixed / not affected / unfixed', () => {
    expect(parseDebianTracker(doc)).toEqual([
      { source: 'openssl', vulnerability: 'CVE-2024-0001', release: 'bookworm', state: 'fixed', fixedVersion: '3.0.13-1~deb12u1', urgency: 'medium', description: 'overflow' },
      { source: 'openssl', vulnerability: 'CVE-2024-0001', release: 'trixie', state: 'not_affected', fixedVersion: null, urgency: 'unimportant', description: 'overflow' },
      { source: 'openssl', vulnerability: 'CVE-2024-0002', release: 'bookworm', state: 'unfixed', fixedVersion: null, urgency: 'low', description: null },
    ]);
    expect(parseDebianTracker(doc, new Set(['trixie']))).toHaveLength(1);
  });

  it('rejects other shapes, naming where', () => {
    expect(() => parseDebianTracker([])).toThrow(TrackerFormatError);
    expect(() => parseDebianTracker({ x: { 'CVE-1': { releases: { bookworm: { status: 'weird' } } } } })).toThrow('x/CVE-1/bookworm: unknown status "weird"');
    expect(() => parseDebianTracker({ x: { 'CVE-1': {} } })).toThrow('x/CVE-1: expected an object with "releases"');
  });
});
