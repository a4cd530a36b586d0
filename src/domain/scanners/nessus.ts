import type { ReportFinding, ReportInput, ReportPackage, ReportParser, ReportTarget, Severity } from './report.js';
import { firstLabel, isIpAddress, mergeDuplicates, readXml, type XmlCursor } from './xml-stream.js';

export { ScanFormatError } from './report.js';

/**
 * Nessus v2 (.nessus) reports, read as a stream (issue #5, VUL-2): each host
 * is handed on with its findings as soon as its </ReportHost> is read, so
 * memory holds one host, not the report. The XML safety (no DOCTYPE, bounded
 * text, positions in errors) is xml-stream's.
 *
 * Layout: NessusClientData_v2/Report[@name]/ReportHost[@name]/
 * HostProperties/tag[@name] and ReportItem[@port,@svc_name,@protocol,
 * @severity 0–4,@pluginID,@pluginName,@pluginFamily] with children cve
 * (repeated), synopsis, solution, plugin_output, cvss3_base_score,
 * cvss3_vector, cvss4_vector, cvss_base_score, epss_score, exploit_available,
 * risk_factor.
 */

export interface NessusHost {
  /** ReportHost@name: what the scan was pointed at (an address or a name). */
  name: string;
  ip: string | null;
  fqdn: string | null;
  netbiosName: string | null;
  os: string | null;
  mac: string | null;
  scanStart: string | null;
  /** HOST_START_TIMESTAMP: seconds since 1970, when newer scanners write it. */
  scanStartTimestamp: string | null;
  scanEnd: string | null;
}

export interface NessusItem {
  port: number;
  protocol: string;
  service: string;
  /** 0 informational … 4 critical. */
  severity: 0 | 1 | 2 | 3 | 4;
  pluginId: number;
  pluginName: string;
  pluginFamily: string;
  cves: string[];
  cvss3BaseScore: number | null;
  cvss3Vector: string | null;
  cvss4Vector: string | null;
  cvss2BaseScore: number | null;
  epssScore: number | null;
  exploitAvailable: boolean | null;
  riskFactor: string | null;
  synopsis: string | null;
  solution: string | null;
  /** What the plugin saw (installed vs fixed version…), at most MAX_OUTPUT characters. */
  pluginOutput: string | null;
}

export interface NessusSummary {
  reportName: string | null;
  hosts: number;
  items: number;
}

export type HostSink = (host: NessusHost, items: NessusItem[]) => void | Promise<void>;

export const MAX_OUTPUT = 64 * 1024;
/** Longest text kept for any other element; longer is a broken or hostile file. */
const MAX_TEXT = 1024 * 1024;
const MAX_ITEMS_PER_HOST = 200_000;
const CVE_RE = /^CVE-\d{4}-\d{4,}$/;

const HOST_TAGS: Record<string, keyof NessusHost> = {
  'host-ip': 'ip',
  'host-fqdn': 'fqdn',
  'netbios-name': 'netbiosName',
  'operating-system': 'os',
  'mac-address': 'mac',
  HOST_START: 'scanStart',
  HOST_START_TIMESTAMP: 'scanStartTimestamp',
  HOST_END: 'scanEnd',
};

const ITEM_TEXT = new Set(['cve', 'synopsis', 'solution', 'plugin_output', 'cvss3_base_score', 'cvss3_vector', 'cvss4_vector', 'cvss_base_score', 'epss_score', 'exploit_available', 'risk_factor']);

function num(v: string | null | undefined, what: string, min: number, max: number, fail: (msg: string) => never): number | null {
  if (v === null || v === undefined || v.trim() === '') return null;
  const n = Number(v.trim());
  if (!Number.isFinite(n) || n < min || n > max) fail(`${what}: "${v.trim().slice(0, 40)}" is not a number between ${min} and ${max}`);
  return n;
}

type HostUnit = { host: NessusHost; items: NessusItem[] };

