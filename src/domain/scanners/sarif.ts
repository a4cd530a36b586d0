import { formatPath, isNumber, isObject, type JsonPath, streamJson } from './json-stream.js';
import { advisoryIdIn, canonicalId, cut, imageDigestOf, list, MAX_OUTPUT, MAX_TITLE, name, names, nameValue, object, prose, Skips, score, TargetBatcher } from './json-report.js';
import { type ReportFinding, type ReportParser, type ReportTarget, ScanFormatError, type Severity, severityOfScore, VULN_ID_RE } from './report.js';

/**
 * SARIF 2.1.0 logs (issue #5) as written by Trivy and Grype (`--format
 * sarif`), Semgrep, CodeQL and other analysers: `runs[] {tool {driver
 * {name, version, rules[]}, extensions[]}, results[] {ruleId, ruleIndex,
 * rule, level, kind, message, locations[], suppressions, baselineState}}`.
 * Results are read one at a time (`$.runs.*.results.*`) and kept in a
 * compact form until their run's tool (and rules) is read, which some
 * writers put after the results.
 *
 * One log is one target: an image when a run names one (Trivy's run
 * properties imageName, repoDigests), otherwise an application named by the
 * repository (versionControlProvenance), else the automation category
 * (automationDetails.id up to its last "/": what follows is the run
 * instance and changes every run), else the source root
 * (originalUriBaseIds), else "sarif". Those fields may come after the
 * results, so findings are kept (normalised) until the end of the file.
 *
 * A result's vulnerability is the CVE or GHSA id in its rule id, the rule's
 * tags or help URI (scanners of packages), else `<tool>-<rule id>` (an
 * analyser's own rule, such as "CodeQL-js/sql-injection").
 */

const PATHS = [
  '$.version',
  '$.runs.*.tool',
  '$.runs.*.results.*',
  '$.runs.*.automationDetails',
  '$.runs.*.versionControlProvenance.*',
  '$.runs.*.originalUriBaseIds',
  '$.runs.*.properties',
  '$.runs.*.invocations.*.startTimeUtc',
];

const LEVELS: Record<string, Severity> = { error: 'high', warning: 'medium', note: 'low', none: 'info' };
/** Kinds that are not a problem found (SARIF 2.1.0 §3.27.9). */
const NOT_FINDINGS = new Set(['pass', 'notApplicable', 'informational']);

interface Rule {
  id: string | null;
  title: string | null;
  level: string | null;
  securitySeverity: number | null;
  /** Where an advisory id may be written: tags, the help URI, the rule's name. */
  hints: string[];
}

interface Tool {
  name: string;
  version: string | null;
  rules: Rule[];
  extensions: Rule[][];
  byId: Map<string, Rule>;
}

/** A result as read, before its rule is known. */
interface Pending {
  at: string;
  ruleId: string | null;
  ruleIndex: number | null;
  component: number | null;
  level: string | null;
  kind: string | null;
  suppressed: boolean;
  absent: boolean;
  text: string | null;
  uri: string | null;
  line: number | null;
  securitySeverity: number | null;
}

interface Run {
  tool: Tool | null;
  early: Pending[];
}

function rules(component: Record<string, unknown>, at: JsonPath): Rule[] {
  return list(component, 'rules', at).map((r, i) => {
    const rAt = [...at, 'rules', i];
    if (!isObject(r)) throw new ScanFormatError('must be an object', formatPath(rAt));
    const props = object(r, 'properties', rAt);
    const dflt = object(r, 'defaultConfiguration', rAt);
    const short = object(r, 'shortDescription', rAt);
    const pAt = [...rAt, 'properties'];
    return {
      id: name(r, 'id', rAt, 1000),
      title: (short ? prose(short, 'text', [...rAt, 'shortDescription'], MAX_TITLE) : null) ?? name(r, 'name', rAt, MAX_TITLE),
      level: dflt ? name(dflt, 'level', [...rAt, 'defaultConfiguration'], 20) : null,
      securitySeverity: props ? score(props, 'security-severity', pAt) : null,
      hints: [...(props ? list(props, 'tags', pAt).filter((t): t is string => typeof t === 'string') : []), name(r, 'helpUri', rAt) ?? '', name(r, 'name', rAt, MAX_TITLE) ?? ''],
    };
  });
}

function toolOf(value: unknown, at: JsonPath): Tool {
  const driver = object(value, 'driver', at);
  if (!driver) throw new ScanFormatError('a tool without driver', formatPath(at));
  const dAt = [...at, 'driver'];
  const driverRules = rules(driver, dAt);
  const extensions = list(value, 'extensions', at).map((e, i) => {
    if (!isObject(e)) throw new ScanFormatError('must be an object', formatPath([...at, 'extensions', i]));
    return rules(e, [...at, 'extensions', i]);
  });
  const byId = new Map<string, Rule>();
  for (const r of [...driverRules, ...extensions.flat()]) if (r.id && !byId.has(r.id)) byId.set(r.id, r);
  return { name: name(driver, 'name', dAt, 200) ?? 'sarif', version: name(driver, 'version', dAt, 100) ?? name(driver, 'semanticVersion', dAt, 100), rules: driverRules, extensions, byId };
}

