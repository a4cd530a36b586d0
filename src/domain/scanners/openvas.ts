import { type ReportFinding, type ReportParser, type ReportTarget, ScanFormatError, type Severity, severityOfScore, severityWord } from './report.js';
import { firstLabel, isIpAddress, isoDate, mergeDuplicates, readXml, type XmlCursor } from './xml-stream.js';

/**
 * Greenbone/OpenVAS XML reports (GMP get_reports, XML format), read as a
 * stream (issue #5, VUL-2). Layout: report[name, creation_time]/report[
 * scan_start]/results/result[name, host{ip text, hostname}, port,
 * nvt[@oid]{name, tags, refs/ref[@type,@id], severities/severity/value},
 * threat, severity, description], then report/report/host[ip,
 * detail{name,value}] with what the scan learnt of each host (OS, names).
 *
 * Results are sorted by severity, not by host, so one host's results are
 * spread through the file: findings are handed on in bounded batches per
 * host and the importer merges a target handed on more than once.
 */

export const MAX_OUTPUT = 64 * 1024;
const MAX_TEXT = 1024 * 1024;
/** Findings kept per host before handing them on; findings and output characters kept in all. */
const BATCH = 1000;
const MAX_HELD = 20_000;
const MAX_HELD_CHARS = 16 * 1024 * 1024;
const CVE_RE = /^CVE-\d{4}-\d{4,}$/;

/** Threat words that are not vulnerabilities, and why they are not imported. */
const NOT_IMPORTED: Record<string, string> = {
  log: 'informational (threat Log)',
  debug: 'debug message (threat Debug)',
  'false positive': 'false positive (marked in Greenbone)',
  error: 'scan error (threat Error)',
};
/** GVM's negative severities name the same classes. */
const NEGATIVE: Record<number, string> = { [-1]: NOT_IMPORTED['false positive'] as string, [-2]: NOT_IMPORTED.debug as string, [-3]: NOT_IMPORTED.error as string };

interface Result {
  depth: number;
  name: string | null;
  ip: string | null;
  hostname: string | null;
  port: string | null;
  oid: string | null;
  nvtName: string | null;
  cves: string[];
  vector: string | null;
  tagsVector: string | null;
  threat: string | null;
  severity: string | null;
  description: string | null;
}

interface HostDetails {
  ip: string | null;
  hostname: string | null;
  os: string | null;
  detailName: string | null;
}

type Unit = { target: ReportTarget; findings: ReportFinding[]; chars: number };

