import { sql } from 'kysely';
import { utcDay } from '../../domain/eol/cycles.js';
import {
  approveSchema,
  type ExceptionAction,
  exceptionRefusal,
  exceptionRequestSchema,
  expiryProblem,
  nextReviewOn,
  rejectSchema,
  reviewSchema,
  revokeSchema,
  type RiskExceptionDetail,
} from '../../domain/exceptions/index.js';
import { ConflictError, type FieldProblem, ForbiddenError, NotFoundError, ValidationError } from '../../lib/errors.js';
import type { Db, Tx } from '../../storage/db.js';
import * as audit from '../audit/audit.service.js';
import { authorize, authorizeAny, type Ctx } from '../context.js';
import { refreshEvaluations } from '../eol/evaluation.js';
import { currentPolicy } from '../priority/policy.service.js';
import { settlePriorities } from '../priority/worker.js';
import { coverWithin, releaseWithin } from './coverage.js';
import { parseInput } from './parse.js';
import { type ExceptionRow, getException, loadRows, partiesOf, vulnerabilityNum } from './register.js';

/**
 * Risk exceptions (VUL-7, LEG-3, LEG-5, GOV-3): request, approve, reject,
 * revoke, re-review. Each state change is one transaction with its audit
 * record; approving covers the findings in scope, ending releases them
 * (coverage.ts). Who may decide comes from the policy in force
 * (domain/exceptions/rules.ts), recorded with the decision.
 */
export { applyExceptionCoverage, expireExceptions } from './coverage.js';
export { getException, listExceptions } from './register.js';

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

interface Target {
  scope: string;
  finding_id: string | null;
  vulnerability_num: number | null;
  asset_id: string | null;
  asset_ids: string[];
}

/** The assets an exception concerns now: its asset, its finding's, its listed ones, or those with the vulnerability open. */
async function assetsInScope(db: Db, t: Target): Promise<string[]> {
  if (t.asset_id) return [t.asset_id];
  if (t.asset_ids.length) return t.asset_ids;
  const r = await sql<{ asset_id: string }>`select distinct asset_id from findings where vulnerability_num = ${t.vulnerability_num} and status = 'open' limit 5000`.execute(db);
  return r.rows.map((x) => x.asset_id);
}

/** LEG-3: does the exception accept the risk of an unsupported (end-of-life) system? */
async function touchesUnsupported(db: Db, t: Target): Promise<boolean> {
  const ids = await assetsInScope(db, t);
  if (ids.length === 0) return false;
  if (ids.length <= 1000) {
    // Best effort: the stored evaluation (at most 15 minutes old) decides when the dataset cannot be read.
    await refreshEvaluations(db, { assetIds: ids }).catch(() => 0);
  }
  const r = await sql<{ n: number }>`select count(*)::int as n from asset_eol where asset_id = any(${sql.val(ids)}::uuid[]) and state = 'unsupported'`.execute(db);
  return (r.rows[0]?.n ?? 0) > 0;
}

const actorOf = (ctx: Ctx) => ({ userId: ctx.principal.userId, role: ctx.principal.role });

