import { type Kysely, sql } from 'kysely';

/**
 * Host agents (issue #4): one-time enrolment tokens, agents with their own
 * revocable credential, the reports they delivered (the idempotency record:
 * a report id is accepted once; accepted reports wait here, compressed, until
 * they are applied in order), and the host facts they last reported.
 */
export async function up(db: Kysely<unknown>): Promise<void> {
  await sql`create table agent_enrolment_tokens (
    id uuid primary key default gen_random_uuid(),
    name text not null,
    token_hash text not null unique,
    prefix text not null,
    max_uses integer not null check (max_uses between 1 and 100000),
    uses integer not null default 0,
    asset_defaults jsonb not null,
    expires_at timestamptz not null,
    revoked_at timestamptz,
    created_by text not null,
    created_at timestamptz not null default now()
  )`.execute(db);
  await sql`create table agents (
    id uuid primary key default gen_random_uuid(),
    asset_id uuid not null references assets (id),
    credential_hash text not null unique,
    credential_prefix text not null,
    enrolment_token_id uuid references agent_enrolment_tokens (id),
    hostname text not null,
    machine_id text,
    agent_version text,
    status text not null default 'active' check (status in ('active', 'revoked', 'replaced')),
    enrolled_at timestamptz not null default now(),
    revoked_at timestamptz,
    last_checkin_at timestamptz,
    last_ip text,
    last_seq bigint not null default 0,
    reports bigint not null default 0,
    full_required boolean not null default true,
    last_digest text
  )`.execute(db);
  await sql`create index agents_asset_idx on agents (asset_id)`.execute(db);
  await sql`create table agent_reports (
    agent_id uuid not null,
    report_id uuid not null,
    seq bigint not null,
    kind text not null check (kind in ('full', 'diff')),
    collected_at timestamptz not null,
    received_at timestamptz not null default now(),
    status text not null default 'queued' check (status in ('queued', 'applied', 'needs_full', 'failed')),
    payload bytea,
    attempts integer not null default 0,
    error text,
    applied_at timestamptz,
    packages integer,
    added integer,
    removed integer,
    primary key (agent_id, report_id)
  )`.execute(db);
  await sql`create unique index agent_reports_seq_idx on agent_reports (agent_id, seq)`.execute(db);
  await sql`create index agent_reports_queued_idx on agent_reports (received_at) where status = 'queued'`.execute(db);
  await sql`create table asset_host_facts (
    asset_id uuid primary key references assets (id),
    machine_id text,
    kernel text,
    uptime_seconds bigint,
    reboot_required boolean,
    os jsonb,
    addresses text[] not null default '{}',
    source text not null,
    collected_at timestamptz not null
  )`.execute(db);
  await sql`create index asset_host_facts_machine_idx on asset_host_facts (machine_id) where machine_id is not null`.execute(db);
}
