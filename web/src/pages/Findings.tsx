/** The findings register: one row per (asset, vulnerability, package) with the fix; status, asset, vulnerability and package filters live in the URL. */
import { type FormEvent, useEffect, useState } from 'react';
import { api, type FindingQuery, withQuery } from '../api.js';
import { Badge, ErrorBanner, Spinner, useLoad, usePagedList } from '../components.js';
import { formatTime } from '../labels.js';
import { Link, navigate, useLocation, useTitle } from '../router.js';
import { ReevaluateButton } from '../vulns.js';

const PAGE_SIZE = '100';

export function StatusBadge({ status }: { status: string }) {
  return <Badge kind={status === 'open' ? 'danger' : status === 'resolved' ? 'ok' : 'muted'}>{status.charAt(0).toUpperCase() + status.slice(1)}</Badge>;
}

export function FindingsPage() {
  useTitle('Findings');
  const { search } = useLocation();
  // Open findings by default; status=all shows every status.
  const status = search.get('status') ?? 'open';
  const vulnerabilityId = search.get('vulnerabilityId') ?? undefined;
  const assetId = search.get('assetId') ?? undefined;
  const pkg = search.get('package') ?? undefined;
  const query: FindingQuery = { vulnerabilityId, assetId, package: pkg, status: status === 'all' ? undefined : (status as 'open' | 'resolved') };
  const queryKey = JSON.stringify(query);
  const setFilter = (patch: Record<string, string | undefined>) =>
    navigate(withQuery('/findings', { status: status === 'open' ? undefined : status, vulnerabilityId, assetId, package: pkg, ...patch }), { replace: true });

  const [vuln, setVuln] = useState(vulnerabilityId ?? '');
  const [pkgText, setPkgText] = useState(pkg ?? '');
  useEffect(() => setVuln(vulnerabilityId ?? ''), [vulnerabilityId]);
  useEffect(() => setPkgText(pkg ?? ''), [pkg]);

  const { first, items, nextCursor, loadMore, loadingMore, moreError } = usePagedList((cursor?: string) => api.listFindings({ ...query, limit: PAGE_SIZE, cursor }), queryKey);
  const asset = useLoad(() => (assetId ? api.getAsset(assetId).catch(() => null) : Promise.resolve(null)), assetId ?? '');
  const submit = (e: FormEvent) => {
    e.preventDefault();
    setFilter({ vulnerabilityId: vuln.trim() || undefined, package: pkgText.trim() || undefined });
  };

  return (
    <section>
      <div className="page-head">
        <h1>Findings</h1>
        <div className="actions">
          <ReevaluateButton onDone={first.reload} />
        </div>
      </div>
      <form className="filters" onSubmit={submit} aria-label="Filter findings">
        <div className="field">
          <label htmlFor="f-status">Status</label>
          <select id="f-status" value={status} onChange={(e) => setFilter({ status: e.target.value === 'open' ? undefined : e.target.value })}>
            <option value="open">Open</option>
            <option value="resolved">Resolved</option>
            <option value="all">All</option>
          </select>
        </div>
        <div className="field">
          <label htmlFor="f-vuln">Vulnerability id</label>
          <input id="f-vuln" value={vuln} onChange={(e) => setVuln(e.target.value)} maxLength={100} placeholder="CVE-…" />
        </div>
        <div className="field">
          <label htmlFor="f-package">Package (exact name)</label>
          <input id="f-package" value={pkgText} onChange={(e) => setPkgText(e.target.value)} maxLength={200} />
        </div>
        <div className="filter-buttons">
          <button type="submit">Apply</button>
          {(vulnerabilityId || assetId || pkg || status !== 'open') && (
            <button type="button" className="link-button" onClick={() => navigate('/findings', { replace: true })}>
              Clear filters
            </button>
          )}
        </div>
      </form>
      {assetId && (
        <p>
          Asset: {asset.data ? <Link to={`/assets/${assetId}`}>{asset.data.hostname}</Link> : <code>{assetId}</code>}{' '}
          <button type="button" className="link-button" onClick={() => setFilter({ assetId: undefined })}>
            Show all assets
          </button>
        </p>
      )}

      <ErrorBanner error={first.error} />
      {first.data && (
        <p className="result-count" aria-live="polite">
          {items.length === 1 ? '1 finding' : `${items.length}${nextCursor ? '+' : ''} findings`}
          {first.loading && ' · updating…'}
        </p>
      )}
      {!first.data && first.loading && <Spinner />}
      {first.data && (
        <div className="table-wrap">
          <table className="data">
            <thead>
              <tr>
                <th scope="col">Vulnerability</th>
                <th scope="col">Asset</th>
                <th scope="col">Package</th>
                <th scope="col">Installed</th>
                <th scope="col">Fixed in</th>
                <th scope="col">Status</th>
                <th scope="col">First seen</th>
                <th scope="col">Finding</th>
              </tr>
            </thead>
            <tbody>
              {items.map((f) => (
                <tr key={f.id} className={f.status === 'open' ? undefined : 'row-muted'}>
                  <td className="nowrap">
                    <Link to={`/vulnerabilities/${encodeURIComponent(f.vulnerabilityId)}`}>{f.vulnerabilityId}</Link>
                  </td>
                  <td>
                    <Link to={`/assets/${f.asset.id}`}>{f.asset.hostname}</Link>
                  </td>
                  <td>{f.package}</td>
                  <td>
                    <code>{f.installedVersion}</code>
                  </td>
                  <td>{f.fixedVersion ? <code>{f.fixedVersion}</code> : <Badge kind="warn">No fix yet</Badge>}</td>
                  <td>
                    <StatusBadge status={f.status} />
                  </td>
                  <td className="nowrap">{formatTime(f.firstSeen)}</td>
                  <td>
                    <Link to={`/findings/${f.id}`} aria-label={`Finding ${f.vulnerabilityId} in ${f.package} on ${f.asset.hostname}`}>
                      Details
                    </Link>
                  </td>
                </tr>
              ))}
              {items.length === 0 && (
                <tr>
                  <td colSpan={8} className="empty">
                    No findings match.
                  </td>
                </tr>
              )}
            </tbody>
          </table>
        </div>
      )}
      <ErrorBanner error={moreError} />
      {nextCursor && (
        <p>
          <button type="button" onClick={loadMore} disabled={loadingMore}>
            {loadingMore ? 'Loading…' : 'Load more'}
          </button>
        </p>
      )}
    </section>
  );
}
