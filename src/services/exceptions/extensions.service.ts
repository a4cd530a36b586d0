import { type RawBuilder, sql } from 'kysely';
import type { Principal } from '../../domain/auth/principal.js';
import { utcDay } from '../../domain/eol/cycles.js';
import {
  approveSchema,
  endOfDayUtc,
  EXTENSION_ACTION_FROM,
  type ExtensionAction,
  type ExtensionListQuery,
  type ExtensionStatus,
  extendsFinding,
  extensionDueProblem,
  extensionListQuerySchema,
  extensionRefusal,
  extensionRequestSchema,
  rejectSchema,
  type SlaExtension,
  withdrawSchema,
} from '../../domain/exceptions/index.js';
import type { Policy } from '../../domain/priority/policy.js';
import { ConflictError, ForbiddenError, NotFoundError, ValidationError } from '../../lib/errors.js';
import type { Db, Tx } from '../../storage/db.js';
import * as audit from '../audit/audit.service.js';
import { authorize, type Ctx } from '../context.js';
import { currentPolicy } from '../priority/policy.service.js';
import { requestReprioritisation } from '../priority/requests.js';
import { settlePriorities } from '../priority/worker.js';
import { parseInput } from './parse.js';

/**
 * SLA extensions (INC-3: "SLAs adjusted during an incident only with
 * justification and approval"). A request names findings and a new due day;
 * approval by a role the policy names (never the requester) sets
 * findings.extended_due_at, and re-prioritisation moves due_at there (the
 * deadline rules: an extension is the one thing that moves a due date later),
 * with a history line naming the extension.
 */
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
const LISTED = 100;

interface Row {
  id: string;
  new_due_on: string;
  justification: string;
  incident_ref: string | null;
  status: ExtensionStatus;
  requested_by: string | null;
  requested_by_name: string;
  created_at: Date;
  decided_by: string | null;
  decided_by_name: string | null;
  decided_at: Date | null;
  decision_note: string | null;
  policy_version: number | null;
  version: number;
}

async function rows(db: Db | Tx, where: RawBuilder<unknown>, page?: { limit: number; offset: number }): Promise<Row[]> {
  const paging = page ? sql`limit ${page.limit} offset ${page.offset}` : sql``;
  const r = await sql<Row>`select x.id, x.new_due_on::text as new_due_on, x.justification, x.incident_ref, x.status, x.requested_by, x.requested_by_name, x.created_at,
      x.decided_by, x.decided_by_name, x.decided_at, x.decision_note, x.policy_version, x.version
    from sla_extensions x where ${where} order by x.created_at desc, x.id ${paging}`.execute(db);
  return r.rows;
}

const ACTIONS: ExtensionAction[] = ['approve', 'reject', 'withdraw'];

function mayAct(p: Principal, policy: Policy, r: Row, action: ExtensionAction): boolean {
  if (action !== 'withdraw' && !p.permissions.has('exception:decide')) return false;
  if (r.status !== EXTENSION_ACTION_FROM[action]) return false;
  return extensionRefusal(action, policy.approvals, { requesterId: r.requested_by }, { userId: p.userId, role: p.role }) === null;
}

async function views(db: Db | Tx, ctx: Ctx, list: Row[]): Promise<SlaExtension[]> {
  if (list.length === 0) return [];
  const { document: policy } = await currentPolicy(db);
  const fs = await sql<{ extension_id: string; id: string; vulnerability_id: string; hostname: string; status: string; due_at: Date | null; due_at_request: Date | null; due_before_approval: Date | null }>`
    select xf.extension_id, f.id::text as id, v.id as vulnerability_id, a.hostname, f.status, f.due_at, xf.due_at_request, xf.due_before_approval
    from sla_extension_findings xf join findings f on f.id = xf.finding_id join vulnerabilities v on v.num = f.vulnerability_num join assets a on a.id = f.asset_id
    where xf.extension_id = any(${sql.val(list.map((r) => r.id))}::uuid[]) order by xf.finding_id`.execute(db);
  const iso = (d: Date | null) => (d ? d.toISOString() : null);
  return list.map((r) => ({
    id: r.id,
    findings: fs.rows
      .filter((f) => f.extension_id === r.id)
      .map((f) => ({ id: f.id, vulnerabilityId: f.vulnerability_id, hostname: f.hostname, status: f.status, dueAt: iso(f.due_at), dueAtRequest: iso(f.due_at_request), dueBeforeApproval: iso(f.due_before_approval) })),
    newDueOn: r.new_due_on,
    justification: r.justification,
    incidentRef: r.incident_ref,
    status: r.status,
    requestedBy: { id: r.requested_by, name: r.requested_by_name },
    requestedAt: r.created_at.toISOString(),
    decidedBy: r.decided_by_name ? { id: r.decided_by, name: r.decided_by_name } : null,
    decidedAt: iso(r.decided_at),
    decisionNote: r.decision_note,
    policyVersion: r.policy_version,
    version: r.version,
    allowed: Object.fromEntries(ACTIONS.map((a) => [a, mayAct(ctx.principal, policy, r, a)])) as Record<ExtensionAction, boolean>,
  }));
}

