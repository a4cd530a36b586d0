import { type Kysely, sql } from 'kysely';

/**
 * Prioritisation and deadlines (issue #6, GOV-1, VUL-4/5/9, STK-4).
 *
 * - The patch policy is a list of immutable versions; the current one is the
 *   newest. Version 1 is the product's default, authored by "patchloop".
 *   Staff acknowledge a version (STK-4).
 * - Each open finding carries what the policy made of it: class (4 critical
 *   … 0 informational), risk score or decision (SSVC outcome, BOD 26-04
 *   tier), emergency flag, the SLA days and the version that set its due
 *   date, when its clock started (detection or reopening: `sla_start`; the
 *   current class: `class_since`) and the due date. `prioritised_at` null
 *   means "not evaluated since detection or reopening": the engine and the
 *   importers only have to clear it, and a partial index finds those.
 * - Every change of class or due date is a `finding_priority_events` row:
 *   the history an auditor samples ("why is this due on that day?").
 * - `priority_requests` is the outbox of re-prioritisation: a change that
 *   affects priorities (feed update, asset edit, policy version) records its
 *   scope in its own transaction; a worker claims and processes them, so a
 *   crash loses nothing.
 * - Compensating controls get a kind the rules can credit (WAF,
 *   segmentation, isolation, monitoring, other).
 */
const statements = [
  `create table policy_versions (
    version integer primary key,
    document jsonb not null,
    reason text not null,
    author_id uuid references users (id) on delete set null,
    author_name text not null,
    created_at timestamptz not null default now()
  )`,
  `create table policy_acknowledgements (
    user_id uuid not null references users (id) on delete cascade,
    version integer not null references policy_versions (version),
    acknowledged_at timestamptz not null default now(),
    primary key (user_id, version)
  )`,
  `alter table eol_controls add column kind text not null default 'other'`,
  `alter table findings
     add column priority smallint,
     add column priority_score real,
     add column priority_decision text,
     add column emergency boolean not null default false,
     add column policy_version integer,
     add column sla_days integer,
     add column sla_start timestamptz,
     add column class_since timestamptz,
     add column due_at timestamptz,
     add column prioritised_at timestamptz,
     add column exception_id uuid,
     add column extended_due_at timestamptz`,
  `create index findings_unprioritised_idx on findings (id) where prioritised_at is null and status = 'open'`,
  // The register's sorts (src/services/findings/register.ts: PRIORITY_KEY, DUE_KEY).
  `create index findings_due_idx on findings ((coalesce(due_at, timestamptz '2200-01-01 00:00:00+00')), id)`,
  `create index findings_priority_idx on findings ((coalesce(priority, -1)), id)`,
  `create table finding_priority_events (
    id bigserial primary key,
    finding_id bigint not null,
    at timestamptz not null,
    policy_version integer not null,
    priority smallint not null,
    emergency boolean not null,
    due_at timestamptz,
    previous_priority smallint,
    previous_due_at timestamptz,
    basis text not null,
    trigger text not null
  )`,
  `create index finding_priority_events_finding_idx on finding_priority_events (finding_id, id)`,
  `create table priority_requests (
    id bigserial primary key,
    scope text not null,
    ids text[] not null default '{}',
    trigger text not null,
    at timestamptz not null,
    requested_at timestamptz not null default now(),
    claimed_at timestamptz
  )`,
];

/** Version 1 as released (frozen here: the domain's DEFAULT_POLICY may evolve, this record must not). */
const VERSION_1 = "{\"name\":\"Patch and vulnerability management policy\",\"model\":\"risk_score\",\"sla\":{\"critical\":7,\"high\":30,\"medium\":90,\"low\":180,\"informational\":null},\"dueSoonPercent\":75,\"emergency\":{\"enabled\":true,\"days\":3,\"exposures\":[\"internet_facing\"],\"ransomwareAnyExposure\":false},\"scanIntervalDays\":7,\"riskScore\":{\"unknownCvss\":5,\"kev\":2,\"ransomware\":1,\"epss\":[{\"min\":0.5,\"effect\":1.5},{\"min\":0.1,\"effect\":0.5}],\"epssPercentile\":[{\"min\":0.95,\"effect\":0.5}],\"criticality\":{\"critical\":1,\"high\":0.5,\"medium\":0,\"low\":-1},\"exposure\":{\"internet_facing\":1,\"internal\":0,\"isolated\":-1.5},\"environment\":{\"production\":0,\"staging\":-0.5,\"test\":-1,\"development\":-1},\"controls\":{\"waf\":-1,\"segmentation\":-1,\"isolation\":-2,\"monitoring\":-0.5,\"other\":0},\"maxControlReduction\":3,\"classes\":{\"critical\":9,\"high\":7,\"medium\":4,\"low\":0.1},\"kevFloor\":\"high\"},\"ssvc\":{\"pocEpssPercentile\":0.9,\"missionImpact\":{\"critical\":\"high\",\"high\":\"high\",\"medium\":\"medium\",\"low\":\"low\"},\"outcomes\":{\"act\":\"critical\",\"attend\":\"high\",\"track_star\":\"medium\",\"track\":\"low\"}},\"approvals\":{\"exception\":[\"security_analyst\",\"admin\"],\"unsupportedSystemException\":[\"senior_manager\"],\"slaExtension\":[\"security_analyst\",\"admin\"]},\"exceptions\":{\"maxDays\":365,\"reviewIntervalDays\":365},\"escalation\":[{\"name\":\"Owner at half time\",\"atPercent\":50,\"minPriority\":\"high\",\"notify\":[\"owner\"],\"channels\":[\"email\",\"in_app\"]},{\"name\":\"Breach\",\"atPercent\":100,\"minPriority\":\"low\",\"notify\":[\"owner\",\"owner_manager\",\"security\"],\"channels\":[\"email\",\"webhook\",\"in_app\"]}]}";

export async function up(db: Kysely<unknown>): Promise<void> {
  for (const s of statements) await sql.raw(s).execute(db);
  await sql`insert into policy_versions (version, document, reason, author_name)
    values (1, ${VERSION_1}::jsonb, 'Initial policy: patchloop defaults (typical values; edit to your own)', 'patchloop')`.execute(db);
  // Every open finding gets its first priority from version 1 when the server next works its queue.
  await sql`insert into priority_requests (scope, trigger, at) values ('all', 'policy version 1', now())`.execute(db);
}
