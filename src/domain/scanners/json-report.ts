import { field, formatPath, isArray, isNumber, isObject, isString, type JsonPath } from './json-stream.js';
import { type ReportFinding, type ReportSink, type ReportTarget, ScanFormatError, VULN_ID_RE } from './report.js';

/**
 * What the JSON scanner importers (Trivy, Grype, osv-scanner, SARIF) share:
 * handing findings on in batches, typed field readers that name the JSON
 * path of a bad value, text made safe to store, and vulnerability ids.
 */

/** Findings handed to the sink at a time: the importer merges the batches of one target by key. */
export const BATCH = 1000;
/**
 * Findings kept while a report has not yet named its target (Grype writes
 * `source` after `matches`): past this a report is refused rather than let
 * memory grow without bound. Kept as JSON text, a Grype finding takes about
 * 1 KB (200,000 of them measured 322 MB peak RSS for the whole parse).
 */
export const MAX_BUFFERED = 250_000;
/** Identifiers, names, versions: longer is a broken or hostile file. */
export const MAX_NAME = 4096;
export const MAX_TITLE = 1000;
export const MAX_OUTPUT = 64 * 1024;

/**
 * One report, one target: findings go to the sink in batches of BATCH once
 * the target is known, and are kept (normalised, not as file text) until it
 * is. `end` hands on the target even without findings, because a clean scan
 * of it is what lets the importer resolve what is no longer reported.
 */
export class TargetBatcher {
  private target: ReportTarget | null = null;
  private pending: ReportFinding[] = [];
  /** Findings kept before the target is known, as JSON text: a third of the memory of the objects. */
  private held: string[] = [];
  private handedOn = false;
  findings = 0;

  constructor(
    private readonly sink: ReportSink,
    private readonly size = BATCH,
  ) {}

  get hasTarget(): boolean {
    return this.target !== null;
  }

  async setTarget(target: ReportTarget): Promise<void> {
    this.target = target;
    for (let i = 0; i < this.held.length; i++) {
      this.pending.push(JSON.parse(this.held[i] as string) as ReportFinding);
      // Release each as it is handed on, so memory falls while the backlog drains.
      (this.held as (string | null)[])[i] = null;
      if (this.pending.length >= this.size) await this.flush(false);
    }
    this.held = [];
  }

  async add(finding: ReportFinding, where: string): Promise<void> {
    this.findings++;
    if (this.target) {
      this.pending.push(finding);
      if (this.pending.length >= this.size) await this.flush(false);
      return;
    }
    if (this.held.length >= MAX_BUFFERED) throw new ScanFormatError(`more than ${MAX_BUFFERED} findings before the report names what was scanned`, where);
    this.held.push(JSON.stringify(finding));
  }

  private async flush(all: boolean): Promise<void> {
    const target = this.target as ReportTarget;
    while (this.pending.length >= (all ? 1 : this.size)) {
      const batch = this.pending.splice(0, this.size);
      this.handedOn = true;
      await this.sink.target(target, batch);
    }
  }

  /** Hands on what is left; without a target there must be no findings. */
  async end(): Promise<void> {
    if (!this.target) {
      if (this.held.length) throw new ScanFormatError(`${this.held.length} findings but no scanned target named in the report`);
      return;
    }
    await this.flush(true);
    if (!this.handedOn) {
      this.handedOn = true;
      await this.sink.target(this.target, []);
    }
  }
}

/** Skipped items counted by reason, reported once each at the end. */
export class Skips {
  private readonly counts = new Map<string, number>();
  add(reason: string, n = 1): void {
    this.counts.set(reason, (this.counts.get(reason) ?? 0) + n);
  }
  report(sink: ReportSink): void {
    for (const [reason, n] of this.counts) sink.skip(reason, n);
  }
}

// NUL cannot be stored in PostgreSQL text, and control characters in names make keys that look equal but are not.
// biome-ignore lint/suspicious/noControlCharactersInRegex: removing them is the point
const CONTROL = /[\u0000-\u001f\u007f-\u009f]/g;
// biome-ignore lint/suspicious/noControlCharactersInRegex: removing them is the point
const CONTROL_BUT_LINES = /[\u0000-\u0008\u000b\u000c\u000e-\u001f\u007f]/g;

