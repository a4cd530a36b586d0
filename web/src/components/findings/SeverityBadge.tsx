/** A finding's severity as a badge; "from evidence" when the vulnerability states none and a scanner did. */
import { Badge } from '../../components.js';
import { severityKind } from '../../vulns.js';
import { SEVERITY_LABEL } from './query.js';

export function SeverityBadge({ severity, source }: { severity: string | null; source?: 'vulnerability' | 'evidence' | null }) {
  if (!severity) return <span className="muted">Unknown</span>;
  return (
    <span className="nowrap">
      <Badge kind={severityKind(severity)}>{SEVERITY_LABEL[severity] ?? severity}</Badge>
      {source === 'evidence' && <span className="muted small" title="The vulnerability has no severity; this is the strongest one its evidence states"> (evidence)</span>}
    </span>
  );
}
