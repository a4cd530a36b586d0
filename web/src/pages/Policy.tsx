/**
 * The patch policy (GOV-1, STK-4): the version in force for everyone to read
 * and acknowledge, the editor for admins, the version history with a diff,
 * and who has not acknowledged. Tabs with their own URLs, like Settings.
 */
import { useState } from 'react';
import { AcknowledgeBanner, AcknowledgementList } from '../components/policy/Acknowledgements.js';
import { PolicyDocument } from '../components/policy/PolicyDocument.js';
import { PolicyEditor } from '../components/policy/PolicyEditor.js';
import { PolicyHistory } from '../components/policy/PolicyHistory.js';
import { ErrorBanner, Spinner, useLoad, useSession } from '../components.js';
import { formatTime } from '../labels.js';
import { bound, refreshAck } from '../policy/ack.js';
import { policyApi } from '../policy/api.js';
import { Link, navigate, useTitle } from '../router.js';

export function PolicyPage({ path }: { path: string }) {
  useTitle('Patch policy');
  const session = useSession();
  const [tick, setTick] = useState(0);
  const [saved, setSaved] = useState<number | null>(null);
  const current = useLoad(() => policyApi.current(), `policy-${tick}`);
  const tabs = [
    { to: '/policy', label: 'In force', show: true },
    { to: '/policy/edit', label: 'Edit', show: session.can('policy:write') },
    { to: '/policy/history', label: 'Versions', show: true },
    { to: '/policy/acknowledgements', label: 'Acknowledgements', show: session.can('user:read') },
  ].filter((t) => t.show);
  const tab = tabs.find((t) => t.to === path) ?? tabs[0];

  return (
    <section>
      <div className="page-head">
        <h1>Patch policy</h1>
        {current.data && (
          <p className="muted">
            Version {current.data.version} in force since {formatTime(current.data.createdAt)}
          </p>
        )}
      </div>
      <nav aria-label="Policy" className="tabs">
        <ul>
          {tabs.map((t) => (
            <li key={t.to}>
              <Link to={t.to} aria-current={t === tab ? 'page' : undefined}>
                {t.label}
              </Link>
            </li>
          ))}
        </ul>
      </nav>
      {tab?.to === '/policy' && <AcknowledgeBanner onAcknowledged={() => setTick((t) => t + 1)} />}
      <ErrorBanner error={current.error} />
      {!current.data && current.loading && <Spinner />}
      {current.data && tab?.to === '/policy' && (
        <>
          <p>
            <strong>{current.data.document.name}</strong>, version {current.data.version}, by {current.data.author.name}: <em>{current.data.reason}</em>
          </p>
          <PolicyDocument doc={current.data.document} />
        </>
      )}
      {current.data && tab?.to === '/policy/edit' && (
        <PolicyEditor
          key={current.data.version}
          current={current.data}
          onSaved={(v) => {
            current.set(v);
            setSaved(v.version);
            const me = bound(session);
            if (me) void refreshAck(me);
            navigate(`/policy/history?from=${v.version - 1}&to=${v.version}`);
          }}
        />
      )}
      {tab?.to === '/policy/history' && saved !== null && (
        <p className="notice notice-ok" role="status">
          Saved as version {saved}. Every open finding is being re-prioritised against it.
        </p>
      )}
      {tab?.to === '/policy/history' && <PolicyHistory />}
      {tab?.to === '/policy/acknowledgements' && <AcknowledgementList tick={tick} />}
    </section>
  );
}
