import { sql } from 'kysely';
import { priorityOfRank, slaState } from '../../domain/priority/index.js';
import { BadRequestError, NotFoundError } from '../../lib/errors.js';
import type { Db } from '../../storage/db.js';
import { authorize, type Ctx } from '../context.js';
import { currentPolicy } from '../priority/policy.service.js';
import { ERANK, type FindingGroupQuery, type FindingListQuery, findPage, prepareFilters, SEVERITY_LEVELS, severityWhere, VRANK, withoutJit } from './register.js';

/**
 * The findings register (VUL-8), read side: the filtered, sorted list
 * (register.ts finds the page), one finding with every piece of evidence and
 * its history, and an asset's installed software.
 */

const LEVEL_OF_RANK = [...SEVERITY_LEVELS].reverse();

export type SeverityLevel = (typeof SEVERITY_LEVELS)[number];

export function severityOfRank(rank: number | null | undefined): SeverityLevel | null {
  return rank === null || rank === undefined ? null : (LEVEL_OF_RANK[rank] ?? null);
}

const now = () => new Date();
const iso = (d: unknown) => (d instanceof Date ? d.toISOString() : d === null || d === undefined ? null : new Date(String(d)).toISOString());
const num = (v: unknown) => (v === null || v === undefined ? null : Number(v));

function toFinding(r: Record<string, any>) {
  const pkg = r.package_name ?? r.pn_name ?? null;
  const vrank = num(r.vrank);
  const erank = num(r.erank);
  const owner = r.owner_user_id
    ? { type: 'user' as const, id: r.owner_user_id as string, name: (r.owner_user_name ?? '') as string }
    : r.owner_team_id
      ? { type: 'team' as const, id: r.owner_team_id as string, name: (r.owner_team_name ?? '') as string }
      : null;
  return {
    id: String(r.id),
    asset: {
      id: r.asset_id as string,
      hostname: r.hostname as string,
      environment: r.environment as string,
      systemType: r.system_type as string,
      department: r.department as string | null,
      businessCriticality: r.business_criticality as string,
      networkExposure: r.network_exposure as string,
      owner,
      lifecycle: r.lifecycle as string,
    },
    vulnerabilityId: r.vulnerability_id as string,
    title: r.title as string | null,
    severity: severityOfRank(vrank ?? erank),
    severitySource: (vrank !== null ? 'vulnerability' : erank !== null ? 'evidence' : null) as 'vulnerability' | 'evidence' | null,
    cvssScore: num(r.cvss_score),
    epss: r.epss_score === null || r.epss_score === undefined ? null : { score: Number(r.epss_score), percentile: num(r.epss_percentile) },
    kev: r.kev_date_added ? { dateAdded: String(r.kev_date_added).slice(0, 10), dueDate: r.kev_due_date ? String(r.kev_due_date).slice(0, 10) : null, ransomware: r.kev_ransomware as boolean | null } : null,
    // null: a scanner reported it without naming a package (a network check).
    ecosystem: (r.ecosystem ?? r.pn_ecosystem ?? null) as string | null,
    package: pkg as string | null,
    arch: (r.package_arch ?? r.pn_arch ?? null) as string | null,
    installedVersion: r.installed_version as string | null,
    sourcePackage: r.source_name as string | null,
    sourceVersion: r.source_version as string | null,
    fixedVersion: r.fixed_version as string | null,
    rule: (r.source !== 'engine' ? 'reported_by_scanner' : r.fixed_version === null ? 'no_fix_available' : 'source_version_below_fixed') as string,
    source: r.source as string,
    sources: [...new Set([r.source as string, ...((r.evidence_sources ?? []) as string[])])].sort(),
    status: r.status as string,
    // No foreign key: a withdrawn advisory leaves the id behind without its row.
    advisory: r.advisory_id && r.feed ? { id: Number(r.advisory_id), feed: r.feed as string, release: r.release as string, package: r.advisory_package as string, urgency: r.urgency as string | null } : null,
    // Prioritisation (issue #6): null until the finding's first evaluation.
    priority: r.priority === null || r.priority === undefined ? null : priorityOfRank(Number(r.priority)),
    priorityScore: num(r.priority_score),
    priorityDecision: (r.priority_decision ?? null) as string | null,
    emergency: r.emergency === true,
    dueAt: iso(r.due_at),
    slaState: r.status === 'open' && r.priority !== null ? slaState({ dueAt: r.due_at ?? null, classSince: r.class_since ?? null, excepted: r.exception_id !== null }, now(), Number(r.due_soon_percent)) : null,
    policyVersion: num(r.policy_version),
    exceptionId: (r.exception_id ?? null) as string | null,
    extendedDueAt: iso(r.extended_due_at),
    firstSeen: iso(r.first_seen) as string,
    lastSeen: iso(r.status === 'open' && r.source === 'engine' && r.matched_at ? r.matched_at : (r.last_seen ?? r.resolved_at ?? r.first_seen)) as string,
    resolvedAt: iso(r.resolved_at),
  };
}
export type Finding = ReturnType<typeof toFinding>;

