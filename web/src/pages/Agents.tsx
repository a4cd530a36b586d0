/**
 * Host agents (issue #4): how many check in on time, the list with search and filters, revocation, and
 * (administrators) the enrolment tokens hosts join with. The filters live in the URL.
 */
import { type FormEvent, useEffect, useState } from 'react';
import { type Agent, type AgentHealth, type AgentQuery, type EnrolmentToken, api, withQuery } from '../api.js';
import { Badge, CopyButton, ErrorBanner, Field, Spinner, fieldErrorsOf, useFocusFirstField, useLoad, useSession } from '../components.js';
import { AGENT_STATUS, HEALTH, HealthBadge } from '../components/HostFacts.js';
import { CRITICALITIES, ENVIRONMENTS, EXPOSURES, SYSTEM_TYPES, formatCount, formatRelative, formatTime, label } from '../labels.js';
import { Link, navigate, useLocation, useTitle } from '../router.js';

const HEALTHS: AgentHealth[] = ['ok', 'late', 'silent', 'never', 'revoked'];
const STATUSES = ['active', 'revoked', 'replaced', 'all'] as const;
const LIMIT = 500;

function queryOf(search: URLSearchParams): AgentQuery {
  const health = search.get('health');
  const status = search.get('status');
  return {
    q: search.get('q') || undefined,
    health: HEALTHS.includes(health as AgentHealth) ? (health as AgentHealth) : undefined,
    status: (STATUSES as readonly (string | null)[]).includes(status) ? (status as AgentQuery['status']) : undefined,
  };
}

export function AgentsPage() {
  useTitle('Agents');
  const { can } = useSession();
  const admin = can('system:admin');
  const { search } = useLocation();
  const query = queryOf(search);
  const key = JSON.stringify(query);
  const agents = useLoad(() => api.listAgents({ ...query, limit: String(LIMIT) }), key);
  const [q, setQ] = useState(query.q ?? '');
  const urlQ = query.q ?? '';
  useEffect(() => setQ(urlQ), [urlQ]);
  const [revoking, setRevoking] = useState<string | null>(null);
  const [notice, setNotice] = useState<string | null>(null);

  const link = (patch: Partial<AgentQuery>) => withQuery('/agents', { ...query, ...patch });
  const setFilter = (patch: Partial<AgentQuery>) => navigate(link(patch), { replace: true });
  const submitSearch = (e: FormEvent) => {
    e.preventDefault();
    setFilter({ q: q.trim() || undefined });
  };

  // The revoked agent stays in view (whatever the status filter) so the administrator sees what happened.
  const revoked = (a: Agent) => {
    const data = agents.data;
    if (!data) return;
    const before = data.items.find((x) => x.id === a.id);
    const counts = { ...data.counts };
    if (before && before.health !== a.health) {
      counts[before.health] = Math.max(0, counts[before.health] - 1);
      counts[a.health] += 1;
    }
    agents.set({ items: data.items.map((x) => (x.id === a.id ? a : x)), counts });
    setRevoking(null);
    setNotice(`The agent of ${a.hostname} is revoked: its next check-in is refused.`);
  };

  const counts = agents.data?.counts;
  const items = agents.data?.items ?? [];
  const now = Date.now();
  const columns = admin ? 8 : 7;

  return (
    <section>
      <div className="page-head">
        <h1>Agents</h1>
      </div>
      <p className="muted">
        The patchloop agent on each Linux host reports its installed packages and host facts. An agent is late after three missed check-ins and silent after a
        day without one.
      </p>

      {counts && (
        <ul className="stat-row agent-counts" aria-label="Agents by health">
          {(['ok', 'late', 'silent', 'never'] as const).map((h) => (
            <li key={h} className="stat-item">
              <Link
                className={`stat${(h === 'late' || h === 'silent') && counts[h] > 0 ? ' stat-warn' : ''}`}
                to={link({ health: query.health === h ? undefined : h })}
                aria-current={query.health === h ? 'true' : undefined}
              >
                <span className="stat-value">{formatCount(counts[h])}</span>
                <span className="stat-label">{h === 'never' ? 'Never checked in' : HEALTH[h].text}</span>
              </Link>
            </li>
          ))}
        </ul>
      )}

      <search>
        <form className="search-row" onSubmit={submitSearch}>
          <label htmlFor="agent-search" className="visually-hidden">
            Search agents
          </label>
          <input id="agent-search" type="search" placeholder="Search host name or machine id" value={q} onChange={(e) => setQ(e.target.value)} maxLength={200} />
          <button type="submit">Search</button>
        </form>
      </search>
      <fieldset className="filters">
        <legend>Filters</legend>
        <div className="field">
          <label htmlFor="agent-health">Health</label>
          <select id="agent-health" value={query.health ?? ''} onChange={(e) => setFilter({ health: (e.target.value || undefined) as AgentHealth | undefined })}>
            <option value="">All</option>
            {HEALTHS.map((h) => (
              <option key={h} value={h}>
                {HEALTH[h].text}
              </option>
            ))}
          </select>
        </div>
        <div className="field">
          <label htmlFor="agent-status">Status</label>
          <select id="agent-status" value={query.status ?? 'active'} onChange={(e) => setFilter({ status: e.target.value === 'active' ? undefined : (e.target.value as AgentQuery['status']) })}>
            {STATUSES.map((s) => (
              <option key={s} value={s}>
                {s === 'all' ? 'All' : AGENT_STATUS[s]}
              </option>
            ))}
          </select>
        </div>
      </fieldset>

      {notice && (
        <p className="notice notice-ok" role="status">
          {notice}
        </p>
      )}
      <ErrorBanner error={agents.error} />
      {agents.loading && !agents.data && <Spinner />}
      {agents.data && (
        <>
          <p className="result-count" aria-live="polite">
            {items.length === 1 ? '1 agent' : `${formatCount(items.length)} agents`}
            {items.length >= LIMIT && ` · showing the first ${LIMIT}; narrow the search`}
          </p>
          <div className="table-wrap">
            <table className="data agents">
              <caption className="visually-hidden">Enrolled agents</caption>
              <thead>
                <tr>
                  <th scope="col">Host</th>
                  <th scope="col">Health</th>
                  <th scope="col">Last check-in</th>
                  <th scope="col">Agent version</th>
                  <th scope="col" className="num">
                    Reports
                  </th>
                  <th scope="col">Enrolled</th>
                  <th scope="col">Status</th>
                  {admin && <th scope="col">Actions</th>}
                </tr>
              </thead>
              <tbody>
                {items.map((a) => (
                  <AgentRow key={a.id} a={a} admin={admin} now={now} revoking={revoking === a.id} onRevoke={setRevoking} onRevoked={revoked} columns={columns} />
                ))}
                {items.length === 0 && (
                  <tr>
                    <td colSpan={columns} className="empty">
                      {query.q || query.health || query.status ? 'No agent matches these filters.' : admin ? 'No agent is enrolled yet: make an enrolment token below.' : 'No agent is enrolled yet.'}
                    </td>
                  </tr>
                )}
              </tbody>
            </table>
          </div>
        </>
      )}

      {admin && <EnrolmentTokens />}
    </section>
  );
}

