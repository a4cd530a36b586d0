/**
 * What every scanner importer produces (issue #5, VUL-2): one normalised
 * shape, so asset resolution, de-duplication and the register do not know
 * about Nessus plugins or Trivy results. Parsers read a stream and hand each
 * target (a host, an image, an application) to the sink with its findings as
 * soon as they are read; the sink is awaited, so a slow database slows the
 * reading and memory stays flat. A target may be handed on more than once
 * (the importer merges by key).
 */

export const SCAN_FORMATS = [
  'nessus',
  'openvas',
  'qualys',
  'trivy',
  'grype',
  'osv-scanner',
  'sarif',
  'cyclonedx',
  'openvex',
  'csaf',
  'csv',
] as const;
export type ScanFormat = (typeof SCAN_FORMATS)[number];

export const SEVERITIES = ['critical', 'high', 'medium', 'low', 'info'] as const;
export type Severity = (typeof SEVERITIES)[number];

/**
 * A malformed, truncated, hostile or wrong-format file. `where` names the
 * position: "line 3, column 7" for XML and CSV, a JSON path or byte offset for
 * JSON ("$.Results[2].Vulnerabilities[5]", "byte 1234").
 */
export class ScanFormatError extends Error {
  readonly where: string | null;
  constructor(message: string, where: string | null = null) {
    super(where ? `${where}: ${message}` : message);
    this.where = where;
  }
  static at(message: string, line: number | null, column: number | null): ScanFormatError {
    return new ScanFormatError(message, line !== null ? `line ${line}, column ${column ?? 0}` : null);
  }
}

/** A reported host, image or application and what identifies it. */
export interface ReportTarget {
  /** Unique within the report: the importer merges targets handed on twice under one key. */
  key: string;
  kind: 'host' | 'image' | 'application';
  /** Shown to people: a host name, an address, an image reference. */
  name: string;
  hostname?: string | null;
  fqdn?: string | null;
  addresses?: string[];
  /** A patchloop agent id, when the scanner knows it (CSV, SARIF properties). */
  agentId?: string | null;
  /** sha256:… of a container image. */
  imageDigest?: string | null;
  os?: string | null;
}

export interface ReportPackage {
  /** patchloop's ecosystem names (deb, rpm, apk, npm, pypi, maven, go, cargo, nuget, gem, composer…) when known. */
  ecosystem?: string | null;
  name: string;
  version?: string | null;
  fixedVersion?: string | null;
  purl?: string | null;
}

export type VexStatus = 'not_affected' | 'affected' | 'fixed' | 'under_investigation';

/** VEX justifications (CISA minimum elements, as OpenVEX and CSAF name them); CycloneDX's are mapped onto these. */
export const VEX_JUSTIFICATIONS = [
  'component_not_present',
  'vulnerable_code_not_present',
  'vulnerable_code_not_in_execute_path',
  'vulnerable_code_cannot_be_controlled_by_adversary',
  'inline_mitigations_already_exist',
] as const;
export type VexJustification = (typeof VEX_JUSTIFICATIONS)[number];

export interface ReportFinding {
  /** CVE-…, GHSA-…, a distribution advisory id, or a scanner-native id such as NESSUS-19506 when the scanner names no CVE. */
  vulnerabilityId: string;
  aliases?: string[];
  title?: string | null;
  severity: Severity | null;
  cvssScore?: number | null;
  cvssVector?: string | null;
  package?: ReportPackage | null;
  /**
   * What identifies this piece of evidence within its source for one
   * finding: plugin id and port, rule id and file, "" when the source has
   * one detection per vulnerability and package. Re-importing yields the
   * same key, so the evidence is updated, not duplicated.
   */
  sourceKey: string;
  /** Port/protocol, a file path and line, a layer. */
  location?: string | null;
  /** What the scanner saw (plugin output, message); a change of it is a change of evidence (VUL-6). */
  output?: string | null;
  /** The scanner's own VEX analysis of this finding (CycloneDX analysis). */
  vex?: { status: VexStatus; justification?: VexJustification | null; detail?: string | null } | null;
}

/** A product-level VEX statement (OpenVEX, CSAF VEX): applies to the findings of that product across assets. */
export interface VexStatement {
  vulnerabilityId: string;
  aliases?: string[];
  product: {
    purl?: string | null;
    name?: string | null;
    version?: string | null;
    /** The statement is about this component only as part of that product (OpenVEX subcomponents, CSAF "A as a component of B"): its purl or name. */
    within?: string | null;
  };
  status: VexStatus;
  justification?: VexJustification | null;
  /** Impact statement or action statement. */
  detail?: string | null;
}

export interface ReportSink {
  target(target: ReportTarget, findings: ReportFinding[]): void | Promise<void>;
  statement?(statement: VexStatement): void | Promise<void>;
  /** Something read but not imported, with why ("informational (severity 0)", "no vulnerability id"). */
  skip(reason: string, count?: number): void;
}

export interface ReportMeta {
  format: ScanFormat;
  /** Tool name as the report names it: "Nessus", "Trivy 0.50.1". */
  scanner: string;
  reportName?: string | null;
  /** When the scan ran, ISO 8601, when the report says. */
  scannedAt?: string | null;
}

export type ReportInput = AsyncIterable<string | Uint8Array> | Iterable<string | Uint8Array>;

/** Optional settings a parser may need (the CSV column mapping). */
export interface ParseOptions {
  csvMapping?: Record<string, string>;
}

export type ReportParser = (input: ReportInput, sink: ReportSink, options?: ParseOptions) => Promise<ReportMeta>;

const SEVERITY_WORDS: Record<string, Severity> = {
  critical: 'critical',
  high: 'high',
  important: 'high',
  medium: 'medium',
  moderate: 'medium',
  low: 'low',
  negligible: 'info',
  info: 'info',
  informational: 'info',
  none: 'info',
  log: 'info',
};

/** A severity word as scanners write it (Critical, HIGH, Moderate, Negligible…); null when unknown. */
export function severityWord(s: string | null | undefined): Severity | null {
  if (!s) return null;
  return SEVERITY_WORDS[s.trim().toLowerCase()] ?? null;
}

/** CVSS base score bands (CVSS v3.1 specification, table 14). */
export function severityOfScore(score: number | null | undefined): Severity | null {
  if (score === null || score === undefined || !Number.isFinite(score)) return null;
  if (score >= 9) return 'critical';
  if (score >= 7) return 'high';
  if (score >= 4) return 'medium';
  if (score > 0) return 'low';
  return 'info';
}

/** Vulnerability ids patchloop accepts from reports: no spaces or control characters, at most 100 characters. */
export const VULN_ID_RE = /^[A-Za-z0-9][A-Za-z0-9._:/+-]{1,99}$/;
