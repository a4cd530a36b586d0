/**
 * SLA extensions (INC-3: SLAs adjusted during an incident only with
 * justification and approval): the register, a request form taking finding
 * ids, and the decisions the signed-in person may take on each request (the
 * server says which: the policy's roles, never the requester).
 */
import { type FormEvent, useState } from 'react';
import { Badge, ErrorBanner, Field, fieldErrorsOf, Spinner, useLoad, useSession } from '../components.js';
import { extensionsApi, type SlaExtension } from '../exceptionsApi.js';
import { formatTime } from '../labels.js';
import { Link, navigate, useLocation, useTitle } from '../router.js';

const STATUS_KIND: Record<string, 'warn' | 'ok' | 'muted' | 'danger' | 'info'> = { requested: 'info', approved: 'ok', rejected: 'danger', withdrawn: 'muted' };

export function ExtensionStatus({ status }: { status: string }) {
  return <Badge kind={STATUS_KIND[status] ?? 'muted'}>{status.charAt(0).toUpperCase() + status.slice(1)}</Badge>;
}

export function SlaExtensionsPage() {
  useTitle('SLA extensions');
  const { can } = useSession();
  const { search } = useLocation();
  const status = search.get('status') ?? '';
  const prefill = search.get('findingIds') ?? '';
  const [tick, setTick] = useState(0);
  const [requesting, setRequesting] = useState(prefill !== '');
  const list = useLoad(() => extensionsApi.list({ status: status || undefined, limit: '200' }), `${status}|${tick}`);
  return (
    <section>
      <div className="page-head">
        <h1>SLA extensions</h1>
        <div className="actions">
          <Link to="/exceptions">Risk exceptions</Link>
          {can('exception:request') && !requesting && (
            <button type="button" onClick={() => setRequesting(true)}>
              Request an extension
            </button>
          )}
        </div>
      </div>
      <p className="muted">A later due date for findings that cannot be fixed in time, for example during an incident: it needs a justification and the approval of someone the policy names, never the requester.</p>
      {requesting && (
        <RequestForm
          initial={prefill}
          onCancel={() => setRequesting(false)}
          onDone={() => {
            setRequesting(false);
            setTick((t) => t + 1);
          }}
        />
      )}
      <div className="inline">
        <Field label="Status">
          {(p) => (
            <select {...p} value={status} onChange={(e) => navigate(e.target.value ? `/sla-extensions?status=${e.target.value}` : '/sla-extensions', { replace: true })}>
              <option value="">Any</option>
              {['requested', 'approved', 'rejected', 'withdrawn'].map((s) => (
                <option key={s} value={s}>
                  {s}
                </option>
              ))}
            </select>
          )}
        </Field>
      </div>
      <ErrorBanner error={list.error} />
      {list.loading && !list.data && <Spinner />}
      {list.data && <ExtensionTable items={list.data.items} onChanged={() => setTick((t) => t + 1)} />}
    </section>
  );
}

export function ExtensionTable({ items, onChanged }: { items: SlaExtension[]; onChanged: () => void }) {
  return (
    <div className="table-wrap">
      <table className="data" aria-label="SLA extensions">
        <thead>
          <tr>
            <th scope="col">Findings</th>
            <th scope="col">New due day</th>
            <th scope="col">Why</th>
            <th scope="col">Status</th>
            <th scope="col">Requested</th>
            <th scope="col">Decided</th>
          </tr>
        </thead>
        <tbody>
          {items.map((x) => (
            <tr key={x.id}>
              <th scope="row">
                {x.findings.map((f) => (
                  <div key={f.id}>
                    <Link to={`/findings/${f.id}`}>
                      {f.vulnerabilityId} on {f.hostname}
                    </Link>{' '}
                    <span className="muted small">due {f.dueAt ? formatTime(f.dueAt) : '—'}</span>
                  </div>
                ))}
              </th>
              <td className="nowrap">{x.newDueOn}</td>
              <td>
                {x.justification}
                {x.incidentRef && <div className="muted small">Incident {x.incidentRef}</div>}
              </td>
              <td>
                <ExtensionStatus status={x.status} />
                <Decide extension={x} onDone={onChanged} />
              </td>
              <td>
                {x.requestedBy.name}
                <div className="muted small">{formatTime(x.requestedAt)}</div>
              </td>
              <td>
                {x.decidedBy ? x.decidedBy.name : <span className="muted">—</span>}
                {x.decisionNote && <div className="muted small">{x.decisionNote}</div>}
              </td>
            </tr>
          ))}
          {items.length === 0 && (
            <tr>
              <td colSpan={6} className="empty">
                No SLA extensions.
              </td>
            </tr>
          )}
        </tbody>
      </table>
    </div>
  );
}

