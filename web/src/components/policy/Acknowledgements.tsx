/**
 * Policy acknowledgement (STK-4): the signed-in person's banner and button,
 * the slim site-wide reminder, and for readers of the user list who has not
 * acknowledged the version in force.
 */
import { useState } from 'react';
import { ErrorBanner, Spinner, useLoad, useSession } from '../../components.js';
import { formatTime, roleLabel } from '../../labels.js';
import { refreshAck, usePolicyAck } from '../../policy/ack.js';
import { policyApi } from '../../policy/api.js';
import { Link, useLocation } from '../../router.js';
import '../../policy/policy.css';

/** On the policy page: the version in force is shown right below, so the button acknowledges it. */
export function AcknowledgeBanner({ onAcknowledged }: { onAcknowledged?: () => void }) {
  const session = useSession();
  const ack = usePolicyAck(session);
  const [error, setError] = useState<unknown>(null);
  const [busy, setBusy] = useState(false);
  const [done, setDone] = useState<number | null>(null);
  if (done !== null && ack?.acknowledged && ack.version === done)
    return (
      <p className="notice notice-ok" role="status">
        Thank you: you acknowledged policy version {done}.
      </p>
    );
  if (!ack || ack.acknowledged) return null;
  const acknowledge = async () => {
    setBusy(true);
    setError(null);
    try {
      const r = await policyApi.acknowledge(ack.version);
      setDone(r.version);
      await refreshAck(session.me.user?.id ?? '');
      onAcknowledged?.();
    } catch (err) {
      setError(err);
      // The version in force may have changed under us: read again.
      await refreshAck(session.me.user?.id ?? '');
    } finally {
      setBusy(false);
    }
  };
  return (
    <section className="ack-banner" aria-label="Policy acknowledgement">
      <p>
        <strong>Please read and acknowledge policy version {ack.version}.</strong>{' '}
        {ack.lastVersion === null ? 'You have not acknowledged any version yet.' : `You last acknowledged version ${ack.lastVersion}.`}
      </p>
      <button type="button" className="primary" onClick={acknowledge} disabled={busy}>
        I have read it: acknowledge version {ack.version}
      </button>
      <ErrorBanner error={error} />
    </section>
  );
}

/** Every page but the policy's: one line, with a link to read and acknowledge. */
export function SiteAckReminder() {
  const session = useSession();
  const ack = usePolicyAck(session);
  const { path } = useLocation();
  if (!ack || ack.acknowledged || path.startsWith('/policy')) return null;
  return (
    <section className="ack-banner" aria-label="Policy acknowledgement">
      <p>
        Patch policy version {ack.version} is in force and you have not acknowledged it. <Link to="/policy">Read and acknowledge it</Link>
      </p>
    </section>
  );
}

export function AcknowledgementList({ tick }: { tick: number }) {
  const list = useLoad(() => policyApi.acknowledgements(), `acks-${tick}`);
  if (list.error) return <ErrorBanner error={list.error} />;
  if (!list.data) return <Spinner />;
  const d = list.data;
  const pending = d.people.filter((p) => !p.current);
  const done = d.people.filter((p) => p.current);
  return (
    <>
      <p>
        <strong>{d.acknowledged}</strong> of {d.people.length} people have acknowledged version {d.version}; <strong>{d.pending}</strong> have not. Auditors read the policy
        but are not asked to acknowledge it.
      </p>
      {pending.length === 0 ? (
        <p className="notice notice-ok">Everyone has acknowledged version {d.version}.</p>
      ) : (
        <div className="table-wrap">
          <table className="data">
            <caption>Not acknowledged version {d.version}</caption>
            <thead>
              <tr>
                <th scope="col">Name</th>
                <th scope="col">User name</th>
                <th scope="col">Role</th>
                <th scope="col">Last acknowledged</th>
              </tr>
            </thead>
            <tbody>
              {pending.map((p) => (
                <tr key={p.userId}>
                  <th scope="row">{p.displayName || p.username}</th>
                  <td>{p.username}</td>
                  <td>{roleLabel(p.role)}</td>
                  <td>
                    {p.version === null ? (
                      <span className="muted">never</span>
                    ) : (
                      <>
                        version {p.version} <span className="muted small">({formatTime(p.acknowledgedAt)})</span>
                      </>
                    )}
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      )}
      {done.length > 0 && (
        <details>
          <summary>Acknowledged ({done.length})</summary>
          <table className="data">
            <caption className="visually-hidden">Acknowledged version {d.version}</caption>
            <tbody>
              {done.map((p) => (
                <tr key={p.userId}>
                  <th scope="row">{p.displayName || p.username}</th>
                  <td>{roleLabel(p.role)}</td>
                  <td>{formatTime(p.acknowledgedAt)}</td>
                </tr>
              ))}
            </tbody>
          </table>
        </details>
      )}
    </>
  );
}
