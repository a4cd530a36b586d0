/** Create or edit an asset: labelled fields, enumerations as selects, errors at the fields, If-Match on save. */
import { type FormEvent, useEffect, useState } from 'react';
import { type Asset, type AssetCreate, type AssetUpdate, ApiError, api } from '../api.js';
import { ErrorBanner, Field, Spinner, fieldErrorsOf, useLoad } from '../components.js';
import { CRITICALITIES, ENVIRONMENTS, EXPOSURES, OS_FAMILIES, SYSTEM_TYPES, label } from '../labels.js';
import { Link, navigate, useTitle } from '../router.js';

/** The form's state: everything as the text the user edits. */
interface FormState {
  hostname: string;
  fqdn: string;
  ipAddresses: string;
  osFamily: string;
  osName: string;
  osVersion: string;
  environment: string;
  systemType: string;
  department: string;
  location: string;
  owner: string; // "", "user:<id>" or "team:<id>"
  businessCriticality: string;
  networkExposure: string;
  maintenanceGroup: string;
  tags: string;
  supplier: string;
  description: string;
}

const EMPTY: FormState = {
  hostname: '',
  fqdn: '',
  ipAddresses: '',
  osFamily: '',
  osName: '',
  osVersion: '',
  environment: 'production',
  systemType: 'application_server',
  department: '',
  location: '',
  owner: '',
  businessCriticality: 'medium',
  networkExposure: 'internal',
  maintenanceGroup: '',
  tags: '',
  supplier: '',
  description: '',
};

const FORM_KEYS = new Set<string>([...Object.keys(EMPTY), 'ownerUserId', 'ownerTeamId']);

function fromAsset(a: Asset): FormState {
  return {
    hostname: a.hostname,
    fqdn: a.fqdn ?? '',
    ipAddresses: a.ipAddresses.join(', '),
    osFamily: a.osFamily ?? '',
    osName: a.osName ?? '',
    osVersion: a.osVersion ?? '',
    environment: a.environment,
    systemType: a.systemType,
    department: a.department ?? '',
    location: a.location ?? '',
    owner: a.owner ? `${a.owner.type}:${a.owner.id}` : '',
    businessCriticality: a.businessCriticality,
    networkExposure: a.networkExposure,
    maintenanceGroup: a.maintenanceGroup ?? '',
    tags: a.tags.join(', '),
    supplier: a.supplier ?? '',
    description: a.description ?? '',
  };
}

const orNull = (s: string) => (s.trim() === '' ? null : s.trim());
const list = (s: string, sep: RegExp) =>
  s
    .split(sep)
    .map((x) => x.trim())
    .filter(Boolean);

/** The API body for the form (the server validates; enumerations are only offered as valid codes). */
function toBody(f: FormState): AssetCreate {
  const [kind, ownerId] = f.owner.split(':');
  return {
    hostname: f.hostname.trim(),
    fqdn: orNull(f.fqdn),
    ipAddresses: list(f.ipAddresses, /[\s,;]+/),
    osFamily: (orNull(f.osFamily) as AssetCreate['osFamily']) ?? null,
    osName: orNull(f.osName),
    osVersion: orNull(f.osVersion),
    environment: f.environment as AssetCreate['environment'],
    systemType: f.systemType as AssetCreate['systemType'],
    department: orNull(f.department),
    location: orNull(f.location),
    ownerUserId: kind === 'user' && ownerId ? ownerId : null,
    ownerTeamId: kind === 'team' && ownerId ? ownerId : null,
    businessCriticality: f.businessCriticality as AssetCreate['businessCriticality'],
    networkExposure: f.networkExposure as AssetCreate['networkExposure'],
    maintenanceGroup: orNull(f.maintenanceGroup),
    tags: list(f.tags, /[,;]/),
    supplier: orNull(f.supplier),
    description: f.description.trim() === '' ? null : f.description,
  };
}

/** Only the fields that changed, so the audit record and the If-Match check are about this edit. */
function changed(before: AssetCreate, after: AssetCreate): AssetUpdate {
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(after)) {
    if (JSON.stringify(v) !== JSON.stringify((before as Record<string, unknown>)[k])) out[k] = v;
  }
  return out as AssetUpdate;
}

/** Field errors by top-level form field ("ipAddresses.1" → ipAddresses, owner ids → owner). */
function errorsByField(error: unknown): Record<string, string[]> {
  const out: Record<string, string[]> = {};
  for (const [f, msgs] of Object.entries(fieldErrorsOf(error))) {
    let key = f.split('.')[0] ?? f;
    if (key === 'ownerUserId' || key === 'ownerTeamId') key = 'owner';
    out[key] = [...(out[key] ?? []), ...msgs.map((m) => (f.includes('.') ? `${f.split('.').slice(1).join('.')}: ${m}` : m))];
  }
  return out;
}

