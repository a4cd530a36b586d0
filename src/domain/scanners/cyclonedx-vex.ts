import { canonicalId, list, MAX_BUFFERED, prose } from './json-report.js';
import { field, formatPath, isArray, isNumber, isObject, isString, type JsonPath, streamJson } from './json-stream.js';
import {
  type ReportFinding,
  type ReportPackage,
  type ReportParser,
  type ReportTarget,
  ScanFormatError,
  type Severity,
  severityOfScore,
  severityWord,
  type VexJustification,
  type VexStatus,
} from './report.js';
import { MAX_TEXT, packageOfPurl, SkipLog, text } from './vex-shared.js';

/**
 * CycloneDX JSON BOMs with vulnerabilities and VEX analysis (specVersion
 * 1.4–1.6; issue #5, VUL-2, VUL-6). One target, the BOM's subject
 * (metadata.component); one finding per vulnerability and affected
 * component, with the component's package and the BOM's own analysis as the
 * finding's VEX.
 *
 * Streaming: `$.vulnerabilities.*` are read one at a time; components are
 * kept only as bom-ref → (name, version, purl), so memory follows the number
 * of components, not the file. Writers put metadata and components before
 * vulnerabilities (the schema's order, which cyclonedx-go, -core-java,
 * -python-lib, Syft and Trivy follow); when a file does not (vulnerabilities
 * first, or no components or metadata at all, as in a pure VEX BOM) the
 * vulnerabilities are held in a compact form until the end of the file,
 * because the components they name or the subject could still come.
 */

/** Findings handed on per call; the importer merges repeated targets. */
const BATCH = 1000;
const MAX_COMPONENTS = 2_000_000;
const MAX_DEPTH = 64;
const DIGEST_RE = /^sha256:[0-9a-f]{64}$/;

const STATES: Record<string, VexStatus> = {
  exploitable: 'affected',
  not_affected: 'not_affected',
  // A false positive is not a VEX status: it becomes not_affected without a justification, and the
  // detail starts with "false_positive" so the importer can record it as a false positive (VUL-6).
  false_positive: 'not_affected',
  resolved: 'fixed',
  resolved_with_pedigree: 'fixed',
  in_triage: 'under_investigation',
};

/**
 * CycloneDX justifications onto the CISA/OpenVEX vocabulary. The requires_*
 * and protected_* ones are coarser there; the CycloneDX word is kept at the
 * start of the detail so nothing is lost.
 */
const JUSTIFICATIONS: Record<string, [VexJustification, boolean]> = {
  code_not_present: ['vulnerable_code_not_present', false],
  code_not_reachable: ['vulnerable_code_not_in_execute_path', false],
  requires_configuration: ['vulnerable_code_cannot_be_controlled_by_adversary', true],
  requires_dependency: ['vulnerable_code_cannot_be_controlled_by_adversary', true],
  requires_environment: ['vulnerable_code_cannot_be_controlled_by_adversary', true],
  protected_by_compiler: ['inline_mitigations_already_exist', true],
  protected_at_runtime: ['inline_mitigations_already_exist', true],
  protected_at_perimeter: ['inline_mitigations_already_exist', true],
  protected_by_mitigating_control: ['inline_mitigations_already_exist', true],
};

/** name, version, purl; the purl is `true` when it equals the bom-ref (common, and halves the memory). */
type Component = [string, string | null, string | true | null];

interface Vulnerability {
  id: string;
  aliases: string[];
  title: string | null;
  severity: Severity | null;
  cvssScore: number | null;
  cvssVector: string | null;
  vex: ReportFinding['vex'];
  refs: string[];
}

const CVSS_METHODS: Record<string, string> = { CVSSv4: 'CVSS:4.0/', CVSSv31: 'CVSS:3.1/', CVSSv3: 'CVSS:3.0/' };

