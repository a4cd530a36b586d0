/**
 * Roles and what they may do (SEC-2). Every service method starts by asking
 * for one of these permissions; API token scopes are subsets of them.
 */
export const ROLES = ['admin', 'security_analyst', 'system_owner', 'change_approver', 'senior_manager', 'auditor', 'agent'] as const;
export type Role = (typeof ROLES)[number];

export const ROLE_LABELS: Record<Role, string> = {
  admin: 'Administrator',
  security_analyst: 'Security analyst',
  system_owner: 'System owner',
  change_approver: 'Change approver',
  senior_manager: 'Senior management (risk owner)',
  auditor: 'Auditor (read-only)',
  agent: 'Agent (machine identity)',
};

export const PERMISSIONS = [
  'asset:read',
  'asset:write',
  'asset:write_own',
  'asset:import',
  'finding:validate',
  'policy:write',
  'exception:request',
  'exception:decide',
  'team:read',
  'team:write',
  'user:read',
  'user:write',
  'audit:read',
  'token:own',
  'system:admin',
  'agent:checkin',
] as const;
export type Permission = (typeof PERMISSIONS)[number];

const READ_ALL: Permission[] = ['asset:read', 'team:read', 'user:read', 'audit:read'];

export const ROLE_PERMISSIONS: Record<Role, readonly Permission[]> = {
  admin: [...READ_ALL, 'asset:write', 'asset:import', 'finding:validate', 'policy:write', 'exception:request', 'exception:decide', 'team:write', 'user:write', 'token:own', 'system:admin'],
  // Marking a finding false positive or not affected (VUL-6) is an analyst's judgement.
  security_analyst: [...READ_ALL, 'asset:write', 'asset:import', 'finding:validate', 'exception:request', 'exception:decide', 'token:own'],
  // System owners look after their own systems: they register assets and change
  // those they (or their teams) own; the register as a whole is the analysts'.
  // They may ask for a risk exception or an SLA extension, never grant one.
  system_owner: [...READ_ALL, 'asset:write_own', 'exception:request', 'token:own'],
  // Who may decide a given exception is named by the patch policy (GOV-1);
  // 'exception:decide' only lets a role be named there.
  change_approver: [...READ_ALL, 'exception:decide', 'token:own'],
  // Senior management accepts the risk of unsupported systems (LEG-3).
  senior_manager: [...READ_ALL, 'exception:decide', 'token:own'],
  // Auditors read everything and change nothing, not even their own tokens:
  // their sessions are read-only by construction.
  auditor: [...READ_ALL],
  agent: ['agent:checkin'],
};

export function permissionsOf(role: Role): ReadonlySet<Permission> {
  return new Set(ROLE_PERMISSIONS[role]);
}

export function isRole(v: unknown): v is Role {
  return typeof v === 'string' && (ROLES as readonly string[]).includes(v);
}

export function isPermission(v: unknown): v is Permission {
  return typeof v === 'string' && (PERMISSIONS as readonly string[]).includes(v);
}
