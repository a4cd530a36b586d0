import { ecosystemOfPurl, ecosystemOfTrivyType } from './ecosystems.js';
import { formatPath, isNumber, isObject, type JsonPath, streamJson } from './json-stream.js';
import { cut, imageDigestOf, MAX_TITLE, name, names, nameValue, object, prose, Skips, score, TargetBatcher } from './json-report.js';
import { type ReportFinding, type ReportInput, type ReportParser, type ReportTarget, ScanFormatError, severityWord, VULN_ID_RE } from './report.js';

/**
 * Trivy JSON reports (issue #5): schema 2 (`{SchemaVersion: 2,
 * ArtifactName, ArtifactType, Metadata, Results[]}`) and the older form, a
 * bare list of results (Trivy before 0.20; `null` when nothing was found).
 * Each vulnerability is read on its own (`$.Results.*.Vulnerabilities.*`)
 * and handed on in batches, so a 50,000-finding report keeps memory flat.
 *
 * One report is one target. Schema 2 names it: ArtifactName, an image when
 * ArtifactType is container_image or Metadata has ImageID/RepoDigests, a
 * host for vm and rootfs scans and for filesystem scans that found an
 * operating system, otherwise an application (a repository, a project
 * directory, an SBOM). The list form names no artifact: the first result's
 * Target does. "alpine:3.10 (alpine 3.10.2)" is how Trivy names an image's
 * OS packages, so it becomes the image "alpine:3.10" running alpine 3.10.2;
 * any other Target ("package-lock.json") an application of that name.
 *
 * The target is settled when the first finding is read, which in Trivy's
 * key order (SchemaVersion, CreatedAt, ArtifactName, ArtifactType, Metadata,
 * Results) is after everything that names it. A file without ArtifactName
 * before its Results keeps its findings until the end instead.
 *
 * Evidence is keyed by where the package was found: the Result Target,
 * plus "|PkgPath" when Trivy names the file, so the same CVE on the same
 * package in two targets (or two jars) of one image is two pieces of
 * evidence of one finding. The Status (fixed, will_not_fix, end_of_life…)
 * is the output a reviewer sees.
 */

const PATHS = [
  '$.SchemaVersion',
  '$.CreatedAt',
  '$.ArtifactName',
  '$.ArtifactType',
  '$.Metadata.OS',
  '$.Metadata.ImageID',
  '$.Metadata.RepoDigests',
  '$.Trivy.Version',
  '$.Results.*.Target',
  '$.Results.*.Type',
  '$.Results.*.Vulnerabilities.*',
  '$.Results.*.Misconfigurations.*',
  '$.Results.*.Secrets.*',
  // The list form: the same fields one level up.
  '$.*.Target',
  '$.*.Type',
  '$.*.Vulnerabilities.*',
];

const HOST_ARTIFACTS = new Set(['vm', 'rootfs']);
/** Vulnerabilities kept whole while their result's Target is unread (not in Trivy's key order, but valid JSON). */
const MAX_EARLY = 20_000;
/** How Trivy names the OS packages of an image: "<image> (<family> <version>)". */
const OS_TARGET = /^(.+?) \(([a-z][\w.-]*) ([^()]*)\)$/;

interface Result {
  index: number;
  target: string | null;
  type: string | null;
  /** Vulnerabilities read before the result's Target. */
  early: { value: unknown; path: JsonPath }[];
}

/** The CVSS to keep: v3 before v4 (scores of the register are v3 where known), NVD's before a vendor's. */
function pickCvss(v: Record<string, unknown>, at: JsonPath): { score: number | null; vector: string | null } {
  const cvss = object(v, 'CVSS', at);
  if (!cvss) return { score: null, vector: null };
  const where = [...at, 'CVSS'];
  const sources = ['nvd', ...Object.keys(cvss).filter((k) => k !== 'nvd')].filter((k) => cvss[k] !== undefined && cvss[k] !== null);
  for (const version of ['V3', 'V40']) {
    for (const src of sources) {
      const c = object(cvss, src, where);
      if (!c) continue;
      const s = score(c, `${version}Score`, [...where, src]);
      const vector = name(c, `${version}Vector`, [...where, src], 400);
      if (s !== null || vector) return { score: s, vector };
    }
  }
  return { score: null, vector: null };
}

