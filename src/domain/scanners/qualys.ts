import type { ReportFinding, ReportParser, ReportTarget, Severity } from './report.js';
import { firstLabel, isIpAddress, isoDate, mergeDuplicates, readXml, type XmlCursor } from './xml-stream.js';

/**
 * Qualys XML, read as a stream (issue #5, VUL-2), in its two host-centred
 * forms (both fixtures are the first):
 *
 * - the "Scan Report" ASSET_DATA_REPORT: HEADER[GENERATION_DATETIME,
 *   TEMPLATE], HOST_LIST/HOST[IP, DNS, NETBIOS, OPERATING_SYSTEM]/
 *   VULN_INFO_LIST/VULN_INFO[QID, TYPE (Vuln | Practice | Ig), PORT, SERVICE,
 *   PROTOCOL, FQDN, RESULT, VULN_STATUS], then GLOSSARY/VULN_DETAILS_LIST/
 *   VULN_DETAILS[QID, TITLE, SEVERITY 1–5, CVSS_SCORE/CVSS_BASE,
 *   CVSS3_SCORE/CVSS3_BASE, CVE_ID_LIST/CVE_ID/ID];
 * - the VM detection API's HOST_LIST_VM_DETECTION_OUTPUT: RESPONSE[DATETIME]/
 *   HOST_LIST/HOST[IP, DNS, DNS_DATA/FQDN, NETBIOS, OS]/DETECTION_LIST/
 *   DETECTION[QID, TYPE (Confirmed | Potential | Info), SEVERITY, PORT,
 *   PROTOCOL, RESULTS, STATUS]. It has no glossary: findings carry the QID,
 *   not CVEs or titles.
 *
 * Qualys writes `<!DOCTYPE ASSET_DATA_REPORT SYSTEM "https://…dtd">`: that
 * bare external reference is accepted (never fetched, declares nothing); a
 * DOCTYPE with an internal subset or entities is refused like elsewhere.
 *
 * Severity: 5 urgent → critical, 4 critical → high, 3 serious → medium,
 * 2 medium → low; 1 (minimal) is informational and not imported, nor are
 * information-gathered results (Ig, Info), detections Qualys lists as Fixed
 * and ones ignored or disabled in Qualys. Potential vulnerabilities
 * (Practice, Potential) are imported.
 */

export const MAX_OUTPUT = 64 * 1024;
const MAX_TEXT = 1024 * 1024;
const CVE_RE = /^CVE-\d{4}-\d{4,}$/;
const QUALYS_SEVERITY: Record<number, Severity> = { 5: 'critical', 4: 'high', 3: 'medium', 2: 'low' };

/** What the glossary says of a QID: all the detections of it need. */
interface QidDetails {
  title: string | null;
  severity: number | null;
  cves: string[];
  cvss3: string | null;
  cvss2: string | null;
}

/** A detection held until the glossary is read: the few fields a finding needs, not its XML. */
interface Detection {
  qid: number;
  /** The detection's own severity (detection API); the glossary's otherwise. */
  severity: number | null;
  port: string | null;
  protocol: string | null;
  service: string | null;
  fqdn: string | null;
  result: string | null;
}

interface Host {
  fields: Record<string, string>;
  detections: Detection[];
}

const HOST_FIELDS = new Set(['IP', 'IPV6', 'DNS', 'NETBIOS', 'OPERATING_SYSTEM', 'OS']);
const VULN_FIELDS = new Set(['QID', 'TYPE', 'SEVERITY', 'PORT', 'SERVICE', 'PROTOCOL', 'FQDN', 'VULN_STATUS', 'STATUS', 'IS_IGNORED', 'IS_DISABLED']);
/** Detection elements and their lists, in the two forms. */
const DETECTION: Record<string, string> = { VULN_INFO: 'VULN_INFO_LIST', DETECTION: 'DETECTION_LIST' };
const DETAIL_FIELDS = new Set(['QID', 'TITLE', 'SEVERITY', 'CVSS_BASE', 'CVSS3_BASE']);

