/**
 * Why a finding has its priority and due date (VUL-4: "the user sees why"):
 * the class, the emergency flag, the due date with its SLA state and how much
 * of the window has passed, the policy version that set it, extensions and
 * exceptions, each factor with its value and effect, and the history of
 * class and due-date changes with the rule that applied.
 */
import { ErrorBanner, Spinner, useLoad } from '../components.js';
import { formatTime } from '../labels.js';
import { type PriorityExplanation, policyApi } from '../policy/api.js';
import { PRIORITY_LABEL, basisText, formatDate, formatElapsed } from '../policy/format.js';
import { Link } from '../router.js';
import { EmergencyFlag, PriorityBadge, SlaBadge } from './findings/PriorityBadge.js';

export function PriorityPanel({ findingId }: { findingId: string }) {
  const e = useLoad(() => policyApi.explain(findingId), findingId);
  return (
    <section className="card" aria-labelledby="priority-title">
      <h2 id="priority-title">Priority and due date</h2>
      <ErrorBanner error={e.error} />
      {!e.data && e.loading && <Spinner />}
      {e.data && <Explanation x={e.data} />}
    </section>
  );
}

/** The explanation itself, for a loaded answer (exported for the unit test). */
export function Explanation({ x }: { x: PriorityExplanation }) {
  const s = x.stored;
  const c = x.current;
  return (
    <>
      {s.priority === null ? (
        <p className="muted">Not prioritised yet: the background worker evaluates new findings within moments. The policy in force would make it {PRIORITY_LABEL[c.priority]}.</p>
      ) : (
        <dl className="props">
          <dt>Priority</dt>
          <dd>
            <PriorityBadge priority={s.priority} /> {s.emergency && <EmergencyFlag />}
            {s.score !== null && <span className="muted"> risk score {s.score.toFixed(1)}</span>}
            {s.decision && <span className="muted"> · {s.decision}</span>}
          </dd>
          <dt>Due</dt>
          <dd>
            {s.dueAt ? (
              <>
                <time dateTime={s.dueAt} className={s.slaState === 'overdue' ? 'due-overdue' : undefined}>
                  {formatTime(s.dueAt)}
                </time>{' '}
                <SlaBadge state={s.slaState} />
              </>
            ) : (
              <span className="muted">No deadline (the policy sets none for this class)</span>
            )}
          </dd>
          {s.dueAt && s.elapsedPercent !== null && x.status === 'open' && (
            <>
              <dt>SLA window elapsed</dt>
              <dd>
                <meter className="sla-meter" min={0} max={100} low={50} high={99} optimum={0} value={Math.min(100, Math.max(0, s.elapsedPercent))} aria-label="Share of the SLA window elapsed" />{' '}
                {formatElapsed(s.elapsedPercent)}
                {s.slaDays !== null && <span className="muted small"> of {s.slaDays} days{s.classSince ? ` from ${formatDate(s.classSince)}` : ''}</span>}
              </dd>
            </>
          )}
          <dt>Set by</dt>
          <dd>
            {s.policyVersion !== null ? <Link to={`/policy/history?version=${s.policyVersion}`}>policy version {s.policyVersion}</Link> : <span className="muted">—</span>}
            {s.prioritisedAt && <span className="muted small"> · evaluated {formatTime(s.prioritisedAt)}</span>}
          </dd>
          {s.extendedDueAt && (
            <>
              <dt>SLA extension</dt>
              <dd>An approved SLA extension (INC-3) moved the due date to {formatTime(s.extendedDueAt)}.</dd>
            </>
          )}
          {s.exceptionId && (
            <>
              <dt>Risk exception</dt>
              <dd>
                Covered by an approved <Link to={`/exceptions/${s.exceptionId}`}>risk exception</Link>: it is left out of the overdue figures while the exception is valid.
              </dd>
            </>
          )}
        </dl>
      )}
      {!c.upToDate && s.priority !== null && (
        <p className="notice notice-bad" role="note">
          The inputs changed since the last evaluation; a re-prioritisation is queued. Under policy version {c.policyVersion} it will be {PRIORITY_LABEL[c.priority]}
          {c.emergency ? ' (emergency)' : ''}
          {c.slaDays !== null ? ` with an SLA of ${c.slaDays} days` : ''}.
        </p>
      )}
      <table className="data">
        <caption>
          Factors <span className="muted small">({c.modelLabel}, policy version {c.policyVersion})</span>
        </caption>
        <thead>
          <tr>
            <th scope="col">Factor</th>
            <th scope="col">Value</th>
            <th scope="col">Effect</th>
          </tr>
        </thead>
        <tbody>
          {c.factors.map((f, i) => (
            // biome-ignore lint/suspicious/noArrayIndexKey: a factor can appear twice (one row per control)
            <tr key={i}>
              <th scope="row">{f.factor}</th>
              <td>{f.value}</td>
              <td>{f.effect}</td>
            </tr>
          ))}
        </tbody>
      </table>
      <History x={x} />
    </>
  );
}

function History({ x }: { x: PriorityExplanation }) {
  if (x.history.length === 0) return <p className="muted">No priority changes recorded yet.</p>;
  return (
    <table className="data">
      <caption>Class and due-date changes</caption>
      <thead>
        <tr>
          <th scope="col">When</th>
          <th scope="col">Class</th>
          <th scope="col">Due date</th>
          <th scope="col">Rule</th>
          <th scope="col">Cause</th>
        </tr>
      </thead>
      <tbody>
        {x.history.map((h, i) => (
          // biome-ignore lint/suspicious/noArrayIndexKey: the history is append-only and in order
          <tr key={i}>
            <td className="nowrap">
              <time dateTime={h.at}>{formatTime(h.at)}</time>
            </td>
            <td className="nowrap">
              {h.previousPriority && h.previousPriority !== h.priority && <>{PRIORITY_LABEL[h.previousPriority]} → </>}
              <PriorityBadge priority={h.priority} /> {h.emergency && <EmergencyFlag />}
            </td>
            <td className="nowrap">
              {h.previousDueAt && h.previousDueAt !== h.dueAt && <>{formatDate(h.previousDueAt)} → </>}
              {h.dueAt ? formatDate(h.dueAt) : <span className="muted">none</span>}
            </td>
            <td>{basisText(h.basis)}</td>
            <td>
              {h.trigger} <span className="muted small">(policy v{h.policyVersion})</span>
            </td>
          </tr>
        ))}
      </tbody>
    </table>
  );
}
