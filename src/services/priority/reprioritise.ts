import { sql } from 'kysely';
import {
  type DeadlineState,
  deadline,
  PRIORITY_RANK,
  type Policy,
  type PriorityResult,
  prioritise,
  priorityOfRank,
} from '../../domain/priority/index.js';
import type { Db } from '../../storage/db.js';
import { type AssetInputs, loadAssets, loadVulnerabilities, type VulnInputs } from './inputs.js';
import { currentPolicy } from './policy.service.js';
import type { PriorityScope } from './requests.js';

/**
 * Re-prioritisation (VUL-9, issue #6 §3): every open finding in scope is
 * evaluated against the policy in force; only findings whose class, score,
 * decision, emergency flag or due date change are written, each change with a
 * history row. Findings are read in id order in batches, each batch committed
 * on its own (the evaluation is idempotent, so a crash midway is finished by
 * the next run). Priorities depend on (vulnerability, asset profile) only, so
 * each pair is computed once.
 */
export interface ReprioritiseSummary {
  policyVersion: number;
  evaluated: number;
  changed: number;
  /**
   * Findings whose class rose or that became emergencies, and new or reopened
   * findings that are emergencies at once (first RAISED_CAP ids): who gets told.
   */
  raised: string[];
  raisedCount: number;
  ms: number;
}

const BATCH = 10_000;
// Every raised finding of a fleet-wide run is announced (a KEV addition raised 30,401 of 1,000,000 in the bench); the cap only bounds memory.
const RAISED_CAP = 1_000_000;

/** Times come as epoch milliseconds: parsing a million timestamps into Dates was a third of the run. */
type FindingRow = {
  id: string;
  asset_id: string;
  vulnerability_num: number;
  evidence_rank: number | null;
  priority: number | null;
  priority_score: number | null;
  priority_decision: string | null;
  emergency: boolean;
  sla_days: number | null;
  /** sla_start, or first_seen while it has none. */
  start_ms: number;
  has_start: boolean;
  class_ms: number | null;
  due_ms: number | null;
  pending: boolean;
  ext_ms: number | null;
};

const ms = (col: string) => sql.raw(`floor(extract(epoch from f.${col}) * 1000)::float8`);
const COLUMNS = sql`f.id, f.asset_id, f.vulnerability_num, f.evidence_rank, f.priority, f.priority_score, f.priority_decision, f.emergency, f.sla_days,
  floor(extract(epoch from coalesce(f.sla_start, f.first_seen)) * 1000)::float8 as start_ms, f.sla_start is not null as has_start,
  ${ms('class_since')} as class_ms, ${ms('due_at')} as due_ms, f.prioritised_at is null as pending, ${ms('extended_due_at')} as ext_ms`;

export async function reprioritise(db: Db, requested: PriorityScope, trigger: string, at: Date = new Date()): Promise<ReprioritiseSummary> {
  const t0 = Date.now();
  const scope = await narrow(db, requested);
  const { version, document: policy } = await currentPolicy(db);
  const needVector = policy.model !== 'risk_score';
  const assets = await loadAssets(db, scope.kind === 'assets' ? scope.ids : null);
  const vulns = new Map<number, VulnInputs>();
  const results = new Map<number, PriorityResult>();
  const summary: ReprioritiseSummary = { policyVersion: version, evaluated: 0, changed: 0, raised: [], raisedCount: 0, ms: 0 };

  const evaluate = async (rows: FindingRow[]) => {
    const missing = [...new Set(rows.map((r) => r.vulnerability_num).filter((n) => !vulns.has(n)))];
    for (const [n, v] of await loadVulnerabilities(db, missing, needVector)) vulns.set(n, v);
    const changes: Change[] = [];
    for (const f of rows) {
      const v = vulns.get(f.vulnerability_num);
      const a = assets.get(f.asset_id);
      if (!v || !a) continue;
      summary.evaluated++;
      const c = evaluateOne(policy, f, v, a, results, at);
      if (c) changes.push(c);
    }
    if (changes.length) await write(db, changes, version, trigger, at);
    summary.changed += changes.length;
    for (const c of changes) {
      if (c.raised) {
        summary.raisedCount++;
        if (summary.raised.length < RAISED_CAP) summary.raised.push(c.id);
      }
    }
  };

  for await (const rows of batches(db, scope)) await evaluate(rows);
  summary.ms = Date.now() - t0;
  return summary;
}

