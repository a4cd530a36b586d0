/** Audit trail: filters, newest first with "older" pagination, chain verification and JSON Lines export. */
import { type FormEvent, useEffect, useState } from 'react';
import { type AuditQuery, type AuditRecord, type VerifyResult, api, withQuery } from '../api.js';
import { Diff, ErrorBanner, Field, Spinner, useLoad } from '../components.js';
import { fieldLabel, formatTime } from '../labels.js';
import { Link, navigate, useLocation, useTitle } from '../router.js';

const KEYS = ['actor', 'entityType', 'entityId', 'action', 'from', 'to'] as const;
type Key = (typeof KEYS)[number];
const ENTITY_LABELS: Record<string, string> = { asset: 'Asset', user: 'User', team: 'Team', api_token: 'API token', system: 'System' };
const PAGE = '50';

/** datetime-local value ("2026-11-23T14:05") ↔ ISO instant in the URL. */
const toIso = (local: string) => (local ? new Date(local).toISOString() : '');
const toLocal = (iso: string | undefined) => {
  if (!iso) return '';
  const d = new Date(iso);
  if (Number.isNaN(d.getTime())) return '';
  return new Date(d.getTime() - d.getTimezoneOffset() * 60_000).toISOString().slice(0, 16);
};

function changedFields(r: AuditRecord): string[] {
  const b = (r.before && typeof r.before === 'object' ? r.before : {}) as Record<string, unknown>;
  const a = (r.after && typeof r.after === 'object' ? r.after : {}) as Record<string, unknown>;
  if (r.before === null || r.before === undefined) return [];
  return [...new Set([...Object.keys(b), ...Object.keys(a)])].filter(
    (k) => !['updatedAt', 'version'].includes(k) && JSON.stringify(b[k] ?? null) !== JSON.stringify(a[k] ?? null),
  );
}

