import { type RawBuilder, sql } from 'kysely';
import type { Principal } from '../../domain/auth/principal.js';
import { addDays, utcDay } from '../../domain/eol/cycles.js';
import {
  approverRoles,
  EXCEPTION_ACTION_FROM,
  type ExceptionAction,
  type ExceptionListQuery,
  type ExceptionScope,
  type ExceptionStatus,
  exceptionListQuerySchema,
  exceptionRefusal,
  type RiskException,
  type RiskExceptionDetail,
  type RiskExceptionHistoryEntry,
  reviewDue,
} from '../../domain/exceptions/index.js';
import type { Policy } from '../../domain/priority/policy.js';
import { NotFoundError } from '../../lib/errors.js';
import type { Db, Tx } from '../../storage/db.js';
import { authorize, type Ctx } from '../context.js';
import { currentPolicy } from '../priority/policy.service.js';
import { uncoveredUnsupported } from './coverage.js';
import { parseInput } from './parse.js';

/** The exception register (VUL-7): one exception, the filtered list, and what the signed-in person may do. */
export interface ExceptionRow {
  id: string;
  scope: ExceptionScope;
  finding_id: string | null;
  vulnerability_num: number | null;
  vulnerability_id: string | null;
  vulnerability_title: string | null;
  asset_id: string | null;
  asset_hostname: string | null;
  asset_ids: string[];
  justification: string;
  compensating_controls: string;
  risk_owner_id: string;
  risk_owner_name: string;
  expires_on: string;
  review_interval_days: number;
  next_review_on: string | null;
  last_reviewed_at: Date | null;
  unsupported_system: boolean;
  status: ExceptionStatus;
  renews_id: string | null;
  requested_by: string | null;
  requested_by_name: string;
  created_at: Date;
  decided_by: string | null;
  decided_by_name: string | null;
  decided_at: Date | null;
  decision_note: string | null;
  policy_version: number | null;
  ended_at: Date | null;
  ended_by_name: string | null;
  end_reason: string | null;
  updated_at: Date;
  version: number;
  covered: number;
}

const SELECT = sql`select e.id, e.scope, e.finding_id::text as finding_id, e.vulnerability_num, v.id as vulnerability_id, v.title as vulnerability_title,
    e.asset_id, a.hostname as asset_hostname, e.asset_ids::text[] as asset_ids, e.justification, e.compensating_controls,
    e.risk_owner_id, coalesce(nullif(ro.display_name, ''), ro.username) as risk_owner_name,
    e.expires_on::text as expires_on, e.review_interval_days, e.next_review_on::text as next_review_on, e.last_reviewed_at, e.unsupported_system, e.status, e.renews_id,
    e.requested_by, e.requested_by_name, e.created_at, e.decided_by, e.decided_by_name, e.decided_at, e.decision_note, e.policy_version,
    e.ended_at, e.ended_by_name, e.end_reason, e.updated_at, e.version,
    (select count(*)::int from findings f where f.exception_id = e.id and f.status = 'open') as covered
  from risk_exceptions e
  left join vulnerabilities v on v.num = e.vulnerability_num
  left join assets a on a.id = e.asset_id
  join users ro on ro.id = e.risk_owner_id`;

export async function loadRows(db: Db | Tx, where: RawBuilder<unknown>, page?: { limit: number; offset: number }): Promise<ExceptionRow[]> {
  const paging = page ? sql`limit ${page.limit} offset ${page.offset}` : sql``;
  const r = await sql<ExceptionRow>`${SELECT} where ${where} order by e.created_at desc, e.id ${paging}`.execute(db);
  return r.rows;
}

async function hostnames(db: Db | Tx, rows: ExceptionRow[]): Promise<Map<string, string>> {
  const ids = [...new Set(rows.flatMap((r) => r.asset_ids))];
  if (ids.length === 0) return new Map();
  const r = await db.selectFrom('assets').select(['id', 'hostname']).where('id', 'in', ids).execute();
  return new Map(r.map((a) => [a.id, a.hostname]));
}

const iso = (d: Date | null) => (d ? d.toISOString() : null);

