import { sql } from 'kysely';
import type { AuditRecord } from '../domain/audit/chain.js';
import type { Db, Tx } from './db.js';

export function rowToRecord(r: {
  seq: number;
  occurred_at: Date;
  actor_type: string;
  actor_id: string | null;
  actor_name: string;
  action: string;
  entity_type: string;
  entity_id: string | null;
  before: unknown;
  after: unknown;
  request_id: string | null;
  prev_hash: string;
  hash: string;
}): AuditRecord {
  return {
    seq: Number(r.seq),
    occurredAt: r.occurred_at.toISOString(),
    actorType: r.actor_type,
    actorId: r.actor_id,
    actorName: r.actor_name,
    action: r.action,
    entityType: r.entity_type,
    entityId: r.entity_id,
    before: r.before ?? null,
    after: r.after ?? null,
    requestId: r.request_id,
    prevHash: r.prev_hash,
    hash: r.hash,
  };
}

/** Serialises appends: the chain needs one writer at a time, until commit. */
export async function lockChain(tx: Tx): Promise<{ seq: number; hash: string } | null> {
  await sql`select pg_advisory_xact_lock(7320117)`.execute(tx);
  const head = await tx.selectFrom('audit_head').select(['seq', 'hash']).executeTakeFirst();
  return head ? { seq: Number(head.seq), hash: head.hash } : null;
}

export async function appendRecord(tx: Tx, rec: AuditRecord): Promise<void> {
  await tx
    .insertInto('audit_log')
    .values({
      seq: rec.seq,
      occurred_at: new Date(rec.occurredAt),
      actor_type: rec.actorType,
      actor_id: rec.actorId,
      actor_name: rec.actorName,
      action: rec.action,
      entity_type: rec.entityType,
      entity_id: rec.entityId,
      before: rec.before === null ? null : JSON.stringify(rec.before),
      after: rec.after === null ? null : JSON.stringify(rec.after),
      request_id: rec.requestId,
      prev_hash: rec.prevHash,
      hash: rec.hash,
    })
    .execute();
  await tx
    .insertInto('audit_head')
    .values({ id: true, seq: rec.seq, hash: rec.hash })
    .onConflict((oc) => oc.column('id').doUpdateSet({ seq: rec.seq, hash: rec.hash }))
    .execute();
}

export async function readHead(db: Db): Promise<{ seq: number; hash: string } | null> {
  const head = await db.selectFrom('audit_head').select(['seq', 'hash']).executeTakeFirst();
  return head ? { seq: Number(head.seq), hash: head.hash } : null;
}

/** Pages through the whole trail in seq order without holding it all in memory. */
export async function* scanAll(db: Db, pageSize = 2000): AsyncGenerator<AuditRecord> {
  let after = 0;
  for (;;) {
    const rows = await db.selectFrom('audit_log').selectAll().where('seq', '>', after).orderBy('seq').limit(pageSize).execute();
    for (const r of rows) yield rowToRecord(r as never);
    if (rows.length < pageSize) return;
    after = Number(rows[rows.length - 1]?.seq);
  }
}

export interface AuditFilter {
  actor?: string;
  actorId?: string;
  entityType?: string;
  entityId?: string;
  action?: string;
  from?: Date;
  to?: Date;
  beforeSeq?: number;
  limit: number;
}

export async function listRecords(db: Db, f: AuditFilter): Promise<AuditRecord[]> {
  let q = db.selectFrom('audit_log').selectAll();
  if (f.actor) q = q.where('actor_name', '=', f.actor);
  if (f.actorId) q = q.where('actor_id', '=', f.actorId);
  if (f.entityType) q = q.where('entity_type', '=', f.entityType);
  if (f.entityId) q = q.where('entity_id', '=', f.entityId);
  if (f.action) q = q.where('action', '=', f.action);
  if (f.from) q = q.where('occurred_at', '>=', f.from);
  if (f.to) q = q.where('occurred_at', '<', f.to);
  if (f.beforeSeq) q = q.where('seq', '<', f.beforeSeq);
  const rows = await q.orderBy('seq', 'desc').limit(f.limit).execute();
  return rows.map((r) => rowToRecord(r as never));
}

/** Entity types and actions present in the trail, for filter menus. */
export async function facets(db: Db): Promise<{ entityTypes: string[]; actions: string[]; actors: string[] }> {
  const [e, a, n] = await Promise.all([
    db.selectFrom('audit_log').select('entity_type').distinct().orderBy('entity_type').execute(),
    db.selectFrom('audit_log').select('action').distinct().orderBy('action').execute(),
    db.selectFrom('audit_log').select('actor_name').distinct().orderBy('actor_name').limit(500).execute(),
  ]);
  return { entityTypes: e.map((r) => r.entity_type), actions: a.map((r) => r.action), actors: n.map((r) => r.actor_name) };
}
