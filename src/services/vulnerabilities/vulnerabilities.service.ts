import { type RawBuilder, sql } from 'kysely';
import { cvssBaseScore, cvssSeverity, type CvssVersion } from '../../domain/cvss/index.js';
import { BadRequestError, NotFoundError } from '../../lib/errors.js';
import type { Db } from '../../storage/db.js';
import { authorize, type Ctx } from '../context.js';

/**
 * The vulnerability register (issue #3 §8), read side. The list aggregates
 * open findings with one grouped query (over the partial index of migration
 * 0005) only when it sorts by open findings; otherwise it pages through the
 * vulnerabilities and counts the page's findings alone.
 */

export type VulnSort = 'openFindings' | 'cvss' | 'epss' | 'id' | 'kevDateAdded';
export type Severity = 'none' | 'low' | 'medium' | 'high' | 'critical';

export interface VulnerabilityQuery {
  scope: 'affected' | 'all';
  q?: string;
  kev?: 'true' | 'false';
  severity?: Severity;
  minCvss?: number;
  minEpss?: number;
  sort: VulnSort;
  order?: 'asc' | 'desc';
  limit: number;
  cursor?: string;
}

export const DESCRIPTION_MAX = 300;
/** Finding rows listed in a vulnerability's detail; the counts always cover all. */
export const AFFECTED_ROWS_MAX = 5000;

const VERSIONS = new Set<string>(['2.0', '3.0', '3.1', '4.0']);

function num(v: unknown): number | null {
  if (v === null || v === undefined || v === '') return null;
  const n = Number(v);
  return Number.isFinite(n) ? n : null;
}

/** A date the query selected as text (YYYY-MM-DD). */
function isoDate(v: unknown): string | null {
  return v === null || v === undefined ? null : String(v).slice(0, 10);
}

function isoTime(v: unknown): string | null {
  if (v === null || v === undefined) return null;
  return v instanceof Date ? v.toISOString() : String(v);
}

/** The stored severity, or the one the score has on its version's scale. */
function severityOf(severity: string | null, score: number | null, version: string | null): string | null {
  if (severity) return severity.toLowerCase();
  if (score === null) return null;
  try {
    return cvssSeverity((version && VERSIONS.has(version) ? version : '3.1') as CvssVersion, score).toLowerCase();
  } catch {
    return null;
  }
}

/** The same rule in SQL, for the severity filter. */
const severitySql = sql`lower(coalesce(v.severity, case
    when v.cvss_score is null then null
    when v.cvss_version = '2.0' then case when v.cvss_score < 4 then 'low' when v.cvss_score < 7 then 'medium' else 'high' end
    when v.cvss_score = 0 then 'none' when v.cvss_score < 4 then 'low' when v.cvss_score < 7 then 'medium' when v.cvss_score < 9 then 'high' else 'critical' end))`;

function truncate(s: string | null): string | null {
  if (s === null) return null;
  const chars = [...s];
  return chars.length > DESCRIPTION_MAX ? `${chars.slice(0, DESCRIPTION_MAX - 1).join('').trimEnd()}…` : s;
}

function likePattern(q: string): string {
  return `%${q.replace(/[\\%_]/g, (c) => `\\${c}`)}%`;
}

interface Cursor {
  s: VulnSort;
  o: 'asc' | 'desc';
  k: number | string | null;
  id: string;
}

function badCursor(): never {
  throw new BadRequestError('The cursor is not valid', [{ field: 'query.cursor', message: 'is not a cursor this server issued for this sort' }]);
}

function decodeCursor(raw: string, sort: VulnSort, order: 'asc' | 'desc'): Cursor {
  let c: Cursor;
  try {
    c = JSON.parse(Buffer.from(raw, 'base64url').toString('utf8'));
  } catch {
    badCursor();
  }
  if (!c || typeof c !== 'object' || c.s !== sort || c.o !== order || typeof c.id !== 'string' || c.id.length > 200) badCursor();
  if (sort === 'kevDateAdded' && !(typeof c.k === 'string' && /^\d{4}-\d{2}-\d{2}$/.test(c.k))) badCursor();
  if ((sort === 'openFindings' || sort === 'cvss' || sort === 'epss') && !(typeof c.k === 'number' && Number.isFinite(c.k))) badCursor();
  return c;
}

function encodeCursor(c: Cursor): string {
  return Buffer.from(JSON.stringify(c), 'utf8').toString('base64url');
}

