/** Chat webhooks for escalations (administrators): add, test, switch on or off, remove. Stored URLs are never shown again in full. */
import { type FormEvent, useState } from 'react';
import { type Webhook, notificationsApi } from '../api.js';
import { Badge, ErrorBanner, Field, Spinner, fieldErrorsOf, useLoad } from '../components.js';
import { formatTime } from '../labels.js';

const FORMATS = [
  { value: 'slack', label: 'Slack-compatible (also Mattermost, Rocket.Chat)' },
  { value: 'teams', label: 'Microsoft Teams (Adaptive Card)' },
] as const;

export function WebhooksPage() {
  const hooks = useLoad(() => notificationsApi.webhooks(), 'webhooks');
  const [error, setError] = useState<unknown>(null);
  const [status, setStatus] = useState<string | null>(null);

  const replace = (w: Webhook) => hooks.set((hooks.data ?? []).map((x) => (x.id === w.id ? w : x)));
  const act = async (fn: () => Promise<void>) => {
    setError(null);
    setStatus(null);
    try {
      await fn();
    } catch (err) {
      setError(err);
    }
  };
  const test = (w: Webhook) =>
    act(async () => {
      const r = await notificationsApi.testWebhook(w.id);
      replace(r.webhook);
      setStatus(r.ok ? `Test message delivered to “${w.name}”.` : `Test message to “${w.name}” failed: ${r.error}`);
    });
  const toggle = (w: Webhook) => act(async () => replace(await notificationsApi.updateWebhook(w.id, { enabled: !w.enabled })));
  const remove = (w: Webhook) =>
    act(async () => {
      if (!window.confirm(`Remove the webhook “${w.name}”? Escalations stop going to that channel.`)) return;
      await notificationsApi.deleteWebhook(w.id);
      hooks.set((hooks.data ?? []).filter((x) => x.id !== w.id));
    });

  return (
    <div>
      <h2>Chat webhooks</h2>
      <p className="muted">
        Escalations on breach and raised priorities (new emergencies) are posted to every enabled webhook. A webhook URL is a secret: it is stored encrypted and only its host and last characters are shown after saving.
      </p>
      <AddWebhook onAdded={(w) => hooks.set([...(hooks.data ?? []), w].sort((a, b) => a.name.localeCompare(b.name)))} />
      {status && (
        <p className="notice notice-ok" role="status">
          {status}
        </p>
      )}
      <ErrorBanner error={hooks.error ?? error} />
      {!hooks.data && hooks.loading && <Spinner />}
      {hooks.data && (
        <div className="table-wrap">
          <table className="data" aria-label="Webhooks">
            <thead>
              <tr>
                <th scope="col">Name</th>
                <th scope="col">Format</th>
                <th scope="col">URL</th>
                <th scope="col">Last delivery</th>
                <th scope="col">Status</th>
              </tr>
            </thead>
            <tbody>
              {hooks.data.map((w) => (
                <tr key={w.id} className={w.enabled ? undefined : 'row-muted'}>
                  <td>{w.name}</td>
                  <td>{w.format === 'teams' ? 'Teams' : 'Slack'}</td>
                  <td>
                    <code>{w.urlHint}</code>
                  </td>
                  <td className="small">
                    {w.lastDelivery ? (
                      <>
                        <Badge kind={w.lastDelivery.status === 'sent' ? 'ok' : 'danger'}>{w.lastDelivery.status}</Badge> {formatTime(w.lastDelivery.at)}
                        {w.lastDelivery.error && <div className="muted">{w.lastDelivery.error}</div>}
                      </>
                    ) : (
                      <span className="muted">never</span>
                    )}
                  </td>
                  <td className="nowrap">
                    <Badge kind={w.enabled ? 'ok' : 'muted'}>{w.enabled ? 'Enabled' : 'Disabled'}</Badge>{' '}
                    <button type="button" onClick={() => test(w)}>
                      Test<span className="visually-hidden"> {w.name}</span>
                    </button>{' '}
                    <button type="button" onClick={() => toggle(w)}>
                      {w.enabled ? 'Disable' : 'Enable'}
                      <span className="visually-hidden"> {w.name}</span>
                    </button>{' '}
                    <button type="button" className="danger" onClick={() => remove(w)}>
                      Remove<span className="visually-hidden"> {w.name}</span>
                    </button>
                  </td>
                </tr>
              ))}
              {hooks.data.length === 0 && (
                <tr>
                  <td colSpan={5} className="empty">
                    No webhooks yet.
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

function AddWebhook({ onAdded }: { onAdded: (w: Webhook) => void }) {
  const [name, setName] = useState('');
  const [url, setUrl] = useState('');
  const [format, setFormat] = useState<'slack' | 'teams'>('slack');
  const [error, setError] = useState<unknown>(null);
  const [busy, setBusy] = useState(false);
  const fe = fieldErrorsOf(error);

  const submit = async (e: FormEvent) => {
    e.preventDefault();
    setBusy(true);
    setError(null);
    try {
      onAdded(await notificationsApi.createWebhook({ name: name.trim(), url: url.trim(), format, enabled: true }));
      setName('');
      setUrl('');
    } catch (err) {
      setError(err);
    } finally {
      setBusy(false);
    }
  };

  return (
    <form className="card form-grid" onSubmit={submit} aria-label="New webhook">
      <h3 className="span-all">New webhook</h3>
      <div className="span-all">
        <ErrorBanner error={error} shownFields={['name', 'url', 'format']} />
      </div>
      <Field label="Name" error={fe.name} hint="The channel, e.g. “#vuln-alerts”.">
        {(p) => <input {...p} value={name} onChange={(e) => setName(e.target.value)} required maxLength={100} />}
      </Field>
      <Field label="Format" error={fe.format}>
        {(p) => (
          <select {...p} value={format} onChange={(e) => setFormat(e.target.value as 'slack' | 'teams')}>
            {FORMATS.map((f) => (
              <option key={f.value} value={f.value}>
                {f.label}
              </option>
            ))}
          </select>
        )}
      </Field>
      <Field label="Webhook URL" error={fe.url} hint="http:// or https://; kept secret after saving." className="span-all">
        {(p) => <input {...p} type="url" value={url} onChange={(e) => setUrl(e.target.value)} required maxLength={2048} autoComplete="off" spellCheck={false} />}
      </Field>
      <div className="form-actions span-all">
        <button type="submit" className="primary" disabled={busy}>
          Add webhook
        </button>
      </div>
    </form>
  );
}
