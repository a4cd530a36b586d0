import { sql } from 'kysely';
import type { Db, Tx } from '../../storage/db.js';

/**
 * The outbox of re-prioritisation (VUL-9). Whatever changes an input of the
 * priority rules records the scope it touched in its own transaction; the
 * worker (and, for small scopes, the request that made the change) claims
 * and processes it. A claim not finished within CLAIM_TTL is taken again.
 */
export type PriorityScope =
  | { kind: 'all' }
  | { kind: 'pending' }
  | { kind: 'vulnerabilities'; nums: number[] }
  | { kind: 'assets'; ids: string[] }
  | { kind: 'findings'; ids: string[] };

export interface PriorityRequest {
  id: string;
  scope: PriorityScope;
  trigger: string;
  at: Date;
}

const CLAIM_TTL = "interval '15 minutes'";

export async function requestReprioritisation(tx: Db | Tx, scope: PriorityScope, trigger: string, at: Date): Promise<void> {
  const ids = scope.kind === 'vulnerabilities' ? scope.nums.map(String) : scope.kind === 'assets' || scope.kind === 'findings' ? scope.ids : [];
  if ((scope.kind === 'vulnerabilities' || scope.kind === 'assets' || scope.kind === 'findings') && ids.length === 0) return;
  await tx.insertInto('priority_requests').values({ scope: scope.kind, ids, trigger, at }).execute();
}

/** Claims every waiting request (oldest first). */
export async function claimRequests(db: Db): Promise<PriorityRequest[]> {
  const r = await sql<{ id: string; scope: string; ids: string[]; trigger: string; at: Date }>`
    update priority_requests set claimed_at = now()
    where id in (select id from priority_requests where claimed_at is null or claimed_at < now() - ${sql.raw(CLAIM_TTL)}
                 order by id for update skip locked)
    returning id, scope, ids, trigger, at`.execute(db);
  return r.rows
    .sort((a, b) => Number(a.id) - Number(b.id))
    .map((row) => ({ id: String(row.id), trigger: row.trigger, at: row.at, scope: toScope(row.scope, row.ids) }));
}

function toScope(kind: string, ids: string[]): PriorityScope {
  switch (kind) {
    case 'vulnerabilities':
      return { kind, nums: ids.map(Number) };
    case 'assets':
    case 'findings':
      return { kind, ids };
    case 'pending':
      return { kind };
    default:
      return { kind: 'all' };
  }
}

export async function finishRequests(db: Db, ids: readonly string[]): Promise<void> {
  if (ids.length) await sql`delete from priority_requests where id = any(${sql.val(ids)}::bigint[])`.execute(db);
}

export async function pendingRequests(db: Db): Promise<number> {
  const r = await sql<{ n: number }>`select count(*)::int as n from priority_requests`.execute(db);
  return r.rows[0]?.n ?? 0;
}
