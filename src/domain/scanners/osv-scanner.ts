import { comparatorFor, type Ecosystem, ECOSYSTEMS } from '../versions/index.js';
import { ecosystemOfOsv } from './ecosystems.js';
import { formatPath, isObject, type JsonPath, streamJson } from './json-stream.js';
import { canonicalId, cut, list, MAX_BUFFERED, MAX_TITLE, name, names, object, prose, Skips, score, TargetBatcher } from './json-report.js';
import { type ReportFinding, type ReportInput, type ReportParser, type ReportTarget, ScanFormatError, type Severity, severityOfScore, severityWord } from './report.js';

/**
 * osv-scanner JSON reports (issue #5): `{results[] {source {path, type},
 * packages[] {package {name, version, ecosystem}, vulnerabilities[] (OSV
 * records), groups[] {ids, aliases, max_severity}}}}`. One finding per group
 * (osv-scanner's own grouping of the records that name one vulnerability),
 * or per record in reports from before groups existed.
 *
 * One report is one target, named by the common directory of its sources
 * (the project that was scanned; "/work/app" for /work/app/package-lock.json
 * and /work/app/web/yarn.lock): an application, or a host when every source
 * is an operating system's package database. That name is known only when
 * all sources are read, so the findings, normalised, are kept until the end
 * of the file; each package is read on its own (`$.results.*.packages.*`).
 */

