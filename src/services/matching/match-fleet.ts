import { type RawBuilder, sql } from 'kysely';
import type { Resolution } from '../../domain/matching/lifecycle.js';
import type { Tx } from '../../storage/db.js';
import type { EngineCache } from './engine-cache.js';
import { ADOPT, absorbScannerFindings, type FindingEvent, type MatchCounts, reopen, resolve } from './writes.js';

/**
 * Re-matching many assets (a full run, a feed change touching many hosts)
 * set-wise in SQL. Versions are compared in memory once per distinct
 * (release, package) in scope; the per-host fan-out — ~2,500 findings per
 * host on the benchmark fleet — is a join inside the database, over asset
 * batches so progress can be shown.
 *
 * Assets without any finding yet (new hosts) need no diff: their findings
 * are inserted straight. When a full run brings more such hosts than it
 * re-matches (the first run after onboarding a fleet), the findings' secondary
 * indexes are dropped for the run and rebuilt at the end, under an exclusive
 * lock on the table: building an index once is several times cheaper than
 * maintaining it row by row (the way pg_restore loads data). Readers of
 * findings wait for that run.
 */
export interface FleetResult extends MatchCounts {
  events: FindingEvent[];
  bulk: boolean;
}

const BATCH = 500;
interface Batch {
  distro: string;
  release: string;
  ids: string[];
}

/** Hosts grouped by (distro, release), in batches of at most BATCH. */
function batches(rows: readonly { asset_id: string; distro: string; release: string }[]): Batch[] {
  const groups = new Map<string, Batch>();
  const out: Batch[] = [];
  for (const r of rows) {
    const k = `${r.distro}\u0000${r.release}`;
    let b = groups.get(k);
    if (!b || b.ids.length >= BATCH) {
      b = { distro: r.distro, release: r.release, ids: [] };
      groups.set(k, b);
      out.push(b);
    }
    b.ids.push(r.asset_id);
  }
  return out;
}

/** Fewer new hosts than this are inserted with the indexes in place. */
const BULK_MIN_ASSETS = 200;
const SECONDARY_INDEXES = [
  ['findings_key', 'create unique index findings_key on findings (asset_id, vulnerability_num, name_id)'],
  ['findings_open_vuln_idx', `create index findings_open_vuln_idx on findings (vulnerability_num, asset_id, name_id) where status = 'open'`],
  // The register's sort and filter indexes (migration 0011).
  ['findings_vuln_id_idx', 'create index findings_vuln_id_idx on findings (vulnerability_num, id)'],
  ['findings_first_seen_idx', 'create index findings_first_seen_idx on findings (first_seen, id)'],
  ['findings_name_idx', 'create index findings_name_idx on findings (name_id)'],
] as const;

