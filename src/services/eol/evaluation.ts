import { sql } from 'kysely';
import { utcDay } from '../../domain/eol/cycles.js';
import { type AssetEol, evaluateAsset, isExposed } from '../../domain/eol/evaluate.js';
import { OS_ECOSYSTEMS, PACKAGE_RULES, ruleFor } from '../../domain/eol/mapping.js';
import type { Db } from '../../storage/db.js';
import { ensureDataset, loadProducts } from './dataset.service.js';

/**
 * Keeps asset_eol current, set-wise: one query finds the assets whose
 * inputs changed (inventory, OS fields, exposure, dataset, rules) or whose
 * valid_until day has come; only their packages are read (from the
 * inventories' id arrays, joined with the few package ids that map to a
 * product), evaluated by the pure domain function and upserted in batches.
 */

/** Bump when domain/eol changes what an evaluation produces: every asset is evaluated again. */
export const RULES_VERSION = 'eol-rules-1';
const BATCH = 500;

type Pkg = [ecosystem: string, name: string, version: string];

interface StaleRow {
  id: string;
  os_name: string | null;
  os_version: string | null;
  network_exposure: string;
  business_criticality: string;
  tags: string[];
  distro: string | null;
  release: string | null;
  has_inventory: boolean;
  inputs: string;
  inventory_key: string;
  old_packages: Pkg[] | null;
}

/** The ids (into `packages`) of installed-package versions whose name maps to an end-of-life product. */
async function relevantPackages(db: Db): Promise<Map<number, Pkg>> {
  // The rules' name prefixes narrow the names in SQL (LIKE is ten times cheaper than regexes there); the domain function decides.
  const prefixes = [...new Set(PACKAGE_RULES.map((r) => `${r.prefix}%`))];
  const names = await db
    .selectFrom('package_names')
    .select(['id', 'ecosystem', 'name'])
    .where('ecosystem', 'in', [...OS_ECOSYSTEMS])
    .where(sql<boolean>`name like any(${sql.val(prefixes)}::text[])`)
    .execute();
  const ids = names.filter((n) => ruleFor(n.ecosystem, n.name)).map((n) => Number(n.id));
  if (ids.length === 0) return new Map();
  const rows = await sql<{ id: number; ecosystem: string; name: string; version: string }>`
    select id, ecosystem, name, version from packages where name_id = any(${sql.val(ids)}::int[])`.execute(db);
  return new Map(rows.rows.map((r) => [Number(r.id), [r.ecosystem, r.name, r.version]]));
}

async function packagesOf(db: Db, assetIds: string[]): Promise<Map<string, Pkg[]>> {
  const out = new Map<string, Pkg[]>(assetIds.map((id) => [id, []]));
  const relevant = await relevantPackages(db);
  if (relevant.size === 0) return out;
  const relIds = [...relevant.keys()];
  for (let i = 0; i < assetIds.length; i += BATCH) {
    const batch = assetIds.slice(i, i + BATCH);
    const hits = await sql<{ asset_id: string; id: number }>`
      select ai.asset_id, u.id from asset_inventories ai
      cross join lateral unnest(ai.package_ids) as u(id)
      join unnest(${sql.val(relIds)}::int[]) as r(id) on r.id = u.id
      where ai.asset_id = any(${sql.val(batch)}::uuid[])`.execute(db);
    for (const h of hits.rows) out.get(h.asset_id)?.push(relevant.get(Number(h.id)) as Pkg);
  }
  return out;
}

/**
 * Evaluates the assets whose stored evaluation is missing or out of date
 * (all active assets, or the given ones whatever their lifecycle); returns
 * how many were evaluated.
 */