function AgentRow(props: { a: Agent; admin: boolean; now: number; revoking: boolean; onRevoke: (id: string | null) => void; onRevoked: (a: Agent) => void; columns: number }) {
  const { a, admin, now, revoking, onRevoke, onRevoked, columns } = props;
  return (
    <>
      <tr data-agent={a.id} className={a.status !== 'active' ? 'row-muted' : undefined}>
        <th scope="row">
          <Link to={`/assets/${a.assetId}`}>{a.hostname}</Link>
          {a.machineId && <div className="muted small mono">{a.machineId}</div>}
        </th>
        <td>
          <HealthBadge health={a.health} />
        </td>
        <td className="nowrap">
          {a.lastCheckinAt ? (
            <>
              <time dateTime={a.lastCheckinAt} title={formatTime(a.lastCheckinAt)}>
                {formatRelative(a.lastCheckinAt, now)}
              </time>
              <span className="visually-hidden"> ({formatTime(a.lastCheckinAt)})</span>
              {a.lastIp && <div className="muted small">from {a.lastIp}</div>}
            </>
          ) : (
            <span className="muted">never</span>
          )}
        </td>
        <td>{a.agentVersion ?? <span className="muted">—</span>}</td>
        <td className="num">{formatCount(a.reports)}</td>
        <td className="nowrap">{formatTime(a.enrolledAt)}</td>
        <td>
          {AGENT_STATUS[a.status]}
          {a.revokedAt && <div className="muted small">{formatTime(a.revokedAt)}</div>}
        </td>
        {admin && (
          <td>
            {a.status === 'active' && !revoking && (
              <button type="button" className="danger" onClick={() => onRevoke(a.id)} aria-label={`Revoke the agent of ${a.hostname}…`}>
                Revoke…
              </button>
            )}
          </td>
        )}
      </tr>
      {revoking && (
        <tr className="revoke-row">
          <td colSpan={columns}>
            <RevokeForm a={a} onCancel={() => onRevoke(null)} onDone={onRevoked} />
          </td>
        </tr>
      )}
    </>
  );
}

