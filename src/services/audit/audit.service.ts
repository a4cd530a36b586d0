import { ChainVerifier, type AuditRecord, GENESIS_HASH, hashRecord, type VerifyResult } from '../../domain/audit/chain.js';
import type { Db, Tx } from '../../storage/db.js';
import * as repo from '../../storage/audit.repo.js';
import { authorize, type Ctx } from '../context.js';

export interface AuditEntry {
  action: string;
  entityType: string;
  entityId: string | null;
  before?: unknown;
  after?: unknown;
}

/**
 * Writes one audit record inside the caller's transaction, so the record
 * exists exactly when the change it describes does.
 */
export async function record(tx: Tx, ctx: Ctx, entry: AuditEntry): Promise<AuditRecord> {
  const head = await repo.lockChain(tx);
  const p = ctx.principal;
  const content = {
    seq: (head?.seq ?? 0) + 1,
    occurredAt: new Date().toISOString(),
    actorType: p.kind,
    actorId: p.userId,
    actorName: p.kind === 'token' ? `${p.name} (token)` : p.name,
    action: entry.action,
    entityType: entry.entityType,
    entityId: entry.entityId,
    before: normalise(entry.before),
    after: normalise(entry.after),
    requestId: ctx.requestId,
  };
  const prevHash = head?.hash ?? GENESIS_HASH;
  const rec: AuditRecord = { ...content, prevHash, hash: hashRecord(content, prevHash) };
  await repo.appendRecord(tx, rec);
  return rec;
}

/** Dates become ISO strings and undefined disappears, exactly as jsonb will give them back. */
function normalise(v: unknown): unknown {
  if (v === undefined) return null;
  return JSON.parse(JSON.stringify(v));
}

export async function verifyChain(db: Db, ctx: Ctx): Promise<VerifyResult> {
  authorize(ctx, 'audit:read');
  const v = new ChainVerifier();
  for await (const rec of repo.scanAll(db)) if (!v.push(rec)) break;
  return v.finish(await repo.readHead(db));
}

export async function list(db: Db, ctx: Ctx, filter: repo.AuditFilter): Promise<AuditRecord[]> {
  authorize(ctx, 'audit:read');
  return repo.listRecords(db, filter);
}

export async function* exportAll(db: Db, ctx: Ctx): AsyncGenerator<AuditRecord> {
  authorize(ctx, 'audit:read');
  yield* repo.scanAll(db);
}

export async function facets(db: Db, ctx: Ctx) {
  authorize(ctx, 'audit:read');
  return repo.facets(db);
}
