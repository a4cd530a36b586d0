import { describe, expect, it } from 'vitest';
import { FeedFormatError } from './kev.js';
import { parseOsvArchive } from './osv-archive.js';

const file = (id: string, over: Record<string, unknown> = {}) => ({
  name: `${id}.json`,
  text: JSON.stringify({ id, modified: '2024-05-01T00:00:00Z', affected: [{ package: { ecosystem: 'PyPI', name: 'requests' }, ranges: [{ type: 'ECOSYSTEM', events: [{ introduced: '0' }, { fixed: '2.32.0' }] }] }], ...over }),
});

describe('OSV archive (all.zip, extracted)', () => {
  it('reads one record per JSON file and skips other entries', () => {
    const a = parseOsvArchive([file('PYSEC-2024-1'), { name: 'docs/', text: '' }, file('GHSA-aaaa-bbbb-cccc', { withdrawn: '2024-06-01T00:00:00Z' })]);
    expect(a.records.map((r) => r.id)).toEqual(['PYSEC-2024-1', 'GHSA-aaaa-bbbb-cccc']);
    expect(a.skipped).toEqual(['docs/']);
    expect(a.errors).toEqual([]);
    expect(a.stats).toMatchObject({ records: 2, withdrawn: 1, affected: 2, matchable: 2 });
  });

  it('fails on the first malformed file, naming it', () => {
    const bad = file('PYSEC-2024-2', { affected: [{ package: { ecosystem: 'PyPI', name: 'x' }, ranges: [{ type: 'ECOSYSTEM', events: [{ fixed: '1.0' }] }] }] });
    expect(() => parseOsvArchive([file('PYSEC-2024-1'), bad])).toThrow(FeedFormatError);
    expect(() => parseOsvArchive([file('PYSEC-2024-1'), bad])).toThrow('PYSEC-2024-2.json: PYSEC-2024-2/affected[0].ranges[0].events: a range needs at least one "introduced" event');
    expect(() => parseOsvArchive([{ name: 'broken.json', text: '{"id": "X",' }])).toThrow(/^broken\.json: not valid JSON/);
    expect(() => parseOsvArchive([file('PYSEC-2024-1'), { name: 'copy.json', text: file('PYSEC-2024-1').text }])).toThrow('copy.json: PYSEC-2024-1/id: PYSEC-2024-1 appears twice (also in PYSEC-2024-1.json)');
  });

  it('reports each bad file and keeps the rest when told to tolerate errors', () => {
    const a = parseOsvArchive([file('PYSEC-2024-1'), { name: 'broken.json', text: '[' }, file('PYSEC-2024-3', { modified: 'never' })], { tolerateErrors: true });
    expect(a.records.map((r) => r.id)).toEqual(['PYSEC-2024-1']);
    expect(a.errors.map((e) => e.name)).toEqual(['broken.json', 'PYSEC-2024-3.json']);
    expect(a.errors[1]!.message).toContain('PYSEC-2024-3.json: PYSEC-2024-3/modified: expected an RFC 3339 date');
  });
});