export async function getExtension(db: Db, ctx: Ctx, id: string): Promise<SlaExtension> {
  authorize(ctx, 'asset:read');
  if (!UUID.test(id)) throw new NotFoundError('SLA extension');
  const [v] = await views(db, ctx, await rows(db, sql`x.id = ${id}::uuid`));
  if (!v) throw new NotFoundError('SLA extension');
  return v;
}

export async function listExtensions(db: Db, ctx: Ctx, query: ExtensionListQuery): Promise<{ items: SlaExtension[]; total: number }> {
  authorize(ctx, 'asset:read');
  const q = parseInput(extensionListQuerySchema, query, 'querystring');
  const where: RawBuilder<unknown>[] = [sql`true`];
  if (q.status) where.push(sql`x.status = ${q.status}`);
  if (q.findingId) where.push(sql`exists (select 1 from sla_extension_findings xf where xf.extension_id = x.id and xf.finding_id = ${q.findingId}::bigint)`);
  const w = sql.join(where, sql` and `);
  const total = await sql<{ n: number }>`select count(*)::int as n from sla_extensions x where ${w}`.execute(db);
  return { items: await views(db, ctx, await rows(db, w, { limit: q.limit, offset: q.offset })), total: total.rows[0]?.n ?? 0 };
}

/** The extensions naming a finding, newest first (the finding page). */
export async function findingExtensions(db: Db, ctx: Ctx, findingId: string): Promise<SlaExtension[]> {
  authorize(ctx, 'asset:read');
  if (!/^[0-9]{1,18}$/.test(findingId)) throw new NotFoundError('Finding');
  const f = await db.selectFrom('findings').select('id').where('id', '=', findingId).executeTakeFirst();
  if (!f) throw new NotFoundError('Finding');
  return views(db, ctx, await rows(db, sql`exists (select 1 from sla_extension_findings xf where xf.extension_id = x.id and xf.finding_id = ${findingId}::bigint)`));
}

function listed(items: string[]): string {
  return items.length > 20 ? `${items.slice(0, 20).join(', ')} and ${items.length - 20} more` : items.join(', ');
}

export async function requestExtension(db: Db, ctx: Ctx, input: unknown): Promise<SlaExtension> {
  authorize(ctx, 'exception:request');
  const v = parseInput(extensionRequestSchema, input);
  const now = new Date();
  const { document: policy } = await currentPolicy(db);
  const due = extensionDueProblem(v.newDueOn, utcDay(now), policy.exceptions.maxDays);
  if (due) throw new ValidationError(`The new due date ${v.newDueOn} ${due}`, [{ field: 'body.newDueOn', message: due }]);
  const id = await db.transaction().execute(async (tx) => {
    const found = await sql<{ id: string; status: string; due_at: Date | null }>`
      select id::text as id, status, due_at from findings where id = any(${sql.val(v.findingIds)}::bigint[]) order by id for share`.execute(tx);
    const byId = new Map(found.rows.map((f) => [f.id, f]));
    const problems = v.findingIds.flatMap((fid, i) => {
      const f = byId.get(fid);
      const why = f ? extendsFinding({ dueAt: f.due_at, status: f.status }, v.newDueOn) : 'does not exist';
      return why ? [{ field: `body.findingIds.${i}`, message: `finding ${fid} ${why}` }] : [];
    });
    if (problems.length) {
      throw new ValidationError(`Nothing was requested: ${listed(problems.map((p) => p.message))}`, problems.slice(0, LISTED));
    }
    const row = await tx
      .insertInto('sla_extensions')
      .values({
        new_due_on: v.newDueOn, justification: v.justification, incident_ref: v.incidentRef ?? null, status: 'requested', requested_by: ctx.principal.userId,
        requested_by_name: ctx.principal.name, created_at: now, updated_at: now, decided_by: null, decided_by_name: null, decided_at: null, decision_note: null, policy_version: null,
      })
      .returning('id')
      .executeTakeFirstOrThrow();
    await tx
      .insertInto('sla_extension_findings')
      .values(v.findingIds.map((fid) => ({ extension_id: row.id, finding_id: fid, due_at_request: byId.get(fid)?.due_at ?? null, due_before_approval: null })))
      .execute();
    await audit.record(tx, ctx, {
      action: 'sla_extension.request', entityType: 'sla_extension', entityId: row.id, before: null,
      after: { findingIds: v.findingIds, newDueOn: v.newDueOn, justification: v.justification, incidentRef: v.incidentRef ?? null, status: 'requested' },
    });
    return row.id;
  });
  return getExtension(db, ctx, id);
}

