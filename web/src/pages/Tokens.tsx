/** API tokens: create with scopes and expiry (the secret is shown once), list and revoke. */
import { type FormEvent, useState } from 'react';
import { type ApiToken, type Permission, api } from '../api.js';
import { Badge, CopyButton, ErrorBanner, Field, Spinner, fieldErrorsOf, useLoad, useSession } from '../components.js';
import { PERMISSIONS, PERMISSION_LABELS, formatTime } from '../labels.js';

const EXPIRY = [
  { value: '30', label: '30 days' },
  { value: '90', label: '90 days' },
  { value: '365', label: '1 year' },
  { value: 'never', label: 'Never (not recommended)' },
];

function status(t: ApiToken): { kind: 'ok' | 'muted' | 'danger'; text: string } {
  if (t.revokedAt) return { kind: 'danger', text: 'Revoked' };
  if (t.expiresAt && new Date(t.expiresAt) < new Date()) return { kind: 'muted', text: 'Expired' };
  return { kind: 'ok', text: 'Active' };
}

export function TokensPage() {
  const { me } = useSession();
  const tokens = useLoad(() => api.listTokens(), 'tokens');
  const [secret, setSecret] = useState<{ token: string; name: string } | null>(null);
  const [revokeError, setRevokeError] = useState<unknown>(null);
  const mine = me.principal.permissions.filter((p) => p !== 'token:own');

  const revoke = async (t: ApiToken) => {
    if (!window.confirm(`Revoke the token "${t.name}"? Programs using it stop working at once.`)) return;
    setRevokeError(null);
    try {
      const r = await api.revokeToken(t.id);
      tokens.set((tokens.data ?? []).map((x) => (x.id === r.id ? r : x)));
    } catch (err) {
      setRevokeError(err);
    }
  };

  return (
    <div>
      <h2>API tokens</h2>
      <p className="muted">Tokens let scripts and other systems use the API as you, limited to the scopes you choose. Send them as <code>Authorization: Bearer …</code>.</p>
      {secret && (
        <div className="card secret" role="status">
          <h3>Token "{secret.name}" created</h3>
          <p>
            <strong>Copy it now: it will not be shown again.</strong>
          </p>
          <div className="inline">
            <label htmlFor="new-token" className="visually-hidden">
              New token secret
            </label>
            <input id="new-token" className="mono" readOnly value={secret.token} onFocus={(e) => e.target.select()} size={60} />
            <CopyButton text={secret.token} />
            <button type="button" onClick={() => setSecret(null)}>
              Done
            </button>
          </div>
        </div>
      )}
      <CreateToken
        scopes={mine}
        onCreated={(token, info) => {
          setSecret({ token, name: info.name });
          tokens.set([info, ...(tokens.data ?? [])]);
        }}
      />
      <ErrorBanner error={tokens.error ?? revokeError} />
      {!tokens.data && tokens.loading && <Spinner />}
      {tokens.data && (
        <div className="table-wrap">
          <table className="data">
            <thead>
              <tr>
                <th scope="col">Name</th>
                <th scope="col">Starts with</th>
                <th scope="col">Owner</th>
                <th scope="col">Scopes</th>
                <th scope="col">Created</th>
                <th scope="col">Expires</th>
                <th scope="col">Last used</th>
                <th scope="col">Status</th>
              </tr>
            </thead>
            <tbody>
              {tokens.data.map((t) => {
                const s = status(t);
                return (
                  <tr key={t.id} className={s.kind !== 'ok' ? 'row-muted' : undefined}>
                    <td>{t.name}</td>
                    <td>
                      <code>{t.prefix}…</code>
                    </td>
                    <td>{t.username}</td>
                    <td className="small">{t.scopes.join(', ')}</td>
                    <td className="nowrap">{formatTime(t.createdAt)}</td>
                    <td className="nowrap">{t.expiresAt ? formatTime(t.expiresAt) : 'never'}</td>
                    <td className="nowrap">{formatTime(t.lastUsedAt) || <span className="muted">never</span>}</td>
                    <td>
                      <Badge kind={s.kind}>{s.text}</Badge>{' '}
                      {s.text === 'Active' && (
                        <button type="button" className="danger" onClick={() => revoke(t)}>
                          Revoke<span className="visually-hidden"> {t.name}</span>
                        </button>
                      )}
                    </td>
                  </tr>
                );
              })}
              {tokens.data.length === 0 && (
                <tr>
                  <td colSpan={8} className="empty">
                    No tokens yet.
                  </td>
                </tr>
              )}
            </tbody>
          </table>
        </div>
      )}
    </div>
  );
}

function CreateToken({ scopes, onCreated }: { scopes: Permission[]; onCreated: (token: string, info: ApiToken) => void }) {
  const [name, setName] = useState('');
  const [chosen, setChosen] = useState<Set<Permission>>(new Set(scopes.filter((s) => s.endsWith(':read'))));
  const [expiry, setExpiry] = useState('90');
  const [error, setError] = useState<unknown>(null);
  const [busy, setBusy] = useState(false);
  const fe = fieldErrorsOf(error);

  const toggle = (p: Permission) =>
    setChosen((s) => {
      const n = new Set(s);
      if (n.has(p)) n.delete(p);
      else n.add(p);
      return n;
    });

  const submit = async (e: FormEvent) => {
    e.preventDefault();
    setBusy(true);
    setError(null);
    try {
      const r = await api.createToken({
        name: name.trim(),
        scopes: PERMISSIONS.filter((p) => chosen.has(p)),
        expiresInDays: expiry === 'never' ? null : Number(expiry),
      });
      onCreated(r.token, r.info);
      setName('');
    } catch (err) {
      setError(err);
    } finally {
      setBusy(false);
    }
  };

  return (
    <form className="card form-grid" onSubmit={submit} aria-label="New API token">
      <h3 className="span-all">New token</h3>
      <div className="span-all">
        <ErrorBanner error={error} shownFields={['name', 'scopes', 'expiresInDays']} />
      </div>
      <Field label="Token name" error={fe.name} hint="What uses it, e.g. “CMDB sync”.">
        {(p) => <input {...p} value={name} onChange={(e) => setName(e.target.value)} required maxLength={100} />}
      </Field>
      <Field label="Expires after" error={fe.expiresInDays}>
        {(p) => (
          <select {...p} value={expiry} onChange={(e) => setExpiry(e.target.value)}>
            {EXPIRY.map((x) => (
              <option key={x.value} value={x.value}>
                {x.label}
              </option>
            ))}
          </select>
        )}
      </Field>
      <fieldset className="span-all checkbox-list">
        <legend>Scopes (limited to what your role allows)</legend>
        {scopes.map((p) => (
          <label key={p} className="checkbox">
            <input type="checkbox" checked={chosen.has(p)} onChange={() => toggle(p)} />
            {PERMISSION_LABELS[p]} <code className="muted small">{p}</code>
          </label>
        ))}
        {fe.scopes && <span className="field-error">{fe.scopes.join('; ')}</span>}
      </fieldset>
      <div className="form-actions span-all">
        <button type="submit" className="primary" disabled={busy}>
          Create token
        </button>
      </div>
    </form>
  );
}
