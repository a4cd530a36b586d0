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

// One page is enough to say "100+"; the register shows them all.
const LIMIT = 100;

async function countMine(slaState: string): Promise<{ n: number; more: boolean }> {
  const page = await api.listFindings({ mine: 'true', slaState, limit: String(LIMIT), sort: 'dueAt' });
  return { n: page.items.length, more: page.nextCursor !== null };
}

export function MyOverdue() {
  const { me, can } = useSession();
  const person = me.user !== null && can('asset:read');
  const counts = useLoad(async () => (person ? { overdue: await countMine('overdue'), dueSoon: await countMine('due_soon') } : null), person ? 'my-overdue' : 'none');
  const c = counts.data;
  if (!c) return null;
  const owner = me.principal.role === 'system_owner';
  if (!owner && c.overdue.n === 0 && c.dueSoon.n === 0) return null;
  const n = (x: { n: number; more: boolean }) => `${x.n}${x.more ? '+' : ''}`;
  const calm = c.overdue.n === 0;
  return (
    <div className="stat-row">
      <Link className={`stat my-overdue${calm ? ' calm' : ''}`} to={MY_OVERDUE_URL}>
        <span className="stat-value">{n(c.overdue)}</span>
        <span className="stat-label">
          {c.overdue.n === 0 ? 'You have no overdue findings' : `You have ${n(c.overdue)} overdue finding${c.overdue.n === 1 && !c.overdue.more ? '' : 's'}`}
          {c.dueSoon.n > 0 ? `, and ${n(c.dueSoon)} due soon` : ''} — open “My overdue”
        </span>
      </Link>
    </div>
  );
}