function Decide({ extension: x, onDone }: { extension: SlaExtension; onDone: () => void }) {
  const [note, setNote] = useState('');
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<unknown>(null);
  if (!x.allowed.approve && !x.allowed.reject && !x.allowed.withdraw) return null;
  const act = (what: 'approve' | 'reject' | 'withdraw') => async () => {
    setBusy(true);
    setError(null);
    try {
      await extensionsApi.decide(x.id, what, note.trim(), x.version);
      onDone();
    } catch (err) {
      setError(err);
    } finally {
      setBusy(false);
    }
  };
  return (
    <form className="inline-form" aria-label={`Decide the extension to ${x.newDueOn}`} onSubmit={(e: FormEvent) => e.preventDefault()}>
      <ErrorBanner error={error} />
      <Field label="Note">
        {(p) => <input {...p} maxLength={2000} value={note} onChange={(e) => setNote(e.target.value)} />}
      </Field>
      {x.allowed.approve && (
        <button type="button" disabled={busy} onClick={act('approve')}>
          Approve
        </button>
      )}
      {x.allowed.reject && (
        <button type="button" disabled={busy} onClick={act('reject')}>
          Reject
        </button>
      )}
      {x.allowed.withdraw && (
        <button type="button" disabled={busy} onClick={act('withdraw')}>
          Withdraw
        </button>
      )}
    </form>
  );
}

function RequestForm({ initial, onCancel, onDone }: { initial: string; onCancel: () => void; onDone: () => void }) {
  const [ids, setIds] = useState(initial);
  const [due, setDue] = useState('');
  const [justification, setJustification] = useState('');
  const [incident, setIncident] = useState('');
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<unknown>(null);
  const [done, setDone] = useState('');
  const errs = fieldErrorsOf(error);
  const idErrors = Object.entries(errs)
    .filter(([k]) => k.startsWith('findingIds'))
    .flatMap(([, v]) => v);
  const submit = async (e: FormEvent) => {
    e.preventDefault();
    setBusy(true);
    setError(null);
    try {
      const x = await extensionsApi.request({ findingIds: ids.split(/[\s,]+/).filter(Boolean), newDueOn: due, justification, incidentRef: incident.trim() || null });
      setDone(`Requested: ${x.findings.length} finding(s) to ${x.newDueOn}.`);
      onDone();
    } catch (err) {
      setError(err);
    } finally {
      setBusy(false);
    }
  };
  return (
    <form className="card" onSubmit={submit} aria-label="Request an SLA extension">
      <h2>Request an SLA extension</h2>
      <ErrorBanner error={error} shownFields={['newDueOn', 'justification', 'incidentRef']} />
      <div className="form-grid">
        <Field label="Finding ids" error={idErrors} hint="Separated by spaces or commas; all of them or none">
          {(p) => <input {...p} value={ids} onChange={(e) => setIds(e.target.value)} required />}
        </Field>
        <Field label="New due day" error={errs.newDueOn}>
          {(p) => <input {...p} type="date" value={due} onChange={(e) => setDue(e.target.value)} required />}
        </Field>
        <Field label="Incident" error={errs.incidentRef} hint="e.g. INC-2026-042 (optional)">
          {(p) => <input {...p} maxLength={200} value={incident} onChange={(e) => setIncident(e.target.value)} />}
        </Field>
      </div>
      <Field label="Justification" error={errs.justification} hint="Why the deadline cannot be met">
        {(p) => <textarea {...p} rows={3} maxLength={4000} value={justification} onChange={(e) => setJustification(e.target.value)} required />}
      </Field>
      <div className="form-actions">
        <button type="submit" disabled={busy}>
          Submit request
        </button>
        <button type="button" className="link-button" onClick={onCancel}>
          Cancel
        </button>
      </div>
      <p role="status" aria-live="polite" className="muted">
        {done}
      </p>
    </form>
  );
}
