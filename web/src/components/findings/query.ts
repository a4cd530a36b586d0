/** The register's filters as they live in the page URL (/findings?status=open&severity=critical&groupBy=asset). */
import type { FindingQuery } from '../../api.js';

export const FILTER_KEYS = [
  'q', 'status', 'severity', 'kev', 'epssMin', 'kevDueBefore', 'source', 'environment', 'systemType', 'department', 'owner',
  'networkExposure', 'businessCriticality', 'package', 'vulnerabilityId', 'assetId', 'priority', 'slaState', 'emergency', 'dueBefore', 'mine', 'exceptionId',
] as const;
export type FilterKey = (typeof FILTER_KEYS)[number];
export const URL_KEYS = [...FILTER_KEYS, 'sort', 'order', 'groupBy'] as const;
export type UrlKey = (typeof URL_KEYS)[number];
export type UrlState = Partial<Record<UrlKey, string>>;

export const SEVERITY_OPTIONS = ['critical', 'high', 'medium', 'low', 'none'] as const;
export const SOURCE_OPTIONS = ['engine', 'nessus', 'openvas', 'qualys', 'trivy', 'grype', 'osv-scanner', 'sarif', 'cyclonedx', 'openvex', 'csaf', 'csv'] as const;
export const STATUS_OPTIONS = [
  ['open', 'Open'],
  ['resolved', 'Resolved'],
  ['false_positive', 'False positive'],
  ['not_affected', 'Not affected'],
  ['false_positive,not_affected', 'Validated (false positive or not affected)'],
  ['all', 'Any status'],
] as const;

export function readUrl(search: URLSearchParams): UrlState {
  const out: UrlState = {};
  for (const k of URL_KEYS) {
    const v = search.get(k);
    if (v) out[k] = v;
  }
  return out;
}

/** The API query for a page URL: open findings unless the URL says otherwise; "all" drops the status filter. */
export function apiQuery(state: UrlState): FindingQuery {
  const q: Record<string, string | undefined> = {};
  for (const k of FILTER_KEYS) q[k] = state[k];
  q.status = state.status === 'all' ? undefined : (state.status ?? 'open');
  if (state.sort) q.sort = state.sort;
  if (state.order) q.order = state.order;
  return q as FindingQuery;
}

/** What a saved view stores: the API query string (status included, so "any status" is kept as no status). */
export function viewQueryOf(state: UrlState): string {
  const q = apiQuery(state) as Record<string, string | undefined>;
  const p = new URLSearchParams();
  for (const [k, v] of Object.entries(q)) if (v) p.set(k, v);
  return p.toString();
}

/** A saved view's query string back into page URL state. */
export function stateOfView(query: string): UrlState {
  const p = new URLSearchParams(query);
  const state = readUrl(p);
  if (!p.has('status')) state.status = 'all';
  return state;
}

export const SEVERITY_LABEL: Record<string, string> = { critical: 'Critical', high: 'High', medium: 'Medium', low: 'Low', none: 'None' };

/** Priority and SLA-state filters as the combinations people ask for; the register accepts any list. */
export const PRIORITY_PRESETS = [
  ['critical', 'Critical'],
  ['critical,high', 'High or above'],
  ['high', 'High'],
  ['critical,high,medium', 'Medium or above'],
  ['medium', 'Medium'],
  ['low', 'Low'],
  ['informational', 'Informational'],
] as const;

export const SLA_PRESETS = [
  ['overdue', 'Overdue'],
  ['overdue,due_soon', 'Overdue or due soon'],
  ['due_soon', 'Due soon'],
  ['on_track', 'On track'],
  ['excepted', 'Excepted (risk exception)'],
  ['no_deadline', 'No deadline'],
] as const;

const VALUE_LABEL: Record<string, string> = {
  critical: 'Critical', high: 'High', medium: 'Medium', low: 'Low', informational: 'Informational',
  overdue: 'Overdue', due_soon: 'Due soon', on_track: 'On track', excepted: 'Excepted', no_deadline: 'No deadline',
};

/** "overdue,on_track" → "Overdue or On track", for a combination no preset names. */
export function describeValues(list: string): string {
  return list
    .split(',')
    .filter(Boolean)
    .map((v) => VALUE_LABEL[v] ?? v)
    .join(' or ');
}
