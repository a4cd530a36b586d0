import { type RawBuilder, sql } from 'kysely';
import type { Desired, Resolution } from '../../domain/matching/lifecycle.js';
import type { Tx } from '../../storage/db.js';
import type { EngineCache } from './engine-cache.js';

/**
 * Writing a lifecycle diff: each kind of change is one statement over
 * arrays (unnest), whatever the number of findings, and each transition
 * (reopen, resolve) gets its event row. First detection has no event row: it
 * is the finding's first_seen.
 */
export interface FindingEvent {
  findingId: string;
  fromStatus: 'open' | 'resolved';
  toStatus: 'open' | 'resolved';
  reason: string;
  installedVersion: string | null;
}

/** What any match reports, whichever path ran it. */
export interface MatchCounts {
  assets: number;
  packagesEvaluated: number;
  opened: number;
  reopened: number;
  resolved: number;
  stillOpen: number;
}

const CHUNK = 50_000;

function chunks<T>(xs: readonly T[]): T[][] {
  const out: T[][] = [];
  for (let i = 0; i < xs.length; i += CHUNK) out.push(xs.slice(i, i + CHUNK));
  return out;
}

export async function insertOpened(tx: Tx, rows: readonly (Desired & { assetId: string })[], now: Date): Promise<void> {
  for (const c of chunks(rows)) {
    await absorbScannerFindings(tx, sql`select * from unnest(
        ${sql.val(c.map((r) => r.assetId))}::uuid[], ${sql.val(c.map((r) => r.vulnerability))}::int[], ${sql.val(c.map((r) => r.nameId))}::int[],
        ${sql.val(c.map((r) => r.packageId))}::bigint[], ${sql.val(c.map((r) => r.advisoryId))}::bigint[], ${sql.val(c.map((r) => r.fixedVersion))}::text[]
      ) as d(asset_id, vulnerability_num, name_id, package_id, advisory_id, fixed_version)`);
    await sql`insert into findings (asset_id, vulnerability_num, name_id, package_id, advisory_id, fixed_version, first_seen)
      select a, v, n, p, adv, fx, ${now}::timestamptz from unnest(
        ${sql.val(c.map((r) => r.assetId))}::uuid[], ${sql.val(c.map((r) => r.vulnerability))}::int[], ${sql.val(c.map((r) => r.nameId))}::int[],
        ${sql.val(c.map((r) => r.packageId))}::bigint[], ${sql.val(c.map((r) => r.advisoryId))}::bigint[], ${sql.val(c.map((r) => r.fixedVersion))}::text[]
      ) as d(a, v, n, p, adv, fx)
      on conflict (asset_id, vulnerability_num, name_id) do update set ${ADOPT}`.execute(tx);
  }
}

/**
 * A finding a scanner reported first (issue #5) that the engine now finds too
 * becomes the engine's: one finding, the scan stays attached as evidence. A
 * resolved one opens again; a reviewer's decision (false positive, not
 * affected) stands.
 */
/**
 * A scanner names a package without its architecture ("openssl" from a
 * Nessus local check, filed under its own package name when the asset had no
 * inventory yet); the engine later finds the same vulnerability on
 * openssl:amd64. The scanner's finding takes the engine's package name and
 * becomes the engine's, so the asset still has one finding with the scan as
 * evidence. `desired` yields (asset_id, vulnerability_num, name_id,
 * package_id, advisory_id, fixed_version).
 */
export async function absorbScannerFindings(tx: Tx, desired: RawBuilder<unknown>): Promise<number> {
  const r = await sql`with d as materialized (${desired}),
      hit as (select distinct on (f.id) f.id, d.* from d
        join package_names dn on dn.id = d.name_id
        join findings f on f.asset_id = d.asset_id and f.vulnerability_num = d.vulnerability_num and f.source <> 'engine' and f.name_id <> d.name_id
        join package_names fn on fn.id = f.name_id and fn.name = dn.name
        where not exists (select 1 from findings g where g.asset_id = d.asset_id and g.vulnerability_num = d.vulnerability_num and g.name_id = d.name_id)
        order by f.id)
    update findings f set name_id = hit.name_id, package_id = hit.package_id, advisory_id = hit.advisory_id, fixed_version = hit.fixed_version, source = 'engine',
      resolved_at = case when f.status = 'resolved' then null else f.resolved_at end,
      last_seen = case when f.status = 'resolved' then null else f.last_seen end,
      sla_start = case when f.status = 'resolved' then now() else f.sla_start end,
      prioritised_at = case when f.status = 'resolved' then null else f.prioritised_at end,
      status = case when f.status = 'resolved' then 'open' else f.status end
    from hit where f.id = hit.id`.execute(tx);
  return Number(r.numAffectedRows ?? 0);
}

