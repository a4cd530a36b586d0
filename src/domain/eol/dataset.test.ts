import { describe, expect, it } from 'vitest';
import { countCycles, EolFormatError, parseEolDataset } from './dataset.js';

const problemsOf = (doc: unknown) => {
  try {
    parseEolDataset(doc);
  } catch (err) {
    expect(err).toBeInstanceOf(EolFormatError);
    return { message: (err as EolFormatError).message, problems: (err as EolFormatError).problems };
  }
  throw new Error('expected the dataset to be refused');
};

describe('parseEolDataset (LEG-1)', () => {
  it('reads the endoflife.date cycle layout, keeping dates, booleans and missing fields as they are', () => {
    const d = parseEolDataset({
      source: 'endoflife.date', license: 'MIT',
      products: {
        debian: [{ cycle: '12', codename: 'Bookworm', releaseDate: '2023-06-10', eol: '2026-07-11', extendedSupport: '2028-06-30', lts: null, latest: '12.15' }],
        nodejs: [{ cycle: '3', releaseDate: '2015-08-04', eol: true }, { cycle: '26', eol: false, lts: '2026-10-20' }],
      },
    });
    expect(d.source).toBe('endoflife.date');
    expect(d.products.debian?.[0]).toEqual({ cycle: '12', codename: 'Bookworm', label: null, releaseDate: '2023-06-10', eol: '2026-07-11', extendedSupport: '2028-06-30', lts: null, latest: '12.15' });
    expect(d.products.nodejs?.[0]).toMatchObject({ cycle: '3', eol: true, extendedSupport: null, latest: null });
    expect(d.products.nodejs?.[1]).toMatchObject({ cycle: '26', eol: false, releaseDate: null, lts: '2026-10-20' });
    expect(countCycles(d)).toBe(3);
  });

  it('reads the endoflife.date API v1 (products/full and one product)', () => {
    const release = { name: '12', codename: 'Bookworm', label: '12 (Bookworm)', releaseDate: '2023-06-10', isLts: false, ltsFrom: null, isEol: true, eolFrom: '2026-07-11', isEoes: false, eoesFrom: '2028-06-30', isMaintained: true, latest: { name: '12.15', date: '2026-05-01', link: null } };
    const full = parseEolDataset({ schema_version: '1.2.0', total: 1, result: [{ name: 'debian', label: 'Debian', releases: [release, { name: '14', releaseDate: null, isEol: false, eolFrom: null, latest: null }] }] });
    expect(full.products.debian).toEqual([
      { cycle: '12', codename: 'Bookworm', label: '12 (Bookworm)', releaseDate: '2023-06-10', eol: '2026-07-11', extendedSupport: '2028-06-30', lts: false, latest: '12.15' },
      { cycle: '14', codename: null, label: null, releaseDate: null, eol: false, extendedSupport: null, lts: null, latest: null },
    ]);
    const one = parseEolDataset({ schema_version: '1.2.0', result: { name: 'nodejs', releases: [{ name: '3', isEol: true, eolFrom: null }] } });
    expect(one.products.nodejs?.[0]?.eol).toBe(true);
  });

  it('names the bad record and field', () => {
    const r = problemsOf({ products: { debian: [{ cycle: '13', eol: '2028-08-09' }, { cycle: '12', eol: '11 July 2026' }] } });
    expect(r.problems).toEqual([{ field: 'products.debian[1] (cycle 12).eol', message: 'must be a date YYYY-MM-DD, true or false' }]);
    expect(r.message).toContain('products.debian[1] (cycle 12).eol');
    expect(r.message).toContain('nothing was loaded');
    expect(problemsOf({ products: { python: [{ cycle: 3.1, eol: false }] } }).problems[0]).toMatchObject({ field: 'products.python[0].cycle', message: expect.stringContaining('"3.10"') });
    expect(problemsOf({ products: { debian: [{ cycle: '12', eol: '2026-02-30' }] } }).problems[0]?.message).toMatch(/calendar date/);
    expect(problemsOf({ products: { debian: [{ cycle: '12' }] } }).problems[0]?.field).toBe('products.debian[0] (cycle 12).eol');
    expect(problemsOf({ result: [{ name: 'rhel', releases: [{ name: '9', isEol: 'no' }] }] }).problems[0]?.field).toBe('result[0] (rhel).releases[0] (9).isEol');
  });

  it('refuses duplicates, bad product names, empty products and other documents', () => {
    expect(problemsOf({ products: { debian: [{ cycle: '12', eol: false }, { cycle: '12', eol: true }] } }).problems[0]).toEqual({ field: 'products.debian[1] (cycle 12).cycle', message: 'cycle "12" is listed twice' });
    expect(problemsOf({ products: { 'Debian Linux': [{ cycle: '12', eol: false }] } }).problems[0]?.field).toBe('products.Debian Linux');
    expect(problemsOf({ products: {} }).problems[0]).toEqual({ field: 'products', message: 'holds no products' });
    expect(problemsOf({ products: { debian: [] } }).problems[0]?.field).toBe('products.debian');
    expect(problemsOf([{ cycle: '12', eol: false }]).problems[0]?.message).toMatch(/bare array/);
    expect(problemsOf({ vulnerabilities: [] }).problems[0]?.field).toBe('document');
    expect(problemsOf(null).problems[0]?.field).toBe('document');
  });
});
