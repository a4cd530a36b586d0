import { SaxesParser, type SaxesTagPlain } from 'saxes';

/**
 * Nessus v2 (.nessus) reports, read as a stream (issue #5, VUL-2): the file
 * goes through a SAX parser chunk by chunk and each host is handed on with
 * its findings as soon as its </ReportHost> is read, so memory holds one
 * host, not the report. A DOCTYPE (the door to external entities and entity
 * expansion) is refused outright; only XML's five predefined entities exist.
 * Every problem is a ScanFormatError naming line and column.
 *
 * Layout: NessusClientData_v2/Report[@name]/ReportHost[@name]/
 * HostProperties/tag[@name] and ReportItem[@port,@svc_name,@protocol,
 * @severity 0–4,@pluginID,@pluginName,@pluginFamily] with children cve
 * (repeated), synopsis, solution, plugin_output, cvss3_base_score,
 * cvss3_vector, cvss4_vector, cvss_base_score, epss_score, exploit_available,
 * risk_factor.
 */

export class ScanFormatError extends Error {
  constructor(
    message: string,
    readonly line: number | null = null,
    readonly column: number | null = null,
  ) {
    super(line !== null ? `line ${line}, column ${column}: ${message}` : message);
  }
}

export interface NessusHost {
  /** ReportHost@name: what the scan was pointed at (an address or a name). */
  name: string;
  ip: string | null;
  fqdn: string | null;
  netbiosName: string | null;
  os: string | null;
  mac: string | null;
  scanStart: string | null;
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
  HOST_END: 'scanEnd',
};

const ITEM_TEXT = new Set(['cve', 'synopsis', 'solution', 'plugin_output', 'cvss3_base_score', 'cvss3_vector', 'cvss4_vector', 'cvss_base_score', 'epss_score', 'exploit_available', 'risk_factor']);

function num(v: string | null, what: string, min: number, max: number, fail: (msg: string) => never): number | null {
  if (v === null || v.trim() === '') return null;
  const n = Number(v.trim());
  if (!Number.isFinite(n) || n < min || n > max) fail(`${what}: "${v.trim().slice(0, 40)}" is not a number between ${min} and ${max}`);
  return n;
}

