/** The signed-in user's own account: profile summary and password change. */
import { type FormEvent, useState } from 'react';
import { api } from '../api.js';
import { ErrorBanner, Field, fieldErrorsOf, useSession } from '../components.js';
import { roleLabel } from '../labels.js';

export function AccountPage() {
  const { me } = useSession();
  const [current, setCurrent] = useState('');
  const [next, setNext] = useState('');
  const [error, setError] = useState<unknown>(null);
  const [done, setDone] = useState(false);
  const [busy, setBusy] = useState(false);
  const fe = fieldErrorsOf(error);

  const submit = async (e: FormEvent) => {
    e.preventDefault();
    setBusy(true);
    setError(null);
    setDone(false);
    try {
      await api.changePassword(current, next);
      setDone(true);
      setCurrent('');
      setNext('');
    } catch (err) {
      setError(err);
    } finally {
      setBusy(false);
    }
  };

  return (
    <div className="card narrow">
      <h2>My account</h2>
      <dl className="props">
        <dt>User name</dt>
        <dd>{me.user?.username}</dd>
        <dt>Role</dt>
        <dd>{roleLabel(me.principal.role)}</dd>
        <dt>Teams</dt>
        <dd>{me.user?.teams.map((t) => t.name).join(', ') || '—'}</dd>
      </dl>
      {me.user?.sso ? (
        <p className="muted">You sign in through single sign-on; your password is managed there.</p>
      ) : (
        <form onSubmit={submit}>
          <h3>Change password</h3>
          <ErrorBanner error={error} shownFields={['currentPassword', 'newPassword']} />
          {done && (
            <p className="notice notice-ok" role="status">
              Password changed. Your other sessions were signed out.
            </p>
          )}
          <Field label="Current password" error={fe.currentPassword}>
            {(p) => <input {...p} type="password" autoComplete="current-password" value={current} onChange={(e) => setCurrent(e.target.value)} required />}
          </Field>
          <Field label="New password" error={fe.newPassword} hint="At least 12 characters.">
            {(p) => <input {...p} type="password" autoComplete="new-password" minLength={12} value={next} onChange={(e) => setNext(e.target.value)} required />}
          </Field>
          <button type="submit" className="primary" disabled={busy}>
            Change password
          </button>
        </form>
      )}
    </div>
  );
}
