import { pipeline, Readable } from 'node:stream';
import { CsvError, parse } from 'csv-parse';
import { packageOfPurl, SkipLog } from './vex-shared.js';
import { cut } from './json-report.js';
import { isIpAddress } from './xml-stream.js';
import { type ReportFinding, type ReportInput, type ReportPackage, type ReportParser, type ReportTarget, ScanFormatError, type Severity, severityOfScore, severityWord, VULN_ID_RE } from './report.js';

/**
 * Findings from a CSV file (issue #5, VUL-2): one row per finding, columns
 * named by the user's mapping (patchloop field → column header) or found by
 * their usual names. Read as a stream through csv-parse; consecutive rows of
 * the same target are handed on together in bounded batches, so the file is
 * never held (the importer merges a target handed on more than once).
 * The delimiter (, ; tab |) is the one the header line uses most.
 */

export const CSV_FIELDS = ['host', 'fqdn', 'address', 'agentId', 'image', 'vulnerability', 'severity', 'cvss', 'package', 'version', 'fixedVersion', 'ecosystem', 'title', 'location', 'output'] as const;
export type CsvField = (typeof CSV_FIELDS)[number];
/** Field → column index in the header. */
export type CsvColumns = Partial<Record<CsvField, number>>;

const TARGET_FIELDS: CsvField[] = ['host', 'fqdn', 'address', 'agentId', 'image'];
export const MAX_ROWS = 1_000_000;
export const MAX_CELL = 64 * 1024;
/** csv-parse holds a whole record before handing it on; a longer one is a broken or hostile file. */
const MAX_RECORD = 16 * 1024 * 1024;
const BATCH = 1000;

/** Usual header names, compared without case, spaces or punctuation. */
const SYNONYMS: Record<CsvField, string[]> = {
  host: ['host', 'hostname', 'host name'],
  fqdn: ['fqdn', 'dns name'],
  address: ['address', 'ip', 'ip address', 'ipv4', 'ipv6'],
  agentId: ['agent id'],
  image: ['image', 'image digest', 'digest'],
  vulnerability: ['vulnerability', 'vulnerability id', 'cve', 'cve id', 'cves'],
  severity: ['severity', 'risk'],
  cvss: ['cvss', 'cvss score', 'cvss3 base score', 'cvss v3.0 base score', 'cvss base score'],
  package: ['package', 'package name'],
  version: ['version', 'installed version'],
  fixedVersion: ['fixed version', 'fixed in'],
  ecosystem: ['ecosystem', 'package type'],
  title: ['title', 'name', 'plugin name', 'summary'],
  location: ['location', 'port', 'path'],
  output: ['output', 'plugin output'],
};

// biome-ignore lint/suspicious/noControlCharactersInRegex: removing them is the point (NUL cannot be stored, others make look-alike keys)
const CONTROL = /[\u0000-\u001f\u007f-\u009f]/g;

const norm = (s: string) => s.toLowerCase().replace(/[^a-z0-9]/g, '');

/**
 * Which column holds each field. A mapping names columns for some fields
 * (header text, compared exactly, then without case and punctuation); the
 * others are found by their usual names among the columns left.
 */
export function resolveCsvMapping(headers: string[], mapping?: Record<string, string> | null): CsvColumns {
  const columns: CsvColumns = {};
  const used = new Set<number>();
  const names = headers.map((h) => h.trim());
  const listed = () => names.slice(0, 30).map((h) => `"${h.slice(0, 60)}"`).join(', ') + (names.length > 30 ? ', …' : '');
  for (const [key, column] of Object.entries(mapping ?? {})) {
    if (!(CSV_FIELDS as readonly string[]).includes(key)) throw new ScanFormatError(`the column mapping names an unknown field "${key.slice(0, 60)}" (fields: ${CSV_FIELDS.join(', ')})`, 'column mapping');
    if (typeof column !== 'string' || !column.trim()) throw new ScanFormatError(`the column mapping for ${key} must name a column`, 'column mapping');
    let i = names.indexOf(column.trim());
    if (i < 0) i = names.findIndex((h) => norm(h) === norm(column));
    if (i < 0) throw new ScanFormatError(`the column mapping names column "${column.slice(0, 60)}" for ${key}, but the file has no such column (columns: ${listed()})`, 'row 1');
    columns[key as CsvField] = i;
    used.add(i);
  }
  for (const f of CSV_FIELDS) {
    if (columns[f] !== undefined) continue;
    const wanted = new Set([norm(f), ...SYNONYMS[f].map(norm)]);
    const i = names.findIndex((h, j) => !used.has(j) && wanted.has(norm(h)));
    if (i >= 0) {
      columns[f] = i;
      used.add(i);
    }
  }
  if (columns.vulnerability === undefined) throw new ScanFormatError(`no vulnerability column: map "vulnerability" to a column, or name one "CVE" or "Vulnerability" (columns: ${listed()})`, 'row 1');
  if (TARGET_FIELDS.every((f) => columns[f] === undefined)) throw new ScanFormatError(`no host column: map host, address, fqdn, agentId or image to a column, or name one "Host" or "IP" (columns: ${listed()})`, 'row 1');
  return columns;
}

