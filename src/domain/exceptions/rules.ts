import { ROLE_LABELS, type Role } from '../auth/roles.js';
import { addDays } from '../eol/cycles.js';
import type { Policy } from '../priority/policy.js';

/**
 * Risk exceptions (VUL-7, LEG-3, LEG-5, GOV-3) and SLA extensions (INC-3):
 * who may decide, which dates are acceptable, and the life cycle. Pure: the
 * services feed in the policy, the people and today's date (UTC).
 *
 * Separation of duties: whoever asked never decides, whatever their role
 * (an administrator included). The risk owner MAY approve when the policy
 * names their role: accepting a residual risk is the risk owner's job (ISO/IEC
 * 27001 6.1.3 f), and the requester rule already stops anyone approving what
 * they asked for. The risk owner may also re-review or revoke the exception,
 * since they carry the risk, but not when they are the requester.
 */
export const EXCEPTION_SCOPES = ['finding', 'vulnerability', 'asset'] as const;
export type ExceptionScope = (typeof EXCEPTION_SCOPES)[number];

export const EXCEPTION_STATUSES = ['requested', 'approved', 'rejected', 'expired', 'revoked'] as const;
export type ExceptionStatus = (typeof EXCEPTION_STATUSES)[number];

export const EXTENSION_STATUSES = ['requested', 'approved', 'rejected', 'withdrawn'] as const;
export type ExtensionStatus = (typeof EXTENSION_STATUSES)[number];

const EXCEPTION_TRANSITIONS: Record<ExceptionStatus, readonly ExceptionStatus[]> = {
  requested: ['approved', 'rejected'],
  approved: ['expired', 'revoked'],
  rejected: [],
  expired: [],
  revoked: [],
};

const EXTENSION_TRANSITIONS: Record<ExtensionStatus, readonly ExtensionStatus[]> = {
  requested: ['approved', 'rejected', 'withdrawn'],
  approved: [],
  rejected: [],
  withdrawn: [],
};

export const canMoveException = (from: ExceptionStatus, to: ExceptionStatus): boolean => EXCEPTION_TRANSITIONS[from].includes(to);
export const canMoveExtension = (from: ExtensionStatus, to: ExtensionStatus): boolean => EXTENSION_TRANSITIONS[from].includes(to);

export type ExceptionAction = 'approve' | 'reject' | 'revoke' | 'review';
export type ExtensionAction = 'approve' | 'reject' | 'withdraw';

/** The status an exception must have for an action. */
export const EXCEPTION_ACTION_FROM: Record<ExceptionAction, ExceptionStatus> = { approve: 'requested', reject: 'requested', revoke: 'approved', review: 'approved' };
export const EXTENSION_ACTION_FROM: Record<ExtensionAction, ExtensionStatus> = { approve: 'requested', reject: 'requested', withdraw: 'requested' };

export interface Actor {
  /** null: the local operator or another non-person. */
  userId: string | null;
  role: Role;
}

export interface ExceptionParties {
  requesterId: string | null;
  riskOwnerId: string;
  unsupportedSystem: boolean;
}

type Approvals = Policy['approvals'];

/** Roles the policy names for this decision: senior management (by default) for an unsupported system (LEG-3). */
export function approverRoles(approvals: Approvals, kind: 'exception' | 'unsupported' | 'extension'): readonly Role[] {
  return (kind === 'exception' ? approvals.exception : kind === 'unsupported' ? approvals.unsupportedSystemException : approvals.slaExtension) as Role[];
}

const roleList = (roles: readonly Role[]) => roles.map((r) => ROLE_LABELS[r] ?? r).join(' or ');
const VERB: Record<ExceptionAction | ExtensionAction, string> = { approve: 'approve', reject: 'reject', revoke: 'revoke', review: 're-review', withdraw: 'withdraw' };

