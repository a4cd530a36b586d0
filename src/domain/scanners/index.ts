import type { ReportParser, ScanFormat } from './report.js';

/**
 * Every importer by format name (issue #5): what `--format` and `?format=`
 * select and detection returns. Loaded on first use: a CLI command or a
 * server that never imports a SARIF file does not load its parser.
 */
const LOADERS: Record<ScanFormat, () => Promise<ReportParser>> = {
  nessus: async () => (await import('./nessus.js')).nessusReport,
  openvas: async () => (await import('./openvas.js')).openvasReport,
  qualys: async () => (await import('./qualys.js')).qualysReport,
  trivy: async () => (await import('./trivy.js')).trivyReport,
  grype: async () => (await import('./grype.js')).grypeReport,
  'osv-scanner': async () => (await import('./osv-scanner.js')).osvScannerReport,
  sarif: async () => (await import('./sarif.js')).sarifReport,
  cyclonedx: async () => (await import('./cyclonedx-vex.js')).cyclonedxReport,
  openvex: async () => (await import('./openvex.js')).openvexReport,
  csaf: async () => (await import('./csaf.js')).csafReport,
  csv: async () => (await import('./csv-findings.js')).csvReport,
};

export function parserFor(format: ScanFormat): Promise<ReportParser> {
  return LOADERS[format]();
}
