import { type CvssVector, parseCvss } from '../cvss/index.js';
import {
  BOD_TIER_DAYS,
  BOD_TIER_LABELS,
  type Bod2604Tier,
  bod2604Tier,
  type Exploitation,
  SSVC_LABELS,
  type SsvcDecision,
  ssvcDecision,
} from './decision-tables.js';
import { type ControlKind, PRIORITIES, PRIORITY_RANK, type Policy, type PriorityClass, type PriorityModel } from './policy.js';

/** What a finding's priority is computed from: its vulnerability's threat data and its asset's business context. */
export interface PriorityInputs {
  vulnerability: {
    cvssScore: number | null;
    cvssVersion: string | null;
    /** The vector of the headline score, for the decision points SSVC and BOD 26-04 read (automatable, technical impact). */
    cvssVector: string | null;
    /** Severity rank 0–4 when there is no CVSS score (the stated severity, or the strongest a scanner reported). */
    severityRank: number | null;
    epssScore: number | null;
    epssPercentile: number | null;
    kev: { dueDate: string | null; ransomware: boolean } | null;
  };
  asset: {
    criticality: 'critical' | 'high' | 'medium' | 'low';
    exposure: 'internet_facing' | 'internal' | 'isolated';
    environment: 'production' | 'staging' | 'test' | 'development';
    /** Kinds of the asset's active compensating controls whose review is not overdue. */
    controls: readonly ControlKind[];
  };
}

/** One line of the explanation: what was looked at, what it was, and what it did to the result. */
export interface Factor {
  factor: string;
  value: string;
  effect: string;
  /** Points added to (or taken from) the risk score, where the model counts points. */
  points?: number;
}

export interface PriorityResult {
  model: PriorityModel;
  priority: PriorityClass;
  /** Risk score 0–10 (risk_score model only). */
  score: number | null;
  /** The SSVC decision or BOD 26-04 tier. */
  decision: string | null;
  emergency: boolean;
  /** Days the policy allows for this finding; null: no deadline. */
  slaDays: number | null;
  factors: Factor[];
}

const SEVERITY_SCORE = [0, 3.9, 6.9, 8.9, 10];
const fmt = (n: number) => (Math.round(n * 10) / 10).toFixed(1);
const signed = (n: number) => (n > 0 ? `+${fmt(n)}` : n < 0 ? `−${fmt(-n)}` : '±0');
const pct = (n: number) => `${(Math.round(n * 1000) / 10).toString()} %`;
const label = (s: string) => s.replace(/_/g, ' ');

/** `explain: false` skips building the factor list (a fleet-wide run needs the result only; the numbers are the same). */
export function prioritise(policy: Policy, input: PriorityInputs, opts: { explain?: boolean } = {}): PriorityResult {
  const base =
    policy.model === 'ssvc' ? ssvcModel(policy, input) : policy.model === 'bod_26_04' ? bodModel(policy, input) : riskScoreModel(policy, input, opts.explain !== false);
  return applyEmergency(policy, input, base);
}

/** A factor list that records nothing. */
class Silent extends Array<Factor> {
  override push(): number {
    return 0;
  }
}

