import { describe, expect, it } from 'vitest';
import { parseEpss } from './epss.js';

describe('EPSS CSV parser', () => {
  it('reads the model/score-date comment, the header and the rows', () => {
    const s = parseEpss('#model_version:v2025.03.14,score_date:2025-09-03T12:55:00Z\r\ncve,epss,percentile\r\nCVE-1999-0001,0.0142,0.7991\r\nCVE-2024-12345,1e-05,0.00001\r\n');
    expect(s).toEqual({ modelVersion: 'v2025.03.14', scoreDate: '2025-09-03', cves: ['CVE-1999-0001', 'CVE-2024-12345'], scores: [0.0142, 0.00001], percentiles: [0.7991, 0.00001] });
  });

  it('accepts a file without the comment line (before 2022)', () => {
    expect(parseEpss('cve,epss,percentile\nCVE-2020-0001,0.5,1.0')).toMatchObject({ modelVersion: null, scoreDate: null, cves: ['CVE-2020-0001'], scores: [0.5], percentiles: [1] });
  });

  it('names the line and column of every problem', () => {
    const head = '#model_version:v1,score_date:2025-09-03T00:00:00Z\ncve,epss,percentile\n';
    expect(() => parseEpss('')).toThrow('file: no "cve,epss,percentile" header');
    expect(() => parseEpss('#model_version:v1\nid,score\n')).toThrow('line 2: expected the header "cve,epss,percentile"');
    expect(() => parseEpss(`${head}CVE-2020-0001,0.1,0.2\nCVE-2020-0002,1.5,0.2\n`)).toThrow('line 4, column epss: expected a number from 0 to 1, got "1.5"');
    expect(() => parseEpss(`${head}CVE-2020-0001,0.1,NaN\n`)).toThrow('line 3, column percentile');
    expect(() => parseEpss(`${head}CVE-2020-0001,0.1\n`)).toThrow('line 3: expected 3 columns');
    expect(() => parseEpss(`${head}<script>,0.1,0.2\n`)).toThrow('line 3, column cve: expected a CVE id');
    expect(() => parseEpss(`${head}CVE-2020-0001,0.1,0.2\nCVE-2020-0001,0.1,0.2\n`)).toThrow('line 4, column cve: CVE-2020-0001 appears twice');
    expect(() => parseEpss(`${head}CVE-2020-0001,0.1,0.2\n\nCVE-2020-0002,0.1,0.2\n`)).toThrow('line 4: empty line');
    expect(() => parseEpss(head)).toThrow('the file has a header but no scores');
    expect(() => parseEpss('#model_version:v1,score_date:yesterday\ncve,epss,percentile\n')).toThrow('line 1, score_date');
  });
});
