/** One asset: every field, its owner, lifecycle actions and its change history. */
import { type FormEvent, type FormHTMLAttributes, type ReactNode, useState } from 'react';
import { type Asset, api, withQuery } from '../api.js';
import { Badge, Diff, ErrorBanner, Field, Spinner, useFocusFirstField, useLoad, useSession } from '../components.js';
import { formatTime, label } from '../labels.js';
import { Link, useTitle } from '../router.js';
import { StatusBadge } from './Findings.js';
import { HostFacts } from '../components/HostFacts.js';
import { EolPanel } from '../components/EolPanel.js';
import { SshPanel } from './ssh/SshPanel.js';

export function AssetDetailPage({ id }: { id: string }) {
  const { can } = useSession();
  const [uploads, setUploads] = useState(0);
  const asset = useLoad(() => api.getAsset(id), id);
  const history = useLoad(() => (can('audit:read') ? api.assetHistory(id) : Promise.resolve([])), `${id}-${asset.data?.version ?? 0}`);
  useTitle(asset.data?.hostname ?? 'Asset');

  if (asset.error) return <ErrorBanner error={asset.error} />;
  if (!asset.data) return <Spinner />;
  const a = asset.data;

  return (
    <section>
      <p className="breadcrumb">
        <Link to="/assets">Assets</Link> /
      </p>
      <div className="page-head">
        <h1>
          {a.hostname} {a.lifecycle === 'decommissioned' ? <Badge kind="muted">Decommissioned</Badge> : null}
          {a.unowned ? <Badge kind="warn">Unowned</Badge> : null}
          {a.reviewRequired ? <Badge kind="warn">Needs review</Badge> : null}
        </h1>
        {(can('asset:write') || can('asset:write_own')) && a.lifecycle === 'active' && (
          <div className="actions">
            <Link className="button primary" to={`/assets/${a.id}/edit`}>
              Edit
            </Link>
          </div>
        )}
      </div>

      {a.reviewRequired && <ReviewNotice asset={a} canConfirm={can('asset:write') || can('asset:write_own')} onConfirmed={() => asset.reload()} />}

      <div className="detail-grid">
        <div className="card">
          <h2>Identity</h2>
          <dl className="props">
            <Prop name="Host name" value={a.hostname} />
            <Prop name="FQDN" value={a.fqdn} />
            <Prop name="IP addresses" value={a.ipAddresses.join(', ')} />
            <Prop name="OS family" value={label(a.osFamily)} />
            <Prop name="OS name" value={a.osName} />
            <Prop name="OS version" value={a.osVersion} />
            <Prop name="Tags" value={a.tags.length ? a.tags.map((t) => <span key={t} className="tag">{t}</span>) : null} />
          </dl>
        </div>
        <div className="card">
          <h2>Context</h2>
          <dl className="props">
            <Prop name="Environment" value={label(a.environment)} />
            <Prop name="System type" value={label(a.systemType)} />
            <Prop name="Business criticality" value={<span className={`crit crit-${a.businessCriticality}`}>{label(a.businessCriticality)}</span>} />
            <Prop name="Network exposure" value={label(a.networkExposure)} />
            <Prop name="Department" value={a.department} />
            <Prop name="Location" value={a.location} />
            <Prop name="Maintenance group" value={a.maintenanceGroup} />
            <Prop name="Supplier" value={a.supplier} />
          </dl>
        </div>
        <div className="card">
          <h2>Ownership and lifecycle</h2>
          <dl className="props">
            <Prop name="Owner" value={a.owner ? `${a.owner.name} (${a.owner.type})` : <Badge kind="warn">Unowned — assign an owner</Badge>} />
            <Prop name="Lifecycle" value={label(a.lifecycle)} />
            <Prop
              name="Last inventoried"
              value={
                a.inventory === 'never' ? (
                  <Badge kind="warn">Never inventoried</Badge>
                ) : (
                  <>
                    {formatTime(a.lastInventoriedAt)} {a.inventory === 'overdue' && <Badge kind="warn">Overdue (older than 7 days)</Badge>}
                  </>
                )
              }
            />
            <Prop name="Decommissioned" value={formatTime(a.decommissionedAt)} />
            <Prop name="Created" value={formatTime(a.createdAt)} />
            <Prop name="Updated" value={formatTime(a.updatedAt)} />
            <Prop name="Version" value={String(a.version)} />
            <Prop name="Id" value={<code>{a.id}</code>} />
          </dl>
          {(can('asset:write') || can('asset:write_own')) && <LifecycleAction asset={a} onDone={(x) => asset.set(x)} />}
        </div>
      </div>

      <div className="card">
        <h2>Description</h2>
        {a.description ? <p className="pre">{a.description}</p> : <p className="muted">No description.</p>}
      </div>

      <AssetFindings assetId={a.id} />
      <HostFacts assetId={a.id} />
      <InstalledSoftware assetId={a.id} canUpload={can('asset:write') || can('asset:write_own')} onChanged={() => setUploads((n) => n + 1)} />
      <EolPanel assetId={a.id} refresh={`${a.version}-${uploads}`} />
      <SshPanel assetId={a.id} onCollected={() => { asset.reload(); setUploads((n) => n + 1); }} />
      <SoftwareChanges assetId={a.id} uploads={uploads} />

      {can('audit:read') && (
        <div className="card">
          <h2>History</h2>
          <ErrorBanner error={history.error} />
          {history.loading && !history.data && <Spinner />}
          {history.data && history.data.length === 0 && <p className="muted">No recorded changes.</p>}
          {history.data && history.data.length > 0 && (
            <table className="data history">
              <thead>
                <tr>
                  <th scope="col">When</th>
                  <th scope="col">Who</th>
                  <th scope="col">Action</th>
                  <th scope="col">Changes</th>
                </tr>
              </thead>
              <tbody>
                {history.data.map((r) => (
                  <tr key={r.seq}>
                    <td className="nowrap">{formatTime(r.occurredAt)}</td>
                    <td>{r.actorName}</td>
                    <td>
                      <code>{r.action}</code>
                    </td>
                    <td>
                      {r.before === null || r.before === undefined ? (
                        <details>
                          <summary>Created with these values</summary>
                          <Diff before={r.before} after={r.after} />
                        </details>
                      ) : (
                        <Diff before={r.before} after={r.after} />
                      )}
                    </td>
                  </tr>
                ))}
              </tbody>
            </table>
          )}
        </div>
      )}
    </section>
  );
}