export const qualysReport: ReportParser = async (input, sink) => {
  const glossary = new Map<number, QidDetails>();
  let glossaryRead = false;
  let generated: string | null = null;
  let detectionApi = false;
  let template: string | null = null;
  let host: Host | null = null;
  let vuln: Record<string, string> | null = null;
  let details: (QidDetails & { qid: number | null }) | null = null;
  /*
   * The glossary (titles, severities, CVEs) comes after every host. Hosts
   * read before it wait here in compact form (a few short fields and the
   * RESULT text, itself bounded, per detection; informational detections
   * are dropped as read), so memory grows with the findings, not with the
   * file's text. Hosts after a glossary are handed on at once.
   */
  const waiting: Host[] = [];

  const qidOf = (text: string, at: XmlCursor<Host>) => {
    const v = text.trim();
    if (!/^\d{1,10}$/.test(v)) at.fail(`<QID> "${v.slice(0, 40)}" is not a Qualys QID`);
    return Number(v);
  };

  const closeVuln = (v: Record<string, string>, at: XmlCursor<Host>) => {
    if (!host) return;
    if (v.QID === undefined) at.fail(`<${at.path[at.path.length - 1]}> without a <QID>`);
    const s = (k: string) => v[k]?.trim() || null;
    const type = s('TYPE')?.toLowerCase();
    if (type === 'ig' || type === 'info') return sink.skip(`information gathered (Qualys type ${s('TYPE')})`);
    if ((s('VULN_STATUS') ?? s('STATUS'))?.toLowerCase() === 'fixed') return sink.skip('fixed (Qualys status Fixed)');
    if (s('IS_IGNORED') === '1' || s('IS_DISABLED') === '1') return sink.skip('ignored or disabled in Qualys');
    const severity = s('SEVERITY');
    host.detections.push({
      qid: qidOf(v.QID as string, at), severity: severity && /^[1-5]$/.test(severity) ? Number(severity) : null,
      port: s('PORT'), protocol: s('PROTOCOL')?.toLowerCase() ?? null, service: s('SERVICE'), fqdn: s('FQDN'), result: v.RESULT ?? v.RESULTS ?? null,
    });
  };

  const handOn = async (h: Host) => {
    const target = qualysTarget(h.fields);
    if (!target) {
      sink.skip('host without an address or name', Math.max(1, h.detections.length));
      return;
    }
    const findings: ReportFinding[] = [];
    for (const d of h.detections) {
      const g = glossary.get(d.qid);
      if ((d.severity ?? g?.severity) === 1) {
        sink.skip('informational (severity 1)');
        continue;
      }
      findings.push(...qualysFindings(d, g ?? null));
    }
    await sink.target(target, mergeDuplicates(findings, MAX_OUTPUT));
  };

  await readXml<Host>(
    input,
    { what: 'a Qualys XML report (ASSET_DATA_REPORT or HOST_LIST_VM_DETECTION_OUTPUT)', roots: ['ASSET_DATA_REPORT', 'HOST_LIST_VM_DETECTION_OUTPUT'], externalDtd: true },
    {
      open(name, _a, at) {
        const parent = at.parent;
        if (details) {
          // Scores sit one level down (CVSS_SCORE/CVSS_BASE); the rest are the entry's own.
          if (DETAIL_FIELDS.has(name) && (name.startsWith('CVSS') || parent === 'VULN_DETAILS')) at.capture(MAX_TEXT);
          else if (name === 'ID' && parent === 'CVE_ID') at.capture(MAX_TEXT);
        } else if (vuln) {
          if (!parent || !DETECTION[parent]) return;
          if (VULN_FIELDS.has(name)) at.capture(MAX_TEXT);
          else if (name === 'RESULT' || name === 'RESULTS') at.capture(MAX_OUTPUT, 'truncate');
        } else if (host) {
          if (DETECTION[name] && parent === DETECTION[name]) vuln = {};
          else if (parent === 'HOST' && HOST_FIELDS.has(name)) at.capture(MAX_TEXT);
          else if (parent === 'DNS_DATA' && name === 'FQDN') at.capture(MAX_TEXT);
        } else if (name === 'HOST' && parent === 'HOST_LIST') host = { fields: {}, detections: [] };
        else if (name === 'RESPONSE' && parent === 'HOST_LIST_VM_DETECTION_OUTPUT') detectionApi = true;
        else if (name === 'WARNING' && parent === 'RESPONSE') {
          // Paginated API output: the hosts of this page are imported, the rest need the next pages.
          sink.skip('hosts on further pages of the Qualys API output (import those pages too)');
        } else if (parent === 'RESPONSE' && name === 'DATETIME') at.capture(MAX_TEXT);
        else if (name === 'VULN_DETAILS' && parent === 'VULN_DETAILS_LIST') details = { qid: null, title: null, severity: null, cves: [], cvss3: null, cvss2: null };
        else if (parent === 'HEADER' && (name === 'GENERATION_DATETIME' || name === 'TEMPLATE')) at.capture(MAX_TEXT);
      },
      close(name, text, at) {
        if (details) {
          if (name === 'VULN_DETAILS') {
            if (details.qid === null) at.fail('<VULN_DETAILS> without a <QID>');
            const { qid, ...rest } = details;
            glossary.set(qid as number, rest);
            details = null;
          } else if (text === null) return;
          else if (name === 'QID') details.qid = qidOf(text, at);
          else if (name === 'TITLE') details.title = text.trim() || null;
          else if (name === 'SEVERITY') details.severity = /^[1-5]$/.test(text.trim()) ? Number(text.trim()) : null;
          else if (name === 'CVSS_BASE') details.cvss2 = text.trim() || null;
          else if (name === 'CVSS3_BASE') details.cvss3 = text.trim() || null;
          else if (name === 'ID' && CVE_RE.test(text.trim()) && !details.cves.includes(text.trim())) details.cves.push(text.trim());
        } else if (vuln) {
          if (DETECTION[name] && at.parent === DETECTION[name]) {
            closeVuln(vuln, at);
            vuln = null;
          } else if (text !== null) vuln[name] = text;
        } else if (host) {
          if (name === 'HOST') {
            if (glossaryRead || detectionApi) at.emit(host);
            else waiting.push(host);
            host = null;
          } else if (text !== null) host.fields[at.parent === 'DNS_DATA' ? 'DNS_FQDN' : name] = text;
        } else if (name === 'GLOSSARY') {
          glossaryRead = true;
          for (const h of waiting.splice(0)) at.emit(h);
        } else if (text !== null && (name === 'GENERATION_DATETIME' || name === 'DATETIME')) generated = text.trim();
        else if (text !== null && name === 'TEMPLATE') template = text.trim() || null;
      },
    },
    handOn,
  );
  // A report without a glossary still names its detections, by QID and without severity.
  for (const h of waiting.splice(0)) await handOn(h);
  return { format: 'qualys', scanner: 'Qualys', reportName: template, scannedAt: isoDate(generated) };
};

