import { sql } from 'kysely';
import type { Tx } from '../../storage/db.js';

/**
 * What an import does to the status of findings (issue #5 §4–5), after its
 * evidence is written. Every transition is a finding_events row whose run_id
 * is the import, so a finding's history names the scan that moved it.
 *
 * - reported again, stored resolved → open ("reported again by the X scan").
 *   Not for the engine's own findings: the engine resolved them from the
 *   installed versions, and a scan saying otherwise is shown as evidence
 *   rather than flipping the status back and forth on every match;
 * - validated (false positive / not affected) and the evidence changed or a
 *   new piece of evidence arrived → open again, the validation lifted;
 * - the report's own VEX analysis (CycloneDX) "not affected" or "false
 *   positive" on an open finding → validated, the importer as reviewer;
 * - a re-scan of the same assets by the same source that no longer reports a
 *   finding → its evidence is gone, and a finding left with no evidence is
 *   resolved-by-scan.
 */
export interface StatusCounts {
  reopened: number;
  resolved: number;
  validationsLifted: number;
  validatedByVex: number;
}

export async function applyStatuses(
  tx: Tx,
  p: { source: string; scanner: string; importId: string; now: Date; scopeAssets: string[]; actorId: string | null; actorName: string; fileName: string | null },
): Promise<StatusCounts> {
  const { source, importId, now } = p;
  const run = sql`${importId}::uuid`;
  await sql`update findings f set last_seen = ${now} from (select distinct finding_id from tmp_evidence) t
    where f.id = t.finding_id and f.source <> 'engine' and f.status = 'open'`.execute(tx);

  const reopened = await sql`with r as (
      update findings f set status = 'open', resolved_at = null, last_seen = ${now}, sla_start = ${now}, prioritised_at = null
      from (select distinct finding_id from tmp_evidence) t
      where f.id = t.finding_id and f.status = 'resolved' and f.source <> 'engine' returning f.id)
    insert into finding_events (finding_id, at, from_status, to_status, reason, installed_version, run_id)
    select r.id, ${now}, 'resolved', 'open', ${`reported again by the ${p.scanner} scan`}, null, ${run} from r`.execute(tx);

  // Evidence that changed, or is new on a finding someone had validated.
  const lifted = await sql<{ id: string; from_status: string }>`with changed as (
      select distinct t.finding_id from tmp_evidence t
      where t.evidence_id is null or t.old_fingerprint <> t.fingerprint),
    v as (
      update finding_validations fv set lifted_at = ${now}, lifted_reason = ${`evidence changed: the ${p.scanner} scan reported a different version or output`}
      from changed c join findings f on f.id = c.finding_id
      where fv.finding_id = c.finding_id and fv.lifted_at is null and f.status in ('false_positive', 'not_affected')
      returning fv.finding_id)
    select f.id, f.status as from_status from findings f where f.id in (select finding_id from v)`.execute(tx);
  if (lifted.rows.length) {
    const ids = lifted.rows.map((r) => r.id);
    await sql`update findings set status = 'open', resolved_at = null, sla_start = ${now}, prioritised_at = null where id = any(${sql.val(ids)}::bigint[])`.execute(tx);
    await sql`insert into finding_events (finding_id, at, from_status, to_status, reason, installed_version, run_id)
      select id, ${now}, fs, 'open', ${`validation lifted: the ${p.scanner} scan brought new evidence`}, null, ${run}
      from unnest(${sql.val(ids)}::bigint[], ${sql.val(lifted.rows.map((r) => r.from_status))}::text[]) as u(id, fs)`.execute(tx);
  }

  const validated = await applyReportVex(tx, p);

  // Resolved-by-scan: the same source looked at these assets again and did not report it.
  const gone = await sql<{ finding_id: string }>`update finding_evidence e set gone_at = ${now}, gone_import_id = ${run}
    where e.source = ${source} and e.asset_id = any(${sql.val(p.scopeAssets)}::uuid[]) and e.gone_at is null
      and e.last_import_id is distinct from ${run}
    returning e.finding_id`.execute(tx);
  let resolved = 0;
  if (gone.rows.length) {
    const r = await sql`with done as (
        update findings f set status = 'resolved', resolved_at = ${now}, last_seen = coalesce(f.last_seen, ${now})
        where f.id = any(${sql.val([...new Set(gone.rows.map((g) => g.finding_id))])}::bigint[]) and f.status = 'open' and f.source <> 'engine'
          and not exists (select 1 from finding_evidence e where e.finding_id = f.id and e.gone_at is null)
        returning f.id)
      insert into finding_events (finding_id, at, from_status, to_status, reason, installed_version, run_id)
      select id, ${now}, 'open', 'resolved', ${`resolved by scan: the ${p.scanner} scan no longer reports it`}, null, ${run} from done`.execute(tx);
    resolved = Number(r.numAffectedRows ?? 0);
  }
  return { reopened: Number(reopened.numAffectedRows ?? 0), resolved, validationsLifted: lifted.rows.length, validatedByVex: validated };
}

/** CycloneDX analysis in the report: not_affected (or false positive) marks open findings, the importer reviewing. */
async function applyReportVex(tx: Tx, p: { scanner: string; importId: string; now: Date; actorId: string | null; actorName: string; fileName: string | null }): Promise<number> {
  const rows = await sql<{ id: string; status: string; justification: string | null; detail: string | null; fingerprint: string }>`
    select f.id, case when t.vex_detail like 'false_positive%' then 'false_positive' else 'not_affected' end as status,
      t.vex_justification as justification, t.vex_detail as detail, t.fingerprint
    from tmp_evidence t join findings f on f.id = t.finding_id
    where t.vex_status = 'not_affected' and f.status = 'open'`.execute(tx);
  if (!rows.rows.length) return 0;
  const reason = `VEX analysis in the ${p.scanner} report${p.fileName ? ` ${p.fileName}` : ''}`;
  await sql`insert into finding_validations (finding_id, status, justification, reason, reviewer_id, reviewer_name, at, evidence_fingerprint)
    select id, st, j, coalesce(${reason} || ': ' || d, ${reason}), ${p.actorId}::uuid, ${p.actorName}, ${p.now}, fp
    from unnest(${sql.val(rows.rows.map((r) => r.id))}::bigint[], ${sql.val(rows.rows.map((r) => r.status))}::text[], ${sql.val(rows.rows.map((r) => r.justification))}::text[],
      ${sql.val(rows.rows.map((r) => r.detail))}::text[], ${sql.val(rows.rows.map((r) => r.fingerprint))}::text[]) as u(id, st, j, d, fp)`.execute(tx);
  await sql`update findings f set status = u.st from unnest(${sql.val(rows.rows.map((r) => r.id))}::bigint[], ${sql.val(rows.rows.map((r) => r.status))}::text[]) as u(id, st)
    where f.id = u.id`.execute(tx);
  await sql`insert into finding_events (finding_id, at, from_status, to_status, reason, installed_version, run_id)
    select id, ${p.now}, 'open', st, ${reason}, null, ${p.importId}::uuid
    from unnest(${sql.val(rows.rows.map((r) => r.id))}::bigint[], ${sql.val(rows.rows.map((r) => r.status))}::text[]) as u(id, st)`.execute(tx);
  return rows.rows.length;
}