function Prop({ name, value }: { name: string; value: ReactNode }) {
  const empty = value === null || value === undefined || value === '';
  return (
    <>
      <dt>{name}</dt>
      <dd>{empty ? <span className="muted">—</span> : value}</dd>
    </>
  );
}

function LifecycleAction({ asset, onDone }: { asset: Asset; onDone: (a: Asset) => void }) {
  const [open, setOpen] = useState(false);
  const [reason, setReason] = useState('');
  const [error, setError] = useState<unknown>(null);
  const [busy, setBusy] = useState(false);
  const decommission = asset.lifecycle === 'active';
  const verb = decommission ? 'Decommission' : 'Reactivate';

  const submit = async (e: FormEvent) => {
    e.preventDefault();
    setBusy(true);
    setError(null);
    try {
      const r = reason.trim() || null;
      onDone(decommission ? await api.decommissionAsset(asset.id, r) : await api.reactivateAsset(asset.id, r));
      setOpen(false);
      setReason('');
    } catch (err) {
      setError(err);
    } finally {
      setBusy(false);
    }
  };

  if (!open)
    return (
      <button type="button" className={decommission ? 'danger' : undefined} onClick={() => setOpen(true)}>
        {verb}…
      </button>
    );
  return (
    <FocusForm onSubmit={submit} className="inline-form">
      <ErrorBanner error={error} />
      <Field label={`Reason to ${verb.toLowerCase()} (recorded in the audit trail)`}>
        {(p) => <input {...p} value={reason} onChange={(e) => setReason(e.target.value)} maxLength={1000} />}
      </Field>
      <div className="actions">
        <button type="submit" className={decommission ? 'danger' : 'primary'} disabled={busy}>
          {verb}
        </button>
        <button type="button" onClick={() => setOpen(false)}>
          Cancel
        </button>
      </div>
    </FocusForm>
  );
}

