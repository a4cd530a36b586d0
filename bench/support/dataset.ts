import { rng } from '../../src/domain/random.js';
import type { Database } from '../../src/storage/db.js';

/**
 * A deterministic, realistic asset register of any size for benchmarks: a
 * large EU financial services firm with data centres, cloud regions and
 * offices. Distributions are skewed the way real registers are (many
 * endpoints, production-heavy, few critical systems, some unowned assets),
 * so filters have realistic selectivity.
 */

export { rng };

const DATA_CENTRES = [
  { code: 'fra', location: 'Frankfurt DC1', domain: 'fra.northwind.example', net: 10 },
  { code: 'ams', location: 'Amsterdam DC2', domain: 'ams.northwind.example', net: 20 },
  { code: 'dub', location: 'Dublin DC3', domain: 'dub.northwind.example', net: 25 },
  { code: 'aws', location: 'AWS eu-central-1', domain: 'aws.northwind.example', net: 30 },
  { code: 'awi', location: 'AWS eu-west-1', domain: 'awi.northwind.example', net: 35 },
  { code: 'azw', location: 'Azure West Europe', domain: 'azw.northwind.example', net: 40 },
] as const;
const OFFICES = [
  { code: 'hq', location: 'Frankfurt HQ', domain: 'hq.northwind.example', net: 100 },
  { code: 'dbo', location: 'Dublin Office', domain: 'dbo.northwind.example', net: 110 },
  { code: 'waw', location: 'Warsaw Office', domain: 'waw.northwind.example', net: 120 },
  { code: 'lis', location: 'Lisbon Office', domain: 'lis.northwind.example', net: 130 },
  { code: 'par', location: 'Paris Office', domain: 'par.northwind.example', net: 140 },
  { code: 'mad', location: 'Madrid Office', domain: 'mad.northwind.example', net: 150 },
  { code: 'mil', location: 'Milan Office', domain: 'mil.northwind.example', net: 160 },
  { code: 'vie', location: 'Vienna Office', domain: 'vie.northwind.example', net: 170 },
] as const;
export const DEPARTMENTS = [
  'Payments', 'Card Issuing', 'Acquiring', 'Treasury', 'Finance', 'Customer Service', 'Risk & Compliance', 'Legal',
  'Human Resources', 'Sales', 'Marketing', 'IT Operations', 'Security', 'Data & Analytics', 'Procurement', 'Fraud Prevention',
] as const;
export const TAGS_OF_INTEREST = ['pci-dss', 'dora-critical', 'gdpr', 'nginx', 'kubernetes', 'dmz', 'legacy'] as const;
export const SEARCH_TERMS = ['web', 'fra-db', 'postgres', 'windows 11', '10.20.7', 'payments'] as const;

