/**
 * Agentless collection over SSH on the asset page: where to connect and as
 * whom (the credential is sent once and shown only as "stored"), the pinned
 * host keys, the last collection, and the actions: collect now, edit,
 * remove, and, for administrators, reading the host's key to check its
 * fingerprint and pin it (trust on first use, made an explicit step).
 */
import { type FormEvent, useId, useState } from 'react';
import { ApiError, type ScannedHostKey, type SshCollect, type SshTarget, type SshTargetInput, sshApi } from '../../api.js';
import { Badge, ErrorBanner, Field, fieldErrorsOf, Spinner, useLoad, useSession } from '../../components.js';
import { formatTime } from '../../labels.js';

type Loaded = SshTarget | null;

const pinText = (k: SshTarget['hostKeys'][number]) => (k.key ? `${k.type} ${k.key}` : k.fingerprint);

/** The PUT body that keeps everything of `t` (the stored credential too) but what `change` says. */
function keep(t: SshTarget, change: Partial<SshTargetInput>): SshTargetInput {
  return { host: t.host, port: t.port, user: t.user, root: t.root, auth: { method: t.auth.method }, hostKeys: t.hostKeys.map(pinText), ...change };
}

export function SshPanel({ assetId, onCollected }: { assetId: string; onCollected?: () => void }) {
  const { can } = useSession();
  const canWrite = can('asset:write') || can('asset:write_own');
  const headingId = useId();
  const target = useLoad<Loaded>(() => sshApi.get(assetId).catch((e) => (e instanceof ApiError && e.status === 404 && /SSH target/.test(e.problem.detail) ? null : Promise.reject(e))), `ssh-${assetId}`);
  const [editing, setEditing] = useState(false);
  const [busy, setBusy] = useState<'collect' | 'scan' | 'remove' | null>(null);
  const [error, setError] = useState<unknown>(null);
  const [outcome, setOutcome] = useState<SshCollect | null>(null);
  const [scanned, setScanned] = useState<ScannedHostKey[] | null>(null);
  const t = target.data;

  async function act<T>(what: 'collect' | 'scan' | 'remove', fn: () => Promise<T>): Promise<T | undefined> {
    setBusy(what);
    setError(null);
    try {
      return await fn();
    } catch (e) {
      setError(e);
      return undefined;
    } finally {
      setBusy(null);
    }
  }

  const collect = () =>
    act('collect', async () => {
      setOutcome(null);
      const r = await sshApi.collect(assetId);
      setOutcome(r);
      target.reload();
      if (r.status === 'succeeded') onCollected?.();
    });
  const scan = (x: SshTarget) => act('scan', async () => setScanned((await sshApi.scanHostKeys(x.host, x.port)).keys));
  const pin = (x: SshTarget, key: ScannedHostKey) =>
    act('scan', async () => {
      target.set(await sshApi.put(assetId, keep(x, { hostKeys: [...x.hostKeys.map(pinText), key.line] })));
      setScanned(null);
    });
  const remove = () =>
    act('remove', async () => {
      if (!window.confirm('Remove the SSH target and its stored credential?')) return;
      await sshApi.remove(assetId);
      target.set(null);
      setOutcome(null);
    });

  return (
    <section className="card ssh-panel" aria-labelledby={headingId} aria-busy={busy !== null}>
      <h2 id={headingId}>Agentless collection (SSH)</h2>
      <ErrorBanner error={target.error ?? error} />
      {target.loading && t === undefined && <Spinner />}
      {t === null && !editing && (
        <>
          <p className="muted">No SSH target: this asset is inventoried by an agent or by uploads. For a host where no agent may run, patchloop can log in over SSH and read its package database.</p>
          {canWrite && (
            <button type="button" onClick={() => setEditing(true)}>
              Set up SSH collection
            </button>
          )}
        </>
      )}
      {editing && t !== undefined && (
        <SshForm
          assetId={assetId}
          current={t}
          onDone={(saved) => {
            if (saved) target.set(saved);
            setEditing(false);
          }}
        />
      )}
      {t && !editing && (
        <>
          <dl className="props">
            <dt>Target</dt>
            <dd>
              <code>
                {t.user}@{t.host}:{t.port}
              </code>
              {t.root !== '/' && (
                <>
                  {' '}
                  root <code>{t.root}</code>
                </>
              )}
            </dd>
            <dt>Credential</dt>
            <dd>
              {t.auth.method === 'key' ? `Private key ${t.auth.keyFingerprint ?? ''}${t.auth.passphrase ? ' (with passphrase)' : ''}` : 'Password'}, stored encrypted
            </dd>
            <dt>Pinned host keys</dt>
            <dd>
              {t.hostKeys.length === 0 ? (
                <Badge kind="warn">None: collection is refused until a host key is pinned</Badge>
              ) : (
                <ul style={{ margin: 0, paddingLeft: "1.1rem" }} aria-label="Pinned host keys">
                  {t.hostKeys.map((k) => (
                    <li key={k.fingerprint}>
                      {k.type ?? 'fingerprint'} <code>{k.fingerprint}</code>
                    </li>
                  ))}
                </ul>
              )}
            </dd>
            <dt>Last collection</dt>
            <dd>
              <LastCollection t={t} errorShown={outcome?.status === 'failed' ? outcome.error : null} />
            </dd>
          </dl>
          {outcome && (
            <p role="status" className={outcome.status === 'succeeded' ? 'ok' : 'field-error'}>
              {outcome.status === 'succeeded' && outcome.result ? `Collected ${outcome.result.packages} packages: ${outcome.result.unchanged ? 'unchanged' : `${outcome.result.added} added, ${outcome.result.removed} removed`}.` : `Collection failed: ${outcome.error}`}
              {outcome.status === 'succeeded' && (
                <>
                  {' '}
                  {/* The installed-software list above keeps what it loaded; a reload shows the new inventory everywhere on the page. */}
                  <button type="button" onClick={() => window.location.reload()}>
                    Reload the page
                  </button>
                </>
              )}
            </p>
          )}
          {scanned && (
            <section className="ssh-scan" aria-label="Host keys offered">
              {scanned.length === 0 ? (
                <p className="muted">No host key received: the host is not reachable on this port, or it is not an SSH server.</p>
              ) : (
                <>
                  <p className="small">
                    The host offers these keys. Compare a fingerprint with the one on the host's console (<code>ssh-keygen -lf /etc/ssh/ssh_host_ed25519_key.pub</code>) before pinning it.
                  </p>
                  <ul style={{ margin: 0, paddingLeft: "1.1rem" }}>
                    {scanned.map((k) => (
                      <li key={k.fingerprint}>
                        {k.type} <code>{k.fingerprint}</code>{' '}
                        {t.hostKeys.some((p) => p.fingerprint === k.fingerprint) ? (
                          <Badge kind="ok">Pinned</Badge>
                        ) : (
                          canWrite && (
                            <button type="button" disabled={busy !== null} onClick={() => pin(t, k)} aria-label={`Pin ${k.type} key ${k.fingerprint}`}>
                              Pin
                            </button>
                          )
                        )}
                      </li>
                    ))}
                  </ul>
                </>
              )}
            </section>
          )}
          {canWrite && (
            <div className="actions">
              <button type="button" className="primary" disabled={busy !== null} onClick={collect}>
                {busy === 'collect' ? 'Collecting…' : 'Collect now'}
              </button>
              {can('system:admin') && (
                <button type="button" disabled={busy !== null} onClick={() => scan(t)}>
                  {busy === 'scan' ? 'Reading host key…' : 'Scan host key'}
                </button>
              )}
              <button type="button" disabled={busy !== null} onClick={() => setEditing(true)}>
                Edit
              </button>
              <button type="button" className="danger" disabled={busy !== null} onClick={remove}>
                Remove
              </button>
            </div>
          )}
        </>
      )}
    </section>
  );
}

