import { type Kysely, sql } from 'kysely';

/**
 * One row per escalation run (a rule run or a raised-priority announcement):
 * the security audience it told, once. Finding-specific recipients stay on
 * each finding_escalations row; the escalation log adds these to the rows
 * whose audiences name security. Runs before this migration kept everyone
 * on each row.
 */
const statements = [
  `create table escalation_runs (
    run_id uuid primary key,
    kind text not null,
    at timestamptz not null,
    security jsonb not null default '[]'
  )`,
];

export async function up(db: Kysely<unknown>): Promise<void> {
  for (const s of statements) await sql.raw(s).execute(db);
}
