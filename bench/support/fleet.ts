import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { compareDpkg } from '../../src/domain/versions/dpkg.js';
import { rng } from './dataset.js';

/**
 * A fleet of simulated Debian 12 hosts built from the real package indexes
 * (`/var/lib/apt/lists/*_Packages`, read through `apt-helper cat-file` since
 * apt may keep them lz4-compressed):
 *  - every host has the base system (Priority required, important and
 *    standard, a kernel, ssh, …) and 1-4 server roles (web, db, mail, …),
 *    each role being its packages plus their Depends, Pre-Depends and
 *    Recommends (first alternative that exists, virtual packages through
 *    their first provider), topped up with a random selection of further
 *    packages (with their dependencies) to a per-host size averaging about
 *    2,300 installed packages;
 *  - each package is at its point-release version (the bookworm list) or,
 *    when bookworm-security has a newer one, at the security-update version;
 *    how many security updates a host has is its "patch level" (some hosts
 *    fully patched, most partly, some at the point release);
 *  - about 1% of hosts' further packages are removed with their
 *    configuration kept (`deinstall ok config-files`), which matchers ignore.
 * Hosts are arrays of variant ids; a variant is one (package, version) with
 * its source package and source version, shared by the whole fleet.
 */
export interface Variant {
  name: string;
  version: string;
  arch: string;
  source: string;
  sourceVersion: string;
  /** 0: point release (bookworm or bookworm-updates), 1: bookworm-security. */
  origin: 0 | 1;
}

export interface Fleet {
  variants: Variant[];
  /** Installed variant ids of host i: hostPkgs.subarray(offsets[i], offsets[i+1]). */
  offsets: Uint32Array;
  hostPkgs: Uint32Array;
  /** Variant ids present on the host in state config-files (not installed). */
  removed: Map<number, number[]>;
  hosts: number;
  roles: string[][];
  lists: { file: string; packages: number }[];
}

interface Entry {
  name: string;
  version: string;
  arch: string;
  source: string;
  sourceVersion: string;
  priority: string;
  deps: string[][];
  provides: string[];
}

const LISTS_DIR = '/var/lib/apt/lists';

function readList(file: string): string {
  return execFileSync('/usr/lib/apt/apt-helper', ['cat-file', file], { maxBuffer: 1024 * 1024 * 1024, encoding: 'utf8' });
}

const SRC_RE = /^(\S+)(?:\s+\((\S+)\))?$/;

function parseRelations(v: string | undefined): string[][] {
  if (!v) return [];
  return v.split(',').map((group) =>
    group
      .split('|')
      .map((alt) => alt.trim().replace(/\s*\(.*?\)/g, '').replace(/\s*\[.*?\]/g, '').replace(/\s*<.*?>/g, '').replace(/:\w+$/, '').trim())
      .filter(Boolean),
  );
}

function parsePackages(text: string): Entry[] {
  const out: Entry[] = [];
  for (const para of text.split('\n\n')) {
    if (!para.trim()) continue;
    const f = new Map<string, string>();
    let last = '';
    for (const line of para.split('\n')) {
      if (line[0] === ' ' || line[0] === '\t') {
        if (last === 'Depends' || last === 'Pre-Depends' || last === 'Recommends' || last === 'Provides') f.set(last, `${f.get(last)} ${line.trim()}`);
        continue;
      }
      const c = line.indexOf(':');
      if (c <= 0) continue;
      last = line.slice(0, c);
      if (last === 'Description' || last === 'Description-md5' || last === 'SHA256' || last === 'Filename' || last === 'Tag') continue;
      f.set(last, line.slice(c + 1).trim());
    }
    const name = f.get('Package');
    const version = f.get('Version');
    if (!name || !version) continue;
    const m = SRC_RE.exec(f.get('Source') ?? name);
    out.push({
      name,
      version,
      arch: f.get('Architecture') ?? 'amd64',
      source: m?.[1] ?? name,
      sourceVersion: m?.[2] ?? version,
      priority: f.get('Priority') ?? 'optional',
      deps: [...parseRelations(f.get('Pre-Depends')), ...parseRelations(f.get('Depends')), ...parseRelations(f.get('Recommends'))],
      provides: parseRelations(f.get('Provides')).flat(),
    });
  }
  return out;
}

