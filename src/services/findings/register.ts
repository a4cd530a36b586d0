import { type RawBuilder, sql } from 'kysely';
import { z } from 'zod';
import { CRITICALITIES, ENVIRONMENTS, EXPOSURES, SYSTEM_TYPES } from '../../domain/assets/asset.js';
import { PRIORITIES, PRIORITY_RANK, SLA_STATES, type SlaState } from '../../domain/priority/index.js';
import { SCAN_FORMATS } from '../../domain/scanners/report.js';
import { text } from '../../domain/text.js';
import { BadRequestError } from '../../lib/errors.js';
import type { Db } from '../../storage/db.js';
import { currentPolicy } from '../priority/policy.service.js';
import { resolveVulnerabilityId } from '../vulnerabilities/vulnerabilities.service.js';

/**
 * The register's query vocabulary (VUL-8), shared by the list, the groups,
 * the CSV export, saved views and the CLI. One definition, so a saved view is
 * checked exactly as a request would be.
 */
export const FINDING_STATUSES = ['open', 'resolved', 'false_positive', 'not_affected'] as const;
export const FINDING_SOURCES = ['engine', ...SCAN_FORMATS] as const;
/** Strongest first; a scanner's "info" counts as none. */
export const SEVERITY_LEVELS = ['critical', 'high', 'medium', 'low', 'none'] as const;
export const SEVERITY_RANK: Record<(typeof SEVERITY_LEVELS)[number], number> = { critical: 4, high: 3, medium: 2, low: 1, none: 0 };
export const FINDING_SORTS = ['severity', 'priority', 'dueAt', 'cvss', 'epss', 'firstSeen', 'lastSeen', 'hostname', 'vulnerability'] as const;
export const GROUP_BY = ['vulnerability', 'asset', 'package'] as const;
export type FindingSort = (typeof FINDING_SORTS)[number];
export type GroupBy = (typeof GROUP_BY)[number];

/** Sorts whose natural first page is the smallest value (names); the others start with the largest. */
export const ASCENDING_BY_DEFAULT: readonly FindingSort[] = ['hostname', 'vulnerability', 'dueAt'];

/** Sort key of a finding without a due date: after every real one, and still a safe integer of microseconds in a cursor. */
export const NO_DUE_DATE = sql`timestamptz '2200-01-01 00:00:00+00'`;
export const DUE_KEY = sql`coalesce(f.due_at, ${NO_DUE_DATE})`;
export const PRIORITY_KEY = sql`coalesce(f.priority, -1)`;

/** "a,b" or a repeated parameter (?status=a&status=b), each value from `values`. */
function several<T extends string>(values: readonly [T, ...T[]], describe: string) {
  return z
    .union([z.string(), z.array(z.string())])
    .transform((v) => (Array.isArray(v) ? v : [v]).flatMap((s) => s.split(',')).map((s) => s.trim().toLowerCase()).filter((s) => s !== ''))
    .pipe(z.array(z.enum(values, { error: `must be one or more of ${values.join(', ')}` })).min(1, 'must name at least one value').max(values.length * 2))
    .optional()
    .describe(`${describe}; several values comma-separated (or the parameter repeated): ${values.join(', ')}`);
}

const ISO_DATE = /^\d{4}-\d{2}-\d{2}$/;
const isoDate = z
  .string()
  .regex(ISO_DATE, 'must be a date YYYY-MM-DD')
  .refine((s) => {
    const d = new Date(`${s}T00:00:00Z`);
    return !Number.isNaN(d.getTime()) && d.toISOString().slice(0, 10) === s;
  }, 'is not a calendar date')
  .optional();

