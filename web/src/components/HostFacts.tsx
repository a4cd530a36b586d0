/** The asset page's "Host facts and agent" panel: what the host last reported about itself, and how its agent is doing. */
import type { ReactNode } from 'react';
import { type Agent, type AgentHealth, type AssetAgent, api, withQuery } from '../api.js';
import { Badge, ErrorBanner, Spinner, useLoad, useSession } from '../components.js';
import { formatRelative, formatTime } from '../labels.js';
import { Link } from '../router.js';

export const HEALTH: Record<AgentHealth, { text: string; kind: 'ok' | 'warn' | 'danger' | 'muted' | 'info'; about: string }> = {
  ok: { text: 'OK', kind: 'ok', about: 'checked in on time' },
  late: { text: 'Late', kind: 'warn', about: 'no check-in for three intervals' },
  silent: { text: 'Silent', kind: 'danger', about: 'no check-in for a day or more' },
  never: { text: 'Never checked in', kind: 'info', about: 'enrolled, no report yet' },
  revoked: { text: 'Revoked', kind: 'muted', about: 'its credential no longer works' },
};

export const AGENT_STATUS: Record<Agent['status'], string> = { active: 'Active', revoked: 'Revoked', replaced: 'Replaced (re-enrolled)' };

export function HealthBadge({ health }: { health: AgentHealth }) {
  const h = HEALTH[health];
  return (
    <span title={h.about}>
      <Badge kind={h.kind}>{h.text}</Badge>
    </span>
  );
}

/** 93784 → "1 day 2 hours": the two largest units are precise enough for "when was this host last rebooted". */
export function formatUptime(seconds: number): string {
  const units: [string, number][] = [
    ['day', 86_400],
    ['hour', 3_600],
    ['minute', 60],
  ];
  const first = units.findIndex(([, size]) => seconds >= size);
  if (first < 0) return 'less than a minute';
  return units
    .slice(first, first + 2)
    .map(([unit, size], i) => {
      const n = i === 0 ? Math.floor(seconds / size) : Math.floor((seconds % (units[first]?.[1] ?? size)) / size);
      return n > 0 ? `${n} ${unit}${n === 1 ? '' : 's'}` : '';
    })
    .filter(Boolean)
    .join(' ');
}

function Prop({ name, children }: { name: string; children: ReactNode }) {
  const empty = children === null || children === undefined || children === '';
  return (
    <>
      <dt>{name}</dt>
      <dd>{empty ? <span className="muted">—</span> : children}</dd>
    </>
  );
}

function osText(os: NonNullable<AssetAgent['facts']>['os']): string {
  if (!os) return '';
  return os.prettyName ?? [os.id, os.versionId, os.codename && `(${os.codename})`].filter(Boolean).join(' ');
}

export function HostFacts({ assetId }: { assetId: string }) {
  const { can } = useSession();
  const loaded = useLoad(() => api.assetAgent(assetId), `host-facts-${assetId}`);
  const { facts, agent } = loaded.data ?? { facts: null, agent: null };
  return (
    <section className="card host-facts" aria-labelledby={`host-facts-${assetId}`}>
      <h2 id={`host-facts-${assetId}`}>Host facts and agent</h2>
      <ErrorBanner error={loaded.error} />
      {loaded.loading && !loaded.data && <Spinner />}
      {loaded.data && !facts && !agent && (
        <p className="muted">
          No agent reports for this host yet.{' '}
          {can('system:admin') ? (
            <>
              Make an enrolment token on the <Link to="/agents">Agents page</Link> and run <code>patchloop agent enroll</code> on the host.
            </>
          ) : (
            'An administrator enrols the host agent.'
          )}
        </p>
      )}
      {loaded.data && (facts || agent) && (
        <div className="detail-grid">
          <div>
            <h3>Host facts</h3>
            {facts ? (
              <dl className="props" aria-label="Host facts">
                <Prop name="Kernel">{facts.kernel && <code>{facts.kernel}</code>}</Prop>
                <Prop name="Uptime">
                  {facts.uptimeSeconds !== null && (
                    <>
                      {formatUptime(facts.uptimeSeconds)} <span className="muted small">(at collection)</span>
                    </>
                  )}
                </Prop>
                <Prop name="Reboot required">
                  {facts.rebootRequired === null ? null : facts.rebootRequired ? <Badge kind="warn">Reboot required</Badge> : 'No'}
                </Prop>
                <Prop name="Operating system">{osText(facts.os)}</Prop>
                <Prop name="Addresses">{facts.addresses.length > 0 && facts.addresses.join(', ')}</Prop>
                <Prop name="Machine id">{facts.machineId && <code>{facts.machineId}</code>}</Prop>
                <Prop name="Collected">
                  {formatTime(facts.collectedAt)} <span className="muted small">from {facts.source}</span>
                </Prop>
              </dl>
            ) : (
              <p className="muted">The host has not reported any facts.</p>
            )}
          </div>
          <div>
            <h3>Agent</h3>
            {agent ? (
              <dl className="props" aria-label="Agent">
                <Prop name="Health">
                  <HealthBadge health={agent.health} />
                </Prop>
                <Prop name="Last check-in">
                  {agent.lastCheckinAt && (
                    <time dateTime={agent.lastCheckinAt} title={formatTime(agent.lastCheckinAt)}>
                      {formatRelative(agent.lastCheckinAt)} ({formatTime(agent.lastCheckinAt)})
                    </time>
                  )}
                </Prop>
                <Prop name="Agent version">{agent.agentVersion}</Prop>
                <Prop name="Status">{AGENT_STATUS[agent.status]}</Prop>
                <Prop name="Enrolled">{formatTime(agent.enrolledAt)}</Prop>
              </dl>
            ) : (
              <p className="muted">No agent is enrolled for this host; the facts came from {facts?.source ?? 'elsewhere'}.</p>
            )}
            {agent && (
              <p>
                <Link to={withQuery('/agents', { q: agent.hostname, status: 'all' })}>This agent on the Agents page</Link>
              </p>
            )}
          </div>
        </div>
      )}
    </section>
  );
}
