import { randomUUID } from 'node:crypto';
import { sql } from 'kysely';
import { canonicalJson } from '../../domain/audit/chain.js';
import type { DebianAdvisory } from '../../domain/feeds/debian-tracker.js';
import { DebianAdvisoryIndex } from '../../domain/matching/debian.js';
import { compareDpkg } from '../../domain/versions/dpkg.js';
import { sha256Hex } from '../../lib/crypto.js';
import type { Db, Tx } from '../../storage/db.js';
import * as audit from '../audit/audit.service.js';
import type { Ctx } from '../context.js';

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
 * Versions are compared once per distinct (package, release) in the scope,
 * not once per host; the per-host fan-out is one SQL join.
 */
export interface MatchScope {
  /** null/undefined: every active asset with an inventory. */
  assetIds?: string[] | null;
  kind: 'full' | 'asset' | 'advisory';
  runId?: string;
  onProgress?: (done: number, total: number, phase: string) => void;
}

export interface MatchSummary {
  runId: string;
  kind: MatchScope['kind'];
  assets: number;
  packagesEvaluated: number;
  opened: number;
  reopened: number;
  resolved: number;
  stillOpen: number;
  ms: number;
}

type Phase = 'load' | 'compare' | 'write';
const PHASE_WEIGHT: Record<Phase, [number, number]> = { load: [0, 20], compare: [20, 40], write: [40, 100] };

function scopeFilter(scope: MatchScope, column: string) {
  return scope.assetIds ? sql`and ${sql.ref(column)} = any(${sql.val(scope.assetIds)}::uuid[])` : sql``;
}

/** Runs inside one transaction; callers authorise (inventory upload, feed import, a full run). */
export async function runMatch(db: Db, ctx: Ctx, scope: MatchScope): Promise<MatchSummary> {
  const t0 = Date.now();
  const runId = scope.runId ?? randomUUID();
  const progress = (phase: Phase, fraction: number) => {
    const [a, b] = PHASE_WEIGHT[phase];
    scope.onProgress?.(Math.round(a + (b - a) * fraction), 100, phase);
  };
  return db.transaction().execute(async (tx) => {
    progress('load', 0);
    const targets = await sql<{ asset_id: string; release: string }>`
      select ai.asset_id, ai.release from asset_inventories ai join assets a on a.id = ai.asset_id
      where a.lifecycle = 'active' ${scopeFilter(scope, 'ai.asset_id')}`.execute(tx);
    const releases = [...new Set(targets.rows.map((r) => r.release))];
    const distinct = await sql<{ id: number; name: string; source_name: string; source_version: string; release: string }>`
      select distinct p.id, p.name, p.source_name, p.source_version, ai.release
      from asset_packages ap
      join asset_inventories ai on ai.asset_id = ap.asset_id
      join assets a on a.id = ap.asset_id and a.lifecycle = 'active'
      join packages p on p.id = ap.package_id and p.ecosystem = 'deb'
      where true ${scopeFilter(scope, 'ap.asset_id')}`.execute(tx);
    // Only the advisories that can match a package in scope: those naming its source package or its own name.
    const names = [...new Set(distinct.rows.flatMap((r) => (r.name === r.source_name ? [r.name] : [r.source_name, r.name])))];
    const advisories = releases.length && names.length
      ? await tx
          .selectFrom('advisories')
          .select(['id', 'vulnerability_id', 'release', 'package', 'state', 'fixed_version', 'urgency'])
          .where('ecosystem', '=', 'deb')
          .where('state', 'in', ['fixed', 'unfixed'])
          .where('release', 'in', releases)
          .where(sql<boolean>`package = any(${sql.val(names)}::text[])`)
          .execute()
      : [];
    const indexes = new Map<string, DebianAdvisoryIndex>();
    for (const rel of releases) {
      const list: DebianAdvisory[] = advisories
        .filter((a) => a.release === rel)
        .map((a) => ({ id: Number(a.id), source: a.package, vulnerability: a.vulnerability_id, release: a.release, state: a.state as 'fixed' | 'unfixed', fixedVersion: a.fixed_version, urgency: a.urgency, description: null }));
      indexes.set(rel, new DebianAdvisoryIndex(list));
    }
    progress('compare', 0);

    const cache = new Map<string, number>();
    const compare = (a: string, b: string) => {
      const k = `${a}\u0000${b}`;
      let c = cache.get(k);
      if (c === undefined) {
        c = compareDpkg(a, b);
        cache.set(k, c);
      }
      return c;
    };
    const m = { pkg: [] as number[], rel: [] as string[], adv: [] as number[], vuln: [] as string[], fixed: [] as (string | null)[], rule: [] as string[] };
    for (const p of distinct.rows) {
      const index = indexes.get(p.release);
      if (!index) continue;
      let affecting: DebianAdvisory[];
      try {
        affecting = index.affecting({ name: p.name, source: p.source_name, sourceVersion: p.source_version }, compare);
      } catch {
        continue; // a version dpkg itself would reject: validated on upload, so only legacy rows
      }
      for (const a of affecting) {
        m.pkg.push(Number(p.id));
        m.rel.push(p.release);
        m.adv.push(a.id as number);
        m.vuln.push(a.vulnerability);
        m.fixed.push(a.fixedVersion);
        m.rule.push(a.fixedVersion === null ? 'no_fix_available' : 'source_version_below_fixed');
      }
    }
    progress('write', 0);
    const { events, ...summary } = await writeFindings(tx, scope, runId, m);
    progress('write', 1);
    const eventsDigest = digestOfEvents(events);
    const result: MatchSummary = { runId, kind: scope.kind, assets: targets.rows.length, packagesEvaluated: distinct.rows.length, ...summary, ms: Date.now() - t0 };
    if (summary.opened + summary.reopened + summary.resolved > 0 || scope.kind === 'full') {
      await audit.record(tx, ctx, { action: 'findings.match', entityType: 'match_run', entityId: runId, after: { ...result, scope: scope.assetIds ? { assets: scope.assetIds.length } : 'all', eventsDigest } });
    }
    return result;
  });
}