export function toException(r: ExceptionRow, names: Map<string, string>, today: string): RiskException {
  return {
    id: r.id,
    scope: r.scope,
    findingId: r.finding_id,
    vulnerability: r.vulnerability_id ? { id: r.vulnerability_id, title: r.vulnerability_title } : null,
    asset: r.asset_id ? { id: r.asset_id, hostname: r.asset_hostname ?? r.asset_id } : null,
    assets: r.asset_ids.map((id) => ({ id, hostname: names.get(id) ?? id })),
    justification: r.justification,
    compensatingControls: r.compensating_controls,
    riskOwner: { id: r.risk_owner_id, name: r.risk_owner_name },
    requestedBy: { id: r.requested_by, name: r.requested_by_name },
    requestedAt: r.created_at.toISOString(),
    expiresOn: r.expires_on,
    reviewIntervalDays: r.review_interval_days,
    nextReviewOn: r.next_review_on,
    lastReviewedAt: iso(r.last_reviewed_at),
    reviewDue: r.status === 'approved' && reviewDue(r.next_review_on, today),
    unsupportedSystem: r.unsupported_system,
    status: r.status,
    renews: r.renews_id,
    decidedBy: r.decided_by_name ? { id: r.decided_by, name: r.decided_by_name } : null,
    decidedAt: iso(r.decided_at),
    decisionNote: r.decision_note,
    policyVersion: r.policy_version,
    endedAt: iso(r.ended_at),
    endReason: r.end_reason,
    coveredFindings: r.covered,
    updatedAt: r.updated_at.toISOString(),
    version: r.version,
  };
}

/** The vulnerability's number from its id or one of its aliases (CVE for a GHSA…); null when unknown. */
export async function vulnerabilityNum(db: Db | Tx, id: string): Promise<number | null> {
  const r = await sql<{ num: number }>`
    select num from vulnerabilities where id = ${id}
    union all
    select v.num from vulnerability_aliases va join vulnerabilities v on v.id = va.vulnerability_id where va.alias = ${id}
    limit 1`.execute(db);
  return r.rows[0]?.num ?? null;
}

async function filters(db: Db, q: ReturnType<typeof exceptionListQuerySchema.parse>, today: string): Promise<RawBuilder<unknown>> {
  const where: RawBuilder<unknown>[] = [sql`true`];
  if (q.status) where.push(sql`e.status = ${q.status}`);
  if (q.scope) where.push(sql`e.scope = ${q.scope}`);
  if (q.assetId) {
    where.push(sql`(e.asset_id = ${q.assetId}::uuid or ${q.assetId}::uuid = any(e.asset_ids)
      or (e.scope = 'vulnerability' and cardinality(e.asset_ids) = 0
          and exists (select 1 from findings f where f.vulnerability_num = e.vulnerability_num and f.asset_id = ${q.assetId}::uuid)))`);
  }
  if (q.vulnerabilityId) {
    const num = await vulnerabilityNum(db, q.vulnerabilityId);
    where.push(num === null ? sql`false` : sql`e.vulnerability_num = ${num}`);
  }
  if (q.expiringWithinDays !== undefined) where.push(sql`e.status = 'approved' and e.expires_on <= ${addDays(today, q.expiringWithinDays)}::date`);
  if (q.reviewDue === 'true') where.push(sql`e.status = 'approved' and e.next_review_on <= ${today}::date`);
  if (q.reviewDue === 'false') where.push(sql`not (e.status = 'approved' and coalesce(e.next_review_on <= ${today}::date, false))`);
  return sql.join(where, sql` and `);
}

export async function listExceptions(db: Db, ctx: Ctx, query: ExceptionListQuery): Promise<{ items: RiskException[]; total: number }> {
  authorize(ctx, 'asset:read');
  const q = parseInput(exceptionListQuerySchema, query, 'querystring');
  const today = utcDay(new Date());
  const where = await filters(db, q, today);
  const rows = await loadRows(db, where, { limit: q.limit, offset: q.offset });
  const total = await sql<{ n: number }>`select count(*)::int as n from risk_exceptions e where ${where}`.execute(db);
  const names = await hostnames(db, rows);
  return { items: rows.map((r) => toException(r, names, today)), total: total.rows[0]?.n ?? 0 };
}