/** Everything shown of these findings, in the order of `ids`. */
export async function hydrate(db: Db, ids: readonly string[]): Promise<Finding[]> {
  if (!ids.length) return [];
  const { document: policy } = await currentPolicy(db);
  const rows = await sql<Record<string, any>>`select f.id::text as id, f.asset_id, f.source, f.status, f.first_seen, f.last_seen, f.resolved_at, f.fixed_version, f.advisory_id,
      f.priority, f.priority_score, f.priority_decision, f.emergency, f.due_at, f.class_since, f.policy_version, f.exception_id, f.extended_due_at, ${policy.dueSoonPercent}::int as due_soon_percent,
      a.hostname, a.environment, a.system_type, a.department, a.business_criticality, a.network_exposure, a.owner_user_id, a.owner_team_id, a.lifecycle,
      ou.username as owner_user_name, ot.name as owner_team_name,
      v.id as vulnerability_id, v.title, v.cvss_score::text as cvss_score, v.epss_score, v.epss_percentile,
      v.kev_date_added::text as kev_date_added, v.kev_due_date::text as kev_due_date, v.kev_ransomware,
      ${VRANK} as vrank, ${ERANK} as erank,
      p.ecosystem, p.name as package_name, p.arch as package_arch, p.version as installed_version, p.source_name, p.source_version,
      pn.ecosystem as pn_ecosystem, pn.name as pn_name, pn.arch as pn_arch,
      adv.feed, adv.release, adv.package as advisory_package, adv.urgency, ai.matched_at,
      array(select distinct e.source from finding_evidence e where e.finding_id = f.id and e.gone_at is null order by 1) as evidence_sources
    from findings f
    join assets a on a.id = f.asset_id
    join vulnerabilities v on v.num = f.vulnerability_num
    left join packages p on p.id = f.package_id
    left join package_names pn on pn.id = f.name_id
    left join advisories adv on adv.id = f.advisory_id
    left join asset_inventories ai on ai.asset_id = f.asset_id
    left join users ou on ou.id = a.owner_user_id
    left join teams ot on ot.id = a.owner_team_id
    where f.id = any(${[...ids]}::bigint[])`.execute(db);
  const byId = new Map(rows.rows.map((r) => [String(r.id), toFinding(r)]));
  return ids.flatMap((id) => byId.get(id) ?? []);
}

export async function listFindings(db: Db, ctx: Ctx, q: FindingListQuery) {
  authorize(ctx, 'asset:read');
  const p = await prepareFilters(db, q, ctx.principal.userId);
  const { rows, nextCursor } = await withoutJit(db, (tx) => findPage(tx, p, q));
  return { items: await hydrate(db, rows.map((r) => r.id)), nextCursor };
}

interface GroupCursor {
  by: string;
  w: number;
  o: number;
  l: string;
  g: string;
}

