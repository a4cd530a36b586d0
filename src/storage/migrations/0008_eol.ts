import { type Kysely, sql } from 'kysely';

/**
 * End of life (issue #4 §6, LEG-1, LEG-2).
 *
 * - eol_dataset / eol_cycles: the loaded end-of-life dataset (one at a time,
 *   replaced whole by an import) and where it came from. Dates are split into
 *   a date and a flag because endoflife.date says "true" (ended, no date) or
 *   "false" (no end fixed) where it has no date.
 * - asset_eol: each asset's evaluation, derived data kept so that the lists,
 *   counts and the inventory coverage rule are one indexed read at 10,000
 *   assets. `inputs` and `inventory_key` say what it was computed from; a row
 *   whose inputs changed, or whose valid_until day has come, is recomputed
 *   before it is read. `packages` caches the installed packages that map to a
 *   product, so a new dataset is re-evaluated without reading inventories.
 * - eol_controls: compensating controls per unsupported asset (LEG-2). The
 *   service requires an owner; deleting a team must not be blocked by a
 *   control it owned, so the owner then becomes empty and shows as unowned.
 */
const statements = [
  `create table eol_dataset (
    id integer primary key default 1 check (id = 1),
    source text not null,
    version text not null,
    license text,
    products integer not null,
    cycles integer not null,
    loaded_at timestamptz not null,
    loaded_by text not null,
    etag text,
    last_modified text
  )`,
  `create table eol_cycles (
    product text not null,
    cycle text not null,
    ord integer not null,
    codename text,
    label text,
    release_date date,
    eol_date date,
    eol_flag boolean,
    extended_date date,
    extended_flag boolean,
    lts_date date,
    lts_flag boolean,
    latest text,
    primary key (product, cycle),
    check ((eol_date is null) <> (eol_flag is null))
  )`,
  `create table asset_eol (
    asset_id uuid primary key references assets(id) on delete cascade,
    inputs text not null,
    inventory_key text not null,
    packages jsonb not null,
    state text not null,
    risk text not null,
    risk_reason text not null,
    os_product text,
    os_cycle text,
    unsupported_from date,
    valid_until date,
    result jsonb not null,
    computed_at timestamptz not null
  )`,
  `create index asset_eol_state_idx on asset_eol (state, risk)`,
  `create index asset_eol_unsupported_idx on asset_eol (unsupported_from, asset_id)`,
  `create table eol_controls (
    id uuid primary key default gen_random_uuid(),
    asset_id uuid not null references assets(id),
    control text not null,
    description text,
    owner_user_id uuid references users(id) on delete set null,
    owner_team_id uuid references teams(id) on delete set null,
    review_date date not null,
    status text not null default 'active' check (status in ('active', 'retired')),
    retired_at timestamptz,
    retire_reason text,
    created_at timestamptz not null default now(),
    updated_at timestamptz not null default now(),
    version integer not null default 1,
    check (owner_user_id is null or owner_team_id is null)
  )`,
  `create index eol_controls_asset_idx on eol_controls (asset_id, status)`,
];

export async function up(db: Kysely<unknown>): Promise<void> {
  for (const s of statements) await sql.raw(s).execute(db);
}