/** Server roles: seed packages; each host installs them with their dependency closure. */
export const ROLES: Record<string, string[]> = {
  web: ['nginx', 'apache2', 'libapache2-mod-php', 'php-fpm', 'php-mysql', 'php-pgsql', 'php-curl', 'php-gd', 'php-xml', 'php-mbstring', 'certbot', 'python3-certbot-nginx', 'varnish', 'haproxy'],
  db: ['postgresql', 'postgresql-contrib', 'mariadb-server', 'mariadb-client', 'redis-server', 'pgbackrest', 'sqlite3', 'libpq-dev'],
  mail: ['postfix', 'dovecot-imapd', 'dovecot-pop3d', 'dovecot-lmtpd', 'spamassassin', 'clamav-daemon', 'opendkim', 'amavisd-new', 'roundcube', 'cyrus-sasl2-doc'],
  app: ['openjdk-17-jdk', 'tomcat10', 'maven', 'nodejs', 'npm', 'python3-pip', 'python3-venv', 'python3-django', 'gunicorn', 'ruby-full', 'golang'],
  build: ['build-essential', 'devscripts', 'git', 'cmake', 'autoconf', 'automake', 'libtool', 'pkg-config', 'libssl-dev', 'libxml2-dev', 'libcurl4-openssl-dev', 'python3-dev', 'gdb', 'valgrind', 'clang', 'ccache', 'linux-headers-amd64', 'dpkg-dev', 'debhelper'],
  container: ['docker.io', 'containerd', 'runc', 'podman', 'buildah', 'skopeo', 'docker-compose', 'kubernetes-client', 'golang-github-containers-common'],
  monitoring: ['prometheus', 'prometheus-node-exporter', 'grafana-agent', 'collectd', 'nagios4', 'monitoring-plugins', 'zabbix-agent', 'rsyslog-relp', 'snmpd', 'icinga2'],
  infra: ['bind9', 'isc-dhcp-server', 'samba', 'nfs-kernel-server', 'openvpn', 'wireguard', 'strongswan', 'squid', 'slapd', 'ldap-utils', 'freeradius', 'krb5-kdc', 'dnsmasq', 'cups', 'avahi-daemon'],
  desktop: ['task-xfce-desktop', 'firefox-esr', 'thunderbird', 'libreoffice-writer', 'libreoffice-calc', 'vlc', 'gimp', 'evince', 'network-manager-gnome', 'pulseaudio'],
  kvm: ['qemu-system-x86', 'libvirt-daemon-system', 'virtinst', 'ovmf', 'bridge-utils', 'ceph-common', 'open-iscsi', 'lvm2', 'mdadm', 'multipath-tools'],
};

const BASE_EXTRA = ['linux-image-amd64', 'openssh-server', 'sudo', 'curl', 'wget', 'ca-certificates', 'gnupg', 'rsync', 'vim', 'unattended-upgrades', 'apt-listchanges', 'chrony', 'rsyslog', 'logrotate', 'cron', 'less', 'htop', 'tmux', 'lsof', 'strace', 'tcpdump', 'unzip', 'zstd', 'xz-utils', 'bzip2', 'openssl', 'python3', 'perl', 'bash-completion', 'man-db', 'debsecan'];

export interface FleetOptions {
  hosts: number;
  seed?: number;
  /** Mean installed packages per host (default 2,300). */
  meanPackages?: number;
}