export async function refreshEvaluations(db: Db, opts: { assetIds?: readonly string[]; now?: Date } = {}): Promise<number> {
  const dataset = await ensureDataset(db);
  const now = opts.now ?? new Date();
  const today = utcDay(now);
  const scope = opts.assetIds ? sql`a.id = any(${sql.val([...opts.assetIds])}::uuid[])` : sql`a.lifecycle = 'active'`;
  const stale = await sql<StaleRow>`
    with x as (
      select a.id, a.os_name, a.os_version, a.network_exposure, a.business_criticality, a.tags,
        ai.distro, ai.release, ai.asset_id is not null as has_inventory,
        md5(concat_ws(chr(31), coalesce(ai.digest, '-'), coalesce(ai.distro, '-'), coalesce(ai.release, '-'))) as inventory_key,
        md5(concat_ws(chr(31), coalesce(ai.digest, '-'), coalesce(ai.distro, '-'), coalesce(ai.release, '-'), coalesce(a.os_name, '-'), coalesce(a.os_version, '-'),
          a.network_exposure, a.business_criticality, array_to_string(a.tags, chr(30)), ${dataset.version}::text, ${RULES_VERSION}::text)) as inputs
      from assets a left join asset_inventories ai on ai.asset_id = a.id
      where ${scope}
    )
    select x.*, case when e.inventory_key = x.inventory_key then e.packages end as old_packages
    from x left join asset_eol e on e.asset_id = x.id
    where e.asset_id is null or e.inputs <> x.inputs or e.valid_until <= ${today}::date`.execute(db);
  if (stale.rows.length === 0) return 0;

  const products = await loadProducts(db);
  const need = stale.rows.filter((r) => r.has_inventory && !r.old_packages).map((r) => r.id);
  const fresh = need.length ? await packagesOf(db, need) : new Map<string, Pkg[]>();

  // A fleet repeats itself: hosts built alike give the same answer, computed once.
  const memo = new Map<string, { result: AssetEol; json: string }>();
  const rows = stale.rows.map((r) => {
    const pkgs = r.old_packages ?? fresh.get(r.id) ?? [];
    const packages = JSON.stringify(pkgs);
    const exposed = isExposed({ networkExposure: r.network_exposure, businessCriticality: r.business_criticality, tags: r.tags });
    const key = JSON.stringify([r.distro, r.release, r.os_name, r.os_version, exposed, packages]);
    let hit = memo.get(key);
    if (!hit) {
      const result = evaluateAsset(
        products,
        {
          os: { distro: r.distro, release: r.release, osName: r.os_name, osVersion: r.os_version },
          packages: pkgs.map(([ecosystem, name, version]) => ({ ecosystem, name, version })),
          networkExposure: r.network_exposure, businessCriticality: r.business_criticality, tags: r.tags,
        },
        today,
      );
      hit = { result, json: JSON.stringify(result) };
      memo.set(key, hit);
    }
    const { result, json } = hit;
    return {
      asset_id: r.id, inputs: r.inputs, inventory_key: r.inventory_key, packages,
      state: result.state, risk: result.risk, risk_reason: result.riskReason, os_product: result.os?.product ?? null, os_cycle: result.os?.cycle ?? null,
      unsupported_from: result.unsupportedFrom, valid_until: result.validUntil, result: json, computed_at: now,
    };
  });
  for (let i = 0; i < rows.length; i += BATCH) {
    await db
      .insertInto('asset_eol')
      .values(rows.slice(i, i + BATCH))
      .onConflict((oc) =>
        oc.column('asset_id').doUpdateSet((eb) => ({
          inputs: eb.ref('excluded.inputs'), inventory_key: eb.ref('excluded.inventory_key'), packages: eb.ref('excluded.packages'),
          state: eb.ref('excluded.state'), risk: eb.ref('excluded.risk'), risk_reason: eb.ref('excluded.risk_reason'),
          os_product: eb.ref('excluded.os_product'), os_cycle: eb.ref('excluded.os_cycle'), unsupported_from: eb.ref('excluded.unsupported_from'),
          valid_until: eb.ref('excluded.valid_until'), result: eb.ref('excluded.result'), computed_at: eb.ref('excluded.computed_at'),
        })),
      )
      .execute();
  }
  return rows.length;
}

/** Every active asset evaluated again (after a new dataset); returns how many were. */
export async function reevaluateAll(db: Db): Promise<number> {
  return refreshEvaluations(db);
}

export type StoredEvaluation = AssetEol & { evaluatedAt: string };