export function AssetFormPage({ id }: { id?: string }) {
  useTitle(id ? 'Edit asset' : 'New asset');
  const existing = useLoad(() => (id ? api.getAsset(id) : Promise.resolve(null)), id ?? 'new');
  const users = useLoad(() => api.listUsers(), 'users');
  const teams = useLoad(() => api.listTeams(), 'teams');
  const facets = useLoad(() => api.assetFacets(), 'facets');
  const [form, setForm] = useState<FormState>(EMPTY);
  const [error, setError] = useState<unknown>(null);
  const [busy, setBusy] = useState(false);

  useEffect(() => {
    if (existing.data) setForm(fromAsset(existing.data));
  }, [existing.data]);

  if (existing.error) return <ErrorBanner error={existing.error} />;
  if (id && !existing.data) return <Spinner />;
  const original = existing.data ?? null;

  const set = (k: keyof FormState) => (e: { target: { value: string } }) => setForm((f) => ({ ...f, [k]: e.target.value }));
  const fe = errorsByField(error);

  const submit = async (e: FormEvent) => {
    e.preventDefault();
    setBusy(true);
    setError(null);
    try {
      let saved: Asset;
      if (original) {
        const patch = changed(toBody(fromAsset(original)), toBody(form));
        saved = Object.keys(patch).length ? await api.updateAsset(original.id, patch, original.version) : original;
      } else {
        saved = await api.createAsset(toBody(form));
      }
      navigate(`/assets/${saved.id}`);
    } catch (err) {
      setError(err);
      setBusy(false);
      window.scrollTo(0, 0);
    }
  };

  const text = (k: keyof FormState, title: string, opts: { required?: boolean; hint?: string; list?: string; maxLength?: number } = {}) => (
    <Field label={title} error={fe[k]} hint={opts.hint}>
      {(p) => <input {...p} name={k} value={form[k]} onChange={set(k)} required={opts.required} list={opts.list} maxLength={opts.maxLength} />}
    </Field>
  );
  const select = (k: keyof FormState, title: string, values: readonly string[], blank?: string) => (
    <Field label={title} error={fe[k]}>
      {(p) => (
        <select {...p} name={k} value={form[k]} onChange={set(k)}>
          {blank !== undefined && <option value="">{blank}</option>}
          {values.map((v) => (
            <option key={v} value={v}>
              {label(v)}
            </option>
          ))}
        </select>
      )}
    </Field>
  );
  const conflict = error instanceof ApiError && (error.status === 409 || error.status === 412);

  return (
    <section>
      <p className="breadcrumb">
        <Link to="/assets">Assets</Link> /{' '}
        {original && (
          <>
            <Link to={`/assets/${original.id}`}>{original.hostname}</Link> /
          </>
        )}
      </p>
      <h1>{original ? `Edit ${original.hostname}` : 'New asset'}</h1>
      <ErrorBanner error={error} shownFields={Object.keys(fieldErrorsOf(error)).filter((f) => FORM_KEYS.has(f.split('.')[0] ?? ''))} />
      {conflict && original && (
        <p>
          <button type="button" onClick={() => existing.reload()}>
            Reload the current version
          </button>{' '}
          (your edits here will be replaced)
        </p>
      )}
      <form className="asset-form" onSubmit={submit} noValidate>
        <fieldset>
          <legend>Identity</legend>
          {text('hostname', 'Host name', { required: true, maxLength: 253 })}
          {text('fqdn', 'FQDN', { maxLength: 253 })}
          {text('ipAddresses', 'IP addresses', { hint: 'Separate with commas or spaces.' })}
          {select('osFamily', 'OS family', OS_FAMILIES, '— not set —')}
          {text('osName', 'OS name', { maxLength: 128 })}
          {text('osVersion', 'OS version', { maxLength: 64 })}
        </fieldset>
        <fieldset>
          <legend>Context</legend>
          {select('environment', 'Environment', ENVIRONMENTS)}
          {select('systemType', 'System type', SYSTEM_TYPES)}
          {select('businessCriticality', 'Business criticality', CRITICALITIES)}
          {select('networkExposure', 'Network exposure', EXPOSURES)}
          {text('department', 'Department', { list: 'dl-departments', maxLength: 128 })}
          {text('location', 'Location', { list: 'dl-locations', maxLength: 128 })}
          {text('maintenanceGroup', 'Maintenance group', { list: 'dl-maintenance', maxLength: 128 })}
          {text('supplier', 'Supplier', { hint: 'For supplier-managed systems.', maxLength: 200 })}
        </fieldset>
        <fieldset>
          <legend>Ownership and notes</legend>
          <Field label="Owner" error={fe.owner} hint="The accountable user or team. Unowned assets are flagged.">
            {(p) => (
              <select {...p} name="owner" value={form.owner} onChange={set('owner')}>
                <option value="">— unowned —</option>
                <optgroup label="Teams">
                  {(teams.data ?? []).map((t) => (
                    <option key={t.id} value={`team:${t.id}`}>
                      {t.name}
                    </option>
                  ))}
                </optgroup>
                <optgroup label="Users">
                  {(users.data ?? [])
                    .filter((u) => !u.disabled || form.owner === `user:${u.id}`)
                    .map((u) => (
                      <option key={u.id} value={`user:${u.id}`}>
                        {u.displayName && u.displayName !== u.username ? `${u.displayName} (${u.username})` : u.username}
                      </option>
                    ))}
                </optgroup>
              </select>
            )}
          </Field>
          {text('tags', 'Tags', { hint: 'Separate with commas.' })}
          <Field label="Description" error={fe.description}>
            {(p) => <textarea {...p} name="description" rows={5} value={form.description} onChange={set('description')} maxLength={4000} />}
          </Field>
        </fieldset>
        <datalist id="dl-departments">
          {(facets.data?.departments ?? []).map((v) => (
            <option key={v} value={v} />
          ))}
        </datalist>
        <datalist id="dl-locations">
          {(facets.data?.locations ?? []).map((v) => (
            <option key={v} value={v} />
          ))}
        </datalist>
        <datalist id="dl-maintenance">
          {(facets.data?.maintenanceGroups ?? []).map((v) => (
            <option key={v} value={v} />
          ))}
        </datalist>
        <div className="form-actions">
          <button type="submit" className="primary" disabled={busy}>
            {busy ? 'Saving…' : original ? 'Save changes' : 'Create asset'}
          </button>
          <Link className="button" to={original ? `/assets/${original.id}` : '/assets'}>
            Cancel
          </Link>
          {original && <span className="muted small">Saving version {original.version}; if someone else changed it meanwhile, you will be told.</span>}
        </div>
      </form>
    </section>
  );
}
