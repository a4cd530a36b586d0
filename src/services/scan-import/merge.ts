import { sql } from 'kysely';
import type { Tx } from '../../storage/db.js';

/**
 * Merging a staged import into the register (issue #5 §4), set-based:
 *  1. vulnerability ids → the register's (by id, then alias); unknown ones are
 *     created from what the scanner says (the feeds complete them later);
 *  2. packages → the package the asset really has installed under that name
 *     (so "openssl" from Nessus meets the engine's openssl:amd64 finding),
 *     else a package row of its own; no package → name id 0;
 *  3. one finding per (asset, vulnerability, package name): an existing one
 *     gets the evidence, whoever found it first; a report without a package
 *     joins the asset's finding of that vulnerability when there is one;
 *  4. one evidence row per (finding, source, source key): updated in place on
 *     re-import, so importing the same file twice changes only "last seen".
 */
export interface MergeCounts {
  findingsNew: number;
  findingsSeenAgain: number;
  evidenceNew: number;
  evidenceChanged: number;
}

export async function resolveVulnerabilities(tx: Tx, now: Date): Promise<number> {
  // Temporary tables have no statistics until analysed: without them the planner nests loops over 100,000 rows.
  await sql`analyze tmp_import`.execute(tx);
  await sql`update tmp_import t set vnum = v.num from vulnerabilities v where v.id = t.vuln_id`.execute(tx);
  await sql`update tmp_import t set vnum = v.num from vulnerability_aliases va join vulnerabilities v on v.id = va.vulnerability_id
    where t.vnum is null and va.alias = t.vuln_id`.execute(tx);
  // The report's own aliases (a GHSA id reported with its CVE).
  await sql`update tmp_import t set vnum = v.num from vulnerabilities v
    where t.vnum is null and t.aliases is not null and v.id = any(string_to_array(t.aliases, ' '))`.execute(tx);
  const created = await sql`insert into vulnerabilities (id, title, severity, cvss_score, updated_at)
    select distinct on (vuln_id) vuln_id, title, severity, cvss, ${now}::timestamptz from tmp_import where vnum is null
    order by vuln_id, cvss desc nulls last
    on conflict (id) do nothing`.execute(tx);
  await sql`update tmp_import t set vnum = v.num from vulnerabilities v where t.vnum is null and v.id = t.vuln_id`.execute(tx);
  return Number(created.numAffectedRows ?? 0);
}

export async function resolvePackages(tx: Tx): Promise<void> {
  await sql`update tmp_import set name_id = 0 where pkg_name is null`.execute(tx);
  // What the import's assets have installed under the names the import mentions.
  await sql`create temp table tmp_installed on commit drop as
    with names as (select distinct pkg_name from tmp_import where pkg_name is not null),
      cand as materialized (select p.id, p.ecosystem, p.name, p.name_id from packages p join names n on n.pkg_name = p.name),
      inst as materialized (select ai.asset_id, u.id from asset_inventories ai cross join lateral unnest(ai.package_ids) as u(id)
        where ai.asset_id in (select distinct asset_id from tmp_import where pkg_name is not null))
    select inst.asset_id, cand.ecosystem, cand.name, cand.name_id, cand.id as package_id from inst join cand on cand.id = inst.id`.execute(tx);
  await sql`analyze tmp_installed`.execute(tx);
  await sql`update tmp_import t set name_id = i.name_id, package_id = i.package_id from tmp_installed i
    where t.name_id is null and i.asset_id = t.asset_id and i.name = t.pkg_name and (t.eco is null or i.ecosystem = t.eco)`.execute(tx);
  // Not installed as far as patchloop knows: a package of its own, under the reported ecosystem.
  await sql`insert into package_names (ecosystem, name, arch)
    select distinct coalesce(eco, 'unknown'), pkg_name, '' from tmp_import where name_id is null
    on conflict do nothing`.execute(tx);
  await sql`update tmp_import t set name_id = n.id from package_names n
    where t.name_id is null and n.ecosystem = coalesce(t.eco, 'unknown') and n.name = t.pkg_name and n.arch = ''`.execute(tx);
  await sql`insert into packages (ecosystem, name, version, arch, source_name, source_version, name_id)
    select distinct coalesce(eco, 'unknown'), pkg_name, coalesce(pkg_version, ''), '', pkg_name, coalesce(pkg_version, ''), name_id
    from tmp_import where package_id is null and pkg_name is not null
    on conflict do nothing`.execute(tx);
  await sql`update tmp_import t set package_id = p.id from packages p
    where t.package_id is null and t.pkg_name is not null and p.ecosystem = coalesce(t.eco, 'unknown') and p.name = t.pkg_name
      and p.version = coalesce(t.pkg_version, '') and p.arch = '' and p.source_name = t.pkg_name and p.source_version = coalesce(t.pkg_version, '')`.execute(tx);
}