/** The reason goes to the audit trail; submitting is the confirmation, after which the credential stops working at once. */
function RevokeForm({ a, onCancel, onDone }: { a: Agent; onCancel: () => void; onDone: (a: Agent) => void }) {
  const ref = useFocusFirstField<HTMLFormElement>();
  const [reason, setReason] = useState('');
  const [error, setError] = useState<unknown>(null);
  const [busy, setBusy] = useState(false);
  const submit = async (e: FormEvent) => {
    e.preventDefault();
    setBusy(true);
    setError(null);
    try {
      onDone(await api.revokeAgent(a.id, reason.trim() || null));
    } catch (err) {
      setError(err);
      setBusy(false);
    }
  };
  const fe = fieldErrorsOf(error);
  return (
    <form ref={ref} className="inline-form" onSubmit={submit} aria-label={`Revoke the agent of ${a.hostname}`}>
      <p>
        <strong>Revoke the agent of {a.hostname}?</strong> Its credential stops working at once: the host’s next check-in is refused until it is enrolled
        again with a new token. The asset and its inventory stay.
      </p>
      <ErrorBanner error={error} shownFields={['reason']} />
      <Field label="Reason (recorded in the audit trail)" error={fe.reason}>
        {(p) => <input {...p} value={reason} onChange={(e) => setReason(e.target.value)} maxLength={500} />}
      </Field>
      <div className="actions">
        <button type="submit" className="danger" disabled={busy}>
          Confirm revocation
        </button>
        <button type="button" onClick={onCancel}>
          Cancel
        </button>
      </div>
    </form>
  );
}

// ---- enrolment tokens (administrators) ----------------------------------------------

function tokenState(t: EnrolmentToken, now: number): { kind: 'ok' | 'muted' | 'danger'; text: string } {
  if (t.revokedAt) return { kind: 'danger', text: 'Revoked' };
  if (t.uses >= t.maxUses) return { kind: 'muted', text: 'Used up' };
  if (new Date(t.expiresAt).getTime() <= now) return { kind: 'muted', text: 'Expired' };
  return { kind: 'ok', text: 'Usable' };
}