/** Reads a .nessus stream; calls `onHost` per host (awaited: a slow sink slows the reading, memory stays flat). */
export async function parseNessus(input: ReportInput, onHost: HostSink): Promise<NessusSummary> {
  const summary: NessusSummary = { reportName: null, hosts: 0, items: 0 };
  let host: NessusHost | null = null;
  let items: NessusItem[] = [];
  let item: NessusItem | null = null;
  let texts = new Map<string, string>();
  let tagName: string | null = null;

  const openItem = (a: Readonly<Record<string, string>>, at: XmlCursor<HostUnit>) => {
    const pluginId = num(a.pluginID, '<ReportItem> pluginID', 0, 1e9, at.fail);
    const severity = num(a.severity, '<ReportItem> severity', 0, 4, at.fail);
    const port = num(a.port, '<ReportItem> port', 0, 65535, at.fail);
    if (pluginId === null || severity === null || port === null) at.fail('<ReportItem> needs pluginID, severity and port attributes');
    if (items.length >= MAX_ITEMS_PER_HOST) at.fail(`more than ${MAX_ITEMS_PER_HOST} findings for one host`);
    texts = new Map();
    item = {
      port: port as number, protocol: a.protocol ?? '', service: a.svc_name ?? '', severity: severity as NessusItem['severity'], pluginId: pluginId as number,
      pluginName: a.pluginName ?? '', pluginFamily: a.pluginFamily ?? '', cves: [], cvss3BaseScore: null, cvss3Vector: null, cvss4Vector: null, cvss2BaseScore: null,
      epssScore: null, exploitAvailable: null, riskFactor: null, synopsis: null, solution: null, pluginOutput: null,
    };
  };

  const closeItem = (it: NessusItem, fail: (msg: string) => never) => {
    const s = (k: string) => texts.get(k)?.trim() || null;
    it.cvss3BaseScore = num(s('cvss3_base_score'), '<cvss3_base_score>', 0, 10, fail);
    it.cvss2BaseScore = num(s('cvss_base_score'), '<cvss_base_score>', 0, 10, fail);
    it.epssScore = num(s('epss_score'), '<epss_score>', 0, 1, fail);
    it.cvss3Vector = s('cvss3_vector');
    it.cvss4Vector = s('cvss4_vector');
    it.riskFactor = s('risk_factor');
    it.synopsis = s('synopsis');
    it.solution = s('solution');
    it.pluginOutput = texts.get('plugin_output') ?? null;
    const ea = s('exploit_available');
    it.exploitAvailable = ea === null ? null : ea.toLowerCase() === 'true';
    items.push(it);
  };

  await readXml<HostUnit>(
    input,
    { what: 'a Nessus v2 report', roots: ['NessusClientData_v2'] },
    {
      open(name, a, at) {
        const parent = at.parent;
        if (name === 'Report' && parent === 'NessusClientData_v2') summary.reportName = a.name ?? null;
        else if (name === 'ReportHost' && parent === 'Report') {
          if (!a.name?.trim()) at.fail('<ReportHost> without a name attribute');
          host = { name: (a.name as string).trim(), ip: null, fqdn: null, netbiosName: null, os: null, mac: null, scanStart: null, scanStartTimestamp: null, scanEnd: null };
          items = [];
        } else if (name === 'tag' && parent === 'HostProperties' && host) {
          tagName = a.name ?? null;
          if (tagName && HOST_TAGS[tagName]) at.capture(MAX_TEXT);
        } else if (name === 'ReportItem' && parent === 'ReportHost' && host) openItem(a, at);
        else if (item && parent === 'ReportItem' && ITEM_TEXT.has(name)) {
          at.capture(name === 'plugin_output' ? MAX_OUTPUT : MAX_TEXT, name === 'plugin_output' ? 'truncate' : 'fail');
        }
      },
      close(name, text, at) {
        if (name === 'tag' && host && text !== null && tagName) {
          (host as unknown as Record<string, string | null>)[HOST_TAGS[tagName] as string] = text.trim() || null;
        } else if (item && name === 'cve' && text !== null) {
          const v = text.trim();
          if (!CVE_RE.test(v)) at.fail(`<cve> "${v.slice(0, 40)}" is not a CVE id`);
          if (!item.cves.includes(v)) item.cves.push(v);
        } else if (item && text !== null) texts.set(name, text);
        else if (name === 'ReportItem' && item) {
          closeItem(item, at.fail);
          item = null;
        } else if (name === 'ReportHost' && host) {
          at.emit({ host, items });
          summary.hosts++;
          summary.items += items.length;
          host = null;
          items = [];
        }
      },
    },
    (u) => onHost(u.host, u.items),
  );
  return summary;
}

