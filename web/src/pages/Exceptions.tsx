/**
 * Risk exceptions (VUL-7, LEG-3): the register with its filters and CSV
 * export, the request form, and one exception with the decisions the
 * signed-in person may take. The server says which (the policy's roles,
 * never the requester); the page only shows those buttons.
 */
import { type FormEvent, useState } from 'react';
import { api, type User } from '../api.js';
import { Badge, ErrorBanner, Field, fieldErrorsOf, Spinner, useLoad, useSession } from '../components.js';
import { type ExceptionQuery, exceptionsApi, type RiskException, type RiskExceptionDetail } from '../exceptionsApi.js';
import { formatTime, roleLabel } from '../labels.js';
import { Link, navigate, useLocation, useTitle } from '../router.js';

const STATUS_KIND: Record<string, 'warn' | 'ok' | 'muted' | 'danger' | 'info'> = { requested: 'info', approved: 'ok', rejected: 'muted', expired: 'muted', revoked: 'danger' };
const STATUSES = ['requested', 'approved', 'rejected', 'expired', 'revoked'];
const SCOPES = [
  { value: 'finding', text: 'One finding' },
  { value: 'vulnerability', text: 'One vulnerability (across assets)' },
  { value: 'asset', text: 'One asset (every finding on it)' },
];
const PAGE = 50;

export function ExceptionStatus({ status }: { status: string }) {
  return <Badge kind={STATUS_KIND[status] ?? 'muted'}>{status.charAt(0).toUpperCase() + status.slice(1)}</Badge>;
}

export function exceptionTarget(e: RiskException): string {
  if (e.scope === 'finding') return `Finding ${e.findingId}${e.vulnerability ? ` (${e.vulnerability.id}${e.asset ? ` on ${e.asset.hostname}` : ''})` : ''}`;
  if (e.scope === 'asset') return `Asset ${e.asset?.hostname ?? ''}`;
  return `${e.vulnerability?.id ?? ''} ${e.assets.length ? `on ${e.assets.map((a) => a.hostname).join(', ')}` : 'on every asset'}`;
}

