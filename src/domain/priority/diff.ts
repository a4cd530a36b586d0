/** One difference between two policy versions: where, and the value on each side (undefined: absent). */
export interface PolicyChange {
  path: string;
  before: unknown;
  after: unknown;
}

const isObject = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);

/**
 * Field-level differences between two policy documents, in document order.
 * Objects are compared key by key; arrays of objects (thresholds, escalation
 * rules) element by element, so "rule 2's channels" shows as one change;
 * arrays of plain values (roles, channels) as one value.
 */
export function diffPolicies(before: unknown, after: unknown, path = ''): PolicyChange[] {
  if (isObject(before) && isObject(after)) {
    const keys = [...new Set([...Object.keys(before), ...Object.keys(after)])];
    return keys.flatMap((k) => diffPolicies(before[k], after[k], path ? `${path}.${k}` : k));
  }
  if (Array.isArray(before) && Array.isArray(after) && [...before, ...after].some(isObject)) {
    const n = Math.max(before.length, after.length);
    const out: PolicyChange[] = [];
    for (let i = 0; i < n; i++) out.push(...diffPolicies(before[i], after[i], `${path}[${i}]`));
    return out;
  }
  return JSON.stringify(before) === JSON.stringify(after) ? [] : [{ path, before, after }];
}