/** `errorShown`: the error the status line below already says, not repeated here. */
function LastCollection({ t, errorShown }: { t: SshTarget; errorShown: string | null }) {
  const c = t.lastCollection;
  if (!c) return <span className="muted">Never</span>;
  const r = c.result;
  return (
    <div className="ssh-last">
      {c.status === 'succeeded' ? <Badge kind="ok">Succeeded</Badge> : <Badge kind="danger">Failed</Badge>} {formatTime(c.at)}
      {c.error && c.error !== errorShown && (
        <p className="field-error">
          {c.errorKind}: {c.error}
        </p>
      )}
      {r && (
        <p className="small muted">
          {c.status === 'failed' ? `Last success ${formatTime(c.lastSuccessAt)}: ` : ''}
          {r.packages} {r.database} packages from {r.hostname ?? 'the host'} ({r.os ?? 'unknown OS'}
          {r.kernel ? `, kernel ${r.kernel}` : ''}){r.findings ? `; findings ${r.findings.opened} opened, ${r.findings.resolved} resolved` : ''}; host key {r.hostKey}; {r.durationMs} ms
        </p>
      )}
    </div>
  );
}

function SshForm({ assetId, current, onDone }: { assetId: string; current: SshTarget | null; onDone: (saved: SshTarget | null) => void }) {
  const [host, setHost] = useState(current?.host ?? '');
  const [port, setPort] = useState(String(current?.port ?? 22));
  const [user, setUser] = useState(current?.user ?? '');
  const [root, setRoot] = useState(current?.root ?? '/');
  const [method, setMethod] = useState<'key' | 'password'>(current?.auth.method ?? 'key');
  const [privateKey, setPrivateKey] = useState('');
  const [passphrase, setPassphrase] = useState('');
  const [password, setPassword] = useState('');
  const [hostKeys, setHostKeys] = useState(current ? current.hostKeys.map(pinText).join('\n') : '');
  const [error, setError] = useState<unknown>(null);
  const [busy, setBusy] = useState(false);
  const fe = fieldErrorsOf(error);
  const keyErrors = Object.entries(fe)
    .filter(([f]) => f.startsWith('hostKeys'))
    .map(([f, m]) => `line ${Number(f.split('.')[1] ?? 0) + 1}: ${m.join('; ')}`);
  const keeps = current?.auth.method === method;

  async function submit(e: FormEvent) {
    e.preventDefault();
    setBusy(true);
    setError(null);
    const auth: SshTargetInput['auth'] =
      method === 'key' ? { method, ...(privateKey.trim() ? { privateKey, ...(passphrase ? { passphrase } : {}) } : {}) } : { method, ...(password ? { password } : {}) };
    try {
      onDone(await sshApi.put(assetId, { host: host.trim(), port: Number(port), user: user.trim(), root: root.trim() || '/', auth, hostKeys: hostKeys.split('\n').map((l) => l.trim()).filter(Boolean) }));
    } catch (err) {
      setError(err);
    } finally {
      setBusy(false);
    }
  }

  return (
    <form className="ssh-form" onSubmit={submit} aria-label="SSH target">
      <ErrorBanner error={error} shownFields={Object.keys(fe)} />
      <div className="form-grid">
        <Field label="Host" error={fe.host} hint="Host name or IP address">
          {(p) => <input {...p} value={host} onChange={(e) => setHost(e.target.value)} required autoComplete="off" />}
        </Field>
        <Field label="Port" error={fe.port}>
          {(p) => <input {...p} type="number" min={1} max={65535} value={port} onChange={(e) => setPort(e.target.value)} required />}
        </Field>
        <Field label="User" error={fe.user} hint="Needs read access to the package database">
          {(p) => <input {...p} value={user} onChange={(e) => setUser(e.target.value)} required autoComplete="off" />}
        </Field>
        <Field label="Directory to inventory" error={fe.root} hint="/ for the host itself, or a chroot or mounted image on it">
          {(p) => <input {...p} value={root} onChange={(e) => setRoot(e.target.value)} />}
        </Field>
      </div>
      <Field label="Authentication">
        {(p) => (
          <select {...p} value={method} onChange={(e) => setMethod(e.target.value as 'key' | 'password')}>
            <option value="key">Private key</option>
            <option value="password">Password</option>
          </select>
        )}
      </Field>
      {method === 'key' ? (
        <>
          <Field label="Private key" error={fe['auth.privateKey']} hint={keeps ? 'Leave empty to keep the stored key' : 'OpenSSH or PEM; stored encrypted, never shown again'}>
            {(p) => <textarea {...p} rows={4} value={privateKey} onChange={(e) => setPrivateKey(e.target.value)} placeholder="-----BEGIN OPENSSH PRIVATE KEY-----" spellCheck={false} autoComplete="off" />}
          </Field>
          <Field label="Key passphrase" error={fe['auth.passphrase']} hint="Only if the key has one">
            {(p) => <input {...p} type="password" value={passphrase} onChange={(e) => setPassphrase(e.target.value)} autoComplete="new-password" />}
          </Field>
        </>
      ) : (
        <Field label="Password" error={fe['auth.password']} hint={keeps ? 'Leave empty to keep the stored password' : 'Stored encrypted, never shown again'}>
          {(p) => <input {...p} type="password" value={password} onChange={(e) => setPassword(e.target.value)} autoComplete="new-password" />}
        </Field>
      )}
      <Field label="Pinned host keys" error={keyErrors.length ? keyErrors : undefined} hint='One per line: "ssh-ed25519 AAAA…" (from ssh-keyscan or known_hosts) or a SHA256:… fingerprint. Collection refuses any other key.'>
        {(p) => <textarea {...p} rows={3} value={hostKeys} onChange={(e) => setHostKeys(e.target.value)} spellCheck={false} />}
      </Field>
      <div className="actions">
        <button type="submit" className="primary" disabled={busy}>
          {busy ? 'Saving…' : 'Save SSH target'}
        </button>
        <button type="button" onClick={() => onDone(null)}>
          Cancel
        </button>
      </div>
    </form>
  );
}
