import { ecosystemOfGrypeType, ecosystemOfPurl } from './ecosystems.js';
import { formatPath, isObject, type JsonPath, streamJson } from './json-stream.js';
import { canonicalId, cut, imageDigestOf, list, name, names, nameValue, object, prose, Skips, score, TargetBatcher } from './json-report.js';
import { type ReportFinding, type ReportParser, type ReportTarget, ScanFormatError, severityWord } from './report.js';

/**
 * Grype JSON reports (issue #5): `{matches[] {vulnerability, relatedVulnerabilities,
 * matchDetails, artifact}, ignoredMatches[], source {type, target}, distro,
 * descriptor {name, version, timestamp}}`. Matches are read one at a time.
 *
 * Grype writes `source` (what was scanned) after `matches`, so the target is
 * not known while the matches are read: they are kept, normalised (a few
 * hundred bytes each, not the file text), and handed on at the end. A file
 * that gives source and distro first is handed on in batches as it is read.
 *
 * The register is keyed by CVE where one exists: a match on a GHSA or a
 * distribution advisory whose relatedVulnerabilities names a CVE is recorded
 * under the CVE, with the original id as an alias.
 */

const PATHS = ['$.matches.*', '$.ignoredMatches.*', '$.source', '$.distro', '$.descriptor.name', '$.descriptor.version', '$.descriptor.timestamp'];

interface Cvss {
  score: number | null;
  vector: string | null;
}

/** v3 before v4 (the register's scores are v3 where known), the Primary (NVD) entry before others; v2 is not kept. */
function pickCvss(entries: { list: unknown[]; at: JsonPath }[]): Cvss {
  for (const major of ['3', '4']) {
    let found: Cvss | null = null;
    for (const { list: cvss, at } of entries) {
      for (const [i, c] of cvss.entries()) {
        const where = [...at, i];
        if (!isObject(c)) throw new ScanFormatError('must be an object', formatPath(where));
        if (!name(c, 'version', where, 20)?.startsWith(major)) continue;
        const metrics = object(c, 'metrics', where);
        const got = { score: metrics ? score(metrics, 'baseScore', [...where, 'metrics']) : null, vector: name(c, 'vector', where, 400) };
        if (name(c, 'type', where, 50) === 'Primary') return got;
        found ??= got;
      }
    }
    if (found) return found;
  }
  return { score: null, vector: null };
}

function match(m: unknown, at: JsonPath, skips: Skips): ReportFinding | null {
  if (!isObject(m)) throw new ScanFormatError('a match must be an object', formatPath(at));
  const vuln = object(m, 'vulnerability', at);
  const artifact = object(m, 'artifact', at);
  if (!vuln) throw new ScanFormatError('a match without vulnerability', formatPath(at));
  if (!artifact) throw new ScanFormatError('a match without artifact', formatPath(at));
  const vAt = [...at, 'vulnerability'];
  const aAt = [...at, 'artifact'];
  const given = name(vuln, 'id', vAt, 200);
  if (!given) {
    skips.add('a match without vulnerability id');
    return null;
  }
  const related = list(m, 'relatedVulnerabilities', at).map((r, i) => {
    const rAt = [...at, 'relatedVulnerabilities', i];
    if (!isObject(r)) throw new ScanFormatError('must be an object', formatPath(rAt));
    return { id: name(r, 'id', rAt, 200), cvss: list(r, 'cvss', rAt), at: [...rAt, 'cvss'] };
  });
  const { id, aliases } = canonicalId([given, ...related.map((r) => r.id).filter((r): r is string => r !== null)]);
  if (!id) {
    skips.add('a vulnerability id that is not usable (spaces, control characters or over 100 characters)');
    return null;
  }
  // The matched record's scores first, then those of the record the finding is filed under, then the rest.
  const byRelevance = [...related.filter((r) => r.id === id), ...related.filter((r) => r.id !== id)];
  const cvss = pickCvss([{ list: list(vuln, 'cvss', vAt), at: [...vAt, 'cvss'] }, ...byRelevance.map((r) => ({ list: r.cvss, at: r.at }))]);
  const fix = object(vuln, 'fix', vAt);
  const fixed = fix ? (names(fix, 'versions', [...vAt, 'fix'])[0] ?? null) : null;
  const state = fix ? name(fix, 'state', [...vAt, 'fix'], 50) : null;
  const purl = name(artifact, 'purl', aAt);
  const pkgName = name(artifact, 'name', aAt);
  const paths = list(artifact, 'locations', aAt)
    .map((l, i) => (isObject(l) ? name(l, 'path', [...aAt, 'locations', i]) : nameValue(l, [...aAt, 'locations', i])))
    .filter((p): p is string => p !== null);
  const how = [
    ...new Set(
      list(m, 'matchDetails', at).map((d, i) => {
        const dAt = [...at, 'matchDetails', i];
        if (!isObject(d)) throw new ScanFormatError('must be an object', formatPath(dAt));
        return name(d, 'type', dAt, 100);
      }),
    ),
  ].filter(Boolean);
  // How Grype matched (a CPE match is the usual false positive) and the fix state are what a reviewer checks.
  const output = [how.length ? `matched by ${how.join(', ')}` : null, state ? `fix state: ${state}` : null].filter(Boolean).join('; ') || null;
  const description = prose(vuln, 'description', vAt, 1024 * 1024);
  return {
    vulnerabilityId: id,
    ...(aliases.length ? { aliases } : {}),
    title: description ? cut(description.split(/\n/)[0] as string, 300) : null,
    severity: severityWord(name(vuln, 'severity', vAt, 50)),
    cvssScore: cvss.score,
    cvssVector: cvss.vector,
    package: pkgName
      ? { ecosystem: ecosystemOfGrypeType(name(artifact, 'type', aAt, 100)) ?? ecosystemOfPurl(purl), name: pkgName, version: name(artifact, 'version', aAt), fixedVersion: fixed, purl }
      : null,
    sourceKey: paths[0] ?? '',
    location: paths.length ? cut(paths.join(', '), 1000) : null,
    output,
  };
}

