/** Your notifications (escalations, raised priorities) with read state, the escalation log, and the unread count in the navigation. */
import { type FormEvent, useEffect, useState } from 'react';
import { type Escalation, type EscalationRunResult, type Notification, notificationsApi } from '../api.js';
import { Badge, ErrorBanner, Spinner, useLoad, useSession } from '../components.js';
import { formatTime } from '../labels.js';
import { Link, useLocation, useTitle } from '../router.js';

/** Told whenever read state changes here, so the navigation's count follows at once. */
const CHANGED = 'patchloop:notifications-changed';
const changed = () => window.dispatchEvent(new Event(CHANGED));

export function NotificationsNavLink() {
  const { path } = useLocation();
  const [unread, setUnread] = useState<number | null>(null);
  // biome-ignore lint/correctness/useExhaustiveDependencies: path is the trigger (recount on navigation)
  useEffect(() => {
    let live = true;
    const load = () =>
      notificationsApi.list({ unread: 'true', limit: '1' }).then(
        (p) => live && setUnread(p.unread),
        () => live && setUnread(null),
      );
    load();
    const timer = window.setInterval(load, 60_000);
    window.addEventListener(CHANGED, load);
    return () => {
      live = false;
      window.clearInterval(timer);
      window.removeEventListener(CHANGED, load);
    };
  }, [path]);
  return (
    <Link
      to="/notifications"
      aria-current={path.startsWith('/notifications') ? 'page' : undefined}
      style={{ color: path.startsWith('/notifications') ? '#fff' : '#c9d2df', textDecoration: 'none', whiteSpace: 'nowrap', fontWeight: path.startsWith('/notifications') ? 600 : undefined }}
    >
      Notifications
      {unread ? (
        <>
          {' '}
          <span className="badge badge-danger">
            {unread}
            <span className="visually-hidden"> unread</span>
          </span>
        </>
      ) : null}
    </Link>
  );
}

export function NotificationsPage({ path }: { path: string }) {
  useTitle('Notifications');
  const { can } = useSession();
  const tabs = [
    { to: '/notifications', label: 'My notifications', show: true },
    { to: '/notifications/escalations', label: 'Escalation log', show: can('asset:read') },
  ].filter((t) => t.show);
  const current = path.startsWith('/notifications/escalations') && can('asset:read') ? tabs[1] : tabs[0];
  return (
    <section>
      <h1>Notifications</h1>
      <nav aria-label="Notifications" className="tabs">
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
      {current?.to === '/notifications' ? <MyNotifications /> : <EscalationLog />}
    </section>
  );
}

function MyNotifications() {
  const { can } = useSession();
  const [unreadOnly, setUnreadOnly] = useState(false);
  const first = useLoad(() => notificationsApi.list({ unread: unreadOnly ? 'true' : undefined, limit: '50' }), `n-${unreadOnly}`);
  const [more, setMore] = useState<Notification[]>([]);
  const [next, setNext] = useState<string | null>(null);
  const [error, setError] = useState<unknown>(null);
  const canMark = can('token:own');

  useEffect(() => {
    setMore([]);
    setNext(first.data?.nextBefore ?? null);
  }, [first.data]);

  const items = [...(first.data?.items ?? []), ...more];
  const replace = (n: Notification) => {
    if (first.data) first.set({ ...first.data, items: first.data.items.map((x) => (x.id === n.id ? n : x)), unread: Math.max(0, first.data.unread - 1) });
    setMore((m) => m.map((x) => (x.id === n.id ? n : x)));
  };
  const markRead = async (n: Notification) => {
    setError(null);
    try {
      replace(await notificationsApi.markRead(n.id));
      changed();
    } catch (err) {
      setError(err);
    }
  };
  const markAll = async () => {
    setError(null);
    try {
      await notificationsApi.markAllRead();
      changed();
      first.reload();
    } catch (err) {
      setError(err);
    }
  };
  const loadMore = async () => {
    if (!next) return;
    try {
      const p = await notificationsApi.list({ unread: unreadOnly ? 'true' : undefined, limit: '50', before: next });
      setMore((m) => [...m, ...p.items]);
      setNext(p.nextBefore);
    } catch (err) {
      setError(err);
    }
  };

  return (
    <div>
      <div className="inline">
        <label className="checkbox">
          <input type="checkbox" checked={unreadOnly} onChange={(e) => setUnreadOnly(e.target.checked)} /> Unread only
        </label>
        {first.data && (
          <span className="muted" role="status">
            {first.data.unread} unread
          </span>
        )}
        {canMark && (first.data?.unread ?? 0) > 0 && (
          <button type="button" onClick={markAll}>
            Mark all read
          </button>
        )}
      </div>
      <ErrorBanner error={first.error ?? error} />
      {!first.data && first.loading && <Spinner />}
      {first.data && (
        <ul aria-label="Notifications" style={{ listStyle: 'none', padding: 0 }}>
          {items.map((n) => (
            <li key={n.id} className={`card${n.readAt ? ' row-muted' : ''}`} aria-label={`${n.readAt ? '' : 'Unread: '}${n.title}`}>
              <h2 style={{ fontSize: '1.05rem', margin: 0 }}>
                {!n.readAt && <Badge kind="info">New</Badge>} {n.kind === 'emergency' ? <Badge kind="danger">Emergency</Badge> : null} {n.title}
              </h2>
              <p className="muted small">{formatTime(n.createdAt)}{n.readAt ? ` · read ${formatTime(n.readAt)}` : ''}</p>
              <p className="pre">{n.body}</p>
              <div className="inline">
                {n.link?.startsWith('/') && <Link to={n.link}>Open</Link>}
                {canMark && !n.readAt && (
                  <button type="button" onClick={() => markRead(n)}>
                    Mark read<span className="visually-hidden"> {n.title}</span>
                  </button>
                )}
              </div>
            </li>
          ))}
          {items.length === 0 && <li className="empty">{unreadOnly ? 'Nothing unread.' : 'No notifications yet.'}</li>}
        </ul>
      )}
      {next && (
        <button type="button" onClick={loadMore}>
          Load more
        </button>
      )}
    </div>
  );
}