export const findingFilterFields = {
  status: several(FINDING_STATUSES, 'Finding status'),
  severity: several(['critical', 'high', 'medium', 'low', 'none', 'info'], "The vulnerability's severity, or the strongest severity its evidence states when the vulnerability has none (info = none)"),
  kev: z.enum(['true', 'false']).optional().describe('true: only vulnerabilities in CISA KEV; false: only those not in it'),
  epssMin: z.coerce.number().min(0).max(1).optional().describe('Only vulnerabilities with an EPSS score at least this (0–1)'),
  source: several(FINDING_SOURCES, "Who reported it: the finding's first source or any piece of evidence still present"),
  department: text(128).trim().min(1).optional().describe('Asset department (exact)'),
  systemType: z.enum(SYSTEM_TYPES).optional(),
  environment: z.enum(ENVIRONMENTS).optional(),
  owner: z.uuid().optional().describe('Owning user or team id of the asset'),
  networkExposure: z.enum(EXPOSURES).optional(),
  businessCriticality: z.enum(CRITICALITIES).optional(),
  assetId: z.uuid().optional(),
  vulnerabilityId: z
    .string()
    .min(1)
    .max(100)
    .regex(/^[A-Za-z0-9][A-Za-z0-9._:-]*$/, 'is not a vulnerability id (letters, digits, . _ : - only)')
    .optional()
    .describe('Vulnerability id or alias'),
  package: text(200).trim().min(1).optional().describe('Package name (exact)'),
  q: text(200).trim().min(1).optional().describe('Text in the vulnerability id or title, the host name or FQDN, or the package name'),
  kevDueBefore: isoDate.describe('Only vulnerabilities whose CISA KEV due date is on or before this day'),
  priority: several(PRIORITIES, 'Priority class from the patch policy'),
  slaState: several(SLA_STATES, 'SLA state of open findings (excepted: a risk exception covers it)'),
  emergency: z.enum(['true', 'false']).optional().describe('true: only findings under the emergency procedure (actively exploited on an exposed asset)'),
  dueBefore: isoDate.describe('Only findings due on or before the end of this day (UTC)'),
  exceptionId: z.uuid().optional().describe('Only the findings this risk exception covers'),
  mine: z.enum(['true']).optional().describe("true: only findings on assets you own, or your teams own (the system owner's view)"),
  ids: z
    .string()
    .max(20 * 500)
    .regex(/^\d{1,18}(,\d{1,18}){0,499}$/, 'must be up to 500 finding ids, comma-separated')
    .optional()
    .describe('Only these findings (a selection), comma-separated ids'),
};

export const findingSortFields = {
  sort: z.enum(FINDING_SORTS).default('severity').describe('Default severity (strongest first); ties go by vulnerability, then finding id'),
  order: z.enum(['asc', 'desc']).optional().describe('Default desc, except asc for hostname and vulnerability. Unknown scores count as the lowest'),
};

export const findingListQuerySchema = z.strictObject({
  ...findingFilterFields,
  ...findingSortFields,
  limit: z.coerce.number().int().min(1).max(1000).default(100),
  cursor: z.string().max(1000).optional().describe("Opaque cursor from the previous page's nextCursor (same filters and sort)"),
});
export type FindingListQuery = z.infer<typeof findingListQuerySchema>;
export type FindingFilters = Pick<FindingListQuery, keyof typeof findingFilterFields>;

export const findingGroupQuerySchema = z.strictObject({
  ...findingFilterFields,
  by: z.enum(GROUP_BY).describe('vulnerability, asset or package'),
  limit: z.coerce.number().int().min(1).max(500).default(50),
  cursor: z.string().max(1000).optional(),
});
export type FindingGroupQuery = z.infer<typeof findingGroupQuerySchema>;

/** What a saved view may hold: filters and sort, never a cursor or a page size. */
export const savedQuerySchema = z.strictObject({ ...findingFilterFields, ...findingSortFields });