/**
 * A feed update names every vulnerability whose data changed (a daily EPSS
 * file: all of them); only those with open findings matter, and when they
 * are many, one pass over all open findings in id order beats index probes.
 */
async function narrow(db: Db, scope: PriorityScope): Promise<PriorityScope> {
  if (scope.kind !== 'vulnerabilities' || scope.nums.length <= 2_000) return scope;
  const open = await sql<{ n: number }>`select distinct vulnerability_num as n from findings where status = 'open'`.execute(db);
  const wanted = new Set(scope.nums);
  const nums = open.rows.map((r) => r.n).filter((n) => wanted.has(n));
  return nums.length > 20_000 ? { kind: 'all' } : { kind: 'vulnerabilities', nums };
}

/** Open findings in scope, in id order, BATCH at a time. */
async function* batches(db: Db, scope: PriorityScope): AsyncGenerator<FindingRow[]> {
  if (scope.kind === 'vulnerabilities' || scope.kind === 'findings' || scope.kind === 'assets') {
    const keys = scope.kind === 'vulnerabilities' ? scope.nums : scope.ids;
    // The findings of a few thousand keys at a time, through the index on each key.
    for (let i = 0; i < keys.length; i += 2_000) {
      const chunk = keys.slice(i, i + 2_000);
      const filter =
        scope.kind === 'vulnerabilities'
          ? sql`f.vulnerability_num = any(${sql.val(chunk)}::int[])`
          : scope.kind === 'assets'
            ? sql`f.asset_id = any(${sql.val(chunk)}::uuid[])`
            : sql`f.id = any(${sql.val(chunk)}::bigint[])`;
      let last = '0';
      for (;;) {
        const r = await sql<FindingRow>`select ${COLUMNS} from findings f where ${filter} and f.status = 'open' and f.id > ${last}::bigint order by f.id limit ${BATCH}`.execute(db);
        if (r.rows.length === 0) break;
        yield r.rows;
        last = String((r.rows.at(-1) as FindingRow).id);
        if (r.rows.length < BATCH) break;
      }
    }
    return;
  }
  const pending = scope.kind === 'pending' ? sql`and f.prioritised_at is null` : sql``;
  let last = '0';
  for (;;) {
    const r = await sql<FindingRow>`select ${COLUMNS} from findings f where f.status = 'open' ${pending} and f.id > ${last}::bigint order by f.id limit ${BATCH}`.execute(db);
    if (r.rows.length === 0) return;
    yield r.rows;
    last = String((r.rows.at(-1) as FindingRow).id);
  }
}

interface Change {
  id: string;
  priority: number;
  score: number | null;
  decision: string | null;
  emergency: boolean;
  slaDays: number | null;
  slaStart: Date;
  classSince: Date;
  dueAt: Date | null;
  basis: string;
  previousPriority: number | null;
  previousDueAt: Date | null;
  /** A history row: the class or due date changed, or this is the first evaluation. */
  event: boolean;
  raised: boolean;
}

const sameTime = (a: number | null, b: Date | null) => (a === null ? b === null : b !== null && a === b.getTime());
const date = (n: number | null) => (n === null ? null : new Date(n));