function decodeGroupCursor(raw: string, by: string): GroupCursor {
  try {
    const c = JSON.parse(Buffer.from(raw, 'base64url').toString('utf8')) as GroupCursor;
    if (c && c.by === by && Number.isSafeInteger(c.w) && Number.isSafeInteger(c.o) && typeof c.l === 'string' && typeof c.g === 'string' && c.l.length + c.g.length < 800) return c;
  } catch {
    /* below */
  }
  throw new BadRequestError('The cursor is not valid', [{ field: 'query.cursor', message: 'is not a cursor this server issued for this grouping' }]);
}

/**
 * Findings grouped by vulnerability, asset or package: counts (open, total,
 * assets) and the worst severity, worst first, then most open findings. The
 * groups are counted over every finding the filters select, then paged.
 */
export async function listGroups(db: Db, ctx: Ctx, q: FindingGroupQuery) {
  authorize(ctx, 'asset:read');
  const p = await prepareFilters(db, q, ctx.principal.userId);
  const cursor = q.cursor ? decodeGroupCursor(q.cursor, q.by) : null;
  if (p.empty) return { by: q.by, items: [], nextCursor: null };
  const key = q.by === 'vulnerability' ? sql`f.vulnerability_num` : q.by === 'asset' ? sql`f.asset_id` : sql`coalesce(pn.name, '')`;
  // By vulnerability, its severity is the group's: the findings are counted without joining it row by row.
  const perVulnerability = q.by === 'vulnerability' && !p.needV;
  const joins = perVulnerability ? [] : [sql`join vulnerabilities v on v.num = f.vulnerability_num`];
  if (p.needA) joins.push(sql`join assets a on a.id = f.asset_id`);
  if (q.by === 'package') joins.push(sql`left join package_names pn on pn.id = f.name_id`);
  const where = [...p.where, ...severityWhere(p.ranks, null)];
  const label = q.by === 'vulnerability' ? sql`gv.id` : q.by === 'asset' ? sql`lower(ga.hostname)` : sql`g.gk`;
  const labelJoin = q.by === 'vulnerability' ? sql`join vulnerabilities gv on gv.num = g.gk` : q.by === 'asset' ? sql`join assets ga on ga.id = g.gk` : sql``;
  const after = cursor
    ? sql`where (coalesce(g.worst, -1) < ${cursor.w}::int or (coalesce(g.worst, -1) = ${cursor.w}::int and (g.open < ${cursor.o}::int
        or (g.open = ${cursor.o}::int and (${label}, g.gk::text) > (${cursor.l}::text, ${cursor.g}::text)))))`
    : sql``;
  const filtered = sql`from findings f ${sql.join(joins, sql` `)} ${where.length ? sql`where ${sql.join(where, sql` and `)}` : sql``}`;
  // Plain counts over everything selected (no DISTINCT, so PostgreSQL can aggregate in parallel), then the page.
  const counted = perVulnerability
    ? sql`with c as (select ${key} as gk, count(*)::int as total, count(*) filter (where f.status = 'open')::int as open, max(${ERANK}) as erank ${filtered} group by 1),
        g as (select c.gk, c.total, c.open, coalesce(patchloop_severity_rank(cv.severity, cv.cvss_score, cv.cvss_version), c.erank) as worst from c join vulnerabilities cv on cv.num = c.gk)`
    : sql`with g as (select ${key} as gk, count(*)::int as total, count(*) filter (where f.status = 'open')::int as open, max(coalesce(${VRANK}, ${ERANK})) as worst ${filtered} group by 1)`;
  const rows = await withoutJit(db, (tx) => sql<Record<string, any>>`${counted}
    select g.*, g.gk::text as gk_text, ${label} as label
      ${q.by === 'vulnerability' ? sql`, gv.id as vulnerability_id, gv.title, gv.cvss_score::text as cvss_score, gv.epss_score, gv.kev_date_added::text as kev_date_added, gv.kev_due_date::text as kev_due_date` : sql``}
      ${q.by === 'asset' ? sql`, ga.hostname, ga.environment, ga.business_criticality, ga.network_exposure` : sql``}
    from g ${labelJoin} ${after}
    order by coalesce(g.worst, -1) desc, g.open desc, ${label} asc, g.gk::text asc
    limit ${q.limit + 1}`.execute(tx));
  const page = rows.rows.slice(0, q.limit);
  // Distinct assets (and a package's ecosystems) for the page's groups only.
  const extra = new Map<string, { assets: number; ecosystems: string[] }>();
  if (page.length && q.by !== 'asset') {
    const keys = page.map((r) => String(r.gk_text));
    const inPage = q.by === 'vulnerability' ? sql`f.vulnerability_num = any(${keys}::int[])` : sql`coalesce(pn.name, '') = any(${keys}::text[])`;
    const more = await withoutJit(db, (tx) => sql<{ gk: string; assets: number; ecosystems: string[] | null }>`select ${key}::text as gk, count(distinct f.asset_id)::int as assets
        ${q.by === 'package' ? sql`, array_agg(distinct pn.ecosystem) filter (where pn.ecosystem is not null) as ecosystems` : sql`, null::text[] as ecosystems`}
      ${filtered} ${where.length ? sql`and` : sql`where`} ${inPage} group by 1`.execute(tx));
    for (const r of more.rows) extra.set(r.gk, { assets: r.assets, ecosystems: (r.ecosystems ?? []).sort() });
  }
  const last = page[page.length - 1];
  const nextCursor =
    rows.rows.length > q.limit && last
      ? Buffer.from(JSON.stringify({ by: q.by, w: last.worst === null ? -1 : Number(last.worst), o: last.open, l: String(last.label), g: String(last.gk_text) }), 'utf8').toString('base64url')
      : null;
  return {
    by: q.by,
    items: page.map((r) => ({
      key: q.by === 'vulnerability' ? (r.vulnerability_id as string) : String(r.gk_text),
      label: q.by === 'vulnerability' ? (r.vulnerability_id as string) : q.by === 'asset' ? (r.hostname as string) : (r.gk_text as string) || '(no package)',
      total: r.total as number,
      open: r.open as number,
      assets: q.by === 'asset' ? 1 : (extra.get(String(r.gk_text))?.assets ?? 0),
      worstSeverity: severityOfRank(num(r.worst)),
      vulnerability:
        q.by === 'vulnerability'
          ? { id: r.vulnerability_id as string, title: r.title as string | null, cvssScore: num(r.cvss_score), epssScore: num(r.epss_score), kev: r.kev_date_added ? { dateAdded: String(r.kev_date_added), dueDate: (r.kev_due_date as string | null) ?? null } : null }
          : null,
      asset: q.by === 'asset' ? { id: String(r.gk_text), hostname: r.hostname as string, environment: r.environment as string, businessCriticality: r.business_criticality as string, networkExposure: r.network_exposure as string } : null,
      package: q.by === 'package' ? { name: (r.gk_text as string) || null, ecosystems: extra.get(String(r.gk_text))?.ecosystems ?? [] } : null,
    })),
    nextCursor,
  };
}

