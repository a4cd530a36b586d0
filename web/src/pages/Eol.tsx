/**
 * End of life (LEG-1): the assets whose OS or software is unsupported or will
 * be within 90 days, riskiest first, with their compensating controls; the
 * dataset the dates come from, which administrators sync or replace.
 */
import { type FormEvent, useRef, useState } from 'react';
import { type EolDatasetLoad, api, withQuery } from '../api.js';
import { Badge, ErrorBanner, Field, Spinner, useLoad, useSession } from '../components.js';
import { EOL_STATE_LABELS, EolStateBadge, RiskBadge, endOfSupport } from '../components/EolPanel.js';
import { formatTime, label } from '../labels.js';
import { Link, navigate, useLocation, useTitle } from '../router.js';

const STATE_CHOICES = [
  { value: '', text: 'Unsupported or ending within 90 days' },
  { value: 'unsupported', text: EOL_STATE_LABELS.unsupported },
  { value: 'eol_soon', text: EOL_STATE_LABELS.eol_soon },
  { value: 'unknown', text: EOL_STATE_LABELS.unknown },
  { value: 'supported', text: EOL_STATE_LABELS.supported },
];
const RISKS = ['critical', 'high', 'medium', 'low', 'none', 'unknown'];
const PAGE = 200;

export function EolPage() {
  useTitle('End of life');
  const { can } = useSession();
  const { search } = useLocation();
  const state = search.get('state') ?? '';
  const risk = search.get('risk') ?? '';
  const withoutControl = search.get('withoutControl') === 'true';
  const [tick, setTick] = useState(0);
  const q = { state: state || undefined, risk: risk || undefined, withoutControl: withoutControl ? ('true' as const) : undefined };
  const list = useLoad(() => api.listEolAssets({ ...q, limit: String(PAGE) }), `${state}|${risk}|${withoutControl}|${tick}`);
  const dataset = useLoad(() => api.eolDataset(), `dataset-${tick}`);
  const set = (k: string, v: string | undefined) => navigate(withQuery('/eol', { ...q, [k]: v || undefined }), { replace: true });
  const c = list.data?.counts;

  return (
    <section>
      <div className="page-head">
        <h1>End of life</h1>
      </div>
      <p className="muted">
        Assets whose operating system or server software no longer gets security fixes, or stops within 90 days. Unsupported assets need a compensating
        control and are inventoried daily.
      </p>
      {c && (
        <div className="stat-row">
          <Link className={`stat${c.unsupported ? ' stat-warn' : ''}`} to="/eol?state=unsupported">
            <span className="stat-value">{c.unsupported}</span>
            <span className="stat-label">unsupported</span>
          </Link>
          <Link className="stat" to="/eol?state=unsupported&withoutControl=true">
            <span className="stat-value">{c.unsupportedWithoutControl}</span>
            <span className="stat-label">unsupported without a control</span>
          </Link>
          <Link className="stat" to="/eol?state=eol_soon">
            <span className="stat-value">{c.eolSoon}</span>
            <span className="stat-label">ending within 90 days</span>
          </Link>
          <Link className="stat" to="/eol?state=unknown">
            <span className="stat-value">{c.unknown}</span>
            <span className="stat-label">not recognised</span>
          </Link>
        </div>
      )}
      <div className="inline">
        <Field label="State">
          {(p) => (
            <select {...p} value={state} onChange={(e) => set('state', e.target.value)}>
              {STATE_CHOICES.map((s) => (
                <option key={s.value} value={s.value}>
                  {s.text}
                </option>
              ))}
            </select>
          )}
        </Field>
        <Field label="Risk class">
          {(p) => (
            <select {...p} value={risk} onChange={(e) => set('risk', e.target.value)}>
              <option value="">Any</option>
              {RISKS.map((r) => (
                <option key={r} value={r}>
                  {label(r)}
                </option>
              ))}
            </select>
          )}
        </Field>
        <label className="checkbox">
          <input type="checkbox" checked={withoutControl} onChange={(e) => set('withoutControl', e.target.checked ? 'true' : undefined)} /> Without a compensating control
        </label>
      </div>

      <ErrorBanner error={list.error} />
      {list.loading && !list.data && <Spinner />}
      {list.data && (
        <>
          <p className="result-count" aria-live="polite">
            {list.data.total} asset{list.data.total === 1 ? '' : 's'}
            {list.data.items.length < list.data.total && ` · showing the first ${list.data.items.length}`}
          </p>
          <div className="table-wrap">
            <table className="data eol-assets">
              <thead>
                <tr>
                  <th scope="col">Asset</th>
                  <th scope="col">State</th>
                  <th scope="col">Risk</th>
                  <th scope="col">Operating system</th>
                  <th scope="col">What ends</th>
                  <th scope="col">Controls</th>
                </tr>
              </thead>
              <tbody>
                {list.data.items.map((i) => (
                  <tr key={i.asset.id} data-host={i.asset.hostname}>
                    <th scope="row">
                      <Link to={`/assets/${i.asset.id}`}>{i.asset.hostname}</Link>
                      <div className="muted small">
                        {label(i.asset.environment)} · {label(i.asset.networkExposure)} · {i.asset.owner ?? 'unowned'}
                      </div>
                    </th>
                    <td>
                      <EolStateBadge state={i.state} />
                    </td>
                    <td>
                      <RiskBadge risk={i.risk} />
                      <div className="muted small">{i.riskReason}</div>
                    </td>
                    <td>{i.os ?? <span className="muted">not recognised</span>}</td>
                    <td className="small">
                      {i.products.length === 0 && <span className="muted">—</span>}
                      {i.products.map((p) => (
                        <div key={`${p.product}-${p.cycle}`}>
                          {p.product} {p.cycle}: {endOfSupport(p.eol, p.daysLeft)}
                        </div>
                      ))}
                    </td>
                    <td>
                      {i.activeControls > 0 ? (
                        <>
                          {i.activeControls} active<div className="muted small">next review {i.nextReview}</div>
                        </>
                      ) : i.state === 'unsupported' ? (
                        <Badge kind="warn">None</Badge>
                      ) : (
                        <span className="muted">—</span>
                      )}
                    </td>
                  </tr>
                ))}
                {list.data.items.length === 0 && (
                  <tr>
                    <td colSpan={6} className="empty">
                      No assets in this state.
                    </td>
                  </tr>
                )}
              </tbody>
            </table>
          </div>
        </>
      )}

      <h2>Dataset</h2>
      <ErrorBanner error={dataset.error} />
      {dataset.data && (
        <p className="small">
          {dataset.data.source} · {dataset.data.products} products, {dataset.data.cycles} release cycles · version <code>{dataset.data.version}</code> · loaded{' '}
          {formatTime(dataset.data.loadedAt)} by {dataset.data.loadedBy}
        </p>
      )}
      {can('system:admin') && <DatasetActions onDone={() => setTick((t) => t + 1)} />}
    </section>
  );
}