const index = (v: unknown, at: JsonPath): number | null => {
  if (v === undefined || v === null) return null;
  if (!isNumber(v) || !Number.isInteger(v) || v < -1) throw new ScanFormatError('must be an index (an integer)', formatPath(at));
  return v < 0 ? null : v;
};

function pending(r: unknown, at: JsonPath): Pending {
  if (!isObject(r)) throw new ScanFormatError('a result must be an object', formatPath(at));
  const rule = object(r, 'rule', at);
  const ruleAt = [...at, 'rule'];
  const component = rule ? object(rule, 'toolComponent', ruleAt) : null;
  const message = object(r, 'message', at);
  const loc = list(r, 'locations', at)[0];
  const lAt = [...at, 'locations', 0];
  const physical = loc === undefined ? null : object(loc, 'physicalLocation', lAt);
  const pAt = [...lAt, 'physicalLocation'];
  const artifact = physical ? object(physical, 'artifactLocation', pAt) : null;
  const region = physical ? object(physical, 'region', pAt) : null;
  const props = object(r, 'properties', at);
  const suppressions = list(r, 'suppressions', at);
  return {
    at: formatPath(at),
    ruleId: name(r, 'ruleId', at, 1000) ?? (rule ? name(rule, 'id', ruleAt, 1000) : null),
    ruleIndex: index(r.ruleIndex, [...at, 'ruleIndex']) ?? (rule ? index(rule.index, [...ruleAt, 'index']) : null),
    component: component ? index(component.index, [...ruleAt, 'toolComponent', 'index']) : null,
    level: name(r, 'level', at, 20),
    kind: name(r, 'kind', at, 20),
    // A suppression under review or accepted hides the result; only a rejected one leaves it standing.
    suppressed: suppressions.some((s, i) => (isObject(s) ? name(s, 'status', [...at, 'suppressions', i], 20) : null) !== 'rejected'),
    absent: name(r, 'baselineState', at, 20) === 'absent',
    text: message ? (prose(message, 'text', [...at, 'message'], MAX_OUTPUT) ?? prose(message, 'markdown', [...at, 'message'], MAX_OUTPUT)) : null,
    uri: artifact ? name(artifact, 'uri', [...pAt, 'artifactLocation']) : null,
    line: region ? index(region.startLine, [...pAt, 'region', 'startLine']) : null,
    securitySeverity: props ? score(props, 'security-severity', [...at, 'properties']) : null,
  };
}

/** `<tool>-<rule id>` within VULN_ID_RE: other characters become "-", at most 100 characters. */
export function nativeId(tool: string, ruleId: string): string | null {
  const id = `${tool}-${ruleId}`.replace(/[^A-Za-z0-9._:/+-]+/g, '-').replace(/^[^A-Za-z0-9]+/, '').slice(0, 100);
  return VULN_ID_RE.test(id) ? id : null;
}

/** Trivy writes the package into the message: "Package: x\nInstalled Version: 1.2\n…Fixed Version: 1.3". */
function packageInMessage(text: string | null): ReportFinding['package'] {
  const field = (label: string) => (text ? (new RegExp(`^${label}: *(.*)$`, 'm').exec(text)?.[1]?.trim() ?? null) : null);
  const pkg = field('Package');
  const version = field('Installed Version');
  return pkg && version ? { ecosystem: null, name: cut(pkg, 1000) as string, version: cut(version, 1000), fixedVersion: field('Fixed Version')?.split(',')[0]?.trim() || null, purl: null } : null;
}

