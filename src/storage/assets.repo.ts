import { type ExpressionBuilder, type RawBuilder, type Selectable, sql } from 'kysely';
import type { AssetListQuery, AssetSortField } from '../domain/assets/asset.js';
import { CRITICAL_INVENTORY_MAX_AGE_DAYS as CRITICAL_DAYS, INVENTORY_MAX_AGE_DAYS as DEFAULT_DAYS, UNSUPPORTED_INVENTORY_MAX_AGE_DAYS as UNSUPPORTED_DAYS } from '../domain/assets/coverage.js';
import type { Db, Tx } from './db.js';
import type { AssetsTable, DB } from './schema.js';

export type AssetRow = Selectable<AssetsTable> & { owner_user_name: string | null; owner_team_name: string | null; last_inventoried_at: Date | null; eol_unsupported: boolean };

/** Sort keys as SQL expressions; each has an index (lifecycle, expr, id) in the migrations. */
const SORT_EXPR: Record<AssetSortField, string> = {
  hostname: 'lower(assets.hostname)',
  environment: 'assets.environment',
  systemType: 'assets.system_type',
  department: "coalesce(assets.department, '')",
  location: "coalesce(assets.location, '')",
  businessCriticality: "(case assets.business_criticality when 'critical' then 1 when 'high' then 2 when 'medium' then 3 else 4 end)",
  networkExposure: "(case assets.network_exposure when 'internet_facing' then 1 when 'internal' then 2 else 3 end)",
  updatedAt: 'assets.updated_at',
  createdAt: 'assets.created_at',
};

const NUMERIC_SORT = new Set<AssetSortField>(['businessCriticality', 'networkExposure']);
const TIME_SORT = new Set<AssetSortField>(['updatedAt', 'createdAt']);

function base(db: Db | Tx) {
  return db
    .selectFrom('assets')
    .leftJoin('users as ou', 'ou.id', 'assets.owner_user_id')
    .leftJoin('teams as ot', 'ot.id', 'assets.owner_team_id')
    .leftJoin('asset_inventories as inv', 'inv.asset_id', 'assets.id')
    .selectAll('assets')
    .select(['ou.username as owner_user_name', 'ot.name as owner_team_name', 'inv.collected_at as last_inventoried_at'])
    .select(sql<boolean>`${eolUnsupported()}`.as('eol_unsupported'));
}

export function getAsset(db: Db | Tx, id: string): Promise<AssetRow | undefined> {
  return base(db).where('assets.id', '=', id).executeTakeFirst();
}

function escapeLike(s: string): string {
  return s.replace(/[\\%_]/g, (c) => `\\${c}`);
}

type Filters = Omit<AssetListQuery, 'sort' | 'order' | 'limit' | 'cursor'>;

function applyFilters<Q extends { where: (...a: any[]) => Q }>(q: Q, f: Filters): Q {
  const w = (cb: (eb: ExpressionBuilder<DB, 'assets'>) => any) => (q = q.where(cb as never));
  if (f.lifecycle !== 'all') w((eb) => eb('assets.lifecycle', '=', f.lifecycle));
  const equals: [keyof Filters, string][] = [
    ['environment', 'environment'], ['systemType', 'system_type'], ['department', 'department'], ['location', 'location'],
    ['businessCriticality', 'business_criticality'], ['networkExposure', 'network_exposure'], ['osFamily', 'os_family'],
    ['maintenanceGroup', 'maintenance_group'], ['ownerUserId', 'owner_user_id'], ['ownerTeamId', 'owner_team_id'],
  ];
  for (const [k, col] of equals) {
    const v = f[k];
    if (v === undefined) continue;
    // department and location are indexed as coalesce(col, ''), matching their sort keys.
    if (col === 'department' || col === 'location') w(() => sql<boolean>`coalesce(${sql.ref(`assets.${col}`)}, '') = ${v}`);
    else w(() => sql<boolean>`${sql.ref(`assets.${col}`)} = ${v}`);
  }
  if (f.tag) w(() => sql<boolean>`assets.tags @> array[${f.tag}]::text[]`);
  if (f.reviewRequired !== undefined) w((eb) => eb('assets.review_required', '=', f.reviewRequired as boolean));
  if (f.unowned === true) w((eb) => eb.and([eb('assets.owner_user_id', 'is', null), eb('assets.owner_team_id', 'is', null)]));
  if (f.unowned === false) w((eb) => eb.or([eb('assets.owner_user_id', 'is not', null), eb('assets.owner_team_id', 'is not', null)]));
  if (f.inventory) w(() => inventoryFilter(f.inventory as NonNullable<Filters['inventory']>));
  if (f.q) {
    const pat = `%${escapeLike(f.q.trim())}%`;
    w(() => sql<boolean>`assets.search_text ilike ${pat}`);
  }
  return q;
}

export interface Cursor {
  v: string | number;
  id: string;
  /** The total counted on the first page, carried so later pages need no count. */
  t?: number;
}