export const openvasReport: ReportParser = async (input, sink) => {
  let reportName: string | null = null;
  let taskName: string | null = null;
  let created: string | null = null;
  let scanStart: string | null = null;
  let resultsSeen = false;
  let r: Result | null = null;
  let hd: HostDetails | null = null;
  const held = new Map<string, Unit>();
  /** Host names seen per address, so the closing host details do not hand on less than the results did. */
  const seen = new Map<string, string | null>();
  let heldCount = 0;
  let heldChars = 0;

  const handOnUnit = (at: XmlCursor<Unit>, key: string, u: Unit) => {
    at.emit(u);
    held.delete(key);
    heldCount -= u.findings.length;
    heldChars -= u.chars;
  };
  const handOnAll = (at: XmlCursor<Unit>) => {
    for (const [k, u] of held) handOnUnit(at, k, u);
  };
  /** Over the limits: the biggest batches go first, so the sink gets few large calls rather than many small ones. */
  const relieve = (at: XmlCursor<Unit>) => {
    const units = [...held].sort((a, b) => b[1].findings.length - a[1].findings.length);
    for (const [k, u] of units) {
      if (heldCount <= MAX_HELD / 2 && heldChars <= MAX_HELD_CHARS / 2) break;
      handOnUnit(at, k, u);
    }
  };

  const closeResult = (res: Result, at: XmlCursor<Unit>) => {
    const ip = res.ip?.trim();
    if (!ip) {
      sink.skip('result without a host');
      return;
    }
    const threat = res.threat?.trim().toLowerCase() ?? '';
    const score = res.severity?.trim() ? Number(res.severity.trim()) : null;
    if (score !== null && !Number.isFinite(score)) at.fail(`<severity> "${res.severity?.trim().slice(0, 40)}" is not a number`);
    const why = NOT_IMPORTED[threat] ?? (score !== null && score < 0 ? (NEGATIVE[score] ?? `severity ${score}`) : score === 0 ? 'informational (severity 0)' : null);
    const target = hostTarget(ip, res.hostname, null);
    if (!seen.get(ip)) seen.set(ip, target.hostname ? (res.hostname?.trim() ?? null) : null);
    let unit = held.get(target.key);
    if (!unit) {
      unit = { target, findings: [], chars: 0 };
      held.set(target.key, unit);
    } else if (!unit.target.hostname && target.hostname) unit.target = target;
    if (why) {
      sink.skip(why);
      return;
    }
    if (!res.oid) at.fail('<nvt> without an oid attribute');
    // The score places the finding in the CVSS bands the other scanners use (GVM's "High" runs from 7.0 to 10.0).
    const severity: Severity | null = score !== null && score > 0 ? severityOfScore(score) : severityWord(res.threat);
    const ids = res.cves.length ? res.cves : CVE_RE.test(res.oid as string) ? [res.oid as string] : [`OPENVAS-${res.oid}`];
    const port = res.port?.trim() || null;
    for (const vulnerabilityId of ids) {
      unit.findings.push({
        vulnerabilityId,
        title: res.nvtName?.trim() || res.name?.trim() || null,
        severity,
        cvssScore: score !== null && score > 0 ? score : null,
        cvssVector: res.vector ?? res.tagsVector,
        sourceKey: `${res.oid}/${port ?? ''}`,
        location: port,
        output: res.description,
      });
    }
    heldCount += ids.length;
    // The findings of one result share its description: counted once.
    unit.chars += res.description?.length ?? 0;
    heldChars += res.description?.length ?? 0;
    if (unit.findings.length >= BATCH) handOnUnit(at, target.key, unit);
    else if (heldCount >= MAX_HELD || heldChars >= MAX_HELD_CHARS) relieve(at);
  };

  await readXml<Unit>(
    input,
    { what: 'a Greenbone/OpenVAS XML report', roots: ['report', 'get_reports_response'] },
    {
      open(name, a, at) {
        const p = at.path;
        const parent = at.parent;
        if (r) {
          const rel = p.length - r.depth;
          if (rel === 1 && ['name', 'host', 'port', 'threat', 'severity'].includes(name)) at.capture(MAX_TEXT);
          else if (rel === 1 && name === 'description') at.capture(MAX_OUTPUT, 'truncate');
          else if (rel === 2 && parent === 'host' && name === 'hostname') at.capture(MAX_TEXT);
          else if (rel === 1 && name === 'nvt') r.oid = a.oid?.trim() || null;
          else if (rel === 2 && parent === 'nvt' && (name === 'name' || name === 'cve' || name === 'cvss_base_vector')) at.capture(MAX_TEXT);
          else if (rel === 2 && parent === 'nvt' && name === 'tags') at.capture(MAX_OUTPUT, 'truncate');
          else if (rel === 3 && parent === 'refs' && name === 'ref' && a.type?.toLowerCase() === 'cve') addCve(r, a.id ?? '');
          else if (rel === 4 && p[p.length - 3] === 'severities' && name === 'value') at.capture(MAX_TEXT);
          return;
        }
        if (name === 'result' && parent === 'results' && p[p.length - 3] === 'report') {
          r = { depth: p.length, name: null, ip: null, hostname: null, port: null, oid: null, nvtName: null, cves: [], vector: null, tagsVector: null, threat: null, severity: null, description: null };
        } else if (name === 'results' && parent === 'report') resultsSeen = true;
        else if (hd) {
          if ((name === 'ip' && parent === 'host') || (parent === 'detail' && (name === 'name' || name === 'value'))) at.capture(MAX_TEXT);
        } else if (name === 'host' && parent === 'report' && p[p.length - 3] === 'report') hd = { ip: null, hostname: null, os: null, detailName: null };
        else if (parent === 'report' && ['name', 'creation_time', 'scan_start'].includes(name)) at.capture(MAX_TEXT);
        else if (name === 'name' && parent === 'task' && p[p.length - 3] === 'report') at.capture(MAX_TEXT);
      },
      close(name, text, at) {
        const p = at.path;
        if (r) {
          const rel = p.length - r.depth;
          if (rel === 0) {
            closeResult(r, at);
            r = null;
          } else if (text === null) return;
          else if (rel === 1) {
            if (name === 'name') r.name = text;
            else if (name === 'host') r.ip = text;
            else if (name === 'port') r.port = text;
            else if (name === 'threat') r.threat = text;
            else if (name === 'severity') r.severity = text;
            else if (name === 'description') r.description = text;
          } else if (name === 'hostname') r.hostname = text.trim() || null;
          else if (name === 'name') r.nvtName = text;
          else if (name === 'cve') for (const c of text.split(/[,\s]+/)) addCve(r, c);
          else if (name === 'cvss_base_vector') r.tagsVector ??= text.trim() || null;
          else if (name === 'tags') r.tagsVector ??= /(?:^|\|)cvss_base_vector=([^|]+)/.exec(text)?.[1]?.trim() || null;
          else if (name === 'value') r.vector ??= text.trim() || null;
          return;
        }
        if (hd) {
          if (name === 'host' && at.parent === 'report') {
            const ip = hd.ip?.trim();
            // A host with no results is handed on too (the scan reached it); one already handed on only when this adds to it.
            if (ip && (!seen.has(ip) || hd.os || (hd.hostname && !seen.get(ip)))) {
              at.emit({ target: hostTarget(ip, hd.hostname ?? seen.get(ip) ?? null, hd.os), findings: [], chars: 0 });
            }
            hd = null;
          } else if (text !== null && name === 'ip') hd.ip = text;
          else if (text !== null && name === 'name') hd.detailName = text.trim();
          else if (text !== null && name === 'value') {
            const v = text.trim() || null;
            if (hd.detailName === 'hostname') hd.hostname ??= v;
            else if (hd.detailName === 'best_os_txt') hd.os ??= v;
          }
          return;
        }
        if (name === 'results') handOnAll(at);
        else if (text === null) return;
        else if (name === 'name' && at.parent === 'task') taskName ??= text.trim() || null;
        else if (name === 'name' && p.length === (p[0] === 'report' ? 2 : 3)) reportName ??= text.trim() || null;
        else if (name === 'creation_time') created ??= text.trim() || null;
        else if (name === 'scan_start') scanStart ??= text.trim() || null;
      },
    },
    (u) => sink.target(u.target, mergeDuplicates(u.findings, MAX_OUTPUT)),
  );
  if (!resultsSeen) throw new ScanFormatError('no <report><results> element: this is not a Greenbone/OpenVAS XML report');
  // Whatever a <results> left unclosed was refused above; held findings are always handed on at its end.
  return { format: 'openvas', scanner: 'Greenbone/OpenVAS', reportName: reportName ?? taskName, scannedAt: isoDate(scanStart) ?? isoDate(created) };
};

function addCve(r: Result, id: string) {
  const v = id.trim();
  if (CVE_RE.test(v) && !r.cves.includes(v)) r.cves.push(v);
}

function hostTarget(ip: string, hostname: string | null, os: string | null): ReportTarget {
  const name = hostname?.trim() || null;
  const isIp = isIpAddress(ip);
  return {
    key: ip,
    kind: 'host',
    name: name ?? ip,
    fqdn: name?.includes('.') && !isIpAddress(name) ? name.toLowerCase() : null,
    hostname: firstLabel(name),
    addresses: isIp ? [ip] : [],
    os,
  };
}