function finding(p: Pending, tool: Tool, skips: Skips): ReportFinding | null {
  let rule = p.component !== null ? tool.extensions[p.component]?.[p.ruleIndex ?? -1] : p.ruleIndex !== null ? tool.rules[p.ruleIndex] : undefined;
  if (p.ruleId && rule?.id && rule.id !== p.ruleId) rule = undefined;
  rule ??= p.ruleId ? tool.byId.get(p.ruleId) : undefined;
  const ruleId = p.ruleId ?? rule?.id ?? null;
  const skip = (reason: string) => {
    skips.add(reason);
    return null;
  };
  if (p.kind && NOT_FINDINGS.has(p.kind)) return skip(`SARIF result of kind ${p.kind} (not a problem found)`);
  if (p.suppressed) return skip('suppressed in the SARIF log');
  if (p.absent) return skip('baselineState absent (no longer present)');
  if (!ruleId) return skip('a SARIF result without a rule id');
  const advisories = [ruleId, ...(rule?.hints ?? [])].map(advisoryIdIn).filter((a): a is string => a !== null);
  const { id: advisory, aliases } = canonicalId(advisories);
  const id = advisory ?? nativeId(tool.name, ruleId);
  if (!id) return skip('a SARIF rule id that makes no usable vulnerability id');
  const level = p.level ?? rule?.level ?? 'warning';
  const where = p.uri ? (p.line !== null ? `${p.uri}:${p.line}` : p.uri) : '';
  return {
    vulnerabilityId: id,
    ...(aliases.length ? { aliases } : {}),
    title: rule?.title ?? (p.text ? cut(p.text.split('\n')[0] as string, MAX_TITLE) : null),
    severity: severityOfScore(rule?.securitySeverity ?? p.securitySeverity) ?? LEVELS[level] ?? null,
    package: packageInMessage(p.text),
    sourceKey: where,
    location: where || null,
    output: p.text,
  };
}

export const sarifReport: ReportParser = async (input, sink) => {
  let version: string | null = null;
  let startedAt: string | null = null;
  const runs = new Map<number, Run>();
  // What may name the target, wherever in the file it comes.
  const named: { image: string | null; digest: string | null; repo: string | null; category: string | null; base: string | null } = { image: null, digest: null, repo: null, category: null, base: null };
  const tools = new Set<string>();
  const batcher = new TargetBatcher(sink);
  const skips = new Skips();

  const runOf = (i: number) => {
    const r = runs.get(i) ?? { tool: null, early: [] };
    runs.set(i, r);
    return r;
  };
  const add = async (p: Pending, tool: Tool) => {
    const f = finding(p, tool, skips);
    if (f) await batcher.add(f, p.at);
  };

  await streamJson(input, PATHS, async (value, path) => {
    if (path[0] === 'version') {
      if (value !== '2.1.0') throw new ScanFormatError(`SARIF version ${JSON.stringify(value)?.slice(0, 40)} is not supported: this importer reads SARIF 2.1.0`, '$.version');
      version = value;
      return;
    }
    if (path[0] !== 'runs' || typeof path[1] !== 'number') return;
    const run = runOf(path[1]);
    const at = path.slice(0, 3);
    switch (path[2]) {
      case 'results': {
        const p = pending(value, path);
        if (run.tool) await add(p, run.tool);
        else run.early.push(p);
        return;
      }
      case 'tool': {
        if (!isObject(value)) throw new ScanFormatError('must be an object', formatPath(path));
        run.tool = toolOf(value, path);
        tools.add(run.tool.version ? `${run.tool.name} ${run.tool.version}` : run.tool.name);
        for (const p of run.early.splice(0)) await add(p, run.tool);
        return;
      }
      case 'automationDetails': {
        const id = name(value, 'id', at, 1000);
        const slash = id?.lastIndexOf('/') ?? -1;
        if (id && slash > 0) named.category ??= id.slice(0, slash);
        return;
      }
      case 'versionControlProvenance':
        named.repo ??= name(value, 'repositoryUri', path);
        return;
      case 'originalUriBaseIds': {
        if (!isObject(value)) throw new ScanFormatError('must be an object', formatPath(path));
        for (const [k, v] of Object.entries(value)) {
          const uri = isObject(v) ? name(v, 'uri', [...path, k]) : null;
          const base = uri?.replace(/^file:\/\//, '').replace(/\/+$/, '');
          if (base) named.base ??= base;
        }
        return;
      }
      case 'properties': {
        const image = name(value, 'imageName', at);
        if (image && !named.image) {
          named.image = image;
          named.digest = names(value, 'repoDigests', at).map(imageDigestOf).find((d) => d !== null) ?? null;
        }
        return;
      }
      case 'invocations':
        startedAt ??= nameValue(value, path, 100);
        return;
    }
  });
  if (version === null) throw new ScanFormatError('expected a SARIF 2.1.0 log: an object with version "2.1.0" and runs; this one has no version', '$');
  for (const [i, run] of runs) if (run.early.length) throw new ScanFormatError('a run with results but no tool', `$.runs[${i}].tool`);
  const label = named.repo ?? named.category ?? named.base ?? 'sarif';
  const target: ReportTarget = named.image
    ? { key: named.image, kind: 'image', name: named.image, imageDigest: named.digest }
    : { key: label, kind: 'application', name: label };
  // A log with no run scanned nothing: there is no target to report clean.
  if (runs.size > 0) await batcher.setTarget(target);
  await batcher.end();
  skips.report(sink);
  return {
    format: 'sarif',
    scanner: [...tools].join(', ') || 'SARIF',
    reportName: runs.size > 0 ? target.name : null,
    scannedAt: startedAt && !Number.isNaN(Date.parse(startedAt)) ? startedAt : null,
  };
};
