/**
 * Words and shapes for the patch policy and prioritisation pages (issue #6
 * §7): class and SLA-state labels, the due-date rule in words, policy field
 * paths and values as people read them, and the draft-editing helpers of the
 * policy editor. Pure: no React, no requests, so it is unit-tested.
 */
import type { DEADLINE_BASES, SlaState } from '../../../src/domain/priority/deadline.js';
import { type Policy, type PriorityClass, policySchema } from '../../../src/domain/priority/policy.js';

export const PRIORITY_LABEL: Record<PriorityClass, string> = { critical: 'Critical', high: 'High', medium: 'Medium', low: 'Low', informational: 'Informational' };

export const SLA_STATE_LABEL: Record<SlaState, string> = {
  on_track: 'On track',
  due_soon: 'Due soon',
  overdue: 'Overdue',
  excepted: 'Excepted',
  no_deadline: 'No deadline',
};

export const SLA_STATE_KIND: Record<SlaState, 'ok' | 'warn' | 'danger' | 'muted' | 'info'> = {
  on_track: 'ok',
  due_soon: 'warn',
  overdue: 'danger',
  excepted: 'info',
  no_deadline: 'muted',
};

export type DeadlineBasis = (typeof DEADLINE_BASES)[number];

/** Which due-date rule applied, in the words of src/domain/priority/deadline.ts. */
export const BASIS_TEXT: Record<DeadlineBasis, string> = {
  initial: 'First evaluation: detection (or reopening) plus the SLA of its class',
  raised: 'Priority rose: the stricter SLA counts from the change, and the due date never moves later',
  lowered: 'Priority fell: the due date never moves earlier',
  unchanged: 'Same class and SLA: due date kept',
  sla_changed: 'The policy changed the SLA of its class: counted from when the class began',
  kev_due_date: "Capped at CISA's KEV due date",
  extension: 'An approved SLA extension',
};

export function basisText(basis: string): string {
  return (BASIS_TEXT as Record<string, string>)[basis] ?? basis;
}

/** "2026-10-04T00:00:00Z" → "04 Oct 2026" in the reader's time zone; '' for none. */
export function formatDate(iso: string | null | undefined): string {
  if (!iso) return '';
  const d = new Date(iso);
  if (Number.isNaN(d.getTime())) return iso;
  return d.toLocaleDateString(undefined, { day: '2-digit', month: 'short', year: 'numeric' });
}

/** Share of the SLA window elapsed: "37 %", "140 % (past due)". */
export function formatElapsed(percent: number | null | undefined): string {
  if (percent === null || percent === undefined || !Number.isFinite(percent)) return '';
  const p = Math.max(0, Math.round(percent));
  return p > 100 ? `${p} % (past due)` : `${p} %`;
}

// ---- policy paths and values ------------------------------------------------

const SECTION: Record<string, string> = {
  name: 'Name',
  model: 'Priority model',
  sla: 'SLA (days)',
  dueSoonPercent: 'Due soon from (% of the SLA)',
  emergency: 'Emergency',
  scanIntervalDays: 'Scan interval (days)',
  riskScore: 'Risk score',
  ssvc: 'SSVC',
  approvals: 'Approvals',
  exceptions: 'Exceptions',
  escalation: 'Escalation rule',
};

const WORDS: Record<string, string> = {
  enabled: 'Enabled',
  days: 'Days',
  exposures: 'Exposures',
  ransomwareAnyExposure: 'Ransomware: any exposure',
  unknownCvss: 'Unknown CVSS assumed',
  kev: 'KEV',
  ransomware: 'Ransomware',
  epss: 'EPSS',
  epssPercentile: 'EPSS percentile',
  criticality: 'Criticality',
  exposure: 'Exposure',
  environment: 'Environment',
  controls: 'Controls',
  maxControlReduction: 'Largest control reduction',
  classes: 'Class thresholds',
  kevFloor: 'KEV floor',
  pocEpssPercentile: 'PoC from EPSS percentile',
  missionImpact: 'Mission impact',
  outcomes: 'Outcomes',
  track_star: 'Track*',
  exception: 'Risk exception',
  unsupportedSystemException: 'Unsupported system',
  slaExtension: 'SLA extension',
  maxDays: 'Longest validity (days)',
  reviewIntervalDays: 'Review interval (days)',
  atPercent: 'At % of the SLA',
  minPriority: 'Minimum class',
  notify: 'Notify',
  channels: 'Channels',
  min: 'from',
  effect: 'effect',
  internet_facing: 'Internet-facing',
  in_app: 'In-app',
  owner_manager: "Owner's manager",
  risk_owner: 'Risk owner',
  waf: 'WAF',
};

