import { describe, expect, it } from 'vitest';
import { FeedFormatError } from './kev.js';
import { type NvdCvss, nvdHeadline, nvdTime, parseNvdPage } from './nvd.js';

/** Shaped like the NVD CVE API 2.0 responses (https://services.nvd.nist.gov/rest/json/cves/2.0). */
const metric = (source: string, type: string, version: string, vectorString: string, baseScore: number, extra: Record<string, unknown> = {}) => ({
  source, type, cvssData: { version, vectorString, baseScore, ...extra }, exploitabilityScore: 3.9, impactScore: 3.6,
});
const cve = (id: string, over: Record<string, unknown> = {}) => ({
  cve: {
    id, sourceIdentifier: 'cve@mitre.org', published: '2014-04-07T22:55:03.893', lastModified: '2025-04-12T10:46:40.837', vulnStatus: 'Modified',
    cveTags: [], descriptions: [{ lang: 'en', value: `Description of ${id}.` }, { lang: 'es', value: `Descripción de ${id}.` }],
    metrics: {}, weaknesses: [], configurations: [], references: [], ...over,
  },
});
const page = (vulns: unknown[], over: Record<string, unknown> = {}) => ({
  resultsPerPage: vulns.length, startIndex: 0, totalResults: vulns.length, format: 'NVD_CVE', version: '2.0', timestamp: '2025-09-03T12:55:00.123', vulnerabilities: vulns, ...over,
});

const heartbleed = cve('CVE-2014-0160', {
  descriptions: [{ lang: 'es', value: 'La implementación (1) TLS …' }, { lang: 'en', value: 'The (1) TLS and (2) DTLS implementations in OpenSSL 1.0.1 before 1.0.1g do not properly handle Heartbeat Extension packets.' }],
  metrics: {
    cvssMetricV31: [metric('nvd@nist.gov', 'Primary', '3.1', 'CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:N/A:N', 7.5, { baseSeverity: 'HIGH' })],
    // v2 as the NVD gives it: no CVSS:2.0/ prefix, severity outside cvssData.
    cvssMetricV2: [{ ...metric('nvd@nist.gov', 'Primary', '2.0', 'AV:N/AC:L/Au:N/C:P/I:N/A:N', 5.0), baseSeverity: 'MEDIUM', acInsufInfo: false }],
  },
  weaknesses: [{ source: 'nvd@nist.gov', type: 'Primary', description: [{ lang: 'en', value: 'CWE-125' }] }, { source: 'cve@mitre.org', type: 'Secondary', description: [{ lang: 'en', value: 'CWE-125' }, { lang: 'en', value: 'NVD-CWE-noinfo' }] }],
  references: [{ url: 'https://www.openssl.org/news/secadv/20140407.txt', source: 'secalert@redhat.com', tags: ['Vendor Advisory'] }, { url: 'http://heartbleed.com/', source: 'cve@mitre.org' }],
});
// A CNA's v4.0 (Secondary) next to the NVD's own v3.1 (Primary).
const v4secondary = cve('CVE-2025-10001', {
  metrics: {
    cvssMetricV40: [metric('psirt@example.com', 'Secondary', '4.0', 'CVSS:4.0/AV:N/AC:L/AT:N/PR:N/UI:N/VC:H/VI:H/VA:H/SC:N/SI:N/SA:N/E:X/CR:X/IR:X/AR:X/MAV:X/MAC:X/MAT:X/MPR:X/MUI:X/MVC:X/MVI:X/MVA:X/MSC:X/MSI:X/MSA:X/S:X/AU:X/R:X/V:X/RE:X/U:X', 9.3)],
    cvssMetricV31: [metric('psirt@example.com', 'Secondary', '3.1', 'CVSS:3.1/AV:N/AC:H/PR:N/UI:N/S:U/C:H/I:H/A:H', 8.1), metric('nvd@nist.gov', 'Primary', '3.1', 'CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H', 9.8)],
  },
});
const v4primary = cve('CVE-2025-10002', {
  metrics: {
    cvssMetricV40: [metric('nvd@nist.gov', 'Primary', '4.0', 'CVSS:4.0/AV:L/AC:L/AT:N/PR:L/UI:N/VC:H/VI:H/VA:H/SC:N/SI:N/SA:N', 8.5), metric('psirt@example.com', 'Secondary', '4.0', 'CVSS:4.0/AV:N/AC:L/AT:N/PR:N/UI:N/VC:H/VI:H/VA:H/SC:N/SI:N/SA:N', 9.3)],
    cvssMetricV31: [metric('nvd@nist.gov', 'Primary', '3.1', 'CVSS:3.1/AV:L/AC:L/PR:L/UI:N/S:U/C:H/I:H/A:H', 7.8)],
  },
});
const rejected = cve('CVE-2023-99999', { vulnStatus: 'Rejected', descriptions: [{ lang: 'en', value: 'Rejected reason: This CVE ID has been rejected or withdrawn by its CVE Numbering Authority.' }], metrics: undefined, references: undefined, weaknesses: undefined });
const awaiting = cve('CVE-2025-10003', { vulnStatus: 'Awaiting Analysis', metrics: {} });