/** Reads a .nessus stream; calls `onHost` per host (awaited: a slow sink slows the reading, memory stays flat). */
export async function parseNessus(input: AsyncIterable<string | Uint8Array> | Iterable<string | Uint8Array>, onHost: HostSink): Promise<NessusSummary> {
  const parser = new SaxesParser<{ position: true; xmlns: false }>({ position: true, xmlns: false });
  const decoder = new TextDecoder('utf-8');
  const summary: NessusSummary = { reportName: null, hosts: 0, items: 0 };
  const stack: string[] = [];
  const ready: { host: NessusHost; items: NessusItem[] }[] = [];
  let failure: ScanFormatError | null = null;
  let host: NessusHost | null = null;
  let items: NessusItem[] = [];
  let item: (NessusItem & { texts: Map<string, string> }) | null = null;
  let tagName: string | null = null;
  let capture: string | null = null;
  let text = '';
  let rootSeen = false;

  const fail = (msg: string): never => {
    throw new ScanFormatError(msg, parser.line, parser.column + 1);
  };

  parser.on('doctype', () => fail('a DOCTYPE is not allowed in a Nessus report (it could declare external or expanding entities)'));
  parser.on('opentag', (node: SaxesTagPlain) => {
    const name = node.name;
    if (stack.length === 0 && rootSeen) fail(`a second root element <${name}> after the report`);
    if (stack.length === 0) rootSeen = true;
    if (stack.length === 0 && name !== 'NessusClientData_v2') fail(`this is not a Nessus v2 report: the root element is <${name}>, not <NessusClientData_v2>`);
    const parent = stack[stack.length - 1];
    stack.push(name);
    const a = node.attributes as Record<string, string>;
    if (name === 'Report' && parent === 'NessusClientData_v2') summary.reportName = a.name ?? null;
    else if (name === 'ReportHost' && parent === 'Report') {
      if (!a.name?.trim()) fail('<ReportHost> without a name attribute');
      host = { name: (a.name as string).trim(), ip: null, fqdn: null, netbiosName: null, os: null, mac: null, scanStart: null, scanEnd: null };
      items = [];
    } else if (name === 'tag' && parent === 'HostProperties' && host) {
      tagName = a.name ?? null;
      capture = 'tag';
      text = '';
    } else if (name === 'ReportItem' && parent === 'ReportHost' && host) {
      const pluginId = num(a.pluginID ?? null, '<ReportItem> pluginID', 0, 1e9, fail);
      const severity = num(a.severity ?? null, '<ReportItem> severity', 0, 4, fail);
      const port = num(a.port ?? null, '<ReportItem> port', 0, 65535, fail);
      if (pluginId === null || severity === null || port === null) fail('<ReportItem> needs pluginID, severity and port attributes');
      if (items.length >= MAX_ITEMS_PER_HOST) fail(`more than ${MAX_ITEMS_PER_HOST} findings for one host`);
      item = {
        port: port as number, protocol: a.protocol ?? '', service: a.svc_name ?? '', severity: severity as NessusItem['severity'], pluginId: pluginId as number,
        pluginName: a.pluginName ?? '', pluginFamily: a.pluginFamily ?? '', cves: [], cvss3BaseScore: null, cvss3Vector: null, cvss4Vector: null, cvss2BaseScore: null,
        epssScore: null, exploitAvailable: null, riskFactor: null, synopsis: null, solution: null, pluginOutput: null, texts: new Map(),
      };
    } else if (item && parent === 'ReportItem' && ITEM_TEXT.has(name)) {
      capture = name;
      text = '';
    }
  });
  const onText = (t: string) => {
    if (capture === null) return;
    if (text.length + t.length > (capture === 'plugin_output' ? MAX_OUTPUT : MAX_TEXT)) {
      if (capture !== 'plugin_output') fail(`<${capture}> is longer than ${MAX_TEXT} characters`);
      text = (text + t).slice(0, MAX_OUTPUT);
      return;
    }
    text += t;
  };
  parser.on('text', onText);
  parser.on('cdata', onText);
  parser.on('closetag', (node) => {
    const name = stack.pop();
    if (name !== node.name) fail(`</${node.name}> closes <${name}>`);
    if (capture === 'tag' && name === 'tag' && host) {
      const field = tagName ? HOST_TAGS[tagName] : undefined;
      if (field) (host as unknown as Record<string, string | null>)[field] = text.trim() || null;
      capture = null;
    } else if (item && capture === name) {
      const v = text.trim();
      if (name === 'cve') {
        if (!CVE_RE.test(v)) fail(`<cve> "${v.slice(0, 40)}" is not a CVE id`);
        if (!item.cves.includes(v)) item.cves.push(v);
      } else item.texts.set(name, name === 'plugin_output' ? text : v);
      capture = null;
    } else if (name === 'ReportItem' && item) {
      const t = item.texts;
      const s = (k: string) => t.get(k) || null;
      item.cvss3BaseScore = num(s('cvss3_base_score'), '<cvss3_base_score>', 0, 10, fail);
      item.cvss2BaseScore = num(s('cvss_base_score'), '<cvss_base_score>', 0, 10, fail);
      item.epssScore = num(s('epss_score'), '<epss_score>', 0, 1, fail);
      item.cvss3Vector = s('cvss3_vector');
      item.cvss4Vector = s('cvss4_vector');
      item.riskFactor = s('risk_factor');
      item.synopsis = s('synopsis');
      item.solution = s('solution');
      item.pluginOutput = t.get('plugin_output') ?? null;
      const ea = s('exploit_available');
      item.exploitAvailable = ea === null ? null : ea.toLowerCase() === 'true';
      const { texts: _t, ...done } = item;
      items.push(done);
      item = null;
    } else if (name === 'ReportHost' && host) {
      ready.push({ host, items });
      summary.hosts++;
      summary.items += items.length;
      host = null;
      items = [];
    }
  });
  parser.on('error', (err) => {
    // saxes reports "file:line:column: message"; keep the message, our position is the parser's.
    failure ??= err instanceof ScanFormatError ? err : new ScanFormatError(err.message.replace(/^[^:]*:\d+:\d+: /, ''), parser.line, parser.column + 1);
  });

  const feed = async (chunk: string) => {
    try {
      parser.write(chunk);
    } catch (err) {
      failure ??= err instanceof ScanFormatError ? err : new ScanFormatError((err as Error).message, parser.line, parser.column + 1);
    }
    if (failure) throw failure;
    while (ready.length) {
      const h = ready.shift() as { host: NessusHost; items: NessusItem[] };
      await onHost(h.host, h.items);
    }
  };
  for await (const chunk of input as AsyncIterable<string | Uint8Array>) {
    await feed(typeof chunk === 'string' ? chunk : decoder.decode(chunk, { stream: true }));
  }
  await feed(decoder.decode());
  if (failure) throw failure;
  if (!rootSeen) throw new ScanFormatError('the file is empty: no <NessusClientData_v2> element');
  if (stack.length) throw new ScanFormatError(`the report ends inside <${stack[stack.length - 1]}>: the file is truncated`, parser.line, parser.column + 1);
  try {
    parser.close();
  } catch (err) {
    throw failure ?? new ScanFormatError((err as Error).message, parser.line, parser.column + 1);
  }
  if (failure) throw failure;
  return summary;
}
