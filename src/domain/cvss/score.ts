// CVSS base scores and qualitative severities.
//   v2.0: Complete Guide section 3.2.1 base equation, round_to_1_decimal;
//         severity per NVD (the v2 guide defines none): Low 0.0-3.9,
//         Medium 4.0-6.9, High 7.0-10.0.
//   v3.0: v3.0 Specification section 8.1, "round up" = ceil to one decimal.
//   v3.1: v3.1 Specification section 7.1 with the Roundup of Appendix A
//         (integer arithmetic on value * 100000).
//   v4.0: v4.0 Specification section 8 (MacroVector lookup table and
//         severity-distance interpolation, as in FIRST's reference calculator,
//         rounded half up with its 1e-6 epsilon); CVSS-B, base metrics only.
//   v3.x/v4.0 severity: None 0.0, Low 0.1-3.9, Medium 4.0-6.9, High 7.0-8.9,
//         Critical 9.0-10.0 (v3.1 section 5, v4.0 section 6).
// The arithmetic is done by ae-cvss-calculator (Apache-2.0), which was checked
// against the specifications for every base vector of every version (see
// score.test.ts); this module validates with our parser, feeds the library only
// the base metrics and shapes the result. Pure: no I/O.

import ae from 'ae-cvss-calculator';
import type { CvssVersion } from './metrics.js';
import { type CvssVector, CvssError, parseCvss } from './parse.js';

export type CvssV2Severity = 'Low' | 'Medium' | 'High';
export type CvssV3Severity = 'None' | 'Low' | 'Medium' | 'High' | 'Critical';
export type CvssSeverity = CvssV2Severity | CvssV3Severity;

export interface CvssBaseScore {
  readonly version: CvssVersion;
  /** Base score, 0.0-10.0 with one decimal. */
  readonly score: number;
  readonly severity: CvssSeverity;
}

/** Qualitative severity of a score under the given version's scale. */
export function cvssSeverity(version: CvssVersion, score: number): CvssSeverity {
  if (!Number.isFinite(score) || score < 0 || score > 10) {
    throw new CvssError(`CVSS score ${score} is outside 0.0-10.0`);
  }
  if (version === '2.0') {
    if (score < 4) return 'Low';
    if (score < 7) return 'Medium';
    return 'High';
  }
  if (score === 0) return 'None';
  if (score < 4) return 'Low';
  if (score < 7) return 'Medium';
  if (score < 9) return 'High';
  return 'Critical';
}

function libraryBaseScore(parsed: CvssVector): number | undefined {
  switch (parsed.version) {
    case '2.0':
      return new ae.Cvss2(parsed.baseVector).calculateScores().base;
    case '3.0':
      return new ae.Cvss3P0(parsed.baseVector).calculateScores().base;
    case '3.1':
      return new ae.Cvss3P1(parsed.baseVector).calculateScores().base;
    case '4.0':
      return new ae.Cvss4P0(parsed.baseVector).calculateScores().baseMetricsOnly;
  }
}

/**
 * Base score and severity of a CVSS vector (string or parsed). Temporal,
 * threat, environmental and supplemental metrics in the vector are validated
 * but do not change the base score.
 */
export function cvssBaseScore(vector: string | CvssVector): CvssBaseScore {
  const parsed = typeof vector === 'string' ? parseCvss(vector) : vector;
  const raw = libraryBaseScore(parsed);
  if (raw === undefined || !Number.isFinite(raw)) {
    throw new CvssError(`Could not compute a CVSS v${parsed.version} base score for "${parsed.vector}"`);
  }
  // One decimal, without binary floating-point residue.
  const score = Math.round(raw * 10) / 10;
  return { version: parsed.version, score, severity: cvssSeverity(parsed.version, score) };
}