export const grypeReport: ReportParser = async (input, sink) => {
  let source: Record<string, unknown> | null = null;
  let distro: Record<string, unknown> | null = null;
  let tool: string | null = null;
  let version: string | null = null;
  let timestamp: string | null = null;
  let matches = 0;
  const batcher = new TargetBatcher(sink);
  const skips = new Skips();

  const targetOf = (): ReportTarget => {
    const s = source as Record<string, unknown>;
    const type = name(s, 'type', ['source'], 100);
    const t = s.target;
    const tAt = ['source', 'target'];
    const os = distro ? [name(distro, 'name', ['distro'], 100), name(distro, 'version', ['distro'], 100)].filter(Boolean).join(' ') || null : null;
    if (type === 'image') {
      if (!isObject(t)) throw new ScanFormatError('an image source must be an object', formatPath(tAt));
      const digest = names(t, 'repoDigests', tAt).map(imageDigestOf).find((d) => d !== null) ?? imageDigestOf(name(t, 'manifestDigest', tAt));
      const label = name(t, 'userInput', tAt) ?? names(t, 'tags', tAt)[0] ?? name(t, 'imageID', tAt);
      if (!label) throw new ScanFormatError('an image source without userInput, tags or imageID', formatPath(tAt));
      return { key: label, kind: 'image', name: label, imageDigest: digest, os };
    }
    // Old Grype wrote a directory target as a quoted string ("\".\""); newer as {path}.
    const raw = isObject(t) ? (name(t, 'userInput', tAt) ?? name(t, 'path', tAt) ?? name(t, 'name', tAt)) : nameValue(t, tAt);
    const label = raw?.replace(/^"(.*)"$/, '$1') || type || 'grype';
    // A directory in which Grype found a distribution is a root filesystem: a host.
    return { key: label, kind: os ? 'host' : 'application', name: label, os };
  };

  await streamJson(input, PATHS, async (value, path) => {
    const at = formatPath(path);
    if (path[0] === 'matches') {
      matches++;
      if (!batcher.hasTarget && source && distro) await batcher.setTarget(targetOf());
      const f = match(value, path, skips);
      if (f) await batcher.add(f, at);
    } else if (path[0] === 'ignoredMatches') skips.add('ignored by the Grype configuration');
    else if (at === '$.source') {
      if (!isObject(value)) throw new ScanFormatError('must be an object', at);
      source = value;
    } else if (at === '$.distro') {
      if (!isObject(value)) throw new ScanFormatError('must be an object', at);
      distro = value;
    } else if (at === '$.descriptor.name') tool = nameValue(value, path, 100);
    else if (at === '$.descriptor.version') version = nameValue(value, path, 100);
    else if (at === '$.descriptor.timestamp') timestamp = nameValue(value, path, 100);
  });
  if (!source) {
    if (matches === 0 && (tool as string | null)?.toLowerCase() !== 'grype') throw new ScanFormatError('expected a Grype JSON report: an object with matches, source and descriptor; this one has none of them', '$');
    throw new ScanFormatError('a Grype report without source: what was scanned is not named', '$.source');
  }
  const target = targetOf();
  if (!batcher.hasTarget) await batcher.setTarget(target);
  await batcher.end();
  skips.report(sink);
  return {
    format: 'grype',
    scanner: version ? `Grype ${version}` : 'Grype',
    reportName: target.name,
    scannedAt: timestamp && !Number.isNaN(Date.parse(timestamp)) ? timestamp : null,
  };
};
