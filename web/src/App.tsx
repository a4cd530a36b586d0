/** Boot (set-up / sign-in / signed in), the app shell with navigation, and the routes. */
import { type ReactNode, useCallback, useEffect, useMemo, useState } from 'react';
import { type AuthStatus, type Me, api, errorMessage, setCsrfToken, setUnauthorizedHandler } from './api.js';
import { type Session, SessionContext, Spinner } from './components.js';
import { roleLabel } from './labels.js';
import { AssetDetailPage } from './pages/AssetDetail.js';
import { AssetFormPage } from './pages/AssetForm.js';
import { AssetImportPage } from './pages/AssetImport.js';
import { InventoryImportPage } from './pages/InventoryImport.js';
import { ScanImportDetailPage, ScanImportPage } from './pages/ScanImport.js';
import { AssetListPage } from './pages/AssetList.js';
import { AuditPage } from './pages/Audit.js';
import { DashboardPage } from './pages/Dashboard.js';
import { FeedsPage } from './pages/Feeds.js';
import { EolPage } from './pages/Eol.js';
import { ExceptionDetailPage, ExceptionsPage } from './pages/Exceptions.js';
import { SlaExtensionsPage } from './pages/SlaExtensions.js';
import { AgentsPage } from './pages/Agents.js';
import { FindingDetailPage } from './pages/FindingDetail.js';
import { FindingsPage } from './pages/Findings.js';
import { LoginPage } from './pages/Login.js';
import { NotificationsNavLink, NotificationsPage } from './pages/Notifications.js';
import { PolicyPage } from './pages/Policy.js';
import { SiteAckReminder } from './components/policy/Acknowledgements.js';
import { SettingsPage } from './pages/Settings.js';
import { SetupPage } from './pages/Setup.js';
import { VulnerabilitiesPage } from './pages/Vulnerabilities.js';
import { VulnerabilityDetailPage } from './pages/VulnerabilityDetail.js';
import { Link, match, navigate, useLocation } from './router.js';

type Boot = { state: 'loading' } | { state: 'error'; message: string } | { state: 'setup'; status: AuthStatus } | { state: 'login'; status: AuthStatus } | { state: 'in'; me: Me };

export function App() {
  const [boot, setBoot] = useState<Boot>({ state: 'loading' });

  const start = useCallback(async () => {
    try {
      const status = await api.authStatus();
      if (status.needsSetup) return setBoot({ state: 'setup', status });
      if (!status.signedIn) return setBoot({ state: 'login', status });
      const me = await api.me();
      setCsrfToken(me.csrfToken);
      setBoot({ state: 'in', me });
    } catch (err) {
      setBoot({ state: 'error', message: errorMessage(err) });
    }
  }, []);

  useEffect(() => {
    start();
    setUnauthorizedHandler(() => {
      setCsrfToken(null);
      start();
    });
    return () => setUnauthorizedHandler(null);
  }, [start]);

  const signedIn = (me: Me) => {
    setCsrfToken(me.csrfToken);
    setBoot({ state: 'in', me });
    const path = window.location.pathname;
    if (path === '/login' || path === '/setup') navigate('/', { replace: true });
  };

  switch (boot.state) {
    case 'loading':
      return <Spinner />;
    case 'error':
      return (
        <main className="auth-page">
          <div className="auth-card" role="alert">
            <h1>patchloop</h1>
            <p>{boot.message}</p>
            <button type="button" onClick={start}>
              Try again
            </button>
          </div>
        </main>
      );
    case 'setup':
      return <SetupPage onDone={signedIn} />;
    case 'login':
      return <LoginPage status={boot.status} onDone={signedIn} />;
    case 'in':
      return <Shell me={boot.me} onSignedOut={start} />;
  }
}

interface NavItem {
  to: string;
  label: string;
  active: (path: string) => boolean;
}

const NAV: NavItem[] = [
  { to: '/', label: 'Dashboard', active: (p) => p === '/' },
  { to: '/assets', label: 'Assets', active: (p) => p.startsWith('/assets') },
  { to: '/vulnerabilities', label: 'Vulnerabilities', active: (p) => p.startsWith('/vulnerabilities') },
  { to: '/findings', label: 'Findings', active: (p) => p.startsWith('/findings') },
  { to: '/inventory/import', label: 'Inventory import', active: (p) => p.startsWith('/inventory/import') },
  { to: '/imports', label: 'Import scan', active: (p) => p.startsWith('/imports') },
  { to: '/feeds', label: 'Feeds', active: (p) => p.startsWith('/feeds') },
  { to: '/eol', label: 'End of life', active: (p) => p.startsWith('/eol') },
  { to: '/agents', label: 'Agents', active: (p) => p.startsWith('/agents') },
  { to: '/policy', label: 'Policy', active: (p) => p.startsWith('/policy') },
  { to: '/exceptions', label: 'Exceptions', active: (p) => p.startsWith('/exceptions') || p.startsWith('/sla-extensions') },
  { to: '/audit', label: 'Audit', active: (p) => p.startsWith('/audit') },
  { to: '/settings', label: 'Settings', active: (p) => p.startsWith('/settings') },
];

