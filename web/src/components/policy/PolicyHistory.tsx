/**
 * The policy's versions (GOV-1): who changed it, when and why, how many
 * fields each version changed, any two versions compared field by field, and
 * any version read as it was. The choice lives in the URL
 * (/policy/history?from=1&to=3, ?version=2) so a comparison can be linked.
 */
import { ErrorBanner, Spinner, useLoad } from '../../components.js';
import { formatTime } from '../../labels.js';
import { type PolicyVersionSummary, policyApi } from '../../policy/api.js';
import { formatPolicyValue, pathLabel } from '../../policy/format.js';
import { Link, navigate, useLocation } from '../../router.js';
import { PolicyDocument } from './PolicyDocument.js';

const positive = (s: string | null) => (s && /^\d{1,7}$/.test(s) && Number(s) > 0 ? Number(s) : null);

export function PolicyHistory() {
  const { search } = useLocation();
  const versions = useLoad(() => policyApi.versions(), 'policy-versions');
  const list = versions.data ?? [];
  const newest = list[0]?.version ?? 1;
  const shown = positive(search.get('version'));
  // By default the version shown against the one before it (the first, which has none, against the newest).
  const first = shown === 1 && !search.has('to') && !search.has('from');
  const to = first ? newest : (positive(search.get('to')) ?? shown ?? newest);
  const from = first ? 1 : (positive(search.get('from')) ?? Math.max(1, to - 1));
  const go = (q: Record<string, number | null>) => {
    const p = new URLSearchParams();
    for (const [k, v] of Object.entries({ from, to, version: shown, ...q })) if (v !== null) p.set(k, String(v));
    navigate(`/policy/history?${p}`, { replace: true });
  };

  return (
    <>
      <ErrorBanner error={versions.error} />
      {!versions.data && versions.loading && <Spinner />}
      {versions.data && <VersionTable list={list} shown={shown} />}
      {versions.data && list.length > 1 && <Compare list={list} from={from} to={to} onPick={(f, t) => go({ from: f, to: t })} />}
      {shown !== null && <ShowVersion version={shown} />}
    </>
  );
}

function VersionTable({ list, shown }: { list: PolicyVersionSummary[]; shown: number | null }) {
  return (
    <div className="table-wrap">
      <table className="data policy-versions">
        <caption className="visually-hidden">Policy versions</caption>
        <thead>
          <tr>
            <th scope="col">Version</th>
            <th scope="col">When</th>
            <th scope="col">Author</th>
            <th scope="col">Reason</th>
            <th scope="col">Changes</th>
            <th scope="col">
              <span className="visually-hidden">Actions</span>
            </th>
          </tr>
        </thead>
        <tbody>
          {list.map((v, i) => (
            <tr key={v.version} aria-current={shown === v.version ? 'true' : undefined}>
              <th scope="row">
                {v.version}
                {i === 0 && <span className="muted small"> (in force)</span>}
              </th>
              <td className="nowrap">
                <time dateTime={v.createdAt}>{formatTime(v.createdAt)}</time>
              </td>
              <td>{v.author.name}</td>
              <td className="pre">{v.reason}</td>
              <td className="num">{v.version === 1 ? <span className="muted">first</span> : v.changes}</td>
              <td className="nowrap">
                <Link to={`/policy/history?version=${v.version}`}>View version {v.version}</Link>
                {v.version > 1 && (
                  <>
                    {' · '}
                    <Link to={`/policy/history?from=${v.version - 1}&to=${v.version}`}>Compare with version {v.version - 1}</Link>
                  </>
                )}
              </td>
            </tr>
          ))}
        </tbody>
      </table>
    </div>
  );
}

function Compare({ list, from, to, onPick }: { list: PolicyVersionSummary[]; from: number; to: number; onPick: (from: number, to: number) => void }) {
  const diff = useLoad(() => policyApi.diff(from, to), `${from}-${to}`);
  const options = list.map((v) => (
    <option key={v.version} value={v.version}>
      Version {v.version}
    </option>
  ));
  return (
    <section className="card" aria-labelledby="policy-compare">
      <h2 id="policy-compare">Compare versions</h2>
      <div className="inline">
        <div className="field">
          <label htmlFor="diff-from">From</label>
          <select id="diff-from" value={from} onChange={(e) => onPick(Number(e.target.value), to)}>
            {options}
          </select>
        </div>
        <div className="field">
          <label htmlFor="diff-to">To</label>
          <select id="diff-to" value={to} onChange={(e) => onPick(from, Number(e.target.value))}>
            {options}
          </select>
        </div>
      </div>
      <ErrorBanner error={diff.error} />
      {!diff.data && diff.loading && <Spinner />}
      {diff.data &&
        (diff.data.changes.length === 0 ? (
          <p className="muted">Versions {from} and {to} are the same.</p>
        ) : (
          <table className="data">
            <caption>
              Changes from version {diff.data.from} to version {diff.data.to}
            </caption>
            <thead>
              <tr>
                <th scope="col">Field</th>
                <th scope="col">Before</th>
                <th scope="col">After</th>
              </tr>
            </thead>
            <tbody>
              {diff.data.changes.map((c) => (
                <tr key={c.path}>
                  <th scope="row">
                    {pathLabel(c.path)} <code className="small muted">{c.path}</code>
                  </th>
                  <td className="diff-before">{formatPolicyValue(c.before)}</td>
                  <td className="diff-after">{formatPolicyValue(c.after)}</td>
                </tr>
              ))}
            </tbody>
          </table>
        ))}
    </section>
  );
}

function ShowVersion({ version }: { version: number }) {
  const v = useLoad(() => policyApi.version(version), String(version));
  return (
    <section aria-labelledby="policy-version">
      <h2 id="policy-version">Version {version}</h2>
      <ErrorBanner error={v.error} />
      {!v.data && v.loading && <Spinner />}
      {v.data && (
        <>
          <p>
            {v.data.document.name} · by {v.data.author.name}, <time dateTime={v.data.createdAt}>{formatTime(v.data.createdAt)}</time>: <em>{v.data.reason}</em>
          </p>
          <PolicyDocument doc={v.data.document} />
        </>
      )}
    </section>
  );
}