const word = (k: string) => WORDS[k] ?? (k.charAt(0).toUpperCase() + k.slice(1)).replace(/_/g, ' ');

/** "riskScore.criticality.high" → "Risk score › Criticality › High"; "escalation[1].channels" → "Escalation rule 2 › Channels". */
export function pathLabel(path: string): string {
  const parts = path.replace(/\[(\d+)\]/g, '.$1').split('.').filter(Boolean);
  const out: string[] = [];
  for (const [i, p] of parts.entries()) {
    if (/^\d+$/.test(p)) {
      const n = String(Number(p) + 1);
      if (i > 0 && parts[i - 1] === 'escalation') out[out.length - 1] = `${out[out.length - 1]} ${n}`;
      else out.push(`#${n}`);
    } else out.push(i === 0 ? (SECTION[p] ?? word(p)) : word(p));
  }
  return out.join(' › ');
}

/** One side of a policy change, for the diff table. */
export function formatPolicyValue(v: unknown): string {
  if (v === undefined) return '(absent)';
  if (v === null) return 'none';
  if (typeof v === 'boolean') return v ? 'yes' : 'no';
  if (typeof v === 'number') return String(v);
  if (typeof v === 'string') return v;
  if (Array.isArray(v)) return v.length === 0 ? '(empty)' : v.map(formatPolicyValue).join(', ');
  if (typeof v === 'object') {
    const o = v as Record<string, unknown>;
    if (typeof o.min === 'number' && typeof o.effect === 'number' && Object.keys(o).length === 2) return `from ${o.min}: ${signed(o.effect)}`;
    return Object.entries(o)
      .map(([k, x]) => `${word(k)} ${formatPolicyValue(x)}`)
      .join('; ');
  }
  return String(v);
}

/** +1.5, −1, ±0: the sign always shown (a minus sign, not a hyphen). */
export function signed(n: number): string {
  if (n === 0) return '±0';
  return n > 0 ? `+${n}` : `−${Math.abs(n)}`;
}

// ---- the editor's draft -------------------------------------------------------

type Key = string | number;

/** A copy of `obj` with the value at `path` replaced; the objects and arrays along the way are copied, the rest shared. */
export function setIn<T>(obj: T, path: readonly Key[], value: unknown): T {
  if (path.length === 0) return value as T;
  const [head, ...rest] = path as [Key, ...Key[]];
  const container = obj as unknown as Record<Key, unknown> | unknown[];
  const copy: Record<Key, unknown> | unknown[] = Array.isArray(container) ? [...container] : { ...container };
  (copy as Record<Key, unknown>)[head] = setIn((container as Record<Key, unknown>)[head], rest, value);
  return copy as unknown as T;
}

export function getIn(obj: unknown, path: readonly Key[]): unknown {
  let cur = obj;
  for (const k of path) {
    if (cur === null || typeof cur !== 'object') return undefined;
    cur = (cur as Record<Key, unknown>)[k];
  }
  return cur;
}

/** The text of a number field back to a number; blank or unreadable → NaN, which the schema refuses at that field. */
export function parseNumber(text: string): number {
  const t = text.trim().replace(',', '.');
  return t === '' ? Number.NaN : Number(t);
}

/** Field problems keyed "sla.critical", "escalation.0.name", "reason". */
export type FieldProblems = Record<string, string[]>;

/** Checks a draft with the server's own schema; problems keyed by field path. */
export function validateDraft(draft: unknown): { ok: true; policy: Policy } | { ok: false; problems: FieldProblems } {
  const r = policySchema.safeParse(draft);
  if (r.success) return { ok: true, policy: r.data };
  const problems: FieldProblems = {};
  for (const issue of r.error.issues) {
    const key = issue.path.join('.');
    const at = getIn(draft, issue.path as Key[]);
    const message = typeof at === 'number' && Number.isNaN(at) ? 'enter a number' : issue.message;
    const list = problems[key] ?? [];
    if (!list.includes(message)) list.push(message);
    problems[key] = list;
  }
  return { ok: false, problems };
}

/** The server's field errors ("document.sla.high", "reason") keyed like validateDraft's. */
export function serverProblems(fieldErrors: Record<string, string[]>): FieldProblems {
  const out: FieldProblems = {};
  for (const [field, messages] of Object.entries(fieldErrors)) {
    const key = field.replace(/^body\./, '').replace(/^document\.?/, '') || 'document';
    out[key] = [...(out[key] ?? []), ...messages];
  }
  return out;
}
