import { settlePriorities } from '../priority/worker.js';
import { sql } from 'kysely';
import type { Inventory, InventoryPackage } from '../../domain/inventory/inventory.js';
import { packageKey } from '../../domain/inventory/inventory.js';
import { validateVersion } from '../../domain/versions/index.js';
import { sha256Hex } from '../../lib/crypto.js';
import { NotFoundError, ValidationError } from '../../lib/errors.js';
import type { Db, Tx } from '../../storage/db.js';
import * as audit from '../audit/audit.service.js';
import { checkOwnScope, WRITE } from '../assets/assets.service.js';
import { authorizeAny, type Ctx } from '../context.js';
import { type EngineCache, engineCache } from '../matching/engine-cache.js';
import { type MatchSummary, matchInTransaction } from '../matching/matching.service.js';

/** Stable digest of an inventory's package set (an agent sends differences against it). */
export function inventoryDigest(inv: Pick<Inventory, 'packages'>): string {
  return sha256Hex(inv.packages.map(packageKey).sort().join('\n'));
}

export interface InventorySummary {
  assetId: string;
  packages: number;
  added: number;
  removed: number;
  unchanged: boolean;
  match: MatchSummary | null;
}

/**
 * Resolves each package to its fleet-wide row, inserting new ones: the ids in input order. A fleet shares most
 * package versions, so usually one lookup finds them all.
 */
async function packageIds(tx: Tx, ecosystem: string, pkgs: Inventory['packages']): Promise<number[]> {
  const cols = {
    eco: pkgs.map((p) => p.ecosystem ?? ecosystem),
    name: pkgs.map((p) => p.name),
    version: pkgs.map((p) => p.version),
    arch: pkgs.map((p) => p.arch),
    src: pkgs.map((p) => p.sourceName ?? p.name),
    srcv: pkgs.map((p) => p.sourceVersion ?? p.version),
  };
  const input = sql`unnest(${sql.val(cols.eco)}::text[], ${sql.val(cols.name)}::text[], ${sql.val(cols.version)}::text[], ${sql.val(cols.arch)}::text[], ${sql.val(cols.src)}::text[], ${sql.val(cols.srcv)}::text[])
    with ordinality as i(eco, name, version, arch, src, srcv, ord)`;
  const lookup = () =>
    sql<{ id: number; ord: number }>`select p.id, i.ord::int as ord from ${input}
      join packages p on p.ecosystem = i.eco and p.name = i.name and p.version = i.version and p.arch = i.arch
        and p.source_name = i.src and p.source_version = i.srcv`.execute(tx);
  const ids: number[] = new Array(pkgs.length);
  let found = await lookup();
  if (found.rows.length < pkgs.length) {
    await sql`insert into package_names (ecosystem, name, arch) select distinct i.eco, i.name, i.arch from ${input} order by 1, 2, 3 on conflict do nothing`.execute(tx);
    await sql`insert into packages (ecosystem, name, version, arch, source_name, source_version, name_id, purl)
      select i.eco, i.name, i.version, i.arch, i.src, i.srcv, n.id, pu.purl from ${input}
      join package_names n on n.ecosystem = i.eco and n.name = i.name and n.arch = i.arch
      left join unnest(${sql.val(pkgs.map((p) => p.purl ?? null))}::text[]) with ordinality as pu(purl, ord) on pu.ord = i.ord
      order by i.eco, i.name, i.arch on conflict do nothing`.execute(tx);
    found = await lookup();
  }
  for (const r of found.rows) ids[r.ord - 1] = Number(r.id);
  return ids;
}

/** Problems that make an inventory unusable (versions the ecosystem cannot order, a package listed twice), named by field. */
export function inventoryProblems(inv: Inventory, prefix = 'body'): { field: string; message: string }[] {
  const problems = [];
  const seen = new Set<string>();
  for (const [i, p] of inv.packages.entries()) {
    for (const [field, v] of [['version', p.version], ['sourceVersion', p.sourceVersion]] as const) {
      if (v === undefined) continue;
      try {
        validateVersion(p.ecosystem ?? inv.ecosystem, v);
      } catch (err) {
        problems.push({ field: `${prefix}.packages.${i}.${field}`, message: (err as Error).message });
      }
    }
    const k = `${p.ecosystem ?? inv.ecosystem}\t${p.name}\t${p.arch}`;
    if (seen.has(k)) problems.push({ field: `${prefix}.packages.${i}`, message: `package ${p.name}${p.arch ? `:${p.arch}` : ''} is listed twice` });
    seen.add(k);
  }
  return problems;
}

export interface ApplyOptions {
  /** When the inventory was collected (an agent's spooled report arrives later); default now. */
  collectedAt?: Date;
  /** The caller established the right to this asset otherwise (an agent reports for the asset it was enrolled to). */
  ownerScopeChecked?: boolean;
}

/**
 * Replaces an asset's installed software with a new snapshot (INV-2), keeps
 * the change in the audit trail, then re-matches that asset only.
 */
export async function putInventory(db: Db, ctx: Ctx, assetId: string, inv: Inventory, opts: ApplyOptions = {}): Promise<InventorySummary> {
  authorizeAny(ctx, WRITE);
  const problems = inventoryProblems(inv);
  if (problems.length) throw new ValidationError(`The inventory has ${problems.length} problem(s); nothing was stored`, problems.slice(0, 100));
  const cache = engineCache(db);
  const summary = await db.transaction().execute((tx) => applyInventory(tx, cache, ctx, assetId, inv, opts));
  await settlePriorities(db);
  return summary;
}

