/**
 * What can be done with the selected findings: export them as CSV, or (with
 * finding:validate) mark them false positive or not affected through the
 * validation API, all of them or none.
 */
import { type FormEvent, useState } from 'react';
import { VEX_JUSTIFICATIONS } from '../../../../src/domain/scanners/report.js';
import { registerApi } from '../../api.js';
import { ErrorBanner, useSession } from '../../components.js';
import { label } from '../../labels.js';

interface Props {
  selected: string[];
  onClear: () => void;
  onValidated: (message: string) => void;
}

type Mark = 'false_positive' | 'not_affected';

/** The export's ids parameter takes at most this many (they travel in the URL). */
const MAX_EXPORT = 500;

export function BulkActions({ selected, onClear, onValidated }: Props) {
  const { can } = useSession();
  const [mark, setMark] = useState<Mark | null>(null);
  const [reason, setReason] = useState('');
  const [justification, setJustification] = useState('');
  const [error, setError] = useState<unknown>(null);
  const [busy, setBusy] = useState(false);
  const n = selected.length;

  const submit = async (e: FormEvent) => {
    e.preventDefault();
    if (!mark) return;
    setBusy(true);
    setError(null);
    try {
      const r = await registerApi.validate({ findingIds: selected, status: mark, justification: justification || null, reason: reason.trim() });
      setMark(null);
      setReason('');
      setJustification('');
      onValidated(`Marked ${r.validated} finding${r.validated === 1 ? '' : 's'} ${mark === 'false_positive' ? 'false positive' : 'not affected'}.`);
    } catch (err) {
      setError(err);
    } finally {
      setBusy(false);
    }
  };

  return (
    <section className="card" aria-label="Bulk actions">
      <p className="inline">
        <strong>{n === 1 ? '1 finding selected' : `${n} findings selected`}</strong>{' '}
        {n <= MAX_EXPORT ? (
          <a className="button" href={registerApi.exportUrl({ ids: selected.join(',') })} download>
            Export selection (CSV)
          </a>
        ) : (
          <span className="muted small">A selection of at most {MAX_EXPORT} exports; Export CSV above exports everything the filters select.</span>
        )}
        {can('finding:validate') && (
          <>
            <button type="button" onClick={() => setMark('false_positive')} aria-expanded={mark === 'false_positive'}>
              Mark false positive…
            </button>
            <button type="button" onClick={() => setMark('not_affected')} aria-expanded={mark === 'not_affected'}>
              Mark not affected…
            </button>
          </>
        )}
        <button type="button" className="link-button" onClick={onClear}>
          Clear selection
        </button>
      </p>
      {mark && (
        <form onSubmit={submit} aria-label={mark === 'false_positive' ? 'Mark the selected findings false positive' : 'Mark the selected findings not affected'}>
          <div className="field">
            <label htmlFor="bulk-justification">Justification (VEX){mark === 'not_affected' ? '' : ', optional'}</label>
            <select id="bulk-justification" value={justification} required={mark === 'not_affected'} onChange={(e) => setJustification(e.target.value)}>
              <option value="">{mark === 'not_affected' ? 'Choose…' : 'None'}</option>
              {VEX_JUSTIFICATIONS.map((j) => (
                <option key={j} value={j}>
                  {label(j)}
                </option>
              ))}
            </select>
          </div>
          <div className="field">
            <label htmlFor="bulk-reason">Reason</label>
            <textarea id="bulk-reason" required maxLength={2000} rows={3} value={reason} onChange={(e) => setReason(e.target.value)} />
          </div>
          <div className="form-actions">
            <button type="submit" className="primary" disabled={busy}>
              {busy ? 'Marking…' : `Mark ${n} finding${n === 1 ? '' : 's'}`}
            </button>
            <button type="button" className="link-button" onClick={() => setMark(null)}>
              Cancel
            </button>
          </div>
          <ErrorBanner error={error} />
        </form>
      )}
    </section>
  );
}
