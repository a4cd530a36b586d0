import { sql } from 'kysely';
import type {
  Asset,
  AssetCreate,
  AssetListQuery,
  AssetUpdate,
} from '../../domain/assets/asset.js';
import { inventoryState } from '../../domain/assets/coverage.js';
import type { AuditRecord } from '../../domain/audit/chain.js';
import { BadRequestError, ConflictError, type FieldProblem, ForbiddenError, NotFoundError, ValidationError } from '../../lib/errors.js';
import * as repo from '../../storage/assets.repo.js';
import { requestReprioritisation } from '../priority/requests.js';
import { settlePriorities } from '../priority/worker.js';
import * as auditRepo from '../../storage/audit.repo.js';
import type { Db, Tx } from '../../storage/db.js';
import * as audit from '../audit/audit.service.js';
import { authorize, authorizeAny, type Ctx } from '../context.js';
import { runMatch } from '../matching/matching.service.js';

export function toAsset(r: repo.AssetRow): Asset {
  const owner = r.owner_user_id
    ? { type: 'user' as const, id: r.owner_user_id, name: r.owner_user_name ?? '' }
    : r.owner_team_id
      ? { type: 'team' as const, id: r.owner_team_id, name: r.owner_team_name ?? '' }
      : null;
  return {
    id: r.id,
    hostname: r.hostname,
    fqdn: r.fqdn,
    ipAddresses: r.ip_addresses,
    osFamily: r.os_family as Asset['osFamily'],
    osName: r.os_name,
    osVersion: r.os_version,
    environment: r.environment as Asset['environment'],
    systemType: r.system_type as Asset['systemType'],
    department: r.department,
    location: r.location,
    owner,
    unowned: owner === null,
    businessCriticality: r.business_criticality as Asset['businessCriticality'],
    networkExposure: r.network_exposure as Asset['networkExposure'],
    maintenanceGroup: r.maintenance_group,
    tags: r.tags,
    supplier: r.supplier,
    description: r.description,
    lifecycle: r.lifecycle as Asset['lifecycle'],
    decommissionedAt: r.decommissioned_at?.toISOString() ?? null,
    createdAt: r.created_at.toISOString(),
    updatedAt: r.updated_at.toISOString(),
    version: r.version,
    lastInventoriedAt: r.last_inventoried_at?.toISOString() ?? null,
    inventory: inventoryState({ lifecycle: r.lifecycle, businessCriticality: r.business_criticality, tags: r.tags, eolUnsupported: r.eol_unsupported }, r.last_inventoried_at, new Date()),
    reviewRequired: r.review_required,
    discoveredImportId: r.discovered_import_id,
    imageDigest: r.image_digest,
  };
}

/** The audit trail's picture of an asset: the API shape without derived fields. */
function snapshot(a: Asset) {
  const { unowned, lastInventoriedAt, inventory, ...rest } = a;
  return rest;
}

function columnsOf(input: AssetCreate | AssetUpdate) {
  const c: Record<string, unknown> = {};
  const map: Record<string, string> = {
    hostname: 'hostname', fqdn: 'fqdn', ipAddresses: 'ip_addresses', osFamily: 'os_family', osName: 'os_name',
    osVersion: 'os_version', environment: 'environment', systemType: 'system_type', department: 'department',
    location: 'location', ownerUserId: 'owner_user_id', ownerTeamId: 'owner_team_id', businessCriticality: 'business_criticality',
    networkExposure: 'network_exposure', maintenanceGroup: 'maintenance_group', tags: 'tags', supplier: 'supplier', description: 'description',
  };
  for (const [k, v] of Object.entries(input)) {
    if (v === undefined || !(k in map)) continue;
    c[map[k] as string] = typeof v === 'string' && v === '' && k !== 'hostname' ? null : v;
  }
  if (typeof c.fqdn === 'string') c.fqdn = (c.fqdn as string).replace(/\.$/, '');
  return c;
}

async function checkOwner(tx: Tx, input: { ownerUserId?: string | null; ownerTeamId?: string | null }, where = 'body') {
  const problems: FieldProblem[] = [];
  if (input.ownerUserId && !(await tx.selectFrom('users').select('id').where('id', '=', input.ownerUserId).executeTakeFirst())) {
    problems.push({ field: `${where}.ownerUserId`, message: 'no such user' });
  }
  if (input.ownerTeamId && !(await tx.selectFrom('teams').select('id').where('id', '=', input.ownerTeamId).executeTakeFirst())) {
    problems.push({ field: `${where}.ownerTeamId`, message: 'no such team' });
  }
  if (problems.length) throw new ValidationError('The owner does not exist', problems);
}