export function ExceptionsPage() {
  useTitle('Risk exceptions');
  const { can } = useSession();
  const { search } = useLocation();
  const q: ExceptionQuery = {
    status: search.get('status') || undefined,
    scope: search.get('scope') || undefined,
    expiringWithinDays: search.get('expiringWithinDays') || undefined,
    reviewDue: search.get('reviewDue') === 'true' ? 'true' : undefined,
    assetId: search.get('assetId') || undefined,
    vulnerabilityId: search.get('vulnerabilityId') || undefined,
  };
  const offset = Number(search.get('offset') ?? 0) || 0;
  const key = JSON.stringify({ ...q, offset });
  const list = useLoad(() => exceptionsApi.list({ ...q, limit: String(PAGE), offset: String(offset) }), key);
  const set = (k: string, v: string | undefined) => {
    const next = new URLSearchParams(search);
    if (v) next.set(k, v);
    else next.delete(k);
    next.delete('offset');
    const s = next.toString();
    navigate(`/exceptions${s ? `?${s}` : ''}`, { replace: true });
  };
  const [requesting, setRequesting] = useState(search.get('request') === '1');

  return (
    <section>
      <div className="page-head">
        <h1>Risk exceptions</h1>
        <div className="actions">
          <Link to="/sla-extensions">SLA extensions</Link>
          {can('exception:request') && !requesting && (
            <button type="button" onClick={() => setRequesting(true)}>
              Request an exception
            </button>
          )}
        </div>
      </div>
      <p className="muted">
        A finding that cannot be fixed in time gets a risk acceptance: a justification, compensating controls, a risk owner, an expiry and a re-review
        date. While an approved exception holds, the findings it covers count as excepted, not overdue; when it ends they return with a fresh due date.
      </p>
      {requesting && <RequestForm onCancel={() => setRequesting(false)} />}

      <form className="filters inline" aria-label="Filter exceptions" onSubmit={(e) => e.preventDefault()}>
        <Field label="Status">
          {(p) => (
            <select {...p} value={q.status ?? ''} onChange={(e) => set('status', e.target.value)}>
              <option value="">Any</option>
              {STATUSES.map((s) => (
                <option key={s} value={s}>
                  {s}
                </option>
              ))}
            </select>
          )}
        </Field>
        <Field label="Scope">
          {(p) => (
            <select {...p} value={q.scope ?? ''} onChange={(e) => set('scope', e.target.value)}>
              <option value="">Any</option>
              {SCOPES.map((s) => (
                <option key={s.value} value={s.value}>
                  {s.text}
                </option>
              ))}
            </select>
          )}
        </Field>
        <Field label="Expiring within">
          {(p) => (
            <select {...p} value={q.expiringWithinDays ?? ''} onChange={(e) => set('expiringWithinDays', e.target.value)}>
              <option value="">Any time</option>
              <option value="30">30 days</option>
              <option value="90">90 days</option>
            </select>
          )}
        </Field>
        <label className="checkbox">
          <input type="checkbox" checked={q.reviewDue === 'true'} onChange={(e) => set('reviewDue', e.target.checked ? 'true' : undefined)} /> Re-review due
        </label>
        <a href={exceptionsApi.exportUrl(q)} download>
          Export CSV
        </a>
      </form>

      <ErrorBanner error={list.error} />
      {list.loading && !list.data && <Spinner />}
      {list.data && (
        <>
          <p className="result-count" aria-live="polite">
            {list.data.total} exception{list.data.total === 1 ? '' : 's'}
          </p>
          <div className="table-wrap">
            <table className="data" aria-label="Risk exceptions">
              <thead>
                <tr>
                  <th scope="col">What</th>
                  <th scope="col">Status</th>
                  <th scope="col">Risk owner</th>
                  <th scope="col">Requested by</th>
                  <th scope="col">Last day</th>
                  <th scope="col">Next review</th>
                  <th scope="col" className="num">
                    Covers
                  </th>
                </tr>
              </thead>
              <tbody>
                {list.data.items.map((e) => (
                  <tr key={e.id}>
                    <th scope="row">
                      <Link to={`/exceptions/${e.id}`}>{exceptionTarget(e)}</Link>
                      {e.unsupportedSystem && (
                        <>
                          {' '}
                          <Badge kind="warn">Unsupported system</Badge>
                        </>
                      )}
                    </th>
                    <td>
                      <ExceptionStatus status={e.status} />
                    </td>
                    <td>{e.riskOwner.name}</td>
                    <td>{e.requestedBy.name}</td>
                    <td className="nowrap">{e.expiresOn}</td>
                    <td className="nowrap">
                      {e.nextReviewOn ?? '—'} {e.reviewDue && <Badge kind="warn">Due</Badge>}
                    </td>
                    <td className="num">{e.coveredFindings}</td>
                  </tr>
                ))}
                {list.data.items.length === 0 && (
                  <tr>
                    <td colSpan={7} className="empty">
                      No exceptions match.
                    </td>
                  </tr>
                )}
              </tbody>
            </table>
          </div>
          {(offset > 0 || offset + PAGE < list.data.total) && (
            <p className="actions">
              {offset > 0 && <Link to={`/exceptions?${new URLSearchParams({ ...clean(q), offset: String(Math.max(0, offset - PAGE)) })}`}>Previous</Link>}{' '}
              {offset + PAGE < list.data.total && <Link to={`/exceptions?${new URLSearchParams({ ...clean(q), offset: String(offset + PAGE) })}`}>Next</Link>}
            </p>
          )}
        </>
      )}
    </section>
  );
}

const clean = (q: ExceptionQuery) => Object.fromEntries(Object.entries(q).filter((e): e is [string, string] => !!e[1]));

