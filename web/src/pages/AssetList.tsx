/** Asset list: search, filters, sortable columns and cursor pagination; the filters live in the URL. */
import { type FormEvent, useEffect, useState } from 'react';
import type { AssetQuery } from '../api.js';
import { api, withQuery } from '../api.js';
import { Badge, ErrorBanner, SortableHead, Spinner, useLoad, usePagedList, useSession } from '../components.js';
import { CRITICALITIES, ENVIRONMENTS, EXPOSURES, SYSTEM_TYPES, formatTime, label } from '../labels.js';
import { Link, navigate, useLocation, useTitle } from '../router.js';

const FILTER_KEYS = ['q', 'environment', 'systemType', 'businessCriticality', 'networkExposure', 'department', 'location', 'ownerTeamId', 'unowned', 'inventory', 'reviewRequired', 'lifecycle', 'sort', 'order'] as const;
type FilterKey = (typeof FILTER_KEYS)[number];

const COLUMNS: { key: string; label: string; sort?: string }[] = [
  { key: 'hostname', label: 'Host name', sort: 'hostname' },
  { key: 'environment', label: 'Environment', sort: 'environment' },
  { key: 'systemType', label: 'System type', sort: 'systemType' },
  { key: 'businessCriticality', label: 'Criticality', sort: 'businessCriticality' },
  { key: 'networkExposure', label: 'Exposure', sort: 'networkExposure' },
  { key: 'department', label: 'Department', sort: 'department' },
  { key: 'location', label: 'Location', sort: 'location' },
  { key: 'owner', label: 'Owner' },
  { key: 'updatedAt', label: 'Updated', sort: 'updatedAt' },
];

const PAGE_SIZE = '50';