function rating(v: unknown, path: JsonPath): Pick<Vulnerability, 'severity' | 'cvssScore' | 'cvssVector'> {
  const ratings = list(v, 'ratings', path).map((r, i) => {
    const at = [...path, 'ratings', i];
    const score = field(r, 'score', at, isNumber, 'a number');
    return { method: text(r, 'method', at, 100), score, severity: text(r, 'severity', at, 100), vector: text(r, 'vector', at, 1000), at };
  });
  for (const method of Object.keys(CVSS_METHODS)) {
    const r = ratings.find((x) => x.method === method && x.score !== undefined);
    if (!r) continue;
    const score = r.score as number;
    if (score < 0 || score > 10) throw new ScanFormatError(`a ${method} score must be between 0 and 10, not ${score}`, formatPath([...r.at, 'score']));
    const prefix = CVSS_METHODS[method] as string;
    const vector = r.vector ? (r.vector.startsWith('CVSS:') ? r.vector : prefix + r.vector) : null;
    return { severity: severityOfScore(score), cvssScore: score, cvssVector: vector };
  }
  const word = ratings.map((r) => severityWord(r.severity)).find((s) => s !== null) ?? null;
  return { severity: word, cvssScore: null, cvssVector: null };
}

function analysis(v: unknown, path: JsonPath): ReportFinding['vex'] {
  const a = field(v, 'analysis', path, isObject, 'an object');
  if (!a) return null;
  const at = [...path, 'analysis'];
  const state = text(a, 'state', at, 100);
  if (!state) return null;
  const status = STATES[state];
  if (!status) throw new ScanFormatError(`unknown analysis state "${state.slice(0, 40)}" (expected one of ${Object.keys(STATES).join(', ')})`, formatPath([...at, 'state']));
  const just = text(a, 'justification', at, 100);
  const mapped = just ? JUSTIFICATIONS[just] : undefined;
  if (just && !mapped) throw new ScanFormatError(`unknown justification "${just.slice(0, 40)}" (expected one of ${Object.keys(JUSTIFICATIONS).join(', ')})`, formatPath([...at, 'justification']));
  const responses = list(a, 'response', at).map((r, i) => {
    if (!isString(r) || r.length > 100) throw new ScanFormatError('must be a response word', formatPath([...at, 'response', i]));
    return r;
  });
  let detail = prose(a, 'detail', at, MAX_TEXT) ?? '';
  if (responses.length) detail = detail ? `${detail} (response: ${responses.join(', ')})` : `response: ${responses.join(', ')}`;
  if (mapped?.[1]) detail = detail ? `${just}: ${detail}` : (just as string);
  if (state === 'false_positive') detail = detail ? `false_positive: ${detail}` : 'false_positive';
  return { status, justification: state === 'false_positive' ? null : (mapped?.[0] ?? null), detail: detail || null };
}

/** The parts of a vulnerability a finding needs; null (and a skip) when it cannot be imported. */
function readVulnerability(v: unknown, path: JsonPath, skips: SkipLog): Vulnerability | null {
  if (!isObject(v)) throw new ScanFormatError('a vulnerability must be an object', formatPath(path));
  // `references` name the same vulnerability in other databases: the CVE among them keys the register.
  const given = [text(v, 'id', path), ...list(v, 'references', path).map((r, i) => text(r, 'id', [...path, 'references', i]))];
  const { id, aliases } = canonicalId(given.filter((x): x is string => x !== null));
  if (!id) {
    skips.add(formatPath(path), given[0] ? 'the vulnerability id is not an id (letters, digits and . _ : / + -)' : 'vulnerability without an id');
    return null;
  }
  const refs = new Set<string>();
  list(v, 'affects', path).forEach((a, i) => {
    const ref = text(a, 'ref', [...path, 'affects', i], 4096);
    if (!ref) throw new ScanFormatError('an affected component needs a ref', formatPath([...path, 'affects', i, 'ref']));
    refs.add(ref);
  });
  const description = prose(v, 'description', path, MAX_TEXT);
  const firstLine = description?.split('\n')[0]?.trim() ?? '';
  const title = firstLine ? (firstLine.length > 200 ? `${firstLine.slice(0, 199)}…` : firstLine) : null;
  return { id, aliases, title, ...rating(v, path), vex: analysis(v, path), refs: [...refs] };
}

const KINDS: Record<string, ReportTarget['kind']> = { container: 'image', 'operating-system': 'host', device: 'host' };

