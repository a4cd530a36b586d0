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
  'asset:import': 'Import assets (CSV) and scanner reports',
  'finding:validate': 'Mark findings false positive / not affected',
  'policy:write': 'Edit the patch policy',
  'exception:request': 'Request risk exceptions and SLA extensions',
  'exception:decide': 'Decide exceptions and extensions (where the policy names the role)',
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
  'query.url': 'Mirror URL',
  'querystring.url': 'Mirror URL',
  'query.release': 'Releases',
  'querystring.release': 'Releases',
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

/** "3 minutes ago", "in 2 days"; for an absolute time next to it use formatTime. */
export function formatRelative(iso: string | null | undefined, now = Date.now()): string {
  if (!iso) return '';
  const t = new Date(iso).getTime();
  if (Number.isNaN(t)) return iso;
  const seconds = Math.round((t - now) / 1000);
  if (Math.abs(seconds) < 45) return 'just now';
  const rtf = new Intl.RelativeTimeFormat(undefined, { numeric: 'auto' });
  const steps: [Intl.RelativeTimeFormatUnit, number][] = [
    ['year', 365 * 86_400],
    ['month', 30 * 86_400],
    ['week', 7 * 86_400],
    ['day', 86_400],
    ['hour', 3_600],
    ['minute', 60],
  ];
  for (const [unit, size] of steps) {
    if (Math.abs(seconds) >= size || unit === 'minute') return rtf.format(Math.round(seconds / size), unit);
  }
  return iso;
}

/** 1404 → "1,404" in the reader's locale. */
export function formatCount(n: number): string {
  return n.toLocaleString();
}

// ---- vulnerability intelligence feeds --------------------------------------

export interface FeedInfo {
  name: string;
  /** One line on what the feed is and what patchloop takes from it. */
  about: string;
  /** File picker hint (the server detects the format by content). */
  accept?: string;
  /** What to upload for an offline import. */
  file: string;
  /** What a sync does, when there is more to say than "downloads the public file". */
  sync?: string;
}

/** What the feeds the server knows are; a feed not listed here is shown by its code. */
export const FEED_INFO: Record<string, FeedInfo> = {
  debian: {
    name: 'Debian security tracker',
    about: 'Which Debian package versions fix each CVE, per release: what Debian hosts are matched against.',
    accept: '.json,.gz,application/json,application/gzip',
    file: 'the tracker’s JSON export (security-tracker.debian.org/tracker/data/json)',
  },
  kev: {
    name: 'CISA KEV',
    about: 'CISA’s catalogue of Known Exploited Vulnerabilities: CVEs exploited in the wild, with remediation due dates.',
    accept: '.json,.gz,application/json,application/gzip',
    file: 'known_exploited_vulnerabilities.json',
  },
  epss: {
    name: 'FIRST EPSS',
    about: 'Exploit Prediction Scoring System: the daily probability that a CVE is exploited in the next 30 days.',
    accept: '.csv,.gz,text/csv,application/gzip',
    file: 'the daily scores, epss_scores-YYYY-MM-DD.csv.gz (gzipped or not)',
  },
  nvd: {
    name: 'NVD',
    about: 'NIST’s National Vulnerability Database: CVE descriptions, CVSS scores, weaknesses and references.',
    accept: '.json,.gz,application/json,application/gzip',
    file: 'one NVD CVE API 2.0 response page (JSON)',
    sync: 'Pages through the NVD CVE API for what changed since the last sync; the first sync fetches every CVE (about 15 minutes without an API key). A mirror must answer like the API.',
  },
  osv: {
    name: 'OSV',
    about: 'Open Source Vulnerabilities (osv.dev): affected version ranges for Debian, Ubuntu, Alpine, Red Hat, AlmaLinux, Rocky and npm, PyPI, Maven, Go packages.',
    accept: '.zip,.json,application/zip,application/json',
    file: 'an ecosystem’s all.zip from osv.dev (a snapshot of that ecosystem), or a JSON file of OSV records',
    sync: 'Downloads the all.zip of each ecosystem from osv.dev; a mirror URL names one archive.',
  },
};

/** The order feeds are listed in: the known ones first, others by name. */
export function feedOrder(a: string, b: string): number {
  const known = Object.keys(FEED_INFO);
  const ia = known.indexOf(a);
  const ib = known.indexOf(b);
  return (ia < 0 ? known.length : ia) - (ib < 0 ? known.length : ib) || a.localeCompare(b);
}

export function feedName(feed: string): string {
  return FEED_INFO[feed]?.name ?? label(feed);
}
