import { sql } from 'kysely';
import type { Tx } from '../../storage/db.js';
import type { PackageKey } from './types.js';

/**
 * Keys touched by an import, collected from the RETURNING of each set-based
 * statement into a temporary table, so that a first import of a big feed
 * does not ship every row back to the application just to be counted.
 */
export async function createChangeLog(tx: Tx): Promise<void> {
  await sql`create temp table feed_changes (kind text not null, vid text not null, release text, package text) on commit drop`.execute(tx);
}

/** Runs a data-modifying statement whose RETURNING gives (vid[, release, package]) and logs its rows under `kind`; returns the row count. */
export async function logged(tx: Tx, kind: 'added' | 'changed' | 'removed', dml: ReturnType<typeof sql>, withPackage = false): Promise<number> {
  const cols = withPackage ? sql`vid, release, package` : sql`vid`;
  const r = await sql<{ n: number }>`with x as (${dml}), l as (insert into feed_changes (kind, ${cols}) select ${kind}::text, ${cols} from x returning 1)
    select count(*)::int as n from l`.execute(tx);
  return Number(r.rows[0]?.n ?? 0);
}

export async function changedKeys(tx: Tx, ecosystem: string | null): Promise<{ packages: PackageKey[]; vulnerabilities: string[] }> {
  const vulns = await sql<{ vid: string }>`select distinct vid from feed_changes order by vid`.execute(tx);
  const packages = ecosystem
    ? (await sql<{ release: string; package: string }>`select distinct release, package from feed_changes where package is not null order by release, package`.execute(tx)).rows.map((r) => ({ ecosystem, release: r.release, package: r.package }))
    : [];
  return { packages, vulnerabilities: vulns.rows.map((r) => r.vid) };
}
