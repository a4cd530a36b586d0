/** One finding: what was found and why, every piece of evidence, its validation and its whole history. */
import { api } from '../api.js';
import { EvidenceTable } from '../components/findings/EvidenceTable.js';
import { StatusBadge } from '../components/findings/FindingTable.js';
import { HistoryTimeline } from '../components/findings/HistoryTimeline.js';
import { SeverityBadge } from '../components/findings/SeverityBadge.js';
import { FindingExtensionsPanel } from '../components/FindingExtensions.js';
import { PriorityPanel } from '../components/PriorityPanel.js';
import { ValidationPanel } from '../components/ValidationPanel.js';
import { Badge, ErrorBanner, Spinner, useLoad } from '../components.js';
import { formatTime, label } from '../labels.js';
import { Link, useTitle } from '../router.js';
import { Epss, KevBadge } from '../vulns.js';

const RULES: Record<string, string> = {
  source_version_below_fixed: 'The installed source version is below the version that fixes it',
  no_fix_available: 'The package is affected and no fixed version exists yet',
  reported_by_scanner: 'A scanner reported it (see the evidence)',
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
          {d.vulnerabilityId}
          {d.package ? ` in ${d.package}` : ''} on {d.asset.hostname} <StatusBadge status={d.status} />
        </h1>
      </div>
      <div className="detail-grid">
        <div className="card">
          <h2>What was found</h2>
          <dl className="props">
            <dt>Vulnerability</dt>
            <dd>
              <Link to={`/vulnerabilities/${encodeURIComponent(d.vulnerabilityId)}`}>{d.vulnerabilityId}</Link> {d.title && <span className="muted">{d.title}</span>}
            </dd>
            <dt>Severity</dt>
            <dd>
              <SeverityBadge severity={d.severity} source={d.severitySource} />
              {d.cvssScore !== null && <span className="muted"> CVSS {d.cvssScore.toFixed(1)}</span>}
            </dd>
            <dt>Exploitation</dt>
            <dd>
              <Epss epss={d.epss} /> <KevBadge kev={d.kev} />
              {d.kev?.dueDate && <span className="muted small"> KEV due {d.kev.dueDate}</span>}
            </dd>
            <dt>Asset</dt>
            <dd>
              <Link to={`/assets/${d.asset.id}`}>{d.asset.hostname}</Link>{' '}
              <span className="muted small">
                {label(d.asset.environment)} · {label(d.asset.businessCriticality)} criticality · {label(d.asset.networkExposure)}
                {d.asset.owner ? ` · ${d.asset.owner.name}` : ''}
              </span>
            </dd>
            <dt>Package</dt>
            <dd>
              {d.package ?? <span className="muted">none named (a network or configuration check)</span>}
              {d.arch && <span className="muted"> ({d.arch})</span>} {d.ecosystem && <span className="muted small">{d.ecosystem}</span>}
            </dd>
            <dt>Installed version</dt>
            <dd>{d.installedVersion ? <code>{d.installedVersion}</code> : <span className="muted">—</span>}</dd>
            <dt>Fixed version</dt>
            <dd>{d.fixedVersion ? <code>{d.fixedVersion}</code> : d.rule === 'reported_by_scanner' ? <span className="muted">—</span> : <Badge kind="warn">No fix yet</Badge>}</dd>
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
            <dd>
              {d.source}
              {d.sources.length > 1 && <span className="muted"> · also {d.sources.filter((s) => s !== d.source).join(', ')}</span>}
            </dd>
            <dt>First seen</dt>
            <dd>{formatTime(d.firstSeen)}</dd>
            <dt>Last seen</dt>
            <dd>{formatTime(d.lastSeen)}</dd>
            <dt>Resolved</dt>
            <dd>{formatTime(d.resolvedAt) || <span className="muted">—</span>}</dd>
          </dl>
        </div>
      </div>
      <PriorityPanel findingId={d.id} />
      <FindingExtensionsPanel findingId={d.id} status={d.status} />
      <ValidationPanel finding={{ id: d.id, status: d.status, validation: d.validation }} onChanged={f.reload} />
      <div className="card">
        <h2>Evidence</h2>
        <EvidenceTable finding={d} />
      </div>
      <div className="card">
        <h2>History</h2>
        <HistoryTimeline finding={d} />
      </div>
    </section>
  );
}