/** An identifier, name or version: control characters removed, trimmed; null when absent or empty. Longer than max is an error naming the path. */
export function nameValue(v: unknown, where: JsonPath, max = MAX_NAME): string | null {
  if (v === undefined || v === null) return null;
  if (!isString(v)) throw new ScanFormatError('must be a string', formatPath(where));
  if (v.length > max) throw new ScanFormatError(`longer than ${max} characters`, formatPath(where));
  return v.replace(CONTROL, '').trim() || null;
}

/** obj[key] read with nameValue; obj must be an object. */
export function name(obj: unknown, key: string, path: JsonPath, max = MAX_NAME): string | null {
  if (!isObject(obj)) throw new ScanFormatError('expected an object', formatPath(path));
  return nameValue(obj[key], [...path, key], max);
}

/** Free text (a title, a message): line breaks kept, cut at max characters. */
export function prose(obj: unknown, key: string, path: JsonPath, max: number): string | null {
  const v = field(obj, key, path, isString, 'a string');
  return v === undefined ? null : cut(v, max);
}

export function cut(s: string, max: number): string | null {
  const t = s.replace(CONTROL_BUT_LINES, '').trim();
  if (!t) return null;
  return t.length > max ? `${t.slice(0, max)}… [${t.length - max} more characters]` : t;
}

export const object = (obj: unknown, key: string, path: JsonPath) => field(obj, key, path, isObject, 'an object');
export const list = (obj: unknown, key: string, path: JsonPath): unknown[] => field(obj, key, path, isArray, 'an array') ?? [];

/** A list of strings (ids, aliases, fixed versions); other entries are an error naming their index. */
export function names(obj: unknown, key: string, path: JsonPath, max = MAX_NAME): string[] {
  return list(obj, key, path)
    .map((v, i) => nameValue(v, [...path, key, i], max))
    .filter((v): v is string => v !== null);
}

/** A CVSS base score given as a number or a numeric string ("7.5"); out of 0–10 or not numeric is null. */
export function score(obj: unknown, key: string, path: JsonPath): number | null {
  if (!isObject(obj)) throw new ScanFormatError('expected an object', formatPath(path));
  const v = obj[key];
  if (v === undefined || v === null || v === '') return null;
  if (!isString(v) && !isNumber(v)) throw new ScanFormatError('must be a number', formatPath([...path, key]));
  const n = isNumber(v) ? v : /^\s*\d+(\.\d+)?\s*$/.test(v) ? Number(v) : Number.NaN;
  return Number.isFinite(n) && n >= 0 && n <= 10 ? n : null;
}

const CVE = /\bCVE-\d{4}-\d{4,}\b/i;
const GHSA = /\bGHSA(?:-[0-9a-z]{4}){3}\b/i;

export const isCve = (id: string) => /^CVE-\d{4}-\d{4,}$/i.test(id);

/** The CVE or else the GHSA id written somewhere in s (a rule id, a URL, a tag), normalised; null when none. */
export function advisoryIdIn(s: string | null | undefined): string | null {
  if (!s) return null;
  const cve = CVE.exec(s);
  if (cve) return cve[0].toUpperCase();
  const ghsa = GHSA.exec(s);
  return ghsa ? `GHSA${ghsa[0].slice(4).toLowerCase()}` : null;
}

/**
 * The register is keyed by CVE where one exists: of several ids naming one
 * vulnerability (a GHSA and its CVE, a distribution advisory), the first CVE
 * is the id and the others are aliases; without a CVE, the first id.
 */
export function canonicalId(ids: string[]): { id: string | null; aliases: string[] } {
  const usable = [...new Set(ids.map((i) => i.trim()).filter((i) => VULN_ID_RE.test(i)))];
  const id = usable.find(isCve) ?? usable[0] ?? null;
  return { id, aliases: usable.filter((i) => i !== id) };
}

/** "repo@sha256:…" or "sha256:…" → "sha256:…"; anything else null. */
export function imageDigestOf(ref: string | null | undefined): string | null {
  const m = ref ? /(?:^|@)(sha256:[0-9a-f]{64})$/.exec(ref.trim()) : null;
  return m ? (m[1] as string) : null;
}