const NESSUS_SEVERITY: Record<number, Severity> = { 1: 'low', 2: 'medium', 3: 'high', 4: 'critical' };

/** Nessus onto the normalised model: one finding per CVE (× package), informational items skipped. */
export const nessusReport: ReportParser = async (input, sink) => {
  let scannedAt: number | null = null;
  const summary = await parseNessus(input, async (host, items) => {
    const started = hostStart(host);
    if (started !== null && (scannedAt === null || started < scannedAt)) scannedAt = started;
    const findings: ReportFinding[] = [];
    let informational = 0;
    for (const item of items) {
      if (item.severity === 0) informational++;
      else findings.push(...nessusFindings(item, host.os));
    }
    if (informational) sink.skip('informational (severity 0)', informational);
    await sink.target(nessusTarget(host), mergeDuplicates(findings, MAX_OUTPUT));
  });
  return { format: 'nessus', scanner: 'Nessus', reportName: summary.reportName, scannedAt: scannedAt === null ? null : new Date(scannedAt).toISOString() };
};

export function nessusTarget(host: NessusHost): ReportTarget {
  const nameIsIp = isIpAddress(host.name);
  const addresses = [...new Set([host.ip, nameIsIp ? host.name : null].filter((a): a is string => !!a))];
  return {
    key: host.name,
    kind: 'host',
    name: host.fqdn ?? host.name,
    fqdn: host.fqdn,
    hostname: firstLabel(host.fqdn) ?? (host.netbiosName?.toLowerCase() || null) ?? (nameIsIp ? null : firstLabel(host.name)),
    addresses,
    // Nessus lists several guesses, one a line, when it is not sure.
    os: host.os?.split(/\s*\n\s*/).join(' / ') || null,
  };
}

export function nessusFindings(item: NessusItem, hostOs: string | null = null): ReportFinding[] {
  const ids = item.cves.length ? item.cves : [`NESSUS-${item.pluginId}`];
  const packages: (ReportPackage | null)[] = item.pluginOutput ? packagesFromOutput(item.pluginOutput, item.pluginFamily, hostOs) : [];
  const base = {
    title: item.pluginName || null,
    severity: NESSUS_SEVERITY[item.severity] ?? null,
    cvssScore: item.cvss3BaseScore ?? item.cvss2BaseScore,
    cvssVector: item.cvss4Vector ?? item.cvss3Vector,
    sourceKey: `${item.pluginId}/${item.port}/${item.protocol}`,
    location: item.port > 0 ? `${item.port}/${item.protocol}${item.service ? ` (${item.service})` : ''}` : null,
    output: item.pluginOutput,
  };
  if (!packages.length) packages.push(null);
  return ids.flatMap((vulnerabilityId) => packages.map((pkg) => ({ vulnerabilityId, ...base, package: pkg })));
}

/** HOST_START_TIMESTAMP when present (exact); else HOST_START ("Tue Jun 25 10:32:42 2013", no zone: read as UTC). */
function hostStart(host: NessusHost): number | null {
  const ts = Number(host.scanStartTimestamp);
  if (host.scanStartTimestamp && Number.isInteger(ts) && ts > 0) return ts * 1000;
  const m = /^\w{3}\s+(\w{3})\s+(\d{1,2})\s+(\d{1,2}):(\d{2}):(\d{2})\s+(\d{4})$/.exec(host.scanStart?.trim() ?? '');
  if (!m) return null;
  const month = 'JanFebMarAprMayJunJulAugSepOctNovDec'.indexOf(m[1] as string) / 3;
  if (!Number.isInteger(month) || month < 0) return null;
  const t = Date.UTC(Number(m[6]), month, Number(m[2]), Number(m[3]), Number(m[4]), Number(m[5]));
  return Number.isFinite(t) ? t : null;
}