export const ADOPT = sql`source = 'engine', package_id = excluded.package_id, advisory_id = excluded.advisory_id, fixed_version = excluded.fixed_version,
  resolved_at = case when findings.status = 'resolved' then null else findings.resolved_at end,
  last_seen = case when findings.status = 'resolved' then null else findings.last_seen end,
  sla_start = case when findings.status = 'resolved' then now() else findings.sla_start end,
  prioritised_at = case when findings.status = 'resolved' then null else findings.prioritised_at end,
  status = case when findings.status = 'resolved' then 'open' else findings.status end`;

/** Open findings whose installed package, advisory or fix changed; status unchanged. */
export async function refreshExplanations(tx: Tx, rows: readonly (Desired & { id: string })[]): Promise<void> {
  for (const c of chunks(rows)) {
    await sql`update findings f set package_id = d.p, advisory_id = d.adv, fixed_version = d.fx
      from unnest(${sql.val(c.map((r) => r.id))}::bigint[], ${sql.val(c.map((r) => r.packageId))}::bigint[],
                  ${sql.val(c.map((r) => r.advisoryId))}::bigint[], ${sql.val(c.map((r) => r.fixedVersion))}::text[]) as d(id, p, adv, fx)
      where f.id = d.id`.execute(tx);
  }
}

export async function reopen(tx: Tx, cache: EngineCache, rows: readonly (Desired & { id: string })[]): Promise<FindingEvent[]> {
  await refreshExplanations(tx, rows);
  for (const c of chunks(rows)) {
    // A reopened finding is a new detection: its SLA clock restarts (prioritised_at null: evaluated afresh).
    await sql`update findings set status = 'open', resolved_at = null, last_seen = null, sla_start = now(), prioritised_at = null
      where id = any(${sql.val(c.map((r) => r.id))}::bigint[])`.execute(tx);
  }
  return rows.map((r) => ({ findingId: r.id, fromStatus: 'resolved', toStatus: 'open', reason: 'vulnerable version installed again', installedVersion: cache.packages.get(r.packageId)?.version ?? null }));
}

/** @param lastSeen per finding: when its asset was last matched before this run */
export async function resolve(tx: Tx, cache: EngineCache, rows: readonly (Resolution & { lastSeen: Date | null })[], now: Date): Promise<FindingEvent[]> {
  for (const c of chunks(rows)) {
    await sql`update findings f set status = 'resolved', resolved_at = ${now}, last_seen = coalesce(d.seen, ${now}::timestamptz)
      from unnest(${sql.val(c.map((r) => r.id))}::bigint[], ${sql.val(c.map((r) => r.lastSeen))}::timestamptz[]) as d(id, seen)
      where f.id = d.id`.execute(tx);
  }
  return rows.map((r) => ({
    findingId: r.id,
    fromStatus: 'open',
    toStatus: 'resolved',
    reason: r.reason,
    installedVersion: r.nowInstalledPackageId === null ? null : (cache.packages.get(r.nowInstalledPackageId)?.version ?? null),
  }));
}

export async function insertEvents(tx: Tx, events: readonly FindingEvent[], runId: string | null, now: Date): Promise<void> {
  for (const c of chunks(events)) {
    await sql`insert into finding_events (finding_id, at, from_status, to_status, reason, installed_version, run_id)
      select id, ${now}::timestamptz, fs, ts, r, v, ${runId}::uuid from unnest(
        ${sql.val(c.map((e) => e.findingId))}::bigint[], ${sql.val(c.map((e) => e.fromStatus))}::text[], ${sql.val(c.map((e) => e.toStatus))}::text[],
        ${sql.val(c.map((e) => e.reason))}::text[], ${sql.val(c.map((e) => e.installedVersion))}::text[]) as e(id, fs, ts, r, v)`.execute(tx);
  }
}
