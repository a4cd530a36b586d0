/** The asset's end of life (LEG-1, LEG-2): OS and software support state, risk class, compensating controls. */
import { type FormEvent, useState } from 'react';
import { CONTROL_KINDS, type ControlKind } from '../../../src/domain/priority/policy.js';
import { type AssetEol, type EolControl, type EolItem, type EolState, type RiskClass, api } from '../api.js';
import { Badge, ErrorBanner, Field, Spinner, fieldErrorsOf, useLoad, useSession } from '../components.js';
import { formatTime } from '../labels.js';
import { Link } from '../router.js';

export const EOL_STATE_LABELS: Record<EolState, string> = {
  supported: 'Supported',
  eol_soon: 'Ends within 90 days',
  unsupported: 'Unsupported',
  unknown: 'Not recognised',
};
const STATE_KIND: Record<EolState, 'ok' | 'warn' | 'danger' | 'muted'> = { supported: 'ok', eol_soon: 'warn', unsupported: 'danger', unknown: 'muted' };
const RISK_KIND: Record<RiskClass, 'ok' | 'warn' | 'danger' | 'muted' | 'info'> = { none: 'ok', low: 'info', medium: 'warn', high: 'danger', critical: 'danger', unknown: 'muted' };

export function EolStateBadge({ state }: { state: EolState }) {
  return <Badge kind={STATE_KIND[state]}>{EOL_STATE_LABELS[state]}</Badge>;
}

export function RiskBadge({ risk }: { risk: RiskClass }) {
  return <Badge kind={RISK_KIND[risk]}>{risk === 'unknown' ? 'Risk unknown' : `${risk[0]?.toUpperCase()}${risk.slice(1)} risk`}</Badge>;
}

/** "2026-07-11 (ended 135 days ago)", "no end date fixed", "ended (date unknown)". */
export function endOfSupport(eol: string | boolean | null, daysLeft: number | null): string {
  if (eol === true) return 'ended (date unknown)';
  if (eol === false) return 'no end date fixed';
  if (eol === null) return '—';
  if (daysLeft === null) return eol;
  if (daysLeft > 0) return `${eol} (in ${daysLeft} day${daysLeft === 1 ? '' : 's'})`;
  return `${eol} (ended ${-daysLeft === 0 ? 'today' : `${-daysLeft} day${daysLeft === -1 ? '' : 's'} ago`})`;
}

function ItemRow({ i }: { i: EolItem }) {
  return (
    <tr data-product={i.product}>
      <th scope="row">
        {i.product} {i.cycle ?? <span className="muted">(cycle not found)</span>}
        {i.codename && <span className="muted small"> {i.codename}</span>}
        <div className="muted small">{i.kind === 'os' ? i.detectedFrom : i.packages.join(', ')}</div>
      </th>
      <td className="nowrap">{endOfSupport(i.eol, i.daysLeft)}</td>
      <td>
        <EolStateBadge state={i.state} />
        {i.coveredBy && (
          <div className="small">
            built by {i.coveredBy}: <EolStateBadge state={i.effectiveState} />
          </div>
        )}
      </td>
      <td className="small">
        {i.extendedSupport === null || i.extendedSupport === undefined ? <span className="muted">—</span> : endOfSupport(i.extendedSupport, null)}
        {i.latest && <div className="muted">latest {i.latest}</div>}
      </td>
    </tr>
  );
}

export function EolPanel({ assetId, refresh }: { assetId: string; refresh: string }) {
  const { can } = useSession();
  const eol = useLoad(() => api.assetEol(assetId), `eol-${assetId}-${refresh}`);
  const canWrite = can('asset:write') || can('asset:write_own');
  const e = eol.data;
  return (
    <section className="card eol-panel" aria-labelledby={`eol-${assetId}`}>
      <h2 id={`eol-${assetId}`}>End of life</h2>
      <ErrorBanner error={eol.error} />
      {eol.loading && !e && <Spinner />}
      {e && <EolBody e={e} canWrite={canWrite && e.lifecycle === 'active'} onChanged={eol.reload} />}
    </section>
  );
}