export function AssetListPage() {
  useTitle('Assets');
  const { can } = useSession();
  const { search } = useLocation();
  const query: AssetQuery = {};
  for (const k of FILTER_KEYS) {
    const v = search.get(k);
    if (v) (query as Record<string, string>)[k] = v;
  }
  const queryKey = JSON.stringify(query);

  const setFilter = (patch: Partial<Record<FilterKey, string>>) => {
    const next: Record<string, string | undefined> = { ...query, ...patch };
    navigate(withQuery('/assets', next), { replace: true });
  };

  const [q, setQ] = useState(query.q ?? '');
  const urlQ = query.q ?? '';
  useEffect(() => setQ(urlQ), [urlQ]);

  const { first, items, nextCursor, loadMore, loadingMore, moreError } = usePagedList((cursor?: string) => api.listAssets({ ...query, limit: PAGE_SIZE, cursor }), queryKey);

  const facets = useLoad(() => api.assetFacets(), 'facets');
  const teams = useLoad(() => api.listTeams(), 'teams');


  const submitSearch = (e: FormEvent) => {
    e.preventDefault();
    setFilter({ q: q.trim() || undefined });
  };

  const sort = query.sort ?? 'hostname';
  const order = query.order ?? 'asc';
  const toggleSort = (field: string) => setFilter({ sort: field, order: sort === field && order === 'asc' ? 'desc' : 'asc' });
  const activeFilters = FILTER_KEYS.filter((k) => k !== 'sort' && k !== 'order' && query[k]).length;

  const select = (key: FilterKey, text: string, values: readonly string[], labelOf: (v: string) => string = label) => (
    <div className="field">
      <label htmlFor={`f-${key}`}>{text}</label>
      <select id={`f-${key}`} value={query[key] ?? ''} onChange={(e) => setFilter({ [key]: e.target.value || undefined })}>
        <option value="">All</option>
        {values.map((v) => (
          <option key={v} value={v}>
            {labelOf(v)}
          </option>
        ))}
      </select>
    </div>
  );
  const teamNames = new Map((teams.data ?? []).map((t) => [t.id, t.name]));

  return (
    <section>
      <div className="page-head">
        <h1>Assets</h1>
        <div className="actions">
          <a className="button" href={api.assetExportUrl(query)} download>
            Export CSV
          </a>
          {can('asset:import') && (
            <Link className="button" to="/assets/import">
              Import CSV
            </Link>
          )}
          {(can('asset:write') || can('asset:write_own')) && (
            <Link className="button primary" to="/assets/new">
              New asset
            </Link>
          )}
        </div>
      </div>

      <search>
        <form className="search-row" onSubmit={submitSearch}>
        <label htmlFor="asset-search" className="visually-hidden">
          Search assets
        </label>
        <input id="asset-search" type="search" placeholder="Search host name, FQDN, address, OS, department, location, tags" value={q} onChange={(e) => setQ(e.target.value)} />
        <button type="submit">Search</button>
        </form>
      </search>

      <fieldset className="filters">
        <legend>Filters {activeFilters > 0 && <span className="muted">({activeFilters} active)</span>}</legend>
        {select('environment', 'Environment', ENVIRONMENTS)}
        {select('systemType', 'System type', SYSTEM_TYPES)}
        {select('businessCriticality', 'Criticality', CRITICALITIES)}
        {select('networkExposure', 'Exposure', EXPOSURES)}
        {select('department', 'Department', facets.data?.departments ?? [], (v) => v)}
        {select('location', 'Location', facets.data?.locations ?? [], (v) => v)}
        {select('ownerTeamId', 'Owner team', (teams.data ?? []).map((t) => t.id), (id) => teamNames.get(id) ?? id)}
        <div className="field">
          <label htmlFor="f-inventory">Inventory</label>
          <select id="f-inventory" value={query.inventory ?? ''} onChange={(e) => setFilter({ inventory: e.target.value || undefined })}>
            <option value="">All</option>
            <option value="missing">Overdue or never (older than 7 days)</option>
            <option value="never">Never inventoried</option>
            <option value="current">Current</option>
          </select>
        </div>
        <div className="field">
          <label htmlFor="f-unowned">Ownership</label>
          <select id="f-unowned" value={query.unowned ?? ''} onChange={(e) => setFilter({ unowned: e.target.value || undefined })}>
            <option value="">All</option>
            <option value="true">Unowned only</option>
            <option value="false">Owned only</option>
          </select>
        </div>
        <div className="field">
          <label htmlFor="f-review">Review</label>
          <select id="f-review" value={query.reviewRequired ?? ''} onChange={(e) => setFilter({ reviewRequired: e.target.value || undefined })}>
            <option value="">All</option>
            <option value="true">Found by scans, not confirmed</option>
            <option value="false">Confirmed</option>
          </select>
        </div>
        <div className="field">
          <label htmlFor="f-lifecycle">Lifecycle</label>
          <select id="f-lifecycle" value={query.lifecycle ?? 'active'} onChange={(e) => setFilter({ lifecycle: e.target.value === 'active' ? undefined : e.target.value })}>
            <option value="active">Active</option>
            <option value="decommissioned">Decommissioned</option>
            <option value="all">All</option>
          </select>
        </div>
        {activeFilters > 0 && (
          <button type="button" className="link-button" onClick={() => navigate('/assets', { replace: true })}>
            Clear filters
          </button>
        )}
      </fieldset>

      <ErrorBanner error={first.error} />
      {first.data && (
        <p className="result-count" aria-live="polite">
          {first.data.total === 1 ? '1 asset' : `${first.data.total} assets`}
          {items.length < first.data.total && ` · showing ${items.length}`}
          {first.loading && ' · updating…'}
        </p>
      )}
      {!first.data && first.loading && <Spinner />}
      {first.data && (
        <div className="table-wrap">
          <table className="data">
            <SortableHead columns={COLUMNS} sort={sort} order={order === 'desc' ? 'desc' : 'asc'} onSort={toggleSort} />
            <tbody>
              {items.map((a) => (
                <tr key={a.id} className={a.lifecycle === 'decommissioned' ? 'row-muted' : undefined}>
                  <td>
                    <Link to={`/assets/${a.id}`}>{a.hostname}</Link>
                    {a.lifecycle === 'decommissioned' && (
                      <>
                        {' '}
                        <Badge kind="muted">Decommissioned</Badge>
                      </>
                    )}
                    {a.reviewRequired && (
                      <>
                        {' '}
                        <Badge kind="warn">Needs review</Badge>
                      </>
                    )}
                  </td>
                  <td>{label(a.environment)}</td>
                  <td>{label(a.systemType)}</td>
                  <td>
                    <span className={`crit crit-${a.businessCriticality}`}>{label(a.businessCriticality)}</span>
                  </td>
                  <td>{label(a.networkExposure)}</td>
                  <td>{a.department}</td>
                  <td>{a.location}</td>
                  <td>{a.owner ? a.owner.name : <Badge kind="warn">Unowned</Badge>}</td>
                  <td className="nowrap">{formatTime(a.updatedAt)}</td>
                </tr>
              ))}
              {items.length === 0 && (
                <tr>
                  <td colSpan={COLUMNS.length} className="empty">
                    No assets match.
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
            {loadingMore ? 'Loading…' : `Load more (${items.length} of ${first.data?.total ?? '?'})`}
          </button>
        </p>
      )}
    </section>
  );
}
