/**
 * The overdue figures on the dashboard (VUL-5): open findings by priority
 * class and SLA state, each number a way into the register with the same
 * filter. Excepted findings (a valid risk exception covers them) are shown
 * apart, never as overdue.
 */
import { api, withQuery } from '../../api.js';
import { useLoad, useSession } from '../../components.js';
import { label } from '../../labels.js';
import { Link } from '../../router.js';

const COLUMNS = [
  { key: 'overdue', title: 'Overdue', q: { slaState: 'overdue', sort: 'dueAt' } },
  { key: 'dueSoon', title: 'Due soon', q: { slaState: 'due_soon', sort: 'dueAt' } },
  { key: 'onTrack', title: 'On track', q: { slaState: 'on_track', sort: 'dueAt' } },
  { key: 'excepted', title: 'Excepted', q: { slaState: 'excepted' } },
] as const;

export function SlaFigures() {
  const { can } = useSession();
  const { data } = useLoad(async () => (can('asset:read') ? api.slaSummary() : null), 'sla-figures');
  if (!data || data.totals.total === 0) return null;
  const t = data.totals;
  return (
    <div className="card sla-figures">
      <h2>Vulnerability SLA</h2>
      <div className="stat-row">
        <Link className={`stat${t.overdue ? ' stat-warn' : ''}`} to={withQuery('/findings', { slaState: 'overdue', sort: 'dueAt' })}>
          <span className="stat-value">{t.overdue}</span>
          <span className="stat-label">Overdue open findings</span>
        </Link>
        <Link className={`stat${t.emergencies ? ' stat-warn' : ''}`} to={withQuery('/findings', { emergency: 'true', status: 'open', sort: 'dueAt' })}>
          <span className="stat-value">{t.emergencies}</span>
          <span className="stat-label">Emergencies (actively exploited, exposed)</span>
        </Link>
        <Link className="stat" to={withQuery('/findings', { slaState: 'due_soon', sort: 'dueAt' })}>
          <span className="stat-value">{t.dueSoon}</span>
          <span className="stat-label">Due soon</span>
        </Link>
        <Link className="stat" to={withQuery('/findings', { slaState: 'excepted' })}>
          <span className="stat-value">{t.excepted}</span>
          <span className="stat-label">Excepted (risk accepted)</span>
        </Link>
      </div>
      <table className="data" aria-label="Open findings by priority and SLA state">
        <thead>
          <tr>
            <th scope="col">Priority</th>
            <th scope="col" className="num">
              Open
            </th>
            {COLUMNS.map((c) => (
              <th scope="col" className="num" key={c.key}>
                {c.title}
              </th>
            ))}
          </tr>
        </thead>
        <tbody>
          {data.byPriority.map((row) => (
            <tr key={row.priority}>
              <th scope="row">{label(row.priority)}</th>
              <td className="num">
                {row.total ? <Link to={withQuery('/findings', { priority: row.priority, status: 'open', sort: 'dueAt' })}>{row.total}</Link> : <span className="muted">0</span>}
              </td>
              {COLUMNS.map((c) => (
                <td className="num" key={c.key}>
                  {row[c.key] ? <Link to={withQuery('/findings', { priority: row.priority, ...c.q })}>{row[c.key]}</Link> : <span className="muted">0</span>}
                </td>
              ))}
            </tr>
          ))}
        </tbody>
      </table>
      <p className="muted small">
        Policy version {data.policyVersion}; due soon from {data.dueSoonPercent} % of the SLA window.
        {data.unprioritised > 0 && ` ${data.unprioritised} open finding${data.unprioritised === 1 ? '' : 's'} not prioritised yet.`}
      </p>
    </div>
  );
}