export async function matchFleet(
  tx: Tx,
  cache: EngineCache,
  epoch: string,
  assetIds: readonly string[] | null,
  now: Date,
  progress: (phase: 'load' | 'compare' | 'write', fraction: number) => void,
): Promise<FleetResult> {
  const inScope = assetIds ? sql`and ai.asset_id = any(${sql.val(assetIds)}::uuid[])` : sql``;
  progress('load', 0);
  const targets = await sql<{ asset_id: string; fresh: boolean; distro: string; release: string }>`
    select ai.asset_id, not exists (select 1 from findings f where f.asset_id = ai.asset_id) as fresh,
      coalesce(ai.distro, '') as distro, coalesce(ai.release, '') as release
    from asset_inventories ai join assets a on a.id = ai.asset_id
    where a.lifecycle = 'active' ${inScope} order by ai.asset_id for update of ai`.execute(tx);
  const distinct = await sql<{ distro: string; release: string; id: number }>`
    select distinct coalesce(ai.distro, '') as distro, coalesce(ai.release, '') as release, u.id
    from asset_inventories ai join assets a on a.id = ai.asset_id cross join lateral unnest(ai.package_ids) as u(id)
    where a.lifecycle = 'active' ${inScope}`.execute(tx);
  await cache.loadPackages(tx, new Set(distinct.rows.map((r) => r.id)));
  progress('compare', 0);

  // Which (release, package) carries which vulnerabilities: small, compared here once each.
  const pv = { distro: [] as string[], release: [] as string[], pkg: [] as number[], name: [] as number[], vuln: [] as number[], adv: [] as number[], fixed: [] as (string | null)[] };
  for (const r of distinct.rows) {
    const p = cache.packages.get(r.id);
    if (!p) continue;
    const seen = new Set<number>();
    for (const a of cache.affects({ distro: r.distro || null, release: r.release }, p)) {
      if (seen.has(a.vulnerability)) continue; // one finding per (vulnerability, package)
      seen.add(a.vulnerability);
      pv.distro.push(r.distro);
      pv.release.push(r.release);
      pv.pkg.push(r.id);
      pv.name.push(p.nameId);
      pv.vuln.push(a.vulnerability);
      pv.adv.push(a.advisoryId);
      pv.fixed.push(a.fixedVersion);
    }
  }
  await sql`create temp table tmp_pv (distro text, release text, package_id int, name_id int, vulnerability_num int, advisory_id bigint, fixed_version text) on commit drop`.execute(tx);
  for (let i = 0; i < pv.pkg.length; i += 50_000) {
    const s = <T>(xs: T[]) => xs.slice(i, i + 50_000);
    await sql`insert into tmp_pv select * from unnest(${sql.val(s(pv.distro))}::text[], ${sql.val(s(pv.release))}::text[], ${sql.val(s(pv.pkg))}::int[], ${sql.val(s(pv.name))}::int[],
      ${sql.val(s(pv.vuln))}::int[], ${sql.val(s(pv.adv))}::bigint[], ${sql.val(s(pv.fixed))}::text[])`.execute(tx);
  }
  await sql`analyze tmp_pv`.execute(tx);

  const known = batches(targets.rows.filter((t) => !t.fresh));
  const fresh = batches(targets.rows.filter((t) => t.fresh));
  const count = (bs: Batch[]) => bs.reduce((n, b) => n + b.ids.length, 0);
  // Batches hold hosts of one (distro, release), so tmp_pv is filtered by constants and joined by package id alone: the
  // planner takes unnest for 10 rows per host, and given a join on release it may pair every host with every
  // (release, package) row first and filter by package afterwards (seen: minutes per batch instead of a second).
  // The unnested packages are materialised first, then hash-joined.
  const desiredOf = (batch: Batch) => sql`
    with inst as materialized (
      select ai.asset_id, u.id from asset_inventories ai cross join lateral unnest(ai.package_ids) as u(id)
      where ai.asset_id = any(${sql.val(batch.ids)}::uuid[]))
    select inst.asset_id, pv.vulnerability_num, pv.name_id, pv.package_id, pv.advisory_id, pv.fixed_version
    from inst join tmp_pv pv on pv.package_id = inst.id
    where pv.distro = ${batch.distro} and pv.release = ${batch.release}`;

  const bulk = count(fresh) >= BULK_MIN_ASSETS && count(fresh) > count(known);
  const result: FleetResult = { assets: targets.rows.length, packagesEvaluated: distinct.rows.length, opened: 0, reopened: 0, resolved: 0, stillOpen: 0, events: [], bulk };
  const total = targets.rows.length;
  let done = 0;
  const step = async (batch: Batch, write: () => Promise<void>) => {
    await write();
    await sql`update asset_inventories set matched_at = ${now}, matched_epoch = ${epoch}::bigint where asset_id = any(${sql.val(batch.ids)}::uuid[])`.execute(tx);
    done += batch.ids.length;
    progress('write', (done / total) * (bulk ? 0.8 : 1));
  };
  progress('write', 0);
  if (known.length) {
    await sql`create temp table tmp_desired (asset_id uuid, vulnerability_num int, name_id int, package_id bigint, advisory_id bigint, fixed_version text) on commit drop`.execute(tx);
    for (const batch of known) await step(batch, () => writeBatch(tx, cache, desiredOf(batch), batch.ids, now, result));
  }
  if (bulk) {
    await sql`lock table findings in access exclusive mode`.execute(tx);
    for (const [name] of SECONDARY_INDEXES) await sql.raw(`drop index ${name}`).execute(tx);
  }
  for (const batch of fresh) {
    await step(batch, async () => {
      const r = await sql`insert into findings (asset_id, vulnerability_num, name_id, package_id, advisory_id, fixed_version, first_seen)
        select d.*, ${now}::timestamptz from (${desiredOf(batch)}) d`.execute(tx);
      result.opened += Number(r.numAffectedRows ?? 0);
    });
  }
  if (bulk) {
    // In memory, not in spilled sort runs: the sort is of tens of millions of narrow keys.
    await sql`set local maintenance_work_mem = '256MB'`.execute(tx);
    for (const [, create] of SECONDARY_INDEXES) await sql.raw(create).execute(tx);
    await sql`analyze findings`.execute(tx);
  }
  return result;
}