function DatasetActions({ onDone }: { onDone: () => void }) {
  const [url, setUrl] = useState('');
  const [file, setFile] = useState<File | null>(null);
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<unknown>(null);
  const [result, setResult] = useState<EolDatasetLoad | null>(null);
  const input = useRef<HTMLInputElement>(null);
  const run = async (e: FormEvent, call: () => Promise<EolDatasetLoad>) => {
    e.preventDefault();
    setBusy(true);
    setError(null);
    setResult(null);
    try {
      setResult(await call());
      setFile(null);
      if (input.current) input.current.value = '';
      onDone();
    } catch (err) {
      setError(err);
    } finally {
      setBusy(false);
    }
  };
  return (
    <div className="card-grid">
      <form className="card" onSubmit={(e) => run(e, () => api.syncEolDataset(url.trim() || undefined))} aria-label="Sync the end-of-life dataset">
        <h3>Sync from endoflife.date</h3>
        <Field label="Mirror URL (optional)" hint="Default: https://endoflife.date/api/v1/products/full">
          {(p) => <input {...p} type="url" value={url} onChange={(e) => setUrl(e.target.value)} />}
        </Field>
        <button type="submit" disabled={busy}>
          Sync now
        </button>
      </form>
      <form className="card" onSubmit={(e) => file && run(e, () => api.loadEolDataset(file))} aria-label="Upload an end-of-life dataset">
        <h3>Upload a file</h3>
        <Field label="Dataset (JSON)" hint="endoflife.date cycles ({products: …}) or its API v1 answer; a bad record changes nothing">
          {(p) => <input {...p} ref={input} type="file" accept=".json,application/json" onChange={(e) => setFile(e.target.files?.[0] ?? null)} />}
        </Field>
        <button type="submit" disabled={busy || !file}>
          Load file
        </button>
      </form>
      <div className="span-all">
        <ErrorBanner error={error} />
        {result && (
          <p role="status" className="notice notice-ok">
            {result.notModified
              ? 'Not modified since the last download.'
              : `Loaded ${result.products} products, ${result.cycles} cycles (${result.added} added, ${result.changed} changed, ${result.removed} removed); ${result.assetsEvaluated} assets evaluated again.`}
          </p>
        )}
      </div>
    </div>
  );
}
