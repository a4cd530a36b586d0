import { settlePriorities } from '../priority/worker.js';
import { randomUUID } from 'node:crypto';
import { sql } from 'kysely';
import { canonicalJson } from '../../domain/audit/chain.js';
import { sha256Hex } from '../../lib/crypto.js';
import type { Db, Tx } from '../../storage/db.js';
import * as audit from '../audit/audit.service.js';
import type { Ctx } from '../context.js';
import { currentEpoch, type EngineCache, engineCache } from './engine-cache.js';
import { matchAssets, type Target } from './match-assets.js';
import { matchFleet } from './match-fleet.js';
import { type FindingEvent, insertEvents, type MatchCounts } from './writes.js';

/**
 * The matching engine over the database (VUL-1): installed packages of the
 * assets in scope × distribution advisories → findings, one per (asset,
 * vulnerability, binary package), with their lifecycle:
 *  - new match → open ("detected"); an open finding seen again is only
 *    rewritten when its explanation changed (its "last seen" is the asset's
 *    matched_at);
 *  - no longer matching → resolved ("fixed version installed", "package
 *    removed" or "advisory withdrawn");
 *  - a resolved finding matching again → reopened.
 * Versions are compared once per distinct (release, package), in memory
 * against cached advisories (engine-cache.ts); a few assets are then diffed
 * in memory (match-assets.ts), many set-wise in SQL (match-fleet.ts).
 */
export interface MatchScope {
  /** null/undefined: every active asset with an inventory. */
  assetIds?: string[] | null;
  kind: 'full' | 'asset' | 'advisory';
  runId?: string;
  /** Per asset, the package name ids whose installed version changed since its last match (an inventory upload knows). */
  changedNames?: ReadonlyMap<string, ReadonlySet<number>>;
  onProgress?: (done: number, total: number, phase: string) => void;
  /** The asset's inventory row as the caller has just written it under lock (an upload): not read again. */
  given?: readonly Target[];
  /** The caller writes one audit record for its change and the match together (an upload): no record of its own. */
  auditedByCaller?: boolean;
}

/** What a match adds to its caller's audit record when the caller records it (an upload). */
export interface MatchAudit {
  runId: string;
  opened: number;
  reopened: number;
  resolved: number;
  eventsDigest: string;
}

export interface MatchSummary extends MatchCounts {
  runId: string;
  kind: MatchScope['kind'];
  ms: number;
  /** Set when scope.auditedByCaller: the record's part for this match. */
  audit?: MatchAudit;
}

type Phase = 'load' | 'compare' | 'write';
const PHASE_WEIGHT: Record<Phase, [number, number]> = { load: [0, 20], compare: [20, 30], write: [30, 100] };
/** Up to this many assets are re-matched in memory against their stored findings; more go through the set-wise path. */
const IN_MEMORY_ASSETS = 50;

/** Runs in a transaction of its own; callers authorise (inventory upload, feed import, a full run). */
export async function runMatch(db: Db, ctx: Ctx, scope: MatchScope): Promise<MatchSummary> {
  const summary = await db.transaction().execute((tx) => matchInTransaction(tx, engineCache(db), ctx, scope));
  await settlePriorities(db);
  return summary;
}

/** The same inside the caller's transaction (an inventory upload matches in the transaction that stores it). */
export async function matchInTransaction(tx: Tx, cache: EngineCache, ctx: Ctx, scope: MatchScope): Promise<MatchSummary> {
  const t0 = performance.now();
  const runId = scope.runId ?? randomUUID();
  const progress = (phase: Phase, fraction: number) => {
    const [a, b] = PHASE_WEIGHT[phase];
    scope.onProgress?.(Math.round(a + (b - a) * fraction), 100, phase);
  };
  const now = new Date();
  const small = scope.kind !== 'full' && scope.assetIds && scope.assetIds.length <= IN_MEMORY_ASSETS;
  const r = small
    ? await matchAssets(tx, cache, scope.assetIds ?? [], scope.changedNames, now, scope.given)
    : await (async () => {
        const epoch = await currentEpoch(tx);
        await cache.sync(tx, epoch);
        return matchFleet(tx, cache, epoch, scope.assetIds ?? null, now, progress);
      })();
  await insertEvents(tx, r.events, runId, now);
  progress('write', 1);
  const result: MatchSummary = {
    runId, kind: scope.kind, assets: r.assets, packagesEvaluated: r.packagesEvaluated,
    opened: r.opened, reopened: r.reopened, resolved: r.resolved, stillOpen: r.stillOpen, ms: Math.round((performance.now() - t0) * 10) / 10,
  };
  if (scope.auditedByCaller) {
    result.audit = { runId, opened: r.opened, reopened: r.reopened, resolved: r.resolved, eventsDigest: digestOfEvents(r.events) };
  } else if (r.opened + r.reopened + r.resolved > 0 || scope.kind === 'full') {
    await audit.record(tx, ctx, {
      action: 'findings.match', entityType: 'match_run', entityId: runId,
      after: { ...result, scope: scope.assetIds ? { assets: scope.assetIds.length } : 'all', eventsDigest: digestOfEvents(r.events) },
    });
  }
  return result;
}

/**
 * SHA-256 over the run's transition events (reopened, resolved) in finding id order: the audit record carries it, so
 * the per-finding history is bound into the hash chain without one chain record per finding. First detections are
 * counted in the record; they are the findings' first_seen.
 */
function digestOfEvents(events: readonly FindingEvent[]): string {
  const rows = [...events].sort((a, b) => Number(a.findingId) - Number(b.findingId));
  return sha256Hex(rows.map((r) => canonicalJson({ finding_id: String(r.findingId), from_status: r.fromStatus, to_status: r.toStatus, reason: r.reason, installed_version: r.installedVersion })).join('\n'));
}

/**
 * After an advisory feed changed: re-match only the assets that have one of
 * the changed (ecosystem, release, source package) combinations installed.
 */
export async function rematchForAdvisories(
  db: Db,
  ctx: Ctx,
  changed: readonly { ecosystem: string; release: string; package: string }[],
): Promise<MatchSummary | null> {
  if (changed.length === 0) return null;
  // Assets with a package whose source (or own) name is a changed advisory's package, in that ecosystem — and for
  // distribution packages on that release. PyPI names compare normalised (PEP 503), as the advisories store them.
  const assets = await sql<{ asset_id: string }>`
    with ch as (select * from unnest(${sql.val(changed.map((c) => c.ecosystem))}::text[], ${sql.val(changed.map((c) => c.release))}::text[],
                                     ${sql.val(changed.map((c) => c.package))}::text[]) as ch(ecosystem, release, package)),
    hit as (
      select distinct p.id, case when p.ecosystem in ('deb', 'rpm', 'apk') then ch.release end as release
      from ch join packages p on p.ecosystem = ch.ecosystem
        and (p.source_name = ch.package or p.name = ch.package
             or (p.ecosystem = 'pypi' and lower(regexp_replace(p.name, '[-_.]+', '-', 'g')) = ch.package)))
    select ai.asset_id from asset_inventories ai
    where ai.package_ids && (select coalesce(array_agg(hit.id::int), '{}') from hit
                             where hit.release is null or hit.release = ai.release or hit.release = split_part(ai.release, '.', 1)
                               or ai.release like hit.release || '.%')`.execute(db);
  if (assets.rows.length === 0) return null;
  return runMatch(db, ctx, { kind: 'advisory', assetIds: assets.rows.map((r) => r.asset_id) });
}
