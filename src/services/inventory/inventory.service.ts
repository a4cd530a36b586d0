import { sql } from 'kysely';
import type { Inventory } from '../../domain/inventory/inventory.js';
import { packageKey } from '../../domain/inventory/inventory.js';
import { compareDpkg } from '../../domain/versions/dpkg.js';
import { sha256Hex } from '../../lib/crypto.js';
import { NotFoundError, ValidationError } from '../../lib/errors.js';
import type { Db, Tx } from '../../storage/db.js';
import * as audit from '../audit/audit.service.js';
import { checkOwnScope, WRITE } from '../assets/assets.service.js';
import { authorizeAny, type Ctx } from '../context.js';
import { type MatchSummary, runMatch } from '../matching/matching.service.js';

export interface InventorySummary {
  assetId: string;
  packages: number;
  added: number;
  removed: number;
  unchanged: boolean;
  match: MatchSummary | null;
}

/** Resolves each package to its fleet-wide row (inserting new ones) and returns the ids. */
async function packageIds(tx: Tx, ecosystem: string, pkgs: Inventory['packages']): Promise<Map<string, number>> {
  const ids = new Map<string, number>();
  for (let i = 0; i < pkgs.length; i += 1000) {
    const chunk = pkgs.slice(i, i + 1000).map((p) => ({
      ecosystem,
      name: p.name,
      version: p.version,
      arch: p.arch,
      source_name: p.sourceName ?? p.name,
      source_version: p.sourceVersion ?? p.version,
      purl: null,
    }));
    await tx.insertInto('packages').values(chunk).onConflict((oc) => oc.doNothing()).execute();
    const rows = await tx
      .selectFrom('packages')
      .select(['id', 'name', 'version', 'arch', 'source_name', 'source_version'])
      .where('ecosystem', '=', ecosystem)
      .where(
        sql<boolean>`(name, version, arch, source_name, source_version) in (select * from unnest(${sql.val(chunk.map((c) => c.name))}::text[], ${sql.val(chunk.map((c) => c.version))}::text[], ${sql.val(chunk.map((c) => c.arch))}::text[], ${sql.val(chunk.map((c) => c.source_name))}::text[], ${sql.val(chunk.map((c) => c.source_version))}::text[]))`,
      )
      .execute();
    for (const r of rows) ids.set(packageKey({ name: r.name, version: r.version, arch: r.arch, sourceName: r.source_name, sourceVersion: r.source_version }), Number(r.id));
  }
  return ids;
}

/**
 * Replaces an asset's installed software with a new snapshot (INV-2), keeps
 * the change in the audit trail, then re-matches that asset only.
 */
export async function putInventory(db: Db, ctx: Ctx, assetId: string, inv: Inventory): Promise<InventorySummary> {
  authorizeAny(ctx, WRITE);
  const problems = [];
  const seen = new Set<string>();
  for (const [i, p] of inv.packages.entries()) {
    for (const [field, v] of [['version', p.version], ['sourceVersion', p.sourceVersion]] as const) {
      if (v === undefined) continue;
      try {
        compareDpkg(v, v);
      } catch (err) {
        problems.push({ field: `body.packages.${i}.${field}`, message: (err as Error).message });
      }
    }
    const k = `${p.name}\t${p.arch}`;
    if (seen.has(k)) problems.push({ field: `body.packages.${i}`, message: `package ${p.name}${p.arch ? `:${p.arch}` : ''} is listed twice` });
    seen.add(k);
  }
  if (problems.length) throw new ValidationError(`The inventory has ${problems.length} problem(s); nothing was stored`, problems.slice(0, 100));

  const digest = sha256Hex(inv.packages.map(packageKey).sort().join('\n'));
  const result = await db.transaction().execute(async (tx) => {
    const asset = await tx.selectFrom('assets').select(['id', 'owner_user_id', 'owner_team_id', 'lifecycle']).where('id', '=', assetId).forUpdate().executeTakeFirst();
    if (!asset) throw new NotFoundError('Asset');
    await checkOwnScope(tx, ctx, asset, {});
    const previous = await tx.selectFrom('asset_inventories').selectAll().where('asset_id', '=', assetId).executeTakeFirst();
    const now = new Date();
    if (previous && previous.digest === digest && previous.release === inv.release) {
      await tx.updateTable('asset_inventories').set({ collected_at: now, source: inv.source }).where('asset_id', '=', assetId).execute();
      return { added: 0, removed: 0, unchanged: true };
    }
    const ids = await packageIds(tx, inv.ecosystem, inv.packages);
    const wanted = new Set(ids.values());
    const current = await tx
      .selectFrom('asset_packages')
      .innerJoin('packages', 'packages.id', 'asset_packages.package_id')
      .select(['packages.id', 'packages.name', 'packages.version', 'packages.arch'])
      .where('asset_packages.asset_id', '=', assetId)
      .execute();
    const have = new Set(current.map((c) => Number(c.id)));
    const removed = current.filter((c) => !wanted.has(Number(c.id)));
    const addedIds = [...wanted].filter((id) => !have.has(id));
    if (removed.length) await tx.deleteFrom('asset_packages').where('asset_id', '=', assetId).where('package_id', 'in', removed.map((r) => Number(r.id))).execute();
    for (let i = 0; i < addedIds.length; i += 5000) {
      await tx.insertInto('asset_packages').values(addedIds.slice(i, i + 5000).map((package_id) => ({ asset_id: assetId, package_id }))).execute();
    }
    await tx
      .insertInto('asset_inventories')
      .values({ asset_id: assetId, distro: inv.distro, release: inv.release, source: inv.source, collected_at: now, package_count: inv.packages.length, digest })
      .onConflict((oc) => oc.column('asset_id').doUpdateSet({ distro: inv.distro, release: inv.release, source: inv.source, collected_at: now, package_count: inv.packages.length, digest }))
      .execute();
    // The history of installed software lives in the audit trail: what went, what came.
    const byId = new Map([...ids.entries()].map(([k, id]) => [id, k.split('\t')]));
    await audit.record(tx, ctx, {
      action: 'inventory.update',
      entityType: 'asset',
      entityId: assetId,
      before: previous ? { release: previous.release, packages: previous.package_count, removed: removed.map((r) => `${r.name}${r.arch ? `:${r.arch}` : ''} ${r.version}`) } : null,
      after: { release: inv.release, source: inv.source, packages: inv.packages.length, added: addedIds.map((id) => { const [n, a, v] = byId.get(id) ?? []; return `${n}${a ? `:${a}` : ''} ${v}`; }) },
    });
    return { added: addedIds.length, removed: removed.length, unchanged: false };
  });
  const match = result.unchanged ? null : await runMatch(db, ctx, { assetIds: [assetId], kind: 'asset' });
  return { assetId, packages: inv.packages.length, ...result, match };
}