export const WRITE = ['asset:write', 'asset:write_own'] as const;

/**
 * Scope of asset:write_own (system owners): assets owned by the caller or by
 * one of the caller's teams, and only those as new owners. asset:write
 * (analysts, administrators) covers every asset.
 */
export async function checkOwnScope(tx: Tx, ctx: Ctx, current: { owner_user_id: string | null; owner_team_id: string | null } | null, next: { ownerUserId?: string | null; ownerTeamId?: string | null }) {
  if (ctx.principal.permissions.has('asset:write')) return;
  const me = ctx.principal.userId;
  const teams = me ? (await tx.selectFrom('team_members').select('team_id').where('user_id', '=', me).execute()).map((t) => t.team_id) : [];
  const mine = (o: { userId: string | null | undefined; teamId: string | null | undefined }) => (!!o.userId && o.userId === me) || (!!o.teamId && teams.includes(o.teamId));
  if (current && !mine({ userId: current.owner_user_id, teamId: current.owner_team_id })) {
    throw new ForbiddenError('You can change only assets that you or your teams own');
  }
  const newOwner = next.ownerUserId !== undefined || next.ownerTeamId !== undefined;
  if (newOwner && !mine({ userId: next.ownerUserId, teamId: next.ownerTeamId })) {
    throw new ValidationError('The owner must be you or one of your teams', [{ field: next.ownerTeamId ? 'body.ownerTeamId' : 'body.ownerUserId', message: 'must be you or one of your teams' }]);
  }
}

function uniqueViolation(err: unknown, hostname?: string, fqdn?: string | null): never {
  const e = err as { code?: string; constraint?: string; message?: string };
  if (e.code === '23505') {
    const byFqdn = (e.constraint ?? e.message ?? '').includes('fqdn');
    throw new ConflictError(
      byFqdn ? `An active asset with FQDN "${fqdn}" already exists` : `An active asset named "${hostname}" already exists`,
      [{ field: byFqdn ? 'fqdn' : 'hostname', message: 'is already used by another active asset' }],
    );
  }
  throw err;
}

export async function insertAsset(tx: Tx, ctx: Ctx, input: AssetCreate, action = 'asset.create'): Promise<Asset> {
  let id: string;
  try {
    const r = await tx
      .insertInto('assets')
      .values({ ip_addresses: [], tags: [], ...columnsOf(input) } as never)
      .returning('id')
      .executeTakeFirstOrThrow();
    id = r.id;
  } catch (err) {
    uniqueViolation(err, input.hostname, input.fqdn);
  }
  const asset = toAsset((await repo.getAsset(tx, id)) as repo.AssetRow);
  await audit.record(tx, ctx, { action, entityType: 'asset', entityId: id, after: snapshot(asset) });
  return asset;
}

export async function patchAsset(tx: Tx, ctx: Ctx, id: string, input: AssetUpdate, opts: { expectedVersion?: number; action?: string } = {}): Promise<{ asset: Asset; changed: boolean }> {
  const beforeRow = await tx.selectFrom('assets').select(['id', 'version']).where('id', '=', id).forUpdate().executeTakeFirst();
  if (!beforeRow) throw new NotFoundError('Asset');
  if (opts.expectedVersion !== undefined && opts.expectedVersion !== beforeRow.version) {
    throw new ConflictError(`The asset was changed by someone else (version ${beforeRow.version}, you edited version ${opts.expectedVersion}); reload and try again`);
  }
  const before = toAsset((await repo.getAsset(tx, id)) as repo.AssetRow);
  const cols = columnsOf(input);
  // Setting one kind of owner clears the other.
  if (cols.owner_user_id) cols.owner_team_id = null;
  if (cols.owner_team_id) cols.owner_user_id = null;
  const changed = Object.entries(cols).some(([k, v]) => JSON.stringify(v) !== JSON.stringify(dbValue(before, k)));
  if (!changed) return { asset: before, changed: false };
  try {
    await tx.updateTable('assets').set({ ...cols, updated_at: new Date(), version: beforeRow.version + 1 } as never).where('id', '=', id).execute();
  } catch (err) {
    uniqueViolation(err, input.hostname ?? before.hostname, input.fqdn ?? before.fqdn);
  }
  const after = toAsset((await repo.getAsset(tx, id)) as repo.AssetRow);
  await audit.record(tx, ctx, { action: opts.action ?? 'asset.update', entityType: 'asset', entityId: id, before: snapshot(before), after: snapshot(after) });
  // Business context is an input of the priority rules (VUL-4): its findings are re-prioritised.
  const context = (['businessCriticality', 'networkExposure', 'environment'] as const).filter((k) => before[k] !== after[k]);
  if (context.length) {
    const what = context.map((k) => `${k} ${before[k]} → ${after[k]}`).join(', ');
    await requestReprioritisation(tx, { kind: 'assets', ids: [id] }, `asset ${after.hostname} edited: ${what}`, new Date());
  }
  return { asset: after, changed: true };
}