/** Passes the input through, noting its first character; a document that is just `null` (old Trivy, nothing found) reads as `[]`. */
async function* nullAsEmpty(input: ReportInput, first: (c: string) => void): AsyncGenerator<string | Uint8Array> {
  const held: (string | Uint8Array)[] = [];
  let heldBytes = 0;
  let start: string | null = null;
  const firstChar = (chunk: string | Uint8Array): string | null => {
    for (let i = 0; i < chunk.length; i++) {
      const c = typeof chunk === 'string' ? chunk[i] : String.fromCharCode(chunk[i] as number);
      if (c !== ' ' && c !== '\n' && c !== '\r' && c !== '\t') return c as string;
    }
    return null;
  };
  for await (const chunk of input as AsyncIterable<string | Uint8Array>) {
    if (start === null) start = firstChar(chunk);
    if (start === null || (start === 'n' && heldBytes < 64)) {
      held.push(chunk);
      heldBytes += chunk.length;
      if (start !== null) first(start);
      continue;
    }
    first(start);
    yield* held.splice(0);
    yield chunk;
  }
  const text = held.map((c) => (typeof c === 'string' ? c : new TextDecoder().decode(c))).join('');
  if (start === 'n' && text.trim() === 'null') yield '[]';
  else yield* held;
}

