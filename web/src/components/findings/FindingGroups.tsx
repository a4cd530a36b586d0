/** Findings counted by vulnerability, asset or package, worst severity first; each group links to its findings. */
import { type FindingQuery, registerApi, withQuery } from '../../api.js';
import { ErrorBanner, Spinner, usePagedList } from '../../components.js';
import { label } from '../../labels.js';
import { Link } from '../../router.js';
import { KevBadge } from '../../vulns.js';
import type { UrlState } from './query.js';
import { SeverityBadge } from './SeverityBadge.js';

const TITLES = { vulnerability: 'Vulnerability', asset: 'Asset', package: 'Package' } as const;

export function FindingGroups({ by, query, state }: { by: 'vulnerability' | 'asset' | 'package'; query: FindingQuery; state: UrlState }) {
  const key = JSON.stringify([by, query]);
  const { first, items, nextCursor, loadMore, loadingMore, moreError } = usePagedList((cursor?: string) => registerApi.groups(by, { ...query, limit: '50', cursor }), key);
  // A group opens the list with the same filters, narrowed to the group.
  const narrow = (g: (typeof items)[number]) => {
    const { groupBy: _g, ...rest } = state;
    const patch = by === 'vulnerability' ? { vulnerabilityId: g.key } : by === 'asset' ? { assetId: g.key } : g.package?.name ? { package: g.package.name } : {};
    return withQuery('/findings', { ...rest, ...patch });
  };
  if (!first.data && first.loading) return <Spinner />;
  return (
    <>
      <ErrorBanner error={first.error} />
      {first.data && (
        <div className="table-wrap">
          <table className="data">
            <caption className="visually-hidden">Findings grouped by {by}</caption>
            <thead>
              <tr>
                <th scope="col">{TITLES[by]}</th>
                <th scope="col">Worst severity</th>
                <th scope="col" className="num">
                  Open
                </th>
                <th scope="col" className="num">
                  Total
                </th>
                <th scope="col" className="num">
                  Assets
                </th>
              </tr>
            </thead>
            <tbody>
              {items.map((g) => (
                <tr key={g.key}>
                  <td>
                    <Link to={narrow(g)}>{g.label}</Link>
                    {g.vulnerability?.title && <span className="muted small"> {g.vulnerability.title}</span>}
                    {g.vulnerability?.kev && (
                      <>
                        {' '}
                        <KevBadge kev={{ dateAdded: g.vulnerability.kev.dateAdded, ransomware: null }} />
                      </>
                    )}
                    {g.asset && <span className="muted small"> {label(g.asset.environment)}</span>}
                  </td>
                  <td>
                    <SeverityBadge severity={g.worstSeverity} />
                  </td>
                  <td className="num">{g.open}</td>
                  <td className="num">{g.total}</td>
                  <td className="num">{g.assets}</td>
                </tr>
              ))}
              {items.length === 0 && (
                <tr>
                  <td colSpan={5} className="empty">
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
            {loadingMore ? 'Loading…' : 'Load more groups'}
          </button>
        </p>
      )}
    </>
  );
}
