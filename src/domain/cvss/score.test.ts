// Base scores against the specifications: the worked examples of FIRST's
// "CVSS v3.1 Examples" (same vectors and scores in the v3.0 examples), the v2.0
// guide's section 3.3 examples, v4.0 vectors from the v4.0 specification and
// FIRST's reference calculator; and, for v2.0/v3.0/v3.1, every base vector
// against the equations written out here from the specifications.
import { describe, expect, it } from 'vitest';
import { CVSS_VERSIONS, CvssError, cvssBaseScore, cvssSeverity, parseCvss } from './index.js';

const v31Examples: Array<[string, string, number]> = [
  ['CVE-2013-1937 phpMyAdmin reflected XSS', 'AV:N/AC:L/PR:N/UI:R/S:C/C:L/I:L/A:N', 6.1],
  ['CVE-2013-0375 MySQL stored SQL injection', 'AV:N/AC:L/PR:L/UI:N/S:C/C:L/I:L/A:N', 6.4],
  ['CVE-2014-3566 SSLv3 POODLE', 'AV:N/AC:H/PR:N/UI:R/S:U/C:L/I:N/A:N', 3.1],
  ['CVE-2012-1516 VMware guest to host escape', 'AV:N/AC:L/PR:L/UI:N/S:C/C:H/I:H/A:H', 9.9],
  ['CVE-2009-0783 Apache Tomcat XML parser', 'AV:L/AC:L/PR:H/UI:N/S:U/C:L/I:L/A:L', 4.2],
  ['CVE-2012-0384 Cisco IOS command execution', 'AV:N/AC:L/PR:L/UI:N/S:U/C:H/I:H/A:H', 8.8],
  ['CVE-2015-1098 Apple iWork denial of service', 'AV:L/AC:L/PR:N/UI:R/S:U/C:H/I:H/A:H', 7.8],
  ['CVE-2014-0160 OpenSSL Heartbleed', 'AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:N/A:N', 7.5],
  ['CVE-2014-6271 GNU Bash Shellshock', 'AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H', 9.8],
  ['CVE-2008-1447 DNS Kaminsky bug', 'AV:N/AC:H/PR:N/UI:N/S:C/C:N/I:H/A:N', 6.8],
  ['CVE-2014-2005 Sophos login screen bypass', 'AV:P/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H', 6.8],
  ['CVE-2010-0467 Joomla directory traversal', 'AV:N/AC:L/PR:N/UI:N/S:C/C:L/I:N/A:N', 5.8],
  ['CVE-2012-1342 Cisco ACL bypass', 'AV:N/AC:L/PR:N/UI:N/S:C/C:N/I:L/A:N', 5.8],
  ['CVE-2011-1265 Microsoft Windows Bluetooth RCE', 'AV:A/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H', 8.8],
  ['CVE-2016-1645 Google Chrome PDFium JPEG 2000 RCE', 'AV:N/AC:L/PR:N/UI:R/S:U/C:H/I:H/A:H', 8.8],
  ['CVE-2016-0128 Windows SAM/LSAD downgrade (Badlock)', 'AV:N/AC:H/PR:N/UI:R/S:U/C:H/I:H/A:N', 6.8],
];