function EscalationLog() {
  const { can } = useSession();
  const [finding, setFinding] = useState('');
  const [filter, setFilter] = useState('');
  const log = useLoad(() => notificationsApi.escalations({ findingId: filter || undefined, limit: '100' }), `e-${filter}`);
  const [run, setRun] = useState<EscalationRunResult | null>(null);
  const [error, setError] = useState<unknown>(null);
  const [busy, setBusy] = useState(false);

  const apply = (e: FormEvent) => {
    e.preventDefault();
    setFilter(finding.trim());
  };
  const runNow = async () => {
    setBusy(true);
    setError(null);
    try {
      setRun(await notificationsApi.runEscalations());
      log.reload();
      changed();
    } catch (err) {
      setError(err);
    } finally {
      setBusy(false);
    }
  };

  return (
    <div>
      <p className="muted">Each escalation rule of the patch policy fires once per finding and due date. The server applies the rules every 15 minutes.</p>
      <form className="inline" onSubmit={apply} aria-label="Filter the escalation log">
        <label htmlFor="esc-finding">Finding id</label>
        <input id="esc-finding" inputMode="numeric" value={finding} onChange={(e) => setFinding(e.target.value)} maxLength={18} size={14} />
        <button type="submit">Filter</button>
        {can('system:admin') && (
          <button type="button" className="primary" onClick={runNow} disabled={busy}>
            Run escalations now
          </button>
        )}
      </form>
      {run && (
        <p className="notice notice-ok" role="status">
          {run.findings === 0
            ? 'No rule fired: nothing new to escalate.'
            : `${run.rules.map((r) => `${r.name}: ${r.findings}`).join('; ')}. ${run.recipients} recipient(s); e-mails ${run.emails.sent} of ${run.emails.queued} sent; webhooks ${run.webhooks.sent} of ${run.webhooks.queued} sent.`}
        </p>
      )}
      <ErrorBanner error={log.error ?? error} />
      {!log.data && log.loading && <Spinner />}
      {log.data && (
        <div className="table-wrap">
          <table className="data" aria-label="Escalation log">
            <thead>
              <tr>
                <th scope="col">When</th>
                <th scope="col">Rule</th>
                <th scope="col">Finding</th>
                <th scope="col">Due</th>
                <th scope="col">Told</th>
                <th scope="col">Delivery</th>
              </tr>
            </thead>
            <tbody>
              {log.data.items.map((e) => (
                <EscalationRow key={e.id} e={e} />
              ))}
              {log.data.items.length === 0 && (
                <tr>
                  <td colSpan={6} className="empty">
                    Nothing escalated{filter ? ' for this finding' : ''} yet.
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

function EscalationRow({ e }: { e: Escalation }) {
  return (
    <tr>
      <td className="nowrap">{formatTime(e.sentAt)}</td>
      <td>
        {e.rule} <span className="muted small">(policy v{e.policyVersion})</span>
      </td>
      <td>
        <Link to={`/findings/${e.findingId}`}>
          {e.hostname ?? `finding ${e.findingId}`} · {e.vulnerabilityId ?? ''}
        </Link>
      </td>
      <td className="nowrap">{e.dueAt ? formatTime(e.dueAt) : '—'}</td>
      <td className="small">{e.recipients.length ? e.recipients.map((r) => r.name).join(', ') : <span className="muted">nobody (no owner or security team)</span>}</td>
      <td className="small">
        {e.channels.includes('in_app') && 'in app '}
        {e.deliveries.map((d) => (
          <span key={d.id} title={d.error ?? undefined}>
            <Badge kind={d.status === 'sent' ? 'ok' : d.status === 'failed' ? 'danger' : 'warn'}>
              {d.channel} {d.target}: {d.status}
            </Badge>{' '}
          </span>
        ))}
        {e.deliveries
          .filter((d) => d.status !== 'sent' && d.error)
          .map((d) => (
            <div key={`err-${d.id}`} className="muted small">
              {d.target}: {d.error}
            </div>
          ))}
      </td>
    </tr>
  );
}
