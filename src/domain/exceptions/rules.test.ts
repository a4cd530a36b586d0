import { describe, expect, it } from 'vitest';
import type { Role } from '../auth/roles.js';
import { DEFAULT_POLICY } from '../priority/policy.js';
import {
  canMoveException,
  canMoveExtension,
  EXCEPTION_STATUSES,
  type ExceptionAction,
  type ExceptionStatus,
  EXTENSION_STATUSES,
  type ExtensionAction,
  exceptionRefusal,
  exceptionRequestSchema,
  expiryProblem,
  extendsFinding,
  extensionDueProblem,
  extensionRefusal,
  nextReviewOn,
  reviewDue,
} from './index.js';

const approvals = DEFAULT_POLICY.approvals;
const REQ = 'u-requester';
const OWNER = 'u-owner';
const OTHER = 'u-other';
const parties = (unsupportedSystem = false) => ({ requesterId: REQ, riskOwnerId: OWNER, unsupportedSystem });

describe('who may decide a risk exception (default policy: analyst or admin; senior management for unsupported systems)', () => {
  const cases: [ExceptionAction, string | null, Role, boolean, boolean][] = [
    // action, actor, role, unsupported system, allowed
    ['approve', OTHER, 'security_analyst', false, true],
    ['approve', OTHER, 'admin', false, true],
    ['approve', REQ, 'admin', false, false], // separation of duties, even for an administrator
    ['approve', REQ, 'security_analyst', false, false],
    ['approve', OTHER, 'change_approver', false, false], // not named by the policy
    ['approve', OTHER, 'senior_manager', false, false],
    ['approve', OTHER, 'system_owner', false, false],
    ['approve', OTHER, 'senior_manager', true, true], // LEG-3
    ['approve', OTHER, 'admin', true, false],
    ['approve', OTHER, 'security_analyst', true, false],
    ['approve', OWNER, 'security_analyst', false, true], // the risk owner accepts the risk when the policy names their role
    ['approve', OWNER, 'system_owner', false, false],
    ['approve', null, 'admin', false, false], // the local operator is nobody in particular
    ['reject', OTHER, 'security_analyst', false, true],
    ['reject', REQ, 'security_analyst', false, false],
    ['reject', OTHER, 'auditor', false, false],
    ['revoke', OWNER, 'system_owner', false, true], // the risk owner may take their acceptance back
    ['revoke', OTHER, 'system_owner', false, false],
    ['revoke', REQ, 'admin', false, false],
    ['review', OWNER, 'senior_manager', true, true],
    ['review', OTHER, 'security_analyst', true, false],
    ['review', OTHER, 'senior_manager', true, true],
  ];
  it.each(cases)('%s by %s as %s (unsupported %s) → allowed %s', (action, userId, role, unsupported, allowed) => {
    const why = exceptionRefusal(action, approvals, parties(unsupported), { userId, role });
    expect(why === null).toBe(allowed);
  });

  it('says why it refuses', () => {
    expect(exceptionRefusal('approve', approvals, parties(), { userId: REQ, role: 'admin' })).toMatch(/separation of duties/);
    expect(exceptionRefusal('approve', approvals, parties(true), { userId: OTHER, role: 'admin' })).toMatch(/only Senior management \(risk owner\) approve a risk exception for an unsupported system; your role is Administrator/);
  });

  it('follows the policy: naming change approvers lets them decide, and only them', () => {
    const changed = { ...approvals, exception: ['change_approver' as const] };
    expect(exceptionRefusal('approve', changed, parties(), { userId: OTHER, role: 'change_approver' })).toBeNull();
    expect(exceptionRefusal('approve', changed, parties(), { userId: OTHER, role: 'security_analyst' })).not.toBeNull();
  });
});

describe('who may decide an SLA extension', () => {
  const cases: [ExtensionAction, string | null, Role, boolean][] = [
    ['approve', OTHER, 'security_analyst', true],
    ['approve', OTHER, 'admin', true],
    ['approve', REQ, 'admin', false],
    ['approve', OTHER, 'change_approver', false],
    ['approve', null, 'admin', false],
    ['reject', OTHER, 'security_analyst', true],
    ['reject', REQ, 'security_analyst', false],
    ['withdraw', REQ, 'system_owner', true],
    ['withdraw', OTHER, 'admin', false],
  ];
  it.each(cases)('%s by %s as %s → allowed %s', (action, userId, role, allowed) => {
    expect(extensionRefusal(action, approvals, { requesterId: REQ }, { userId, role }) === null).toBe(allowed);
  });
});