async function writeFindings(
  tx: Tx,
  scope: MatchScope,
  runId: string,
  m: { pkg: number[]; rel: string[]; adv: number[]; vuln: string[]; fixed: (string | null)[]; rule: string[] },
) {
  const now = new Date();
  await sql`create temp table tmp_match (package_id bigint, release text, advisory_id bigint, vulnerability_id text, fixed_version text, rule text) on commit drop`.execute(tx);
  for (let i = 0; i < m.pkg.length; i += 20_000) {
    const s = (xs: unknown[]) => xs.slice(i, i + 20_000);
    await sql`insert into tmp_match select * from unnest(${sql.val(s(m.pkg))}::bigint[], ${sql.val(s(m.rel))}::text[], ${sql.val(s(m.adv))}::bigint[], ${sql.val(s(m.vuln))}::text[], ${sql.val(s(m.fixed))}::text[], ${sql.val(s(m.rule))}::text[])`.execute(tx);
  }
  await sql`
    create temp table tmp_desired on commit drop as
    select ap.asset_id, t.vulnerability_id, 'deb'::text as ecosystem, p.name as package_name, p.arch as package_arch,
           p.version as installed_version, p.source_name, p.source_version, t.fixed_version, t.advisory_id, t.rule
    from asset_packages ap
    join asset_inventories ai on ai.asset_id = ap.asset_id
    join assets a on a.id = ap.asset_id and a.lifecycle = 'active'
    join tmp_match t on t.package_id = ap.package_id and t.release = ai.release
    join packages p on p.id = ap.package_id
    where true ${scopeFilter(scope, 'ap.asset_id')}`.execute(tx);
  // Statistics for the joins below: without them the planner takes the temp tables for empty.
  await sql`analyze tmp_desired`.execute(tx);

  // Reopened: resolved findings whose vulnerable version is back.
  const reopened = await sql<{ id: string; installed_version: string }>`
    update findings f set status = 'open', resolved_at = null, last_seen = ${now},
      installed_version = d.installed_version, fixed_version = d.fixed_version, advisory_id = d.advisory_id, rule = d.rule,
      source_package = d.source_name, source_version = d.source_version
    from tmp_desired d
    where f.asset_id = d.asset_id and f.vulnerability_id = d.vulnerability_id and f.ecosystem = d.ecosystem
      and f.package_name = d.package_name and f.package_arch = d.package_arch and f.status = 'resolved'
    returning f.id, f.installed_version`.execute(tx);
  // Still open: refresh what is installed and the fix known today.
  // Still open: rewrite only what changed (installed version, fix known today, rule).
  await sql`
    update findings f set installed_version = d.installed_version, fixed_version = d.fixed_version,
      advisory_id = d.advisory_id, rule = d.rule, source_package = d.source_name, source_version = d.source_version
    from tmp_desired d
    where f.asset_id = d.asset_id and f.vulnerability_id = d.vulnerability_id and f.ecosystem = d.ecosystem
      and f.package_name = d.package_name and f.package_arch = d.package_arch and f.status = 'open'
      and (f.installed_version, f.fixed_version, f.advisory_id, f.rule, f.source_package, f.source_version)
        is distinct from (d.installed_version, d.fixed_version, d.advisory_id, d.rule, d.source_name, d.source_version)`.execute(tx);
  const desired = await sql<{ n: number }>`select count(*)::int as n from tmp_desired`.execute(tx);
  const opened = await sql<{ id: string; installed_version: string }>`
    insert into findings (asset_id, vulnerability_id, ecosystem, package_name, package_arch, installed_version, source_package, source_version,
      fixed_version, advisory_id, rule, source, status, first_seen, last_seen)
    select d.asset_id, d.vulnerability_id, d.ecosystem, d.package_name, d.package_arch, d.installed_version, d.source_name, d.source_version,
      d.fixed_version, d.advisory_id, d.rule, 'engine', 'open', ${now}, ${now}
    from tmp_desired d
    on conflict (asset_id, vulnerability_id, ecosystem, package_name, package_arch) do nothing
    returning id, installed_version`.execute(tx);
  // Resolved: open engine findings in scope that no longer match.
  const resolved = await sql<{ id: string; now_installed: string | null; reason: string }>`
    update findings f set status = 'resolved', resolved_at = ${now}, last_seen = coalesce(r.matched_at, f.last_seen)
    from (
      select f2.id, (select ai.matched_at from asset_inventories ai where ai.asset_id = f2.asset_id) as matched_at, cur.version as now_installed,
        case
          when f2.advisory_id is null then 'advisory withdrawn'
          when cur.version is not null then 'fixed version installed'
          else 'package removed'
        end as reason
      from findings f2
      left join lateral (select p.version from asset_packages ap join packages p on p.id = ap.package_id
                         where ap.asset_id = f2.asset_id and p.ecosystem = f2.ecosystem and p.name = f2.package_name and p.arch = f2.package_arch
                         limit 1) cur on true
      join assets a on a.id = f2.asset_id and a.lifecycle = 'active'
      where f2.status = 'open' and f2.source = 'engine' ${scopeFilter(scope, 'f2.asset_id')}
        and exists (select 1 from asset_inventories ai where ai.asset_id = f2.asset_id)
        and not exists (select 1 from tmp_desired d where d.asset_id = f2.asset_id and d.vulnerability_id = f2.vulnerability_id
          and d.ecosystem = f2.ecosystem and d.package_name = f2.package_name and d.package_arch = f2.package_arch)
    ) r
    where f.id = r.id
    returning f.id, r.now_installed, r.reason`.execute(tx);

  const events: { finding_id: string; from_status: string | null; to_status: string; reason: string; installed_version: string | null }[] = [
    ...opened.rows.map((r) => ({ finding_id: r.id, from_status: null, to_status: 'open', reason: 'detected', installed_version: r.installed_version })),
    ...reopened.rows.map((r) => ({ finding_id: r.id, from_status: 'resolved', to_status: 'open', reason: 'vulnerable version installed again', installed_version: r.installed_version })),
    ...resolved.rows.map((r) => ({ finding_id: r.id, from_status: 'open', to_status: 'resolved', reason: r.reason, installed_version: r.now_installed })),
  ];
  for (let i = 0; i < events.length; i += 5000) {
    await tx.insertInto('finding_events').values(events.slice(i, i + 5000).map((e) => ({ ...e, at: now, run_id: runId }))).execute();
  }
  // Every open finding of the matched assets was seen now.
  await sql`update asset_inventories ai set matched_at = ${now} from assets a
    where a.id = ai.asset_id and a.lifecycle = 'active' ${scopeFilter(scope, 'ai.asset_id')}`.execute(tx);
  const stillOpen = (desired.rows[0]?.n ?? 0) - opened.rows.length - reopened.rows.length;
  return { opened: opened.rows.length, reopened: reopened.rows.length, resolved: resolved.rows.length, stillOpen, events };
}