function RequestForm({ onCancel }: { onCancel: () => void }) {
  const { search } = useLocation();
  const users = useLoad(() => api.listUsers(), 'users');
  const [scope, setScope] = useState(search.get('scope') ?? 'finding');
  const [findingId, setFindingId] = useState(search.get('findingId') ?? '');
  const [vulnerabilityId, setVulnerabilityId] = useState(search.get('vulnerabilityId') ?? '');
  const [assetIds, setAssetIds] = useState('');
  const [assetId, setAssetId] = useState(search.get('assetId') ?? '');
  const [justification, setJustification] = useState('');
  const [controls, setControls] = useState('');
  const [owner, setOwner] = useState('');
  const [expiresOn, setExpiresOn] = useState('');
  const [interval, setInterval] = useState('');
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<unknown>(null);
  const errs = fieldErrorsOf(error);
  const owners = (users.data ?? []).filter((u: User) => !u.disabled && u.role !== 'agent' && u.role !== 'auditor');

  const submit = async (e: FormEvent) => {
    e.preventDefault();
    setBusy(true);
    setError(null);
    try {
      const listed = assetIds.split(/[\s,]+/).filter(Boolean);
      const created = await exceptionsApi.request({
        scope: scope as 'finding',
        ...(scope === 'finding' ? { findingId: findingId.trim() } : {}),
        ...(scope === 'vulnerability' ? { vulnerabilityId: vulnerabilityId.trim(), ...(listed.length ? { assetIds: listed } : {}) } : {}),
        ...(scope === 'asset' ? { assetId: assetId.trim() } : {}),
        justification,
        compensatingControls: controls,
        riskOwnerId: owner,
        expiresOn,
        ...(interval ? { reviewIntervalDays: Number(interval) } : {}),
      });
      navigate(`/exceptions/${created.id}`);
    } catch (err) {
      setError(err);
    } finally {
      setBusy(false);
    }
  };

  return (
    <form className="card" onSubmit={submit} aria-label="Request a risk exception">
      <h2>Request a risk exception</h2>
      <ErrorBanner error={error} shownFields={['scope', 'findingId', 'vulnerabilityId', 'assetIds', 'assetId', 'justification', 'compensatingControls', 'riskOwnerId', 'expiresOn', 'reviewIntervalDays']} />
      <div className="form-grid">
        <Field label="Scope" error={errs.scope}>
          {(p) => (
            <select {...p} value={scope} onChange={(e) => setScope(e.target.value)}>
              {SCOPES.map((s) => (
                <option key={s.value} value={s.value}>
                  {s.text}
                </option>
              ))}
            </select>
          )}
        </Field>
        {scope === 'finding' && (
          <Field label="Finding id" error={errs.findingId} hint="The number in the finding's address (/findings/123)">
            {(p) => <input {...p} inputMode="numeric" value={findingId} onChange={(e) => setFindingId(e.target.value)} required />}
          </Field>
        )}
        {scope === 'vulnerability' && (
          <>
            <Field label="Vulnerability" error={errs.vulnerabilityId} hint="CVE or other id">
              {(p) => <input {...p} value={vulnerabilityId} onChange={(e) => setVulnerabilityId(e.target.value)} required />}
            </Field>
            <Field label="Only on these assets (ids)" error={Object.entries(errs).filter(([k]) => k.startsWith('assetIds')).flatMap(([, v]) => v)} hint="Leave empty for every asset">
              {(p) => <input {...p} value={assetIds} onChange={(e) => setAssetIds(e.target.value)} />}
            </Field>
          </>
        )}
        {scope === 'asset' && (
          <Field label="Asset id" error={errs.assetId} hint="From the asset's page; an unsupported system needs senior management's approval">
            {(p) => <input {...p} value={assetId} onChange={(e) => setAssetId(e.target.value)} required />}
          </Field>
        )}
        <Field label="Risk owner" error={errs.riskOwnerId} hint="The person who owns, and accepts, the risk">
          {(p) => (
            <select {...p} value={owner} onChange={(e) => setOwner(e.target.value)} required>
              <option value="">Choose…</option>
              {owners.map((u) => (
                <option key={u.id} value={u.id}>
                  {u.displayName || u.username} ({roleLabel(u.role)})
                </option>
              ))}
            </select>
          )}
        </Field>
        <Field label="Last valid day" error={errs.expiresOn} hint="At most the policy's maximum ahead">
          {(p) => <input {...p} type="date" value={expiresOn} onChange={(e) => setExpiresOn(e.target.value)} required />}
        </Field>
        <Field label="Re-review every (days)" error={errs.reviewIntervalDays} hint="Default: the policy's interval">
          {(p) => <input {...p} type="number" min={1} value={interval} onChange={(e) => setInterval(e.target.value)} />}
        </Field>
      </div>
      <Field label="Justification" error={errs.justification} hint="Why it cannot be fixed in time, and why the risk is acceptable">
        {(p) => <textarea {...p} rows={3} maxLength={4000} value={justification} onChange={(e) => setJustification(e.target.value)} required />}
      </Field>
      <Field label="Compensating controls" error={errs.compensatingControls}>
        {(p) => <textarea {...p} rows={2} maxLength={4000} value={controls} onChange={(e) => setControls(e.target.value)} />}
      </Field>
      <div className="form-actions">
        <button type="submit" disabled={busy}>
          Submit request
        </button>
        <button type="button" className="link-button" onClick={onCancel}>
          Cancel
        </button>
      </div>
    </form>
  );
}

