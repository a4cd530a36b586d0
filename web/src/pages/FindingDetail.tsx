/** One finding: why it matched (advisory, rule, installed and fixed versions) and its status history. */
import { api } from '../api.js';
import { Badge, ErrorBanner, Spinner, useLoad } from '../components.js';
import { formatTime, label } from '../labels.js';
import { Link, useTitle } from '../router.js';
import { StatusBadge } from './Findings.js';

const RULES: Record<string, string> = {
  source_version_below_fixed: 'The installed source version is below the version that fixes it',
  no_fix_available: 'The package is affected and no fixed version exists yet',
};

export function FindingDetailPage({ id }: { id: string }) {
  const f = useLoad(() => api.getFinding(id), id);
  useTitle(f.data ? `${f.data.vulnerabilityId} on ${f.data.asset.hostname}` : 'Finding');
  if (f.error)
    return (
      <section>
        <p className="breadcrumb">
          <Link to="/findings">Findings</Link> /
        </p>
        <ErrorBanner error={f.error} />
      </section>
    );
  if (!f.data) return <Spinner />;
  const d = f.data;
  return (
    <section>
      <p className="breadcrumb">
        <Link to="/findings">Findings</Link> /
      </p>
      <div className="page-head">
        <h1>
          {d.vulnerabilityId} in {d.package} on {d.asset.hostname} <StatusBadge status={d.status} />
        </h1>
      </div>
      <div className="detail-grid">
        <div className="card">
          <h2>What was found</h2>
          <dl className="props">
            <dt>Vulnerability</dt>
            <dd>
              <Link to={`/vulnerabilities/${encodeURIComponent(d.vulnerabilityId)}`}>{d.vulnerabilityId}</Link>
            </dd>
            <dt>Asset</dt>
            <dd>
              <Link to={`/assets/${d.asset.id}`}>{d.asset.hostname}</Link>
            </dd>
            <dt>Package</dt>
            <dd>
              {d.package}
              {d.arch && <span className="muted"> ({d.arch})</span>} <span className="muted small">{d.ecosystem}</span>
            </dd>
            <dt>Installed version</dt>
            <dd>
              <code>{d.installedVersion}</code>
            </dd>
            <dt>Source package</dt>
            <dd>{d.sourcePackage ? `${d.sourcePackage} ${d.sourceVersion ?? ''}` : <span className="muted">—</span>}</dd>
            <dt>Fixed version</dt>
            <dd>{d.fixedVersion ? <code>{d.fixedVersion}</code> : <Badge kind="warn">No fix yet</Badge>}</dd>
          </dl>
        </div>
        <div className="card">
          <h2>Why it matched</h2>
          <dl className="props">
            <dt>Rule</dt>
            <dd>
              {RULES[d.rule] ?? label(d.rule)} <code className="small">{d.rule}</code>
            </dd>
            <dt>Advisory</dt>
            <dd>{d.advisory ? `${d.advisory.feed} · ${d.advisory.release || 'any release'} · ${d.advisory.package}${d.advisory.urgency ? ` · urgency ${d.advisory.urgency}` : ''}` : <span className="muted">—</span>}</dd>
            <dt>Found by</dt>
            <dd>{d.source}</dd>
            <dt>First seen</dt>
            <dd>{formatTime(d.firstSeen)}</dd>
            <dt>Last seen</dt>
            <dd>{formatTime(d.lastSeen)}</dd>
            <dt>Resolved</dt>
            <dd>{formatTime(d.resolvedAt) || <span className="muted">—</span>}</dd>
          </dl>
        </div>
      </div>
      <div className="card">
        <h2>History</h2>
        <table className="data history">
          <caption className="visually-hidden">Status history</caption>
          <thead>
            <tr>
              <th scope="col">When</th>
              <th scope="col">Status</th>
              <th scope="col">Reason</th>
              <th scope="col">Installed version</th>
            </tr>
          </thead>
          <tbody>
            {d.history.map((h, i) => (
              // biome-ignore lint/suspicious/noArrayIndexKey: the history is append-only and in order
              <tr key={i}>
                <td className="nowrap">{formatTime(h.at)}</td>
                <td>
                  {h.from ? (
                    <>
                      {label(h.from)} → <StatusBadge status={h.to} />
                    </>
                  ) : (
                    <StatusBadge status={h.to} />
                  )}
                </td>
                <td>{h.reason}</td>
                <td>{h.installedVersion ? <code>{h.installedVersion}</code> : <span className="muted">—</span>}</td>
              </tr>
            ))}
          </tbody>
        </table>
      </div>
    </section>
  );
}
