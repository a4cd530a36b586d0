/** The patch policy and priority endpoints (src/http/routes/policy.ts) for the web UI. */
import { request } from '../api.js';
import type { SlaState } from '../../../src/domain/priority/deadline.js';
import type { Policy, PriorityClass } from '../../../src/domain/priority/policy.js';

export type { Policy, PriorityClass, SlaState };

export interface PolicyVersion {
  version: number;
  document: Policy;
  reason: string;
  author: { id: string | null; name: string };
  createdAt: string;
}

export interface PolicyVersionSummary {
  version: number;
  reason: string;
  author: { id: string | null; name: string };
  createdAt: string;
  /** Fields changed from the version before (0 for the first). */
  changes: number;
}

export interface PolicyChange {
  path: string;
  before: unknown;
  after: unknown;
}

export interface Acknowledgements {
  version: number;
  acknowledged: number;
  pending: number;
  people: { userId: string; username: string; displayName: string; role: string; version: number | null; acknowledgedAt: string | null; current: boolean }[];
}

/** The server's own type (a type-only import: nothing of the server reaches the bundle). */
import type { PriorityExplanation } from '../../../src/services/priority/explain.js';

export type { PriorityExplanation };

const enc = encodeURIComponent;

export const policyApi = {
  current: () => request<PolicyVersion>('GET', '/api/policy'),
  /** baseVersion: the version the edit started from; the server refuses (409) when another was saved since. */
  edit: (document: Policy, reason: string, baseVersion?: number) => request<PolicyVersion>('PUT', '/api/policy', { json: { document, reason, ...(baseVersion ? { baseVersion } : {}) } }),
  versions: () => request<PolicyVersionSummary[]>('GET', '/api/policy/versions'),
  version: (v: number) => request<PolicyVersion>('GET', `/api/policy/versions/${enc(String(v))}`),
  diff: (from: number, to: number) => request<{ from: number; to: number; changes: PolicyChange[] }>('GET', '/api/policy/diff', { query: { from: String(from), to: String(to) } }),
  acknowledge: (version: number) => request<{ version: number; acknowledgedAt: string }>('POST', '/api/policy/acknowledge', { json: { version } }),
  acknowledgements: () => request<Acknowledgements>('GET', '/api/policy/acknowledgements'),
  explain: (findingId: string) => request<PriorityExplanation>('GET', `/api/findings/${enc(findingId)}/priority`),
};

/** The "my overdue" view of the register: the signed-in person's overdue and due-soon findings, earliest due first. */
export const MY_OVERDUE_URL = '/findings?mine=true&slaState=overdue,due_soon&sort=dueAt';