function Shell({ me, onSignedOut }: { me: Me; onSignedOut: () => void }) {
  const { path } = useLocation();
  const session = useMemo<Session>(
    () => ({
      me,
      can: (perm) => me.principal.permissions.includes(perm),
      signOut: async () => {
        try {
          await api.logout();
        } finally {
          setCsrfToken(null);
          navigate('/login', { replace: true });
          onSignedOut();
        }
      },
    }),
    [me, onSignedOut],
  );
  const nav = NAV.filter((n) => (n.to !== '/audit' || session.can('audit:read')) && (!['/vulnerabilities', '/findings', '/feeds', '/agents', '/policy', '/exceptions'].includes(n.to) || session.can('asset:read')) && (n.to !== '/inventory/import' || session.can('asset:import')) && (n.to !== '/imports' || session.can('asset:import')));

  return (
    <SessionContext.Provider value={session}>
      <a className="skip-link" href="#main">
        Skip to content
      </a>
      <div className="shell">
        <header className="topbar">
          <Link to="/" className="brand">
            patchloop
          </Link>
          <nav aria-label="Main">
            <ul>
              {nav.map((n) => (
                <li key={n.to}>
                  <Link to={n.to} aria-current={n.active(path) ? 'page' : undefined}>
                    {n.label}
                  </Link>
                </li>
              ))}
            </ul>
          </nav>
          <div className="whoami">
            {me.user && <NotificationsNavLink />}
            <span>
              {me.user?.displayName || me.principal.name} <span className="muted">({roleLabel(me.principal.role)})</span>
            </span>
            <button type="button" className="link-button" onClick={session.signOut}>
              Sign out
            </button>
          </div>
        </header>
        <main id="main" tabIndex={-1}>
          <SiteAckReminder />
          <Routes path={path} />
        </main>
      </div>
    </SessionContext.Provider>
  );
}

function Routes({ path }: { path: string }): ReactNode {
  if (path === '/' || path === '/login' || path === '/setup') return <DashboardPage />;
  if (path === '/assets') return <AssetListPage />;
  if (path === '/assets/new') return <AssetFormPage />;
  if (path === '/assets/import') return <AssetImportPage />;
  if (path === '/inventory/import') return <InventoryImportPage />;
  if (path === '/imports') return <ScanImportPage />;
  let m = match('/assets/:id/edit', path);
  if (m?.id) return <AssetFormPage id={m.id} />;
  m = match('/assets/:id', path);
  if (m?.id) return <AssetDetailPage id={m.id} />;
  if (path === '/vulnerabilities') return <VulnerabilitiesPage />;
  m = match('/vulnerabilities/:id', path);
  if (m?.id) return <VulnerabilityDetailPage id={m.id} />;
  if (path === '/findings') return <FindingsPage />;
  m = match('/findings/:id', path);
  if (m?.id) return <FindingDetailPage id={m.id} />;
  m = match('/imports/:id', path);
  if (m?.id) return <ScanImportDetailPage id={m.id} />;
  if (path === '/feeds') return <FeedsPage />;
  if (path === '/eol') return <EolPage />;
  if (path === '/agents') return <AgentsPage />;
  if (path === '/audit') return <AuditPage />;
  if (path === '/exceptions') return <ExceptionsPage />;
  m = match('/exceptions/:id', path);
  if (m?.id) return <ExceptionDetailPage id={m.id} />;
  if (path === '/sla-extensions') return <SlaExtensionsPage />;
  if (path === '/notifications' || path.startsWith('/notifications/')) return <NotificationsPage path={path} />;
  if (path === '/policy' || path.startsWith('/policy/')) return <PolicyPage path={path} />;
  if (path === '/settings' || path.startsWith('/settings/')) return <SettingsPage path={path} />;
  return (
    <section>
      <h1>Page not found</h1>
      <p>
        There is no page at <code>{path}</code>. <Link to="/">Go to the dashboard</Link>.
      </p>
    </section>
  );
}