export async function listAssets(db: Db, query: AssetListQuery, cursor: Cursor | null) {
  const expr = sql.raw(SORT_EXPR[query.sort]);
  const desc = query.order === 'desc';
  let q = applyFilters(base(db).select(sql<string | number>`${expr}`.as('sort_key')), query);
  if (cursor) {
    const v = TIME_SORT.has(query.sort) ? sql`${cursor.v}::timestamptz` : NUMERIC_SORT.has(query.sort) ? sql`${Number(cursor.v)}::int` : sql`${String(cursor.v)}`;
    q = q.where(desc ? sql<boolean>`(${expr}, assets.id) < (${v}, ${cursor.id}::uuid)` : sql<boolean>`(${expr}, assets.id) > (${v}, ${cursor.id}::uuid)`);
  }
  const rows = await q
    .orderBy(sql`${expr} ${sql.raw(desc ? 'desc' : 'asc')}`)
    .orderBy('assets.id', desc ? 'desc' : 'asc')
    .limit(query.limit + 1)
    .execute();
  const hasMore = rows.length > query.limit;
  const page = hasMore ? rows.slice(0, query.limit) : rows;
  const last = page[page.length - 1] as (AssetRow & { sort_key: string | number | Date }) | undefined;
  const next: Cursor | null = hasMore && last ? { t: cursor?.t, v: last.sort_key instanceof Date ? last.sort_key.toISOString() : last.sort_key, id: last.id } : null;
  return { rows: page as AssetRow[], next };
}

export async function countAssets(db: Db, f: Filters): Promise<number> {
  const r = await applyFilters(db.selectFrom('assets').select((eb) => eb.fn.countAll<number>().as('n')), f).executeTakeFirstOrThrow();
  return Number(r.n);
}

/** Every matching asset in export order, fetched in pages. */
export async function* scanAssets(db: Db, f: Filters): AsyncGenerator<AssetRow> {
  let cursor: Cursor | null = null;
  for (;;) {
    const { rows, next } = await listAssets(db, { ...f, sort: 'hostname', order: 'asc', limit: 500 }, cursor);
    yield* rows;
    if (!next) return;
    cursor = next;
  }
}

/** Active asset with this FQDN, or (when no FQDN is known) this host name. */
export function findActiveByName(db: Db | Tx, hostname: string, fqdn: string | null | undefined) {
  let q = db.selectFrom('assets').select(['id']).where('lifecycle', '=', 'active');
  q = fqdn
    ? q.where(sql<boolean>`lower(fqdn) = ${fqdn.toLowerCase()}`)
    : q.where(sql<boolean>`lower(hostname) = ${hostname.toLowerCase()}`).where('fqdn', 'is', null);
  return q.executeTakeFirst();
}

export async function distinctValues(db: Db, column: 'department' | 'location' | 'maintenance_group'): Promise<string[]> {
  const rows = await db.selectFrom('assets').select(column).distinct().where(column, 'is not', null).where('lifecycle', '=', 'active').orderBy(column).limit(1000).execute();
  return rows.map((r) => r[column] as string);
}

/** LEG-2: past its end of life by its last end-of-life evaluation (services/eol keeps asset_eol current). */
function eolUnsupported() {
  return sql<boolean>`exists (select 1 from asset_eol e where e.asset_id = assets.id and e.unsupported_from <= (now() at time zone 'utc')::date)`;
}
function maxAge() {
  return sql`(case when assets.business_criticality = 'critical' or assets.tags @> array['dora-critical']::text[]
    then ${CRITICAL_DAYS}::int else ${DEFAULT_DAYS}::int end) * interval '1 day'`;
}
/**
 * Coverage (INV-5) in SQL, the same rule as domain/assets/coverage.ts: only active assets have a coverage state.
 * The end-of-life interval is the shortest, so asset_eol is probed only for inventories older than it.
 */
function overdue(last: RawBuilder<unknown>) {
  return sql<boolean>`(${last} < now() - ${UNSUPPORTED_DAYS}::int * interval '1 day' and (${last} < now() - ${maxAge()} or ${eolUnsupported()}))`;
}
function inventoryFilter(state: 'current' | 'overdue' | 'never' | 'missing') {
  const last = sql`(select inv2.collected_at from asset_inventories inv2 where inv2.asset_id = assets.id)`;
  const active = sql`assets.lifecycle = 'active'`;
  switch (state) {
    case 'never':
      return sql<boolean>`${active} and ${last} is null`;
    case 'overdue':
      return sql<boolean>`${active} and ${overdue(last)}`;
    case 'missing':
      return sql<boolean>`${active} and coalesce(${overdue(last)}, true)`;
    case 'current':
      return sql<boolean>`${active} and not ${overdue(last)}`;
  }
}

/** Counts of active assets per value of a few columns, plus unowned and decommissioned totals. */
export async function assetStats(db: Db) {
  const by = async (col: 'environment' | 'business_criticality' | 'system_type') => {
    const rows = await db.selectFrom('assets').select([col, (eb) => eb.fn.countAll<number>().as('n')]).where('lifecycle', '=', 'active').groupBy(col).execute();
    return Object.fromEntries(rows.map((r) => [r[col] as string, Number(r.n)]));
  };
  const totals = await db
    .selectFrom('assets')
    .select([
      sql<number>`count(*) filter (where lifecycle = 'active')`.as('total'),
      sql<number>`count(*) filter (where lifecycle = 'active' and owner_user_id is null and owner_team_id is null)`.as('unowned'),
      sql<number>`count(*) filter (where lifecycle = 'decommissioned')`.as('decommissioned'),
      sql<number>`count(*) filter (where ${inventoryFilter('never')})`.as('never_inventoried'),
      sql<number>`count(*) filter (where ${inventoryFilter('overdue')})`.as('inventory_overdue'),
    ])
    .executeTakeFirstOrThrow();
  const [byEnvironment, byCriticality, bySystemType] = await Promise.all([by('environment'), by('business_criticality'), by('system_type')]);
  return {
    total: Number(totals.total), unowned: Number(totals.unowned), decommissioned: Number(totals.decommissioned),
    neverInventoried: Number(totals.never_inventoried), inventoryOverdue: Number(totals.inventory_overdue),
    byEnvironment, byCriticality, bySystemType,
  };
}
