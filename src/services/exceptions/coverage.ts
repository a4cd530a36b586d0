import { sql } from 'kysely';
import { systemPrincipal } from '../../domain/auth/principal.js';
import { utcDay } from '../../domain/eol/cycles.js';
import type { Db, Tx } from '../../storage/db.js';
import * as audit from '../audit/audit.service.js';
import type { Ctx } from '../context.js';
import { requestReprioritisation } from '../priority/requests.js';
import { settlePriorities } from '../priority/worker.js';
import { IN_SCOPE, ON_UNSUPPORTED } from './scope.js';

/**
 * Which findings an exception covers (VUL-7, LEG-5). While an exception is
 * approved and its last day has not passed, every open finding in its scope
 * carries its id in findings.exception_id: the finding is "excepted" and
 * leaves the overdue figures. When it ends (expiry, revocation, a rejected
 * renewal), the findings are released: another valid exception may take
 * them over; the rest return with a fresh due date (the SLA clock restarts
 * at the end) and a line in their history.
 *
 * `applyExceptionCoverage(db)` covers findings that appeared after an
 * approval (a new scan, a new asset with the vulnerability), except on an
 * unsupported system when the approval was not senior management's for
 * unsupported systems (LEG-3): that needs its own exception. The
 * 'exceptions.coverage' job runs it every 15 minutes; call it after a
 * matching run or an import for immediate effect.
 */
export interface CoverOptions {
  /** Only this exception (an approval). */
  exceptionId?: string;
  /** Only these findings (released by another exception). */
  findingIds?: readonly string[];
  now: Date;
}

/**
 * Open findings in the scope of an approved exception that it may not cover
 * (they are on an unsupported system and it was not approved as an
 * unsupported-system exception) and that no other exception covers: shown on
 * the exception so that nobody takes them for accepted.
 */
export async function uncoveredUnsupported(db: Db, exceptionId: string): Promise<number> {
  const r = await sql<{ n: number }>`
    select count(*)::int as n from risk_exceptions x join findings f on f.status = 'open' and f.exception_id is null and ${IN_SCOPE}
    where x.id = ${exceptionId}::uuid and x.status = 'approved' and not x.unsupported_system and ${ON_UNSUPPORTED}`.execute(db);
  return r.rows[0]?.n ?? 0;
}

/** Covers the uncovered open findings in scope of valid exceptions; returns [finding id, exception id] pairs. Inside the caller's transaction. */
export async function coverWithin(tx: Tx, o: CoverOptions): Promise<{ findingId: string; exceptionId: string }[]> {
  const today = utcDay(o.now);
  const onlyException = o.exceptionId ? sql`and id = ${o.exceptionId}::uuid` : sql``;
  const onlyFindings = o.findingIds ? sql`and f.id = any(${sql.val([...o.findingIds])}::bigint[])` : sql``;
  if (o.findingIds && o.findingIds.length === 0) return [];
  const open = sql`f.status = 'open' and f.exception_id is null ${onlyFindings}`;
  // The exceptions are share-locked: an expiry or revocation running at the same time waits, so no finding is left pointing at an ended exception.
  const r = await sql<{ id: string | number; exception_id: string }>`
    with active as (
      select id, scope, finding_id, vulnerability_num, asset_id, asset_ids, expires_on, unsupported_system from risk_exceptions
      where status = 'approved' and expires_on >= ${today}::date ${onlyException}
      for share
    ), candidates as (
      -- One branch per scope, each driven by its own index (an OR of the three would read every finding).
      select f.id as finding_id, f.asset_id, a.id as exception_id, a.expires_on, a.unsupported_system from active a join findings f on a.scope = 'finding' and f.id = a.finding_id where ${open}
      union all
      select f.id, f.asset_id, a.id, a.expires_on, a.unsupported_system from active a join findings f on a.scope = 'vulnerability' and f.vulnerability_num = a.vulnerability_num
        and (cardinality(a.asset_ids) = 0 or f.asset_id = any(a.asset_ids)) where ${open}
      union all
      select f.id, f.asset_id, a.id, a.expires_on, a.unsupported_system from active a join findings f on a.scope = 'asset' and f.asset_id = a.asset_id where ${open}
    ), pick as (
      -- LEG-3: only an exception senior management approved for unsupported systems covers a finding on one (an asset may reach
      -- its end of life, or a vulnerability-wide exception meet a new unsupported host, after an approval that did not consider it).
      -- Covered by several: the one valid longest, so the finding changes hands least often.
      select distinct on (finding_id) finding_id, exception_id from candidates f
      where f.unsupported_system or not ${ON_UNSUPPORTED}
      order by finding_id, expires_on desc, exception_id
    )
    update findings f set exception_id = p.exception_id from pick p
    where f.id = p.finding_id and f.exception_id is null
    returning f.id, f.exception_id`.execute(tx);
  const pairs = r.rows.map((x) => ({ findingId: String(x.id), exceptionId: x.exception_id }));
  if (pairs.length) {
    await sql`insert into finding_events (finding_id, at, from_status, to_status, reason, installed_version, run_id)
      select u.id, ${o.now}, 'open', 'open', 'covered by risk exception ' || e.id || ' (' || e.scope || ' scope) until ' || e.expires_on::text || ': leaves the overdue figures', null, null
      from unnest(${sql.val(pairs.map((p) => p.findingId))}::bigint[], ${sql.val(pairs.map((p) => p.exceptionId))}::uuid[]) as u(id, eid)
      join risk_exceptions e on e.id = u.eid`.execute(tx);
  }
  return pairs;
}

