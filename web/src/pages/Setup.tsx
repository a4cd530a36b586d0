/** First visit: create the first administrator with the one-time code from the server log. */
import { type FormEvent, useState } from 'react';
import { type Me, api } from '../api.js';
import { ErrorBanner, Field, fieldErrorsOf } from '../components.js';
import { useTitle } from '../router.js';

export function SetupPage({ onDone }: { onDone: (me: Me) => void }) {
  useTitle('Set up');
  const [code, setCode] = useState('');
  const [username, setUsername] = useState('admin');
  const [password, setPassword] = useState('');
  const [confirm, setConfirm] = useState('');
  const [error, setError] = useState<unknown>(null);
  const [mismatch, setMismatch] = useState(false);
  const [busy, setBusy] = useState(false);

  const submit = async (e: FormEvent) => {
    e.preventDefault();
    setMismatch(password !== confirm);
    if (password !== confirm) return;
    setBusy(true);
    setError(null);
    try {
      onDone(await api.setup({ code, username, password }));
    } catch (err) {
      setError(err);
    } finally {
      setBusy(false);
    }
  };
  const fe = fieldErrorsOf(error);

  return (
    <main className="auth-page">
      <form className="auth-card" onSubmit={submit} aria-labelledby="setup-title">
        <h1 id="setup-title">Welcome to patchloop</h1>
        <p>
          No account exists yet. Create the first administrator with the one-time set-up code that the server printed in its log (or run{' '}
          <code>patchloop admin create</code> on the server).
        </p>
        <ErrorBanner error={error} shownFields={['code', 'username', 'password']} />
        <Field label="Set-up code" error={fe.code}>
          {(p) => <input {...p} value={code} onChange={(e) => setCode(e.target.value)} autoComplete="one-time-code" required />}
        </Field>
        <Field label="Administrator user name" error={fe.username}>
          {(p) => <input {...p} value={username} onChange={(e) => setUsername(e.target.value)} autoComplete="username" required />}
        </Field>
        <Field label="Password" error={fe.password} hint="At least 12 characters.">
          {(p) => <input {...p} type="password" value={password} onChange={(e) => setPassword(e.target.value)} autoComplete="new-password" minLength={12} required />}
        </Field>
        <Field label="Repeat password" error={mismatch ? ['does not match the password'] : undefined}>
          {(p) => <input {...p} type="password" value={confirm} onChange={(e) => setConfirm(e.target.value)} autoComplete="new-password" required />}
        </Field>
        <button type="submit" className="primary" disabled={busy}>
          {busy ? 'Creating…' : 'Create administrator'}
        </button>
      </form>
    </main>
  );
}
