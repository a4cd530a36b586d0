/** The findings list: sortable columns, a checkbox per row for bulk actions, a link to each finding. */
import type { Finding } from '../../api.js';
import { Badge } from '../../components.js';
import { formatTime } from '../../labels.js';
import { Link } from '../../router.js';
import { Epss, KevBadge } from '../../vulns.js';
import { DueCell, PriorityBadge } from './PriorityBadge.js';
import { SeverityBadge } from './SeverityBadge.js';

const COLUMNS: { key: string; label: string; sort?: string }[] = [
  { key: 'priority', label: 'Priority', sort: 'priority' },
  { key: 'due', label: 'Due', sort: 'dueAt' },
  { key: 'severity', label: 'Severity', sort: 'severity' },
  { key: 'vulnerability', label: 'Vulnerability', sort: 'vulnerability' },
  { key: 'cvss', label: 'CVSS', sort: 'cvss' },
  { key: 'epss', label: 'EPSS', sort: 'epss' },
  { key: 'asset', label: 'Asset', sort: 'hostname' },
  { key: 'package', label: 'Package' },
  { key: 'fixed', label: 'Fixed in' },
  { key: 'status', label: 'Status' },
  { key: 'sources', label: 'Sources' },
  { key: 'firstSeen', label: 'First seen', sort: 'firstSeen' },
  { key: 'lastSeen', label: 'Last seen', sort: 'lastSeen' },
];

export const STATUS_LABELS: Record<string, string> = { open: 'Open', resolved: 'Resolved', false_positive: 'False positive', not_affected: 'Not affected' };

export function StatusBadge({ status }: { status: string }) {
  const kind = status === 'open' ? 'danger' : status === 'resolved' ? 'ok' : 'muted';
  return <Badge kind={kind}>{STATUS_LABELS[status] ?? status}</Badge>;
}

interface Props {
  items: Finding[];
  sort: string;
  order: 'asc' | 'desc';
  onSort: (sort: string) => void;
  selected: Set<string>;
  onSelect: (ids: string[], on: boolean) => void;
}

export function FindingTable({ items, sort, order, onSort, selected, onSelect }: Props) {
  const allOnPage = items.length > 0 && items.every((f) => selected.has(f.id));
  return (
    <div className="table-wrap">
      <table className="data">
        <caption className="visually-hidden">Findings</caption>
        <thead>
          <tr>
            <th scope="col">
              <input type="checkbox" aria-label="Select all findings shown" checked={allOnPage} onChange={(e) => onSelect(items.map((f) => f.id), e.target.checked)} />
            </th>
            {COLUMNS.map((c) => (
              <th key={c.key} scope="col" aria-sort={c.sort && sort === c.sort ? (order === 'asc' ? 'ascending' : 'descending') : undefined}>
                {c.sort ? (
                  <button type="button" className="sort" onClick={() => onSort(c.sort as string)}>
                    {c.label}
                    <span aria-hidden="true" className="sort-mark">
                      {sort === c.sort ? (order === 'asc' ? ' ▲' : ' ▼') : ''}
                    </span>
                  </button>
                ) : (
                  c.label
                )}
              </th>
            ))}
            <th scope="col">Finding</th>
          </tr>
        </thead>
        <tbody>
          {items.map((f) => {
            const what = `${f.vulnerabilityId}${f.package ? ` in ${f.package}` : ''} on ${f.asset.hostname}`;
            return (
              <tr key={f.id} className={f.status === 'open' ? undefined : 'row-muted'}>
                <td>
                  <input type="checkbox" aria-label={`Select ${what}`} checked={selected.has(f.id)} onChange={(e) => onSelect([f.id], e.target.checked)} />
                </td>
                <td>
                  <PriorityBadge priority={f.priority} />
                </td>
                <td>
                  <DueCell finding={f} />
                </td>
                <td>
                  <SeverityBadge severity={f.severity} source={f.severitySource} />
                </td>
                <td className="nowrap">
                  <Link to={`/vulnerabilities/${encodeURIComponent(f.vulnerabilityId)}`}>{f.vulnerabilityId}</Link> <KevBadge kev={f.kev} />
                  {f.kev?.dueDate && <span className="muted small"> due {f.kev.dueDate}</span>}
                </td>
                <td className="num">{f.cvssScore === null ? <span className="muted">—</span> : f.cvssScore.toFixed(1)}</td>
                <td>
                  <Epss epss={f.epss} />
                </td>
                <td>
                  <Link to={`/assets/${f.asset.id}`}>{f.asset.hostname}</Link>
                </td>
                <td>
                  {f.package ?? <span className="muted">—</span>}
                  {f.installedVersion && <code className="small"> {f.installedVersion}</code>}
                </td>
                <td>{f.fixedVersion ? <code>{f.fixedVersion}</code> : f.rule === 'reported_by_scanner' ? <span className="muted">—</span> : <Badge kind="warn">No fix yet</Badge>}</td>
                <td>
                  <StatusBadge status={f.status} />
                </td>
                <td>{f.sources.join(', ')}</td>
                <td className="nowrap">{formatTime(f.firstSeen)}</td>
                <td className="nowrap">{formatTime(f.lastSeen)}</td>
                <td>
                  <Link to={`/findings/${f.id}`} aria-label={`Finding ${what}`}>
                    Details
                  </Link>
                </td>
              </tr>
            );
          })}
          {items.length === 0 && (
            <tr>
              <td colSpan={COLUMNS.length + 2} className="empty">
                No findings match.
              </td>
            </tr>
          )}
        </tbody>
      </table>
    </div>
  );
}
