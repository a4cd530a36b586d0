import { sql } from 'kysely';
import { CONTROL_KINDS, type ControlKind, type PriorityInputs } from '../../domain/priority/index.js';
import type { Db, Tx } from '../../storage/db.js';

/** The rule inputs of the vulnerabilities and assets a prioritisation needs, read in bulk. */
export type VulnInputs = PriorityInputs['vulnerability'];
/** `profile` numbers the combinations of context the rules can tell apart (same number, same priority). */
export type AssetInputs = PriorityInputs['asset'] & { profile: number };

type VulnRow = {
  num: number;
  cvss_score: string | null;
  cvss_version: string | null;
  rank: number | null;
  epss_score: number | null;
  epss_percentile: number | null;
  kev: boolean;
  kev_due: string | null;
  kev_ransomware: boolean | null;
  vector: string | null;
};

/**
 * Vulnerability inputs by number. The vector (only the SSVC and BOD 26-04
 * models read it) is the one of the headline score: the NVD's own before a
 * CNA's, on the headline's CVSS version.
 */
export async function loadVulnerabilities(db: Db | Tx, nums: readonly number[], withVector: boolean): Promise<Map<number, VulnInputs>> {
  const out = new Map<number, VulnInputs>();
  if (nums.length === 0) return out;
  const vector = withVector
    ? sql`(select e->>'vector' from jsonb_array_elements(case when jsonb_typeof(v.cvss) = 'array' then v.cvss else '[]'::jsonb end) e
           where e->>'version' = v.cvss_version order by (e->>'type' = 'Primary') desc limit 1)`
    : sql`null::text`;
  const r = await sql<VulnRow>`
    select v.num, v.cvss_score, v.cvss_version, patchloop_severity_rank(v.severity, v.cvss_score, v.cvss_version) as rank,
      v.epss_score, v.epss_percentile, v.kev_date_added is not null as kev, v.kev_due_date::text as kev_due, v.kev_ransomware,
      ${vector} as vector
    from vulnerabilities v where v.num = any(${sql.val(nums)}::int[])`.execute(db);
  for (const v of r.rows) {
    out.set(v.num, {
      cvssScore: v.cvss_score === null ? null : Number(v.cvss_score),
      cvssVersion: v.cvss_version,
      cvssVector: v.vector,
      severityRank: v.rank,
      epssScore: v.epss_score,
      epssPercentile: v.epss_percentile,
      kev: v.kev ? { dueDate: v.kev_due, ransomware: v.kev_ransomware === true } : null,
    });
  }
  return out;
}

/**
 * Asset inputs by id: business context and the kinds of compensating control
 * in force (active, review not overdue: a control nobody reviews earns no
 * credit). `key` groups assets the rules cannot tell apart.
 */
export async function loadAssets(db: Db | Tx, ids: readonly string[] | null): Promise<Map<string, AssetInputs>> {
  const where = ids ? sql`where a.id = any(${sql.val(ids)}::uuid[])` : sql``;
  const r = await sql<{ id: string; criticality: string; exposure: string; environment: string; kinds: string[] | null }>`
    select a.id, a.business_criticality as criticality, a.network_exposure as exposure, a.environment,
      (select array_agg(distinct c.kind order by c.kind) from eol_controls c
        where c.asset_id = a.id and c.status = 'active' and c.review_date >= current_date) as kinds
    from assets a ${where}`.execute(db);
  const out = new Map<string, AssetInputs>();
  const profiles = new Map<string, number>();
  for (const a of r.rows) {
    const controls = (a.kinds ?? []).filter((k): k is ControlKind => (CONTROL_KINDS as readonly string[]).includes(k));
    out.set(a.id, {
      criticality: a.criticality as AssetInputs['criticality'],
      exposure: a.exposure as AssetInputs['exposure'],
      environment: a.environment as AssetInputs['environment'],
      controls,
      profile: profileOf(profiles, `${a.criticality}|${a.exposure}|${a.environment}|${controls.join(',')}`),
    });
  }
  return out;
}

function profileOf(profiles: Map<string, number>, key: string): number {
  let n = profiles.get(key);
  if (n === undefined) {
    n = profiles.size;
    if (n >= 8192) throw new Error('more than 8,192 distinct asset profiles');
    profiles.set(key, n);
  }
  return n;
}