/** Sort expression with nulls replaced by a value that puts them last either way. */
function sortKey(sort: VulnSort, order: 'asc' | 'desc'): RawBuilder<unknown> {
  const desc = order === 'desc';
  switch (sort) {
    case 'openFindings':
      return sql`coalesce(a.n, 0)`;
    case 'cvss':
      return desc ? sql`coalesce(v.cvss_score, -1)` : sql`coalesce(v.cvss_score, 99)`;
    case 'epss':
      return desc ? sql`coalesce(v.epss_score, -1)` : sql`coalesce(v.epss_score, 99)`;
    case 'kevDateAdded':
      return desc ? sql`coalesce(v.kev_date_added, date '0001-01-01')` : sql`coalesce(v.kev_date_added, date '9999-12-31')`;
    case 'id':
      return sql`v.id`;
  }
}

export async function listVulnerabilities(db: Db, ctx: Ctx, q: VulnerabilityQuery) {
  authorize(ctx, 'asset:read');
  const order = q.order ?? (q.sort === 'id' ? 'asc' : 'desc');
  const key = sortKey(q.sort, order);
  const where: RawBuilder<unknown>[] = [];
  if (q.q) {
    const p = likePattern(q.q);
    where.push(sql`(v.id ilike ${p} or v.description ilike ${p} or exists (select 1 from vulnerability_aliases al where al.vulnerability_id = v.id and al.alias ilike ${p}))`);
  }
  if (q.kev === 'true') where.push(sql`v.kev_date_added is not null`);
  if (q.kev === 'false') where.push(sql`v.kev_date_added is null`);
  if (q.severity) where.push(sql`${severitySql} = ${q.severity}`);
  if (q.minCvss !== undefined) where.push(sql`v.cvss_score >= ${q.minCvss}`);
  if (q.minEpss !== undefined) where.push(sql`v.epss_score >= ${q.minEpss}`);
  if (q.cursor) {
    const c = decodeCursor(q.cursor, q.sort, order);
    const cmp = order === 'desc' ? sql.raw('<') : sql.raw('>');
    if (q.sort === 'id') where.push(sql`v.id ${cmp} ${c.id}`);
    else {
      const k = q.sort === 'kevDateAdded' ? sql`${c.k}::date` : sql`${c.k}::numeric`;
      where.push(sql`(${key} ${cmp} ${k} or (${key} = ${k} and v.id > ${c.id}))`);
    }
  }

  const bySort = q.sort === 'openFindings';
  let from: RawBuilder<unknown>;
  if (bySort) {
    // One grouped pass over the open findings, then the page.
    const agg = sql`(select vulnerability_num as vnum, count(*)::int as n from findings where status = 'open' group by vulnerability_num) a`;
    from = q.scope === 'all' ? sql`vulnerabilities v left join ${agg} on a.vnum = v.num` : sql`${agg} join vulnerabilities v on v.num = a.vnum`;
  } else {
    from = sql`vulnerabilities v`;
    if (q.scope === 'affected') where.push(sql`exists (select 1 from findings f where f.vulnerability_num = v.num and f.status = 'open')`);
  }
  const whereSql = where.length ? sql`where ${sql.join(where, sql` and `)}` : sql``;
  const dir = sql.raw(order);
  const tie = q.sort === 'id' ? sql`` : sql`, v.id asc`;
  const rows = (
    await sql<Record<string, any>>`select v.id, left(v.description, ${DESCRIPTION_MAX + 1}) as description, v.cvss_score, v.cvss_version, v.severity,
        v.epss_score, v.epss_percentile, v.kev_date_added::text as kev_date_added, v.kev_due_date::text as kev_due_date, v.kev_ransomware,
        ${q.sort === 'kevDateAdded' ? sql`${key}::text` : key} as sort_key
      from ${from} ${whereSql}
      order by ${key} ${dir}${tie}
      limit ${q.limit + 1}`.execute(db)
  ).rows;
  const page = rows.slice(0, q.limit);
  const ids = page.map((r) => r.id as string);

  const counts = new Map<string, { assets: number; packages: number; openFindings: number }>();
  const aliases = new Map<string, string[]>();
  if (ids.length) {
    const c = await sql<{ vid: string; n: number; assets: number; packages: number }>`select v.id as vid, count(*)::int as n,
        count(distinct asset_id)::int as assets, count(distinct name_id)::int as packages
      from findings f join vulnerabilities v on v.num = f.vulnerability_num
      where f.status = 'open' and v.id = any(${ids}::text[]) group by v.id`.execute(db);
    for (const r of c.rows) counts.set(r.vid, { assets: r.assets, packages: r.packages, openFindings: r.n });
    const al = await db.selectFrom('vulnerability_aliases').select(['vulnerability_id', 'alias']).where('vulnerability_id', 'in', ids).orderBy('alias').execute();
    for (const r of al) if (r.alias !== r.vulnerability_id) aliases.set(r.vulnerability_id, [...(aliases.get(r.vulnerability_id) ?? []), r.alias]);
  }

  const items = page.map((r) => {
    const score = num(r.cvss_score);
    return {
      id: r.id as string,
      aliases: aliases.get(r.id) ?? [],
      description: truncate(r.description),
      cvss: { score, version: r.cvss_version as string | null, severity: severityOf(r.severity, score, r.cvss_version) },
      epss: r.epss_score === null ? null : { score: Number(r.epss_score), percentile: num(r.epss_percentile) },
      kev: r.kev_date_added ? { dateAdded: isoDate(r.kev_date_added) as string, dueDate: isoDate(r.kev_due_date), ransomware: r.kev_ransomware as boolean | null } : null,
      counts: counts.get(r.id) ?? { assets: 0, packages: 0, openFindings: 0 },
    };
  });
  const last = page[page.length - 1];
  let nextCursor: string | null = null;
  if (rows.length > q.limit && last) {
    const k = q.sort === 'id' ? null : q.sort === 'kevDateAdded' ? isoDate(last.sort_key) : Number(last.sort_key);
    nextCursor = encodeCursor({ s: q.sort, o: order, k, id: last.id });
  }
  return { items, nextCursor };
}