function evaluateOne(policy: Policy, f: FindingRow, v: VulnInputs, a: AssetInputs, cache: Map<number, PriorityResult>, at: Date): Change | null {
  const severityRank = v.severityRank ?? f.evidence_rank;
  // (vulnerability, asset profile, evidence severity when the vulnerability has none) as one number.
  const key = (f.vulnerability_num * 8192 + a.profile) * 8 + (v.severityRank === null ? (f.evidence_rank ?? -1) + 2 : 0);
  let p = cache.get(key);
  if (!p) {
    p = prioritise(policy, { vulnerability: severityRank === v.severityRank ? v : { ...v, severityRank }, asset: a }, { explain: false });
    cache.set(key, p);
  }
  const first = f.pending || f.priority === null || f.class_ms === null;
  const slaStart = new Date(f.start_ms);
  const previous: DeadlineState | null = first
    ? null
    : { priority: priorityOfRank(f.priority as number), emergency: f.emergency, slaDays: f.sla_days, dueAt: date(f.due_ms), classSince: new Date(f.class_ms as number) };
  const d = deadline({ previous, priority: p.priority, emergency: p.emergency, slaDays: p.slaDays, slaStart, at, kevDueDate: v.kev?.dueDate ?? null, extendedDueAt: date(f.ext_ms) });
  const rank = PRIORITY_RANK[p.priority];
  const score = p.score === null ? null : Math.round(p.score * 10) / 10;
  const storedScore = f.priority_score === null ? null : Math.round(f.priority_score * 10) / 10;
  const unchanged =
    !first &&
    f.priority === rank &&
    storedScore === score &&
    f.priority_decision === p.decision &&
    f.emergency === p.emergency &&
    f.sla_days === p.slaDays &&
    sameTime(f.due_ms, d.dueAt) &&
    sameTime(f.class_ms, d.classSince) &&
    f.has_start;
  if (unchanged) return null;
  const event = first || f.priority !== rank || f.emergency !== p.emergency || !sameTime(f.due_ms, d.dueAt);
  // A new (or reopened) finding is not "raised" by its first class, except into the emergency procedure: that is announced at once.
  const raised = first ? p.emergency : rank > (f.priority as number) || (p.emergency && !f.emergency);
  return {
    id: String(f.id), priority: rank, score, decision: p.decision, emergency: p.emergency, slaDays: p.slaDays, slaStart, classSince: d.classSince, dueAt: d.dueAt,
    basis: first ? (d.basis === 'unchanged' ? 'initial' : d.basis) : d.basis, previousPriority: first ? null : f.priority, previousDueAt: first ? null : date(f.due_ms), event, raised,
  };
}

async function write(db: Db, changes: Change[], version: number, trigger: string, at: Date): Promise<void> {
  const col = <T>(pick: (c: Change) => T) => sql.val(changes.map(pick));
  const iso = (d: Date | null) => (d ? d.toISOString() : null);
  await db.transaction().execute(async (tx) => {
    await sql`update findings f set priority = u.priority, priority_score = u.score, priority_decision = u.decision, emergency = u.emergency,
        sla_days = u.sla_days, sla_start = u.sla_start, class_since = u.class_since, due_at = u.due_at,
        policy_version = case when u.event then ${version}::int else coalesce(f.policy_version, ${version}::int) end, prioritised_at = ${at}
      from unnest(${col((c) => c.id)}::bigint[], ${col((c) => c.priority)}::smallint[], ${col((c) => c.score)}::real[], ${col((c) => c.decision)}::text[],
                  ${col((c) => c.emergency)}::boolean[], ${col((c) => c.slaDays)}::int[], ${col((c) => iso(c.slaStart))}::timestamptz[],
                  ${col((c) => iso(c.classSince))}::timestamptz[], ${col((c) => iso(c.dueAt))}::timestamptz[], ${col((c) => c.event)}::boolean[])
        as u(id, priority, score, decision, emergency, sla_days, sla_start, class_since, due_at, event)
      where f.id = u.id`.execute(tx);
    const ev = changes.filter((c) => c.event);
    if (ev.length === 0) return;
    const e = <T>(pick: (c: Change) => T) => sql.val(ev.map(pick));
    await sql`insert into finding_priority_events (finding_id, at, policy_version, priority, emergency, due_at, previous_priority, previous_due_at, basis, trigger)
      select id, ${at}, ${version}, priority, emergency, due_at, previous_priority, previous_due_at, basis, ${trigger}
      from unnest(${e((c) => c.id)}::bigint[], ${e((c) => c.priority)}::smallint[], ${e((c) => c.emergency)}::boolean[], ${e((c) => iso(c.dueAt))}::timestamptz[],
                  ${e((c) => c.previousPriority)}::smallint[], ${e((c) => iso(c.previousDueAt))}::timestamptz[], ${e((c) => c.basis)}::text[])
        as u(id, priority, emergency, due_at, previous_priority, previous_due_at, basis)`.execute(tx);
  });
}
