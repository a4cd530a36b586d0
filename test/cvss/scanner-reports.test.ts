// Real scanner reports (../shared/fixtures/scanners, DefectDojo's sample
// reports) against our CVSS base scores, per the FIRST CVSS v2.0, v3.0, v3.1
// and v4.0 specifications: every (vector, score) pair a report carries must
// equal cvssBaseScore(vector).score, except the few listed below with their cause.
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { cvssBaseScore } from '../../src/domain/cvss/index.js';

const fixtures = path.resolve(process.cwd(), '../shared/fixtures');
const scanners = path.join(fixtures, 'scanners');
const present = existsSync(scanners);

interface Pair {
  format: string;
  file: string;
  where: string;
  vector: string;
  score: number;
}

/** Pairs whose reported score is not the base score of the vector, investigated one by one. */
const EXCEPTIONS: ReadonlyArray<{ file: string; vector: string; reported: number; reason: string }> = [
  // CycloneDX log4j.json: each vulnerability's CVSSv2 rating repeats the
  // CVSSv31 rating's score (10, 6.6, 9, 5.9) next to the v2 vector, whose base
  // scores are those NVD publishes (9.3, 8.5, 5.1, 4.3).
  ...(
    [
      ['AV:N/AC:M/Au:N/C:C/I:C/A:C', 10],
      ['AV:N/AC:M/Au:S/C:C/I:C/A:C', 6.6],
      ['AV:N/AC:H/Au:N/C:P/I:P/A:P', 9],
      ['AV:N/AC:M/Au:N/C:N/I:N/A:P', 5.9],
    ] as const
  ).map(([vector, reported]) => ({
    file: 'cyclonedx/log4j.json',
    vector,
    reported,
    reason: 'the report gives the CVSS v3.1 score for the CVSS v2 vector',
  })),
];

function files(dir: string): string[] {
  return readdirSync(dir).flatMap((name) => {
    const full = path.join(dir, name);
    return statSync(full).isDirectory() ? files(full) : [full];
  });
}

const num = (value: unknown): number | undefined => {
  const n = typeof value === 'string' ? Number(value.trim()) : value;
  return typeof n === 'number' && Number.isFinite(n) ? n : undefined;
};

function tagText(block: string, tag: string): string | undefined {
  return new RegExp(`<${tag}>([^<]*)</${tag}>`).exec(block)?.[1]?.trim();
}