const DEB_FAMILIES = /^(Debian|Ubuntu) Local Security Checks$/i;
const RPM_FAMILIES = /^(Red Hat|CentOS|Oracle Linux|OracleVM|Amazon Linux|SuSE|Fedora|Scientific Linux|Rocky Linux|Alma Linux|AlmaLinux|Virtuozzo|PhotonOS|Huawei|EulerOS|Mandriva|Miscellaneous Red Hat) Local Security Checks$/i;
const PACKAGE_LINE = /^\s*(?:-\s*)?(?:Remote package installed|Installed package)\s*:\s*(\S+)\s*$/;
const FIXED_LINE = /^\s*(?:Should be|Fixed package)\s*:\s*(\S+)\s*$/;

/**
 * Packages named by a local-check plugin's output: "Remote package installed :
 * openssl_1.1.1n-0+deb11u3" then "Should be : openssl_1.1.1n-0+deb11u4"
 * (Debian name_version; Ubuntu writes "- Installed package :" and "Fixed
 * package :"), or RPM name-version-release. The plugin family says which;
 * without one the host's operating system, then the shape, decides.
 */
export function packagesFromOutput(output: string, family = '', hostOs: string | null = null): ReportPackage[] {
  const found: ReportPackage[] = [];
  const ecosystem = DEB_FAMILIES.test(family) ? 'deb' : RPM_FAMILIES.test(family) ? 'rpm' : /^Alpine Local Security Checks$/i.test(family) ? 'apk' : null;
  const osGuess = /debian|ubuntu|mint|kali|raspbian/i.test(hostOs ?? '') ? 'deb' : /red hat|rhel|centos|fedora|oracle linux|amazon linux|suse|rocky|alma|scientific/i.test(hostOs ?? '') ? 'rpm' : null;
  let last: ReportPackage | null = null;
  for (const line of output.split('\n')) {
    const installed = PACKAGE_LINE.exec(line);
    if (installed) {
      const eco = ecosystem ?? osGuess ?? guessEcosystem(installed[1] as string);
      last = splitPackage(installed[1] as string, eco);
      if (last) found.push(last);
      continue;
    }
    const fixed = FIXED_LINE.exec(line);
    if (fixed && last && !last.fixedVersion) {
      const f = splitPackage(fixed[1] as string, last.ecosystem ?? 'rpm');
      if (f && f.name === last.name) last.fixedVersion = f.version ?? null;
      last = null;
    }
  }
  // A package listed twice (several kernels, repeated blocks) is one finding.
  const unique = new Map<string, ReportPackage>();
  for (const p of found) if (!unique.has(`${p.name}\0${p.version}`)) unique.set(`${p.name}\0${p.version}`, p);
  return [...unique.values()];
}

function guessEcosystem(s: string): string {
  // name_version with a Debian-shaped name (no "-<digit>", which marks an RPM version): dpkg.
  const i = s.indexOf('_');
  return i > 0 && !/-\d/.test(s.slice(0, i)) && /^[0-9]/.test(s.slice(i + 1)) ? 'deb' : 'rpm';
}

function splitPackage(s: string, ecosystem: string): ReportPackage | null {
  if (ecosystem === 'deb') {
    const i = s.indexOf('_');
    if (i <= 0 || i === s.length - 1) return null;
    return { ecosystem, name: s.slice(0, i), version: s.slice(i + 1), fixedVersion: null };
  }
  // name-version-release: the name may hold hyphens, version and release do not.
  const m = /^(.+)-([^-]+)-([^-]+)$/.exec(s);
  if (!m) return null;
  return { ecosystem, name: m[1] as string, version: `${m[2]}-${m[3]}`, fixedVersion: null };
}