describe('CVSS v3.1 and v3.0: specification examples', () => {
  for (const [name, body, score] of v31Examples) {
    it(`${name}: ${body} = ${score}`, () => {
      expect(cvssBaseScore(`CVSS:3.1/${body}`)).toEqual({ version: '3.1', score, severity: cvssSeverity('3.1', score) });
      expect(cvssBaseScore(`CVSS:3.0/${body}`)).toMatchObject({ version: '3.0', score });
    });
  }
  it('scope changed: the 1.08 factor is capped at 10.0 and PR weighs more', () => {
    expect(cvssBaseScore('CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:C/C:H/I:H/A:H')).toEqual({ version: '3.1', score: 10, severity: 'Critical' });
    expect(cvssBaseScore('CVSS:3.1/AV:N/AC:L/PR:H/UI:N/S:C/C:H/I:H/A:H').score).toBe(9.1); // PR:H = 0.50 when S:C
    expect(cvssBaseScore('CVSS:3.1/AV:N/AC:L/PR:H/UI:N/S:U/C:H/I:H/A:H').score).toBe(7.2); // PR:H = 0.27 when S:U
  });
  it('no impact scores 0.0 / None whatever the exploitability', () => {
    expect(cvssBaseScore('CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:C/C:N/I:N/A:N')).toEqual({ version: '3.1', score: 0, severity: 'None' });
    expect(cvssBaseScore('CVSS:3.0/AV:N/AC:L/PR:N/UI:N/S:U/C:N/I:N/A:N').severity).toBe('None');
  });
  it('temporal and environmental metrics do not change the base score', () => {
    expect(cvssBaseScore('CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H/E:U/RL:O/RC:U/CR:L/MAV:P/MC:N').score).toBe(9.8);
  });
});

describe('CVSS v2.0: guide section 3.3 examples', () => {
  it.each([
    ['CVE-2002-0392 Apache chunked encoding', 'AV:N/AC:L/Au:N/C:N/I:N/A:C', 7.8, 'High'],
    ['CVE-2003-0818 Microsoft Windows ASN.1', 'AV:N/AC:L/Au:N/C:C/I:C/A:C', 10, 'High'],
    ['CVE-2003-0062 NOD32 antivirus buffer overflow', 'AV:L/AC:H/Au:N/C:C/I:C/A:C', 6.2, 'Medium'],
  ] as const)('%s: %s = %s', (_name, vector, score, severity) => {
    expect(cvssBaseScore(vector)).toEqual({ version: '2.0', score, severity });
    expect(cvssBaseScore(`${vector}/E:U/RL:OF/RC:C`)).toMatchObject({ score }); // temporal metrics ignored
  });
  it('no impact scores 0.0 (f(Impact) = 0) and v2 severities are Low/Medium/High', () => {
    expect(cvssBaseScore('AV:N/AC:L/Au:N/C:N/I:N/A:N')).toEqual({ version: '2.0', score: 0, severity: 'Low' });
    expect(cvssBaseScore('AV:N/AC:M/Au:N/C:N/I:P/A:N')).toEqual({ version: '2.0', score: 4.3, severity: 'Medium' });
  });
});

