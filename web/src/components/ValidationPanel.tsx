/**
 * A finding's validation (VUL-6): the mark in force (false positive or not affected, with the VEX justification,
 * reason, reviewer and time), a form to make one on an open finding, and a form to lift it. Writes need
 * finding:validate; everyone else sees the mark only.
 */
import { type FormEvent, useId, useState } from 'react';
import { VEX_JUSTIFICATIONS, type VexJustification } from '../../../src/domain/scanners/report.js';
import { ApiError, type Problem } from '../api.js';
import { ErrorBanner, Field, fieldErrorsOf, useSession } from '../components.js';
import { formatTime } from '../labels.js';

/** The mark in force, as GET /api/findings/:id gives it (the reviewer as a name, or as {id, name}). */
export interface FindingValidationInfo {
  status: string;
  justification: string | null;
  reason: string;
  reviewer: string | { id?: string | null; name: string };
  at: string;
}

export interface ValidationPanelProps {
  finding: { id: string; status: string; validation?: FindingValidationInfo | null };
  onChanged: () => void;
}

export const JUSTIFICATION_LABELS: Record<VexJustification, string> = {
  component_not_present: 'Component not present',
  vulnerable_code_not_present: 'Vulnerable code not present',
  vulnerable_code_not_in_execute_path: 'Vulnerable code not in execute path',
  vulnerable_code_cannot_be_controlled_by_adversary: 'Vulnerable code cannot be controlled by an adversary',
  inline_mitigations_already_exist: 'Inline mitigations already exist',
};

const MAX_REASON = 2000;
const MARKED = new Set(['false_positive', 'not_affected']);
const statusLabel = (s: string) => (s === 'false_positive' ? 'False positive' : s === 'not_affected' ? 'Not affected' : s);

/** JSON write with the session's CSRF token; a refusal becomes ApiError with the server's problem. */
async function write(method: 'POST' | 'DELETE', url: string, body: unknown, csrf: string | null): Promise<void> {
  let res: Response;
  try {
    res = await fetch(url, {
      method,
      credentials: 'same-origin',
      headers: { accept: 'application/json', 'content-type': 'application/json', ...(csrf ? { 'x-csrf-token': csrf } : {}) },
      body: JSON.stringify(body),
    });
  } catch (err) {
    throw new ApiError(0, { type: 'about:blank', title: 'Network error', status: 0, detail: `The server could not be reached (${(err as Error).message})`, requestId: '' });
  }
  if (res.ok) return;
  const problem = (await res.json().catch(() => null)) as Problem | null;
  throw new ApiError(res.status, problem?.title ? problem : { type: 'about:blank', title: res.statusText || 'Error', status: res.status, detail: `The server answered ${res.status}`, requestId: '' });
}

export function ValidationPanel({ finding, onChanged }: ValidationPanelProps) {
  const session = useSession();
  const canValidate = session.can('finding:validate');
  const heading = useId();
  const [notice, setNotice] = useState('');
  const marked = MARKED.has(finding.status);
  const v = finding.validation ?? null;
  const done = (message: string) => {
    setNotice(message);
    onChanged();
  };

  return (
    <section className="card" aria-labelledby={heading}>
      <h2 id={heading}>Validation</h2>
      {marked ? (
        <dl className="validation">
          <dt>Marked</dt>
          <dd>
            <strong>{statusLabel(v?.status ?? finding.status)}</strong>
          </dd>
          {v?.justification && (
            <>
              <dt>Justification</dt>
              <dd>{JUSTIFICATION_LABELS[v.justification as VexJustification] ?? v.justification}</dd>
            </>
          )}
          {v && (
            <>
              <dt>Reason</dt>
              <dd style={{ whiteSpace: 'pre-wrap' }}>{v.reason}</dd>
              <dt>Reviewer</dt>
              <dd>{typeof v.reviewer === 'string' ? v.reviewer : v.reviewer.name}</dd>
              <dt>When</dt>
              <dd>
                <time dateTime={v.at}>{formatTime(v.at)}</time>
              </dd>
            </>
          )}
        </dl>
      ) : (
        <p>{finding.status === 'open' ? 'Not marked: the finding is open.' : `Only open findings can be marked; this one is ${finding.status}.`}</p>
      )}
      {marked && <p className="muted small">The mark holds until a scan reports other evidence (another version or output), or until it is lifted here.</p>}
      {canValidate && finding.status === 'open' && <MarkForm findingId={finding.id} onDone={done} />}
      {canValidate && marked && <LiftForm findingId={finding.id} onDone={done} />}
      {!canValidate && finding.status === 'open' && <p className="muted small">Marking findings needs the finding:validate permission (administrators and security analysts).</p>}
      <p role="status" aria-live="polite" className="muted">
        {notice}
      </p>
    </section>
  );
}

