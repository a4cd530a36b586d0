import { type Kysely, sql } from 'kysely';

/**
 * The findings register at a million findings (issue #5 §6, VUL-8;
 * bench/findings-list.ts, docs/benchmarks.md).
 *
 * A page sorted by a vulnerability's attribute (severity, CVSS, EPSS, id)
 * walks the vulnerabilities in the order of an index on that attribute and
 * fetches each one's findings by findings (vulnerability_num, id), stopping
 * once the page is full, instead of joining and sorting every finding:
 * - `patchloop_severity_rank` is the one definition of a severity rank
 *   (4 critical … 0 none, null unknown): the stated severity, else the CVSS
 *   score on its version's scale, the rule of the vulnerability register;
 *   immutable, so it can be indexed, and used for evidence severities too;
 * - unknown CVSS and EPSS scores sort as -1, so one index serves both orders;
 * - findings (vulnerability_num, id): the findings of one vulnerability in id
 *   order, whatever their status (the index of migration 0006 holds open
 *   findings only);
 * - findings (first_seen, id): "newest findings" pages;
 * - findings (name_id): the package filter and the text search on package
 *   names;
 * - assets (lower(hostname), id): sorting by host name over all assets (the
 *   index of migration 0001 starts with the lifecycle).
 *
 * A finding whose vulnerability has no severity takes the strongest severity
 * its evidence states. Looking that up per finding made a page sorted or
 * filtered by severity probe the evidence of every such finding (0.7 s for
 * 30,000 of them), so those findings keep it in `evidence_rank` (null for the
 * others: their vulnerability's severity is the one that counts, and keeping
 * it for every finding rewrote every finding an import gave evidence, 55 µs a
 * row). Statement triggers keep it: on finding_evidence, for the findings
 * whose evidence was added, removed or changed severity; on vulnerabilities,
 * for the findings of a vulnerability that gains or loses its severity.
 */
const statements = [
  `create function patchloop_severity_rank(severity text, cvss_score numeric, cvss_version text) returns integer
     language sql immutable parallel safe as $$
     select case lower(coalesce(severity, case
         when cvss_score is null then null
         when cvss_version = '2.0' then case when cvss_score < 4 then 'low' when cvss_score < 7 then 'medium' else 'high' end
         when cvss_score = 0 then 'none' when cvss_score < 4 then 'low' when cvss_score < 7 then 'medium' when cvss_score < 9 then 'high' else 'critical' end))
       when 'critical' then 4 when 'high' then 3 when 'important' then 3 when 'medium' then 2 when 'moderate' then 2
       when 'low' then 1 when 'none' then 0 when 'info' then 0 when 'informational' then 0 when 'negligible' then 0 else null end
   $$`,
  `create index vulnerabilities_severity_rank_idx on vulnerabilities ((patchloop_severity_rank(severity, cvss_score, cvss_version)), num)`,
  `create index vulnerabilities_cvss_sort_idx on vulnerabilities ((coalesce(cvss_score, -1)), num)`,
  `create index vulnerabilities_epss_sort_idx on vulnerabilities ((coalesce(epss_score, -1)), num)`,
  `create index findings_vuln_id_idx on findings (vulnerability_num, id)`,
  `create index findings_first_seen_idx on findings (first_seen, id)`,
  `create index findings_name_idx on findings (name_id)`,
  `create index assets_hostname_sort_idx on assets (lower(hostname), id)`,
  `create index finding_views_owner_idx on finding_views (owner_id)`,

  `alter table findings add column evidence_rank smallint`,
  `create function patchloop_refresh_evidence_rank(ids bigint[]) returns void language sql as $$
     update findings f set evidence_rank = r.rank
       from (select f2.id, case when patchloop_severity_rank(v.severity, v.cvss_score, v.cvss_version) is null then
               (select max(patchloop_severity_rank(e.severity, e.cvss_score, null)) from finding_evidence e where e.finding_id = f2.id) end as rank
             from findings f2 join vulnerabilities v on v.num = f2.vulnerability_num where f2.id = any(ids)) r
       where f.id = r.id and f.evidence_rank is distinct from r.rank
   $$`,
  `select patchloop_refresh_evidence_rank(array(select f.id from findings f join vulnerabilities v on v.num = f.vulnerability_num
     where patchloop_severity_rank(v.severity, v.cvss_score, v.cvss_version) is null and exists (select 1 from finding_evidence e where e.finding_id = f.id)))`,
  `create function patchloop_evidence_rank() returns trigger language plpgsql as $$
   declare ids bigint[];
   begin
     if tg_op = 'INSERT' then
       select array_agg(distinct n.finding_id) into ids from changed_new n;
     elsif tg_op = 'DELETE' then
       select array_agg(distinct o.finding_id) into ids from changed_old o;
     else
       -- Re-imports rewrite every piece of evidence they report: only a change of severity matters here. (EXCEPT
       -- hashes; a join of the transition tables, which have no statistics, could be planned as a nested loop.)
       select array_agg(distinct c.finding_id) into ids from (
         select id, finding_id, severity, cvss_score from changed_new except select id, finding_id, severity, cvss_score from changed_old) c;
     end if;
     if ids is not null then
       -- Only findings of vulnerabilities without a severity keep one.
       perform patchloop_refresh_evidence_rank(array(select f.id from findings f join vulnerabilities v on v.num = f.vulnerability_num
         where f.id = any(ids) and (f.evidence_rank is not null or patchloop_severity_rank(v.severity, v.cvss_score, v.cvss_version) is null)));
     end if;
     return null;
   end $$`,
  `create function patchloop_vulnerability_rank() returns trigger language plpgsql as $$
   begin
     -- The vulnerabilities whose severity became known or unknown: in one set of unknown ones and not the other.
     perform patchloop_refresh_evidence_rank(array(select f.id from findings f where f.vulnerability_num in (
       (select num from changed_new where patchloop_severity_rank(severity, cvss_score, cvss_version) is null
        except select num from changed_old where patchloop_severity_rank(severity, cvss_score, cvss_version) is null)
       union
       (select num from changed_old where patchloop_severity_rank(severity, cvss_score, cvss_version) is null
        except select num from changed_new where patchloop_severity_rank(severity, cvss_score, cvss_version) is null))));
     return null;
   end $$`,
  // Findings whose severity comes from their evidence, strongest first (the severity sort's second stream).
  `create index findings_evidence_rank_idx on findings (evidence_rank, vulnerability_num, id) where evidence_rank is not null`,
  `create trigger finding_evidence_rank_insert after insert on finding_evidence referencing new table as changed_new
     for each statement execute function patchloop_evidence_rank()`,
  `create trigger finding_evidence_rank_update after update on finding_evidence referencing old table as changed_old new table as changed_new
     for each statement execute function patchloop_evidence_rank()`,
  `create trigger finding_evidence_rank_delete after delete on finding_evidence referencing old table as changed_old
     for each statement execute function patchloop_evidence_rank()`,
  `create trigger vulnerabilities_rank_update after update on vulnerabilities referencing old table as changed_old new table as changed_new
     for each statement execute function patchloop_vulnerability_rank()`,
];

export async function up(db: Kysely<unknown>): Promise<void> {
  for (const s of statements) await sql.raw(s).execute(db);
}