function EnrolmentTokens() {
  const tokens = useLoad(() => api.listEnrolmentTokens(), 'enrolment-tokens');
  const teams = useLoad(() => api.listTeams(), 'teams');
  const [secret, setSecret] = useState<{ token: string; name: string } | null>(null);
  const [revokeError, setRevokeError] = useState<unknown>(null);
  const teamNames = new Map((teams.data ?? []).map((t) => [t.id, t.name]));
  const now = Date.now();

  const revoke = async (t: EnrolmentToken) => {
    if (!window.confirm(`Revoke the enrolment token "${t.name}"? Hosts can no longer enrol with it; agents already enrolled keep working.`)) return;
    setRevokeError(null);
    try {
      const r = await api.revokeEnrolmentToken(t.id);
      tokens.set((tokens.data ?? []).map((x) => (x.id === r.id ? r : x)));
    } catch (err) {
      setRevokeError(err);
    }
  };

  return (
    <section aria-labelledby="enrolment-tokens" className="enrolment-tokens">
      <h2 id="enrolment-tokens">Enrolment tokens</h2>
      <p className="muted">
        A host joins with an enrolment token, which it exchanges for its own credential. Hosts not yet in the register are created with the token’s asset
        defaults; the others are matched by machine id, FQDN, host name or address.
      </p>
      {secret && <TokenSecret secret={secret} onDone={() => setSecret(null)} />}
      <CreateEnrolmentToken
        teams={teams.data ?? []}
        onCreated={(token, info) => {
          setSecret({ token, name: info.name });
          tokens.set([info, ...(tokens.data ?? [])]);
        }}
      />
      <ErrorBanner error={tokens.error ?? revokeError} />
      {tokens.loading && !tokens.data && <Spinner />}
      {tokens.data && (
        <div className="table-wrap">
          <table className="data enrolment-tokens">
            <caption className="visually-hidden">Enrolment tokens</caption>
            <thead>
              <tr>
                <th scope="col">Name</th>
                <th scope="col">Starts with</th>
                <th scope="col">Used</th>
                <th scope="col">New assets get</th>
                <th scope="col">Created</th>
                <th scope="col">Expires</th>
                <th scope="col">Status</th>
              </tr>
            </thead>
            <tbody>
              {tokens.data.map((t) => {
                const s = tokenState(t, now);
                const d = t.assetDefaults;
                return (
                  <tr key={t.id} data-token={t.id} className={s.kind !== 'ok' ? 'row-muted' : undefined}>
                    <th scope="row">{t.name}</th>
                    <td>
                      <code>{t.prefix}…</code>
                    </td>
                    <td className="nowrap">
                      {formatCount(t.uses)} of {formatCount(t.maxUses)}
                    </td>
                    <td className="small">
                      {[label(d.environment), label(d.systemType), `${label(d.businessCriticality)} criticality`, label(d.networkExposure)].join(' · ')}
                      {d.ownerTeamId && <div>Owner: {teamNames.get(d.ownerTeamId) ?? d.ownerTeamId}</div>}
                      {d.tags.length > 0 && (
                        <div>
                          {d.tags.map((tag) => (
                            <span key={tag} className="tag">
                              {tag}
                            </span>
                          ))}
                        </div>
                      )}
                    </td>
                    <td className="nowrap">
                      {formatTime(t.createdAt)}
                      <div className="muted small">by {t.createdBy}</div>
                    </td>
                    <td className="nowrap">{formatTime(t.expiresAt)}</td>
                    <td>
                      <Badge kind={s.kind}>{s.text}</Badge>{' '}
                      {s.text === 'Usable' && (
                        <button type="button" className="danger" onClick={() => revoke(t)}>
                          Revoke<span className="visually-hidden"> the enrolment token {t.name}</span>
                        </button>
                      )}
                    </td>
                  </tr>
                );
              })}
              {tokens.data.length === 0 && (
                <tr>
                  <td colSpan={7} className="empty">
                    No enrolment tokens yet.
                  </td>
                </tr>
              )}
            </tbody>
          </table>
        </div>
      )}
    </section>
  );
}

/** The secret, once, with the command that uses it; the server keeps only its hash. */
function TokenSecret({ secret, onDone }: { secret: { token: string; name: string }; onDone: () => void }) {
  const origin = window.location.origin;
  const command = `patchloop agent enroll --server ${origin} --token ${secret.token}`;
  return (
    <div className="card secret" role="status">
      <h3>Enrolment token "{secret.name}" created</h3>
      <p>
        <strong>Copy it now: it will not be shown again.</strong>
      </p>
      <div className="inline">
        <label htmlFor="new-enrolment-token" className="visually-hidden">
          New enrolment token secret
        </label>
        <input id="new-enrolment-token" className="mono" readOnly value={secret.token} onFocus={(e) => e.target.select()} size={60} />
        <CopyButton text={secret.token} />
      </div>
      <p>Enrol a host: run this on it as root.</p>
      <pre className="command">
        <code>{command}</code>
      </pre>
      <div className="inline">
        <CopyButton text={command} label="Copy command" />
        <button type="button" onClick={onDone}>
          Done
        </button>
      </div>
      <ul className="small">
        <li>
          Server certificate from a private CA: add <code>--ca-file /path/to/ca.pem</code> (the agent verifies the certificate).
        </li>
        <li>
          To keep the token out of the shell history, save it in a file and use <code>--token-file FILE</code> instead of <code>--token</code>.
        </li>
        {window.location.protocol === 'http:' && (
          <li>
            This page was loaded over plain HTTP. The agent talks HTTPS only: give it the server’s <code>https://</code> address, or add{' '}
            <code>--allow-http</code> in a test set-up.
          </li>
        )}
      </ul>
    </div>
  );
}

