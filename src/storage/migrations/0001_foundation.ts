import { type Kysely, sql } from 'kysely';

/**
 * Foundation schema: accounts, teams, assets and the append-only audit trail.
 * Statements run one by one (PGlite's extended protocol takes one at a time).
 */
const statements = [
  `create table users (
    id uuid primary key default gen_random_uuid(),
    username text not null,
    display_name text not null default '',
    email text,
    role text not null,
    password_hash text,
    oidc_issuer text,
    oidc_subject text,
    disabled boolean not null default false,
    failed_logins integer not null default 0,
    locked_until timestamptz,
    last_login_at timestamptz,
    created_at timestamptz not null default now(),
    updated_at timestamptz not null default now()
  )`,
  `create unique index users_username_uq on users (lower(username))`,
  `create unique index users_oidc_uq on users (oidc_issuer, oidc_subject) where oidc_subject is not null`,

  `create table teams (
    id uuid primary key default gen_random_uuid(),
    name text not null,
    description text,
    email text,
    manager_user_id uuid references users(id) on delete set null,
    created_at timestamptz not null default now(),
    updated_at timestamptz not null default now()
  )`,
  `create unique index teams_name_uq on teams (lower(name))`,
  `create table team_members (
    team_id uuid not null references teams(id) on delete cascade,
    user_id uuid not null references users(id) on delete cascade,
    primary key (team_id, user_id)
  )`,

  `create table sessions (
    id text primary key,
    user_id uuid not null references users(id) on delete cascade,
    csrf_token text not null,
    created_at timestamptz not null default now(),
    expires_at timestamptz not null,
    ip text,
    user_agent text
  )`,
  `create index sessions_user_idx on sessions (user_id)`,

  `create table api_tokens (
    id uuid primary key default gen_random_uuid(),
    user_id uuid not null references users(id) on delete cascade,
    name text not null,
    token_hash text not null unique,
    prefix text not null,
    scopes text[] not null,
    expires_at timestamptz,
    revoked_at timestamptz,
    last_used_at timestamptz,
    created_at timestamptz not null default now()
  )`,
  `create index api_tokens_user_idx on api_tokens (user_id)`,

  `create table setup_codes (
    code_hash text primary key,
    expires_at timestamptz not null
  )`,

  `create table assets (
    id uuid primary key default gen_random_uuid(),
    hostname text not null,
    fqdn text,
    ip_addresses text[] not null default '{}',
    os_family text,
    os_name text,
    os_version text,
    environment text not null,
    system_type text not null,
    department text,
    location text,
    owner_user_id uuid references users(id) on delete restrict,
    owner_team_id uuid references teams(id) on delete restrict,
    business_criticality text not null,
    network_exposure text not null,
    maintenance_group text,
    tags text[] not null default '{}',
    supplier text,
    description text,
    lifecycle text not null default 'active',
    decommissioned_at timestamptz,
    version integer not null default 1,
    created_at timestamptz not null default now(),
    updated_at timestamptz not null default now(),
    constraint assets_one_owner check (owner_user_id is null or owner_team_id is null)
  )`,
  `create unique index assets_fqdn_active_uq on assets (lower(fqdn)) where lifecycle = 'active' and fqdn is not null`,
  `create unique index assets_hostname_active_uq on assets (lower(hostname)) where lifecycle = 'active' and fqdn is null`,
  `create index assets_hostname_idx on assets (lifecycle, lower(hostname), id)`,
  `create index assets_updated_idx on assets (lifecycle, updated_at, id)`,
  `create index assets_created_idx on assets (lifecycle, created_at, id)`,
  `create index assets_env_idx on assets (lifecycle, environment, id)`,
  `create index assets_type_idx on assets (lifecycle, system_type, id)`,
  `create index assets_dept_idx on assets (lifecycle, coalesce(department, ''), id)`,
  `create index assets_loc_idx on assets (lifecycle, coalesce(location, ''), id)`,
  `create index assets_crit_idx on assets (lifecycle, (case business_criticality when 'critical' then 1 when 'high' then 2 when 'medium' then 3 else 4 end), id)`,
  `create index assets_exposure_idx on assets (lifecycle, (case network_exposure when 'internet_facing' then 1 when 'internal' then 2 else 3 end), id)`,
  `create index assets_owner_user_idx on assets (owner_user_id)`,
  `create index assets_owner_team_idx on assets (owner_team_id)`,
  `create index assets_tags_idx on assets using gin (tags)`,

  `create table audit_log (
    seq bigint primary key,
    occurred_at timestamptz not null,
    actor_type text not null,
    actor_id text,
    actor_name text not null,
    action text not null,
    entity_type text not null,
    entity_id text,
    before jsonb,
    after jsonb,
    request_id text,
    prev_hash text not null,
    hash text not null
  )`,
  `create index audit_entity_idx on audit_log (entity_type, entity_id, seq)`,
  `create index audit_actor_idx on audit_log (actor_name, seq)`,
  `create index audit_time_idx on audit_log (occurred_at)`,
  // The newest (seq, hash), kept apart so that removing the newest records is detectable.
  `create table audit_head (
    id boolean primary key default true check (id),
    seq bigint not null,
    hash text not null
  )`,
  `create function patchloop_audit_immutable() returns trigger language plpgsql as $$
   begin
     raise exception 'audit_log is append-only: % is not allowed', tg_op;
   end $$`,
  `create trigger audit_log_no_update before update or delete on audit_log
     for each row execute function patchloop_audit_immutable()`,
  `create trigger audit_log_no_truncate before truncate on audit_log
     for each statement execute function patchloop_audit_immutable()`,
];

export async function up(db: Kysely<unknown>): Promise<void> {
  for (const s of statements) await sql.raw(s).execute(db);
}