/** Saved views and links carry the query as a URL query string; it is parsed and checked like a request's. */
export function parseQueryString(qs: string): { ok: true; value: z.infer<typeof savedQuerySchema>; canonical: string } | { ok: false; problems: { field: string; message: string }[] } {
  const params = new URLSearchParams(qs.startsWith('?') ? qs.slice(1) : qs);
  const raw: Record<string, string | string[]> = {};
  for (const [k, v] of params) {
    const prev = raw[k];
    raw[k] = prev === undefined ? v : Array.isArray(prev) ? [...prev, v] : [prev, v];
  }
  const r = savedQuerySchema.safeParse(raw);
  if (!r.success) {
    return {
      ok: false,
      problems: r.error.issues.map((i) => {
        const keys = i.code === 'unrecognized_keys' ? (i as { keys: string[] }).keys : null;
        return keys ? { field: 'query', message: `unknown parameter(s): ${keys.join(', ')}` } : { field: `query.${i.path.join('.')}`, message: i.message };
      }),
    };
  }
  // Canonical: the parameters as given, in a fixed order, without the defaults' noise.
  const out = new URLSearchParams();
  for (const k of Object.keys(savedQuerySchema.shape)) {
    const v = raw[k];
    if (v === undefined) continue;
    out.set(k, Array.isArray(v) ? v.join(',') : v);
  }
  return { ok: true, value: r.data, canonical: out.toString() };
}

// ---- SQL ------------------------------------------------------------------
//
// A page is found first (ids and sort keys only, joining just what the
// filters and the sort need), then hydrated with everything shown. Sorting by
// a vulnerability's attribute walks the vulnerabilities in index order and
// the findings of each through findings (vulnerability_num, …), so a first
// page does not sort the whole register (migration 0011, bench/findings-list.ts).

/** Severity of a vulnerability as a rank (4 critical … 0 none), null when unknown (migration 0011). */
export const VRANK = sql<number | null>`patchloop_severity_rank(v.severity, v.cvss_score, v.cvss_version)`;
/** The strongest severity the finding's evidence states, kept (by triggers, migration 0011) for findings whose vulnerability has none. */
export const ERANK = sql<number | null>`f.evidence_rank`;
/** An open finding of the engine was last seen when its asset was last matched (migration 0005). */
export const LAST_SEEN = sql`coalesce(case when f.status = 'open' and f.source = 'engine' then ai.matched_at end, f.last_seen, f.resolved_at, f.first_seen)`;

export interface Prepared {
  where: RawBuilder<unknown>[];
  ranks: number[] | null;
  needV: boolean;
  needA: boolean;
  /** A filter that can match nothing (an unknown vulnerability id). */
  empty: boolean;
}

/** Keys of a text search handed over as an array; more and the search stays a subquery. */
const MAX_KEYS = 10_000;

function likePattern(q: string): string {
  return `%${q.replace(/[\\%_]/g, (c) => `\\${c}`)}%`;
}

const inList = (col: RawBuilder<unknown>, values: readonly (string | number)[]) => sql`${col} in (${sql.join(values.map((v) => sql`${v}`))})`;