/**
 * The vulnerability an id or alias names: exactly, then upper-cased (CVE-…,
 * DSA-…), then an alias in any case (GHSA ids are mixed case).
 */
export async function resolveVulnerabilityId(db: Db, idOrAlias: string): Promise<string | null> {
  for (const candidate of [...new Set([idOrAlias, idOrAlias.toUpperCase()])]) {
    const v = await db.selectFrom('vulnerabilities').select('id').where('id', '=', candidate).executeTakeFirst();
    if (v) return v.id;
    const a = await db.selectFrom('vulnerability_aliases').select('vulnerability_id').where('alias', '=', candidate).executeTakeFirst();
    if (a) return a.vulnerability_id;
  }
  const a = await db
    .selectFrom('vulnerability_aliases')
    .select('vulnerability_id')
    .where(sql<string>`lower(alias)`, '=', idOrAlias.toLowerCase())
    .orderBy('alias')
    .executeTakeFirst();
  return a?.vulnerability_id ?? null;
}

function str(v: unknown): string | null {
  return typeof v === 'string' && v !== '' ? v : null;
}

/** CVSS entries as the feeds store them: objects with vector, score, version, source, severity (any may be missing), or bare vectors. */
function cvssEntries(raw: unknown) {
  const list = Array.isArray(raw) ? raw : [];
  return list.flatMap((e) => {
    const o: Record<string, unknown> = typeof e === 'string' ? { vector: e } : e && typeof e === 'object' ? (e as Record<string, unknown>) : {};
    const vector = str(o.vector) ?? str(o.vectorString);
    const stated = num(o.score ?? o.baseScore);
    if (!vector && stated === null) return [];
    let computed: { score: number; severity: string; version: string } | null = null;
    let error: string | null = null;
    if (vector) {
      try {
        const b = cvssBaseScore(vector);
        computed = { score: b.score, severity: b.severity.toLowerCase(), version: b.version };
      } catch (err) {
        error = err instanceof Error ? err.message : String(err);
      }
    }
    const version = str(o.version) ?? computed?.version ?? null;
    return [{
      source: str(o.source),
      version,
      vector,
      score: stated,
      severity: str(o.severity)?.toLowerCase() ?? (stated !== null ? severityOf(null, stated, version) : null),
      computed,
      error,
    }];
  });
}

function references(raw: unknown) {
  const list = Array.isArray(raw) ? raw : [];
  const seen = new Set<string>();
  return list.flatMap((e) => {
    const o: Record<string, unknown> = typeof e === 'string' ? { url: e } : e && typeof e === 'object' ? (e as Record<string, unknown>) : {};
    const url = str(o.url);
    if (!url || seen.has(url)) return [];
    seen.add(url);
    const tags = Array.isArray(o.tags) ? o.tags.filter((t): t is string => typeof t === 'string') : [];
    return [{ url, source: str(o.source) ?? str(o.type), tags }];
  });
}

