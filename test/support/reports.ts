/** Scanner reports generated for tests and benches (the real ones are in ../shared/fixtures). */

export interface NessusItemSpec {
  pluginId: number;
  severity?: 0 | 1 | 2 | 3 | 4;
  cves?: string[];
  port?: number;
  name?: string;
  output?: string;
}

export interface NessusHostSpec {
  name: string;
  ip?: string;
  fqdn?: string;
  os?: string;
  items: NessusItemSpec[];
}

const esc = (s: string) => s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;');

export function nessusHostXml(h: NessusHostSpec): string {
  const tags = [
    h.ip ? `<tag name="host-ip">${esc(h.ip)}</tag>` : '',
    h.fqdn ? `<tag name="host-fqdn">${esc(h.fqdn)}</tag>` : '',
    h.os ? `<tag name="operating-system">${esc(h.os)}</tag>` : '',
    '<tag name="HOST_START">Thu Dec  3 10:00:00 2026</tag>',
  ].join('');
  const items = h.items
    .map((i) => {
      const cves = (i.cves ?? []).map((c) => `<cve>${c}</cve>`).join('');
      const out = i.output ? `<plugin_output>${esc(i.output)}</plugin_output>` : '';
      return `<ReportItem port="${i.port ?? 0}" svc_name="general" protocol="tcp" severity="${i.severity ?? 2}" pluginID="${i.pluginId}" pluginName="${esc(i.name ?? `Plugin ${i.pluginId}`)}" pluginFamily="General"><risk_factor>Medium</risk_factor><synopsis>s</synopsis>${cves}${out}</ReportItem>`;
    })
    .join('\n');
  return `<ReportHost name="${esc(h.name)}"><HostProperties>${tags}</HostProperties>\n${items}\n</ReportHost>\n`;
}

export function nessusXml(hosts: NessusHostSpec[], reportName = 'test scan'): string {
  return `<?xml version="1.0" ?>\n<NessusClientData_v2><Report name="${esc(reportName)}">\n${hosts.map(nessusHostXml).join('')}</Report></NessusClientData_v2>\n`;
}

/** Nessus local-check output naming an installed Debian package and the fixed one. */
export function debPackageOutput(name: string, installed: string, fixed: string): string {
  return `\n  Remote package installed : ${name}_${installed}\n  Should be                : ${name}_${fixed}\n`;
}