function MarkForm({ findingId, onDone }: { findingId: string; onDone: (message: string) => void }) {
  const session = useSession();
  const [status, setStatus] = useState<'false_positive' | 'not_affected'>('false_positive');
  const [justification, setJustification] = useState<VexJustification | ''>('');
  const [reason, setReason] = useState('');
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<unknown>(null);
  const errs = fieldErrorsOf(error);
  const legend = useId();

  const submit = async (e: FormEvent) => {
    e.preventDefault();
    setBusy(true);
    setError(null);
    try {
      await write('POST', '/api/findings/validation', { findingIds: [findingId], status, justification: justification || null, reason }, session.me.csrfToken);
      setReason('');
      onDone(`Marked ${statusLabel(status).toLowerCase()}.`);
    } catch (err) {
      setError(err);
    } finally {
      setBusy(false);
    }
  };

  return (
    <form onSubmit={submit} aria-labelledby={legend}>
      <h3 id={legend}>Mark this finding</h3>
      <ErrorBanner error={error} shownFields={['justification', 'reason', 'status']} />
      <fieldset>
        <legend>Decision</legend>
        <label>
          <input type="radio" name={`status-${findingId}`} value="false_positive" checked={status === 'false_positive'} onChange={() => setStatus('false_positive')} /> False positive
          <span className="muted small"> (the scanner or advisory is wrong about this asset)</span>
        </label>
        <br />
        <label>
          <input type="radio" name={`status-${findingId}`} value="not_affected" checked={status === 'not_affected'} onChange={() => setStatus('not_affected')} /> Not affected
          <span className="muted small"> (the vulnerable component is there but cannot be exploited)</span>
        </label>
      </fieldset>
      <Field label={status === 'not_affected' ? 'Justification (required)' : 'Justification (optional)'} error={errs.justification} hint="The VEX justification: exported with the decision">
        {(p) => (
          <select {...p} value={justification} required={status === 'not_affected'} onChange={(e) => setJustification(e.target.value as VexJustification | '')}>
            <option value="">{status === 'not_affected' ? 'Choose a justification…' : 'None'}</option>
            {VEX_JUSTIFICATIONS.map((j) => (
              <option key={j} value={j}>
                {JUSTIFICATION_LABELS[j]}
              </option>
            ))}
          </select>
        )}
      </Field>
      <Field label="Reason" error={errs.reason} hint={`${reason.length} / ${MAX_REASON} characters; shown in the history and exported as the VEX impact statement`}>
        {(p) => <textarea {...p} rows={3} required maxLength={MAX_REASON} value={reason} onChange={(e) => setReason(e.target.value)} />}
      </Field>
      <div className="actions">
        <button type="submit" className="primary" disabled={busy || !reason.trim() || (status === 'not_affected' && !justification)}>
          {busy ? 'Saving…' : status === 'false_positive' ? 'Mark false positive' : 'Mark not affected'}
        </button>
      </div>
    </form>
  );
}

function LiftForm({ findingId, onDone }: { findingId: string; onDone: (message: string) => void }) {
  const session = useSession();
  const [reason, setReason] = useState('');
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<unknown>(null);
  const errs = fieldErrorsOf(error);
  const legend = useId();

  const submit = async (e: FormEvent) => {
    e.preventDefault();
    setBusy(true);
    setError(null);
    try {
      await write('DELETE', `/api/findings/${encodeURIComponent(findingId)}/validation`, { reason }, session.me.csrfToken);
      setReason('');
      onDone('Mark lifted: the finding is open again.');
    } catch (err) {
      setError(err);
    } finally {
      setBusy(false);
    }
  };

  return (
    <form onSubmit={submit} aria-labelledby={legend}>
      <h3 id={legend}>Lift the mark</h3>
      <ErrorBanner error={error} shownFields={['reason']} />
      <Field label="Why the mark no longer holds" error={errs.reason}>
        {(p) => <textarea {...p} rows={2} required maxLength={MAX_REASON} value={reason} onChange={(e) => setReason(e.target.value)} />}
      </Field>
      <div className="actions">
        <button type="submit" disabled={busy || !reason.trim()}>
          {busy ? 'Lifting…' : 'Lift the mark'}
        </button>
      </div>
    </form>
  );
}