/**
 * SHA-256 over the run's finding events in a fixed order (finding id, then event id: a finding changes at most once
 * in a run, so finding id alone orders them; uuid order is the order of their lower-case hex text): the audit record
 * carries it. Computed from the events as written, the same digest as reading them back ordered by (finding_id, id).
 */
function digestOfEvents(events: { finding_id: string; from_status: string | null; to_status: string; reason: string; installed_version: string | null }[]): string {
  const rows = [...events].sort((a, b) => (a.finding_id < b.finding_id ? -1 : a.finding_id > b.finding_id ? 1 : 0));
  return sha256Hex(rows.map((r) => canonicalJson({ finding_id: r.finding_id, from_status: r.from_status, to_status: r.to_status, reason: r.reason, installed_version: r.installed_version })).join('\n'));
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
  const deb = changed.filter((c) => c.ecosystem === 'deb');
  if (deb.length === 0) return null;
  const assets = await sql<{ asset_id: string }>`
    select distinct ap.asset_id
    from unnest(${sql.val(deb.map((c) => c.release))}::text[], ${sql.val(deb.map((c) => c.package))}::text[]) as ch(release, package)
    join packages p on p.ecosystem = 'deb' and (p.source_name = ch.package or p.name = ch.package)
    join asset_packages ap on ap.package_id = p.id
    join asset_inventories ai on ai.asset_id = ap.asset_id and ai.release = ch.release`.execute(db);
  if (assets.rows.length === 0) return null;
  return runMatch(db, ctx, { kind: 'advisory', assetIds: assets.rows.map((r) => r.asset_id) });
}
