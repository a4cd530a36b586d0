import { z } from 'zod';
import { CRITICALITIES, ENVIRONMENTS, EXPOSURES } from '../assets/asset.js';
import { ROLE_PERMISSIONS, ROLES } from '../auth/roles.js';
import { name, text } from '../text.js';

/**
 * The patch policy (GOV-1) as data: the SLA table per priority class, the
 * rule set that gives each finding its class (VUL-4, VUL-5), the emergency
 * rule (INC-1), who may approve what, and when to escalate (INC-1, RTS
 * Art. 10(4)(d)). Every edit is a new version; findings record the version
 * that set their due date. One schema feeds validation, the API docs, the
 * policy editor and the engine.
 */
export const PRIORITIES = ['critical', 'high', 'medium', 'low', 'informational'] as const;
export type PriorityClass = (typeof PRIORITIES)[number];

/** Stored as a small integer so that "higher" is a comparison: 4 critical … 0 informational. */
export const PRIORITY_RANK: Record<PriorityClass, number> = { critical: 4, high: 3, medium: 2, low: 1, informational: 0 };
export const priorityOfRank = (rank: number): PriorityClass => PRIORITIES[4 - rank] as PriorityClass;

export const MODELS = ['risk_score', 'ssvc', 'bod_26_04'] as const;
export type PriorityModel = (typeof MODELS)[number];
export const MODEL_LABELS: Record<PriorityModel, string> = {
  risk_score: 'Risk score (CVSS adjusted by threat and business context)',
  ssvc: 'CISA SSVC coordinator decision (Track, Track*, Attend, Act)',
  bod_26_04: 'CISA BOD 26-04 tiers (FSU, 60D, 14D, 3D, 3DF)',
};

/** Kinds of compensating control an asset can record (LEG-2) and the rules can credit. */
export const CONTROL_KINDS = ['waf', 'segmentation', 'isolation', 'monitoring', 'other'] as const;
export type ControlKind = (typeof CONTROL_KINDS)[number];

export const ESCALATION_AUDIENCES = ['owner', 'owner_manager', 'security', 'risk_owner'] as const;
export const ESCALATION_CHANNELS = ['email', 'webhook', 'in_app'] as const;

const days = (max: number) => z.number().int('must be a whole number of days').min(1, 'must be at least 1 day').max(max, `must be at most ${max} days`);
const effect = z.number().min(-10, 'must be between -10 and 10').max(10, 'must be between -10 and 10');
const fraction = z.number().min(0, 'must be between 0 and 1').max(1, 'must be between 0 and 1');
/** Only roles that may decide at all can be named (a system owner or an auditor named here could never approve). */
export const DECIDING_ROLES = ROLES.filter((r) => ROLE_PERMISSIONS[r].includes('exception:decide'));
const roles = z
  .array(z.enum(DECIDING_ROLES as [string, ...string[]], { error: `must be roles that may decide: ${DECIDING_ROLES.join(', ')}` }))
  .min(1, 'name at least one role')
  .max(ROLES.length)
  .refine((a) => new Set(a).size === a.length, 'each role once');
const record = <K extends string, V extends z.ZodType>(keys: readonly K[], value: V) =>
  z.strictObject(Object.fromEntries(keys.map((k) => [k, value])) as Record<K, V>);

const threshold = z.strictObject({ min: fraction.describe('Applies from this value (0–1)'), effect });
const thresholds = z
  .array(threshold)
  .max(10, 'at most 10 thresholds')
  .refine((a) => a.every((t, i) => i === 0 || (a[i - 1] as { min: number }).min > t.min), 'list thresholds from the highest to the lowest')
  .describe('The first threshold the value reaches applies');

export const riskScoreRulesSchema = z.strictObject({
  unknownCvss: z.number().min(0).max(10).describe('Base score assumed when a vulnerability has no CVSS score or severity'),
  kev: effect.describe('Known exploited (CISA KEV)'),
  ransomware: effect.describe('Known use in ransomware campaigns (on top of KEV)'),
  epss: thresholds.describe('EPSS probability of exploitation in the next 30 days'),
  epssPercentile: thresholds.describe('EPSS percentile'),
  criticality: record(CRITICALITIES, effect).describe('Asset business criticality'),
  exposure: record(EXPOSURES, effect).describe('Asset network exposure'),
  environment: record(ENVIRONMENTS, effect).describe('Asset environment'),
  controls: record(CONTROL_KINDS, effect).describe('Each active, reviewed compensating control of this kind on the asset'),
  maxControlReduction: z.number().min(0).max(10).describe('Controls together lower the score by at most this much'),
  classes: z
    .strictObject({ critical: z.number().min(0).max(10), high: z.number().min(0).max(10), medium: z.number().min(0).max(10), low: z.number().min(0).max(10) })
    .refine((c) => c.critical > c.high && c.high > c.medium && c.medium > c.low, 'class thresholds must fall from critical to low')
    .describe('Lowest score of each class; below low is informational'),
  kevFloor: z.enum(PRIORITIES).describe('A known exploited vulnerability is never below this class'),
});

export const ssvcRulesSchema = z.strictObject({
  pocEpssPercentile: fraction.describe('Exploitation counts as "PoC" from this EPSS percentile (KEV counts as "active")'),
  missionImpact: record(CRITICALITIES, z.enum(['low', 'medium', 'high'])).describe('Mission & well-being impact of an asset of each criticality'),
  outcomes: z.strictObject({ act: z.enum(PRIORITIES), attend: z.enum(PRIORITIES), track_star: z.enum(PRIORITIES), track: z.enum(PRIORITIES) }).describe('Priority class of each SSVC decision'),
});