interface Kind {
  code: string;
  systemType: string;
  weight: number;
  office: boolean;
  os: readonly (readonly [{ family: string; name: string; versions: readonly string[] }, number])[];
  tags: readonly string[];
  supplier?: string;
}
const LINUX = [
  [{ family: 'linux', name: 'Debian GNU/Linux', versions: ['11', '12', '12', '13'] }, 4],
  [{ family: 'linux', name: 'Ubuntu', versions: ['20.04', '22.04', '24.04', '24.04'] }, 3],
  [{ family: 'linux', name: 'Red Hat Enterprise Linux', versions: ['8.10', '9.4', '9.6'] }, 3],
  [{ family: 'linux', name: 'Rocky Linux', versions: ['8.9', '9.4'] }, 1],
] as const;
const WINSRV = [[{ family: 'windows', name: 'Windows Server', versions: ['2016', '2019', '2022', '2022', '2025'] }, 1]] as const;
const KINDS: Kind[] = [
  { code: 'nb', systemType: 'laptop', weight: 30, office: true, tags: ['mobile', 'intune', 'bitlocker'], os: [[{ family: 'windows', name: 'Windows 11 Enterprise', versions: ['23H2', '24H2', '24H2'] }, 8], [{ family: 'macos', name: 'macOS', versions: ['14.7', '15.1', '15.2'] }, 2]] },
  { code: 'ws', systemType: 'desktop_workstation', weight: 12, office: true, tags: ['fixed', 'intune'], os: [[{ family: 'windows', name: 'Windows 11 Enterprise', versions: ['23H2', '24H2'] }, 9], [{ family: 'linux', name: 'Ubuntu', versions: ['24.04'] }, 1]] },
  { code: 'web', systemType: 'web_server', weight: 8, office: false, tags: ['nginx', 'apache', 'haproxy'], os: LINUX },
  { code: 'app', systemType: 'application_server', weight: 12, office: false, tags: ['java', 'dotnet', 'python', 'nodejs', 'tomcat'], os: [...LINUX, [WINSRV[0][0], 2]] },
  { code: 'db', systemType: 'database', weight: 6, office: false, tags: ['postgresql', 'oracle', 'mssql', 'mongodb', 'redis'], os: [...LINUX, [WINSRV[0][0], 1]] },
  { code: 'k8s', systemType: 'container_host', weight: 5, office: false, tags: ['kubernetes', 'containerd', 'openshift'], os: LINUX },
  { code: 'esx', systemType: 'hypervisor', weight: 3, office: false, tags: ['vmware', 'hyper-v'], os: [[{ family: 'other', name: 'VMware ESXi', versions: ['7.0 U3', '8.0 U2', '8.0 U3'] }, 1]], supplier: 'Atos Managed Services' },
  { code: 'sw', systemType: 'network_hardware', weight: 6, office: true, tags: ['juniper', 'cisco', 'arista'], os: [[{ family: 'network_os', name: 'Junos OS', versions: ['22.4R3', '23.2R1'] }, 1], [{ family: 'network_os', name: 'Cisco IOS XE', versions: ['17.9.5', '17.12.3'] }, 1]], supplier: 'Telekom Managed Network' },
  { code: 'fw', systemType: 'network_hardware', weight: 2, office: false, tags: ['fortinet', 'palo-alto'], os: [[{ family: 'network_os', name: 'FortiOS', versions: ['7.2.8', '7.4.4'] }, 1], [{ family: 'network_os', name: 'PAN-OS', versions: ['10.2.9', '11.1.2'] }, 1]] },
  { code: 'file', systemType: 'file_server', weight: 2, office: true, tags: ['smb', 'dfs'], os: WINSRV },
  { code: 'mail', systemType: 'mail_server', weight: 1, office: false, tags: ['exchange', 'postfix'], os: [[WINSRV[0][0], 1], [LINUX[0][0], 1]] },
  { code: 'dc', systemType: 'directory_service', weight: 1, office: true, tags: ['active-directory'], os: WINSRV },
  { code: 'misc', systemType: 'other', weight: 12, office: true, tags: ['printer', 'iot', 'badge-reader', 'camera', 'appliance'], os: [[{ family: 'other', name: 'Embedded firmware', versions: ['1.0', '2.3', '4.1'] }, 3], [LINUX[1][0], 1]] },
];

export interface BenchUser {
  id: string;
  username: string;
}
export interface BenchTeam {
  id: string;
  name: string;
}

const FIRST = ['Eva', 'Julien', 'Marta', 'Luca', 'Siobhan', 'Pieter', 'Ana', 'Karel', 'Helena', 'Rainer', 'Sofia', 'Jonas', 'Ines', 'Tomasz', 'Chiara', 'Lars', 'Mia', 'Noah', 'Emma', 'Hugo'];
const LAST = ['Schmidt', 'Dubois', 'Kowalski', 'Rossi', "O'Connor", 'Jansen', 'Silva', 'Novak', 'Berg', 'Meyer', 'Garcia', 'Fischer', 'Moreau', 'Nowak', 'Bianchi', 'Larsen', 'Weber', 'Costa', 'Horvath', 'Lindqvist'];
const TEAM_AREAS = ['Platform Engineering', 'Database Services', 'Network Operations', 'Workplace IT', 'Payments Core', 'Security Operations', 'Cloud Foundation', 'Identity & Access', 'Card Platform', 'Data Platform', 'Messaging', 'Trading Systems'];

