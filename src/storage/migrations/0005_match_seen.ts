import { type Kysely, sql } from 'kysely';

/**
 * "Last seen" of an open finding is when its asset was last matched: kept
 * once per asset instead of rewriting every open finding on each re-match,
 * so a re-match writes only what changed (bench/matching.ts).
 */
export async function up(db: Kysely<unknown>): Promise<void> {
  await sql`alter table asset_inventories add column matched_at timestamptz`.execute(db);
  await sql`create index finding_events_run_idx on finding_events (run_id)`.execute(db);
}