export const escalationRuleSchema = z.strictObject({
  name: name(120),
  atPercent: z.number().int().min(1, 'must be 1–1000 % of the SLA').max(1000, 'must be 1–1000 % of the SLA').describe('When this share of the SLA window has elapsed (100 = the due date)'),
  minPriority: z.enum(PRIORITIES).describe('Only findings of this class or higher'),
  notify: z.array(z.enum(ESCALATION_AUDIENCES)).min(1).max(ESCALATION_AUDIENCES.length).refine((a) => new Set(a).size === a.length, 'each audience once'),
  channels: z.array(z.enum(ESCALATION_CHANNELS)).min(1).max(ESCALATION_CHANNELS.length).refine((a) => new Set(a).size === a.length, 'each channel once'),
});
export type EscalationRule = z.infer<typeof escalationRuleSchema>;

export const policySchema = z
  .strictObject({
    name: name(200),
    model: z.enum(MODELS).describe('Which model sets the priority class'),
    sla: z
      .strictObject({ critical: days(365), high: days(365), medium: days(730), low: days(1095), informational: days(1095).nullable() })
      .describe('Days from detection to the due date per class (informational: null for no deadline)'),
    dueSoonPercent: z.number().int().min(1).max(99).describe('A finding is "due soon" once this share of its SLA window has elapsed'),
    emergency: z
      .strictObject({
        enabled: z.boolean(),
        days: days(30).describe('Emergency deadline (also caps every other)'),
        exposures: z.array(z.enum(EXPOSURES)).max(EXPOSURES.length).describe('Actively exploited (KEV) on an asset with one of these exposures is an emergency'),
        ransomwareAnyExposure: z.boolean().describe('Known ransomware use is an emergency whatever the exposure'),
      })
      .describe('Emergency patch procedure (INC-1)'),
    scanIntervalDays: days(365).describe('Assets not inventoried or scanned within this many days count as not covered (INV-5)'),
    riskScore: riskScoreRulesSchema,
    ssvc: ssvcRulesSchema,
    approvals: z
      .strictObject({
        exception: roles.describe('Roles that may approve a risk exception'),
        unsupportedSystemException: roles.describe('Roles that may accept the risk of an unsupported system (LEG-3: senior management)'),
        slaExtension: roles.describe('Roles that may approve an SLA extension (INC-3)'),
      })
      .describe('Never the requester: separation of duties'),
    exceptions: z.strictObject({
      maxDays: days(1095).describe('Longest validity of an exception'),
      reviewIntervalDays: days(365).describe('Re-review cadence (LEG-3: annual)'),
    }),
    // The name is part of the fire-once key (finding, rule, due date): two rules of one name would silence each other.
    escalation: z
      .array(escalationRuleSchema)
      .max(20, 'at most 20 escalation rules')
      .refine((a) => new Set(a.map((r) => r.name.toLowerCase())).size === a.length, 'each escalation rule needs its own name'),
  })
  .meta({ id: 'PatchPolicy' });
export type Policy = z.infer<typeof policySchema>;

export const policyEditSchema = z.strictObject({
  document: policySchema,
  reason: text(2000).trim().min(3, 'say why the policy changes (at least 3 characters)').describe('Why: recorded with the version'),
  baseVersion: z.number().int().min(1).optional().describe('The version your edit started from: refused (409) when another version was saved since, so two editors cannot undo each other'),
});

/** The first version every installation starts from; organisations edit it. Typical values (standards.md), not a recommendation. */
export const DEFAULT_POLICY: Policy = {
  name: 'Patch and vulnerability management policy',
  model: 'risk_score',
  sla: { critical: 7, high: 30, medium: 90, low: 180, informational: null },
  dueSoonPercent: 75,
  emergency: { enabled: true, days: 3, exposures: ['internet_facing'], ransomwareAnyExposure: false },
  scanIntervalDays: 7,
  riskScore: {
    unknownCvss: 5,
    kev: 2,
    ransomware: 1,
    epss: [
      { min: 0.5, effect: 1.5 },
      { min: 0.1, effect: 0.5 },
    ],
    epssPercentile: [{ min: 0.95, effect: 0.5 }],
    criticality: { critical: 1, high: 0.5, medium: 0, low: -1 },
    exposure: { internet_facing: 1, internal: 0, isolated: -1.5 },
    environment: { production: 0, staging: -0.5, test: -1, development: -1 },
    controls: { waf: -1, segmentation: -1, isolation: -2, monitoring: -0.5, other: 0 },
    maxControlReduction: 3,
    classes: { critical: 9, high: 7, medium: 4, low: 0.1 },
    kevFloor: 'high',
  },
  ssvc: {
    pocEpssPercentile: 0.9,
    missionImpact: { critical: 'high', high: 'high', medium: 'medium', low: 'low' },
    outcomes: { act: 'critical', attend: 'high', track_star: 'medium', track: 'low' },
  },
  approvals: {
    exception: ['security_analyst', 'admin'],
    unsupportedSystemException: ['senior_manager'],
    slaExtension: ['security_analyst', 'admin'],
  },
  exceptions: { maxDays: 365, reviewIntervalDays: 365 },
  escalation: [
    { name: 'Owner at half time', atPercent: 50, minPriority: 'high', notify: ['owner'], channels: ['email', 'in_app'] },
    { name: 'Breach', atPercent: 100, minPriority: 'low', notify: ['owner', 'owner_manager', 'security'], channels: ['email', 'webhook', 'in_app'] },
  ],
};