/** The input as UTF-8 text. */
async function* utf8(input: ReportInput): AsyncGenerator<string> {
  const decoder = new TextDecoder('utf-8', { fatal: true });
  let bytes = 0;
  const decode = (chunk?: Uint8Array) => {
    try {
      return chunk ? decoder.decode(chunk, { stream: true }) : decoder.decode();
    } catch {
      throw new ScanFormatError('the file is not UTF-8 text', `byte ${bytes}`);
    }
  };
  for await (const chunk of input as AsyncIterable<string | Uint8Array>) {
    const s = typeof chunk === 'string' ? chunk : decode(chunk);
    bytes += typeof chunk === 'string' ? Buffer.byteLength(chunk) : chunk.byteLength;
    if (s) yield s;
  }
  if (bytes === 0) throw new ScanFormatError('the file is empty');
  const tail = decode();
  if (tail) yield tail;
}

function delimiterOf(line: string): string {
  const unquoted = line.replace(/"[^"]*("|$)/g, '');
  let best = ',';
  let most = 0;
  for (const d of [',', ';', '\t', '|']) {
    const n = unquoted.split(d).length - 1;
    if (n > most) [best, most] = [d, n];
  }
  return best;
}

/** One row's cells by field (a class, not closures: a million rows make a million of them). */
class RowCells {
  constructor(
    private readonly record: string[],
    readonly row: number,
    private readonly columns: CsvColumns,
    private readonly headers: string[],
  ) {}

  where(f: CsvField): string {
    return `row ${this.row}, column "${(this.headers[this.columns[f] as number] ?? f).slice(0, 60)}"`;
  }

  /** Free text, line breaks kept. Plugin output is cut, as the Nessus importer cuts it; any other cell that long is not what its column says. */
  text(f: CsvField): string {
    const i = this.columns[f];
    const v = i === undefined ? '' : (this.record[i] ?? '');
    if (v.length > MAX_CELL && f !== 'output') throw new ScanFormatError(`a cell longer than ${MAX_CELL} characters`, this.where(f));
    return v;
  }

  /** A name or identifier: control characters removed, trimmed. */
  get(f: CsvField): string {
    const v = this.text(f);
    return v ? v.replace(CONTROL, '').trim() : '';
  }
}

function finding(cells: RowCells, id: string, severity: Severity | null, cvss: number | null): ReportFinding {
  const name = cells.get('package');
  let pkg: ReportPackage | null = null;
  if (name) {
    const fromPurl = name.startsWith('pkg:') ? packageOfPurl(name) : null;
    pkg = fromPurl ?? { ecosystem: cells.get('ecosystem').toLowerCase() || null, name, version: null };
    pkg.version = cells.get('version') || pkg.version || null;
    pkg.fixedVersion = cells.get('fixedVersion') || null;
  }
  const location = cells.get('location') || null;
  return { vulnerabilityId: id, severity, cvssScore: cvss, package: pkg, title: cut(cells.text('title'), 1000), location, output: cut(cells.text('output'), MAX_CELL), sourceKey: location ?? '' };
}

function targetOf(cells: RowCells): ReportTarget | null {
  const [host, fqdn, address, agentId, image] = TARGET_FIELDS.map((f) => cells.get(f));
  const key = [agentId, fqdn, host, address, image].join('|');
  if (key === '||||') return null;
  const digest = /sha256:[0-9a-f]{64}/.exec(image ?? '')?.[0] ?? null;
  const isImage = !host && !fqdn && !address && !agentId;
  const addresses = address ? address.split(/[\s,;]+/).filter(Boolean) : [];
  // Exports such as Nessus's put an address in "Host" when the scan had no name for it.
  const hostIsAddress = !!host && isIpAddress(host);
  if (hostIsAddress && !addresses.includes(host as string)) addresses.push(host as string);
  return {
    key,
    kind: isImage ? 'image' : 'host',
    name: (host || fqdn || address || agentId || image) as string,
    hostname: (!hostIsAddress && host) || null,
    fqdn: fqdn || null,
    addresses,
    agentId: agentId || null,
    imageDigest: digest,
  };
}

export const csvReport: ReportParser = async (input, sink, options) => {
  const text = utf8(input)[Symbol.asyncIterator]();
  const head: string[] = [];
  let peeked = '';
  while (!/[\r\n]/.test(peeked) && peeked.length < MAX_RECORD) {
    const next = await text.next();
    if (next.done) break;
    head.push(next.value);
    peeked += next.value;
  }
  const delimiter = delimiterOf(peeked.replace(/^\uFEFF/, '').split(/\r?\n|\r/)[0] ?? '');
  const parser = parse({ delimiter, bom: true, max_record_size: MAX_RECORD, skip_empty_lines: true });
  const source = Readable.from(
    (async function* () {
      yield* head.splice(0);
      for (let next = await text.next(); !next.done; next = await text.next()) yield next.value;
    })(),
  );
  pipeline(source, parser, () => {
    // Errors reach the loop below through the parser; a premature close after a failure there is expected.
  });

  let columns: CsvColumns | null = null;
  let headers: string[] = [];
  let row = 0;
  let current: ReportTarget | null = null;
  let batch: ReportFinding[] = [];
  const skips = new SkipLog(sink);
  const flush = async () => {
    if (current && batch.length) await sink.target(current, batch);
    batch = [];
  };
  try {
    for await (const record of parser as AsyncIterable<string[]>) {
      row++;
      if (!columns) {
        headers = record;
        columns = resolveCsvMapping(headers, options?.csvMapping);
        continue;
      }
      if (row > MAX_ROWS + 1) throw new ScanFormatError(`more than ${MAX_ROWS} rows`, `row ${row}`);
      const cells = new RowCells(record, row, columns, headers);
      const ids = cells.get('vulnerability').split(/\s*[,;\n]\s*/).filter(Boolean);
      if (ids.length === 0) {
        skips.add(`row ${row}`, 'no vulnerability id');
        continue;
      }
      for (const id of ids) {
        if (!VULN_ID_RE.test(id)) throw new ScanFormatError(`"${id.slice(0, 60)}" is not a vulnerability id (CVE-…, GHSA-…: letters, digits and . _ : / + -)`, cells.where('vulnerability'));
      }
      const sevText = cells.get('severity');
      const severity = sevText ? severityWord(sevText) : null;
      if (sevText && !severity) throw new ScanFormatError(`"${sevText.slice(0, 40)}" is not a severity (critical, high, medium, low, info)`, cells.where('severity'));
      const cvssText = cells.get('cvss').replace(/^(\d+),(\d+)$/, '$1.$2');
      const cvss = cvssText ? Number(cvssText) : null;
      if (cvss !== null && !(Number.isFinite(cvss) && cvss >= 0 && cvss <= 10)) throw new ScanFormatError(`"${cvssText.slice(0, 40)}" is not a CVSS score between 0 and 10`, cells.where('cvss'));
      const target = targetOf(cells);
      if (!target) {
        skips.add(`row ${row}`, 'no host, address, fqdn, agent id or image');
        continue;
      }
      if (current?.key !== target.key || batch.length >= BATCH) await flush();
      current = target;
      for (const id of ids) batch.push(finding(cells, id, severity ?? severityOfScore(cvss), cvss));
    }
  } catch (err) {
    parser.destroy();
    if (err instanceof ScanFormatError) throw err;
    if (err instanceof CsvError) {
      const e = err as CsvError & { lines?: unknown };
      const msg = (e.message ?? '').replace(/ (at|on) line \d+\.?$/, '');
      throw new ScanFormatError(`not valid CSV: ${msg}`, typeof e.lines === 'number' ? `line ${e.lines}` : `row ${row + 1}`);
    }
    throw err;
  }
  await flush();
  skips.end();
  if (!columns) throw new ScanFormatError('the file has no header row');
  return { format: 'csv', scanner: 'CSV', reportName: null, scannedAt: null };
};
