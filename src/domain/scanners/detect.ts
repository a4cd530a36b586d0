import type { ScanFormat } from './report.js';

/**
 * Format auto-detection from the start of a file (issue #5): the root
 * element of an XML report, the tell-tale keys of a JSON one, the header of
 * a CSV. Only the first bytes are read (the caller passes at most
 * DETECT_BYTES), so a JSON report whose distinguishing key comes late is not
 * recognised: the user names the format then, and the message says so.
 */
export const DETECT_BYTES = 256 * 1024;

const XML_ROOTS: [RegExp, ScanFormat][] = [
  [/^NessusClientData_v2$/, 'nessus'],
  // Greenbone: <report> (a report export) or <get_reports_response> (GMP).
  [/^(report|get_reports_response)$/, 'openvas'],
  [/^(SCAN|ASSET_DATA_REPORT|SCAN_REPORT|HOST_LIST_VM_DETECTION_OUTPUT|COMPLIANCE_SCAN_RESULT_OUTPUT)$/, 'qualys'],
  [/^bom$/, 'cyclonedx'],
];

export interface Detection {
  format: ScanFormat | null;
  /** Why, or why not: shown when detection fails. */
  reason: string;
}

function xmlRoot(head: string): string | null {
  // Skip the declaration, comments, processing instructions and a DOCTYPE line to the first element.
  const re = /<(!--[\s\S]*?-->|\?[\s\S]*?\?>|!DOCTYPE[^>]*>|([A-Za-z_][\w.:-]*))/g;
  for (let m = re.exec(head); m; m = re.exec(head)) {
    if (m[2]) return m[2].replace(/^[\w.-]+:/, '');
  }
  return null;
}

function jsonFormat(head: string): ScanFormat | null {
  const has = (key: string) => new RegExp(`"${key}"\\s*:`).test(head);
  if (/"@context"\s*:\s*"https:\/\/openvex\.dev\/ns/.test(head)) return 'openvex';
  if (has('csaf_version') || /"category"\s*:\s*"csaf_/.test(head)) return 'csaf';
  if (/"bomFormat"\s*:\s*"CycloneDX"/.test(head)) return 'cyclonedx';
  if (/"\$schema"\s*:\s*"[^"]*sarif/i.test(head) || (/"version"\s*:\s*"2\.1\.0"/.test(head) && has('runs'))) return 'sarif';
  if (has('SchemaVersion') || (has('Target') && (has('Vulnerabilities') || has('Type')))) return 'trivy';
  if (has('matches') && (has('vulnerability') || has('descriptor') || has('source'))) return 'grype';
  if (has('results') && (has('packages') || has('source'))) return 'osv-scanner';
  return null;
}

export function detectFormat(head: string, fileName?: string | null): Detection {
  const text = head.replace(/^\uFEFF/, '').trimStart();
  if (!text) return { format: null, reason: 'the file is empty' };
  // Trivy's legacy list form prints a bare null when it found nothing.
  if (/^null\s*$/.test(text)) return { format: 'trivy', reason: 'a JSON null (an empty Trivy report in the legacy form)' };
  if (text.startsWith('<')) {
    const root = xmlRoot(text);
    if (!root) return { format: null, reason: 'an XML file without a root element in its first bytes' };
    for (const [re, format] of XML_ROOTS) if (re.test(root)) return { format, reason: `XML root element <${root}>` };
    return { format: null, reason: `an XML file with root element <${root}>, which no importer reads` };
  }
  if (text.startsWith('{') || text.startsWith('[')) {
    const format = jsonFormat(text);
    return format
      ? { format, reason: 'JSON keys' }
      : { format: null, reason: 'a JSON file whose first bytes match no known report (Trivy, Grype, osv-scanner, SARIF, CycloneDX, OpenVEX, CSAF)' };
  }
  const firstLine = text.split(/\r?\n/, 1)[0] ?? '';
  if (/\.(csv|tsv)$/i.test(fileName ?? '') || (firstLine.includes(',') && !/[<{]/.test(firstLine[0] ?? ''))) {
    return { format: 'csv', reason: 'a CSV header line' };
  }
  return { format: null, reason: 'neither XML, JSON nor CSV' };
}