export function buildFleet(opts: FleetOptions): Fleet {
  const seed = opts.seed ?? 2026;
  const mean = opts.meanPackages ?? 2300;
  const files = fs.readdirSync(LISTS_DIR).filter((f) => /_binary-amd64_Packages(\.\w+)?$/.test(f) && /deb\.debian\.org_debian(-security)?_dists_bookworm/.test(f));
  const lists: Fleet['lists'] = [];
  const point = new Map<string, Entry>();
  const security = new Map<string, Entry>();
  for (const file of files.sort()) {
    const entries = parsePackages(readList(path.join(LISTS_DIR, file)));
    lists.push({ file, packages: entries.length });
    const target = file.includes('bookworm-security') ? security : point; // bookworm and bookworm-updates: the point release
    for (const e of entries) {
      const prev = target.get(e.name);
      if (!prev || compareDpkg(e.version, prev.version) > 0) target.set(e.name, e);
    }
  }
  if (!point.size) throw new Error(`no bookworm Packages lists in ${LISTS_DIR}: run apt-get update`);
  // Package names: the point release's, plus security-only ones (new kernel ABI packages).
  const names = [...new Set([...point.keys(), ...security.keys()])].sort();
  const index = new Map(names.map((n, i) => [n, i]));
  const variants: Variant[] = [];
  const pointVariant = new Int32Array(names.length).fill(-1);
  const secVariant = new Int32Array(names.length).fill(-1);
  const meta: Entry[] = [];
  for (const [i, n] of names.entries()) {
    const p = point.get(n);
    const s = security.get(n);
    const base = p ?? (s as Entry);
    meta.push(base);
    if (p) {
      pointVariant[i] = variants.length;
      variants.push({ name: n, version: p.version, arch: p.arch, source: p.source, sourceVersion: p.sourceVersion, origin: 0 });
    }
    // Kernel ABI packages are renamed by updates (linux-headers-6.1.0-37-amd64 → -41-amd64): the newest ABI's package is the update.
    const abi = /-6\.1\.0-(\d+)(-|$)/.exec(n);
    if (p && !s && abi) {
      let best: Entry | undefined;
      for (let k = Number(abi[1]) + 1; k < Number(abi[1]) + 30; k++) best = security.get(n.replace(`-6.1.0-${abi[1]}`, `-6.1.0-${k}`)) ?? best;
      if (best) {
        secVariant[i] = variants.length;
        variants.push({ name: best.name, version: best.version, arch: best.arch, source: best.source, sourceVersion: best.sourceVersion, origin: 1 });
        continue;
      }
    }
    if (s && (!p || compareDpkg(s.version, p.version) > 0)) {
      secVariant[i] = variants.length;
      variants.push({ name: n, version: s.version, arch: s.arch, source: s.source, sourceVersion: s.sourceVersion, origin: 1 });
    }
  }
  const providers = new Map<string, number>();
  for (const [i, e] of meta.entries()) for (const v of e.provides) if (!providers.has(v)) providers.set(v, i);
  const resolve = (alts: string[]): number | undefined => {
    for (const a of alts) {
      const i = index.get(a);
      if (i !== undefined) return i;
    }
    for (const a of alts) {
      const i = providers.get(a);
      if (i !== undefined) return i;
    }
    return undefined;
  };
  const closureCache = new Map<number, Uint32Array>();
  const closure = (roots: number[]): Set<number> => {
    const seen = new Set<number>();
    const stack = [...roots];
    while (stack.length) {
      const i = stack.pop() as number;
      if (seen.has(i)) continue;
      seen.add(i);
      for (const group of (meta[i] as Entry).deps) {
        const d = resolve(group);
        if (d !== undefined && !seen.has(d)) stack.push(d);
      }
    }
    return seen;
  };
  const closureOf = (i: number): Uint32Array => {
    let c = closureCache.get(i);
    if (!c) {
      c = Uint32Array.from(closure([i]));
      closureCache.set(i, c);
    }
    return c;
  };
  const byName = (ns: string[]) => ns.map((n) => index.get(n)).filter((i): i is number => i !== undefined);
  const baseRoots = [...meta.entries()].filter(([, e]) => e.priority === 'required' || e.priority === 'important' || e.priority === 'standard').map(([i]) => i);
  const base = closure([...baseRoots, ...byName(BASE_EXTRA)]);
  const roleNames = Object.keys(ROLES);
  const roleSets = roleNames.map((r) => closure(byName(ROLES[r] as string[])));
  // Top-up candidates: libraries, tools and language modules (not other kernels, not -dbgsym, not firmware).
  const extrasPool = names.map((_, i) => i).filter((i) => point.has(names[i] as string) && !/^(linux-(image|headers)-|firmware-|.*-dbg(sym)?$|.*-doc$)/.test(names[i] as string));

  const r = rng(seed);
  const offsets = new Uint32Array(opts.hosts + 1);
  let hostPkgs = new Uint32Array(Math.max(1024, opts.hosts * Math.ceil(mean * 1.3)));
  let used = 0;
  const removed = new Map<number, number[]>();
  const roles: string[][] = [];
  for (let h = 0; h < opts.hosts; h++) {
    const set = new Set<number>(base);
    const mine: string[] = [];
    const nRoles = r.weighted([[1, 40], [2, 35], [3, 18], [4, 7]] as const);
    while (mine.length < nRoles) {
      const k = r.int(0, roleNames.length - 1);
      const name = roleNames[k] as string;
      if (mine.includes(name)) continue;
      mine.push(name);
      for (const i of roleSets[k] as Set<number>) set.add(i);
    }
    roles.push(mine);
    // Per-host size: normal around the mean (sd 15%), at least what the roles already need.
    const z = Math.sqrt(-2 * Math.log(1 - r.next())) * Math.cos(2 * Math.PI * r.next());
    const want = Math.round(mean * (1 + 0.15 * z));
    let guard = 0;
    while (set.size < want && guard++ < 5000) {
      for (const i of closureOf(extrasPool[r.int(0, extrasPool.length - 1)] as number)) set.add(i);
    }
    // Patch level: the share of available security updates this host has installed.
    const patch = r.weighted([[1, 25], [0.9, 25], [0.6, 25], [0.3, 10], [0, 15]] as const);
    if (used + set.size > hostPkgs.length) {
      const bigger = new Uint32Array(Math.ceil((used + set.size) * 1.5));
      bigger.set(hostPkgs.subarray(0, used));
      hostPkgs = bigger;
    }
    offsets[h] = used;
    const gone: number[] = [];
    for (const i of [...set].sort((a, b) => a - b)) {
      const sv = secVariant[i] as number;
      const pv = pointVariant[i] as number;
      const v = sv >= 0 && (pv < 0 || r.next() < patch) ? sv : pv;
      if (!base.has(i) && r.chance(0.01)) gone.push(v);
      else hostPkgs[used++] = v;
    }
    if (gone.length) removed.set(h, gone);
  }
  offsets[opts.hosts] = used;
  return { variants, offsets, hostPkgs: hostPkgs.subarray(0, used), removed, hosts: opts.hosts, roles, lists };
}

/** Host h as a dpkg status file (Package, Status, Architecture, Source with its version when it differs, Version). */
export function statusFile(fleet: Fleet, h: number): string {
  const out: string[] = [];
  const para = (v: Variant, status: string) => {
    const lines = [`Package: ${v.name}`, `Status: ${status}`, 'Priority: optional', `Architecture: ${v.arch}`];
    if (v.source !== v.name || v.sourceVersion !== v.version) lines.push(`Source: ${v.source}${v.sourceVersion !== v.version ? ` (${v.sourceVersion})` : ''}`);
    lines.push(`Version: ${v.version}`, `Description: ${v.name}`);
    out.push(lines.join('\n'));
  };
  for (const id of fleet.hostPkgs.subarray(fleet.offsets[h], fleet.offsets[h + 1])) para(fleet.variants[id] as Variant, 'install ok installed');
  for (const id of fleet.removed.get(h) ?? []) para(fleet.variants[id] as Variant, 'deinstall ok config-files');
  return `${out.join('\n\n')}\n`;
}

export function hostVariants(fleet: Fleet, h: number): Uint32Array {
  return fleet.hostPkgs.subarray(fleet.offsets[h], fleet.offsets[h + 1]);
}