export async function getVulnerability(db: Db, ctx: Ctx, idOrAlias: string) {
  authorize(ctx, 'asset:read');
  const id = await resolveVulnerabilityId(db, idOrAlias);
  if (!id) throw new NotFoundError(`Vulnerability ${idOrAlias}`);
  // Dates as text: node-pg would turn a date into local midnight, which shifts the day east of UTC.
  const v = await db
    .selectFrom('vulnerabilities')
    .selectAll()
    .select([sql<string | null>`epss_date::text`.as('epss_day'), sql<string | null>`kev_date_added::text`.as('kev_added_day'), sql<string | null>`kev_due_date::text`.as('kev_due_day')])
    .where('id', '=', id)
    .executeTakeFirstOrThrow();
  const [aliasRows, advisories, countRows, rows] = await Promise.all([
    db.selectFrom('vulnerability_aliases').select('alias').where('vulnerability_id', '=', id).orderBy('alias').execute(),
    db
      .selectFrom('advisories')
      .select(['id', 'feed', 'advisory_ref', 'ecosystem', 'release', 'package', 'state', 'fixed_version', 'urgency'])
      .where('vulnerability_id', '=', id)
      .orderBy('feed')
      .orderBy('ecosystem')
      .orderBy('release')
      .orderBy('package')
      .execute(),
    sql<{ n: number; assets: number; packages: number }>`select count(*)::int as n, count(distinct asset_id)::int as assets, count(distinct name_id)::int as packages
      from findings where status = 'open' and vulnerability_num = (select num from vulnerabilities where id = ${id})`.execute(db),
    sql<Record<string, any>>`select f.id::text as id, f.asset_id, a.hostname, a.environment, a.business_criticality, p.name as package_name, p.arch as package_arch,
        p.version as installed_version, p.source_name as source_package, f.fixed_version, f.first_seen
      from findings f join assets a on a.id = f.asset_id join packages p on p.id = f.package_id
      where f.vulnerability_num = (select num from vulnerabilities where id = ${id}) and f.status = 'open'
      order by case a.business_criticality when 'critical' then 1 when 'high' then 2 when 'medium' then 3 else 4 end, a.hostname, f.asset_id, p.name, p.arch
      limit ${AFFECTED_ROWS_MAX + 1}`.execute(db),
  ]);
  let list = rows.rows;
  let truncated = false;
  if (list.length > AFFECTED_ROWS_MAX) {
    // Drop the last asset too: it may be listed only in part.
    truncated = true;
    const lastAsset = list[AFFECTED_ROWS_MAX - 1]?.asset_id;
    list = list.slice(0, AFFECTED_ROWS_MAX).filter((r) => r.asset_id !== lastAsset);
  }
  const byAsset = new Map<string, { asset: { id: string; hostname: string; environment: string; criticality: string }; packages: any[] }>();
  for (const r of list) {
    let g = byAsset.get(r.asset_id);
    if (!g) {
      g = { asset: { id: r.asset_id, hostname: r.hostname, environment: r.environment, criticality: r.business_criticality }, packages: [] };
      byAsset.set(r.asset_id, g);
    }
    g.packages.push({
      findingId: r.id,
      package: r.package_name,
      arch: r.package_arch,
      installedVersion: r.installed_version,
      sourcePackage: r.source_package,
      fixedVersion: r.fixed_version,
      firstSeen: isoTime(r.first_seen) as string,
    });
  }
  const c = countRows.rows[0];
  const score = num(v.cvss_score);
  return {
    id: v.id,
    aliases: aliasRows.map((a) => a.alias).filter((a) => a !== v.id),
    title: v.title,
    description: v.description,
    publishedAt: isoTime(v.published_at),
    modifiedAt: isoTime(v.modified_at),
    cvss: { score, version: v.cvss_version, severity: severityOf(v.severity, score, v.cvss_version), entries: cvssEntries(v.cvss) },
    epss: v.epss_score === null ? null : { score: v.epss_score, percentile: v.epss_percentile, date: v.epss_day },
    kev: v.kev_added_day
      ? { dateAdded: v.kev_added_day, dueDate: v.kev_due_day, ransomware: v.kev_ransomware, name: v.kev_name, requiredAction: v.kev_required_action }
      : null,
    references: references(v.refs),
    advisories: advisories.map((a) => ({
      id: Number(a.id), feed: a.feed, ref: a.advisory_ref, ecosystem: a.ecosystem, release: a.release, package: a.package, state: a.state, fixedVersion: a.fixed_version, urgency: a.urgency,
    })),
    counts: { assets: c?.assets ?? 0, packages: c?.packages ?? 0, openFindings: c?.n ?? 0 },
    affected: [...byAsset.values()],
    affectedTruncated: truncated,
  };
}
