/** A finding's priority class, the emergency flag and its due date with the SLA state: the register's columns and the priority panel's head. */
import type { Finding } from '../../api.js';
import { Badge } from '../../components.js';
import { PRIORITY_LABEL, SLA_STATE_KIND, SLA_STATE_LABEL, formatDate } from '../../policy/format.js';
import type { PriorityClass, SlaState } from '../../policy/api.js';
import '../../policy/policy.css';

export function PriorityBadge({ priority }: { priority: PriorityClass | null }) {
  if (!priority) return <span className="muted small">Not yet prioritised</span>;
  return <span className={`prio prio-${priority}`}>{PRIORITY_LABEL[priority]}</span>;
}

export function EmergencyFlag() {
  return (
    <span className="emergency" title="Actively exploited on an exposed asset: the emergency patch procedure applies (INC-1)">
      EMERGENCY
    </span>
  );
}

export function SlaBadge({ state }: { state: SlaState | null }) {
  if (!state) return null;
  return <Badge kind={SLA_STATE_KIND[state]}>{SLA_STATE_LABEL[state]}</Badge>;
}

/** Due date, SLA state and the emergency flag, overdue in red. */
export function DueCell({ finding: f }: { finding: Pick<Finding, 'dueAt' | 'slaState' | 'emergency' | 'extendedDueAt' | 'status'> }) {
  const overdue = f.slaState === 'overdue';
  return (
    <span className="due">
      {f.dueAt ? (
        <time dateTime={f.dueAt} className={overdue ? 'due-overdue nowrap' : 'nowrap'}>
          {formatDate(f.dueAt)}
        </time>
      ) : (
        <span className="muted">—</span>
      )}
      <span className="nowrap">
        {f.status === 'open' && <SlaBadge state={f.slaState} />}
        {f.emergency && f.status === 'open' && <> <EmergencyFlag /></>}
        {f.extendedDueAt && <span className="muted small" title="An approved SLA extension set this due date"> extended</span>}
      </span>
    </span>
  );
}