const PATHS = ['$.results.*.source', '$.results.*.packages.*'];
/** Package databases osv-scanner reads on a host or image: their findings are the host's. */
const OS_DATABASES = /(^|\/)(var\/lib\/dpkg\/status|lib\/apk\/db\/installed|var\/lib\/rpm\/(Packages|Packages\.db|rpmdb\.sqlite)|usr\/lib\/sysimage\/rpm\/rpmdb\.sqlite)$/;
/** osv-scanner writes `results` first; an empty report is known only by it. */
const EMPTY_REPORT = /^\s*\{\s*"results"\s*:\s*\[/;
const HEAD = 4096;

interface Source {
  path: string;
  type: string | null;
}

type Candidate = { introduced: string | null; fixed: string; cmp: ((a: string, b: string) => number) | null };

/**
 * The version that fixes `version` of the package, from the records'
 * affected ranges: the lowest `fixed` above the installed version in a
 * range that starts at or below it, when the versions can be ordered
 * (SEMVER ranges, or an ecosystem patchloop orders); otherwise the first
 * `fixed` event named for the package.
 */
export function fixedVersionFor(records: Record<string, unknown>[], pkg: { name: string; ecosystem: string | null; version: string | null }, at: JsonPath): string | null {
  const base = (e: string | null) => (e ?? '').split(':')[0]?.trim().toLowerCase();
  const ours = ecosystemOfOsv(pkg.ecosystem);
  const candidates: Candidate[] = [];
  for (const rec of records) {
    for (const [i, aff] of list(rec, 'affected', at).entries()) {
      const aAt = [...at, 'affected', i];
      const p = object(aff, 'package', aAt);
      if (!p || name(p, 'name', [...aAt, 'package']) !== pkg.name || base(name(p, 'ecosystem', [...aAt, 'package'], 200)) !== base(pkg.ecosystem)) continue;
      for (const [j, range] of list(aff, 'ranges', aAt).entries()) {
        const rAt = [...aAt, 'ranges', j];
        const type = name(range, 'type', rAt, 50);
        if (type === 'GIT') continue;
        const eco: Ecosystem | null = type === 'SEMVER' ? 'npm' : ours && (ECOSYSTEMS as readonly string[]).includes(ours) ? (ours as Ecosystem) : null;
        const cmp = eco ? comparatorFor(eco) : null;
        let introduced: string | null = null;
        for (const [k, ev] of list(range, 'events', rAt).entries()) {
          const eAt = [...rAt, 'events', k];
          introduced = name(ev, 'introduced', eAt, 500) ?? introduced;
          const fixed = name(ev, 'fixed', eAt, 500);
          if (fixed) candidates.push({ introduced, fixed, cmp });
        }
      }
    }
  }
  if (!candidates.length) return null;
  const v = pkg.version;
  let best: Candidate | null = null;
  for (const c of candidates) {
    if (!v || !c.cmp) continue;
    try {
      const started = c.introduced === null || c.introduced === '0' || c.cmp(c.introduced, v) <= 0;
      if (started && c.cmp(v, c.fixed) < 0 && (!best || (best.cmp as NonNullable<Candidate['cmp']>)(c.fixed, best.fixed) < 0)) best = c;
    } catch {
      // A version the ecosystem's grammar rejects: this range cannot be placed.
    }
  }
  return (best ?? candidates[0])?.fixed ?? null;
}

/** The longest directory the sources share: lockfiles and SBOMs by their directory, other sources (a git checkout) as they are. */
export function commonDirectory(sources: Source[]): string | null {
  if (!sources.length) return null;
  const dirs = sources.map((s) => {
    const parts = s.path.replace(/\\/g, '/').split('/');
    if (!s.type || s.type === 'lockfile' || s.type === 'sbom' || s.type === 'os') parts.pop();
    return parts;
  });
  const first = dirs[0] as string[];
  let n = 0;
  while (n < first.length && dirs.every((d) => d[n] === first[n])) n++;
  const common = first.slice(0, n).join('/');
  return common || (first[0] === '' ? '/' : '.');
}

function groupsOf(p: Record<string, unknown>, records: Record<string, unknown>[], at: JsonPath) {
  const groups = list(p, 'groups', at);
  if (!groups.length) {
    return records.map((r, i) => {
      const id = name(r, 'id', [...at, 'vulnerabilities', i], 200);
      return { ids: id ? [id] : [], aliases: names(r, 'aliases', [...at, 'vulnerabilities', i], 200), maxSeverity: null as number | null };
    });
  }
  return groups.map((g, i) => {
    const gAt = [...at, 'groups', i];
    if (!isObject(g)) throw new ScanFormatError('must be an object', formatPath(gAt));
    return { ids: names(g, 'ids', gAt, 200), aliases: names(g, 'aliases', gAt, 200), maxSeverity: score(g, 'max_severity', gAt) };
  });
}

function packageFindings(p: unknown, at: JsonPath, skips: Skips): Omit<ReportFinding, 'sourceKey'>[] {
  if (!isObject(p)) throw new ScanFormatError('a package must be an object', formatPath(at));
  const pkg = object(p, 'package', at);
  if (!pkg) throw new ScanFormatError('an entry without package', formatPath(at));
  const pAt = [...at, 'package'];
  const pkgName = name(pkg, 'name', pAt);
  const osvEcosystem = name(pkg, 'ecosystem', pAt, 200);
  const version = name(pkg, 'version', pAt);
  const records = list(p, 'vulnerabilities', at).map((r, i) => {
    if (!isObject(r)) throw new ScanFormatError('must be an object', formatPath([...at, 'vulnerabilities', i]));
    return { r, id: name(r, 'id', [...at, 'vulnerabilities', i], 200), at: [...at, 'vulnerabilities', i] };
  });
  const out: Omit<ReportFinding, 'sourceKey'>[] = [];
  for (const g of groupsOf(p, records.map((x) => x.r), at)) {
    const { id, aliases } = canonicalId([...g.ids, ...g.aliases]);
    if (!id) {
      skips.add('a group without a usable vulnerability id');
      continue;
    }
    const mine = records.filter((x) => x.id !== null && g.ids.includes(x.id));
    let severity: Severity | null = severityOfScore(g.maxSeverity);
    const vectors: Record<string, string> = {};
    for (const { r, at: rAt } of mine) {
      const db = object(r, 'database_specific', rAt);
      severity ??= db ? severityWord(name(db, 'severity', [...rAt, 'database_specific'], 50)) : null;
      for (const [k, s] of list(r, 'severity', rAt).entries()) {
        const type = name(s, 'type', [...rAt, 'severity', k], 50) ?? '';
        const value = name(s, 'score', [...rAt, 'severity', k], 400);
        if (type === 'Ubuntu') severity ??= severityWord(value);
        else if (value) vectors[type] ??= value;
      }
    }
    // v3 before v4, as for the other scanners: the register's scores are v3 where known.
    const vector = vectors.CVSS_V3 ?? vectors.CVSS_V4 ?? null;
    const first = mine[0];
    const title = first ? (prose(first.r, 'summary', first.at, 1024 * 1024) ?? prose(first.r, 'details', first.at, 1024 * 1024)?.split('\n').find((l) => /\w/.test(l)) ?? null) : null;
    out.push({
      vulnerabilityId: id,
      ...(aliases.length ? { aliases } : {}),
      title: title ? cut(title, MAX_TITLE) : null,
      severity,
      cvssScore: g.maxSeverity,
      cvssVector: vector,
      package: pkgName
        ? {
            ecosystem: ecosystemOfOsv(osvEcosystem),
            name: pkgName,
            version,
            fixedVersion: fixedVersionFor(
              mine.map((x) => x.r),
              { name: pkgName, ecosystem: osvEcosystem, version },
              mine[0]?.at ?? at,
            ),
            purl: null,
          }
        : null,
    });
  }
  return out;
}

/** Passes the input through, keeping its first HEAD characters. */
async function* keepHead(input: ReportInput, head: { text: string }): AsyncGenerator<string | Uint8Array> {
  const decoder = new TextDecoder();
  for await (const chunk of input as AsyncIterable<string | Uint8Array>) {
    if (head.text.length < HEAD) head.text += typeof chunk === 'string' ? chunk.slice(0, HEAD) : decoder.decode(chunk.subarray(0, HEAD), { stream: true });
    yield chunk;
  }
}

export const osvScannerReport: ReportParser = async (input, sink) => {
  const sources = new Map<number, Source>();
  // Kept as JSON text until every source is read (a third of the memory of the objects).
  const found: { json: string; result: number }[] = [];
  const skips = new Skips();
  const head = { text: '' };
  let seen = false;

  await streamJson(keepHead(input, head), PATHS, async (value, path) => {
    seen = true;
    const result = path[1] as number;
    if (path[2] === 'source') {
      if (!isObject(value)) throw new ScanFormatError('must be an object', formatPath(path));
      const p = name(value, 'path', path);
      if (p) sources.set(result, { path: p, type: name(value, 'type', path, 50) });
    } else {
      for (const f of packageFindings(value, path, skips)) found.push({ json: JSON.stringify(f), result });
      if (found.length > MAX_BUFFERED) throw new ScanFormatError(`more than ${MAX_BUFFERED} findings in one osv-scanner report`, formatPath(path));
    }
  });
  if (!seen && !EMPTY_REPORT.test(head.text)) {
    throw new ScanFormatError('expected an osv-scanner JSON report: an object whose first key is results (a list of {source, packages})', '$');
  }
  const all = [...sources.values()];
  const dir = commonDirectory(all);
  const host = all.length > 0 && all.every((s) => s.type === 'os' || OS_DATABASES.test(s.path.replace(/\\/g, '/')));
  const target: ReportTarget | null = dir || found.length ? { key: dir ?? 'osv-scanner', kind: host ? 'host' : 'application', name: dir ?? 'osv-scanner' } : null;
  const batcher = new TargetBatcher(sink);
  if (target) await batcher.setTarget(target);
  for (const [i, { json, result }] of found.entries()) {
    const source = sources.get(result)?.path ?? null;
    await batcher.add({ ...(JSON.parse(json) as Omit<ReportFinding, 'sourceKey'>), sourceKey: source ?? '', location: source }, `$.results[${result}]`);
    (found as unknown[])[i] = null;
  }
  await batcher.end();
  skips.report(sink);
  return { format: 'osv-scanner', scanner: 'osv-scanner', reportName: target?.name ?? null, scannedAt: null };
};
