import { sql } from 'kysely';
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
    await sql`insert into findings (asset_id, vulnerability_num, name_id, package_id, advisory_id, fixed_version, first_seen)
      select a, v, n, p, adv, fx, ${now}::timestamptz from unnest(
        ${sql.val(c.map((r) => r.assetId))}::uuid[], ${sql.val(c.map((r) => r.vulnerability))}::int[], ${sql.val(c.map((r) => r.nameId))}::int[],
        ${sql.val(c.map((r) => r.packageId))}::bigint[], ${sql.val(c.map((r) => r.advisoryId))}::bigint[], ${sql.val(c.map((r) => r.fixedVersion))}::text[]
      ) as d(a, v, n, p, adv, fx)`.execute(tx);
  }
}

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
    await sql`update findings set status = 'open', resolved_at = null, last_seen = null where id = any(${sql.val(c.map((r) => r.id))}::bigint[])`.execute(tx);
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
