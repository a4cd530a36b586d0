import { sql } from 'kysely';
import { packageFromPurl, SbomError } from '../../domain/inventory/cyclonedx.js';
import type { VexStatement } from '../../domain/scanners/report.js';
import type { Tx } from '../../storage/db.js';

/**
 * Product-level VEX statements (OpenVEX, CSAF VEX; issue #5 §5): a supplier
 * says "CVE-X does not affect product P". Applied to the open findings of
 * that vulnerability on that package (by purl: ecosystem, name and, when the
 * purl has one, version) on every asset, as a validation with the
 * statement's justification and the importer as reviewer. A statement about
 * a component only as part of another product (OpenVEX subcomponents, CSAF
 * relationships) is not applied: which assets run that product is not known,
 * and the same package elsewhere may be affected. Statements of
 * other statuses are counted and change nothing: "affected" is what the
 * finding already says, and "fixed" is proven by the installed version.
 */
export interface StatementCounts {
  statements: number;
  notAffected: number;
  findingsValidated: number;
  /** not_affected statements whose product no finding matches (yet). */
  unmatched: number;
}

export async function applyStatements(
  tx: Tx,
  statements: readonly VexStatement[],
  p: { importId: string; now: Date; actorId: string | null; actorName: string; scanner: string; fileName: string | null },
  skip: (reason: string) => void,
): Promise<StatementCounts> {
  const rows: { vuln: string; aliases: string; eco: string | null; name: string; version: string | null; justification: string | null; detail: string | null }[] = [];
  for (const s of statements) {
    if (s.status !== 'not_affected') continue;
    if (s.product.within) {
      // "Not affected as part of product P": which assets run P is not known here, and the same package elsewhere may well be affected.
      skip(`VEX statement for ${s.vulnerabilityId}: about a component within another product; not applied to the component everywhere`);
      continue;
    }
    let eco: string | null = null;
    let name = s.product.name ?? null;
    let version = s.product.version ?? null;
    if (s.product.purl) {
      try {
        const r = packageFromPurl(s.product.purl, 'product');
        if ('skip' in r) {
          skip(`VEX statement for ${s.vulnerabilityId}: ${r.skip}`);
          continue;
        }
        eco = r.pkg.ecosystem;
        name = r.pkg.name;
        version = s.product.purl.includes('@') ? r.pkg.version : version;
      } catch (err) {
        if (!(err instanceof SbomError)) throw err;
        skip(`VEX statement for ${s.vulnerabilityId}: the product is not a valid package URL`);
        continue;
      }
    }
    if (!name) {
      skip(`VEX statement for ${s.vulnerabilityId}: the product names no package`);
      continue;
    }
    rows.push({ vuln: s.vulnerabilityId, aliases: (s.aliases ?? []).join(' '), eco, name, version, justification: s.justification ?? null, detail: s.detail ?? null });
  }
  const counts: StatementCounts = { statements: statements.length, notAffected: rows.length, findingsValidated: 0, unmatched: 0 };
  if (!rows.length) return counts;
  const col = <K extends keyof (typeof rows)[number]>(k: K) => sql.val(rows.map((r) => r[k]));
  const hits = await sql<{ id: string; n: number; justification: string | null; detail: string | null }>`
    with s as (select row_number() over () as n, * from unnest(${col('vuln')}::text[], ${col('aliases')}::text[], ${col('eco')}::text[], ${col('name')}::text[],
        ${col('version')}::text[], ${col('justification')}::text[], ${col('detail')}::text[]) as u(vuln, aliases, eco, name, version, justification, detail)),
      sv as (select s.n, v.num from s join vulnerabilities v on v.id = s.vuln or v.id = any(string_to_array(s.aliases, ' '))
        union select s.n, v.num from s join vulnerability_aliases va on va.alias = s.vuln join vulnerabilities v on v.id = va.vulnerability_id)
    select distinct on (f.id) f.id, s.n::int as n, s.justification, s.detail
    from s join sv on sv.n = s.n
      join findings f on f.vulnerability_num = sv.num and f.status = 'open'
      join packages p on p.id = f.package_id
    where p.name = s.name and (s.eco is null or p.ecosystem = s.eco) and (s.version is null or p.version = s.version)
    order by f.id, s.n`.execute(tx);
  const matched = new Set(hits.rows.map((h) => h.n));
  counts.unmatched = rows.length - matched.size;
  counts.findingsValidated = hits.rows.length;
  if (!hits.rows.length) return counts;
  const ids = sql.val(hits.rows.map((h) => h.id));
  const reason = `VEX statement in the ${p.scanner} document${p.fileName ? ` ${p.fileName}` : ''}`;
  await sql`insert into finding_validations (finding_id, status, justification, reason, reviewer_id, reviewer_name, at, evidence_fingerprint)
    select u.id, 'not_affected', u.j, coalesce(${reason} || ': ' || u.d, ${reason}), ${p.actorId}::uuid, ${p.actorName}, ${p.now},
      coalesce((select string_agg(e.fingerprint, ',' order by e.id) from finding_evidence e where e.finding_id = u.id), '')
    from unnest(${ids}::bigint[], ${sql.val(hits.rows.map((h) => h.justification))}::text[], ${sql.val(hits.rows.map((h) => h.detail))}::text[]) as u(id, j, d)`.execute(tx);
  await sql`update findings set status = 'not_affected' where id = any(${ids}::bigint[])`.execute(tx);
  await sql`insert into finding_events (finding_id, at, from_status, to_status, reason, installed_version, run_id)
    select id, ${p.now}, 'open', 'not_affected', ${reason}, null, ${p.importId}::uuid from unnest(${ids}::bigint[]) as u(id)`.execute(tx);
  return counts;
}