function CreateEnrolmentToken({ teams, onCreated }: { teams: { id: string; name: string }[]; onCreated: (token: string, info: EnrolmentToken) => void }) {
  const [name, setName] = useState('');
  const [maxUses, setMaxUses] = useState('1');
  const [hours, setHours] = useState('24');
  const [environment, setEnvironment] = useState<(typeof ENVIRONMENTS)[number]>('production');
  const [systemType, setSystemType] = useState<(typeof SYSTEM_TYPES)[number]>('other');
  const [criticality, setCriticality] = useState<(typeof CRITICALITIES)[number]>('medium');
  const [exposure, setExposure] = useState<(typeof EXPOSURES)[number]>('internal');
  const [team, setTeam] = useState('');
  const [tags, setTags] = useState('');
  const [error, setError] = useState<unknown>(null);
  const [busy, setBusy] = useState(false);
  const fe = fieldErrorsOf(error);
  const tagErrors = Object.entries(fe)
    .filter(([k]) => k.startsWith('assetDefaults.tags'))
    .flatMap(([, v]) => v);

  const submit = async (e: FormEvent) => {
    e.preventDefault();
    setBusy(true);
    setError(null);
    try {
      const r = await api.createEnrolmentToken({
        name: name.trim(),
        maxUses: Number(maxUses),
        expiresInHours: Number(hours),
        assetDefaults: {
          environment,
          systemType,
          businessCriticality: criticality,
          networkExposure: exposure,
          ownerTeamId: team || null,
          tags: tags
            .split(',')
            .map((t) => t.trim())
            .filter(Boolean),
        },
      });
      onCreated(r.token, r.info);
      setName('');
    } catch (err) {
      setError(err);
    } finally {
      setBusy(false);
    }
  };

  const choice = <T extends string>(text: string, field: string, value: T, set: (v: T) => void, values: readonly T[]) => (
    <Field label={text} error={fe[`assetDefaults.${field}`]}>
      {(p) => (
        <select {...p} value={value} onChange={(e) => set(e.target.value as T)}>
          {values.map((v) => (
            <option key={v} value={v}>
              {label(v)}
            </option>
          ))}
        </select>
      )}
    </Field>
  );

  return (
    <form className="card form-grid" onSubmit={submit} aria-label="New enrolment token">
      <h3 className="span-all">New enrolment token</h3>
      <div className="span-all">
        <ErrorBanner
          error={error}
          shownFields={['name', 'maxUses', 'expiresInHours', ...['environment', 'systemType', 'businessCriticality', 'networkExposure', 'ownerTeamId'].map((f) => `assetDefaults.${f}`), ...Object.keys(fe).filter((k) => k.startsWith('assetDefaults.tags'))]}
        />
      </div>
      <Field label="Token name" error={fe.name} hint="What it is for, e.g. “web tier rollout”.">
        {(p) => <input {...p} value={name} onChange={(e) => setName(e.target.value)} required maxLength={200} />}
      </Field>
      <Field label="Hosts that may enrol with it" error={fe.maxUses} hint="1: a one-time token.">
        {(p) => <input {...p} type="number" min={1} max={100000} step={1} value={maxUses} onChange={(e) => setMaxUses(e.target.value)} required />}
      </Field>
      <Field label="Valid for (hours)" error={fe.expiresInHours} hint="At most 720 (30 days).">
        {(p) => <input {...p} type="number" min={1} max={720} step={1} value={hours} onChange={(e) => setHours(e.target.value)} required />}
      </Field>
      <fieldset className="span-all form-grid">
        <legend>Hosts not yet in the register are created with</legend>
        {choice('Environment', 'environment', environment, setEnvironment, ENVIRONMENTS)}
        {choice('System type', 'systemType', systemType, setSystemType, SYSTEM_TYPES)}
        {choice('Business criticality', 'businessCriticality', criticality, setCriticality, CRITICALITIES)}
        {choice('Network exposure', 'networkExposure', exposure, setExposure, EXPOSURES)}
        <Field label="Owner team" error={fe['assetDefaults.ownerTeamId']}>
          {(p) => (
            <select {...p} value={team} onChange={(e) => setTeam(e.target.value)}>
              <option value="">None (unowned)</option>
              {teams.map((t) => (
                <option key={t.id} value={t.id}>
                  {t.name}
                </option>
              ))}
            </select>
          )}
        </Field>
        <Field label="Tags" error={tagErrors.length ? tagErrors : undefined} hint="Comma-separated.">
          {(p) => <input {...p} value={tags} onChange={(e) => setTags(e.target.value)} maxLength={1000} />}
        </Field>
      </fieldset>
      <div className="form-actions span-all">
        <button type="submit" className="primary" disabled={busy}>
          Create enrolment token
        </button>
      </div>
    </form>
  );
}