/** Every exception the filters select, oldest page first, a page at a time (the CSV export). */
export async function* allExceptions(db: Db, ctx: Ctx, query: ExceptionListQuery): AsyncGenerator<RiskException[]> {
  authorize(ctx, 'asset:read');
  const q = parseInput(exceptionListQuerySchema, { ...query, limit: undefined, offset: undefined }, 'querystring');
  const today = utcDay(new Date());
  const where = await filters(db, q, today);
  for (let offset = 0; ; offset += 500) {
    const rows = await loadRows(db, where, { limit: 500, offset });
    if (rows.length === 0) return;
    const names = await hostnames(db, rows);
    yield rows.map((r) => toException(r, names, today));
    if (rows.length < 500) return;
  }
}

const ACTION_PERMISSIONS: Record<ExceptionAction, readonly ('exception:decide' | 'exception:request')[]> = {
  approve: ['exception:decide'],
  reject: ['exception:decide'],
  revoke: ['exception:decide', 'exception:request'],
  review: ['exception:decide', 'exception:request'],
};

export const partiesOf = (r: Pick<ExceptionRow, 'requested_by' | 'risk_owner_id' | 'unsupported_system'>, unsupported = r.unsupported_system) => ({
  requesterId: r.requested_by,
  riskOwnerId: r.risk_owner_id,
  unsupportedSystem: unsupported,
});

/** Whether this person may take the action now: permission, status, then the policy and separation of duties. */
export function mayAct(p: Principal, policy: Policy, r: ExceptionRow, action: ExceptionAction): boolean {
  if (!ACTION_PERMISSIONS[action].some((perm) => p.permissions.has(perm))) return false;
  if (r.status !== EXCEPTION_ACTION_FROM[action]) return false;
  return exceptionRefusal(action, policy.approvals, partiesOf(r), { userId: p.userId, role: p.role }) === null;
}

export async function getException(db: Db, ctx: Ctx, id: string): Promise<RiskExceptionDetail> {
  authorize(ctx, 'asset:read');
  if (!/^[0-9a-f-]{36}$/i.test(id)) throw new NotFoundError('Risk exception');
  const [row] = await loadRows(db, sql`e.id = ${id}::uuid`);
  if (!row) throw new NotFoundError('Risk exception');
  const { document: policy } = await currentPolicy(db);
  const reviews = await db.selectFrom('risk_exception_reviews').select(['reviewer_name', 'at', 'note']).where('exception_id', '=', id).orderBy('id').execute();
  const history: RiskExceptionHistoryEntry[] = [{ at: row.created_at.toISOString(), event: 'requested', actor: row.requested_by_name, note: null }];
  if (row.decided_at && row.decided_by_name) {
    history.push({ at: row.decided_at.toISOString(), event: row.status === 'rejected' ? 'rejected' : 'approved', actor: row.decided_by_name, note: row.decision_note });
  }
  for (const rv of reviews) history.push({ at: rv.at.toISOString(), event: 'reviewed', actor: rv.reviewer_name, note: rv.note });
  if (row.ended_at && (row.status === 'expired' || row.status === 'revoked')) {
    history.push({ at: row.ended_at.toISOString(), event: row.status, actor: row.ended_by_name ?? 'patchloop', note: row.end_reason });
  }
  history.sort((a, b) => a.at.localeCompare(b.at));
  const today = utcDay(new Date());
  const actions: ExceptionAction[] = ['approve', 'reject', 'revoke', 'review'];
  return {
    ...toException(row, await hostnames(db, [row]), today),
    history,
    allowed: Object.fromEntries(actions.map((a) => [a, mayAct(ctx.principal, policy, row, a)])) as Record<ExceptionAction, boolean>,
    approverRoles: [...approverRoles(policy.approvals, row.unsupported_system ? 'unsupported' : 'exception')],
    uncoveredUnsupported: await uncoveredUnsupported(db, id),
  };
}