function dbValue(a: Asset, col: string): unknown {
  switch (col) {
    case 'owner_user_id':
      return a.owner?.type === 'user' ? a.owner.id : null;
    case 'owner_team_id':
      return a.owner?.type === 'team' ? a.owner.id : null;
    default: {
      const camel = col.replace(/_([a-z])/g, (_, c: string) => c.toUpperCase());
      return (a as unknown as Record<string, unknown>)[camel];
    }
  }
}

export async function listAssets(db: Db, ctx: Ctx, query: AssetListQuery) {
  authorize(ctx, 'asset:read');
  let cursor: repo.Cursor | null = null;
  if (query.cursor) {
    try {
      cursor = JSON.parse(Buffer.from(query.cursor, 'base64url').toString('utf8'));
      if (!cursor || typeof cursor.id !== 'string' || !/^[0-9a-f-]{36}$/.test(cursor.id)) throw new Error();
    } catch {
      throw new BadRequestError('The cursor is not valid; start again from the first page', [{ field: 'query.cursor', message: 'is not a cursor this server issued' }]);
    }
  }
  // Count on the first page only; later pages carry that total in the cursor.
  const carried = cursor && Number.isInteger(cursor.t) && (cursor.t as number) >= 0 ? cursor.t : undefined;
  const [{ rows, next }, total] = await Promise.all([repo.listAssets(db, query, cursor), carried ?? repo.countAssets(db, query)]);
  return {
    items: rows.map(toAsset),
    nextCursor: next ? Buffer.from(JSON.stringify({ ...next, t: total })).toString('base64url') : null,
    total,
  };
}

export async function getAsset(db: Db, ctx: Ctx, id: string): Promise<Asset> {
  authorize(ctx, 'asset:read');
  const row = await repo.getAsset(db, id);
  if (!row) throw new NotFoundError('Asset');
  return toAsset(row);
}

export async function createAsset(db: Db, ctx: Ctx, input: AssetCreate): Promise<Asset> {
  authorizeAny(ctx, WRITE);
  // Someone who may only change their own assets owns what they register.
  if (!ctx.principal.permissions.has('asset:write') && !input.ownerUserId && !input.ownerTeamId) input = { ...input, ownerUserId: ctx.principal.userId };
  return db.transaction().execute(async (tx) => {
    await checkOwner(tx, input);
    await checkOwnScope(tx, ctx, null, input);
    return insertAsset(tx, ctx, input);
  });
}

export async function updateAsset(db: Db, ctx: Ctx, id: string, input: AssetUpdate, expectedVersion?: number): Promise<Asset> {
  authorizeAny(ctx, WRITE);
  return db.transaction().execute(async (tx) => {
    await checkOwner(tx, input);
    const current = await tx.selectFrom('assets').select(['owner_user_id', 'owner_team_id']).where('id', '=', id).executeTakeFirst();
    if (!current) throw new NotFoundError('Asset');
    await checkOwnScope(tx, ctx, current, input);
    const patched = (await patchAsset(tx, ctx, id, input, { expectedVersion })).asset;
    // A person who edited a discovered asset has looked at it.
    return patched.reviewRequired ? clearReview(tx, ctx, id) : patched;
  }).then(async (asset) => {
    await settlePriorities(db);
    return asset;
  });
}

/** A discovered asset (created by a scanner import) confirmed as it is. */
export async function confirmReview(db: Db, ctx: Ctx, id: string): Promise<Asset> {
  authorizeAny(ctx, WRITE);
  return db.transaction().execute(async (tx) => {
    const current = await tx.selectFrom('assets').select(['owner_user_id', 'owner_team_id', 'review_required']).where('id', '=', id).forUpdate().executeTakeFirst();
    if (!current) throw new NotFoundError('Asset');
    await checkOwnScope(tx, ctx, current, {});
    if (!current.review_required) return toAsset((await repo.getAsset(tx, id)) as repo.AssetRow);
    return clearReview(tx, ctx, id);
  });
}