function subjectTarget(c: Record<string, unknown> | null, serial: string | null): ReportTarget {
  if (!c) {
    const name = serial ? `cyclonedx ${serial}` : 'cyclonedx';
    return { key: `application:${name}`, kind: 'application', name };
  }
  const path: JsonPath = ['metadata', 'component'];
  const type = text(c, 'type', path, 100) ?? 'application';
  const base = text(c, 'name', path, 1000) ?? 'unnamed';
  const version = text(c, 'version', path, 1000);
  const purl = text(c, 'purl', path, 4096);
  const oci = purl ? packageOfPurl(purl) : null;
  const isImage = type === 'container' || (oci !== null && /^pkg:(oci|docker)\//.test(purl as string));
  const kind = isImage ? 'image' : (KINDS[type] ?? 'application');
  let digest: string | null = null;
  if (kind === 'image') {
    if (oci?.version && DIGEST_RE.test(oci.version)) digest = oci.version;
    else if (version && DIGEST_RE.test(version)) digest = version;
    list(c, 'hashes', path).forEach((h, i) => {
      const alg = text(h, 'alg', [...path, 'hashes', i], 20);
      const content = text(h, 'content', [...path, 'hashes', i], 200)?.toLowerCase();
      if (!digest && alg === 'SHA-256' && content && /^[0-9a-f]{64}$/.test(content)) digest = `sha256:${content}`;
    });
  }
  const name = version ? `${base}${DIGEST_RE.test(version) ? '@' : ':'}${version}` : base;
  const t: ReportTarget = { key: `${kind}:${name}`, kind, name, imageDigest: digest };
  if (type === 'operating-system') t.os = name;
  if (type === 'device') t.hostname = base;
  return t;
}

function toolName(tools: unknown): string | null {
  // 1.4: [{vendor, name, version}]; 1.5+: {components: [{name, version}], services}.
  const first = isArray(tools) ? tools[0] : isObject(tools) && isArray(tools.components) ? tools.components[0] : undefined;
  if (!isObject(first) || !isString(first.name)) return null;
  return `${first.name}${isString(first.version) ? ` ${first.version}` : ''}`.slice(0, 200);
}

export const cyclonedxReport: ReportParser = async (input, sink) => {
  const components = new Map<string, Component>();
  const skips = new SkipLog(sink);
  const held: Vulnerability[] = [];
  let bomFormat: string | null = null;
  let serial: string | null = null;
  let subject: Record<string, unknown> | null = null;
  let scanner: string | null = null;
  let scannedAt: string | null = null;
  let hint: string | null = null;
  let sawMetadata = false;
  let sawComponents = false;
  let streaming: boolean | null = null;
  let target: ReportTarget | null = null;
  let batch: ReportFinding[] = [];
  let handedOn = false;
  let values = 0;

  const collect = (c: unknown, path: JsonPath, depth: number) => {
    if (!isObject(c)) throw new ScanFormatError('a component must be an object', formatPath(path));
    if (depth > MAX_DEPTH) throw new ScanFormatError(`components nested deeper than ${MAX_DEPTH} levels`, formatPath(path));
    const ref = text(c, 'bom-ref', path, 4096);
    const name = text(c, 'name', path, 1000);
    const purl = text(c, 'purl', path, 4096);
    const version = text(c, 'version', path, 1000);
    if (ref && name) {
      if (components.size >= MAX_COMPONENTS) throw new ScanFormatError(`more than ${MAX_COMPONENTS} components`, formatPath(path));
      components.set(ref, [name, version, purl === ref ? true : purl]);
    }
    for (const [i, n] of list(c, 'components', path).entries()) collect(n, [...path, 'components', i], depth + 1);
  };

  const packageOf = (ref: string): ReportPackage | null => {
    // A BOM-Link (urn:cdx:serial/version#ref) names a component of this or another BOM.
    const local = /^urn:cdx:[^#]*#(.+)$/.exec(ref);
    const key = local ? decodeURIComponentSafe(local[1] as string) : ref;
    const c = components.get(ref) ?? components.get(key);
    if (!c) return key.startsWith('pkg:') ? packageOfPurl(key) : null;
    const purl = c[2] === true ? (components.has(ref) ? ref : key) : c[2];
    const fromPurl = purl ? packageOfPurl(purl) : null;
    return fromPurl ? { ...fromPurl, version: fromPurl.version ?? c[1] } : { ecosystem: null, name: c[0], version: c[1], purl: null };
  };

  const flush = async () => {
    target ??= subjectTarget(subject, serial);
    const findings = batch;
    batch = [];
    handedOn = true;
    await sink.target(target, findings);
  };

  const emit = async (v: Vulnerability) => {
    const base = { vulnerabilityId: v.id, aliases: v.aliases, title: v.title, severity: v.severity, cvssScore: v.cvssScore, cvssVector: v.cvssVector, vex: v.vex };
    // Without affects the vulnerability is stated of the BOM's subject as a whole.
    if (v.refs.length === 0) batch.push({ ...base, package: null, sourceKey: '' });
    for (const ref of v.refs) {
      batch.push({ ...base, package: packageOf(ref), sourceKey: ref });
      if (batch.length >= BATCH) await flush();
    }
    if (batch.length >= BATCH) await flush();
  };

  try {
    await streamJson(input, PATHS, async (value, path) => {
      values++;
      const top = path[0];
      if ((top === 'vulnerabilities' || top === 'components') && typeof path[1] !== 'number') throw new ScanFormatError('must be an array', formatPath([top]));
      if (top === 'vulnerabilities') {
        streaming ??= bomFormat !== null && sawMetadata && sawComponents;
        const v = readVulnerability(value, path, skips);
        if (v && streaming) await emit(v);
        else if (v && held.push(v) > MAX_BUFFERED) {
          throw new ScanFormatError(`more than ${MAX_BUFFERED} vulnerabilities before the BOM's metadata and components (write vulnerabilities after them)`, formatPath(path));
        }
      } else if (top === 'components') {
        sawComponents = true;
        collect(value, path, 0);
      } else if (top === 'metadata') {
        sawMetadata = true;
        if (path[1] === 'component') {
          if (!isObject(value)) throw new ScanFormatError('must be an object', formatPath(path));
          subject = value;
          collect(value, path, 0);
          subject.components = undefined;
        } else if (path[1] === 'tools') scanner = toolName(value);
        else if (path[1] === 'timestamp' && isString(value) && !Number.isNaN(Date.parse(value))) scannedAt = value;
      } else if (top === 'bomFormat') {
        if (value !== 'CycloneDX') throw new ScanFormatError(`expected "CycloneDX": this is not a CycloneDX BOM`, '$.bomFormat');
        bomFormat = value;
      } else if (top === 'specVersion') {
        if (!isString(value) || !/^1\.\d{1,2}$/.test(value)) throw new ScanFormatError(`unsupported CycloneDX specVersion ${JSON.stringify(value)?.slice(0, 20)} (1.x expected)`, '$.specVersion');
      } else if (top === 'serialNumber') {
        if (!isString(value) || value.length > 200) throw new ScanFormatError('must be a string (urn:uuid:…)', '$.serialNumber');
        serial = value;
      } else if (top === '@context' && isString(value) && value.includes('openvex')) hint = 'an OpenVEX document';
      else if (top === 'document') hint = 'a CSAF document';
    });
  } catch (err) {
    if (err instanceof ScanFormatError && values === 0 && !err.message.includes('CycloneDX')) {
      throw new ScanFormatError(`expected a CycloneDX JSON BOM: ${err.where ? err.message.slice(err.where.length + 2) : err.message}`, err.where);
    }
    throw err;
  }
  if (bomFormat === null) throw new ScanFormatError(`expected a CycloneDX JSON BOM with "bomFormat": "CycloneDX"${hint ? `, but this is ${hint}` : ''}`, '$');
  for (const v of held.splice(0)) await emit(v);
  if (batch.length || !handedOn) await flush();
  skips.end();
  const t = target as ReportTarget | null;
  return { format: 'cyclonedx', scanner: scanner ?? 'CycloneDX', reportName: t?.name ?? serial, scannedAt };
};

const PATHS = ['$.bomFormat', '$.specVersion', '$.serialNumber', '$.metadata.timestamp', '$.metadata.tools', '$.metadata.component', '$.components.*', '$.vulnerabilities.*', '$.@context', '$.document.csaf_version'];

function decodeURIComponentSafe(s: string): string {
  try {
    return decodeURIComponent(s);
  } catch {
    return s;
  }
}