export function AuditPage() {
  useTitle('Audit trail');
  const { search } = useLocation();
  const query: AuditQuery = {};
  for (const k of KEYS) {
    const v = search.get(k);
    if (v) query[k] = v;
  }
  const key = JSON.stringify(query);

  const [draft, setDraft] = useState<Record<Key, string>>({ actor: '', entityType: '', entityId: '', action: '', from: '', to: '' });
  useEffect(() => {
    const q = JSON.parse(key) as AuditQuery;
    setDraft({ actor: q.actor ?? '', entityType: q.entityType ?? '', entityId: q.entityId ?? '', action: q.action ?? '', from: toLocal(q.from), to: toLocal(q.to) });
  }, [key]);

  const first = useLoad(() => api.listAudit({ ...query, limit: PAGE }), key);
  const facets = useLoad(() => api.auditFacets(), 'audit-facets');
  const [older, setOlder] = useState<{ items: AuditRecord[]; next: number | null } | null>(null);
  const [olderError, setOlderError] = useState<unknown>(null);
  // biome-ignore lint/correctness/useExhaustiveDependencies: new filters start from the newest record
  useEffect(() => {
    setOlder(null);
    setOlderError(null);
  }, [key]);
  const items = [...(first.data?.items ?? []), ...(older?.items ?? [])];
  const next = older ? older.next : (first.data?.nextBeforeSeq ?? null);

  const loadOlder = async () => {
    if (next === null) return;
    try {
      const page = await api.listAudit({ ...query, limit: PAGE, beforeSeq: String(next) });
      setOlder({ items: [...(older?.items ?? []), ...page.items], next: page.nextBeforeSeq });
    } catch (err) {
      setOlderError(err);
    }
  };

  const apply = (e: FormEvent) => {
    e.preventDefault();
    navigate(
      withQuery('/audit', {
        actor: draft.actor.trim(),
        entityType: draft.entityType,
        entityId: draft.entityId.trim(),
        action: draft.action.trim(),
        from: toIso(draft.from),
        to: toIso(draft.to),
      }),
    );
  };
  const set = (k: Key) => (e: { target: { value: string } }) => setDraft((d) => ({ ...d, [k]: e.target.value }));

  const [verify, setVerify] = useState<{ busy: boolean; result?: VerifyResult; error?: unknown }>({ busy: false });
  const runVerify = async () => {
    setVerify({ busy: true });
    try {
      setVerify({ busy: false, result: await api.verifyAudit() });
    } catch (error) {
      setVerify({ busy: false, error });
    }
  };

  return (
    <section>
      <div className="page-head">
        <h1>Audit trail</h1>
        <div className="actions">
          <button type="button" onClick={runVerify} disabled={verify.busy}>
            {verify.busy ? 'Verifying…' : 'Verify chain'}
          </button>
          <a className="button" href={api.auditExportUrl} download>
            Export JSON Lines
          </a>
        </div>
      </div>
      <div aria-live="polite">
        {verify.result?.ok && (
          <p className="notice notice-ok" role="status">
            Chain intact: {verify.result.checked} records checked, last #{verify.result.lastSeq} (hash <code>{verify.result.lastHash.slice(0, 16)}…</code>).
          </p>
        )}
        {verify.result && !verify.result.ok && (
          <p className="notice notice-bad" role="alert">
            Chain broken after checking {verify.result.checked} records
            {verify.result.problem ? `: record #${verify.result.problem.seq} ${verify.result.problem.kind} — ${verify.result.problem.message}` : ''}.
          </p>
        )}
        <ErrorBanner error={verify.error} />
      </div>

      <form className="filters" onSubmit={apply} aria-label="Audit filters">
        <Field label="Actor">{(p) => <input {...p} value={draft.actor} onChange={set('actor')} list="audit-actors" placeholder="exact name" />}</Field>
        <datalist id="audit-actors">
          {facets.data?.actors.map((a) => (
            <option key={a} value={a} />
          ))}
        </datalist>
        <Field label="Entity type">
          {(p) => (
            <select {...p} value={draft.entityType} onChange={set('entityType')}>
              <option value="">All</option>
              {(facets.data?.entityTypes ?? Object.keys(ENTITY_LABELS)).map((t) => (
                <option key={t} value={t}>
                  {ENTITY_LABELS[t] ?? t}
                </option>
              ))}
            </select>
          )}
        </Field>
        <Field label="Entity id">{(p) => <input {...p} value={draft.entityId} onChange={set('entityId')} />}</Field>
        <Field label="Action">
          {(p) => (
            <select {...p} value={draft.action} onChange={set('action')}>
              <option value="">All</option>
              {(facets.data?.actions ?? []).map((a) => (
                <option key={a} value={a}>
                  {a}
                </option>
              ))}
            </select>
          )}
        </Field>
        <Field label="From">{(p) => <input {...p} type="datetime-local" value={draft.from} onChange={set('from')} />}</Field>
        <Field label="To">{(p) => <input {...p} type="datetime-local" value={draft.to} onChange={set('to')} />}</Field>
        <div className="filter-buttons">
          <button type="submit" className="primary">
            Apply filters
          </button>
          {Object.keys(query).length > 0 && (
            <button type="button" className="link-button" onClick={() => navigate('/audit')}>
              Clear
            </button>
          )}
        </div>
      </form>

      <ErrorBanner error={first.error} />
      {first.loading && !first.data && <Spinner />}
      {first.data && (
        <div className="table-wrap">
          <table className="data audit">
            <thead>
              <tr>
                <th scope="col">#</th>
                <th scope="col">When</th>
                <th scope="col">Actor</th>
                <th scope="col">Action</th>
                <th scope="col">Entity</th>
                <th scope="col">Changes</th>
              </tr>
            </thead>
            <tbody>
              {items.map((r) => (
                <AuditRow key={r.seq} r={r} />
              ))}
              {items.length === 0 && (
                <tr>
                  <td colSpan={6} className="empty">
                    No audit records match.
                  </td>
                </tr>
              )}
            </tbody>
          </table>
        </div>
      )}
      <ErrorBanner error={olderError} />
      {next !== null && (
        <p>
          <button type="button" onClick={loadOlder}>
            Older records
          </button>
        </p>
      )}
    </section>
  );
}

function AuditRow({ r }: { r: AuditRecord }) {
  const fields = changedFields(r);
  type Named = { hostname?: string; username?: string; name?: string } | null;
  const name = (r.after as Named) ?? (r.before as Named);
  const entityName = name && typeof name === 'object' ? (name.hostname ?? name.username ?? name.name) : undefined;
  return (
    <tr>
      <td className="num">{r.seq}</td>
      <td className="nowrap">{formatTime(r.occurredAt)}</td>
      <td>
        {r.actorName} <span className="muted small">({r.actorType})</span>
      </td>
      <td>
        <code>{r.action}</code>
      </td>
      <td>
        {r.entityType}{' '}
        {r.entityType === 'asset' && r.entityId ? (
          <Link to={`/assets/${r.entityId}`}>{entityName ?? r.entityId}</Link>
        ) : (
          <span>{entityName ?? r.entityId}</span>
        )}
      </td>
      <td>
        {r.before === null && r.after === null ? (
          <span className="muted">—</span>
        ) : (
          <details>
            <summary>{fields.length ? fields.map(fieldLabel).join(', ') : (r.before === null || r.before === undefined) && /create$/.test(r.action) ? 'created' : 'details'}</summary>
            <Diff before={r.before} after={r.after} />
            {r.requestId && <p className="muted small">Request {r.requestId}</p>}
          </details>
        )}
      </td>
    </tr>
  );
}