/** A form that takes focus when it appears (it opens on a button press). */
function FocusForm(props: FormHTMLAttributes<HTMLFormElement>) {
  const ref = useFocusFirstField<HTMLFormElement>();
  return <form ref={ref} {...props} />;
}

const FINDINGS_SHOWN = 100;

/** The asset's open findings, most recent matching first, linking to the vulnerability and the finding. */
function AssetFindings({ assetId }: { assetId: string }) {
  const findings = useLoad(() => api.listFindings({ assetId, status: 'open', limit: String(FINDINGS_SHOWN) }), assetId);
  const items = findings.data?.items ?? [];
  return (
    <div className="card">
      <h2>Findings</h2>
      <ErrorBanner error={findings.error} />
      {findings.loading && !findings.data && <Spinner />}
      {findings.data && items.length === 0 && <p className="muted">No open findings.</p>}
      {items.length > 0 && (
        <table className="data">
          <caption className="visually-hidden">Open findings of this asset</caption>
          <thead>
            <tr>
              <th scope="col">Vulnerability</th>
              <th scope="col">Package</th>
              <th scope="col">Installed</th>
              <th scope="col">Fixed in</th>
              <th scope="col">Status</th>
              <th scope="col">Finding</th>
            </tr>
          </thead>
          <tbody>
            {items.map((f) => (
              <tr key={f.id}>
                <td className="nowrap">
                  <Link to={`/vulnerabilities/${encodeURIComponent(f.vulnerabilityId)}`}>{f.vulnerabilityId}</Link>
                </td>
                <td>{f.package}</td>
                <td>
                  <code>{f.installedVersion}</code>
                </td>
                <td>{f.fixedVersion ? <code>{f.fixedVersion}</code> : <Badge kind="warn">No fix yet</Badge>}</td>
                <td>
                  <StatusBadge status={f.status} />
                </td>
                <td>
                  <Link to={`/findings/${f.id}`} aria-label={`Finding ${f.vulnerabilityId} in ${f.package}`}>
                    Details
                  </Link>
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
      <p>
        <Link to={withQuery('/findings', { assetId })}>{findings.data?.nextCursor ? 'All open findings of this asset' : 'Findings list for this asset'}</Link>
        {' · '}
        <Link to={withQuery('/findings', { assetId, status: 'all' })}>including resolved</Link>
      </p>
    </div>
  );
}

const PACKAGES_SHOWN = 500;

/** The installed packages from the last inventory, with a search box over name, version and source. */
function InstalledSoftware({ assetId, canUpload, onChanged }: { assetId: string; canUpload: boolean; onChanged: () => void }) {
  const inv = useLoad(() => api.assetInventory(assetId), assetId);
  const [q, setQ] = useState('');
  const needle = q.trim().toLowerCase();
  const all = inv.data?.packages ?? [];
  const matching = needle ? all.filter((p) => p.name.toLowerCase().includes(needle) || p.version.toLowerCase().includes(needle) || p.sourceName.toLowerCase().includes(needle)) : all;
  const shown = matching.slice(0, PACKAGES_SHOWN);
  return (
    <div className="card">
      <h2>Installed software</h2>
      <ErrorBanner error={inv.error} />
      {inv.loading && inv.data === undefined && <Spinner />}
      {inv.data === null && <p className="muted">No inventory yet: upload the host's dpkg status file or an SBOM below, or use <code>patchloop assets inventory</code>.</p>}
      {canUpload && inv.data !== undefined && (
        <InventoryUpload
          assetId={assetId}
          release={inv.data?.release ?? null}
          onDone={() => {
            inv.reload();
            onChanged();
          }}
        />
      )}
      {inv.data && (
        <>
          <p className="muted small">
            {[inv.data.distro, inv.data.release].filter(Boolean).join(' ')} · {all.length} packages · from {inv.data.source}, collected {formatTime(inv.data.collectedAt)} · {inv.data.openFindings} open finding
            {inv.data.openFindings === 1 ? '' : 's'}
          </p>
          <search className="search-row">
            <label htmlFor={`pkg-search-${assetId}`} className="visually-hidden">
              Search installed packages
            </label>
            <input id={`pkg-search-${assetId}`} type="search" placeholder="Search package name, version or source package" value={q} onChange={(e) => setQ(e.target.value)} />
          </search>
          <p className="result-count" aria-live="polite">
            {needle ? `${matching.length} of ${all.length} packages match` : `${all.length} packages`}
            {matching.length > shown.length && ` · showing the first ${shown.length}`}
          </p>
          {shown.length > 0 && (
            <table className="data">
              <caption className="visually-hidden">Installed packages</caption>
              <thead>
                <tr>
                  <th scope="col">Package</th>
                  <th scope="col">Version</th>
                  <th scope="col">Architecture</th>
                  <th scope="col">Source</th>
                </tr>
              </thead>
              <tbody>
                {shown.map((p) => (
                  <tr key={`${p.ecosystem}/${p.name}/${p.arch}/${p.version}`}>
                    <td>{p.name}</td>
                    <td>
                      <code>{p.version}</code>
                    </td>
                    <td>{p.arch || <span className="muted">—</span>}</td>
                    <td>
                      {p.sourceName === p.name && p.sourceVersion === p.version ? (
                        <span className="muted">—</span>
                      ) : (
                        <>
                          {p.sourceName} <code className="small">{p.sourceVersion}</code>
                        </>
                      )}
                    </td>
                  </tr>
                ))}
              </tbody>
            </table>
          )}
        </>
      )}
    </div>
  );
}

const MAX_INVENTORY_FILE = 32 * 1024 * 1024;

/** A dpkg status file or CycloneDX SBOM: replaces the packages of the ecosystems it covers, keeps the rest. */
function InventoryUpload({ assetId, release, onDone }: { assetId: string; release: string | null; onDone: () => void }) {
  const [format, setFormat] = useState<'dpkg-status' | 'cyclonedx' | 'spdx'>('dpkg-status');
  const [rel, setRel] = useState(release ?? '');
  const [file, setFile] = useState<File | null>(null);
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<unknown>(null);
  const [result, setResult] = useState<string | null>(null);
  async function submit(e: FormEvent) {
    e.preventDefault();
    if (!file) return;
    setError(null);
    setResult(null);
    if (file.size > MAX_INVENTORY_FILE) {
      setError(new Error(`${file.name} is larger than 32 MiB`));
      return;
    }
    setBusy(true);
    try {
      const r = await api.importInventoryFile(assetId, { format, content: await file.text(), ...(rel ? { release: rel } : {}) });
      const m = r.match ? `; findings: ${r.match.opened} opened, ${r.match.reopened} reopened, ${r.match.resolved} resolved` : '';
      setResult(r.unchanged ? `Unchanged: ${r.packages} packages.` : `Stored ${r.packages} packages (${r.added} added, ${r.removed} removed${r.skipped ? `, ${r.skipped} SBOM components skipped` : ''})${m}.`);
      onDone();
    } catch (err) {
      setError(err);
    } finally {
      setBusy(false);
    }
  }
  return (
    <form className="inline-form" onSubmit={submit} aria-label="Upload an inventory file">
      <Field label="File type">
        {(p) => (
          <select {...p} value={format} onChange={(e) => setFormat(e.target.value as typeof format)}>
            <option value="dpkg-status">dpkg status (/var/lib/dpkg/status)</option>
            <option value="cyclonedx">CycloneDX SBOM (JSON)</option>
            <option value="spdx">SPDX SBOM (JSON or tag-value)</option>
          </select>
        )}
      </Field>
      <Field label="Release" hint="bookworm, 22.04, 9.4 … (kept from the current inventory when empty)">
        {(p) => <input {...p} value={rel} onChange={(e) => setRel(e.target.value)} />}
      </Field>
      <Field label="File">{(p) => <input {...p} type="file" onChange={(e) => setFile(e.target.files?.[0] ?? null)} />}</Field>
      <button type="submit" disabled={!file || busy}>
        {busy ? 'Uploading…' : 'Upload and match'}
      </button>
      <ErrorBanner error={error} />
      {result && (
        <p role="status" className="ok">
          {result}
        </p>
      )}
    </form>
  );
}

const CHANGES_SHOWN = 200;

/** What changed on the host, upload by upload: "openssl:amd64 3.0.15-1 → 3.0.17-1 on …" (INV-2). */
function SoftwareChanges({ assetId, uploads }: { assetId: string; uploads: number }) {
  const h = useLoad(() => api.softwareHistory(assetId), `history-${assetId}-${uploads}`);
  if (h.data !== undefined && h.data.length === 0) return null;
  return (
    <div className="card">
      <h2>Software changes</h2>
      <ErrorBanner error={h.error} />
      {h.loading && h.data === undefined && <Spinner />}
      {h.data && (
        <ul className="software-changes" aria-label="Software changes">
          {h.data.map((e) => (
            <li key={e.at}>
              <span className="muted small">
                {formatTime(e.at)} · {e.by}
                {e.source ? ` · ${e.source}` : ''}
              </span>
              {e.first ? (
                <p>First inventory: {e.packages} packages.</p>
              ) : e.changes.length === 0 ? (
                <p className="muted">No package changed{e.release.from !== e.release.to ? ` (release ${e.release.from} → ${e.release.to})` : ''}.</p>
              ) : (
                <ul>
                  {e.changes.slice(0, CHANGES_SHOWN).map((c) => (
                    <li key={c.package}>
                      {c.package}{' '}
                      {c.from && c.to ? (
                        <>
                          <code>{c.from}</code> → <code>{c.to}</code>
                        </>
                      ) : c.to ? (
                        <>
                          installed <code>{c.to}</code>
                        </>
                      ) : (
                        <>
                          removed (<code>{c.from}</code>)
                        </>
                      )}
                    </li>
                  ))}
                  {e.changes.length > CHANGES_SHOWN && <li className="muted">… and {e.changes.length - CHANGES_SHOWN} more</li>}
                </ul>
              )}
            </li>
          ))}
        </ul>
      )}
    </div>
  );
}

/** A host or image a scanner import found and nobody had registered: confirm it as it is, or edit it. */
function ReviewNotice({ asset, canConfirm, onConfirmed }: { asset: Asset; canConfirm: boolean; onConfirmed: () => void }) {
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<unknown>(null);
  const confirm = async () => {
    setBusy(true);
    setError(null);
    try {
      await api.confirmAssetReview(asset.id);
      onConfirmed();
    } catch (err) {
      setError(err);
    } finally {
      setBusy(false);
    }
  };
  return (
    <div className="card notice" role="note" aria-label="Discovered asset">
      <p>
        A scanner import{asset.discoveredImportId ? <> (<Link to={`/imports/${asset.discoveredImportId}`}>this one</Link>)</> : null} found this
        asset; nobody had registered it. Check its owner, criticality and exposure, then confirm it (editing it confirms it too).
      </p>
      {error ? <ErrorBanner error={error} /> : null}
      {canConfirm && (
        <button type="button" className="primary" onClick={confirm} disabled={busy}>
          Confirm asset
        </button>
      )}
    </div>
  );
}