/** null when the actor may take the action; otherwise the reason, as the API says it. */
export function exceptionRefusal(action: ExceptionAction, approvals: Approvals, e: ExceptionParties, actor: Actor): string | null {
  if (actor.userId === null) return 'A risk decision needs a named person: sign in, or use an API token of your own account';
  if (e.requesterId !== null && actor.userId === e.requesterId) {
    return `You requested this exception, so someone else must ${VERB[action]} it (separation of duties)`;
  }
  const roles = approverRoles(approvals, e.unsupportedSystem ? 'unsupported' : 'exception');
  if (roles.includes(actor.role)) return null;
  if ((action === 'review' || action === 'revoke') && actor.userId === e.riskOwnerId) return null;
  const what = e.unsupportedSystem ? 'a risk exception for an unsupported system' : 'a risk exception';
  return `The patch policy lets only ${roleList(roles)} ${VERB[action]} ${what}${action === 'review' || action === 'revoke' ? ' (or its risk owner)' : ''}; your role is ${ROLE_LABELS[actor.role] ?? actor.role}`;
}

export function extensionRefusal(action: ExtensionAction, approvals: Approvals, e: { requesterId: string | null }, actor: Actor): string | null {
  if (action === 'withdraw') {
    return e.requesterId !== null && actor.userId === e.requesterId ? null : 'Only the person who requested an SLA extension can withdraw it';
  }
  if (actor.userId === null) return 'An SLA decision needs a named person: sign in, or use an API token of your own account';
  if (e.requesterId !== null && actor.userId === e.requesterId) {
    return `You requested this SLA extension, so someone else must ${VERB[action]} it (separation of duties)`;
  }
  const roles = approverRoles(approvals, 'extension');
  if (roles.includes(actor.role)) return null;
  return `The patch policy lets only ${roleList(roles)} ${VERB[action]} an SLA extension; your role is ${ROLE_LABELS[actor.role] ?? actor.role}`;
}

/** An exception's last valid day: after today, and at most the policy's maxDays from today (the day of the request or the approval). */
export function expiryProblem(expiresOn: string, today: string, maxDays: number): string | null {
  if (expiresOn <= today) return `must be after today (${today})`;
  const latest = addDays(today, maxDays);
  if (expiresOn > latest) return `must be at most ${maxDays} days from today (the policy's exceptions.maxDays): ${latest} at the latest`;
  return null;
}

/** The next re-review: one interval from `from`, never after the exception ends (its end is a review in itself). */
export function nextReviewOn(from: string, intervalDays: number, expiresOn: string): string {
  const next = addDays(from, intervalDays);
  return next < expiresOn ? next : expiresOn;
}

/** An extension's new due day: after today, within maxDays (longer is a risk exception, not an extension). */
export function extensionDueProblem(newDueOn: string, today: string, maxDays: number): string | null {
  if (newDueOn <= today) return `must be after today (${today})`;
  const latest = addDays(today, maxDays);
  if (newDueOn > latest) return `must be at most ${maxDays} days from today (the policy's exceptions.maxDays; for longer, request a risk exception): ${latest} at the latest`;
  return null;
}

/** Due dates are whole days: an extension to a day lasts until its end (UTC). */
export const endOfDayUtc = (day: string): Date => new Date(`${day}T23:59:59.999Z`);

/** Why a finding cannot be extended to `newDueOn`, or null. */
export function extendsFinding(current: { dueAt: Date | null; status: string }, newDueOn: string): string | null {
  if (current.status !== 'open') return `is ${current.status.replace('_', ' ')}, not open`;
  if (current.dueAt === null) return 'has no due date to extend';
  if (endOfDayUtc(newDueOn) <= current.dueAt) return `is already due ${current.dueAt.toISOString().slice(0, 10)}: the new due date must be later`;
  return null;
}

/** A review is due from its day on; reminders go out `leadDays` before. */
export function reviewDue(nextReview: string | null, today: string, leadDays = 0): boolean {
  return nextReview !== null && nextReview <= addDays(today, leadDays);
}
