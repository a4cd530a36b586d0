/** Dashboard: the caller's overdue findings, the fleet's overdue figures, and how the asset register breaks down. */
import { type AssetQuery, api, withQuery } from '../api.js';
import { MyOverdue } from '../components/findings/MyOverdue.js';
import { SlaFigures } from '../components/findings/SlaFigures.js';
import { ErrorBanner, Spinner, useLoad, useSession } from '../components.js';
import { CRITICALITIES, ENVIRONMENTS, SYSTEM_TYPES, label } from '../labels.js';
import { Link, useTitle } from '../router.js';

interface Breakdown {
  key: keyof AssetQuery;
  stat: 'byEnvironment' | 'byCriticality' | 'bySystemType';
  title: string;
  values: readonly string[];
}

const BREAKDOWNS: Breakdown[] = [
  { key: 'environment', stat: 'byEnvironment', title: 'By environment', values: ENVIRONMENTS },
  { key: 'businessCriticality', stat: 'byCriticality', title: 'By business criticality', values: CRITICALITIES },
  { key: 'systemType', stat: 'bySystemType', title: 'By system type', values: SYSTEM_TYPES },
];

interface Counts {
  total: number;
  unowned: number;
  inventoryMissing: number;
  decommissioned: number;
  groups: { b: Breakdown; counts: { value: string; n: number }[] }[];
}

async function loadCounts(): Promise<Counts> {
  const s = await api.assetStats();
  return {
    total: s.total,
    unowned: s.unowned,
    inventoryMissing: s.neverInventoried + s.inventoryOverdue,
    decommissioned: s.decommissioned,
    groups: BREAKDOWNS.map((b) => ({ b, counts: b.values.map((value) => ({ value, n: s[b.stat][value] ?? 0 })) })),
  };
}

export function DashboardPage() {
  useTitle('Dashboard');
  const { can } = useSession();
  const { data, error, loading } = useLoad(loadCounts, 'dashboard');

  return (
    <section>
      <div className="page-head">
        <h1>Dashboard</h1>
        <div className="actions">
          {(can('asset:write') || can('asset:write_own')) && (
            <Link className="button" to="/assets/new">
              New asset
            </Link>
          )}
          {can('asset:import') && (
            <Link className="button" to="/assets/import">
              Import CSV
            </Link>
          )}
        </div>
      </div>
      <MyOverdue />
      <SlaFigures />
      <ErrorBanner error={error} />
      {loading && !data && <Spinner />}
      {data && (
        <>
          <div className="stat-row">
            <Link className="stat" to="/assets">
              <span className="stat-value">{data.total}</span>
              <span className="stat-label">Active assets</span>
            </Link>
            <Link className={`stat${data.unowned ? ' stat-warn' : ''}`} to="/assets?unowned=true">
              <span className="stat-value">{data.unowned}</span>
              <span className="stat-label">Unowned assets</span>
            </Link>
            <Link className={`stat${data.inventoryMissing ? ' stat-warn' : ''}`} to="/assets?inventory=missing">
              <span className="stat-value">{data.inventoryMissing}</span>
              <span className="stat-label">Inventory overdue or never reported</span>
            </Link>
            <Link className="stat" to="/assets?lifecycle=decommissioned">
              <span className="stat-value">{data.decommissioned}</span>
              <span className="stat-label">Decommissioned</span>
            </Link>
          </div>
          {data.total === 0 && (
            <p className="empty">
              The register is empty. <Link to="/assets/import">Import a CSV</Link>, <Link to="/assets/new">add an asset</Link>, or load the sample organisation
              with <code>patchloop demo</code>.
            </p>
          )}
          <div className="card-grid">
            {data.groups.map(({ b, counts }) => {
              const max = Math.max(1, ...counts.map((c) => c.n));
              return (
                <div className="card" key={b.key}>
                  <h2>{b.title}</h2>
                  <table className="bars">
                    <tbody>
                      {counts
                        .filter((c) => c.n > 0 || b.values.length <= 4)
                        .map((c) => (
                          <tr key={c.value}>
                            <th scope="row">
                              <Link to={withQuery('/assets', { [b.key]: c.value })}>{label(c.value)}</Link>
                            </th>
                            <td className="bar-cell">
                              <span className="bar" style={{ width: `${(c.n / max) * 100}%` }} />
                            </td>
                            <td className="num">{c.n}</td>
                          </tr>
                        ))}
                    </tbody>
                  </table>
                </div>
              );
            })}
          </div>
        </>
      )}
    </section>
  );
}
