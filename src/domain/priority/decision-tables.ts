/**
 * The two CISA decision tables patchloop offers as priority models, as data.
 * Source of the rows: CERTCC/SSVC, decision tables "CISA Coordinator" 2.0.3
 * and "CISA BOD 26-04" 1.0.0 (see ../shared/reference/standards.md).
 */

export type Exploitation = 'none' | 'poc' | 'active';
export type MissionImpact = 'low' | 'medium' | 'high';
export type SsvcDecision = 'track' | 'track_star' | 'attend' | 'act';
export const SSVC_LABELS: Record<SsvcDecision, string> = { track: 'Track', track_star: 'Track*', attend: 'Attend', act: 'Act' };

const E: Exploitation[] = ['none', 'poc', 'active'];
const MWI: MissionImpact[] = ['low', 'medium', 'high'];
const OUT: Record<string, SsvcDecision> = { T: 'track', 'T*': 'track_star', AT: 'attend', AC: 'act' };

/**
 * Outcomes in the table's row order: exploitation (none, PoC, active) ×
 * automatable (no, yes) × technical impact (partial, total) × mission &
 * well-being (low, medium, high), the last varying fastest.
 */
const COORDINATOR = [
  // none
  'T T T',
  'T T T*',
  'T T AT',
  'T T AT',
  // PoC
  'T T T*',
  'T T* AT',
  'T T AT',
  'T T* AT',
  // active
  'T T AT',
  'T AT AC',
  'AT AT AC',
  'AT AC AC',
]
  .join(' ')
  .split(' ');

export function ssvcDecision(e: Exploitation, automatable: boolean, totalImpact: boolean, mwi: MissionImpact): SsvcDecision {
  const i = E.indexOf(e) * 12 + (automatable ? 6 : 0) + (totalImpact ? 3 : 0) + MWI.indexOf(mwi);
  return OUT[COORDINATOR[i] as string] as SsvcDecision;
}

export type Bod2604Tier = 'FSU' | '60D' | '14D' | '3D' | '3DF';
export const BOD_TIER_LABELS: Record<Bod2604Tier, string> = {
  FSU: 'FSU: next scheduled update',
  '60D': '60D: within 60 days',
  '14D': '14D: within 14 days',
  '3D': '3D: within 3 days',
  '3DF': '3DF: within 3 days, plus forensic triage',
};
/** Days each tier allows; FSU has none of its own (the policy's Low SLA applies). */
export const BOD_TIER_DAYS: Record<Bod2604Tier, number | null> = { FSU: null, '60D': 60, '14D': 14, '3D': 3, '3DF': 3 };

/** Indexed by KEV·8 + publicly exposed·4 + automatable·2 + total technical impact. */
const BOD = ['FSU', 'FSU', '60D', '60D', '60D', '14D', '14D', '3D', '14D', '14D', '14D', '3DF', '14D', '3DF', '3D', '3DF'] as const;

export function bod2604Tier(kev: boolean, exposed: boolean, automatable: boolean, totalImpact: boolean): Bod2604Tier {
  return BOD[(kev ? 8 : 0) + (exposed ? 4 : 0) + (automatable ? 2 : 0) + (totalImpact ? 1 : 0)] as Bod2604Tier;
}