/** Nessus v2 XML: per ReportItem, cvss_vector/cvss_base_score, cvss3_*, cvss4_*. */
function nessus(file: string, text: string): Pair[] {
  const pairs: Pair[] = [];
  const items = text.match(/<ReportItem\b[\s\S]*?<\/ReportItem>/g) ?? [];
  for (const item of items) {
    const plugin = /pluginID="(\d+)"/.exec(item)?.[1] ?? '?';
    for (const [vTag, sTag] of [
      ['cvss_vector', 'cvss_base_score'],
      ['cvss3_vector', 'cvss3_base_score'],
      ['cvss4_vector', 'cvss4_base_score'],
    ] as const) {
      const vector = tagText(item, vTag);
      const score = num(tagText(item, sTag));
      if (vector && score !== undefined) {
        // Nessus writes v2 vectors as "CVSS2#AV:N/…".
        pairs.push({ format: 'nessus', file, where: `plugin ${plugin} ${vTag}`, vector: vector.replace(/^CVSS2#/, ''), score });
      }
    }
  }
  return pairs;
}

/** Trivy JSON: every `CVSS: { <source>: { V2Vector, V2Score, V3Vector, V3Score, V40Vector, V40Score } }`. */
function trivy(file: string, json: unknown): Pair[] {
  const pairs: Pair[] = [];
  const walk = (node: unknown, id: string) => {
    if (Array.isArray(node)) {
      for (const child of node) walk(child, id);
    } else if (node && typeof node === 'object') {
      const obj = node as Record<string, unknown>;
      const here = typeof obj.VulnerabilityID === 'string' ? obj.VulnerabilityID : id;
      if (obj.CVSS && typeof obj.CVSS === 'object') {
        for (const [source, entry] of Object.entries(obj.CVSS as Record<string, Record<string, unknown>>)) {
          for (const v of ['V2', 'V3', 'V40']) {
            const vector = entry[`${v}Vector`];
            const score = num(entry[`${v}Score`]);
            if (typeof vector === 'string' && vector && score !== undefined) {
              pairs.push({ format: 'trivy', file, where: `${here} ${source} ${v}`, vector, score });
            }
          }
        }
      }
      for (const [key, child] of Object.entries(obj)) if (key !== 'CVSS') walk(child, here);
    }
  };
  walk(json, '?');
  return pairs;
}

/** Grype JSON: matches[].vulnerability.cvss[] and relatedVulnerabilities[].cvss[]: vector + metrics.baseScore. */
function grype(file: string, json: any): Pair[] {
  const pairs: Pair[] = [];
  for (const match of json.matches ?? []) {
    for (const vuln of [match.vulnerability, ...(match.relatedVulnerabilities ?? [])]) {
      for (const cvss of vuln?.cvss ?? []) {
        const score = num(cvss.metrics?.baseScore);
        if (typeof cvss.vector === 'string' && score !== undefined) {
          pairs.push({ format: 'grype', file, where: `${vuln.id} cvss ${cvss.version}`, vector: cvss.vector, score });
        }
      }
    }
  }
  return pairs;
}

/** CycloneDX: vulnerabilities[].ratings[] with vector + score; method names the version when the vector has no prefix. */
function cyclonedx(file: string, json: any): Pair[] {
  const prefix: Record<string, string> = { CVSSv3: 'CVSS:3.0/', CVSSv31: 'CVSS:3.1/', CVSSv4: 'CVSS:4.0/' };
  const pairs: Pair[] = [];
  for (const vuln of json.vulnerabilities ?? []) {
    for (const rating of vuln.ratings ?? []) {
      const score = num(rating.score);
      if (typeof rating.vector !== 'string' || score === undefined) continue;
      let vector: string = rating.vector;
      const p = prefix[rating.method];
      // CycloneDX 1.4's example gives a v3 vector without "CVSS:3.x/"; its
      // source URL (NVD calculator, version=3.0) and method say v3.0.
      if (p && !vector.startsWith('CVSS:')) vector = p + vector;
      pairs.push({ format: 'cyclonedx', file, where: `${vuln.id} ${rating.method}`, vector, score });
    }
  }
  return pairs;
}

/** CSAF 2.0: vulnerabilities[].scores[].cvss_v2/cvss_v3/cvss_v4 {vectorString, baseScore}. */
function csaf(file: string, json: any): Pair[] {
  const pairs: Pair[] = [];
  for (const vuln of json.vulnerabilities ?? []) {
    for (const score of vuln.scores ?? []) {
      for (const key of ['cvss_v2', 'cvss_v3', 'cvss_v4']) {
        const entry = score[key];
        const base = num(entry?.baseScore);
        if (typeof entry?.vectorString === 'string' && base !== undefined) {
          pairs.push({ format: 'csaf', file, where: `${vuln.cve ?? '?'} ${key}`, vector: entry.vectorString, score: base });
        }
      }
    }
  }
  return pairs;
}

/** Qualys XML: <CVSS_BASE>7.5 (AV:N/…)</CVSS_BASE> and <CVSS3_BASE>9.0 (AV:N/…)</CVSS3_BASE>. */
function qualys(file: string, text: string): Pair[] {
  const pairs: Pair[] = [];
  for (const match of text.matchAll(/<(CVSS3?_BASE)>\s*([\d.]+)\s*\(([^)]+)\)\s*<\/\1>/g)) {
    const [, tag, score, vector] = match;
    // Qualys omits the v3 minor version; base scores are the same under v3.0
    // and v3.1 for every base vector (see src/domain/cvss/score.test.ts).
    pairs.push({
      format: 'qualys',
      file,
      where: tag!,
      vector: tag === 'CVSS3_BASE' ? `CVSS:3.1/${vector}` : vector!,
      score: Number(score),
    });
  }
  return pairs;
}

/** OpenVAS XML carries <cvss_base> scores but, in these reports, no vectors; OSV/OpenVEX carry neither. */
function openvas(file: string, text: string): Pair[] {
  const pairs: Pair[] = [];
  for (const result of text.match(/<result\b[\s\S]*?<\/result>/g) ?? []) {
    const vector = /cvss_base_vector=([^|<\s]+)/.exec(result)?.[1];
    const score = num(tagText(result, 'cvss_base'));
    if (vector && score !== undefined) pairs.push({ format: 'openvas', file, where: 'result', vector, score });
  }
  return pairs;
}

/**
 * Independent count: how many CVSS vectors each format's files mention, by a
 * plain pattern over the raw text. Every one must have become a pair.
 */
const RAW_VECTOR_FIELD: Record<string, RegExp> = {
  tenable: /<cvss[234]?_vector>/g,
  trivy: /"V(?:2|3|40)Vector"\s*:/g,
  anchore_grype: /"vector"\s*:/g,
  cyclonedx: /"vector"\s*:/g,
  csaf: /"vectorString"\s*:/g,
  qualys: /<CVSS3?_BASE>[^<]*\(/g,
  openvas: /cvss_base_vector=/g,
  osv_scanner: /"CVSS_V[234]"/g,
  openvex: /CVSS:/g,
};
const FORMAT_OF_DIR: Record<string, string> = {
  tenable: 'nessus',
  trivy: 'trivy',
  anchore_grype: 'grype',
  cyclonedx: 'cyclonedx',
  csaf: 'csaf',
  qualys: 'qualys',
  openvas: 'openvas',
  osv_scanner: 'osv',
  openvex: 'openvex',
};

function rawCounts(all: string[]): Record<string, number> {
  const counts: Record<string, number> = {};
  for (const file of all) {
    const dir = path.relative(scanners, file).split(path.sep)[0]!;
    const pattern = RAW_VECTOR_FIELD[dir];
    if (!pattern) throw new Error(`no raw vector pattern for ${dir}: a new scanner format needs extraction here`);
    const format = FORMAT_OF_DIR[dir]!;
    counts[format] = (counts[format] ?? 0) + (readFileSync(file, 'utf8').match(pattern)?.length ?? 0);
  }
  return counts;
}

function extract(file: string): Pair[] {
  const rel = path.relative(scanners, file);
  const dir = rel.split(path.sep)[0]!;
  const text = readFileSync(file, 'utf8');
  switch (dir) {
    case 'tenable':
      return nessus(rel, text);
    case 'trivy':
      return trivy(rel, JSON.parse(text));
    case 'anchore_grype':
      return grype(rel, JSON.parse(text));
    case 'cyclonedx':
      return cyclonedx(rel, JSON.parse(text));
    case 'csaf':
      return csaf(rel, JSON.parse(text));
    case 'qualys':
      return qualys(rel, text);
    case 'openvas':
      return openvas(rel, text);
    default:
      return []; // osv_scanner, openvex: no CVSS vector with a score
  }
}

describe.skipIf(!present)(
  present ? 'CVSS base scores in real scanner reports' : `CVSS base scores in real scanner reports — skipped: ${scanners} not found`,
  () => {
    const reports = present ? files(scanners).filter((f) => /\.(json|xml|nessus)$/.test(f)) : [];
    const pairs = reports.flatMap(extract);

    it('finds enough (vector, score) pairs in every format that carries them', () => {
      const perFormat: Record<string, number> = {};
      for (const pair of pairs) perFormat[pair.format] = (perFormat[pair.format] ?? 0) + 1;
      const perVersion: Record<string, number> = {};
      for (const pair of pairs) {
        const v = /^CVSS:(\d\.\d)\//.exec(pair.vector)?.[1] ?? '2.0';
        perVersion[v] = (perVersion[v] ?? 0) + 1;
      }
      const raw = rawCounts(reports);
      console.log(
        `CVSS (vector, score) pairs checked per format: ${JSON.stringify(perFormat)}; vectors counted in the raw files: ${JSON.stringify(raw)}; per version: ${JSON.stringify(perVersion)}; total ${pairs.length}`,
      );
      for (const [format, count] of Object.entries(raw)) expect({ format, pairs: perFormat[format] ?? 0 }).toEqual({ format, pairs: count });
      expect(pairs.length).toBeGreaterThanOrEqual(300);
      expect(perFormat.nessus ?? 0).toBeGreaterThanOrEqual(30);
      expect(perFormat.trivy ?? 0).toBeGreaterThanOrEqual(240);
      expect(perFormat.grype ?? 0).toBeGreaterThanOrEqual(10);
      expect(perFormat.cyclonedx ?? 0).toBeGreaterThanOrEqual(9);
      expect(perFormat.qualys ?? 0).toBeGreaterThanOrEqual(4);
      expect(perFormat.csaf ?? 0).toBeGreaterThanOrEqual(1);
      expect(perVersion['2.0'] ?? 0).toBeGreaterThanOrEqual(140);
      expect(perVersion['3.0'] ?? 0).toBeGreaterThanOrEqual(80);
      expect(perVersion['3.1'] ?? 0).toBeGreaterThanOrEqual(75);
    });

    it('computes each report\'s base score from its vector, except the listed exceptions', () => {
      const mismatches: string[] = [];
      const excepted = new Set<(typeof EXCEPTIONS)[number]>();
      for (const pair of pairs) {
        const computed = cvssBaseScore(pair.vector).score;
        if (computed === pair.score) continue;
        const exception = EXCEPTIONS.find((e) => e.file === pair.file && e.vector === pair.vector && e.reported === pair.score);
        if (exception) {
          excepted.add(exception);
          continue;
        }
        mismatches.push(`${pair.file} ${pair.where}: ${pair.vector} reported ${pair.score}, computed ${computed}`);
      }
      expect(mismatches).toEqual([]);
      // Every exception must still be needed, so none hides a later regression.
      expect(EXCEPTIONS.filter((e) => !excepted.has(e))).toEqual([]);
    });
  },
);
