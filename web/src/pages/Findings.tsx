/**
 * The findings register (VUL-8): filters, sorting, grouping by vulnerability,
 * asset or package, saved views, row selection with bulk actions, and the CSV
 * export of everything the filters select. The state lives in the URL.
 */
import { useEffect, useState } from 'react';
import { api, registerApi, withQuery } from '../api.js';
import { BulkActions } from '../components/findings/BulkActions.js';
import { FindingFilters } from '../components/findings/FindingFilters.js';
import { FindingGroups } from '../components/findings/FindingGroups.js';
import { FindingTable } from '../components/findings/FindingTable.js';
import { apiQuery, readUrl, stateOfView, type UrlState, viewQueryOf } from '../components/findings/query.js';
import { SavedViews } from '../components/findings/SavedViews.js';
import { ErrorBanner, Spinner, useLoad, usePagedList, useSession } from '../components.js';
import { MY_OVERDUE_URL } from '../policy/api.js';
import { Link, navigate, useLocation, useTitle } from '../router.js';
import { ReevaluateButton } from '../vulns.js';

export { StatusBadge } from '../components/findings/FindingTable.js';

const PAGE_SIZE = '100';
// Earliest due first, like the API's default for dueAt.
const ASCENDING = new Set(['hostname', 'vulnerability', 'dueAt']);
const GROUPS = ['vulnerability', 'asset', 'package'] as const;

export function FindingsPage() {
  useTitle('Findings');
  const { search } = useLocation();
  const state = readUrl(search);
  const query = apiQuery(state);
  const queryKey = JSON.stringify(query);
  const setState = (next: UrlState) => navigate(withQuery('/findings', next), { replace: true });
  const patch = (p: UrlState) => setState({ ...state, ...p });
  const groupBy = GROUPS.find((g) => g === state.groupBy) ?? null;
  const { me } = useSession();
  const isMyOverdue = state.mine === 'true' && state.slaState === 'overdue,due_soon';

  const [selected, setSelected] = useState<Set<string>>(new Set());
  const [notice, setNotice] = useState('');
  // biome-ignore lint/correctness/useExhaustiveDependencies: another query is another selection
  useEffect(() => setSelected(new Set()), [queryKey]);
  const select = (ids: string[], on: boolean) =>
    setSelected((prev) => {
      const next = new Set(prev);
      for (const id of ids) if (on) next.add(id);
      else next.delete(id);
      return next;
    });

  const { first, items, nextCursor, loadMore, loadingMore, moreError } = usePagedList(
    (cursor?: string) => (groupBy ? Promise.resolve({ items: [], nextCursor: null }) : api.listFindings({ ...query, limit: PAGE_SIZE, cursor })),
    `${queryKey}|${groupBy ?? ''}`,
  );
  const facets = useLoad(() => api.assetFacets(), 'facets');
  const teams = useLoad(() => api.listTeams(), 'teams');
  const asset = useLoad(() => (state.assetId ? api.getAsset(state.assetId).catch(() => null) : Promise.resolve(null)), state.assetId ?? '');

  const sort = state.sort ?? 'severity';
  const order = (state.order ?? (ASCENDING.has(sort) ? 'asc' : 'desc')) as 'asc' | 'desc';
  const toggleSort = (field: string) => patch({ sort: field, order: sort === field ? (order === 'asc' ? 'desc' : 'asc') : ASCENDING.has(field) ? 'asc' : 'desc' });

  return (
    <section>
      <div className="page-head">
        <h1>Findings</h1>
        <div className="actions">
          {me.user && (
            <Link className={`button${isMyOverdue ? ' primary' : ''}`} to={MY_OVERDUE_URL} aria-current={isMyOverdue ? 'page' : undefined}>
              My overdue
            </Link>
          )}
          <a className="button" href={registerApi.exportUrl(query)} download>
            Export CSV
          </a>
          <ReevaluateButton onDone={first.reload} />
        </div>
      </div>

      {isMyOverdue && <p className="muted">My overdue: the findings on assets you or your teams own that are overdue or due soon, earliest due first.</p>}
      <SavedViews currentQuery={viewQueryOf(state)} onPick={(v) => setState({ ...stateOfView(v.query), groupBy: state.groupBy })} />
      <FindingFilters state={state} departments={facets.data?.departments ?? []} teams={teams.data ?? []} onChange={patch} onClear={() => setState({ groupBy: state.groupBy })} />

      <div className="inline">
        <div className="field">
          <label htmlFor="group-by">Group by</label>
          <select id="group-by" value={groupBy ?? ''} onChange={(e) => patch({ groupBy: e.target.value || undefined })}>
            <option value="">No grouping (list)</option>
            <option value="vulnerability">Vulnerability</option>
            <option value="asset">Asset</option>
            <option value="package">Package</option>
          </select>
        </div>
        {state.assetId && (
          <p>
            Asset: {asset.data ? <Link to={`/assets/${state.assetId}`}>{asset.data.hostname}</Link> : <code>{state.assetId}</code>}{' '}
            <button type="button" className="link-button" onClick={() => patch({ assetId: undefined })}>
              Show all assets
            </button>
          </p>
        )}
      </div>

      {notice && (
        <p className="notice notice-ok" role="status">
          {notice}
        </p>
      )}

      {groupBy ? (
        <FindingGroups by={groupBy} query={query} state={state} />
      ) : (
        <>
          {selected.size > 0 && (
            <BulkActions
              selected={[...selected]}
              onClear={() => setSelected(new Set())}
              onValidated={(message) => {
                setNotice(message);
                setSelected(new Set());
                first.reload();
              }}
            />
          )}
          <ErrorBanner error={first.error} />
          {first.data && (
            <p className="result-count" aria-live="polite">
              {items.length === 1 ? '1 finding' : `${items.length}${nextCursor ? '+' : ''} findings`}
              {first.loading && ' · updating…'}
            </p>
          )}
          {!first.data && first.loading && <Spinner />}
          {first.data && <FindingTable items={items} sort={sort} order={order} onSort={toggleSort} selected={selected} onSelect={select} />}
          <ErrorBanner error={moreError} />
          {nextCursor && (
            <p>
              <button type="button" onClick={loadMore} disabled={loadingMore}>
                {loadingMore ? 'Loading…' : 'Load more'}
              </button>
            </p>
          )}
        </>
      )}
    </section>
  );
}
