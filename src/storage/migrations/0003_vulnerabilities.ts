import { type Kysely, sql } from 'kysely';

/**
 * Vulnerability intelligence, installed software and findings (issue #3).
 *
 * Installed software is normalised: `packages` holds each distinct
 * (ecosystem, name, version, arch, source name, source version) once for the
 * whole fleet and `asset_packages` links assets to them. Fleets share most
 * package versions, so the engine compares versions once per distinct
 * package, not once per host.
 *
 * Findings keep their status history in `finding_events` (append-only, like
 * the audit trail); each matching run writes one audit record carrying the
 * counts and a SHA-256 digest of the run's events, which binds the per-finding
 * history into the hash chain without one chain record per finding.
 */
const statements = [
  `create table vulnerabilities (
    id text primary key,
    title text,
    description text,
    published_at timestamptz,
    modified_at timestamptz,
    cvss jsonb not null default '[]',
    cvss_score numeric(3,1),
    cvss_version text,
    severity text,
    epss_score double precision,
    epss_percentile double precision,
    epss_date date,
    kev_date_added date,
    kev_due_date date,
    kev_ransomware boolean,
    kev_name text,
    kev_required_action text,
    refs jsonb not null default '[]',
    created_at timestamptz not null default now(),
    updated_at timestamptz not null default now()
  )`,
  `create index vulnerabilities_kev_idx on vulnerabilities (kev_date_added) where kev_date_added is not null`,
  `create table vulnerability_aliases (
    alias text primary key,
    vulnerability_id text not null references vulnerabilities(id) on delete cascade
  )`,
  `create index vulnerability_aliases_vuln_idx on vulnerability_aliases (vulnerability_id)`,

  `create table advisories (
    id bigint generated always as identity primary key,
    feed text not null,
    advisory_ref text,
    vulnerability_id text not null references vulnerabilities(id) on delete cascade,
    ecosystem text not null,
    release text not null default '',
    package text not null,
    state text not null check (state in ('fixed', 'unfixed', 'not_affected', 'affected')),
    fixed_version text,
    ranges jsonb,
    urgency text,
    modified_at timestamptz not null default now(),
    unique (feed, vulnerability_id, ecosystem, release, package)
  )`,
  `create index advisories_package_idx on advisories (ecosystem, release, package)`,
  `create index advisories_vuln_idx on advisories (vulnerability_id)`,

  `create table feed_state (
    feed text primary key,
    source text not null,
    version text,
    fetched_at timestamptz not null,
    etag text,
    last_modified text,
    records integer not null default 0,
    changed integer not null default 0
  )`,

  `create table packages (
    id bigint generated always as identity primary key,
    ecosystem text not null,
    name text not null,
    version text not null,
    arch text not null default '',
    source_name text not null,
    source_version text not null,
    purl text,
    unique (ecosystem, name, version, arch, source_name, source_version)
  )`,
  `create index packages_source_idx on packages (ecosystem, source_name)`,
  `create table asset_packages (
    asset_id uuid not null references assets(id) on delete cascade,
    package_id bigint not null references packages(id),
    primary key (asset_id, package_id)
  )`,
  `create index asset_packages_package_idx on asset_packages (package_id)`,
  `create table asset_inventories (
    asset_id uuid primary key references assets(id) on delete cascade,
    distro text,
    release text,
    source text not null,
    collected_at timestamptz not null,
    package_count integer not null,
    digest text not null
  )`,

  `create table findings (
    id uuid primary key default gen_random_uuid(),
    asset_id uuid not null references assets(id) on delete cascade,
    vulnerability_id text not null references vulnerabilities(id) on delete cascade,
    ecosystem text not null,
    package_name text not null,
    package_arch text not null default '',
    installed_version text not null,
    source_package text,
    source_version text,
    fixed_version text,
    advisory_id bigint references advisories(id) on delete set null,
    rule text not null,
    source text not null default 'engine',
    status text not null default 'open',
    first_seen timestamptz not null,
    last_seen timestamptz not null,
    resolved_at timestamptz,
    unique (asset_id, vulnerability_id, ecosystem, package_name, package_arch)
  )`,
  `create index findings_vuln_idx on findings (vulnerability_id, status)`,
  `create index findings_status_idx on findings (status, asset_id)`,
  `create table finding_events (
    id bigint generated always as identity primary key,
    finding_id uuid not null references findings(id) on delete cascade,
    at timestamptz not null,
    from_status text,
    to_status text not null,
    reason text not null,
    installed_version text,
    run_id uuid
  )`,
  `create index finding_events_finding_idx on finding_events (finding_id, id)`,
  `create trigger finding_events_no_update before update on finding_events
     for each row execute function patchloop_audit_immutable()`,
  `create table match_runs (
    id uuid primary key,
    kind text not null,
    scope jsonb,
    status text not null,
    started_at timestamptz not null,
    finished_at timestamptz,
    total integer not null default 0,
    done integer not null default 0,
    stats jsonb,
    error text
  )`,
];

export async function up(db: Kysely<unknown>): Promise<void> {
  for (const s of statements) await sql.raw(s).execute(db);
}