export async function resolveFindings(tx: Tx, source: string, now: Date): Promise<{ created: number }> {
  await sql`analyze tmp_import`.execute(tx);
  await sql`update tmp_import t set finding_id = f.id from findings f
    where f.asset_id = t.asset_id and f.vulnerability_num = t.vnum and f.name_id = t.name_id`.execute(tx);
  await sql`update tmp_import t set finding_id = (select min(f.id) from findings f where f.asset_id = t.asset_id and f.vulnerability_num = t.vnum)
    where t.finding_id is null and t.name_id = 0`.execute(tx);
  const created = await sql`with ins as (
      insert into findings (asset_id, vulnerability_num, name_id, package_id, fixed_version, source, status, first_seen, last_seen)
      select distinct on (asset_id, vnum, name_id) asset_id, vnum, name_id, package_id, fixed_version, ${source}, 'open', ${now}::timestamptz, ${now}::timestamptz
      from tmp_import where finding_id is null order by asset_id, vnum, name_id, row_no
      returning id, asset_id, vulnerability_num, name_id)
    update tmp_import t set finding_id = ins.id, is_new = true from ins
    where ins.asset_id = t.asset_id and ins.vulnerability_num = t.vnum and ins.name_id = t.name_id`.execute(tx);
  const n = await sql<{ n: number }>`select count(distinct finding_id)::int as n from tmp_import where is_new`.execute(tx);
  void created;
  return { created: n.rows[0]?.n ?? 0 };
}

/**
 * One evidence row per (finding, source key), the report's last word winning
 * when it repeats itself. Returns the findings whose evidence changed
 * (another version or output) or is new, which lifts a validation (VUL-6).
 */
export async function writeEvidence(tx: Tx, source: string, importId: string, now: Date): Promise<{ created: number; changed: number }> {
  await sql`create temp table tmp_evidence on commit drop as
    select distinct on (finding_id, source_key) t.*, null::bigint as evidence_id, null::text as old_fingerprint
    from tmp_import t order by finding_id, source_key, row_no desc`.execute(tx);
  await sql`analyze tmp_evidence`.execute(tx);
  await sql`update tmp_evidence t set evidence_id = e.id, old_fingerprint = e.fingerprint from finding_evidence e
    where e.finding_id = t.finding_id and e.source = ${source} and e.source_key = t.source_key`.execute(tx);
  await sql`update finding_evidence e set last_seen = ${now}, last_import_id = ${importId}::uuid, gone_at = null, gone_import_id = null,
      fingerprint = t.fingerprint, title = t.title, severity = t.severity, cvss_score = t.cvss, cvss_vector = t.cvss_vector,
      installed_version = t.pkg_version, fixed_version = t.fixed_version, location = t.location, output = t.output
    from tmp_evidence t where e.id = t.evidence_id`.execute(tx);
  const created = await sql`insert into finding_evidence (finding_id, asset_id, source, source_key, first_seen, last_seen, first_import_id, last_import_id,
      fingerprint, title, severity, cvss_score, cvss_vector, installed_version, fixed_version, location, output)
    select finding_id, asset_id, ${source}, source_key, ${now}::timestamptz, ${now}::timestamptz, ${importId}::uuid, ${importId}::uuid,
      fingerprint, title, severity, cvss, cvss_vector, pkg_version, fixed_version, location, output
    from tmp_evidence where evidence_id is null`.execute(tx);
  // A scanner's own finding follows what it reports now (another installed version, another fix); the engine's follow the inventory.
  await sql`update findings f set package_id = t.package_id, fixed_version = t.fixed_version
    from (select distinct on (finding_id) finding_id, package_id, fixed_version from tmp_evidence where package_id is not null order by finding_id, row_no desc) t
    where f.id = t.finding_id and f.source <> 'engine' and (f.package_id, f.fixed_version) is distinct from (t.package_id, t.fixed_version)`.execute(tx);
  const changed = await sql<{ n: number }>`select count(*)::int as n from tmp_evidence where evidence_id is not null and old_fingerprint <> fingerprint`.execute(tx);
  return { created: Number(created.numAffectedRows ?? 0), changed: changed.rows[0]?.n ?? 0 };
}