const FINDING_ID = /^[0-9]{1,18}$/;

/** A finding with every piece of evidence, its current validation and its whole history, oldest first. */
export async function getFinding(db: Db, ctx: Ctx, id: string) {
  authorize(ctx, 'asset:read');
  if (!FINDING_ID.test(id)) throw new NotFoundError('Finding');
  const [finding] = await hydrate(db, [id]);
  if (!finding) throw new NotFoundError('Finding');
  const [evidence, events, validations] = [
    await db.selectFrom('finding_evidence').selectAll().where('finding_id', '=', id).orderBy('first_seen').orderBy('id').execute(),
    await db.selectFrom('finding_events').selectAll().where('finding_id', '=', id).orderBy('id').execute(),
    await db.selectFrom('finding_validations').selectAll().where('finding_id', '=', id).orderBy('id').execute(),
  ];
  const importIds = [...new Set(evidence.flatMap((e) => [e.first_import_id, e.last_import_id, e.gone_import_id]).concat(events.map((e) => e.run_id)).filter((x): x is string => !!x))];
  const imports = importIds.length
    ? await db.selectFrom('scan_imports').select(['id', 'format', 'scanner', 'file_name', 'imported_at']).where('id', 'in', importIds).orderBy('imported_at').execute()
    : [];
  const current = [...validations].reverse().find((v) => v.lifted_at === null) ?? null;

  type Entry = { at: string; kind: 'detected' | 'status' | 'evidence_seen' | 'evidence_gone' | 'validated' | 'validation_lifted'; from: string | null; to: string; reason: string; installedVersion: string | null; runId: string | null; source: string | null; actor: string | null };
  // Within one instant: what was seen, then what it caused.
  const ORDER: Record<Entry['kind'], number> = { detected: 0, evidence_seen: 1, evidence_gone: 2, validation_lifted: 3, validated: 4, status: 5 };
  const entry = (e: Partial<Entry> & Pick<Entry, 'at' | 'kind' | 'to' | 'reason'>): Entry => ({ from: null, installedVersion: null, runId: null, source: null, actor: null, ...e });
  const history: Entry[] = [
    entry({ at: finding.firstSeen, kind: 'detected', to: 'open', reason: 'detected', source: finding.source }),
    ...evidence.flatMap((e) => [
      entry({ at: e.first_seen.toISOString(), kind: 'evidence_seen', to: 'evidence', reason: `reported by ${e.source} (${e.source_key})`, installedVersion: e.installed_version, runId: e.first_import_id, source: e.source }),
      ...(e.gone_at ? [entry({ at: e.gone_at.toISOString(), kind: 'evidence_gone', to: 'evidence gone', reason: `no longer reported by ${e.source} (${e.source_key})`, runId: e.gone_import_id, source: e.source })] : []),
    ]),
    ...validations.flatMap((v) => [
      entry({ at: v.at.toISOString(), kind: 'validated', to: v.status, reason: v.justification ? `${v.reason} (${v.justification})` : v.reason, actor: v.reviewer_name }),
      ...(v.lifted_at ? [entry({ at: v.lifted_at.toISOString(), kind: 'validation_lifted', from: v.status, to: 'lifted', reason: v.lifted_reason ?? 'validation lifted' })] : []),
    ]),
    ...events.map((e) => entry({ at: e.at.toISOString(), kind: 'status', from: e.from_status, to: e.to_status, reason: e.reason, installedVersion: e.installed_version, runId: e.run_id })),
  ];
  history.sort((a, b) => (a.at < b.at ? -1 : a.at > b.at ? 1 : 0) || ORDER[a.kind] - ORDER[b.kind]);

  return {
    ...finding,
    evidence: evidence.map((e) => ({
      id: String(e.id),
      source: e.source,
      sourceKey: e.source_key,
      firstSeen: e.first_seen.toISOString(),
      lastSeen: e.last_seen.toISOString(),
      goneAt: e.gone_at?.toISOString() ?? null,
      firstImportId: e.first_import_id,
      lastImportId: e.last_import_id,
      goneImportId: e.gone_import_id,
      title: e.title,
      severity: e.severity,
      cvssScore: num(e.cvss_score),
      cvssVector: e.cvss_vector,
      installedVersion: e.installed_version,
      fixedVersion: e.fixed_version,
      location: e.location,
      output: e.output,
    })),
    imports: imports.map((i) => ({ id: i.id, format: i.format, scanner: i.scanner, fileName: i.file_name, importedAt: i.imported_at.toISOString() })),
    validation: current
      ? {
          id: String(current.id),
          status: current.status,
          justification: current.justification,
          reason: current.reason,
          reviewer: { id: current.reviewer_id, name: current.reviewer_name },
          at: current.at.toISOString(),
        }
      : null,
    history,
  };
}
export type FindingDetail = Awaited<ReturnType<typeof getFinding>>;

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
