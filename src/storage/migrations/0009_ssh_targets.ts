import { type Kysely, sql } from 'kysely';

/**
 * Agentless collection over SSH (INV-3): one target per asset. `credential`
 * holds the private key or password sealed with AES-256-GCM under the
 * server's master key (lib/secrets.ts), never the plain text. The last
 * attempt is kept on the row so the asset page shows why collection fails.
 */
export async function up(db: Kysely<unknown>): Promise<void> {
  await sql`create table ssh_targets (
    asset_id uuid primary key references assets(id) on delete cascade,
    host text not null,
    port integer not null default 22 check (port between 1 and 65535),
    username text not null,
    remote_root text not null default '/',
    auth_method text not null check (auth_method in ('key', 'password')),
    credential text not null,
    key_fingerprint text,
    has_passphrase boolean not null default false,
    host_keys jsonb not null default '[]',
    last_attempt_at timestamptz,
    last_status text check (last_status in ('succeeded', 'failed')),
    last_error_kind text,
    last_error text,
    last_success_at timestamptz,
    last_result jsonb,
    version integer not null default 1,
    created_at timestamptz not null default now(),
    updated_at timestamptz not null default now()
  )`.execute(db);
}
