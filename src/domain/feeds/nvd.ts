import { CvssError, type CvssVersion, cvssBaseScore, cvssSeverity, parseCvss } from '../cvss/index.js';
import { CVE_ID_RE, FeedFormatError, isIsoDate } from './kev.js';

/**
 * One page of the NVD CVE API 2.0 (the yearly "nvdcve-2.0-*.json" data feeds
 * have the same shape): { resultsPerPage, startIndex, totalResults, format,
 * version, timestamp, vulnerabilities: [{ cve: { id, published,
 * lastModified, vulnStatus, descriptions, metrics: { cvssMetricV40,
 * cvssMetricV31, cvssMetricV30, cvssMetricV2 }, weaknesses, references } }] }.
 * Times without a zone are UTC.
 */
export type NvdCvssType = 'Primary' | 'Secondary';

export interface NvdCvss {
  /** Who scored it: nvd@nist.gov for the NVD's own analysis, otherwise the CNA. */
  source: string;
  type: NvdCvssType;
  version: CvssVersion;
  /** As the NVD gives it (v2 without a prefix). */
  vector: string;
  /** The base score the NVD states, kept even where our computation differs. */
  score: number;
}

export interface NvdReference {
  url: string;
  source: string | null;
  tags: string[];
}

export interface NvdRecord {
  id: string;
  /** ISO 8601, UTC. */
  published: string;
  lastModified: string;
  /** vulnStatus: Analyzed, Modified, Awaiting Analysis, Rejected, … (rejected CVEs are kept). */
  status: string;
  /** The English description. */
  description: string | null;
  cvss: NvdCvss[];
  cwes: string[];
  references: NvdReference[];
}

/** A CVSS entry our CVSS module disagrees with: a different base score, or a vector it refuses. */
export interface NvdCvssNote {
  cve: string;
  place: string;
  vector: string;
  stated: number;
  computed: number | null;
  problem: string | null;
}

export interface NvdPage {
  resultsPerPage: number;
  startIndex: number;
  totalResults: number;
  /** When the NVD produced the page (ISO 8601). */
  timestamp: string;
  records: NvdRecord[];
  disagreements: NvdCvssNote[];
  invalidVectors: NvdCvssNote[];
}

const LIMITS = { description: 20_000, descriptions: 100, metrics: 100, vector: 1_000, short: 200, references: 5_000, url: 8_192, tags: 50, weaknesses: 100 } as const;
const METRIC_LISTS: ReadonlyArray<readonly [string, CvssVersion]> = [
  ['cvssMetricV40', '4.0'],
  ['cvssMetricV31', '3.1'],
  ['cvssMetricV30', '3.0'],
  ['cvssMetricV2', '2.0'],
];

const isObject = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);
const show = (v: unknown) => {
  const s = JSON.stringify(v) ?? String(v);
  return s.length > 60 ? `${s.slice(0, 57)}…` : s;
};

const TIME_RE = /^(\d{4}-\d{2}-\d{2})T(\d{2}):(\d{2}):(\d{2})(?:\.(\d{1,9}))?(Z|[+-]\d{2}:\d{2})?$/;

/** An NVD time (UTC when it has no zone) as ISO 8601 with Z, or null. */
export function nvdTime(s: string): string | null {
  const m = TIME_RE.exec(s);
  if (!m || !isIsoDate(m[1] as string) || Number(m[2]) > 23 || Number(m[3]) > 59 || Number(m[4]) > 59) return null;
  const ms = (m[5] ?? '').padEnd(3, '0').slice(0, 3);
  const t = Date.parse(`${m[1]}T${m[2]}:${m[3]}:${m[4]}.${ms}${m[6] ?? 'Z'}`);
  return Number.isNaN(t) ? null : new Date(t).toISOString();
}

function nonNegativeInt(doc: Record<string, unknown>, field: string): number {
  const v = doc[field];
  if (typeof v !== 'number' || !Number.isSafeInteger(v) || v < 0) throw new FeedFormatError(field, `expected a whole number ≥ 0, got ${show(v)}`);
  return v;
}