describe('CVSS v4.0: MacroVector table and severity-distance interpolation', () => {
  it.each([
    // Specification section 8 example: the highest vector of MacroVector 000200.
    ['CVSS:4.0/AV:N/AC:L/AT:N/PR:N/UI:N/VC:H/VI:H/VA:H/SC:N/SI:N/SA:N', 9.3, 'Critical'],
    ['CVSS:4.0/AV:N/AC:L/AT:N/PR:N/UI:N/VC:H/VI:H/VA:H/SC:H/SI:H/SA:H', 10, 'Critical'],
    ['CVSS:4.0/AV:N/AC:L/AT:N/PR:N/UI:N/VC:L/VI:L/VA:L/SC:N/SI:N/SA:N', 6.9, 'Medium'],
    // Interpolated scores, as FIRST's reference calculator computes them.
    ['CVSS:4.0/AV:N/AC:L/AT:N/PR:N/UI:N/VC:L/VI:H/VA:L/SC:N/SI:H/SA:L', 9.2, 'Critical'],
    ['CVSS:4.0/AV:N/AC:L/AT:N/PR:N/UI:P/VC:L/VI:N/VA:N/SC:L/SI:N/SA:L', 5.3, 'Medium'],
    ['CVSS:4.0/AV:N/AC:L/AT:P/PR:N/UI:N/VC:H/VI:H/VA:H/SC:H/SI:N/SA:H', 9.5, 'Critical'],
    ['CVSS:4.0/AV:N/AC:H/AT:N/PR:N/UI:N/VC:H/VI:H/VA:N/SC:L/SI:H/SA:L', 9.4, 'Critical'],
    ['CVSS:4.0/AV:N/AC:H/AT:N/PR:L/UI:P/VC:H/VI:H/VA:H/SC:H/SI:L/SA:H', 8.8, 'High'],
    ['CVSS:4.0/AV:N/AC:L/AT:N/PR:L/UI:A/VC:N/VI:L/VA:N/SC:H/SI:H/SA:L', 6.2, 'Medium'],
    ['CVSS:4.0/AV:N/AC:H/AT:N/PR:H/UI:A/VC:N/VI:N/VA:N/SC:N/SI:H/SA:N', 4, 'Medium'],
    ['CVSS:4.0/AV:N/AC:L/AT:P/PR:L/UI:N/VC:N/VI:N/VA:N/SC:N/SI:L/SA:N', 2.3, 'Low'],
    ['CVSS:4.0/AV:N/AC:L/AT:P/PR:N/UI:A/VC:N/VI:N/VA:N/SC:L/SI:N/SA:N', 2.1, 'Low'],
    ['CVSS:4.0/AV:N/AC:L/AT:P/PR:H/UI:A/VC:N/VI:L/VA:L/SC:L/SI:N/SA:N', 1.8, 'Low'],
    // An exact x.x5 tie that binary floating point lands just below (8.5499…):
    // the reference calculator rounds half up after adding 1e-6.
    ['CVSS:4.0/AV:N/AC:L/AT:N/PR:N/UI:P/VC:H/VI:L/VA:N/SC:H/SI:H/SA:H', 8.6, 'High'],
  ] as const)('%s = %s', (vector, score, severity) => {
    expect(cvssBaseScore(vector)).toEqual({ version: '4.0', score, severity });
  });
  it('no impact on either system scores 0.0 / None', () => {
    expect(cvssBaseScore('CVSS:4.0/AV:N/AC:L/AT:N/PR:N/UI:N/VC:N/VI:N/VA:N/SC:N/SI:N/SA:N')).toEqual({ version: '4.0', score: 0, severity: 'None' });
  });
  it('returns the CVSS-B score: threat, environmental and supplemental metrics are ignored', () => {
    const base = 'CVSS:4.0/AV:N/AC:L/AT:N/PR:N/UI:N/VC:H/VI:H/VA:H/SC:N/SI:N/SA:N';
    expect(cvssBaseScore(`${base}/E:U/CR:L/MAV:P/MSI:S/S:P/AU:Y/U:Red`).score).toBe(9.3);
  });
});

describe('cvssBaseScore: input handling', () => {
  it('accepts a parsed vector and rejects malformed strings with CvssError', () => {
    expect(cvssBaseScore(parseCvss('CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H')).score).toBe(9.8);
    expect(() => cvssBaseScore('CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H')).toThrow(CvssError);
  });
  it('maps scores to severities at the band edges', () => {
    expect(['0', '0.1', '3.9', '4', '6.9', '7', '8.9', '9', '10'].map((s) => cvssSeverity('4.0', Number(s)))).toEqual([
      'None', 'Low', 'Low', 'Medium', 'Medium', 'High', 'High', 'Critical', 'Critical',
    ]);
    expect(['0', '3.9', '4', '6.9', '7', '10'].map((s) => cvssSeverity('2.0', Number(s)))).toEqual(['Low', 'Low', 'Medium', 'Medium', 'High', 'High']);
    expect(() => cvssSeverity('3.1', 10.1)).toThrow(CvssError);
  });
});

// ---------------------------------------------------------------------------
// Every base vector of v2.0, v3.0 and v3.1 against the specifications'
// equations, written out independently of the library that computes the scores.

function* allBaseBodies(version: '2.0' | '3.0' | '3.1'): Generator<Record<string, string>> {
  const base = CVSS_VERSIONS[version].metrics.filter((m) => m.group === 'base');
  const walk = function* (i: number, acc: Record<string, string>): Generator<Record<string, string>> {
    if (i === base.length) {
      yield acc;
      return;
    }
    for (const value of base[i]!.values) yield* walk(i + 1, { ...acc, [base[i]!.key]: value });
  };
  yield* walk(0, {});
}

