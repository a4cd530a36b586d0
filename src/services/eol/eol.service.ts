import { sql } from 'kysely';
import { maxInventoryAgeDays } from '../../domain/assets/coverage.js';
import { daysBetween, type EolState, utcDay } from '../../domain/eol/cycles.js';
import type { AssetEol, EolItem, RiskClass } from '../../domain/eol/evaluate.js';
import { NotFoundError } from '../../lib/errors.js';
import type { Db } from '../../storage/db.js';
import { authorize, type Ctx } from '../context.js';
import { type Control, listControls } from './controls.service.js';
import { ensureDataset } from './dataset.service.js';
import { refreshEvaluations } from './evaluation.js';

/** Days left are counted on the day of reading; the rest of a stored evaluation holds until its valid_until. */
function withDaysLeft(i: EolItem | null, today: string): EolItem | null {
  if (!i) return null;
  return { ...i, daysLeft: typeof i.eol === 'string' ? daysBetween(today, i.eol) : null };
}

/** The asset's evaluation (without its cache horizon) with what the page needs around it. */
export interface AssetEolView extends Omit<AssetEol, 'validUntil'> {
  assetId: string;
  hostname: string;
  lifecycle: string;
  /** LEG-2: an unsupported asset must be inventoried more often. */
  monitoring: { inventoryMaxAgeDays: number; raised: boolean };
  controls: Control[];
  /** Unsupported with no active compensating control. */
  needsControl: boolean;
  dataset: { source: string; version: string; loadedAt: string };
  evaluatedAt: string;
}

export async function getAssetEol(db: Db, ctx: Ctx, id: string): Promise<AssetEolView> {
  authorize(ctx, 'asset:read');
  const asset = await db.selectFrom('assets').select(['id', 'hostname', 'lifecycle', 'business_criticality', 'tags']).where('id', '=', id).executeTakeFirst();
  if (!asset) throw new NotFoundError('Asset');
  await refreshEvaluations(db, { assetIds: [id] });
  const [row, controls, dataset] = await Promise.all([
    db.selectFrom('asset_eol').select(['result', 'computed_at']).where('asset_id', '=', id).executeTakeFirstOrThrow(),
    listControls(db, ctx, id),
    ensureDataset(db),
  ]);
  const today = utcDay(new Date());
  const r = row.result as AssetEol;
  const unsupported = r.state === 'unsupported';
  return {
    assetId: asset.id, hostname: asset.hostname, lifecycle: asset.lifecycle,
    state: r.state, risk: r.risk, riskReason: r.riskReason,
    os: withDaysLeft(r.os, today), software: r.software.map((s) => withDaysLeft(s, today) as EolItem),
    unsupportedFrom: r.unsupportedFrom,
    monitoring: { inventoryMaxAgeDays: maxInventoryAgeDays({ businessCriticality: asset.business_criticality, tags: asset.tags, eolUnsupported: unsupported }), raised: unsupported },
    controls,
    needsControl: unsupported && !controls.some((c) => c.status === 'active'),
    dataset: { source: dataset.source, version: dataset.version, loadedAt: dataset.loadedAt },
    evaluatedAt: row.computed_at.toISOString(),
  };
}

export const LIST_STATES = ['unsupported', 'eol_soon', 'supported', 'unknown'] as const;
const RISK_ORDER = "(case e.risk when 'critical' then 0 when 'high' then 1 when 'medium' then 2 when 'low' then 3 when 'unknown' then 4 else 5 end)";

export interface EolListQuery {
  state?: readonly (typeof LIST_STATES)[number][];
  risk?: RiskClass;
  withoutControl?: boolean;
  limit: number;
  offset: number;
}

/**
 * The active assets in the given states (default: unsupported and eol_soon),
 * riskiest first, with counts over the whole register. Every stale
 * evaluation is brought up to date first (set-wise).
 */