export function qualysTarget(f: Record<string, string>): ReportTarget | null {
  const v = (k: string) => f[k]?.trim() || null;
  const ip = v('IP');
  const ipv6 = v('IPV6');
  const dns = v('DNS_FQDN') ?? v('DNS');
  const netbios = v('NETBIOS');
  const key = ip ?? ipv6 ?? dns ?? netbios;
  if (!key) return null;
  const fqdn = dns?.includes('.') && !isIpAddress(dns) ? dns.toLowerCase() : null;
  return {
    key,
    kind: 'host',
    name: dns ?? netbios ?? key,
    fqdn,
    hostname: firstLabel(dns) ?? (netbios?.toLowerCase() || null),
    addresses: [ip, ipv6].filter((a): a is string => !!a && isIpAddress(a)),
    os: v('OPERATING_SYSTEM') ?? v('OS'),
  };
}

/** "9.3 (AV:N/AC:M/Au:N/C:C/I:C/A:C)" or "9.3": the score and, when given, the vector as Qualys writes it. */
export function qualysCvss(s: string | null): { score: number; vector: string | null } | null {
  const m = /^(\d{1,2}(?:\.\d+)?)\s*(?:\(([^)]*)\))?$/.exec(s?.trim() ?? '');
  if (!m) return null;
  const score = Number(m[1]);
  if (!(score >= 0 && score <= 10)) return null;
  return { score, vector: m[2]?.trim() || null };
}

export function qualysFindings(d: Detection, g: QidDetails | null): ReportFinding[] {
  const cvss = qualysCvss(g?.cvss3 ?? null) ?? qualysCvss(g?.cvss2 ?? null);
  const location = d.port ? `${d.port}/${d.protocol ?? ''}${d.service ? ` (${d.service})` : ''}` : null;
  // A virtual host (FQDN) can carry the same QID on the same port as the address: keep them apart.
  const sourceKey = `${d.qid}/${d.port ?? ''}/${d.protocol ?? ''}${d.fqdn ? `/${d.fqdn.toLowerCase()}` : ''}`;
  const ids = g?.cves.length ? g.cves : [`QUALYS-${d.qid}`];
  return ids.map((vulnerabilityId) => ({
    vulnerabilityId,
    title: g?.title ?? null,
    severity: QUALYS_SEVERITY[d.severity ?? g?.severity ?? 0] ?? null,
    cvssScore: cvss?.score ?? null,
    cvssVector: cvss?.vector ?? null,
    sourceKey,
    location: location && d.fqdn ? `${location} ${d.fqdn}` : location,
    output: d.result,
  }));
}
