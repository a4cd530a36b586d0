import { sql } from 'kysely';
import { type Desired, diffFindings, type Stored } from '../../domain/matching/lifecycle.js';
import type { Tx } from '../../storage/db.js';
import { currentEpoch, type EngineCache } from './engine-cache.js';
import { type FindingEvent, insertOpened, type MatchCounts, refreshExplanations, reopen, resolve } from './writes.js';

/**
 * Re-matching a few assets (a check-in, a reactivation, a feed change that
 * touches them) in memory: the asset's packages against the cached
 * advisories, diffed with its stored findings, writing only the changes.
 *
 * When the asset was last matched at the current advisories epoch and the
 * caller says which package names changed (an inventory upload knows), only
 * the findings of those names are read and compared: nothing else can have
 * changed (package_ids change only through an upload, which matches in its
 * own transaction, and a decommission clears matched_epoch).
 */
const NOTHING: ReadonlySet<number> = new Set();
export interface AssetsResult extends MatchCounts {
  events: FindingEvent[];
}

export interface Target {
  asset_id: string;
  distro: string | null;
  release: string | null;
  package_ids: number[];
  matched_epoch: string | null;
  matched_at: Date | null;
}

/**
 * @param given the target rows when the caller has just written them under lock (an inventory upload), else read here
 */
export async function matchAssets(
  tx: Tx,
  cache: EngineCache,
  assetIds: readonly string[],
  changedNames: ReadonlyMap<string, ReadonlySet<number>> | undefined,
  now: Date,
  given?: readonly Target[],
): Promise<AssetsResult & { epoch: string }> {
  // The epoch comes with the rows: one round trip (a check-in's re-match is a handful of them).
  let epoch: string;
  let rows: readonly Target[];
  if (given) {
    epoch = await currentEpoch(tx);
    rows = given;
  } else {
    const read = await sql<Target & { epoch: string }>`
      select ai.asset_id, ai.distro, ai.release, ai.package_ids, ai.matched_epoch::text as matched_epoch, ai.matched_at,
        (select advisories_epoch::text from match_state where id = 1) as epoch
      from asset_inventories ai join assets a on a.id = ai.asset_id
      where a.lifecycle = 'active' and ai.asset_id = any(${sql.val(assetIds)}::uuid[])
      order by ai.asset_id for update of ai`.execute(tx);
    rows = read.rows;
    epoch = read.rows[0]?.epoch ?? (await currentEpoch(tx));
  }
  await cache.sync(tx, epoch);
  const targets = { rows };
  const opened: (Desired & { assetId: string })[] = [];
  const reopened: (Desired & { id: string })[] = [];
  const refreshed: (Desired & { id: string })[] = [];
  const resolved: Parameters<typeof resolve>[2][number][] = [];
  let stillOpen = 0;
  let evaluated = 0;
  for (const t of targets.rows) {
    await cache.loadPackages(tx, t.package_ids);
    // Findings reflect the installed packages as of the last match at this epoch: only what changed since needs a look.
    const only = t.matched_epoch === epoch ? (changedNames?.get(t.asset_id) ?? NOTHING) : undefined;
    const desired: Desired[] = [];
    const host = { distro: t.distro, release: t.release ?? '' };
    const installedByName = new Map<number, number>();
    for (const id of t.package_ids) {
      const p = cache.packages.get(id);
      if (!p) continue;
      installedByName.set(p.nameId, id);
      if (only && !only.has(p.nameId)) continue;
      evaluated++;
      for (const a of cache.affects(host, p)) {
        desired.push({ vulnerability: a.vulnerability, nameId: p.nameId, packageId: id, advisoryId: a.advisoryId, fixedVersion: a.fixedVersion });
      }
    }
    if (only && only.size === 0) continue;
    const stored = await sql<{ id: string; vulnerability_num: number; name_id: number; package_id: string; advisory_id: string | null; fixed_version: string | null; status: string }>`
      select id, vulnerability_num, name_id, package_id, advisory_id, fixed_version, status from findings
      where asset_id = ${t.asset_id} and source = 'engine' ${only ? sql`and name_id = any(${sql.val([...only])}::int[])` : sql``}`.execute(tx);
    const diff = diffFindings(
      desired,
      stored.rows.map((r): Stored => ({ id: String(r.id), vulnerability: r.vulnerability_num, nameId: r.name_id, packageId: Number(r.package_id), advisoryId: r.advisory_id === null ? null : Number(r.advisory_id), fixedVersion: r.fixed_version, status: r.status })),
      installedByName,
      cache.advisoryExists,
    );
    for (const d of diff.open) opened.push({ ...d, assetId: t.asset_id });
    reopened.push(...diff.reopen);
    refreshed.push(...diff.refresh);
    for (const r of diff.resolve) resolved.push({ ...r, lastSeen: t.matched_at });
    stillOpen += diff.unchanged + diff.refresh.length;
  }
  await insertOpened(tx, opened, now);
  await refreshExplanations(tx, refreshed);
  const events = [...(await reopen(tx, cache, reopened)), ...(await resolve(tx, cache, resolved, now))];
  if (targets.rows.length) {
    await sql`update asset_inventories set matched_at = ${now}, matched_epoch = ${epoch}::bigint
      where asset_id = any(${sql.val(targets.rows.map((t) => t.asset_id))}::uuid[])`.execute(tx);
  }
  return { assets: targets.rows.length, packagesEvaluated: evaluated, opened: opened.length, reopened: reopened.length, resolved: resolved.length, stillOpen, events, epoch };
}
