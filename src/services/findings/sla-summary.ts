import { sql } from 'kysely';
import { z } from 'zod';
import { type PriorityClass, priorityOfRank } from '../../domain/priority/policy.js';
import type { SlaCounts as Counts, SlaSummary } from '../../domain/priority/summary.js';
import type { Db } from '../../storage/db.js';
import { authorize, type Ctx } from '../context.js';
import { currentPolicy } from '../priority/policy.service.js';
import { findingFilterFields, prepareFilters, severityWhere, slaStateWhere, withoutJit } from './register.js';

/**
 * The overdue figures (issue #6, VUL-5): open findings by priority class and
 * SLA state, with the register's filters (a department, an environment, the
 * caller's own systems with mine=true). What a security manager reports and an
 * auditor samples: excepted findings are counted apart, never as overdue.
 * One aggregate over the open findings selected, whatever their number.
 */
const { status: _status, slaState: _slaState, ...filters } = findingFilterFields;
export const slaSummaryQuerySchema = z.strictObject(filters);
export type SlaSummaryQuery = z.infer<typeof slaSummaryQuerySchema>;

const zero = (): Counts => ({ total: 0, onTrack: 0, dueSoon: 0, overdue: 0, excepted: 0, noDeadline: 0, emergencies: 0 });

export async function slaSummary(db: Db, ctx: Ctx, q: SlaSummaryQuery): Promise<SlaSummary> {
  authorize(ctx, 'asset:read');
  const { version, document } = await currentPolicy(db);
  const asOf = new Date().toISOString();
  const byRank = new Map<number, Counts>();
  let unprioritised = 0;
  const p = await prepareFilters(db, q, ctx.principal.userId);
  if (!p.empty) {
    const joins = [...(p.needV || p.ranks ? [sql`join vulnerabilities v on v.num = f.vulnerability_num`] : []), ...(p.needA ? [sql`join assets a on a.id = f.asset_id`] : [])];
    const where = [sql`f.status = 'open'`, ...p.where, ...severityWhere(p.ranks, null)];
    const state = (s: Parameters<typeof slaStateWhere>[0]) => sql`(count(*) filter (where ${slaStateWhere(s, document.dueSoonPercent)}))::int`;
    const rows = await withoutJit(db, (tx) =>
      sql<Counts & { rank: number }>`
        select coalesce(f.priority, -1)::int as rank, count(*)::int as total, ${state('on_track')} as "onTrack", ${state('due_soon')} as "dueSoon",
               ${state('overdue')} as overdue, ${state('excepted')} as excepted, ${state('no_deadline')} as "noDeadline", (count(*) filter (where f.emergency))::int as emergencies
        from findings f ${sql.join(joins, sql` `)} where ${sql.join(where, sql` and `)} group by 1`.execute(tx),
    );
    for (const { rank, ...c } of rows.rows) {
      if (rank < 0) unprioritised = c.total;
      else byRank.set(rank, c);
    }
  }
  const byPriority = [4, 3, 2, 1, 0].map((rank) => ({ priority: priorityOfRank(rank) as PriorityClass, ...(byRank.get(rank) ?? zero()) }));
  const totals = zero();
  for (const c of byPriority) for (const k of Object.keys(totals) as (keyof Counts)[]) totals[k] += c[k];
  totals.total += unprioritised;
  return { asOf, policyVersion: version, dueSoonPercent: document.dueSoonPercent, byPriority, unprioritised, totals };
}
