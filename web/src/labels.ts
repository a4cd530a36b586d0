/** Readable labels for the register's codes; the codes themselves come from the domain module. */
import { CRITICALITIES, ENVIRONMENTS, EXPOSURES, LIFECYCLES, OS_FAMILIES, SYSTEM_TYPES } from '../../src/domain/assets/asset.js';
import { PERMISSIONS, ROLE_LABELS, ROLES, type Permission, type Role } from '../../src/domain/auth/roles.js';

export { CRITICALITIES, ENVIRONMENTS, EXPOSURES, LIFECYCLES, OS_FAMILIES, PERMISSIONS, ROLES, SYSTEM_TYPES };

const SPECIAL: Record<string, string> = {
  web_server: 'Web server',
  application_server: 'Application server',
  network_hardware: 'Network hardware',
  desktop_workstation: 'Desktop workstation',
  mail_server: 'Mail server',
  file_server: 'File server',
  directory_service: 'Directory service',
  container_host: 'Container host',
  internet_facing: 'Internet-facing',
  network_os: 'Network OS',
  macos: 'macOS',
  bsd: 'BSD',
};

/** "web_server" → "Web server". */
export function label(code: string | null | undefined): string {
  if (!code) return '';
  const special = SPECIAL[code];
  if (special) return special;
  const s = code.replace(/_/g, ' ');
  return s.charAt(0).toUpperCase() + s.slice(1);
}

export function roleLabel(role: string): string {
  return (ROLE_LABELS as Record<string, string>)[role] ?? label(role);
}

export const PERMISSION_LABELS: Record<Permission, string> = {
  'asset:read': 'Read assets',
  'asset:write': 'Change any asset',
  'asset:write_own': 'Register assets and change your own',
  'asset:import': 'Bulk import assets (CSV)',
  'team:read': 'Read teams',
  'team:write': 'Change teams',
  'user:read': 'Read users',
  'user:write': 'Change users',
  'audit:read': 'Read the audit trail',
  'token:own': 'Manage own API tokens',
  'system:admin': 'System administration',
  'agent:checkin': 'Agent check-in',
};

export const FIELD_LABELS: Record<string, string> = {
  hostname: 'Host name',
  fqdn: 'FQDN',
  ipAddresses: 'IP addresses',
  osFamily: 'OS family',
  osName: 'OS name',
  osVersion: 'OS version',
  environment: 'Environment',
  systemType: 'System type',
  department: 'Department',
  location: 'Location',
  ownerUserId: 'Owner (user)',
  ownerTeamId: 'Owner (team)',
  owner: 'Owner',
  businessCriticality: 'Business criticality',
  networkExposure: 'Network exposure',
  maintenanceGroup: 'Maintenance group',
  tags: 'Tags',
  supplier: 'Supplier',
  description: 'Description',
  lifecycle: 'Lifecycle',
  decommissionedAt: 'Decommissioned at',
  createdAt: 'Created',
  updatedAt: 'Updated',
  version: 'Version',
  reason: 'Reason',
};

export function fieldLabel(field: string): string {
  return FIELD_LABELS[field] ?? label(field);
}

export const isRole = (v: string): v is Role => (ROLES as readonly string[]).includes(v);

/** Local date-time, e.g. "23 Nov 2026, 14:05". */
export function formatTime(iso: string | null | undefined): string {
  if (!iso) return '';
  const d = new Date(iso);
  if (Number.isNaN(d.getTime())) return iso;
  return d.toLocaleString(undefined, { day: '2-digit', month: 'short', year: 'numeric', hour: '2-digit', minute: '2-digit' });
}