describe('NVD CVE API 2.0 page parser', () => {
  it('reads a page: times in UTC, the English description, every CVSS entry with its source and type, CWEs and references', () => {
    const p = parseNvdPage(page([heartbleed, v4secondary, v4primary, rejected, awaiting], { resultsPerPage: 2000, startIndex: 4000, totalResults: 4005 }));
    expect(p).toMatchObject({ resultsPerPage: 2000, startIndex: 4000, totalResults: 4005, timestamp: '2025-09-03T12:55:00.123Z', disagreements: [], invalidVectors: [] });
    expect(p.records.map((r) => r.id)).toEqual(['CVE-2014-0160', 'CVE-2025-10001', 'CVE-2025-10002', 'CVE-2023-99999', 'CVE-2025-10003']);
    expect(p.records[0]).toEqual({
      id: 'CVE-2014-0160', published: '2014-04-07T22:55:03.893Z', lastModified: '2025-04-12T10:46:40.837Z', status: 'Modified',
      description: 'The (1) TLS and (2) DTLS implementations in OpenSSL 1.0.1 before 1.0.1g do not properly handle Heartbeat Extension packets.',
      cvss: [
        { source: 'nvd@nist.gov', type: 'Primary', version: '3.1', vector: 'CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:N/A:N', score: 7.5 },
        { source: 'nvd@nist.gov', type: 'Primary', version: '2.0', vector: 'AV:N/AC:L/Au:N/C:P/I:N/A:N', score: 5 },
      ],
      cwes: ['CWE-125', 'NVD-CWE-noinfo'],
      references: [
        { url: 'https://www.openssl.org/news/secadv/20140407.txt', source: 'secalert@redhat.com', tags: ['Vendor Advisory'] },
        { url: 'http://heartbleed.com/', source: 'cve@mitre.org', tags: [] },
      ],
    });
    expect(p.records[1]?.cvss.map((c) => `${c.type} ${c.version} ${c.score}`)).toEqual(['Secondary 4.0 9.3', 'Secondary 3.1 8.1', 'Primary 3.1 9.8']);
    expect(p.records[3]).toMatchObject({ status: 'Rejected', description: expect.stringMatching(/^Rejected reason/), cvss: [], cwes: [], references: [] });
    expect(p.records[4]).toMatchObject({ status: 'Awaiting Analysis', cvss: [] });
  });

  it('keeps the stated score where ours differs, and entries whose vector we refuse, and reports both', () => {
    const p = parseNvdPage(page([
      cve('CVE-2025-20001', { metrics: { cvssMetricV31: [metric('nvd@nist.gov', 'Primary', '3.1', 'CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H', 9.0)] } }),
      cve('CVE-2025-20002', { metrics: { cvssMetricV31: [metric('cna@example.com', 'Secondary', '3.1', 'CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:Q', 7.0)] } }),
      cve('CVE-2025-20003', { metrics: { cvssMetricV31: [metric('cna@example.com', 'Secondary', '3.0', 'CVSS:3.0/AV:N/AC:L/PR:N/UI:R/S:C/C:L/I:L/A:N', 6.1)] } }),
      cve('CVE-2025-20004', { metrics: { cvssMetricV2: [metric('nvd@nist.gov', 'Primary', '2.0', 'CVSS:2.0/AV:N/AC:L/Au:N/C:P/I:P/A:P', 7.5)] } }),
    ]));
    expect(p.records.map((r) => r.cvss[0])).toEqual([
      { source: 'nvd@nist.gov', type: 'Primary', version: '3.1', vector: 'CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H', score: 9 },
      { source: 'cna@example.com', type: 'Secondary', version: '3.1', vector: 'CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:Q', score: 7 },
      { source: 'cna@example.com', type: 'Secondary', version: '3.0', vector: 'CVSS:3.0/AV:N/AC:L/PR:N/UI:R/S:C/C:L/I:L/A:N', score: 6.1 },
      { source: 'nvd@nist.gov', type: 'Primary', version: '2.0', vector: 'AV:N/AC:L/Au:N/C:P/I:P/A:P', score: 7.5 },
    ]);
    expect(p.disagreements).toEqual([{ cve: 'CVE-2025-20001', place: 'vulnerabilities[0].cve.metrics.cvssMetricV31[0].cvssData.vectorString (CVE-2025-20001)', vector: 'CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H', stated: 9, computed: 9.8, problem: null }]);
    expect(p.invalidVectors).toEqual([
      expect.objectContaining({ cve: 'CVE-2025-20002', stated: 7, computed: null, problem: expect.stringContaining('Invalid value "Q"') }),
      expect.objectContaining({ cve: 'CVE-2025-20003', computed: 6.1, problem: 'a CVSS v3.0 vector in cvssMetricV31' }),
    ]);
  });

  it('names the page field, or the CVE id and field path, of every problem', () => {
    const bad = (doc: unknown) => () => parseNvdPage(doc);
    const one = (over: Record<string, unknown>) => bad(page([cve('CVE-2024-0001', over)]));
    const m31 = (m: unknown) => one({ metrics: { cvssMetricV31: [m] } });
    expect(bad([])).toThrow(FeedFormatError);
    expect(bad([])).toThrow('document: expected a JSON object');
    expect(bad({ CVE_data_format: 'MITRE', CVE_Items: [] })).toThrow('CVE_Items: this is the retired NVD JSON 1.1 feed');
    expect(bad(page([], { format: 'OSV' }))).toThrow('format: expected "NVD_CVE", got "OSV"');
    expect(bad(page([], { version: '1.1' }))).toThrow('version: expected API version 2.x');
    expect(bad(page([], { vulnerabilities: {} }))).toThrow('vulnerabilities: expected an array');
    expect(bad(page([], { resultsPerPage: -1 }))).toThrow('resultsPerPage: expected a whole number ≥ 0, got -1');
    expect(bad(page([], { totalResults: '7' }))).toThrow('totalResults: expected a whole number ≥ 0, got "7"');
    expect(bad(page([], { timestamp: 'yesterday' }))).toThrow('timestamp: expected a date and time, got "yesterday"');
    expect(bad(page([heartbleed, awaiting], { resultsPerPage: 1 }))).toThrow('resultsPerPage: the page says 1 results but holds 2');
    expect(bad(page([heartbleed, awaiting], { startIndex: 10, totalResults: 11, resultsPerPage: 2000 }))).toThrow('totalResults: 2 results from index 10 run past the total of 11');
    expect(bad(page([heartbleed, { id: 'CVE-2024-0002' }]))).toThrow('vulnerabilities[1]: expected an object with "cve"');
    expect(bad(page([cve('CVE-24-1')]))).toThrow('vulnerabilities[0].cve.id: expected a CVE id (CVE-YYYY-NNNN), got "CVE-24-1"');
    expect(bad(page([heartbleed, heartbleed]))).toThrow('vulnerabilities[1].cve.id: CVE-2014-0160 is listed twice (also at vulnerabilities[0])');
    expect(one({ published: undefined })).toThrow('vulnerabilities[0].cve.published (CVE-2024-0001): is missing');
    expect(one({ lastModified: '2024-02-30T10:00:00.000' })).toThrow('vulnerabilities[0].cve.lastModified (CVE-2024-0001): expected a date and time, got "2024-02-30T10:00:00.000"');
    expect(one({ vulnStatus: '' })).toThrow('vulnerabilities[0].cve.vulnStatus (CVE-2024-0001): is empty');
    expect(one({ descriptions: 'text' })).toThrow('vulnerabilities[0].cve.descriptions (CVE-2024-0001): expected an array of {lang, value}');
    expect(one({ descriptions: [{ lang: 'en', value: 'x'.repeat(20_001) }] })).toThrow('vulnerabilities[0].cve.descriptions[0].value (CVE-2024-0001): is longer than 20000 characters');
    expect(one({ descriptions: [{ lang: 'en', value: 'a\u0000b' }] })).toThrow('vulnerabilities[0].cve.descriptions[0].value (CVE-2024-0001): contains a NUL character');
    expect(one({ descriptions: [{ value: 'x' }] })).toThrow('vulnerabilities[0].cve.descriptions[0].lang (CVE-2024-0001): is missing');
    expect(one({ metrics: [] })).toThrow('vulnerabilities[0].cve.metrics (CVE-2024-0001): expected an object');
    expect(one({ metrics: { cvssMetricV31: {} } })).toThrow('vulnerabilities[0].cve.metrics.cvssMetricV31 (CVE-2024-0001): expected an array');
    expect(m31(metric('nvd@nist.gov', 'Tertiary', '3.1', 'CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H', 9.8))).toThrow('vulnerabilities[0].cve.metrics.cvssMetricV31[0].type (CVE-2024-0001): expected "Primary" or "Secondary", got "Tertiary"');
    expect(m31(metric('nvd@nist.gov', 'Primary', '3.1', 'CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H', 11))).toThrow('vulnerabilities[0].cve.metrics.cvssMetricV31[0].cvssData.baseScore (CVE-2024-0001): expected a number from 0 to 10, got 11');
    expect(m31(metric('nvd@nist.gov', 'Primary', '3.1', 'CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H', '9.8' as unknown as number))).toThrow('cvssData.baseScore (CVE-2024-0001): expected a number from 0 to 10, got "9.8"');
    expect(m31({ source: 'nvd@nist.gov', type: 'Primary', cvssData: { version: '3.1', baseScore: 9.8 } })).toThrow('vulnerabilities[0].cve.metrics.cvssMetricV31[0].cvssData.vectorString (CVE-2024-0001): is missing');
    expect(m31({ source: 'nvd@nist.gov', type: 'Primary' })).toThrow('vulnerabilities[0].cve.metrics.cvssMetricV31[0].cvssData (CVE-2024-0001): expected an object');
    expect(m31({ type: 'Primary', cvssData: { vectorString: 'CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H', baseScore: 9.8 } })).toThrow('cvssMetricV31[0].source (CVE-2024-0001): is missing');
    expect(one({ weaknesses: [{ description: [{ lang: 'en', value: 79 }] }] })).toThrow('vulnerabilities[0].cve.weaknesses[0].description[0].value (CVE-2024-0001): expected a string, got 79');
    expect(one({ references: [{ source: 'x' }] })).toThrow('vulnerabilities[0].cve.references[0].url (CVE-2024-0001): is missing');
    expect(one({ references: [{ url: 'https://x', tags: 'Patch' }] })).toThrow('vulnerabilities[0].cve.references[0].tags (CVE-2024-0001): expected an array');
    expect(one({ references: Array.from({ length: 5001 }, (_, i) => ({ url: `https://example.com/${i}` })) })).toThrow('vulnerabilities[0].cve.references (CVE-2024-0001): has 5001 entries, more than 5000');
  });

  it('reads NVD times as UTC unless they carry a zone', () => {
    expect(nvdTime('2024-01-01T12:00:00.000')).toBe('2024-01-01T12:00:00.000Z');
    expect(nvdTime('2024-01-01T12:00:00')).toBe('2024-01-01T12:00:00.000Z');
    expect(nvdTime('2024-01-01T12:00:00.1234567+01:00')).toBe('2024-01-01T11:00:00.123Z');
    expect(nvdTime('2024-01-01T24:00:00.000')).toBeNull();
    expect(nvdTime('2024-01-01')).toBeNull();
  });
});

describe('headline CVSS', () => {
  const c = (type: NvdCvss['type'], version: NvdCvss['version'], score: number): NvdCvss => ({ source: type === 'Primary' ? 'nvd@nist.gov' : 'cna@example.com', type, version, vector: '', score });
  it("prefers the NVD's own (Primary) score, then the newest CVSS version", () => {
    expect(nvdHeadline([c('Secondary', '4.0', 9.3), c('Secondary', '3.1', 8.1), c('Primary', '3.1', 9.8)])).toEqual({ score: 9.8, version: '3.1', severity: 'critical' });
    expect(nvdHeadline([c('Primary', '3.1', 7.8), c('Secondary', '4.0', 9.3), c('Primary', '4.0', 8.5)])).toEqual({ score: 8.5, version: '4.0', severity: 'high' });
    expect(nvdHeadline([c('Secondary', '3.0', 6.1), c('Secondary', '3.1', 5.3), c('Secondary', '2.0', 9.3)])).toEqual({ score: 5.3, version: '3.1', severity: 'medium' });
    expect(nvdHeadline([c('Primary', '2.0', 9.3)])).toEqual({ score: 9.3, version: '2.0', severity: 'high' });
    expect(nvdHeadline([])).toBeNull();
  });
});