export function ExceptionDetailPage({ id }: { id: string }) {
  const e = useLoad(() => exceptionsApi.get(id), id);
  useTitle(e.data ? `Exception: ${exceptionTarget(e.data)}` : 'Risk exception');
  if (e.error)
    return (
      <section>
        <p className="breadcrumb">
          <Link to="/exceptions">Risk exceptions</Link> /
        </p>
        <ErrorBanner error={e.error} />
      </section>
    );
  if (!e.data) return <Spinner />;
  const d = e.data;
  return (
    <section>
      <p className="breadcrumb">
        <Link to="/exceptions">Risk exceptions</Link> /
      </p>
      <div className="page-head">
        <h1>
          {exceptionTarget(d)} <ExceptionStatus status={d.status} />
        </h1>
      </div>
      <div className="detail-grid">
        <div className="card">
          <h2>The request</h2>
          <dl className="props">
            <dt>Scope</dt>
            <dd>
              {SCOPES.find((s) => s.value === d.scope)?.text}
              {d.findingId && (
                <>
                  {' '}
                  · <Link to={`/findings/${d.findingId}`}>finding {d.findingId}</Link>
                </>
              )}
              {d.asset && (
                <>
                  {' '}
                  · <Link to={`/assets/${d.asset.id}`}>{d.asset.hostname}</Link>
                </>
              )}
              {d.unsupportedSystem && (
                <>
                  {' '}
                  <Badge kind="warn">Unsupported system</Badge>
                </>
              )}
            </dd>
            <dt>Justification</dt>
            <dd style={{ whiteSpace: 'pre-wrap' }}>{d.justification}</dd>
            <dt>Compensating controls</dt>
            <dd style={{ whiteSpace: 'pre-wrap' }}>{d.compensatingControls || <span className="muted">none stated</span>}</dd>
            <dt>Risk owner</dt>
            <dd>{d.riskOwner.name}</dd>
            <dt>Requested by</dt>
            <dd>
              {d.requestedBy.name} <span className="muted small">{formatTime(d.requestedAt)}</span>
            </dd>
            <dt>Last valid day</dt>
            <dd>{d.expiresOn}</dd>
            <dt>Re-review</dt>
            <dd>
              every {d.reviewIntervalDays} days{d.nextReviewOn && ` · next ${d.nextReviewOn}`} {d.reviewDue && <Badge kind="warn">Due</Badge>}
            </dd>
          </dl>
        </div>
        <div className="card">
          <h2>Decision</h2>
          <dl className="props">
            <dt>Who may decide</dt>
            <dd>{d.approverRoles.map(roleLabel).join(' or ')} · never the requester</dd>
            <dt>Decided by</dt>
            <dd>{d.decidedBy ? `${d.decidedBy.name} (${formatTime(d.decidedAt)}, policy version ${d.policyVersion})` : <span className="muted">not yet</span>}</dd>
            {d.decisionNote && (
              <>
                <dt>Note</dt>
                <dd style={{ whiteSpace: 'pre-wrap' }}>{d.decisionNote}</dd>
              </>
            )}
            <dt>Covers</dt>
            <dd>
              {d.coveredFindings} open finding{d.coveredFindings === 1 ? '' : 's'} · <Link to={`/findings?exceptionId=${d.id}`}>the findings it covers</Link>
              {d.uncoveredUnsupported > 0 && (
                <p className="notice notice-bad" role="note">
                  Not covered: {d.uncoveredUnsupported} open finding{d.uncoveredUnsupported === 1 ? '' : 's'} in its scope on unsupported systems. Accepting that risk
                  needs senior management&apos;s own exception (LEG-3).
                </p>
              )}
            </dd>
            {d.endReason && (
              <>
                <dt>Ended</dt>
                <dd>
                  {formatTime(d.endedAt)}: {d.endReason}
                </dd>
              </>
            )}
          </dl>
          <Decisions exception={d} onDone={e.set} />
        </div>
      </div>
      <div className="card">
        <h2>History</h2>
        <ol aria-label="Exception history">
          {d.history.map((h) => (
            <li key={`${h.at}-${h.event}`}>
              <time dateTime={h.at}>{formatTime(h.at)}</time> · <strong>{h.event.replace('_', ' ')}</strong> by {h.actor}
              {h.note && <span className="muted">: {h.note}</span>}
            </li>
          ))}
        </ol>
      </div>
    </section>
  );
}