export async function prepareFilters(db: Db, f: FindingFilters, viewer: string | null = null): Promise<Prepared> {
  const where: RawBuilder<unknown>[] = [];
  let needV = false;
  let needA = false;
  let empty = false;
  if (f.status) where.push(inList(sql`f.status`, [...new Set(f.status)]));
  if (f.priority) where.push(inList(PRIORITY_KEY, [...new Set(f.priority.map((p) => PRIORITY_RANK[p]))]));
  if (f.exceptionId) where.push(sql`f.exception_id = ${f.exceptionId}::uuid`);
  if (f.emergency) where.push(f.emergency === 'true' ? sql`f.emergency` : sql`not f.emergency`);
  if (f.dueBefore) where.push(sql`f.due_at <= ${`${f.dueBefore}T23:59:59.999Z`}::timestamptz`);
  if (f.slaState) {
    const { document } = await currentPolicy(db);
    where.push(sql`(${sql.join([...new Set(f.slaState)].map((s) => slaStateWhere(s, document.dueSoonPercent)), sql` or `)})`);
  }
  if (f.mine) {
    needA = true;
    if (!viewer) empty = true;
    else where.push(sql`(a.owner_user_id = ${viewer}::uuid or a.owner_team_id in (select team_id from team_members where user_id = ${viewer}::uuid))`);
  }
  if (f.kev) {
    needV = true;
    where.push(f.kev === 'true' ? sql`v.kev_date_added is not null` : sql`v.kev_date_added is null`);
  }
  if (f.epssMin !== undefined) {
    needV = true;
    where.push(sql`v.epss_score >= ${f.epssMin}::float8`);
  }
  if (f.kevDueBefore) {
    needV = true;
    where.push(sql`v.kev_due_date <= ${f.kevDueBefore}::date`);
  }
  if (f.source) {
    const src = [...new Set(f.source)];
    // OFFSET 0 keeps the lookup a probe per finding examined: hashed, it read every piece of evidence of that source first (0.2–0.6 s).
    where.push(sql`(${inList(sql`f.source`, src)} or exists (select 1 from finding_evidence e where e.finding_id = f.id and ${inList(sql`e.source`, src)} and e.gone_at is null offset 0))`);
  }
  const assetEq: [keyof FindingFilters, string][] = [
    ['department', 'department'], ['systemType', 'system_type'], ['environment', 'environment'], ['networkExposure', 'network_exposure'], ['businessCriticality', 'business_criticality'],
  ];
  for (const [k, col] of assetEq) {
    const v = f[k];
    if (v === undefined) continue;
    needA = true;
    where.push(sql`${sql.ref(`a.${col}`)} = ${v}`);
  }
  if (f.owner) {
    needA = true;
    where.push(sql`(a.owner_user_id = ${f.owner}::uuid or a.owner_team_id = ${f.owner}::uuid)`);
  }
  if (f.assetId) where.push(sql`f.asset_id = ${f.assetId}::uuid`);
  if (f.vulnerabilityId) {
    const id = await resolveVulnerabilityId(db, f.vulnerabilityId);
    const v = id ? await db.selectFrom('vulnerabilities').select('num').where('id', '=', id).executeTakeFirst() : undefined;
    if (v) where.push(sql`f.vulnerability_num = ${v.num}::int`);
    else empty = true;
  }
  if (f.package) {
    const ids = (await db.selectFrom('package_names').select('id').where('name', '=', f.package).execute()).map((r) => r.id);
    if (ids.length) where.push(sql`f.name_id = any(${ids}::int[])`);
    else empty = true;
  }
  if (f.q) {
    // The keys are looked up first and handed over as arrays: the planner then knows how few there are and
    // ORs the findings indexes on asset, vulnerability and package name instead of walking a sort order.
    const p = likePattern(f.q);
    const parts: RawBuilder<unknown>[] = [];
    const lookups = [
      { col: sql`f.asset_id`, type: sql`uuid[]`, query: sql<{ k: string }>`select id as k from assets where hostname ilike ${p} or fqdn ilike ${p}` },
      { col: sql`f.vulnerability_num`, type: sql`int[]`, query: sql<{ k: string }>`select num as k from vulnerabilities where id ilike ${p} or title ilike ${p}` },
      { col: sql`f.name_id`, type: sql`int[]`, query: sql<{ k: string }>`select id as k from package_names where name ilike ${p}` },
    ];
    for (const l of lookups) {
      const keys = (await sql<{ k: string }>`${l.query} limit ${MAX_KEYS + 1}`.execute(db)).rows.map((r) => r.k);
      if (keys.length > MAX_KEYS) parts.push(sql`${l.col} in (${l.query})`);
      else if (keys.length) parts.push(sql`${l.col} = any(${keys}::${l.type})`);
    }
    if (parts.length) where.push(sql`(${sql.join(parts, sql` or `)})`);
    else empty = true;
  }
  if (f.ids) where.push(sql`f.id = any(${f.ids.split(',')}::bigint[])`);
  const ranks = f.severity ? [...new Set(f.severity.map((s) => (s === 'info' ? 0 : SEVERITY_RANK[s as keyof typeof SEVERITY_RANK])))] : null;
  if (ranks) needV = true;
  return { where, ranks, needV, needA, empty };
}

