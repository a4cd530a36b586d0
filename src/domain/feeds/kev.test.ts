import { describe, expect, it } from 'vitest';
import { FeedFormatError, isIsoDate, kevAliases, parseKev } from './kev.js';

const entry = (over: Record<string, unknown> = {}) => ({
  cveID: 'CVE-2025-48384', vendorProject: 'Git', product: 'Git', vulnerabilityName: 'Git Link Following Vulnerability',
  dateAdded: '2025-08-25', shortDescription: 'Git contains a link following vulnerability.', requiredAction: 'Apply mitigations per vendor instructions.',
  dueDate: '2025-09-15', knownRansomwareCampaignUse: 'Unknown', notes: 'https://github.com/git/git/security/advisories/GHSA-vwqx-4fm8-6qc9 ; https://nvd.nist.gov/vuln/detail/CVE-2025-48384', cwes: ['CWE-59'],
  ...over,
});
const doc = (entries: unknown[], over: Record<string, unknown> = {}) => ({ title: 'CISA Catalog', catalogVersion: '2025.08.25', dateReleased: '2025-08-25T17:04:19.9796Z', count: entries.length, vulnerabilities: entries, ...over });

describe('KEV catalogue parser', () => {
  it('reads entries with their own due dates and ransomware use', () => {
    const c = parseKev(doc([entry(), entry({ cveID: 'CVE-2024-0001', knownRansomwareCampaignUse: 'Known', dueDate: '2024-02-01', dateAdded: '2024-01-11', notes: '', cwes: [] })]));
    expect(c.catalogVersion).toBe('2025.08.25');
    expect(c.entries).toHaveLength(2);
    expect(c.entries[0]).toMatchObject({ cve: 'CVE-2025-48384', name: 'Git Link Following Vulnerability', dateAdded: '2025-08-25', dueDate: '2025-09-15', ransomware: false, cwes: ['CWE-59'] });
    expect(c.entries[1]).toMatchObject({ ransomware: true, dueDate: '2024-02-01' });
    expect(kevAliases(c.entries[0]!)).toEqual(['GHSA-vwqx-4fm8-6qc9']);
    expect(kevAliases(c.entries[1]!)).toEqual([]);
  });

  it('names the entry and field of every problem', () => {
    const bad = (e: unknown[], over?: Record<string, unknown>) => () => parseKev(doc(e, over));
    expect(() => parseKev([])).toThrow(FeedFormatError);
    expect(bad([entry(), entry({ cveID: 'CVE-25-1' })])).toThrow('vulnerabilities[1].cveID: expected a CVE id');
    expect(bad([entry({ dueDate: '2025-02-30' })])).toThrow('vulnerabilities[0].dueDate: expected a date YYYY-MM-DD');
    expect(bad([entry({ knownRansomwareCampaignUse: 'maybe' })])).toThrow('vulnerabilities[0].knownRansomwareCampaignUse: expected "Known" or "Unknown"');
    expect(bad([entry(), entry()])).toThrow('vulnerabilities[1].cveID: CVE-2025-48384 is listed twice (also at vulnerabilities[0])');
    expect(bad([entry({ vulnerabilityName: undefined })])).toThrow('vulnerabilities[0].vulnerabilityName: is missing');
    expect(bad([entry({ requiredAction: 'x'.repeat(30_000) })])).toThrow('vulnerabilities[0].requiredAction: is longer than');
    expect(bad([entry()], { count: 5 })).toThrow('count: the catalogue says 5 entries but holds 1');
    expect(bad([entry(), 'x'])).toThrow('vulnerabilities[1]: expected an object');
    expect(bad([entry()], { vulnerabilities: {} })).toThrow('vulnerabilities: expected an array');
  });

  it('knows real calendar dates', () => {
    expect(isIsoDate('2024-02-29')).toBe(true);
    expect(isIsoDate('2023-02-29')).toBe(false);
    expect(isIsoDate('2023-2-9')).toBe(false);
  });
});
