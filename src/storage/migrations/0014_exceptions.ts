import { type Kysely, sql } from 'kysely';

/**
 * Risk exceptions and SLA extensions (issue #6 §5–6; VUL-7, LEG-3, LEG-5,
 * GOV-3, INC-3).
 *
 * - risk_exceptions: a risk acceptance scoped to one finding, one
 *   vulnerability (on every asset, or on the listed ones) or one asset. For a
 *   finding, its asset and vulnerability are copied so that the register's
 *   asset and vulnerability filters find it too. `expires_on` is the last day
 *   it is valid (UTC). `policy_version` is the version whose approval rule
 *   decided it. `renews_id` names the approved exception a renewal replaces.
 *   While an exception is approved and unexpired, the open findings it covers
 *   carry its id in findings.exception_id (services/exceptions/coverage.ts).
 * - risk_exception_reviews: each periodic re-review (LEG-3: annual).
 * - sla_extensions / sla_extension_findings: a request to move the due date
 *   of one or more findings later (INC-3), with what each was due before.
 */
const statements = [
  `create table risk_exceptions (
    id uuid primary key default gen_random_uuid(),
    scope text not null check (scope in ('finding', 'vulnerability', 'asset')),
    finding_id bigint,
    vulnerability_num integer,
    asset_id uuid references assets (id),
    asset_ids uuid[] not null default '{}',
    justification text not null,
    compensating_controls text not null default '',
    risk_owner_id uuid not null references users (id),
    expires_on date not null,
    review_interval_days integer not null check (review_interval_days > 0),
    next_review_on date,
    last_reviewed_at timestamptz,
    review_reminded_for date,
    unsupported_system boolean not null default false,
    status text not null default 'requested' check (status in ('requested', 'approved', 'rejected', 'expired', 'revoked')),
    renews_id uuid references risk_exceptions (id),
    requested_by uuid references users (id) on delete set null,
    requested_by_name text not null,
    decided_by uuid references users (id) on delete set null,
    decided_by_name text,
    decided_at timestamptz,
    decision_note text,
    policy_version integer,
    ended_at timestamptz,
    ended_by_name text,
    end_reason text,
    created_at timestamptz not null default now(),
    updated_at timestamptz not null default now(),
    version integer not null default 1,
    check ((scope = 'finding') = (finding_id is not null)),
    check (scope <> 'vulnerability' or vulnerability_num is not null),
    check (scope <> 'asset' or asset_id is not null)
  )`,
  `create index risk_exceptions_status_idx on risk_exceptions (status, expires_on)`,
  `create index risk_exceptions_asset_idx on risk_exceptions (asset_id)`,
  `create index risk_exceptions_vuln_idx on risk_exceptions (vulnerability_num)`,
  // Ending an exception finds its findings without reading the whole table.
  `create index findings_exception_idx on findings (exception_id) where exception_id is not null`,
  `create table risk_exception_reviews (
    id bigserial primary key,
    exception_id uuid not null references risk_exceptions (id),
    reviewer_id uuid references users (id) on delete set null,
    reviewer_name text not null,
    at timestamptz not null,
    note text not null,
    next_review_on date
  )`,
  `create index risk_exception_reviews_idx on risk_exception_reviews (exception_id, id)`,
  `create table sla_extensions (
    id uuid primary key default gen_random_uuid(),
    new_due_on date not null,
    justification text not null,
    incident_ref text,
    status text not null default 'requested' check (status in ('requested', 'approved', 'rejected', 'withdrawn')),
    requested_by uuid references users (id) on delete set null,
    requested_by_name text not null,
    decided_by uuid references users (id) on delete set null,
    decided_by_name text,
    decided_at timestamptz,
    decision_note text,
    policy_version integer,
    created_at timestamptz not null default now(),
    updated_at timestamptz not null default now(),
    version integer not null default 1
  )`,
  `create index sla_extensions_status_idx on sla_extensions (status, created_at)`,
  `create table sla_extension_findings (
    extension_id uuid not null references sla_extensions (id),
    finding_id bigint not null,
    due_at_request timestamptz,
    due_before_approval timestamptz,
    primary key (extension_id, finding_id)
  )`,
  `create index sla_extension_findings_finding_idx on sla_extension_findings (finding_id)`,
];

export async function up(db: Kysely<unknown>): Promise<void> {
  for (const s of statements) await sql.raw(s).execute(db);
}