export async function requestException(db: Db, ctx: Ctx, input: unknown): Promise<RiskExceptionDetail> {
  authorize(ctx, 'exception:request');
  const v = parseInput(exceptionRequestSchema, input);
  const now = new Date();
  const today = utcDay(now);
  const { document: policy } = await currentPolicy(db);
  const problems: FieldProblem[] = [];
  const expiry = expiryProblem(v.expiresOn, today, policy.exceptions.maxDays);
  if (expiry) problems.push({ field: 'body.expiresOn', message: expiry });
  const interval = v.reviewIntervalDays ?? policy.exceptions.reviewIntervalDays;
  if (interval > policy.exceptions.reviewIntervalDays) {
    problems.push({ field: 'body.reviewIntervalDays', message: `must be at most ${policy.exceptions.reviewIntervalDays} days (the policy's exceptions.reviewIntervalDays)` });
  }

  const target: Target = { scope: v.scope, finding_id: null, vulnerability_num: null, asset_id: null, asset_ids: [] };
  if (v.scope === 'finding') {
    const f = await db.selectFrom('findings').select(['id', 'status', 'asset_id', 'vulnerability_num']).where('id', '=', v.findingId as string).executeTakeFirst();
    if (!f) problems.push({ field: 'body.findingId', message: `there is no finding ${v.findingId}` });
    else if (f.status !== 'open') problems.push({ field: 'body.findingId', message: `finding ${v.findingId} is ${f.status.replace('_', ' ')}, not open` });
    else Object.assign(target, { finding_id: String(f.id), asset_id: f.asset_id, vulnerability_num: f.vulnerability_num });
  } else if (v.scope === 'vulnerability') {
    const num = await vulnerabilityNum(db, v.vulnerabilityId as string);
    if (num === null) problems.push({ field: 'body.vulnerabilityId', message: `there is no vulnerability ${v.vulnerabilityId}` });
    target.vulnerability_num = num;
    target.asset_ids = v.assetIds ?? [];
  } else {
    target.asset_id = v.assetId as string;
  }
  const wanted = target.scope === 'asset' ? [target.asset_id as string] : target.asset_ids;
  if (wanted.length && target.scope !== 'finding') {
    const found = new Set((await db.selectFrom('assets').select('id').where('id', 'in', wanted).execute()).map((a) => a.id));
    wanted.forEach((id, i) => {
      if (!found.has(id)) problems.push({ field: target.scope === 'asset' ? 'body.assetId' : `body.assetIds.${i}`, message: `there is no asset ${id}` });
    });
  }
  const owner = await db.selectFrom('users').select(['id', 'role', 'disabled']).where('id', '=', v.riskOwnerId).executeTakeFirst();
  if (!owner) problems.push({ field: 'body.riskOwnerId', message: `there is no user ${v.riskOwnerId}` });
  else if (owner.disabled) problems.push({ field: 'body.riskOwnerId', message: 'is a disabled account' });
  else if (owner.role === 'agent' || owner.role === 'auditor') problems.push({ field: 'body.riskOwnerId', message: `must be a person who can carry a risk, not an ${owner.role}` });
  if (v.renews) {
    const old = await db.selectFrom('risk_exceptions').select(['status', 'scope', 'finding_id', 'vulnerability_num', 'asset_id']).where('id', '=', v.renews).executeTakeFirst();
    if (!old) problems.push({ field: 'body.renews', message: `there is no risk exception ${v.renews}` });
    else if (old.status !== 'approved') problems.push({ field: 'body.renews', message: `exception ${v.renews} is ${old.status}: only an approved exception can be renewed` });
    else if (
      old.scope !== target.scope ||
      String(old.finding_id ?? '') !== String(target.finding_id ?? '') ||
      (target.scope !== 'finding' && (old.vulnerability_num !== target.vulnerability_num || old.asset_id !== target.asset_id))
    ) {
      problems.push({ field: 'body.renews', message: `exception ${v.renews} covers something else: a renewal has the same scope and target` });
    }
  }
  if (problems.length) throw new ValidationError(`The exception request is not valid: ${problems.map((p) => `${p.field} ${p.message}`).join('; ')}`, problems);

  const unsupported = await touchesUnsupported(db, target);
  const id = await db.transaction().execute(async (tx) => {
    const row = await tx
      .insertInto('risk_exceptions')
      .values({
        scope: target.scope, finding_id: target.finding_id, vulnerability_num: target.vulnerability_num, asset_id: target.asset_id, asset_ids: target.asset_ids,
        justification: v.justification, compensating_controls: v.compensatingControls, risk_owner_id: v.riskOwnerId, expires_on: v.expiresOn,
        review_interval_days: interval, unsupported_system: unsupported, status: 'requested', renews_id: v.renews ?? null,
        requested_by: ctx.principal.userId, requested_by_name: ctx.principal.name, created_at: now, updated_at: now,
        decided_by: null, decided_by_name: null, decided_at: null, decision_note: null, policy_version: null, last_reviewed_at: null, ended_at: null, ended_by_name: null, end_reason: null,
      })
      .returning('id')
      .executeTakeFirstOrThrow();
    await audit.record(tx, ctx, {
      action: 'exception.request', entityType: 'risk_exception', entityId: row.id, before: null,
      after: { ...v, findingId: target.finding_id, vulnerabilityNum: target.vulnerability_num, assetId: target.asset_id, reviewIntervalDays: interval, unsupportedSystem: unsupported, status: 'requested' },
    });
    return row.id;
  });
  return getException(db, ctx, id);
}

