import type { AssetCreate } from '../assets/asset.js';
import type { Role } from '../auth/roles.js';
import { rng } from '../random.js';

/**
 * A realistic sample organisation: a mid-sized EU financial services firm
 * ("Northwind Payments") with data centres, offices and cloud, so a
 * newcomer sees a populated register. Deterministic: the same seed gives
 * the same organisation.
 */
export interface DemoUser {
  username: string;
  displayName: string;
  email: string;
  role: Role;
}
export interface DemoTeam {
  name: string;
  description: string;
  email: string;
  manager: string;
  members: string[];
}
export interface DemoAsset extends Omit<AssetCreate, 'ownerUserId' | 'ownerTeamId'> {
  owner: { type: 'user' | 'team'; name: string } | null;
  decommissioned?: boolean;
}

export const DEMO_TAG = 'demo';

export const DEMO_USERS: DemoUser[] = [
  { username: 'e.schmidt', displayName: 'Eva Schmidt', email: 'eva.schmidt@northwind.example', role: 'security_analyst' },
  { username: 'j.dubois', displayName: 'Julien Dubois', email: 'julien.dubois@northwind.example', role: 'security_analyst' },
  { username: 'm.kowalski', displayName: 'Marta Kowalski', email: 'marta.kowalski@northwind.example', role: 'system_owner' },
  { username: 'l.rossi', displayName: 'Luca Rossi', email: 'luca.rossi@northwind.example', role: 'system_owner' },
  { username: 's.oconnor', displayName: 'Siobhan O\'Connor', email: 'siobhan.oconnor@northwind.example', role: 'system_owner' },
  { username: 'p.jansen', displayName: 'Pieter Jansen', email: 'pieter.jansen@northwind.example', role: 'system_owner' },
  { username: 'a.silva', displayName: 'Ana Silva', email: 'ana.silva@northwind.example', role: 'system_owner' },
  { username: 'k.novak', displayName: 'Karel Novák', email: 'karel.novak@northwind.example', role: 'change_approver' },
  { username: 'h.berg', displayName: 'Helena Berg', email: 'helena.berg@northwind.example', role: 'change_approver' },
  { username: 'r.meyer', displayName: 'Rainer Meyer', email: 'rainer.meyer@northwind.example', role: 'auditor' },
];

export const DEMO_TEAMS: DemoTeam[] = [
  { name: 'Platform Engineering', description: 'Linux estate, web and application tiers', email: 'platform@northwind.example', manager: 'm.kowalski', members: ['m.kowalski', 'l.rossi'] },
  { name: 'Database Services', description: 'PostgreSQL and Oracle clusters', email: 'dba@northwind.example', manager: 'l.rossi', members: ['l.rossi'] },
  { name: 'Network Operations', description: 'Routers, switches, firewalls, load balancers', email: 'netops@northwind.example', manager: 'p.jansen', members: ['p.jansen'] },
  { name: 'Workplace IT', description: 'Desktops, laptops and office infrastructure', email: 'workplace@northwind.example', manager: 's.oconnor', members: ['s.oconnor', 'a.silva'] },
  { name: 'Payments Core', description: 'Card processing and settlement applications', email: 'payments-core@northwind.example', manager: 'a.silva', members: ['a.silva', 'm.kowalski'] },
  { name: 'Security Operations', description: 'SOC, vulnerability management', email: 'soc@northwind.example', manager: 'e.schmidt', members: ['e.schmidt', 'j.dubois'] },
];

const SITES = [
  { code: 'fra', location: 'Frankfurt DC1', domain: 'fra.northwind.example', net: '10.10' },
  { code: 'ams', location: 'Amsterdam DC2', domain: 'ams.northwind.example', net: '10.20' },
  { code: 'aws', location: 'AWS eu-central-1', domain: 'aws.northwind.example', net: '10.30' },
];
const OFFICES = [
  { code: 'hq', location: 'Frankfurt HQ', domain: 'hq.northwind.example', net: '10.100' },
  { code: 'dub', location: 'Dublin Office', domain: 'dub.northwind.example', net: '10.110' },
  { code: 'waw', location: 'Warsaw Office', domain: 'waw.northwind.example', net: '10.120' },
  { code: 'lis', location: 'Lisbon Office', domain: 'lis.northwind.example', net: '10.130' },
];
const DEPARTMENTS = ['Payments', 'Finance', 'Customer Service', 'Risk & Compliance', 'Human Resources', 'Sales', 'IT Operations', 'Marketing'];