export const trivyReport: ReportParser = async (input, sink) => {
  let form: 'object' | 'list' | null = null;
  let schemaVersion: number | null = null;
  let createdAt: string | null = null;
  let artifactName: string | null = null;
  let artifactType: string | null = null;
  let os: string | null = null;
  let imageId: string | null = null;
  let repoDigests: string[] = [];
  let trivyVersion: string | null = null;
  let firstTarget: string | null = null;
  let result: Result | null = null;
  const batcher = new TargetBatcher(sink);
  const skips = new Skips();

  const targetOf = (): ReportTarget | null => {
    if (artifactName) {
      const image = artifactType === 'container_image' || imageId !== null || repoDigests.length > 0;
      const kind = image ? 'image' : HOST_ARTIFACTS.has(artifactType ?? '') || ((artifactType === 'filesystem' || !artifactType) && os) ? 'host' : 'application';
      const imageDigest = image ? (repoDigests.map(imageDigestOf).find((d) => d !== null) ?? null) : null;
      return { key: artifactName, kind, name: artifactName, imageDigest, os };
    }
    if (!firstTarget) return null;
    const m = OS_TARGET.exec(firstTarget);
    if (m) return { key: m[1] as string, kind: 'image', name: m[1] as string, imageDigest: null, os: os ?? `${m[2]} ${m[3]}`.trim() };
    return { key: firstTarget, kind: 'application', name: firstTarget, os };
  };

  const vulnerability = async (r: Result, v: unknown, at: JsonPath) => {
    if (!isObject(v)) throw new ScanFormatError('a vulnerability must be an object', formatPath(at));
    if (!batcher.hasTarget && (form === 'list' || artifactName)) {
      const t = targetOf();
      if (t) await batcher.setTarget(t);
    }
    const id = name(v, 'VulnerabilityID', at, 200);
    if (!id) return skips.add('a vulnerability without VulnerabilityID');
    if (!VULN_ID_RE.test(id)) return skips.add('a vulnerability id that is not usable (spaces, control characters or over 100 characters)');
    // Distribution advisories (DSA-…, RHSA-…) naming the same vulnerability.
    const aliases = [...new Set(names(v, 'VendorIDs', at, 200).filter((a) => a !== id && VULN_ID_RE.test(a)))];
    const pkgName = name(v, 'PkgName', at);
    const pkgId = object(v, 'PkgIdentifier', at);
    const purl = pkgId ? name(pkgId, 'PURL', [...at, 'PkgIdentifier']) : null;
    const fixed = name(v, 'FixedVersion', at)?.split(',')[0]?.trim() || null;
    const pkgPath = name(v, 'PkgPath', at);
    const status = name(v, 'Status', at, 100);
    const cvss = pickCvss(v, at);
    const target = r.target as string;
    const finding: ReportFinding = {
      vulnerabilityId: id,
      ...(aliases.length ? { aliases } : {}),
      title: prose(v, 'Title', at, MAX_TITLE),
      severity: severityWord(name(v, 'Severity', at, 100)),
      cvssScore: cvss.score,
      cvssVector: cvss.vector,
      package: pkgName ? { ecosystem: ecosystemOfTrivyType(r.type) ?? ecosystemOfPurl(purl), name: pkgName, version: name(v, 'InstalledVersion', at), fixedVersion: fixed, purl } : null,
      // One piece of evidence per place the package was found: two copies of a jar in one image are two.
      sourceKey: pkgPath ? `${target}|${pkgPath}` : target,
      location: cut(pkgPath ? `${target}: ${pkgPath}` : target, 1000),
      output: status ? `Status: ${status}` : null,
    };
    await batcher.add(finding, formatPath(at));
  };

  const closeResult = async () => {
    if (!result || result.early.length === 0) return;
    const r = result;
    if (!r.target) throw new ScanFormatError('a result with vulnerabilities but no Target', formatPath(form === 'list' ? [r.index] : ['Results', r.index]));
    for (const e of r.early.splice(0)) await vulnerability(r, e.value, e.path);
  };

  const onResult = async (index: number, rest: JsonPath, value: unknown, path: JsonPath) => {
    if (result?.index !== index) {
      await closeResult();
      result = { index, target: null, type: null, early: [] };
    }
    const r = result;
    const key = rest[0];
    if (key === 'Target') {
      r.target = nameValue(value, path);
      if (r.target && firstTarget === null) firstTarget = r.target;
    } else if (key === 'Type') r.type = nameValue(value, path, 100);
    else if (key === 'Vulnerabilities') {
      // Trivy writes Target and Type first; findings read before the Target wait for it (up to MAX_EARLY).
      if (r.target && r.early.length === 0) await vulnerability(r, value, path);
      else if (r.early.push({ value, path }) > MAX_EARLY) throw new ScanFormatError(`more than ${MAX_EARLY} vulnerabilities before the result's Target`, formatPath(path));
    } else if (key === 'Misconfigurations') skips.add('Trivy misconfiguration (not a package vulnerability)');
    else if (key === 'Secrets') skips.add('Trivy secret finding (not a package vulnerability)');
  };

  await streamJson(
    nullAsEmpty(input, (c) => {
      form ??= c === '[' || c === 'n' ? 'list' : 'object';
    }),
    PATHS,
    async (value, path) => {
      const [top, ...rest] = path;
      if (typeof top === 'number') return form === 'list' ? onResult(top, rest, value, path) : undefined;
      if (form !== 'object') return;
      const at = formatPath(path);
      switch (at) {
        case '$.SchemaVersion':
          if (!isNumber(value)) throw new ScanFormatError('must be a number', at);
          if (value !== 2) throw new ScanFormatError(`Trivy report schema version ${value} is not supported: this importer reads SchemaVersion 2 and the older list of results`, at);
          schemaVersion = value;
          return;
        case '$.CreatedAt':
          createdAt = nameValue(value, path, 100);
          return;
        case '$.ArtifactName':
          artifactName = nameValue(value, path);
          return;
        case '$.ArtifactType':
          artifactType = nameValue(value, path, 100);
          return;
        case '$.Metadata.OS': {
          if (!isObject(value)) throw new ScanFormatError('must be an object', at);
          os = [name(value, 'Family', path, 100), name(value, 'Name', path, 100)].filter(Boolean).join(' ') || null;
          return;
        }
        case '$.Metadata.ImageID':
          imageId = nameValue(value, path);
          return;
        case '$.Metadata.RepoDigests':
          repoDigests = names({ RepoDigests: value }, 'RepoDigests', ['Metadata']);
          return;
        case '$.Trivy.Version':
          trivyVersion = nameValue(value, path, 100);
          return;
      }
      if (top === 'Results' && typeof rest[0] === 'number') return onResult(rest[0], rest.slice(1), value, path);
    },
  );
  await closeResult();
  if (form === 'object' && schemaVersion === null) {
    throw new ScanFormatError('expected a Trivy JSON report: an object with SchemaVersion 2 and Results (or the older list of results); this object has no SchemaVersion', '$');
  }
  if (!batcher.hasTarget) {
    const t = targetOf();
    if (t) await batcher.setTarget(t);
  }
  await batcher.end();
  skips.report(sink);
  return {
    format: 'trivy',
    scanner: trivyVersion ? `Trivy ${trivyVersion}` : 'Trivy',
    reportName: artifactName ?? firstTarget,
    scannedAt: createdAt && !Number.isNaN(Date.parse(createdAt)) ? createdAt : null,
  };
};