async function lock(tx: Tx, id: string, expectedVersion: number | undefined, action: ExceptionAction | null): Promise<ExceptionRow> {
  await sql`select id from risk_exceptions where id = ${id}::uuid for update`.execute(tx);
  const [row] = await loadRows(tx, sql`e.id = ${id}::uuid`);
  if (!row) throw new NotFoundError('Risk exception');
  if (expectedVersion !== undefined && expectedVersion !== row.version) {
    throw new ConflictError(`Risk exception ${id} changed since you read it (version ${row.version}, you sent ${expectedVersion}): reload and try again`, [{ field: 'body.version', message: `is ${row.version} now` }]);
  }
  const from = action === null ? null : { approve: 'requested', reject: 'requested', revoke: 'approved', review: 'approved' }[action];
  if (from && row.status !== from) {
    throw new ConflictError(`Risk exception ${id} is ${row.status}: only ${from === 'requested' ? 'a requested exception can be approved or rejected' : `an approved exception can be ${action === 'revoke' ? 'revoked' : 're-reviewed'}`}`);
  }
  return row;
}

function checkId(id: string) {
  if (!UUID.test(id)) throw new NotFoundError('Risk exception');
}

/** Ends an approved exception inside the transaction: status, its findings released, the audit record. */
async function end(tx: Tx, ctx: Ctx, row: ExceptionRow, status: 'expired' | 'revoked', reason: string, now: Date): Promise<string[]> {
  await tx
    .updateTable('risk_exceptions')
    .set((eb) => ({ status, ended_at: now, ended_by_name: ctx.principal.name, end_reason: reason, updated_at: now, version: eb('version', '+', 1) }))
    .where('id', '=', row.id)
    .execute();
  const fresh = await releaseWithin(tx, row.id, `risk exception ${row.id} ${status}: ${reason}`, `risk exception ${row.id} ${status}`, now);
  await audit.record(tx, ctx, {
    action: status === 'revoked' ? 'exception.revoke' : 'exception.end', entityType: 'risk_exception', entityId: row.id,
    before: { status: row.status, version: row.version }, after: { status, reason, findingsReleased: fresh.length, version: row.version + 1 },
  });
  return fresh;
}

export async function approveException(db: Db, ctx: Ctx, id: string, input: unknown): Promise<RiskExceptionDetail> {
  authorize(ctx, 'exception:decide');
  const v = parseInput(approveSchema, input ?? {});
  checkId(id);
  const [pre] = await loadRows(db, sql`e.id = ${id}::uuid`);
  if (!pre) throw new NotFoundError('Risk exception');
  // An asset may have reached its end of life since the request: then senior management decides (LEG-3).
  const unsupportedNow = pre.status === 'requested' && (await touchesUnsupported(db, pre));
  const now = new Date();
  const today = utcDay(now);
  const released = await db.transaction().execute(async (tx) => {
    const row = await lock(tx, id, v.version, 'approve');
    const { version: policyVersion, document: policy } = await currentPolicy(tx);
    const unsupported = row.unsupported_system || unsupportedNow;
    const refusal = exceptionRefusal('approve', policy.approvals, partiesOf(row, unsupported), actorOf(ctx));
    if (refusal) throw new ForbiddenError(refusal);
    const expiry = expiryProblem(row.expires_on, today, policy.exceptions.maxDays);
    if (expiry) {
      throw new ConflictError(`Risk exception ${id} cannot be approved: its last day (${row.expires_on}) ${expiry}. Reject it and request a new one.`, [{ field: 'expiresOn', message: expiry }]);
    }
    const next = nextReviewOn(today, row.review_interval_days, row.expires_on);
    await tx
      .updateTable('risk_exceptions')
      .set((eb) => ({
        status: 'approved', decided_by: ctx.principal.userId, decided_by_name: ctx.principal.name, decided_at: now, decision_note: v.note || null,
        policy_version: policyVersion, unsupported_system: unsupported, next_review_on: next, updated_at: now, version: eb('version', '+', 1),
      }))
      .where('id', '=', id)
      .execute();
    let fresh: string[] = [];
    if (row.renews_id) {
      const [old] = await loadRows(tx, sql`e.id = ${row.renews_id}::uuid and e.status = 'approved'`);
      // The renewal takes over the findings it covers too; only those outside its scope get a fresh due date.
      if (old) fresh = await end(tx, ctx, old, 'expired', `renewed by risk exception ${id}`, now);
    }
    const covered = await coverWithin(tx, { exceptionId: id, now });
    await audit.record(tx, ctx, {
      action: 'exception.approve', entityType: 'risk_exception', entityId: id,
      before: { status: 'requested', version: row.version },
      after: { status: 'approved', note: v.note || null, policyVersion, approverRoles: unsupported ? policy.approvals.unsupportedSystemException : policy.approvals.exception, unsupportedSystem: unsupported, nextReviewOn: next, findingsCovered: covered.length, version: row.version + 1 },
    });
    return fresh;
  });
  if (released.length) await settlePriorities(db);
  return getException(db, ctx, id);
}