async function clearReview(tx: Tx, ctx: Ctx, id: string): Promise<Asset> {
  const before = toAsset((await repo.getAsset(tx, id)) as repo.AssetRow);
  await tx.updateTable('assets').set({ review_required: false, updated_at: new Date(), version: before.version + 1 }).where('id', '=', id).execute();
  const after = toAsset((await repo.getAsset(tx, id)) as repo.AssetRow);
  await audit.record(tx, ctx, { action: 'asset.review_confirmed', entityType: 'asset', entityId: id, before: snapshot(before), after: snapshot(after) });
  return after;
}

/** INV-4: decommissioned assets leave targeting and figures but keep their history. */
export async function setLifecycle(db: Db, ctx: Ctx, id: string, lifecycle: 'active' | 'decommissioned', reason: string | null): Promise<Asset> {
  authorizeAny(ctx, WRITE);
  const asset = await db.transaction().execute(async (tx) => {
    const before = await repo.getAsset(tx, id);
    if (!before) throw new NotFoundError('Asset');
    await checkOwnScope(tx, ctx, before, {});
    if (before.lifecycle === lifecycle) return { asset: toAsset(before), changed: false };
    try {
      await tx
        .updateTable('assets')
        .set({ lifecycle, decommissioned_at: lifecycle === 'decommissioned' ? new Date() : null, updated_at: new Date(), version: before.version + 1 })
        .where('id', '=', id)
        .execute();
    } catch (err) {
      uniqueViolation(err, before.hostname, before.fqdn);
    }
    // INV-4: a retired asset leaves the open figures; its findings keep their history.
    const closed = lifecycle === 'decommissioned' ? await closeFindingsOf(tx, id) : 0;
    const after = toAsset((await repo.getAsset(tx, id)) as repo.AssetRow);
    await audit.record(tx, ctx, {
      action: lifecycle === 'decommissioned' ? 'asset.decommission' : 'asset.reactivate',
      entityType: 'asset',
      entityId: id,
      before: snapshot(toAsset(before)),
      after: { ...snapshot(after), reason, ...(lifecycle === 'decommissioned' ? { findingsClosed: closed } : {}) },
    });
    return { asset: after, changed: true };
  });
  // Back in service: what is installed is matched again (after commit).
  if (asset.changed && lifecycle === 'active') await runMatch(db, ctx, { kind: 'asset', assetIds: [id] });
  return asset.asset;
}

async function closeFindingsOf(tx: Tx, assetId: string): Promise<number> {
  const now = new Date();
  const closed = await sql<{ id: string; installed_version: string }>`
    update findings f set status = 'resolved', resolved_at = ${now},
      last_seen = coalesce((select ai.matched_at from asset_inventories ai where ai.asset_id = f.asset_id), ${now}::timestamptz)
    from packages p where p.id = f.package_id and f.asset_id = ${assetId} and f.status = 'open'
    returning f.id, p.version as installed_version`.execute(tx);
  // Its findings no longer reflect what is installed: the next match (on reactivation) compares everything.
  await sql`update asset_inventories set matched_epoch = null where asset_id = ${assetId}`.execute(tx);
  for (let i = 0; i < closed.rows.length; i += 5000) {
    await tx
      .insertInto('finding_events')
      .values(closed.rows.slice(i, i + 5000).map((r) => ({ finding_id: r.id, at: now, from_status: 'open', to_status: 'resolved', reason: 'asset decommissioned', installed_version: r.installed_version, run_id: null })))
      .execute();
  }
  return closed.rows.length;
}

export async function history(db: Db, ctx: Ctx, id: string): Promise<AuditRecord[]> {
  authorize(ctx, 'asset:read');
  authorize(ctx, 'audit:read');
  if (!(await db.selectFrom('assets').select('id').where('id', '=', id).executeTakeFirst())) throw new NotFoundError('Asset');
  return auditRepo.listRecords(db, { entityType: 'asset', entityId: id, limit: 500 });
}

export async function stats(db: Db, ctx: Ctx) {
  authorize(ctx, 'asset:read');
  return repo.assetStats(db);
}

export async function facets(db: Db, ctx: Ctx) {
  authorize(ctx, 'asset:read');
  const [departments, locations, maintenanceGroups] = await Promise.all([
    repo.distinctValues(db, 'department'),
    repo.distinctValues(db, 'location'),
    repo.distinctValues(db, 'maintenance_group'),
  ]);
  return { departments, locations, maintenanceGroups };
}