async function insertBatches(database: Database, table: string, columns: string[], rows: unknown[][], casts: Record<string, string> = {}) {
  const BATCH = 1000;
  for (let i = 0; i < rows.length; i += BATCH) {
    const chunk = rows.slice(i, i + BATCH);
    const values: unknown[] = [];
    const tuples = chunk.map((row) => {
      const ph = row.map((v, j) => {
        values.push(v);
        const cast = casts[columns[j] as string];
        return `$${values.length}${cast ? `::${cast}` : ''}`;
      });
      return `(${ph.join(',')})`;
    });
    await database.executeSql(`insert into ${table} (${columns.join(',')}) values ${tuples.join(',')}`, values);
  }
}

export interface LoadedDataset {
  assets: number;
  users: BenchUser[];
  teams: BenchTeam[];
}

/** Inserts users, teams and `count` assets straight into the tables (no audit records: loading is not what is measured). */
export async function loadDataset(database: Database, count: number, seed = 2026, now = Date.now()): Promise<LoadedDataset> {
  const r = rng(seed);
  const roles = ['system_owner', 'system_owner', 'system_owner', 'security_analyst', 'change_approver', 'auditor'];

  const userRows: unknown[][] = [];
  for (let i = 0; i < 400; i++) {
    const first = r.pick(FIRST);
    const last = r.pick(LAST);
    const username = `${first[0]}.${last.replace(/[^A-Za-z]/g, '')}${i}`.toLowerCase();
    userRows.push([username, `${first} ${last}`, `${username}@northwind.example`, r.pick(roles)]);
  }
  await insertBatches(database, 'users', ['username', 'display_name', 'email', 'role'], userRows);
  const users = (await database.executeSql('select id, username from users order by username')).rows as BenchUser[];

  const teamRows: unknown[][] = [];
  for (let i = 0; i < 60; i++) {
    const area = TEAM_AREAS[i % TEAM_AREAS.length] as string;
    const name = i < TEAM_AREAS.length ? area : `${area} ${String.fromCharCode(65 + Math.floor(i / TEAM_AREAS.length) - 1)}`;
    teamRows.push([name, `${name} team`, `${name.toLowerCase().replace(/[^a-z]+/g, '-')}@northwind.example`, (users[r.int(0, users.length - 1)] as BenchUser).id]);
  }
  await insertBatches(database, 'teams', ['name', 'description', 'email', 'manager_user_id'], teamRows);
  const teams = (await database.executeSql('select id, name from teams order by name')).rows as BenchTeam[];

  const envCode: Record<string, string> = { production: 'p', staging: 's', test: 't', development: 'd' };
  const FOUR_YEARS = 4 * 365 * 24 * 3600 * 1000;
  const cols = [
    'hostname', 'fqdn', 'ip_addresses', 'os_family', 'os_name', 'os_version', 'environment', 'system_type', 'department', 'location',
    'owner_user_id', 'owner_team_id', 'business_criticality', 'network_exposure', 'maintenance_group', 'tags', 'supplier', 'description',
    'lifecycle', 'decommissioned_at', 'version', 'created_at', 'updated_at',
  ];
  const rows: unknown[][] = [];
  for (let n = 1; n <= count; n++) {
    const kind = r.weighted(KINDS.map((k) => [k, k.weight] as const));
    const site = kind.office && r.chance(0.85) ? r.pick(OFFICES) : r.pick(DATA_CENTRES);
    const endpoint = kind.systemType === 'laptop' || kind.systemType === 'desktop_workstation';
    const environment = endpoint ? 'production' : r.weighted([['production', 50], ['staging', 15], ['test', 15], ['development', 20]] as const);
    const prod = environment === 'production';
    const os = r.weighted(kind.os);
    const hostname = `${site.code}-${kind.code}-${envCode[environment]}${String(n).padStart(6, '0')}`;
    const fqdn = r.chance(0.9) ? `${hostname}.${site.domain}` : null;
    const ips = [`10.${site.net + (n % 5)}.${Math.floor(n / 250) % 256}.${(n % 250) + 1}`];
    if (!endpoint && r.chance(0.2)) ips.push(`172.16.${r.int(0, 255)}.${r.int(1, 254)}`);
    const exposure =
      kind.systemType === 'web_server' && prod ? r.weighted([['internet_facing', 6], ['internal', 4]] as const)
      : kind.code === 'fw' ? 'internet_facing'
      : r.weighted([['internet_facing', 2], ['internal', 85], ['isolated', 13]] as const);
    const criticality = endpoint
      ? r.weighted([['low', 85], ['medium', 14], ['high', 1]] as const)
      : prod ? r.weighted([['critical', 15], ['high', 35], ['medium', 35], ['low', 15]] as const)
      : r.weighted([['critical', 1], ['high', 9], ['medium', 40], ['low', 50]] as const);
    const tags = new Set<string>();
    if (r.chance(0.8)) tags.add(r.pick(kind.tags));
    if (!endpoint && r.chance(0.12)) tags.add('pci-dss');
    if (prod && criticality === 'critical' && r.chance(0.6)) tags.add('dora-critical');
    if (r.chance(0.15)) tags.add('gdpr');
    if (exposure === 'internet_facing') tags.add('dmz');
    if (r.chance(0.04)) tags.add('legacy');
    // Owners: teams own most servers, people own most endpoints; about 7% nobody has claimed (GOV-4).
    const ownerDraw = r.next();
    const unowned = ownerDraw < 0.07;
    const byUser = !unowned && (endpoint ? ownerDraw < 0.8 : ownerDraw < 0.2);
    const owner_user_id = byUser ? (users[r.int(0, users.length - 1)] as BenchUser).id : null;
    const owner_team_id = !unowned && !byUser ? (teams[Math.floor(r.next() ** 2 * teams.length)] as BenchTeam).id : null;
    const decommissioned = r.chance(0.04);
    const created = now - Math.floor(r.next() * FOUR_YEARS);
    const updated = created + Math.floor(r.next() * (now - created));
    rows.push([
      hostname,
      fqdn,
      ips,
      os.family,
      os.name,
      r.pick(os.versions),
      environment,
      kind.systemType,
      r.chance(0.03) ? null : endpoint || r.chance(0.6) ? r.pick(DEPARTMENTS) : r.pick(['IT Operations', 'Payments', 'Card Issuing', 'Data & Analytics']),
      r.chance(0.02) ? null : site.location,
      owner_user_id,
      owner_team_id,
      criticality,
      exposure,
      endpoint ? `workplace-ring${(n % 3) + 1}` : `${site.code}-${prod ? 'prod' : 'nonprod'}-wave${r.int(1, 3)}`,
      [...tags],
      kind.supplier && r.chance(0.5) ? kind.supplier : null,
      r.chance(0.3) ? `${kind.systemType.replace(/_/g, ' ')} for ${r.pick(DEPARTMENTS)}` : null,
      decommissioned ? 'decommissioned' : 'active',
      decommissioned ? new Date(updated).toISOString() : null,
      r.int(1, 12),
      new Date(created).toISOString(),
      new Date(updated).toISOString(),
    ]);
  }
  await insertBatches(database, 'assets', cols, rows, { ip_addresses: 'text[]', tags: 'text[]', created_at: 'timestamptz', updated_at: 'timestamptz', decommissioned_at: 'timestamptz' });
  return { assets: count, users, teams };
}
