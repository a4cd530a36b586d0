/** Settings: users, teams, API tokens and the signed-in user's password, as tabs with their own URLs. */
import { useSession } from '../components.js';
import { Link, useTitle } from '../router.js';
import { AccountPage } from './Account.js';
import { TeamsPage } from './Teams.js';
import { TokensPage } from './Tokens.js';
import { UsersPage } from './Users.js';
import { WebhooksPage } from './Webhooks.js';

export function SettingsPage({ path }: { path: string }) {
  useTitle('Settings');
  const { can, me } = useSession();
  const tabs = [
    { to: '/settings/users', label: 'Users', show: can('user:read') },
    { to: '/settings/teams', label: 'Teams', show: can('team:read') },
    { to: '/settings/tokens', label: 'API tokens', show: can('token:own') },
    { to: '/settings/webhooks', label: 'Webhooks', show: can('system:admin') },
    { to: '/settings/account', label: 'My account', show: me.user !== null },
  ].filter((t) => t.show);
  const current = tabs.find((t) => path.startsWith(t.to)) ?? tabs[0];

  return (
    <section>
      <h1>Settings</h1>
      <nav aria-label="Settings" className="tabs">
        <ul>
          {tabs.map((t) => (
            <li key={t.to}>
              <Link to={t.to} aria-current={t === current ? 'page' : undefined}>
                {t.label}
              </Link>
            </li>
          ))}
        </ul>
      </nav>
      {current?.to === '/settings/users' && <UsersPage />}
      {current?.to === '/settings/teams' && <TeamsPage />}
      {current?.to === '/settings/tokens' && <TokensPage />}
      {current?.to === '/settings/account' && <AccountPage />}
      {current?.to === '/settings/webhooks' && <WebhooksPage />}
    </section>
  );
}
