import { sql } from 'kysely';
import { type KevCatalogue, kevAliases } from '../../domain/feeds/kev.js';
import type { Tx } from '../../storage/db.js';
import { changedKeys, createChangeLog, logged } from './changes.js';
import { canonicalise, createStage, dedupe, loadStage } from './stage.js';
import type { FeedChanges } from './types.js';

/**
 * Sets vulnerabilities.kev_* from the catalogue (creating the vulnerability
 * when it is new to us) and clears them for entries the catalogue no longer
 * lists. Added = newly in KEV, changed = KEV fields differ, removed = cleared.
 */
export async function applyKev(tx: Tx, cat: KevCatalogue): Promise<FeedChanges> {
  const e = cat.entries;
  const stage = await createStage(tx, 'feed_stage', { vid: 'text', date_added: 'date', due_date: 'date', ransomware: 'boolean', name: 'text', required_action: 'text', description: 'text' }, ['vid']);
  await loadStage(tx, stage, {
    vid: e.map((x) => x.cve),
    date_added: e.map((x) => x.dateAdded),
    due_date: e.map((x) => x.dueDate),
    ransomware: e.map((x) => x.ransomware),
    name: e.map((x) => x.name),
    required_action: e.map((x) => x.requiredAction || null),
    description: e.map((x) => x.shortDescription || null),
  });
  if ((await canonicalise(tx, stage)) > 0) await dedupe(tx, stage, ['vid']);
  await createChangeLog(tx);

  await sql`insert into vulnerabilities (id, description, updated_at)
    select vid, description, now() from feed_stage
    on conflict (id) do update set description = excluded.description, updated_at = now()
      where vulnerabilities.description is null and excluded.description is not null`.execute(tx);

  const removed = await logged(tx, 'removed', sql`update vulnerabilities v
      set kev_date_added = null, kev_due_date = null, kev_ransomware = null, kev_name = null, kev_required_action = null, updated_at = now()
      where v.kev_date_added is not null and not exists (select 1 from feed_stage s where s.vid = v.id)
      returning v.id as vid`);
  // The FROM list is read before the update, so was_absent tells new KEV entries from changed ones.
  await sql`create temp table feed_kev_updated (vid text, was_absent boolean) on commit drop`.execute(tx);
  await sql`with u as (
      update vulnerabilities v
      set kev_date_added = s.date_added, kev_due_date = s.due_date, kev_ransomware = s.ransomware, kev_name = s.name, kev_required_action = s.required_action, updated_at = now()
      from (select s.*, o.kev_date_added is null as was_absent from feed_stage s join vulnerabilities o on o.id = s.vid) s
      where v.id = s.vid
        and (v.kev_date_added, v.kev_due_date, v.kev_ransomware, v.kev_name, v.kev_required_action)
          is distinct from (s.date_added, s.due_date, s.ransomware, s.name, s.required_action)
      returning v.id as vid, s.was_absent)
    insert into feed_kev_updated select vid, was_absent from u`.execute(tx);
  const added = await logged(tx, 'added', sql`select vid from feed_kev_updated where was_absent`);
  const changed = await logged(tx, 'changed', sql`select vid from feed_kev_updated where not was_absent`);

  // GitHub advisories the notes cite for the entry: aliases of its CVE (an alias already recorded keeps its target).
  const pairs = e.flatMap((x) => kevAliases(x).map((a) => [a, x.cve] as const));
  let aliases = 0;
  if (pairs.length) {
    const r = await sql<{ n: number }>`with i as (
        insert into vulnerability_aliases (alias, vulnerability_id)
        select p.alias, coalesce(c.vulnerability_id, p.vid)
        from unnest(${pairs.map((p) => p[0])}::text[], ${pairs.map((p) => p[1])}::text[]) as p(alias, vid)
        left join vulnerability_aliases c on c.alias = p.vid
        on conflict (alias) do nothing returning 1)
      select count(*)::int as n from i`.execute(tx);
    aliases = Number(r.rows[0]?.n ?? 0);
  }
  const keys = await changedKeys(tx, null);
  return { records: e.length, added, changed, removed, changedPackages: [], changedVulnerabilities: keys.vulnerabilities, aliases };
}