function EolBody({ e, canWrite, onChanged }: { e: AssetEol; canWrite: boolean; onChanged: () => void }) {
  const items = [e.os, ...e.software].filter((i): i is EolItem => !!i);
  return (
    <>
      <p className="inline" data-testid="eol-summary">
        <EolStateBadge state={e.state} /> <RiskBadge risk={e.risk} /> <span>{e.riskReason}</span>
      </p>
      {!e.os && <p className="muted">The operating system was not recognised: set the asset's OS name and version, or upload an inventory.</p>}
      {items.length > 0 && (
        <table className="data">
          <caption className="visually-hidden">End of support of the operating system and server software</caption>
          <thead>
            <tr>
              <th scope="col">Product and cycle</th>
              <th scope="col">End of support</th>
              <th scope="col">State</th>
              <th scope="col">Extended support</th>
            </tr>
          </thead>
          <tbody>
            {items.map((i) => (
              <ItemRow key={`${i.kind}-${i.product}-${i.cycle}-${i.coveredBy}`} i={i} />
            ))}
          </tbody>
        </table>
      )}
      <p className="small">
        Inventory required every <strong>{e.monitoring.inventoryMaxAgeDays === 1 ? 'day' : `${e.monitoring.inventoryMaxAgeDays} days`}</strong>
        {e.monitoring.raised && ' (raised while the asset is unsupported)'}.
      </p>
      <h3>Compensating controls</h3>
      {e.needsControl && (
        <p>
          <Badge kind="warn">No active compensating control</Badge> <span className="muted">An unsupported system needs one (LEG-2).</span>
        </p>
      )}
      {e.controls.length === 0 && !e.needsControl && <p className="muted">None recorded.</p>}
      {e.controls.length > 0 && (
        <ul className="eol-controls" aria-label="Compensating controls">
          {e.controls.map((c) => (
            <ControlItem key={c.id} c={c} canWrite={canWrite} onChanged={onChanged} />
          ))}
        </ul>
      )}
      {canWrite && <AddControl assetId={e.assetId} onDone={onChanged} />}
      <p className="muted small">
        Dates from {e.dataset.source} (loaded {formatTime(e.dataset.loadedAt)}). <Link to="/eol">All unsupported assets</Link>
      </p>
    </>
  );
}

function ControlItem({ c, canWrite, onChanged }: { c: EolControl; canWrite: boolean; onChanged: () => void }) {
  const [open, setOpen] = useState(false);
  const [reason, setReason] = useState('');
  const [error, setError] = useState<unknown>(null);
  const [busy, setBusy] = useState(false);
  const retire = async (ev: FormEvent) => {
    ev.preventDefault();
    setBusy(true);
    setError(null);
    try {
      await api.retireEolControl(c.assetId, c.id, reason.trim());
      onChanged();
    } catch (err) {
      setError(err);
    } finally {
      setBusy(false);
    }
  };
  return (
    <li className={c.status === 'retired' ? 'muted' : undefined}>
      <strong>{c.control}</strong> <Badge kind="muted">{CONTROL_KIND_LABELS[c.kind]}</Badge> {c.status === 'retired' ? <Badge kind="muted">Retired</Badge> : c.reviewOverdue ? <Badge kind="warn">Review overdue</Badge> : null}
      <div className="small">
        Owner {c.owner ? c.owner.name : <Badge kind="warn">none</Badge>} · review {c.reviewDate}
        {c.status === 'retired' && ` · retired ${formatTime(c.retiredAt)}: ${c.retireReason ?? ''}`}
      </div>
      {c.description && <div className="pre small">{c.description}</div>}
      {canWrite && c.status === 'active' && !open && (
        <button type="button" className="link-button" onClick={() => setOpen(true)}>
          Retire…
        </button>
      )}
      {open && (
        <form className="inline-form" onSubmit={retire} aria-label={`Retire ${c.control}`}>
          <ErrorBanner error={error} shownFields={['reason']} />
          <Field label="Why is it retired? (recorded in the audit trail)" error={fieldErrorsOf(error).reason}>
            {(p) => <input {...p} value={reason} onChange={(ev) => setReason(ev.target.value)} maxLength={1000} required />}
          </Field>
          <div className="actions">
            <button type="submit" disabled={busy || !reason.trim()}>
              Retire control
            </button>
            <button type="button" onClick={() => setOpen(false)}>
              Cancel
            </button>
          </div>
        </form>
      )}
    </li>
  );
}

function AddControl({ assetId, onDone }: { assetId: string; onDone: () => void }) {
  const [open, setOpen] = useState(false);
  const [control, setControl] = useState('');
  const [description, setDescription] = useState('');
  const [reviewDate, setReviewDate] = useState('');
  const [kind, setKind] = useState<ControlKind>('other');
  const [ownerTeamId, setOwnerTeamId] = useState('');
  const [error, setError] = useState<unknown>(null);
  const [busy, setBusy] = useState(false);
  const teams = useLoad(() => (open ? api.listTeams() : Promise.resolve([])), `teams-${open}`);
  const fe = fieldErrorsOf(error);
  const submit = async (ev: FormEvent) => {
    ev.preventDefault();
    setBusy(true);
    setError(null);
    try {
      await api.createEolControl(assetId, { control: control.trim(), kind, description: description.trim() || null, reviewDate, ...(ownerTeamId ? { ownerTeamId } : {}) });
      setOpen(false);
      setControl('');
      setDescription('');
      setReviewDate('');
      onDone();
    } catch (err) {
      setError(err);
    } finally {
      setBusy(false);
    }
  };
  if (!open)
    return (
      <button type="button" onClick={() => setOpen(true)}>
        Add compensating control…
      </button>
    );
  return (
    <form className="inline-form form-grid" onSubmit={submit} aria-label="Add a compensating control">
      <ErrorBanner error={error} shownFields={['control', 'kind', 'description', 'reviewDate', 'ownerTeamId']} />
      <Field label="Control" hint="What is done instead of vendor fixes: isolation, extra monitoring, WAF rules …" error={fe.control} className="span-all">
        {(p) => <input {...p} value={control} onChange={(ev) => setControl(ev.target.value)} maxLength={200} required />}
      </Field>
      <Field label="Kind" hint="WAF, segmentation, isolation and monitoring lower the priority of the asset's findings (patch policy)" error={fe.kind}>
        {(p) => (
          <select {...p} value={kind} onChange={(ev) => setKind(ev.target.value as ControlKind)}>
            {CONTROL_KINDS.map((k) => (
              <option key={k} value={k}>
                {CONTROL_KIND_LABELS[k]}
              </option>
            ))}
          </select>
        )}
      </Field>
      <Field label="Details (optional)" error={fe.description} className="span-all">
        {(p) => <textarea {...p} value={description} onChange={(ev) => setDescription(ev.target.value)} maxLength={4000} rows={2} />}
      </Field>
      <Field label="Next review" error={fe.reviewDate}>
        {(p) => <input {...p} type="date" value={reviewDate} onChange={(ev) => setReviewDate(ev.target.value)} required />}
      </Field>
      <Field label="Owner" hint="Who answers for the control" error={fe.ownerTeamId}>
        {(p) => (
          <select {...p} value={ownerTeamId} onChange={(ev) => setOwnerTeamId(ev.target.value)}>
            <option value="">Me</option>
            {(teams.data ?? []).map((t) => (
              <option key={t.id} value={t.id}>
                Team {t.name}
              </option>
            ))}
          </select>
        )}
      </Field>
      <div className="form-actions span-all">
        <button type="submit" className="primary" disabled={busy}>
          Record control
        </button>
        <button type="button" onClick={() => setOpen(false)}>
          Cancel
        </button>
      </div>
    </form>
  );
}

const CONTROL_KIND_LABELS: Record<ControlKind, string> = { waf: 'WAF', segmentation: 'Segmentation', isolation: 'Isolation', monitoring: 'Monitoring', other: 'Other' };