/**
 * Releases the findings of an exception that ends: another valid exception
 * may cover them; the others get a fresh SLA clock from `now` (queued for
 * re-prioritisation with `trigger`) and a history line. Returns the ids of
 * the findings that got a fresh due date. Inside the caller's transaction;
 * call settlePriorities(db) after the commit.
 */
export async function releaseWithin(tx: Tx, exceptionId: string, why: string, trigger: string, now: Date): Promise<string[]> {
  const r = await sql<{ id: string | number; status: string }>`update findings set exception_id = null where exception_id = ${exceptionId}::uuid returning id, status`.execute(tx);
  const open = r.rows.filter((x) => x.status === 'open').map((x) => String(x.id));
  if (open.length === 0) return [];
  const taken = new Set((await coverWithin(tx, { findingIds: open, now })).map((p) => p.findingId));
  const fresh = open.filter((id) => !taken.has(id));
  if (fresh.length === 0) return [];
  const ids = sql.val(fresh);
  await sql`update findings set sla_start = ${now}, prioritised_at = null where id = any(${ids}::bigint[])`.execute(tx);
  await sql`insert into finding_events (finding_id, at, from_status, to_status, reason, installed_version, run_id)
    select id, ${now}, 'open', 'open', ${`${why}: back in the SLA figures with a fresh due date`}, null, null from unnest(${ids}::bigint[]) as u(id)`.execute(tx);
  await requestReprioritisation(tx, { kind: 'findings', ids: fresh }, trigger, now);
  return fresh;
}

const systemCtx = (what: string): Ctx => ({ principal: systemPrincipal(what), requestId: null });

/** Covers findings that appeared since the approvals (see the file comment). Returns how many were covered. */
export async function applyExceptionCoverage(db: Db, now: Date = new Date()): Promise<{ covered: number }> {
  const pairs = await db.transaction().execute(async (tx) => {
    const p = await coverWithin(tx, { now });
    const byException = new Map<string, number>();
    for (const x of p) byException.set(x.exceptionId, (byException.get(x.exceptionId) ?? 0) + 1);
    for (const [id, n] of byException) {
      await audit.record(tx, systemCtx('exception coverage'), { action: 'exception.cover', entityType: 'risk_exception', entityId: id, before: null, after: { newlyCovered: n } });
    }
    return p;
  });
  return { covered: pairs.length };
}

/** Ends every approved exception whose last day has passed, releasing its findings. Returns how many ended and how many findings got a fresh due date. */
export async function expireExceptions(db: Db, now: Date = new Date()): Promise<{ expired: number; released: number }> {
  const today = utcDay(now);
  const ctx = systemCtx('exception expiry');
  const out = await db.transaction().execute(async (tx) => {
    const ended = await sql<{ id: string; expires_on: string; version: number }>`
      update risk_exceptions set status = 'expired', ended_at = ${now}, ended_by_name = 'patchloop (expiry)', end_reason = 'expired after ' || expires_on::text,
        updated_at = ${now}, version = version + 1
      where status = 'approved' and expires_on < ${today}::date
      returning id, expires_on::text as expires_on, version`.execute(tx);
    let released = 0;
    for (const e of ended.rows) {
      const fresh = await releaseWithin(tx, e.id, `risk exception ${e.id} expired (last day ${e.expires_on})`, `risk exception ${e.id} expired`, now);
      released += fresh.length;
      await audit.record(tx, ctx, {
        action: 'exception.expire', entityType: 'risk_exception', entityId: e.id,
        before: { status: 'approved' }, after: { status: 'expired', expiresOn: e.expires_on, findingsReleased: fresh.length, version: e.version },
      });
    }
    return { expired: ended.rows.length, released };
  });
  if (out.released) await settlePriorities(db);
  return out;
}