/** One SLA state in SQL, as slaState() decides it (domain/priority/deadline.ts). */
export function slaStateWhere(state: SlaState, dueSoonPercent: number): RawBuilder<unknown> {
  const open = sql`f.status = 'open' and f.priority is not null`;
  const soon = sql`now() >= f.class_since + (f.due_at - f.class_since) * ${dueSoonPercent / 100}::float8`;
  switch (state) {
    case 'excepted':
      return sql`(${open} and f.exception_id is not null)`;
    case 'no_deadline':
      return sql`(${open} and f.exception_id is null and f.due_at is null)`;
    case 'overdue':
      return sql`(${open} and f.exception_id is null and f.due_at < now())`;
    case 'due_soon':
      return sql`(${open} and f.exception_id is null and f.due_at >= now() and ${soon})`;
    case 'on_track':
      return sql`(${open} and f.exception_id is null and f.due_at >= now() and not (${soon}))`;
  }
}

/**
 * The severity filter. A severity sort reads three streams, each in the order
 * of an index, and merges them: findings whose vulnerability has a severity
 * (by vulnerability), those whose severity comes from their evidence (by
 * findings.evidence_rank) and those with none (rank -1, by vulnerability).
 */
export function severityWhere(ranks: number[] | null, branch: Branch): RawBuilder<unknown>[] {
  if (branch === 'known') return [sql`${VRANK} is not null`, ...(ranks ? [inList(VRANK, ranks)] : [])];
  if (branch === 'evidence') return [sql`${VRANK} is null`, sql`${ERANK} is not null`, ...(ranks ? [inList(ERANK, ranks)] : [])];
  if (branch === 'none') return [sql`${VRANK} is null`, sql`${ERANK} is null`, ...(ranks ? [sql`false`] : [])];
  if (!ranks) return [];
  // The second condition repeats what the vulnerability alone decides, so it filters the vulnerabilities before the join.
  return [inList(sql`coalesce(${VRANK}, ${ERANK})`, ranks), sql`(${inList(VRANK, ranks)} or ${VRANK} is null)`];
}

type Branch = 'known' | 'evidence' | 'none' | null;
type KeyType = 'int' | 'float' | 'numeric' | 'text' | 'time';

interface SortSpec {
  key: RawBuilder<unknown>;
  keyType: KeyType;
  tie: RawBuilder<unknown> | null;
  tieType: 'int' | 'uuid' | null;
  /** The key is this constant in this branch (unknown severity: -1). */
  constKey?: number;
  needV?: boolean;
  needA?: boolean;
  needAi?: boolean;
}

/** Unknown scores count as the lowest (-1), so one index serves both directions. */
function sortSpec(sort: FindingSort, branch: Branch): SortSpec {
  // f.vulnerability_num equals v.num by the join: either index (vulnerabilities by key, findings by vulnerability) can drive the order.
  const byVuln = { tie: sql`f.vulnerability_num`, tieType: 'int' as const, needV: true };
  switch (sort) {
    case 'severity':
      if (branch === 'evidence') return { key: ERANK, keyType: 'int', ...byVuln };
      if (branch === 'none') return { key: sql`-1`, keyType: 'int', constKey: -1, ...byVuln };
      return { key: VRANK, keyType: 'int', ...byVuln };
    case 'priority':
      return { key: PRIORITY_KEY, keyType: 'int', tie: null, tieType: null };
    case 'dueAt':
      return { key: DUE_KEY, keyType: 'time', tie: null, tieType: null };
    case 'cvss':
      return { key: sql`coalesce(v.cvss_score, -1)`, keyType: 'numeric', ...byVuln };
    case 'epss':
      return { key: sql`coalesce(v.epss_score, -1)`, keyType: 'float', ...byVuln };
    case 'vulnerability':
      return { key: sql`v.id`, keyType: 'text', tie: null, tieType: null, needV: true };
    case 'hostname':
      return { key: sql`lower(a.hostname)`, keyType: 'text', tie: sql`a.id`, tieType: 'uuid', needA: true };
    case 'firstSeen':
      return { key: sql`f.first_seen`, keyType: 'time', tie: null, tieType: null };
    case 'lastSeen':
      return { key: LAST_SEEN, keyType: 'time', tie: null, tieType: null, needAi: true };
  }
}

