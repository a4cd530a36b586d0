/** Sign in with user name and password, or single sign-on when configured. */
import { type FormEvent, useState } from 'react';
import { type AuthStatus, type Me, api } from '../api.js';
import { ErrorBanner } from '../components.js';
import { useLocation, useTitle } from '../router.js';

export function LoginPage({ status, onDone }: { status: AuthStatus; onDone: (me: Me) => void }) {
  useTitle('Sign in');
  const { search } = useLocation();
  const ssoError = search.get('error');
  const [username, setUsername] = useState('');
  const [password, setPassword] = useState('');
  const [error, setError] = useState<unknown>(null);
  const [busy, setBusy] = useState(false);

  const submit = async (e: FormEvent) => {
    e.preventDefault();
    setBusy(true);
    setError(null);
    try {
      onDone(await api.login(username, password));
    } catch (err) {
      setError(err);
      setBusy(false);
    }
  };

  return (
    <main className="auth-page">
      <form className="auth-card" onSubmit={submit} aria-labelledby="login-title">
        <h1 id="login-title">Sign in to patchloop</h1>
        {ssoError && (
          <div className="error-banner" role="alert">
            <p>
              <strong>Single sign-on failed:</strong> {ssoError}
            </p>
          </div>
        )}
        <ErrorBanner error={error} shownFields={['username', 'password']} />
        <div className="field">
          <label htmlFor="login-username">User name</label>
          <input id="login-username" value={username} onChange={(e) => setUsername(e.target.value)} autoComplete="username" required />
        </div>
        <div className="field">
          <label htmlFor="login-password">Password</label>
          <input id="login-password" type="password" value={password} onChange={(e) => setPassword(e.target.value)} autoComplete="current-password" required />
        </div>
        <button type="submit" className="primary" disabled={busy}>
          {busy ? 'Signing in…' : 'Sign in'}
        </button>
        {status.oidc.enabled && (
          <>
            <p className="or">or</p>
            <a className="button" href={api.oidcLoginUrl}>
              Sign in with {status.oidc.label || 'single sign-on'}
            </a>
          </>
        )}
      </form>
    </main>
  );
}
