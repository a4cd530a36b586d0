// CVSS v2.0, v3.0, v3.1 and v4.0 (FIRST specifications): vector parsing and
// validation (parse.ts), base scores and severities (score.ts).
export { CVSS_VERSIONS, type CvssVersion, type MetricDefinition, type MetricGroup } from './metrics.js';
export { type CvssVector, CvssError, parseCvss } from './parse.js';
export {
  type CvssBaseScore,
  type CvssSeverity,
  type CvssV2Severity,
  type CvssV3Severity,
  cvssBaseScore,
  cvssSeverity,
} from './score.js';