function riskScoreModel(policy: Policy, input: PriorityInputs, explain: boolean): PriorityResult {
  const r = policy.riskScore;
  const v = input.vulnerability;
  const a = input.asset;
  const factors: Factor[] = explain ? [] : new Silent();
  let score: number;
  if (v.cvssScore !== null) {
    score = v.cvssScore;
    factors.push({ factor: 'CVSS base score', value: `${fmt(v.cvssScore)}${v.cvssVersion ? ` (v${v.cvssVersion})` : ''}`, effect: 'starting point', points: v.cvssScore });
  } else if (v.severityRank !== null) {
    score = SEVERITY_SCORE[v.severityRank] ?? r.unknownCvss;
    factors.push({ factor: 'Severity (no CVSS score)', value: ['none', 'low', 'medium', 'high', 'critical'][v.severityRank] ?? '?', effect: `starting point ${fmt(score)}`, points: score });
  } else {
    score = r.unknownCvss;
    factors.push({ factor: 'CVSS base score', value: 'unknown', effect: `assumed ${fmt(score)} (policy)`, points: score });
  }
  const add = (factor: string, value: string | (() => string), points: number) => {
    score += points;
    if (explain) factors.push({ factor, value: typeof value === 'function' ? value() : value, effect: signed(points), points });
  };
  if (v.kev) {
    add('Known exploited (CISA KEV)', () => (v.kev?.dueDate ? `yes, CISA due ${v.kev.dueDate}` : 'yes'), r.kev);
    if (v.kev.ransomware) add('Ransomware use', 'known', r.ransomware);
  } else factors.push({ factor: 'Known exploited (CISA KEV)', value: 'no', effect: '±0', points: 0 });
  const epss = v.epssScore === null ? undefined : r.epss.find((t) => (v.epssScore as number) >= t.min);
  add('EPSS probability', () => (v.epssScore === null ? 'no score' : pct(v.epssScore)), epss?.effect ?? 0);
  const epssPct = v.epssPercentile === null ? undefined : r.epssPercentile.find((t) => (v.epssPercentile as number) >= t.min);
  add('EPSS percentile', () => (v.epssPercentile === null ? 'no score' : pct(v.epssPercentile)), epssPct?.effect ?? 0);
  add('Asset criticality', a.criticality, r.criticality[a.criticality]);
  add('Network exposure', () => label(a.exposure), r.exposure[a.exposure]);
  add('Environment', a.environment, r.environment[a.environment]);
  // Controls only ever lower the score, and together by at most maxControlReduction.
  let credit = 0;
  for (const c of [...a.controls].sort()) {
    const want = Math.min(0, r.controls[c]);
    const got = Math.max(want, -(r.maxControlReduction + credit));
    credit += got;
    if (explain) factors.push({ factor: 'Compensating control', value: label(c), effect: got === want ? signed(got) : `${signed(got)} (capped at −${fmt(r.maxControlReduction)})`, points: got });
  }
  score += credit;
  score = Math.min(10, Math.max(0, Math.round(score * 10) / 10));
  let priority: PriorityClass =
    score >= r.classes.critical ? 'critical' : score >= r.classes.high ? 'high' : score >= r.classes.medium ? 'medium' : score >= r.classes.low ? 'low' : 'informational';
  factors.push({ factor: 'Risk score', value: fmt(score), effect: `class ${priority}` });
  if (v.kev && PRIORITY_RANK[priority] < PRIORITY_RANK[r.kevFloor]) {
    factors.push({ factor: 'KEV floor (policy)', value: r.kevFloor, effect: `raised from ${priority}` });
    priority = r.kevFloor;
  }
  return { model: 'risk_score', priority, score, decision: null, emergency: false, slaDays: policy.sla[priority], factors };
}

/** SSVC's Automatable and Technical Impact read from the CVSS vector (CISA's Vulnrichment reads them the same way). */
export function decisionPoints(vector: string | null): { automatable: boolean | null; totalImpact: boolean | null; why: string } {
  let v: CvssVector;
  try {
    if (!vector) return { automatable: null, totalImpact: null, why: 'no CVSS vector' };
    v = parseCvss(vector);
  } catch {
    return { automatable: null, totalImpact: null, why: 'unreadable CVSS vector' };
  }
  const m = v.metrics;
  if (v.version === '4.0') {
    const au = m.AU === 'Y' ? true : m.AU === 'N' ? false : m.AV === 'N' && m.AT === 'N' && m.PR === 'N' && m.UI === 'N';
    return { automatable: au, totalImpact: m.VC === 'H' && m.VI === 'H' && m.VA === 'H', why: `CVSS 4.0 ${m.AU ? `AU:${m.AU}` : `AV:${m.AV}/AT:${m.AT}/PR:${m.PR}/UI:${m.UI}`}, VC:${m.VC}/VI:${m.VI}/VA:${m.VA}` };
  }
  if (v.version === '2.0') {
    return { automatable: m.AV === 'N' && m.Au === 'N' && m.AC === 'L', totalImpact: m.C === 'C' && m.I === 'C' && m.A === 'C', why: `CVSS 2.0 AV:${m.AV}/AC:${m.AC}/Au:${m.Au}, C:${m.C}/I:${m.I}/A:${m.A}` };
  }
  return {
    automatable: m.AV === 'N' && m.PR === 'N' && m.UI === 'N',
    totalImpact: m.C === 'H' && m.I === 'H' && m.A === 'H',
    why: `CVSS ${v.version} AV:${m.AV}/PR:${m.PR}/UI:${m.UI}, C:${m.C}/I:${m.I}/A:${m.A}`,
  };
}

const yesNo = (b: boolean) => (b ? 'yes' : 'no');