export async function rejectException(db: Db, ctx: Ctx, id: string, input: unknown): Promise<RiskExceptionDetail> {
  authorize(ctx, 'exception:decide');
  const v = parseInput(rejectSchema, input);
  checkId(id);
  const now = new Date();
  const released = await db.transaction().execute(async (tx) => {
    const row = await lock(tx, id, v.version, 'reject');
    const { version: policyVersion, document: policy } = await currentPolicy(tx);
    const refusal = exceptionRefusal('reject', policy.approvals, partiesOf(row), actorOf(ctx));
    if (refusal) throw new ForbiddenError(refusal);
    await tx
      .updateTable('risk_exceptions')
      .set((eb) => ({ status: 'rejected', decided_by: ctx.principal.userId, decided_by_name: ctx.principal.name, decided_at: now, decision_note: v.note, policy_version: policyVersion, updated_at: now, version: eb('version', '+', 1) }))
      .where('id', '=', id)
      .execute();
    await audit.record(tx, ctx, { action: 'exception.reject', entityType: 'risk_exception', entityId: id, before: { status: 'requested', version: row.version }, after: { status: 'rejected', note: v.note, policyVersion, version: row.version + 1 } });
    if (!row.renews_id) return [];
    // A rejected renewal is a decision that the risk is no longer accepted: the exception it would have renewed ends now.
    const [old] = await loadRows(tx, sql`e.id = ${row.renews_id}::uuid and e.status = 'approved'`);
    return old ? end(tx, ctx, old, 'revoked', `renewal ${id} rejected by ${ctx.principal.name}: ${v.note}`, now) : [];
  });
  if (released.length) await settlePriorities(db);
  return getException(db, ctx, id);
}

export async function revokeException(db: Db, ctx: Ctx, id: string, input: unknown): Promise<RiskExceptionDetail> {
  authorizeAny(ctx, ['exception:decide', 'exception:request']);
  const v = parseInput(revokeSchema, input);
  checkId(id);
  const now = new Date();
  const released = await db.transaction().execute(async (tx) => {
    const row = await lock(tx, id, v.version, 'revoke');
    const { document: policy } = await currentPolicy(tx);
    const refusal = exceptionRefusal('revoke', policy.approvals, partiesOf(row), actorOf(ctx));
    if (refusal) throw new ForbiddenError(refusal);
    return end(tx, ctx, row, 'revoked', v.reason, now);
  });
  if (released.length) await settlePriorities(db);
  return getException(db, ctx, id);
}

/** The periodic re-review (LEG-3): recorded, and the next one scheduled one interval from today. */
export async function reviewException(db: Db, ctx: Ctx, id: string, input: unknown): Promise<RiskExceptionDetail> {
  authorizeAny(ctx, ['exception:decide', 'exception:request']);
  const v = parseInput(reviewSchema, input);
  checkId(id);
  const now = new Date();
  const today = utcDay(now);
  await db.transaction().execute(async (tx) => {
    const row = await lock(tx, id, v.version, 'review');
    const { document: policy } = await currentPolicy(tx);
    const refusal = exceptionRefusal('review', policy.approvals, partiesOf(row), actorOf(ctx));
    if (refusal) throw new ForbiddenError(refusal);
    if (row.expires_on < today) throw new ConflictError(`Risk exception ${id} ended after ${row.expires_on}: request a renewal instead`);
    const next = nextReviewOn(today, row.review_interval_days, row.expires_on);
    await tx.insertInto('risk_exception_reviews').values({ exception_id: id, reviewer_id: ctx.principal.userId, reviewer_name: ctx.principal.name, at: now, note: v.note, next_review_on: next }).execute();
    await tx
      .updateTable('risk_exceptions')
      .set((eb) => ({ next_review_on: next, last_reviewed_at: now, updated_at: now, version: eb('version', '+', 1) }))
      .where('id', '=', id)
      .execute();
    await audit.record(tx, ctx, {
      action: 'exception.review', entityType: 'risk_exception', entityId: id,
      before: { nextReviewOn: row.next_review_on, version: row.version }, after: { note: v.note, nextReviewOn: next, version: row.version + 1 },
    });
  });
  return getException(db, ctx, id);
}
