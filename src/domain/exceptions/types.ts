import type { ExceptionAction, ExceptionScope, ExceptionStatus, ExtensionAction, ExtensionStatus } from './rules.js';

/** What the API returns (the web UI imports these types). */
export interface PersonRef {
  id: string | null;
  name: string;
}

export interface RiskException {
  id: string;
  scope: ExceptionScope;
  findingId: string | null;
  vulnerability: { id: string; title: string | null } | null;
  asset: { id: string; hostname: string } | null;
  /** Vulnerability scope limited to these assets (empty: every asset). */
  assets: { id: string; hostname: string }[];
  justification: string;
  compensatingControls: string;
  riskOwner: PersonRef;
  requestedBy: PersonRef;
  requestedAt: string;
  expiresOn: string;
  reviewIntervalDays: number;
  nextReviewOn: string | null;
  lastReviewedAt: string | null;
  reviewDue: boolean;
  unsupportedSystem: boolean;
  status: ExceptionStatus;
  renews: string | null;
  decidedBy: PersonRef | null;
  decidedAt: string | null;
  decisionNote: string | null;
  policyVersion: number | null;
  endedAt: string | null;
  endReason: string | null;
  /** Open findings it covers now. */
  coveredFindings: number;
  updatedAt: string;
  version: number;
}

export interface RiskExceptionHistoryEntry {
  at: string;
  event: 'requested' | 'approved' | 'rejected' | 'reviewed' | 'expired' | 'revoked';
  actor: string;
  note: string | null;
}

export interface RiskExceptionDetail extends RiskException {
  history: RiskExceptionHistoryEntry[];
  /** What the signed-in person may do now (the policy, separation of duties and the status decide). */
  allowed: Record<ExceptionAction, boolean>;
  /** The policy roles that may decide it. */
  approverRoles: string[];
  /** Open findings in its scope that it cannot cover and nothing else does: on an unsupported system, which needs senior management's own exception (LEG-3). */
  uncoveredUnsupported: number;
}

export interface SlaExtension {
  id: string;
  findings: { id: string; vulnerabilityId: string; hostname: string; status: string; dueAt: string | null; dueAtRequest: string | null; dueBeforeApproval: string | null }[];
  newDueOn: string;
  justification: string;
  incidentRef: string | null;
  status: ExtensionStatus;
  requestedBy: PersonRef;
  requestedAt: string;
  decidedBy: PersonRef | null;
  decidedAt: string | null;
  decisionNote: string | null;
  policyVersion: number | null;
  version: number;
  allowed: Record<ExtensionAction, boolean>;
}
