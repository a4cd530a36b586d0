import { sql } from 'kysely';
import { BadRequestError, NotFoundError } from '../../lib/errors.js';
import type { Db } from '../../storage/db.js';
import { authorize, type Ctx } from '../context.js';

/** The findings register (VUL-8), read side: what the engine found, with its explanation and history. */
export interface FindingQuery {
  assetId?: string;
  vulnerabilityId?: string;
  status?: 'open' | 'resolved';
  package?: string;
  limit: number;
  cursor?: string;
}

function toFinding(r: Record<string, any>) {
  return {
    id: String(r.id),
    asset: { id: r.asset_id as string, hostname: r.hostname as string },
    vulnerabilityId: r.vulnerability_id as string,
    // null: a scanner reported it without naming a package (a network check).
    ecosystem: r.ecosystem as string | null,
    package: r.package_name as string | null,
    arch: r.package_arch as string | null,
    installedVersion: r.installed_version as string | null,
    sourcePackage: r.source_package as string | null,
    sourceVersion: r.source_version as string | null,
    fixedVersion: r.fixed_version as string | null,
    rule: (r.source !== 'engine' ? 'reported_by_scanner' : r.fixed_version === null ? 'no_fix_available' : 'source_version_below_fixed') as string,
    source: r.source as string,
    status: r.status as string,
    // No foreign key: a withdrawn advisory leaves the id behind without its row.
    advisory: r.advisory_id && r.feed ? { id: Number(r.advisory_id), feed: r.feed as string, release: r.release as string, package: r.advisory_package as string, urgency: r.urgency as string | null } : null,
    firstSeen: (r.first_seen as Date).toISOString(),
    // An open engine finding was last seen when its asset was last matched.
    lastSeen: ((r.status === 'open' && r.source === 'engine' && r.matched_at ? r.matched_at : (r.last_seen ?? r.resolved_at ?? r.first_seen)) as Date).toISOString(),
    resolvedAt: (r.resolved_at as Date | null)?.toISOString() ?? null,
  };
}
export type Finding = ReturnType<typeof toFinding>;

function base(db: Db) {
  return db
    .selectFrom('findings as f')
    .innerJoin('assets as a', 'a.id', 'f.asset_id')
    .leftJoin('advisories as adv', 'adv.id', 'f.advisory_id')
    .leftJoin('asset_inventories as ai', 'ai.asset_id', 'f.asset_id')
    .leftJoin('packages as p', 'p.id', 'f.package_id')
    .innerJoin('vulnerabilities as v', 'v.num', 'f.vulnerability_num')
    .selectAll('f')
    .select('v.id as vulnerability_id')
    .select(['a.hostname', 'adv.feed', 'adv.release', 'adv.package as advisory_package', 'adv.urgency', 'ai.matched_at'])
    .select(['p.ecosystem', 'p.name as package_name', 'p.arch as package_arch', 'p.version as installed_version', 'p.source_name as source_package', 'p.source_version']);
}

export async function listFindings(db: Db, ctx: Ctx, q: FindingQuery) {
  authorize(ctx, 'asset:read');
  let query = base(db);
  if (q.assetId) query = query.where('f.asset_id', '=', q.assetId);
  if (q.vulnerabilityId) query = query.where('v.id', '=', q.vulnerabilityId);
  if (q.status) query = query.where('f.status', '=', q.status);
  if (q.package) query = query.where('p.name', '=', q.package);
  if (q.cursor) {
    if (!/^[0-9]{1,18}$/.test(q.cursor)) throw new BadRequestError('The cursor is not valid', [{ field: 'query.cursor', message: 'is not a cursor this server issued' }]);
    query = query.where('f.id', '>', q.cursor as never);
  }
  const rows = await query.orderBy('f.id').limit(q.limit + 1).execute();
  const page = rows.slice(0, q.limit);
  return { items: page.map(toFinding), nextCursor: rows.length > q.limit ? String(page[page.length - 1]?.id) : null };
}

export async function getFinding(db: Db, ctx: Ctx, id: string) {
  authorize(ctx, 'asset:read');
  if (!/^[0-9]{1,18}$/.test(id)) throw new NotFoundError('Finding');
  const row = await base(db).where('f.id', '=', id).executeTakeFirst();
  if (!row) throw new NotFoundError('Finding');
  const events = await db.selectFrom('finding_events').selectAll().where('finding_id', '=', id).orderBy('id').execute();
  const finding = toFinding(row);
  // First detection is the finding's first_seen (migration 0006), the transitions are events.
  const detected = { at: finding.firstSeen, from: null, to: 'open', reason: 'detected', installedVersion: null, runId: null };
  return {
    ...finding,
    history: [detected, ...events.map((e) => ({ at: e.at.toISOString(), from: e.from_status, to: e.to_status, reason: e.reason, installedVersion: e.installed_version, runId: e.run_id }))],
  };
}

export async function assetInventory(db: Db, ctx: Ctx, assetId: string) {
  authorize(ctx, 'asset:read');
  const inv = await db.selectFrom('asset_inventories').selectAll().where('asset_id', '=', assetId).executeTakeFirst();
  if (!inv) {
    if (!(await db.selectFrom('assets').select('id').where('id', '=', assetId).executeTakeFirst())) throw new NotFoundError('Asset');
    return null;
  }
  const pkgs = await db
    .selectFrom('packages as p')
    .select(['p.ecosystem', 'p.name', 'p.version', 'p.arch', 'p.source_name', 'p.source_version'])
    .where(sql<boolean>`p.id = any(${sql.val(inv.package_ids)}::bigint[])`)
    .orderBy('p.name')
    .orderBy('p.arch')
    .execute();
  const counts = await sql<{ open: number }>`select count(*)::int as open from findings where asset_id = ${assetId} and status = 'open'`.execute(db);
  return {
    distro: inv.distro,
    release: inv.release,
    source: inv.source,
    collectedAt: inv.collected_at.toISOString(),
    openFindings: counts.rows[0]?.open ?? 0,
    packages: pkgs.map((p) => ({ ecosystem: p.ecosystem, name: p.name, version: p.version, arch: p.arch, sourceName: p.source_name, sourceVersion: p.source_version })),
  };
}