describe('dates', () => {
  const today = '2026-06-01';
  it.each([
    ['2026-06-01', 365, /after today/],
    ['2026-05-31', 365, /after today/],
    ['2026-06-02', 365, null],
    ['2027-06-01', 365, null],
    ['2027-06-02', 365, /at most 365 days.*2027-06-01 at the latest/],
    ['2026-07-02', 30, /at most 30 days/],
  ] as const)('exception expiring %s with maxDays %i', (expires, max, want) => {
    const p = expiryProblem(expires, today, max);
    if (want === null) expect(p).toBeNull();
    else expect(p).toMatch(want);
  });

  it.each([
    ['2026-06-01', 365, '2027-01-01', '2027-01-01'], // never after the expiry
    ['2026-06-01', 90, '2027-01-01', '2026-08-30'],
    ['2026-06-01', 365, '2027-06-01', '2027-06-01'],
    ['2026-06-01', 365, '2028-06-01', '2027-06-01'],
  ] as const)('next review from %s every %i days, expiring %s → %s', (from, days, expires, want) => {
    expect(nextReviewOn(from, days, expires)).toBe(want);
  });

  it('a review is due from its day; reminders come earlier', () => {
    expect(reviewDue('2026-06-01', today)).toBe(true);
    expect(reviewDue('2026-06-02', today)).toBe(false);
    expect(reviewDue('2026-06-15', today, 14)).toBe(true);
    expect(reviewDue(null, today, 14)).toBe(false);
  });

  it('an extension must move an open finding later, within maxDays', () => {
    expect(extensionDueProblem('2026-06-01', today, 365)).toMatch(/after today/);
    expect(extensionDueProblem('2027-06-02', today, 365)).toMatch(/request a risk exception/);
    expect(extensionDueProblem('2026-07-01', today, 365)).toBeNull();
    const due = new Date('2026-06-20T00:00:00Z');
    expect(extendsFinding({ dueAt: due, status: 'open' }, '2026-06-20')).toBeNull(); // the whole day counts
    expect(extendsFinding({ dueAt: due, status: 'open' }, '2026-06-19')).toMatch(/already due 2026-06-20/);
    expect(extendsFinding({ dueAt: null, status: 'open' }, '2026-07-01')).toMatch(/no due date/);
    expect(extendsFinding({ dueAt: due, status: 'false_positive' }, '2026-07-01')).toBe('is false positive, not open');
  });
});

describe('life cycle', () => {
  const allowed: Record<ExceptionStatus, ExceptionStatus[]> = { requested: ['approved', 'rejected'], approved: ['expired', 'revoked'], rejected: [], expired: [], revoked: [] };
  it.each(EXCEPTION_STATUSES.flatMap((from) => EXCEPTION_STATUSES.map((to) => [from, to] as const)))('exception %s → %s', (from, to) => {
    expect(canMoveException(from, to)).toBe(allowed[from].includes(to));
  });
  it.each(EXTENSION_STATUSES.flatMap((from) => EXTENSION_STATUSES.map((to) => [from, to] as const)))('extension %s → %s', (from, to) => {
    expect(canMoveExtension(from, to)).toBe(from === 'requested' && to !== 'requested');
  });
});

describe('request scopes', () => {
  const base = { justification: 'Vendor patch breaks the payment gateway', riskOwnerId: '00000000-0000-4000-8000-000000000001', expiresOn: '2026-12-31' };
  const A = '00000000-0000-4000-8000-0000000000aa';
  it.each([
    [{ scope: 'finding', findingId: '12' }, []],
    [{ scope: 'finding' }, ['findingId: is required with scope finding']],
    [{ scope: 'finding', findingId: '12', assetId: A }, ['assetId: is not allowed with scope finding']],
    [{ scope: 'vulnerability', vulnerabilityId: 'CVE-2026-1' }, []],
    [{ scope: 'vulnerability', vulnerabilityId: 'CVE-2026-1', assetIds: [A] }, []],
    [{ scope: 'vulnerability', vulnerabilityId: 'CVE-2026-1', assetIds: [A, A] }, ['assetIds: each asset once']],
    [{ scope: 'vulnerability', assetId: A }, ['vulnerabilityId: is required with scope vulnerability', 'assetId: is not allowed with scope vulnerability']],
    [{ scope: 'asset', assetId: A }, []],
    [{ scope: 'asset', assetId: A, vulnerabilityId: 'CVE-2026-1' }, ['vulnerabilityId: is not allowed with scope asset']],
    [{ scope: 'everything' }, ['scope: Invalid option: expected one of "finding"|"vulnerability"|"asset"']],
  ] as const)('%j', (scope, problems) => {
    const r = exceptionRequestSchema.safeParse({ ...base, ...scope });
    expect(r.success ? [] : r.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`)).toEqual(problems);
  });

  it('refuses an empty or oversized justification and control characters', () => {
    const msg = (input: object) => {
      const r = exceptionRequestSchema.safeParse({ ...base, scope: 'asset', assetId: A, ...input });
      return r.success ? null : r.error.issues[0]?.message;
    };
    expect(msg({ justification: '   ' })).toMatch(/at least 10 characters/);
    expect(msg({ justification: 'x'.repeat(4001) })).toBe('must be at most 4000 characters');
    expect(msg({ compensatingControls: 'WAF\u0000rule' })).toBe('must not contain control characters');
    expect(msg({ expiresOn: '31/12/2026' })).toBe('must be a date (YYYY-MM-DD)');
  });
});
