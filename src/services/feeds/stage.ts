import { sql } from 'kysely';
import type { Tx } from '../../storage/db.js';

/**
 * A feed's records are loaded into a transaction-scoped temporary table in
 * chunks (one multi-row INSERT … SELECT FROM unnest(arrays) per chunk), and
 * the comparison with what is stored runs as set-based SQL. That keeps a
 * 300,000-row EPSS file or a full Debian tracker snapshot to a handful of
 * statements on PGlite and PostgreSQL alike.
 */
export type ColumnType = 'text' | 'float8' | 'date' | 'boolean';

export interface Stage {
  readonly name: string;
  readonly columns: Readonly<Record<string, ColumnType>>;
  /** Indexed after loading, so that joins with the stored rows stay index lookups whatever the planner estimates. */
  readonly key: readonly string[];
}

const NAME_RE = /^[a-z_][a-z0-9_]*$/;
const CHUNK = 10_000;

export async function createStage(tx: Tx, name: string, columns: Record<string, ColumnType>, key: readonly string[]): Promise<Stage> {
  for (const n of [name, ...Object.keys(columns)]) if (!NAME_RE.test(n)) throw new Error(`bad identifier ${n}`);
  for (const k of key) if (!(k in columns)) throw new Error(`key column ${k} is not a column`);
  const cols = Object.entries(columns).map(([c, t]) => `${c} ${t}`).join(', ');
  await sql.raw(`create temp table ${name} (${cols}) on commit drop`).execute(tx);
  return { name, columns, key };
}

/** Appends rows given column-wise (every array the same length). */
export async function loadStage(tx: Tx, stage: Stage, data: Record<string, readonly unknown[]>): Promise<void> {
  const cols = Object.keys(stage.columns);
  const n = data[cols[0] as string]?.length ?? 0;
  for (const c of cols) if ((data[c]?.length ?? -1) !== n) throw new Error(`column ${c} has ${data[c]?.length} values, expected ${n}`);
  const target = sql.raw(`${stage.name} (${cols.join(', ')})`);
  for (let i = 0; i < n; i += CHUNK) {
    const arrays = cols.map((c) => sql`${(data[c] as unknown[]).slice(i, i + CHUNK)}::${sql.raw(stage.columns[c] as string)}[]`);
    await sql`insert into ${target} select * from unnest(${sql.join(arrays)})`.execute(tx);
  }
  await sql.raw(`create index on ${stage.name} (${stage.key.join(', ')})`).execute(tx);
  await sql.raw(`analyze ${stage.name}`).execute(tx);
}

/** Rewrites ids that the alias table maps to a canonical vulnerability; returns how many were rewritten. */
export async function canonicalise(tx: Tx, stage: Stage, column = 'vid'): Promise<number> {
  const r = await sql<{ n: number }>`with u as (
      update ${sql.raw(stage.name)} s set ${sql.raw(column)} = a.vulnerability_id
      from vulnerability_aliases a where a.alias = s.${sql.raw(column)} and a.vulnerability_id <> a.alias
      returning 1)
    select count(*)::int as n from u`.execute(tx);
  return Number(r.rows[0]?.n ?? 0);
}

/** Keeps one row per key (the first loaded) after canonical ids made two rows the same. */
export async function dedupe(tx: Tx, stage: Stage, key: string[]): Promise<void> {
  const on = key.map((k) => `a.${k} is not distinct from b.${k}`).join(' and ');
  await sql.raw(`delete from ${stage.name} a using ${stage.name} b where ${on} and a.ctid > b.ctid`).execute(tx);
}