export async function listEolAssets(db: Db, ctx: Ctx, q: EolListQuery) {
  authorize(ctx, 'asset:read');
  await refreshEvaluations(db);
  const states = q.state?.length ? [...q.state] : ['unsupported', 'eol_soon'];
  const activeControls = sql<number>`(select count(*) from eol_controls c where c.asset_id = e.asset_id and c.status = 'active')`;
  const filter = sql`a.lifecycle = 'active' and e.state = any(${sql.val(states)}::text[])
    ${q.risk ? sql`and e.risk = ${q.risk}` : sql``}
    ${q.withoutControl ? sql`and not exists (select 1 from eol_controls c where c.asset_id = e.asset_id and c.status = 'active')` : sql``}`;
  const [page, total, counts] = await Promise.all([
    sql<{ id: string; hostname: string; environment: string; business_criticality: string; network_exposure: string; owner: string | null; state: EolState; risk: RiskClass; risk_reason: string; os_product: string | null; os_cycle: string | null; unsupported_from: string | null; result: AssetEol; controls: number; next_review: string | null }>`
      select a.id, a.hostname, a.environment, a.business_criticality, a.network_exposure, coalesce(u.username, t.name) as owner,
        e.state, e.risk, e.risk_reason, e.os_product, e.os_cycle, e.unsupported_from::text as unsupported_from, e.result,
        ${activeControls}::int as controls,
        (select min(c.review_date)::text from eol_controls c where c.asset_id = e.asset_id and c.status = 'active') as next_review
      from asset_eol e join assets a on a.id = e.asset_id
      left join users u on u.id = a.owner_user_id left join teams t on t.id = a.owner_team_id
      where ${filter}
      order by ${sql.raw(RISK_ORDER)}, e.unsupported_from nulls last, lower(a.hostname), a.id
      limit ${q.limit} offset ${q.offset}`.execute(db),
    sql<{ n: number }>`select count(*)::int as n from asset_eol e join assets a on a.id = e.asset_id where ${filter}`.execute(db),
    sql<{ state: string; risk: string; n: number; uncontrolled: number }>`
      select e.state, e.risk, count(*)::int as n,
        count(*) filter (where not exists (select 1 from eol_controls c where c.asset_id = e.asset_id and c.status = 'active'))::int as uncontrolled
      from asset_eol e join assets a on a.id = e.asset_id where a.lifecycle = 'active' group by e.state, e.risk`.execute(db),
  ]);
  const byState: Record<string, number> = { unsupported: 0, eol_soon: 0, supported: 0, unknown: 0 };
  const byRisk: Record<string, number> = { critical: 0, high: 0, medium: 0, low: 0, none: 0, unknown: 0 };
  let withoutControl = 0;
  for (const c of counts.rows) {
    byState[c.state] = (byState[c.state] ?? 0) + Number(c.n);
    byRisk[c.risk] = (byRisk[c.risk] ?? 0) + Number(c.n);
    if (c.state === 'unsupported') withoutControl += Number(c.uncontrolled);
  }
  const today = utcDay(new Date());
  return {
    counts: { unsupported: byState.unsupported ?? 0, eolSoon: byState.eol_soon ?? 0, supported: byState.supported ?? 0, unknown: byState.unknown ?? 0, unsupportedWithoutControl: withoutControl, byRisk },
    total: Number(total.rows[0]?.n ?? 0),
    items: page.rows.map((r) => ({
      asset: { id: r.id, hostname: r.hostname, environment: r.environment, businessCriticality: r.business_criticality, networkExposure: r.network_exposure, owner: r.owner },
      state: r.state, risk: r.risk, riskReason: r.risk_reason,
      os: r.os_product ? `${r.os_product}${r.os_cycle ? ` ${r.os_cycle}` : ''}` : null,
      // What makes it unsupported or soon: the OS and software judged by their own dates.
      products: [r.result.os, ...r.result.software]
        .filter((i): i is EolItem => !!i && (i.effectiveState === 'unsupported' || i.effectiveState === 'eol_soon') && !i.coveredBy)
        .map((i) => ({ kind: i.kind, product: i.product, cycle: i.cycle, state: i.state, eol: i.eol, daysLeft: typeof i.eol === 'string' ? daysBetween(today, i.eol) : null })),
      unsupportedFrom: r.unsupported_from,
      activeControls: Number(r.controls),
      nextReview: r.next_review,
    })),
  };
}
