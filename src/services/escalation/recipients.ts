import { sql } from 'kysely';
import type { Tx } from '../../storage/db.js';
import { IN_SCOPE } from '../exceptions/scope.js';

/**
 * Who is told about the findings of one escalation run, resolved in SQL
 * whatever the number of findings.
 *
 * Owners, managers and risk owners depend on the finding: each log row gets
 * its own list (`summary.recipients`). The security audience is the same
 * people for every finding whose rule names it, so it is resolved once and
 * kept once per run (`escalation_runs.security`); the escalation log adds it
 * to those rows when read. Crossing every finding with every analyst made a
 * KEV addition raising 30,000 findings with 65 analysts write two million
 * recipient entries (27 s of a 28 s announcement; 1 s now).
 */
export const MAIL_SAMPLE = 20;

export interface RecipientRow {
  rkey: string;
  user_id: string | null;
  email: string | null;
  name: string;
  mail: boolean;
  vias: string;
  rule: string;
  total: number;
  /** Distinct findings of this recipient over all rules. */
  findings: number;
  sample: string[];
}

export interface SecurityMember {
  userId: string;
  name: string;
  email: string | null;
}

export interface RuleTotal {
  rule: string;
  total: number;
  /** The most urgent first: emergencies, then priority, then due date. */
  sample: string[];
  security: boolean;
}

/** Enabled security analysts, or the administrators when there are none. */
export async function securityMembers(tx: Tx): Promise<SecurityMember[]> {
  const r = await sql<SecurityMember>`
    with analysts as (select * from users where not disabled and role = 'security_analyst'),
    chosen as (select * from analysts union all select * from users where not disabled and role = 'admin' and not exists (select 1 from analysts))
    select id::text as "userId", coalesce(nullif(display_name, ''), username) as name, email from chosen order by 2, 1`.execute(tx);
  return r.rows;
}

/**
 * Escalated findings are never covered by an approved exception; their risk
 * owners are those named by an exception *requested* for them and not yet
 * decided: the person who asked to accept the risk hears that the deadline
 * is passing while the decision waits.
 */
function riskOwners(runId: string) {
  return sql`select e.id, x.risk_owner_id as user_id
    from finding_escalations e join findings f on f.id = e.finding_id join risk_exceptions x on x.status = 'requested' and ${IN_SCOPE}
    where e.run_id = ${runId}::uuid`;
}

const SECURITY_ROW = sql`(e.summary -> 'audiences' @> '"security"'::jsonb)`;

/** Per rule: how many findings, the most urgent ones, and whether security is told. */
export async function ruleTotals(tx: Tx, runId: string): Promise<RuleTotal[]> {
  const r = await sql<RuleTotal>`
    select e.rule, count(*)::int as total, bool_or(${SECURITY_ROW}) as security,
           (array_agg(e.finding_id::text order by f.emergency desc, f.priority desc nulls last, f.due_at nulls last, e.finding_id))[1:${sql.raw(String(MAIL_SAMPLE))}] as sample
    from finding_escalations e join findings f on f.id = e.finding_id
    where e.run_id = ${runId}::uuid group by e.rule order by e.rule`.execute(tx);
  return r.rows;
}

/**
 * One row per recipient and rule, with how many findings and the most urgent
 * ones; fills each log row's finding-specific recipients. `findings_outside`
 * counts a person's findings that no security rule of the run reaches, so
 * that an analyst who also owns systems gets an exact total.
 */
