/** The vulnerability register: what affects the fleet, with CVSS, EPSS, KEV and counts; filters and sort live in the URL. */
import { type FormEvent, useEffect, useState } from 'react';
import { api, type VulnQuery, withQuery } from '../api.js';
import { ErrorBanner, SortableHead, Spinner, usePagedList } from '../components.js';
import { Link, navigate, useLocation, useTitle } from '../router.js';
import { Cvss, Epss, KevBadge, ReevaluateButton, SEVERITIES } from '../vulns.js';

const FILTER_KEYS = ['scope', 'q', 'kev', 'severity', 'minCvss', 'minEpss', 'sort', 'order'] as const;
type FilterKey = (typeof FILTER_KEYS)[number];

const COLUMNS: { key: string; label: string; sort?: string }[] = [
  { key: 'id', label: 'Vulnerability', sort: 'id' },
  { key: 'kev', label: 'KEV', sort: 'kevDateAdded' },
  { key: 'cvss', label: 'CVSS', sort: 'cvss' },
  { key: 'epss', label: 'EPSS', sort: 'epss' },
  { key: 'assets', label: 'Assets' },
  { key: 'packages', label: 'Packages' },
  { key: 'openFindings', label: 'Open findings', sort: 'openFindings' },
  { key: 'description', label: 'Description' },
];

const PAGE_SIZE = '50';
const defaultOrder = (sort: string) => (sort === 'id' ? 'asc' : 'desc');

export function VulnerabilitiesPage() {
  useTitle('Vulnerabilities');
  const { search } = useLocation();
  const query: VulnQuery = {};
  for (const k of FILTER_KEYS) {
    const v = search.get(k);
    if (v) (query as Record<string, string>)[k] = v;
  }
  const queryKey = JSON.stringify(query);
  const setFilter = (patch: Partial<Record<FilterKey, string | undefined>>) => navigate(withQuery('/vulnerabilities', { ...query, ...patch } as Record<string, string | undefined>), { replace: true });

  const [q, setQ] = useState(query.q ?? '');
  const urlQ = query.q ?? '';
  useEffect(() => setQ(urlQ), [urlQ]);
  const [minCvss, setMinCvss] = useState(query.minCvss ?? '');
  const [minEpss, setMinEpss] = useState(query.minEpss ?? '');

  const { first, items, nextCursor, loadMore, loadingMore, moreError } = usePagedList((cursor?: string) => api.listVulnerabilities({ ...query, limit: PAGE_SIZE, cursor }), queryKey);

  const submit = (e: FormEvent) => {
    e.preventDefault();
    setFilter({ q: q.trim() || undefined, minCvss: minCvss.trim() || undefined, minEpss: minEpss.trim() || undefined });
  };

  const sort = query.sort ?? 'openFindings';
  const order = query.order ?? defaultOrder(sort);
  const toggleSort = (field: string) => {
    const next = sort === field ? (order === 'asc' ? 'desc' : 'asc') : defaultOrder(field);
    setFilter({ sort: field === 'openFindings' ? undefined : field, order: next === defaultOrder(field) ? undefined : next });
  };
  const active = FILTER_KEYS.filter((k) => k !== 'sort' && k !== 'order' && query[k]).length;

  return (
    <section>
      <div className="page-head">
        <h1>Vulnerabilities</h1>
        <div className="actions">
          <Link className="button" to="/findings">
            All findings
          </Link>
          <ReevaluateButton onDone={first.reload} />
        </div>
      </div>

      <form className="filters" onSubmit={submit} aria-label="Filter vulnerabilities">
        <div className="field">
          <label htmlFor="v-q">Search id, alias or description</label>
          <input id="v-q" type="search" value={q} onChange={(e) => setQ(e.target.value)} maxLength={200} placeholder="CVE-2024-…, GHSA-…, text" />
        </div>
        <div className="field">
          <label htmlFor="v-scope">Show</label>
          <select id="v-scope" value={query.scope ?? 'affected'} onChange={(e) => setFilter({ scope: e.target.value === 'affected' ? undefined : e.target.value })}>
            <option value="affected">Affecting the fleet</option>
            <option value="all">All known</option>
          </select>
        </div>
        <div className="field">
          <label htmlFor="v-kev">Known exploited (KEV)</label>
          <select id="v-kev" value={query.kev ?? ''} onChange={(e) => setFilter({ kev: e.target.value || undefined })}>
            <option value="">All</option>
            <option value="true">In KEV only</option>
            <option value="false">Not in KEV</option>
          </select>
        </div>
        <div className="field">
          <label htmlFor="v-severity">CVSS severity</label>
          <select id="v-severity" value={query.severity ?? ''} onChange={(e) => setFilter({ severity: e.target.value || undefined })}>
            <option value="">All</option>
            {SEVERITIES.map((s) => (
              <option key={s} value={s}>
                {s.charAt(0).toUpperCase() + s.slice(1)}
              </option>
            ))}
          </select>
        </div>
        <div className="field">
          <label htmlFor="v-min-cvss">CVSS at least</label>
          <input id="v-min-cvss" type="number" min={0} max={10} step={0.1} value={minCvss} onChange={(e) => setMinCvss(e.target.value)} />
        </div>
        <div className="field">
          <label htmlFor="v-min-epss">EPSS at least (0–1)</label>
          <input id="v-min-epss" type="number" min={0} max={1} step={0.01} value={minEpss} onChange={(e) => setMinEpss(e.target.value)} />
        </div>
        <div className="filter-buttons">
          <button type="submit">Apply</button>
          {active > 0 && (
            <button type="button" className="link-button" onClick={() => navigate('/vulnerabilities', { replace: true })}>
              Clear filters
            </button>
          )}
        </div>
      </form>

      <ErrorBanner error={first.error} />
      {first.data && (
        <p className="result-count" aria-live="polite">
          {items.length === 1 ? '1 vulnerability' : `${items.length}${nextCursor ? '+' : ''} vulnerabilities`}
          {first.loading && ' · updating…'}
        </p>
      )}
      {!first.data && first.loading && <Spinner />}
      {first.data && (
        <div className="table-wrap">
          <table className="data">
            <SortableHead columns={COLUMNS} sort={sort} order={order} onSort={toggleSort} />
            <tbody>
              {items.map((v) => (
                <tr key={v.id}>
                  <td className="nowrap">
                    <Link to={`/vulnerabilities/${encodeURIComponent(v.id)}`}>{v.id}</Link>
                    {v.aliases.length > 0 && <div className="muted small">{v.aliases.slice(0, 3).join(', ')}{v.aliases.length > 3 ? ` +${v.aliases.length - 3}` : ''}</div>}
                  </td>
                  <td>
                    <KevBadge kev={v.kev} />
                  </td>
                  <td>
                    <Cvss score={v.cvss.score} severity={v.cvss.severity} />
                  </td>
                  <td>
                    <Epss epss={v.epss} />
                  </td>
                  <td>{v.counts.assets}</td>
                  <td>{v.counts.packages}</td>
                  <td>
                    {v.counts.openFindings > 0 ? <Link to={withQuery('/findings', { vulnerabilityId: v.id, status: 'open' })}>{v.counts.openFindings}</Link> : 0}
                  </td>
                  <td className="description-cell">{v.description ?? <span className="muted">—</span>}</td>
                </tr>
              ))}
              {items.length === 0 && (
                <tr>
                  <td colSpan={COLUMNS.length} className="empty">
                    {query.scope === 'all' ? 'No vulnerabilities match.' : 'No vulnerability with open findings matches. Choose “All known” to search every vulnerability.'}
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
