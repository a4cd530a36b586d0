/**
 * "You have N overdue findings": the system owner's way into the register's
 * "my overdue" view (their assets' overdue and due-soon findings, earliest
 * due first). Shown to system owners always, to others when they own
 * something overdue or due soon.
 */
import { api } from '../../api.js';
import { useLoad, useSession } from '../../components.js';
import { MY_OVERDUE_URL } from '../../policy/api.js';
import { Link } from '../../router.js';
import '../../policy/policy.css';

/** Exact counts from the overdue figures of the caller's own systems. */
async function countMine(): Promise<{ overdue: number; dueSoon: number }> {
  const s = await api.slaSummary({ mine: 'true' });
  return { overdue: s.totals.overdue, dueSoon: s.totals.dueSoon };
}

export function MyOverdue() {
  const { me, can } = useSession();
  const person = me.user !== null && can('asset:read');
  const counts = useLoad(async () => (person ? countMine() : null), person ? 'my-overdue' : 'none');
  const c = counts.data;
  if (!c) return null;
  const owner = me.principal.role === 'system_owner';
  if (!owner && c.overdue === 0 && c.dueSoon === 0) return null;
  const calm = c.overdue === 0;
  return (
    <div className="stat-row">
      <Link className={`stat my-overdue${calm ? ' calm' : ''}`} to={MY_OVERDUE_URL}>
        <span className="stat-value">{c.overdue}</span>
        <span className="stat-label">
          {c.overdue === 0 ? 'You have no overdue findings' : `You have ${c.overdue} overdue finding${c.overdue === 1 ? '' : 's'}`}
          {c.dueSoon > 0 ? `, and ${c.dueSoon} due soon` : ''} — open “My overdue”
        </span>
      </Link>
    </div>
  );
}