async function lock(tx: Tx, id: string, expected: number | undefined, action: ExtensionAction): Promise<Row> {
  if (!UUID.test(id)) throw new NotFoundError('SLA extension');
  await sql`select id from sla_extensions where id = ${id}::uuid for update`.execute(tx);
  const [row] = await rows(tx, sql`x.id = ${id}::uuid`);
  if (!row) throw new NotFoundError('SLA extension');
  if (expected !== undefined && expected !== row.version) {
    throw new ConflictError(`SLA extension ${id} changed since you read it (version ${row.version}, you sent ${expected}): reload and try again`, [{ field: 'body.version', message: `is ${row.version} now` }]);
  }
  if (row.status !== EXTENSION_ACTION_FROM[action]) throw new ConflictError(`SLA extension ${id} is ${row.status}: only a requested extension can be ${action === 'withdraw' ? 'withdrawn' : `${action}d`}`);
  return row;
}

const actorOf = (ctx: Ctx) => ({ userId: ctx.principal.userId, role: ctx.principal.role });

export async function approveExtension(db: Db, ctx: Ctx, id: string, input: unknown): Promise<SlaExtension> {
  authorize(ctx, 'exception:decide');
  const v = parseInput(approveSchema, input ?? {});
  const now = new Date();
  const moved = await db.transaction().execute(async (tx) => {
    const row = await lock(tx, id, v.version, 'approve');
    const { version: policyVersion, document: policy } = await currentPolicy(tx);
    const refusal = extensionRefusal('approve', policy.approvals, { requesterId: row.requested_by }, actorOf(ctx));
    if (refusal) throw new ForbiddenError(refusal);
    if (row.new_due_on <= utcDay(now)) throw new ConflictError(`SLA extension ${id} asks for ${row.new_due_on}, which has passed: reject it and request a new one`, [{ field: 'newDueOn', message: 'has passed' }]);
    await tx
      .updateTable('sla_extensions')
      .set((eb) => ({ status: 'approved', decided_by: ctx.principal.userId, decided_by_name: ctx.principal.name, decided_at: now, decision_note: v.note || null, policy_version: policyVersion, updated_at: now, version: eb('version', '+', 1) }))
      .where('id', '=', id)
      .execute();
    const due = endOfDayUtc(row.new_due_on);
    // Findings closed since the request need no new deadline; a later extension already granted stays.
    const open = await sql<{ id: string }>`update findings f set extended_due_at = greatest(coalesce(f.extended_due_at, ${due}::timestamptz), ${due}::timestamptz)
      from sla_extension_findings xf where xf.extension_id = ${id}::uuid and f.id = xf.finding_id and f.status = 'open' returning f.id::text as id`.execute(tx);
    await sql`update sla_extension_findings xf set due_before_approval = f.due_at from findings f where xf.extension_id = ${id}::uuid and f.id = xf.finding_id`.execute(tx);
    const ids = open.rows.map((r) => r.id);
    const trigger = `SLA extension ${id} to ${row.new_due_on} approved by ${ctx.principal.name}${row.incident_ref ? ` (incident ${row.incident_ref})` : ''}`;
    await requestReprioritisation(tx, { kind: 'findings', ids }, trigger, now);
    await audit.record(tx, ctx, {
      action: 'sla_extension.approve', entityType: 'sla_extension', entityId: id,
      before: { status: 'requested', version: row.version }, after: { status: 'approved', note: v.note || null, policyVersion, newDueOn: row.new_due_on, findingIds: ids, version: row.version + 1 },
    });
    return ids.length;
  });
  if (moved) await settlePriorities(db);
  return getExtension(db, ctx, id);
}

async function close(db: Db, ctx: Ctx, id: string, action: 'reject' | 'withdraw', note: string | null, expected: number | undefined): Promise<SlaExtension> {
  const now = new Date();
  await db.transaction().execute(async (tx) => {
    const row = await lock(tx, id, expected, action);
    const { version: policyVersion, document: policy } = await currentPolicy(tx);
    const refusal = extensionRefusal(action, policy.approvals, { requesterId: row.requested_by }, actorOf(ctx));
    if (refusal) throw new ForbiddenError(refusal);
    const status = action === 'reject' ? 'rejected' : 'withdrawn';
    await tx
      .updateTable('sla_extensions')
      .set((eb) => ({ status, decided_by: ctx.principal.userId, decided_by_name: ctx.principal.name, decided_at: now, decision_note: note, policy_version: action === 'reject' ? policyVersion : null, updated_at: now, version: eb('version', '+', 1) }))
      .where('id', '=', id)
      .execute();
    await audit.record(tx, ctx, { action: `sla_extension.${action}`, entityType: 'sla_extension', entityId: id, before: { status: 'requested', version: row.version }, after: { status, note, version: row.version + 1 } });
  });
  return getExtension(db, ctx, id);
}

export async function rejectExtension(db: Db, ctx: Ctx, id: string, input: unknown): Promise<SlaExtension> {
  authorize(ctx, 'exception:decide');
  const v = parseInput(rejectSchema, input);
  return close(db, ctx, id, 'reject', v.note, v.version);
}

export async function withdrawExtension(db: Db, ctx: Ctx, id: string, input: unknown): Promise<SlaExtension> {
  authorize(ctx, 'exception:request');
  const v = parseInput(withdrawSchema, input ?? {});
  return close(db, ctx, id, 'withdraw', v.note || null, v.version);
}