export interface Cursor {
  s: FindingSort;
  o: 'asc' | 'desc';
  k: number | string;
  t: number | string | null;
  id: string;
}

function badCursor(): never {
  throw new BadRequestError('The cursor is not valid', [{ field: 'query.cursor', message: 'is not a cursor this server issued for this sort and order' }]);
}

const UUID_RE = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

export function decodeCursor(raw: string, sort: FindingSort, order: 'asc' | 'desc'): Cursor {
  let c: Cursor;
  try {
    c = JSON.parse(Buffer.from(raw, 'base64url').toString('utf8'));
  } catch {
    badCursor();
  }
  if (!c || typeof c !== 'object' || c.s !== sort || c.o !== order || typeof c.id !== 'string' || !/^\d{1,18}$/.test(c.id)) badCursor();
  const spec = sortSpec(sort, null);
  const k = c.k;
  const okKey =
    spec.keyType === 'int' || spec.keyType === 'time' ? Number.isSafeInteger(k)
    : spec.keyType === 'float' ? typeof k === 'number' && Number.isFinite(k)
    : spec.keyType === 'numeric' ? typeof k === 'string' && /^-?\d{1,6}(\.\d{1,6})?$/.test(k)
    : typeof k === 'string' && k.length <= 400;
  const okTie = spec.tieType === null ? c.t === null : spec.tieType === 'int' ? Number.isSafeInteger(c.t) : typeof c.t === 'string' && UUID_RE.test(c.t);
  if (!okKey || !okTie) badCursor();
  return c;
}

export function encodeCursor(c: Cursor): string {
  return Buffer.from(JSON.stringify(c), 'utf8').toString('base64url');
}

function keyValue(spec: SortSpec, k: number | string): RawBuilder<unknown> {
  switch (spec.keyType) {
    case 'int':
      return sql`${k}::int`;
    case 'float':
      return sql`${k}::float8`;
    case 'numeric':
      return sql`${k}::numeric`;
    case 'text':
      return sql`${k}::text`;
    case 'time':
      // Microseconds since the epoch: a JavaScript Date would lose the last three digits.
      return sql`(timestamptz 'epoch' + ${k}::bigint * interval '1 microsecond')`;
  }
}

export interface PageRow {
  id: string;
  k: number | string;
  t: number | string | null;
}