export function parseNvdPage(doc: unknown): NvdPage {
  if (!isObject(doc)) throw new FeedFormatError('document', 'expected a JSON object with "vulnerabilities" (an NVD CVE API 2.0 response)');
  if (doc.CVE_Items !== undefined) throw new FeedFormatError('CVE_Items', 'this is the retired NVD JSON 1.1 feed; use API 2.0 responses or the 2.0 data feeds (nvdcve-2.0-*.json.gz)');
  if (doc.format !== undefined && doc.format !== 'NVD_CVE') throw new FeedFormatError('format', `expected "NVD_CVE", got ${show(doc.format)}`);
  if (doc.version !== undefined && !(typeof doc.version === 'string' && /^2\.\d+$/.test(doc.version))) throw new FeedFormatError('version', `expected API version 2.x, got ${show(doc.version)}`);
  const list = doc.vulnerabilities;
  if (!Array.isArray(list)) throw new FeedFormatError('vulnerabilities', 'expected an array of {"cve": …}');
  const resultsPerPage = nonNegativeInt(doc, 'resultsPerPage');
  const startIndex = nonNegativeInt(doc, 'startIndex');
  const totalResults = nonNegativeInt(doc, 'totalResults');
  const timestamp = typeof doc.timestamp === 'string' ? nvdTime(doc.timestamp) : null;
  if (!timestamp) throw new FeedFormatError('timestamp', `expected a date and time, got ${show(doc.timestamp)}`);
  // A page that holds more than it says (or runs past the total) is not what the server meant to send.
  if (list.length > resultsPerPage) throw new FeedFormatError('resultsPerPage', `the page says ${resultsPerPage} results but holds ${list.length}`);
  if (startIndex + list.length > totalResults) throw new FeedFormatError('totalResults', `${list.length} results from index ${startIndex} run past the total of ${totalResults}`);

  const page: NvdPage = { resultsPerPage, startIndex, totalResults, timestamp, records: [], disagreements: [], invalidVectors: [] };
  const seen = new Map<string, number>();
  list.forEach((item, i) => {
    if (!isObject(item) || !isObject(item.cve)) throw new FeedFormatError(`vulnerabilities[${i}]`, 'expected an object with "cve"');
    const cve = item.cve;
    const rawId = cve.id;
    if (typeof rawId !== 'string' || !CVE_ID_RE.test(rawId)) throw new FeedFormatError(`vulnerabilities[${i}].cve.id`, `expected a CVE id (CVE-YYYY-NNNN), got ${show(rawId)}`);
    const id = rawId;
    const first = seen.get(id);
    if (first !== undefined) throw new FeedFormatError(`vulnerabilities[${i}].cve.id`, `${id} is listed twice (also at vulnerabilities[${first}])`);
    seen.set(id, i);
    const at = (path: string) => `vulnerabilities[${i}].cve.${path} (${id})`;
    const fail = (path: string, problem: string): never => {
      throw new FeedFormatError(at(path), problem);
    };
    const str = (v: unknown, path: string, max: number, required = true): string | null => {
      if (v === undefined || v === null) return required ? fail(path, 'is missing') : null;
      if (typeof v !== 'string') return fail(path, `expected a string, got ${show(v)}`);
      if (required && !v.trim()) return fail(path, 'is empty');
      if (v.length > max) return fail(path, `is longer than ${max} characters`);
      // PostgreSQL stores no NUL in text or jsonb.
      if (v.includes('\0')) return fail(path, 'contains a NUL character');
      return v;
    };
    const array = (v: unknown, path: string, max: number): unknown[] => {
      if (v === undefined || v === null) return [];
      if (!Array.isArray(v)) return fail(path, `expected an array, got ${show(v)}`);
      if (v.length > max) return fail(path, `has ${v.length} entries, more than ${max}`);
      return v;
    };
    const time = (field: string) => nvdTime(str(cve[field], field, 40) as string) ?? fail(field, `expected a date and time, got ${show(cve[field])}`);

    const published = time('published');
    const lastModified = time('lastModified');
    const status = str(cve.vulnStatus, 'vulnStatus', 100) as string;

    if (!Array.isArray(cve.descriptions)) fail('descriptions', 'expected an array of {lang, value}');
    let description: string | null = null;
    array(cve.descriptions, 'descriptions', LIMITS.descriptions).forEach((d, j) => {
      if (!isObject(d)) fail(`descriptions[${j}]`, 'expected an object {lang, value}');
      const d2 = d as Record<string, unknown>;
      const lang = str(d2.lang, `descriptions[${j}].lang`, 20);
      const value = str(d2.value, `descriptions[${j}].value`, LIMITS.description, false);
      if (description === null && lang === 'en' && value) description = value;
    });

    if (cve.metrics !== undefined && cve.metrics !== null && !isObject(cve.metrics)) fail('metrics', `expected an object, got ${show(cve.metrics)}`);
    const metrics = (cve.metrics ?? {}) as Record<string, unknown>;
    const cvss: NvdCvss[] = [];
    for (const [key, listVersion] of METRIC_LISTS) {
      array(metrics[key], `metrics.${key}`, LIMITS.metrics).forEach((m, j) => {
        const path = `metrics.${key}[${j}]`;
        if (!isObject(m)) fail(path, 'expected an object {source, type, cvssData}');
        const metric = m as Record<string, unknown>;
        const source = str(metric.source, `${path}.source`, LIMITS.short) as string;
        if (metric.type !== 'Primary' && metric.type !== 'Secondary') fail(`${path}.type`, `expected "Primary" or "Secondary", got ${show(metric.type)}`);
        if (!isObject(metric.cvssData)) fail(`${path}.cvssData`, 'expected an object {version, vectorString, baseScore}');
        const data = metric.cvssData as Record<string, unknown>;
        let vector = (str(data.vectorString, `${path}.cvssData.vectorString`, LIMITS.vector) as string).trim();
        const score = data.baseScore;
        if (typeof score !== 'number' || !Number.isFinite(score) || score < 0 || score > 10) fail(`${path}.cvssData.baseScore`, `expected a number from 0 to 10, got ${show(score)}`);
        // v2 has no prefix by its specification; a few producers add one anyway.
        if (listVersion === '2.0' && vector.startsWith('CVSS:2.0/')) vector = vector.slice('CVSS:2.0/'.length);
        const entry: NvdCvss = { source, type: metric.type as NvdCvssType, version: listVersion, vector, score: score as number };
        const note = (computed: number | null, problem: string | null): NvdCvssNote => ({ cve: id, place: at(`${path}.cvssData.vectorString`), vector, stated: entry.score, computed, problem });
        try {
          const parsed = parseCvss(vector);
          entry.version = parsed.version;
          const computed = cvssBaseScore(parsed).score;
          if (parsed.version !== listVersion) page.invalidVectors.push(note(computed, `a CVSS v${parsed.version} vector in ${key}`));
          else if (Math.abs(computed - entry.score) > 0.05) page.disagreements.push(note(computed, null));
        } catch (err) {
          if (!(err instanceof CvssError)) throw err;
          page.invalidVectors.push(note(null, err.message));
        }
        cvss.push(entry);
      });
    }

    const cwes: string[] = [];
    array(cve.weaknesses, 'weaknesses', LIMITS.weaknesses).forEach((w, j) => {
      if (!isObject(w)) fail(`weaknesses[${j}]`, 'expected an object {source, type, description}');
      array((w as Record<string, unknown>).description, `weaknesses[${j}].description`, LIMITS.weaknesses).forEach((d, k) => {
        if (!isObject(d)) fail(`weaknesses[${j}].description[${k}]`, 'expected an object {lang, value}');
        const v = str((d as Record<string, unknown>).value, `weaknesses[${j}].description[${k}].value`, 100) as string;
        if (!cwes.includes(v)) cwes.push(v);
      });
    });

    const references = array(cve.references, 'references', LIMITS.references).map((r, j): NvdReference => {
      if (!isObject(r)) fail(`references[${j}]`, 'expected an object {url, source, tags}');
      const ref = r as Record<string, unknown>;
      const tags = array(ref.tags, `references[${j}].tags`, LIMITS.tags).map((t, k) => str(t, `references[${j}].tags[${k}]`, 100) as string);
      return { url: str(ref.url, `references[${j}].url`, LIMITS.url) as string, source: str(ref.source, `references[${j}].source`, LIMITS.short, false), tags };
    });

    page.records.push({ id, published, lastModified, status, description, cvss, cwes, references });
  });
  return page;
}

const VERSION_RANK: Readonly<Record<CvssVersion, number>> = { '4.0': 0, '3.1': 1, '3.0': 2, '2.0': 3 };

/**
 * The headline score of a CVE: the NVD's own (Primary) scores before the
 * CNAs' (Secondary), and within each the newest CVSS version (4.0, 3.1, 3.0,
 * 2.0); the first listed on a tie. The severity is the stated score's on
 * that version's scale.
 */
export function nvdHeadline(cvss: readonly NvdCvss[]): { score: number; version: CvssVersion; severity: string } | null {
  let best: NvdCvss | null = null;
  const rank = (c: NvdCvss) => (c.type === 'Primary' ? 0 : 10) + VERSION_RANK[c.version];
  for (const c of cvss) if (best === null || rank(c) < rank(best)) best = c;
  return best && { score: best.score, version: best.version, severity: cvssSeverity(best.version, best.score).toLowerCase() };
}