/**
 * putInventory inside the caller's transaction, for callers that write more in the same commit (an agent's check-in
 * with its idempotency record, a many-asset import). The caller has authorised and checked
 * inventoryProblems; `cache` is engineCache(db) of the database the transaction belongs to.
 */
export async function applyInventory(tx: Tx, cache: EngineCache, ctx: Ctx, assetId: string, inv: Inventory, opts: ApplyOptions = {}): Promise<InventorySummary> {
  const digest = inventoryDigest(inv);
  const result = await (async () => {
    const asset = await tx.selectFrom('assets').select(['id', 'owner_user_id', 'owner_team_id', 'lifecycle']).where('id', '=', assetId).forUpdate().executeTakeFirst();
    if (!asset) throw new NotFoundError('Asset');
    if (!opts.ownerScopeChecked) await checkOwnScope(tx, ctx, asset, {});
    const previous = await tx.selectFrom('asset_inventories').selectAll().where('asset_id', '=', assetId).executeTakeFirst();
    const now = opts.collectedAt ?? new Date();
    if (previous && previous.digest === digest && previous.release === inv.release) {
      await tx.updateTable('asset_inventories').set({ collected_at: now, source: inv.source }).where('asset_id', '=', assetId).execute();
      return { added: 0, removed: 0, unchanged: true, match: null };
    }
    const ids = await packageIds(tx, inv.ecosystem, inv.packages);
    const wanted = new Set(ids);
    const had = new Set(previous?.package_ids ?? []);
    const removedIds = [...had].filter((id) => !wanted.has(id));
    const addedIds = ids.filter((id) => !had.has(id));
    await cache.loadPackages(tx, [...removedIds, ...addedIds]);
    const sorted = [...ids].sort((a, b) => a - b);
    const row = { distro: inv.distro, release: inv.release, source: inv.source, collected_at: now, package_count: inv.packages.length, digest, package_ids: sorted };
    // Findings follow only if the release stayed the same; a decommissioned asset is not matched, so its next match compares everything.
    const keepsEpoch = previous && previous.release === inv.release && asset.lifecycle === 'active';
    await tx
      .insertInto('asset_inventories')
      .values({ asset_id: assetId, ...row })
      .onConflict((oc) => oc.column('asset_id').doUpdateSet({ ...row, ...(keepsEpoch ? {} : { matched_epoch: null }) }))
      .execute();
    // The history of installed software lives in the audit trail: what went, what came.
    const label = (id: number) => {
      const p = cache.packages.get(id);
      return p ? `${p.name}${p.arch ? `:${p.arch}` : ''} ${p.version}` : String(id);
    };
    const changedNames = new Set([...removedIds, ...addedIds].map((id) => cache.packages.get(id)?.nameId ?? -1));
    const match = asset.lifecycle === 'active'
      ? await matchInTransaction(tx, cache, ctx, {
          assetIds: [assetId],
          kind: 'asset',
          changedNames: new Map([[assetId, changedNames]]),
          given: [{ asset_id: assetId, distro: inv.distro, release: inv.release, package_ids: sorted, matched_epoch: keepsEpoch && previous?.matched_epoch != null ? String(previous.matched_epoch) : null, matched_at: previous?.matched_at ?? null }],
          auditedByCaller: true,
        })
      : null;
    // One record for the check-in: what went, what came, and what that did to the findings (with the digest of their events).
    await audit.record(tx, ctx, {
      action: 'inventory.update',
      entityType: 'asset',
      entityId: assetId,
      before: previous ? { release: previous.release, packages: previous.package_count, removed: removedIds.map(label) } : null,
      after: { release: inv.release, source: inv.source, packages: inv.packages.length, added: addedIds.map(label), ...(match?.audit ? { findings: match.audit } : {}) },
    });
    if (match) delete match.audit;
    return { added: addedIds.length, removed: removedIds.length, unchanged: false, match };
  })();
  return { assetId, packages: inv.packages.length, ...result };
}

/** The asset's stored packages: those of the OS ecosystem (what an agent or SSH collection reports) and the rest (from SBOMs), kept. */
export async function storedPackages(tx: Tx, assetId: string, osEcosystem: string): Promise<{ os: Omit<InventoryPackage, 'ecosystem'>[]; others: InventoryPackage[] }> {
  const inv = await tx.selectFrom('asset_inventories').select('package_ids').where('asset_id', '=', assetId).executeTakeFirst();
  if (!inv || inv.package_ids.length === 0) return { os: [], others: [] };
  const rows = await tx
    .selectFrom('packages')
    .select(['ecosystem', 'name', 'version', 'arch', 'source_name', 'source_version', 'purl'])
    .where('id', '=', (eb) => eb.fn.any(eb.val(inv.package_ids)))
    .execute();
  const os: Omit<InventoryPackage, 'ecosystem'>[] = [];
  const others: InventoryPackage[] = [];
  for (const r of rows) {
    const p: Omit<InventoryPackage, 'ecosystem'> = { name: r.name, version: r.version, arch: r.arch };
    if (r.source_name !== r.name) p.sourceName = r.source_name;
    if (r.source_version !== r.version) p.sourceVersion = r.source_version;
    if (r.ecosystem === osEcosystem) os.push(p);
    else others.push({ ...p, ecosystem: r.ecosystem as InventoryPackage['ecosystem'], ...(r.purl ? { purl: r.purl } : {}) });
  }
  return { os, others };
}