/** v3.1 Appendix A Roundup: integer arithmetic on the value times 100,000. */
function roundup31(x: number): number {
  const intInput = Math.round(x * 100000);
  return intInput % 10000 === 0 ? intInput / 100000 : (Math.floor(intInput / 10000) + 1) / 10;
}
/** v3.0 "round up": smallest one-decimal number not below the input. */
function roundup30(x: number): number {
  return Math.ceil(x * 10) / 10;
}

function specV3(m: Record<string, string>, roundup: (x: number) => number): number {
  const w = (table: Record<string, number>, key: string) => table[m[key]!]!;
  const changed = m.S === 'C';
  const cia = { H: 0.56, L: 0.22, N: 0 };
  const iss = 1 - (1 - w(cia, 'C')) * (1 - w(cia, 'I')) * (1 - w(cia, 'A'));
  const impact = changed ? 7.52 * (iss - 0.029) - 3.25 * (iss - 0.02) ** 15 : 6.42 * iss;
  const pr = changed ? { N: 0.85, L: 0.68, H: 0.5 } : { N: 0.85, L: 0.62, H: 0.27 };
  const exploitability = 8.22 * w({ N: 0.85, A: 0.62, L: 0.55, P: 0.2 }, 'AV') * w({ L: 0.77, H: 0.44 }, 'AC') * w(pr, 'PR') * w({ N: 0.85, R: 0.62 }, 'UI');
  if (impact <= 0) return 0;
  return changed ? roundup(Math.min(1.08 * (impact + exploitability), 10)) : roundup(Math.min(impact + exploitability, 10));
}

function specV2(m: Record<string, string>): number {
  const w = (table: Record<string, number>, key: string) => table[m[key]!]!;
  const cia = { N: 0, P: 0.275, C: 0.66 };
  const impact = 10.41 * (1 - (1 - w(cia, 'C')) * (1 - w(cia, 'I')) * (1 - w(cia, 'A')));
  const exploitability = 20 * w({ L: 0.395, A: 0.646, N: 1 }, 'AV') * w({ H: 0.35, M: 0.61, L: 0.71 }, 'AC') * w({ M: 0.45, S: 0.56, N: 0.704 }, 'Au');
  const f = impact === 0 ? 0 : 1.176;
  return Math.round((0.6 * impact + 0.4 * exploitability - 1.5) * f * 10) / 10;
}

describe('every base vector against the specification equations', () => {
  const check = (version: '2.0' | '3.0' | '3.1', expected: (m: Record<string, string>) => number, count: number) => {
    const mismatches: string[] = [];
    let n = 0;
    for (const metrics of allBaseBodies(version)) {
      n++;
      const body = Object.entries(metrics).map(([k, v]) => `${k}:${v}`).join('/');
      const vector = version === '2.0' ? body : `CVSS:${version}/${body}`;
      const want = expected(metrics);
      const got = cvssBaseScore(vector).score;
      if (got !== want) mismatches.push(`${vector}: got ${got}, spec ${want}`);
    }
    expect(n).toBe(count);
    expect(mismatches).toEqual([]);
  };
  it('v2.0: all 729 base vectors', () => check('2.0', specV2, 729));
  it('v3.0: all 2,592 base vectors (round up = ceil to one decimal)', () => check('3.0', (m) => specV3(m, roundup30), 2592));
  it('v3.1: all 2,592 base vectors (Appendix A Roundup)', () => check('3.1', (m) => specV3(m, roundup31), 2592));
  it('Appendix A Roundup avoids the floating-point error that a plain ceil makes', () => {
    expect(roundup31(4.000000000000001)).toBe(4);
    expect(roundup30(4.000000000000001)).toBe(4.1);
    expect(roundup31(4.02)).toBe(4.1);
    expect(roundup31(4.0)).toBe(4);
  });
});