function ssvcModel(policy: Policy, input: PriorityInputs): PriorityResult {
  const v = input.vulnerability;
  const s = policy.ssvc;
  const exploitation: Exploitation = v.kev ? 'active' : v.epssPercentile !== null && v.epssPercentile >= s.pocEpssPercentile ? 'poc' : 'none';
  const dp = decisionPoints(v.cvssVector);
  const automatable = dp.automatable ?? false;
  const total = dp.totalImpact ?? false;
  const mwi = s.missionImpact[input.asset.criticality];
  const decision: SsvcDecision = ssvcDecision(exploitation, automatable, total, mwi);
  const priority = s.outcomes[decision];
  const factors: Factor[] = [
    {
      factor: 'Exploitation',
      value: exploitation,
      effect: v.kev ? 'in CISA KEV' : exploitation === 'poc' ? `EPSS percentile ${pct(v.epssPercentile as number)} ≥ ${pct(s.pocEpssPercentile)} (policy)` : 'not in KEV, EPSS below the PoC threshold',
    },
    { factor: 'Automatable', value: yesNo(automatable), effect: dp.automatable === null ? `${dp.why}: taken as no` : dp.why },
    { factor: 'Technical impact', value: total ? 'total' : 'partial', effect: dp.totalImpact === null ? `${dp.why}: taken as partial` : dp.why },
    { factor: 'Mission & well-being', value: mwi, effect: `asset criticality ${input.asset.criticality}` },
    { factor: 'SSVC decision', value: SSVC_LABELS[decision], effect: `class ${priority}` },
  ];
  return { model: 'ssvc', priority, score: null, decision: SSVC_LABELS[decision], emergency: false, slaDays: policy.sla[priority], factors };
}

const BOD_PRIORITY: Record<Bod2604Tier, PriorityClass> = { '3DF': 'critical', '3D': 'critical', '14D': 'high', '60D': 'medium', FSU: 'low' };

function bodModel(policy: Policy, input: PriorityInputs): PriorityResult {
  const v = input.vulnerability;
  const isolatedBy = input.asset.controls.includes('isolation');
  const exposed = input.asset.exposure === 'internet_facing' && !isolatedBy;
  const dp = decisionPoints(v.cvssVector);
  const automatable = dp.automatable ?? false;
  const total = dp.totalImpact ?? false;
  const tier = bod2604Tier(v.kev !== null, exposed, automatable, total);
  const priority = BOD_PRIORITY[tier];
  const tierDays = BOD_TIER_DAYS[tier];
  const factors: Factor[] = [
    { factor: 'In CISA KEV', value: yesNo(v.kev !== null), effect: v.kev?.dueDate ? `CISA due ${v.kev.dueDate}` : '' },
    {
      factor: 'Publicly exposed',
      value: yesNo(exposed),
      effect: input.asset.exposure === 'internet_facing' && isolatedBy ? 'internet facing, but an isolation control is recorded' : `network exposure ${label(input.asset.exposure)}`,
    },
    { factor: 'Automatable', value: yesNo(automatable), effect: dp.automatable === null ? `${dp.why}: taken as no` : dp.why },
    { factor: 'Total technical impact', value: yesNo(total), effect: dp.totalImpact === null ? `${dp.why}: taken as no` : dp.why },
    { factor: 'BOD 26-04 tier', value: tier, effect: `${BOD_TIER_LABELS[tier]}; class ${priority}` },
  ];
  return { model: 'bod_26_04', priority, score: null, decision: tier, emergency: false, slaDays: tierDays ?? policy.sla.low, factors };
}

/** INC-1: actively exploited on an exposed asset (or ransomware, if the policy says so) is an emergency, whatever the model says. */
function applyEmergency(policy: Policy, input: PriorityInputs, r: PriorityResult): PriorityResult {
  const e = policy.emergency;
  const kev = input.vulnerability.kev;
  const isolated = input.asset.controls.includes('isolation');
  const exposed = e.exposures.includes(input.asset.exposure) && !isolated;
  const emergency = e.enabled && kev !== null && (exposed || (e.ransomwareAnyExposure && kev.ransomware));
  if (!emergency) return r;
  const why = exposed ? `known exploited on a ${label(input.asset.exposure)} asset` : 'known ransomware use';
  const factors = [...r.factors, { factor: 'Emergency (policy)', value: 'yes', effect: `${why}: class critical, due within ${e.days} days` }];
  const slaDays = r.slaDays === null ? e.days : Math.min(r.slaDays, e.days);
  return { ...r, priority: 'critical', emergency: true, slaDays: Math.min(slaDays, policy.sla.critical), factors };
}

export const isPriority = (s: string): s is PriorityClass => (PRIORITIES as readonly string[]).includes(s);