async function writeBatch(
  tx: Tx,
  cache: EngineCache,
  desired: RawBuilder<unknown>,
  batch: string[],
  now: Date,
  result: FleetResult,
) {
  await sql`truncate tmp_desired`.execute(tx);
  const n = await sql`insert into tmp_desired ${desired}`.execute(tx);
  await sql`analyze tmp_desired`.execute(tx);
  const key = sql`f.asset_id = d.asset_id and f.vulnerability_num = d.vulnerability_num and f.name_id = d.name_id`;
  const back = await sql<{ id: string; package_id: string; advisory_id: string; fixed_version: string | null; vulnerability_num: number; name_id: number }>`
    select f.id, d.package_id, d.advisory_id, d.fixed_version, d.vulnerability_num, d.name_id
    from findings f join tmp_desired d on ${key} where f.status = 'resolved' and f.source = 'engine'`.execute(tx);
  const reopened = await reopen(tx, cache, back.rows.map((r) => ({ id: String(r.id), packageId: Number(r.package_id), advisoryId: Number(r.advisory_id), fixedVersion: r.fixed_version, vulnerability: r.vulnerability_num, nameId: r.name_id })));
  await sql`update findings f set package_id = d.package_id, advisory_id = d.advisory_id, fixed_version = d.fixed_version
    from tmp_desired d where ${key} and f.status = 'open' and f.source = 'engine'
      and (f.package_id, f.advisory_id, f.fixed_version) is distinct from (d.package_id, d.advisory_id, d.fixed_version)`.execute(tx);
  // Findings a scanner reported first become the engine's (writes.ts ADOPT, absorbScannerFindings).
  const absorbed = await absorbScannerFindings(tx, sql`select * from tmp_desired`);
  const adopted = await sql`insert into findings (asset_id, vulnerability_num, name_id, package_id, advisory_id, fixed_version, first_seen)
    select d.*, ${now}::timestamptz from tmp_desired d join findings f on ${key} where f.source <> 'engine'
    on conflict (asset_id, vulnerability_num, name_id) do update set ${ADOPT}`.execute(tx);
  const opened = await sql`insert into findings (asset_id, vulnerability_num, name_id, package_id, advisory_id, fixed_version, first_seen)
    select d.*, ${now}::timestamptz from tmp_desired d where not exists (select 1 from findings f where ${key})`.execute(tx);
  // Open engine findings of the batch that are no longer found, with what each asset has installed now.
  const gone = await sql<{ id: string; asset_id: string; name_id: number; advisory_id: string | null; matched_at: Date | null; now_installed: number | null }>`
    select f.id, f.asset_id, f.name_id, f.advisory_id, ai.matched_at,
      (select u.id from unnest(ai.package_ids) as u(id) join packages p on p.id = u.id where p.name_id = f.name_id limit 1) as now_installed
    from findings f join asset_inventories ai on ai.asset_id = f.asset_id
    where f.asset_id = any(${sql.val(batch)}::uuid[]) and f.status = 'open' and f.source = 'engine'
      and not exists (select 1 from tmp_desired d where ${key})`.execute(tx);
  const resolutions = gone.rows.map((r): Resolution & { lastSeen: Date | null } => ({
    id: String(r.id),
    reason: r.advisory_id === null || !cache.advisoryExists(Number(r.advisory_id)) ? 'advisory withdrawn' : r.now_installed !== null ? 'fixed version installed' : 'package removed',
    nowInstalledPackageId: r.now_installed,
    lastSeen: r.matched_at,
  }));
  await cache.loadPackages(tx, resolutions.flatMap((r) => (r.nowInstalledPackageId === null ? [] : [r.nowInstalledPackageId])));
  const resolvedEvents = await resolve(tx, cache, resolutions, now);
  const total = Number(n.numAffectedRows ?? 0);
  result.opened += Number(opened.numAffectedRows ?? 0);
  result.reopened += reopened.length;
  result.resolved += resolvedEvents.length;
  result.stillOpen += total - Number(opened.numAffectedRows ?? 0) - Number(adopted.numAffectedRows ?? 0) - absorbed - reopened.length;
  result.opened += Number(adopted.numAffectedRows ?? 0) + absorbed;
  result.events.push(...reopened, ...resolvedEvents);
}