async function findingRecipients(tx: Tx, runId: string): Promise<(RecipientRow & { findings_outside: number })[]> {
  const r = await sql<RecipientRow & { findings_outside: number }>`
    with esc as (
      -- reached: a rule of this run that tells security has this finding too. A window, not a join: the statistics of a
      -- table filling up in this very transaction are stale, and a misjudged join of 30,000 rows with 30,000 took 28 s.
      select e.id, e.finding_id, e.summary -> 'audiences' as aud, a.owner_user_id, a.owner_team_id,
             bool_or(${SECURITY_ROW}) over (partition by e.finding_id) as reached
      from finding_escalations e join findings f on f.id = e.finding_id join assets a on a.id = f.asset_id
      where e.run_id = ${runId}::uuid
    ),
    cand (id, via, user_id, address, mail, reached) as (
      select o.id, 'owner', o.owner_user_id, null::text, true, o.reached from esc o where o.aud @> '"owner"'::jsonb and o.owner_user_id is not null
      union all
      select o.id, 'owner', tm.user_id, null, t.email is null, o.reached
        from esc o join teams t on t.id = o.owner_team_id join team_members tm on tm.team_id = t.id where o.aud @> '"owner"'::jsonb
      union all
      select o.id, 'owner', null, t.email, true, o.reached from esc o join teams t on t.id = o.owner_team_id where o.aud @> '"owner"'::jsonb and t.email is not null
      union all
      select o.id, 'owner_manager', t.manager_user_id, null, true, o.reached
        from esc o join teams t on t.id = o.owner_team_id where o.aud @> '"owner_manager"'::jsonb and t.manager_user_id is not null
      union all
      select o.id, 'owner_manager', t.manager_user_id, null, true, o.reached
        from esc o join team_members tm on tm.user_id = o.owner_user_id join teams t on t.id = tm.team_id
        where o.aud @> '"owner_manager"'::jsonb and t.manager_user_id is not null
      union all
      select o.id, 'risk_owner', ro.user_id, null, true, o.reached from esc o join (${riskOwners(runId)}) ro on ro.id = o.id where o.aud @> '"risk_owner"'::jsonb
    ),
    r as (
      select c.id, coalesce(c.user_id::text, 'mail:' || lower(c.address)) as rkey, c.user_id,
             max(coalesce(u.email, c.address)) as email,
             max(coalesce(nullif(u.display_name, ''), u.username, c.address)) as name,
             bool_or(c.mail) as mail, array_agg(distinct c.via) as vias, bool_or(c.reached) as reached
      from cand c left join users u on u.id = c.user_id
      where c.user_id is null or u.disabled = false
      group by c.id, 2, c.user_id
    ),
    upd as (
      update finding_escalations e set summary = e.summary || jsonb_build_object('recipients', x.list)
      from (select id, jsonb_agg(jsonb_build_object('userId', user_id, 'name', name, 'email', case when mail then email end, 'via', to_jsonb(vias)) order by name) as list
            from r group by id) x
      where e.id = x.id
      returning e.id
    ),
    rf as (
      select r.rkey, r.user_id, r.email, r.name, r.mail, r.vias, e.rule, e.finding_id, f.emergency, f.priority, f.due_at, not r.reached as outside
      from r join finding_escalations e on e.id = r.id join findings f on f.id = e.finding_id
    ),
    distinct_findings as (
      select rkey, count(distinct finding_id)::int as n, (count(distinct finding_id) filter (where outside))::int as outside from rf group by rkey
    )
    select rf.rkey, rf.user_id::text as user_id, max(rf.email) as email, max(rf.name) as name, bool_or(rf.mail) as mail,
           string_agg(array_to_string(rf.vias, ','), ',') as vias, rf.rule, count(*)::int as total, max(d.n) as findings, max(d.outside) as findings_outside,
           (array_agg(rf.finding_id::text order by rf.emergency desc, rf.priority desc nulls last, rf.due_at nulls last, rf.finding_id))[1:${sql.raw(String(MAIL_SAMPLE))}] as sample
    from rf join distinct_findings d on d.rkey = rf.rkey
    group by rf.rkey, rf.user_id, rf.rule`.execute(tx);
  return r.rows;
}

/**
 * Every recipient's rows: those of their own findings, and for each analyst
 * every finding of the rules that tell security (a rule's findings share its
 * audiences). The run's security audience is recorded once.
 */
export async function resolveRecipients(tx: Tx, runId: string, kind: string, at: Date, totals: readonly RuleTotal[]): Promise<RecipientRow[]> {
  const own = await findingRecipients(tx, runId);
  const secRules = totals.filter((t) => t.security);
  const security = secRules.length ? await securityMembers(tx) : [];
  await tx.insertInto('escalation_runs').values({ run_id: runId, kind, at, security: JSON.stringify(security) }).execute();
  if (!security.length) return own;

  const secFindings = Number(
    (await sql<{ n: number }>`select count(distinct finding_id)::int as n from finding_escalations e where e.run_id = ${runId}::uuid and ${SECURITY_ROW}`.execute(tx)).rows[0]?.n ?? 0,
  );
  const secRuleNames = new Set(secRules.map((t) => t.rule));
  const members = new Set(security.map((m) => m.userId));
  const outside = new Map(own.filter((r) => members.has(r.rkey)).map((r) => [r.rkey, r.findings_outside]));
  // An analyst's own rows of security rules are contained in the security rows: those are dropped, their "via" kept.
  const out: RecipientRow[] = [];
  const ownVias = new Map<string, string>();
  for (const r of own) {
    if (members.has(r.rkey) && secRuleNames.has(r.rule)) {
      ownVias.set(`${r.rkey}|${r.rule}`, r.vias);
      continue;
    }
    const { findings_outside, ...row } = r;
    out.push(members.has(r.rkey) ? { ...row, findings: secFindings + (outside.get(r.rkey) ?? 0) } : row);
  }
  for (const m of security) {
    for (const t of secRules) {
      const vias = ['security', ownVias.get(`${m.userId}|${t.rule}`)].filter(Boolean).join(',');
      out.push({ rkey: m.userId, user_id: m.userId, email: m.email, name: m.name, mail: true, vias, rule: t.rule, total: t.total, findings: secFindings + (outside.get(m.userId) ?? 0), sample: t.sample });
    }
  }
  return out;
}
