/** What a scanner import did (POST /api/imports, GET /api/imports/:id), as the import page and its permanent link show it. */
import type { ScanFormat } from '../../../src/domain/scanners/report.js';
import type { ImportSummary } from '../../../src/services/scan-import/import.service.js';
import { formatCount, formatTime } from '../labels.js';
import { Link } from '../router.js';

export const FORMAT_LABELS: Record<ScanFormat, string> = {
  nessus: 'Nessus (.nessus v2)',
  openvas: 'Greenbone / OpenVAS XML',
  qualys: 'Qualys XML',
  trivy: 'Trivy JSON',
  grype: 'Grype JSON',
  'osv-scanner': 'osv-scanner JSON',
  sarif: 'SARIF 2.1.0',
  cyclonedx: 'CycloneDX (vulnerabilities, VEX)',
  openvex: 'OpenVEX',
  csaf: 'CSAF VEX',
  csv: 'CSV (with a column mapping)',
};

export function formatBytes(n: number | null | undefined): string {
  if (n === null || n === undefined) return '—';
  if (n < 1024) return `${n} B`;
  if (n < 1024 ** 2) return `${(n / 1024).toFixed(1)} KB`;
  if (n < 1024 ** 3) return `${(n / 1024 ** 2).toFixed(1)} MB`;
  return `${(n / 1024 ** 3).toFixed(2)} GB`;
}

export function SummaryView({ s }: { s: ImportSummary }) {
  const by = Object.entries(s.assets.matchedBy)
    .filter(([k]) => k !== 'created')
    .map(([k, n]) => `${n} by ${k}`)
    .join(', ');
  const skipped = s.skipped.reduce((n, k) => n + k.count, 0);
  return (
    <>
      <p>
        <strong>{s.scanner}</strong> report ({FORMAT_LABELS[s.format] ?? s.format}){s.fileName ? ` ${s.fileName}` : ''}, {formatBytes(s.bytes)}, imported in{' '}
        {(s.ms / 1000).toFixed(1)} s{s.scannedAt ? `; scanned ${formatTime(s.scannedAt)}` : ''}.
      </p>
      <h3>Assets</h3>
      <ul className="summary" aria-label="Assets">
        <li>
          <strong>{formatCount(s.assets.reported)}</strong> in the report
        </li>
        <li>
          <strong>{formatCount(s.assets.matched)}</strong> matched{by ? ` (${by})` : ''}
        </li>
        <li>
          <strong>{formatCount(s.assets.created)}</strong> created for review
        </li>
      </ul>
      {s.assets.createdForReview.length > 0 && (
        <details open={s.assets.createdForReview.length <= 10}>
          <summary>Created for review{s.assets.created > s.assets.createdForReview.length ? ` (first ${s.assets.createdForReview.length})` : ''}</summary>
          <ul>
            {s.assets.createdForReview.map((a) => (
              <li key={a.id}>
                <Link to={`/assets/${a.id}`}>{a.hostname}</Link>
              </li>
            ))}
          </ul>
        </details>
      )}
      <h3>Findings</h3>
      <ul className="summary" aria-label="Findings">
        <li>
          <strong>{formatCount(s.findings.reported)}</strong> reported
        </li>
        <li>
          <strong>{formatCount(s.findings.new)}</strong> new
        </li>
        <li>
          <strong>{formatCount(s.findings.seenAgain)}</strong> seen again
        </li>
        <li>
          <strong>{formatCount(s.findings.reopened)}</strong> reopened
        </li>
        <li>
          <strong>{formatCount(s.findings.resolved)}</strong> resolved by scan
        </li>
      </ul>
      {(s.findings.validationsLifted > 0 || s.findings.validatedByVex > 0) && (
        <p>
          Validation: {s.findings.validatedByVex} marked not affected by the report's own VEX analysis; {s.findings.validationsLifted} false positive / not
          affected mark(s) lifted because the evidence changed.
        </p>
      )}
      {s.vex.statements > 0 && (
        <p>
          VEX: {s.vex.statements} statement(s); {s.vex.findingsValidated} finding(s) marked not affected; {s.vex.unmatched} not-affected statement(s)
          matched no finding.
        </p>
      )}
      {skipped > 0 ? (
        <>
          <h3>Skipped: {formatCount(skipped)}</h3>
          <ul aria-label="Skipped">
            {s.skipped.map((k) => (
              <li key={k.reason}>
                {formatCount(k.count)} × {k.reason}
              </li>
            ))}
          </ul>
        </>
      ) : (
        <p className="muted">Nothing skipped.</p>
      )}
    </>
  );
}