function Decisions({ exception: d, onDone }: { exception: RiskExceptionDetail; onDone: (e: RiskExceptionDetail) => void }) {
  const { me } = useSession();
  const [note, setNote] = useState('');
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<unknown>(null);
  const [done, setDone] = useState('');
  const any = d.allowed.approve || d.allowed.reject || d.allowed.revoke || d.allowed.review;
  const mine = d.requestedBy.id !== null && d.requestedBy.id === me.user?.id;
  const act = (what: 'approve' | 'reject' | 'revoke' | 'review', said: string) => async () => {
    setBusy(true);
    setError(null);
    try {
      const next = await exceptionsApi[what](d.id, note.trim(), d.version);
      setNote('');
      setDone(said);
      onDone(next);
    } catch (err) {
      setError(err);
    } finally {
      setBusy(false);
    }
  };
  return (
    <>
      {mine && d.status === 'requested' && <p className="notice">You requested this exception: someone else decides it (separation of duties).</p>}
      {any && (
        <form onSubmit={(e: FormEvent) => e.preventDefault()} aria-label="Decide">
          <ErrorBanner error={error} />
          <Field label={d.status === 'requested' ? 'Note (required to reject)' : 'Reason or review note'}>
            {(p) => <textarea {...p} rows={2} maxLength={2000} value={note} onChange={(e) => setNote(e.target.value)} />}
          </Field>
          <div className="form-actions">
            {d.allowed.approve && (
              <button type="button" disabled={busy} onClick={act('approve', 'Approved.')}>
                Approve
              </button>
            )}
            {d.allowed.reject && (
              <button type="button" disabled={busy} onClick={act('reject', 'Rejected.')}>
                Reject
              </button>
            )}
            {d.allowed.review && (
              <button type="button" disabled={busy} onClick={act('review', 'Re-review recorded.')}>
                Record re-review
              </button>
            )}
            {d.allowed.revoke && (
              <button type="button" disabled={busy} onClick={act('revoke', 'Revoked: the findings are back with a fresh due date.')}>
                Revoke
              </button>
            )}
          </div>
        </form>
      )}
      <p role="status" aria-live="polite" className="muted">
        {done}
      </p>
    </>
  );
}