async function pageOf(db: Db, p: Prepared, sort: FindingSort, order: 'asc' | 'desc', branch: Branch, cursor: Cursor | null, limit: number): Promise<PageRow[]> {
  const spec = sortSpec(sort, branch);
  const where = [...p.where, ...severityWhere(p.ranks, branch)];
  const cmp = sql.raw(order === 'desc' ? '<' : '>');
  const cmpEq = sql.raw(order === 'desc' ? '<=' : '>=');
  if (cursor) {
    const kv = keyValue(spec, cursor.k);
    const tv = spec.tieType === 'int' ? sql`${cursor.t}::int` : sql`${cursor.t}::uuid`;
    if (spec.constKey !== undefined) {
      // The whole stream is before the cursor, after it, or starts within its key.
      const k = Number(cursor.k);
      if (k === spec.constKey) where.push(sql`(${spec.tie}, f.id) ${cmp} (${tv}, ${cursor.id}::bigint)`);
      else if (order === 'desc' ? k < spec.constKey : k > spec.constKey) return [];
    } else {
      // The first condition alone is exact; the second lets the driving index start at the cursor.
      where.push(spec.tie ? sql`(${spec.key}, ${spec.tie}, f.id) ${cmp} (${kv}, ${tv}, ${cursor.id}::bigint)` : sql`(${spec.key}, f.id) ${cmp} (${kv}, ${cursor.id}::bigint)`);
      where.push(sql`${spec.key} ${cmpEq} ${kv}`);
    }
  }
  const joins: RawBuilder<unknown>[] = [];
  if (p.needV || spec.needV) joins.push(sql`join vulnerabilities v on v.num = f.vulnerability_num`);
  if (p.needA || spec.needA) joins.push(sql`join assets a on a.id = f.asset_id`);
  if (spec.needAi) joins.push(sql`left join asset_inventories ai on ai.asset_id = f.asset_id`);
  const dir = sql.raw(order);
  const keyOut = spec.keyType === 'time' ? sql`(extract(epoch from ${spec.key}) * 1000000)::bigint` : spec.keyType === 'numeric' ? sql`${spec.key}::text` : spec.key;
  const rows = await sql<PageRow>`select f.id::text as id, ${keyOut} as k, ${spec.tie ?? sql`null`} as t
    from findings f ${sql.join(joins, sql` `)}
    ${where.length ? sql`where ${sql.join(where, sql` and `)}` : sql``}
    order by ${spec.constKey === undefined ? sql`${spec.key} ${dir}, ` : sql``}${spec.tie ? sql`${spec.tie} ${dir}, ` : sql``}f.id ${dir}
    limit ${limit}`.execute(db);
  return rows.rows.map((r) => ({ id: String(r.id), k: spec.keyType === 'time' || spec.keyType === 'int' ? Number(r.k) : r.k, t: r.t }));
}

function compareRows(a: PageRow, b: PageRow): number {
  const c = (x: unknown, y: unknown) => (x === y ? 0 : (x as number) < (y as number) ? -1 : 1);
  return c(a.k, b.k) || c(a.t, b.t) || c(BigInt(a.id), BigInt(b.id));
}

/**
 * Runs the register's queries with JIT compilation off: their cost estimates
 * are high (a million rows could be touched) while a page touches a few
 * hundred, and compiling took 0.3–0.8 s per query on PostgreSQL 15.
 */
export async function withoutJit<T>(db: Db, fn: (db: Db) => Promise<T>): Promise<T> {
  return db.transaction().execute(async (tx) => {
    await sql`set local jit = off`.execute(tx);
    return fn(tx);
  });
}

/** One page of finding ids in sort order, and the cursor of the next. */
export async function findPage(db: Db, p: Prepared, q: { sort: FindingSort; order?: 'asc' | 'desc'; limit: number; cursor?: string }) {
  const order = q.order ?? (ASCENDING_BY_DEFAULT.includes(q.sort) ? 'asc' : 'desc');
  const cursor = q.cursor ? decodeCursor(q.cursor, q.sort, order) : null;
  if (p.empty) return { rows: [] as PageRow[], nextCursor: null };
  let rows: PageRow[];
  if (q.sort === 'severity') {
    // Unknown severity (-1) sorts below every rank: that stream is read only when the others leave the page short
    // (desc), or first and alone when it fills the page (asc). With a severity filter it matches nothing.
    const read = (branch: Branch) => pageOf(db, p, q.sort, order, branch, cursor, q.limit + 1);
    const ranked = async () => [...(await read('known')), ...(await read('evidence'))];
    let streams: PageRow[];
    if (p.ranks) streams = await ranked();
    else if (order === 'desc') {
      streams = await ranked();
      if (streams.length <= q.limit) streams.push(...(await read('none')));
    } else {
      streams = await read('none');
      if (streams.length <= q.limit) streams.push(...(await ranked()));
    }
    rows = streams.sort((a, b) => (order === 'desc' ? -compareRows(a, b) : compareRows(a, b))).slice(0, q.limit + 1);
  } else rows = await pageOf(db, p, q.sort, order, null, cursor, q.limit + 1);
  const page = rows.slice(0, q.limit);
  const last = page[page.length - 1];
  const nextCursor = rows.length > q.limit && last ? encodeCursor({ s: q.sort, o: order, k: last.k, t: last.t, id: last.id }) : null;
  return { rows: page, nextCursor };
}