type Env = AssetCreate['environment'];
const ENV_MIX: Env[] = ['production', 'production', 'production', 'staging', 'test', 'development'];

export function demoAssets(seed = 2026): DemoAsset[] {
  const r = rng(seed);
  const out: DemoAsset[] = [];
  const ip = (net: string) => `${net}.${r.int(1, 254)}.${r.int(1, 254)}`;
  const usedIps = new Set<string>();
  const uniqueIp = (net: string) => {
    for (;;) {
      const a = ip(net);
      if (!usedIps.has(a)) {
        usedIps.add(a);
        return a;
      }
    }
  };
  const envCode: Record<Env, string> = { production: 'p', staging: 's', test: 't', development: 'd' };

  const server = (
    kind: string,
    count: number,
    make: (i: number, env: Env) => Partial<DemoAsset> & Pick<DemoAsset, 'systemType' | 'osFamily' | 'osName' | 'osVersion'>,
  ) => {
    for (let i = 1; i <= count; i++) {
      const site = r.pick(SITES);
      const env = r.pick(ENV_MIX);
      const host = `${site.code}-${kind}-${envCode[env]}${String(i).padStart(2, '0')}`;
      const base = make(i, env);
      out.push({
        hostname: host,
        fqdn: `${host}.${site.domain}`,
        ipAddresses: [uniqueIp(site.net)],
        environment: env,
        location: site.location,
        department: base.department ?? r.pick(DEPARTMENTS),
        businessCriticality: env === 'production' ? r.pick(['critical', 'high', 'high', 'medium'] as const) : r.pick(['medium', 'low', 'low'] as const),
        networkExposure: 'internal',
        maintenanceGroup: `${site.code}-${env === 'production' ? 'prod' : 'nonprod'}-${r.pick(['wave1', 'wave2', 'wave3'])}`,
        tags: [DEMO_TAG],
        owner: null,
        ...base,
      } as DemoAsset);
    }
  };

  server('web', 60, (i, env) => ({
    systemType: 'web_server',
    osFamily: 'linux',
    ...(i % 3 === 0 ? { osName: 'Ubuntu', osVersion: '22.04' } : { osName: 'Debian GNU/Linux', osVersion: i % 5 === 0 ? '11' : '12' }),
    networkExposure: env === 'production' && i % 2 === 0 ? 'internet_facing' : 'internal',
    department: i % 4 === 0 ? 'Marketing' : 'Payments',
    tags: [DEMO_TAG, i % 2 ? 'nginx' : 'apache', ...(env === 'production' && i % 2 === 0 ? ['dmz', 'waf'] : [])],
    owner: { type: 'team', name: i % 4 === 0 ? 'Platform Engineering' : 'Payments Core' },
  }));
  server('db', 40, (i) => ({
    systemType: 'database',
    osFamily: 'linux',
    ...(i % 4 === 0 ? { osName: 'Red Hat Enterprise Linux', osVersion: '8.10' } : i % 4 === 1 ? { osName: 'Rocky Linux', osVersion: '9.4' } : { osName: 'Debian GNU/Linux', osVersion: '12' }),
    department: i % 3 === 0 ? 'Finance' : 'Payments',
    tags: [DEMO_TAG, i % 4 === 0 ? 'oracle' : 'postgresql', 'pci-dss'],
    owner: { type: 'team', name: 'Database Services' },
  }));
  server('app', 55, (i) => ({
    systemType: 'application_server',
    osFamily: 'linux',
    ...(i % 6 === 0 ? { osName: 'Alpine Linux', osVersion: '3.20' } : i % 2 ? { osName: 'Debian GNU/Linux', osVersion: '12' } : { osName: 'Red Hat Enterprise Linux', osVersion: '9.4' }),
    department: r.pick(['Payments', 'Finance', 'Customer Service', 'Risk & Compliance']),
    tags: [DEMO_TAG, r.pick(['java', 'dotnet', 'python', 'nodejs'])],
    // A few application servers nobody has claimed yet (GOV-4 flags them).
    owner: i % 11 === 0 ? null : i % 3 === 0 ? { type: 'user', name: 'm.kowalski' } : { type: 'team', name: 'Payments Core' },
  }));
  server('k8s', 12, () => ({
    systemType: 'container_host',
    osFamily: 'linux',
    osName: 'Ubuntu',
    osVersion: '24.04',
    department: 'IT Operations',
    tags: [DEMO_TAG, 'kubernetes'],
    owner: { type: 'team', name: 'Platform Engineering' },
  }));
  server('mail', 4, () => ({ systemType: 'mail_server', osFamily: 'linux', osName: 'Debian GNU/Linux', osVersion: '12', department: 'IT Operations', owner: { type: 'team', name: 'Workplace IT' } }));
  server('dc', 6, () => ({ systemType: 'directory_service', osFamily: 'windows', osName: 'Windows Server', osVersion: '2022', department: 'IT Operations', businessCriticality: 'critical', owner: { type: 'team', name: 'Workplace IT' } }));
  server('file', 5, (i) => ({ systemType: 'file_server', osFamily: 'windows', osName: 'Windows Server', osVersion: i === 5 ? '2012 R2' : '2019', department: 'IT Operations', owner: { type: 'team', name: 'Workplace IT' } }));
  server('esx', 8, () => ({ systemType: 'hypervisor', osFamily: 'other', osName: 'VMware ESXi', osVersion: '8.0 U3', department: 'IT Operations', supplier: 'Atos Managed Services', owner: { type: 'team', name: 'Platform Engineering' } }));

  const network = [
    { kind: 'fw', os: 'FortiOS', ver: '7.4.4', vendor: 'Fortinet', exposure: 'internet_facing' as const },
    { kind: 'rtr', os: 'Cisco IOS XE', ver: '17.9.5', vendor: 'Cisco', exposure: 'internet_facing' as const },
    { kind: 'sw', os: 'Junos OS', ver: '22.4R3', vendor: 'Juniper', exposure: 'internal' as const },
    { kind: 'lb', os: 'F5 BIG-IP TMOS', ver: '17.1.1', vendor: 'F5', exposure: 'internet_facing' as const },
  ];
  let n = 0;
  for (const site of [...SITES.slice(0, 2), ...OFFICES]) {
    for (const dev of network) {
      if (dev.kind === 'lb' && !site.code.match(/fra|ams/)) continue;
      for (let i = 1; i <= (dev.kind === 'sw' ? 3 : 1); i++) {
        n++;
        const host = `${site.code}-${dev.kind}-${String(i).padStart(2, '0')}`;
        out.push({
          hostname: host,
          fqdn: `${host}.${site.domain}`,
          ipAddresses: [uniqueIp(site.net)],
          osFamily: 'network_os',
          osName: dev.os,
          osVersion: dev.ver,
          environment: 'production',
          systemType: 'network_hardware',
          department: 'IT Operations',
          location: site.location,
          businessCriticality: dev.kind === 'sw' ? 'high' : 'critical',
          networkExposure: dev.exposure,
          maintenanceGroup: `${site.code}-network`,
          tags: [DEMO_TAG, dev.vendor.toLowerCase()],
          // Office switches are run by the carrier under contract (GOV-5).
          supplier: site.location.includes('Office') && dev.kind === 'sw' ? 'Telekom Managed Network' : null,
          owner: n % 13 === 0 ? null : { type: 'team', name: 'Network Operations' },
        });
      }
    }
  }

  let d = 0;
  for (const office of OFFICES) {
    const count = office.code === 'hq' ? 50 : 25;
    for (let i = 1; i <= count; i++) {
      d++;
      const laptop = i % 3 !== 0;
      const os = d % 9 === 0 ? { osFamily: 'macos' as const, osName: 'macOS', osVersion: '15.1' } : d % 17 === 0 ? { osFamily: 'linux' as const, osName: 'Ubuntu', osVersion: '24.04' } : { osFamily: 'windows' as const, osName: 'Windows 11 Enterprise', osVersion: d % 23 === 0 ? '22H2' : '24H2' };
      const host = `${office.code}-${laptop ? 'nb' : 'ws'}-${String(i).padStart(3, '0')}`;
      out.push({
        hostname: host,
        fqdn: `${host}.${office.domain}`,
        ipAddresses: [uniqueIp(office.net)],
        ...os,
        environment: 'production',
        systemType: laptop ? 'laptop' : 'desktop_workstation',
        department: r.pick(DEPARTMENTS),
        location: office.location,
        businessCriticality: 'low',
        networkExposure: 'internal',
        maintenanceGroup: `workplace-ring${(d % 3) + 1}`,
        tags: [DEMO_TAG, laptop ? 'mobile' : 'fixed'],
        owner: { type: 'team', name: 'Workplace IT' },
      });
    }
  }

  // Some retired hosts: they stay in the register with their history (INV-4).
  for (const a of out.filter((x) => x.systemType === 'web_server').slice(-4)) a.decommissioned = true;
  return out;
}
