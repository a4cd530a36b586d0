import { cycleForCodename, cycleForVersion, revisionOf, upstreamVersion } from './cycles.js';
import type { EolCycle } from './dataset.js';

/**
 * Which product and cycle an asset's operating system and installed
 * packages are, in endoflife.date's terms. Small explicit tables: a package
 * that is not listed here is not judged.
 */

/** os-release ID (the inventory's `distro`) → product. */
export const DISTRO_PRODUCTS: Readonly<Record<string, string>> = {
  debian: 'debian',
  ubuntu: 'ubuntu',
  rhel: 'rhel',
  redhat: 'rhel',
  rocky: 'rocky-linux',
  almalinux: 'almalinux',
  centos: 'centos',
  alpine: 'alpine-linux',
  amzn: 'amazon-linux',
  fedora: 'fedora',
  sles: 'sles',
  sles_sap: 'sles',
  'opensuse-leap': 'opensuse',
};

/** Free-text OS names of the asset register, first match wins. */
const OS_NAMES: readonly [RegExp, string][] = [
  [/debian/i, 'debian'],
  [/ubuntu/i, 'ubuntu'],
  [/red ?hat enterprise linux|^rhel\b/i, 'rhel'],
  [/rocky/i, 'rocky-linux'],
  [/alma ?linux/i, 'almalinux'],
  [/centos stream/i, 'centos-stream'],
  [/centos/i, 'centos'],
  [/alpine/i, 'alpine-linux'],
  [/amazon linux/i, 'amazon-linux'],
  [/suse linux enterprise|^sles\b/i, 'sles'],
  [/opensuse/i, 'opensuse'],
  [/fedora/i, 'fedora'],
  [/windows server/i, 'windows-server'],
  [/windows/i, 'windows'],
  [/\bios[ -]?xe\b/i, 'cisco-ios-xe'],
  [/\bmac ?os\b|\bos x\b/i, 'macos'],
  [/esxi/i, 'vmware-esxi'],
  [/fortios/i, 'fortios'],
];

/**
 * Installed packages (deb, rpm, apk names) → product. `cycleFrom` takes the
 * cycle from the package name where the name carries it (postgresql-15,
 * openjdk-17-jre, java-1.8.0-openjdk); otherwise the version decides.
 * OpenJDK builds of distributions are judged by Eclipse Temurin's cycles:
 * both follow the OpenJDK updates project, while Oracle's own OpenJDK builds
 * end after six months.
 */
export interface PackageRule {
  product: string;
  /** Every name the rule matches starts with this (no LIKE wildcards): the database narrows by it first. */
  prefix: string;
  names: RegExp;
  cycleFrom?: (m: RegExpExecArray) => string | undefined;
}

export const PACKAGE_RULES: readonly PackageRule[] = [
  { product: 'nginx', prefix: 'nginx', names: /^nginx(-core|-full|-light|-extras)?$/ },
  { product: 'apache-http-server', prefix: 'apache2', names: /^apache2$/ },
  { product: 'apache-http-server', prefix: 'httpd', names: /^httpd$/ },
  { product: 'openssl', prefix: 'openssl', names: /^openssl(-libs|\d+)?$/ },
  { product: 'openssl', prefix: 'libssl', names: /^libssl(1\.1|3|3t64)$/ },
  { product: 'postgresql', prefix: 'postgresql', names: /^postgresql-?(\d+(?:\.\d+)?)(-server)?$/, cycleFrom: (m) => m[1] },
  { product: 'postgresql', prefix: 'postgresql', names: /^postgresql-server$/ },
  { product: 'mysql', prefix: 'mysql', names: /^(mysql-server(-core)?(-\d+\.\d+)?|mysql-community-server|mysql)$/ },
  { product: 'mariadb', prefix: 'mariadb', names: /^(mariadb-server(-core)?(-\d+\.\d+)?|mariadb)$/ },
  { product: 'redis', prefix: 'redis', names: /^(redis-server|redis)$/ },
  { product: 'mongodb', prefix: 'mongodb', names: /^(mongodb-org-server|mongodb-server|mongodb)$/ },
  { product: 'python', prefix: 'python3', names: /^python(3\.\d+)$/, cycleFrom: (m) => m[1] },
  { product: 'python', prefix: 'python3', names: /^python3$/ },
  { product: 'php', prefix: 'php', names: /^php(\d)\.?(\d+)(-fpm|-cli)?$/, cycleFrom: (m) => `${m[1]}.${m[2]}` },
  { product: 'php', prefix: 'php', names: /^php(-fpm|-cli)?$/ },
  { product: 'nodejs', prefix: 'nodejs', names: /^nodejs$/ },
  { product: 'ruby', prefix: 'ruby', names: /^ruby(\d\.\d+)$/, cycleFrom: (m) => m[1] },
  { product: 'ruby', prefix: 'ruby', names: /^ruby$/ },
  { product: 'go', prefix: 'golang-1.', names: /^golang-(1\.\d+)-go$/, cycleFrom: (m) => m[1] },
  { product: 'eclipse-temurin', prefix: 'openjdk', names: /^openjdk-?(\d+)(-jre|-jdk)?(-headless)?$/, cycleFrom: (m) => m[1] },
  { product: 'eclipse-temurin', prefix: 'java-', names: /^java-(\d+)-openjdk(-headless|-devel)?$/, cycleFrom: (m) => m[1] },
  { product: 'eclipse-temurin', prefix: 'java-', names: /^java-1\.(\d+)\.0-openjdk(-headless|-devel)?$/, cycleFrom: (m) => m[1] },
  { product: 'tomcat', prefix: 'tomcat', names: /^tomcat(\d+)?$/ },
  { product: 'docker-engine', prefix: 'docker', names: /^(docker-ce|docker\.io|docker-engine|docker)$/ },
  { product: 'docker-engine', prefix: 'moby-engine', names: /^moby-engine$/ },
  { product: 'elasticsearch', prefix: 'elasticsearch', names: /^elasticsearch$/ },
  { product: 'ansible-core', prefix: 'ansible-core', names: /^ansible-core$/ },
];

/** Package ecosystems of operating systems; language packages (npm, PyPI …) are not judged here. */
export const OS_ECOSYSTEMS = ['deb', 'rpm', 'apk'] as const;

export function ruleFor(ecosystem: string, name: string): { rule: PackageRule; cycleHint?: string } | null {
  if (!(OS_ECOSYSTEMS as readonly string[]).includes(ecosystem)) return null;
  for (const rule of PACKAGE_RULES) {
    if (!name.startsWith(rule.prefix)) continue;
    const m = rule.names.exec(name);
    if (m) return { rule, cycleHint: rule.cycleFrom?.(m) };
  }
  return null;
}

/** The product's cycle for a package: from the name where it carries one, else from the upstream version. */
export function packageCycle(cycles: readonly EolCycle[], version: string, cycleHint?: string): EolCycle | null {
  if (cycleHint) {
    const byName = cycleForVersion(cycles, cycleHint);
    if (byName) return byName;
  }
  return cycleForVersion(cycles, upstreamVersion(version));
}

export interface OsInput {
  /** The inventory's os-release ID and release (codename or VERSION_ID). */
  distro?: string | null;
  release?: string | null;
  /** The asset register's free text. */
  osName?: string | null;
  osVersion?: string | null;
}

export interface OsIdentity {
  product: string;
  cycle: EolCycle | null;
  /** What it was read from, for the user. */
  detectedFrom: string;
}

function windowsServerCycle(cycles: readonly EolCycle[], text: string): EolCycle | null {
  const year = /\b(\d{4})\b/.exec(text)?.[1];
  if (!year) return cycleForVersion(cycles, text.replace(/^.*?server\s*/i, '').trim().toLowerCase());
  const r2 = /\br2\b/i.test(text) ? '-r2' : '';
  const sp = /\bsp\s?(\d)\b/i.exec(text)?.[1];
  const names = [sp ? `${year}${r2}-sp${sp}` : '', `${year}${r2}`, year].filter(Boolean);
  for (const n of names) {
    const c = cycles.find((x) => x.cycle === n);
    if (c) return c;
  }
  return null;
}

function windowsCycle(cycles: readonly EolCycle[], text: string): EolCycle | null {
  const major = /windows\s+(\d+(?:\.\d)?)/i.exec(text)?.[1];
  if (!major) return null;
  const update = /\b(\d{2}h\d|\d{4})\b/i.exec(text)?.[1]?.toLowerCase();
  const edition = /\biot\b/i.test(text) ? 'iot' : /enterprise|education/i.test(text) ? 'e' : 'w';
  const lts = /ltsc|ltsb/i.test(text) ? '-lts' : '';
  const names = update ? [`${major}-${update}-${edition}${lts}`, `${major}-${update}-${edition}`, `${major}-${update}`] : [major];
  for (const n of names) {
    const c = cycles.find((x) => x.cycle === n);
    if (c) return c;
  }
  return null;
}

/**
 * The asset's OS: the inventory's distribution and release when it has one
 * (collected from the host), otherwise the register's OS name and version.
 * Null when neither names a known product.
 */
export function identifyOs(products: Readonly<Record<string, readonly EolCycle[]>>, os: OsInput): OsIdentity | null {
  const distro = os.distro?.trim().toLowerCase();
  const release = os.release?.trim().toLowerCase();
  if (distro && release) {
    let product = DISTRO_PRODUCTS[distro];
    // os-release says ID=centos for CentOS Stream too; from 9 on there is only Stream.
    if (product === 'centos' && /^(9|10)(\.|$)/.test(release)) product = 'centos-stream';
    const cycles = product ? products[product] : undefined;
    if (product && cycles) {
      const cycle = cycles.find((c) => c.cycle.toLowerCase() === release) ?? cycleForCodename(cycles, release) ?? cycleForVersion(cycles, release);
      return { product, cycle, detectedFrom: `inventory: ${distro} ${os.release}` };
    }
  }
  const name = os.osName?.trim() ?? '';
  const version = os.osVersion?.trim() ?? '';
  const text = `${name} ${version}`.trim();
  if (!text) return null;
  const product = OS_NAMES.find(([re]) => re.test(name || text))?.[1];
  const cycles = product ? products[product] : undefined;
  if (!product || !cycles) return null;
  const detectedFrom = `asset: ${text}`;
  if (product === 'windows-server') return { product, cycle: windowsServerCycle(cycles, text), detectedFrom };
  if (product === 'windows') return { product, cycle: windowsCycle(cycles, text), detectedFrom };
  const numeric = /\d+(?:\.\d+)*/.exec(version)?.[0] ?? /\d+(?:\.\d+)*/.exec(name)?.[0];
  const codename = /\(([a-z]+)\)/i.exec(text)?.[1] ?? (/^[a-z]+$/i.test(version) ? version : undefined);
  const cycle = (numeric ? cycleForVersion(cycles, numeric) : null) ?? (codename ? cycleForCodename(cycles, codename) : null);
  return { product, cycle, detectedFrom };
}

/**
 * Whether a package was built by the asset's own distribution release, which
 * then keeps it patched for as long as the release is supported (Debian,
 * Ubuntu, the RHEL family and Alpine backport security fixes). Read from the
 * version's revision: Debian's own "-2" / "-0+deb12u1" (a debNN mark must
 * name this release), Ubuntu's "ubuntu", RPM ".el9" / ".fc40" / ".amzn2023",
 * Alpine's "-r0". Vendor builds (nodesource, PGDG, nginx.org, Docker …) carry
 * their own marks and are judged by the upstream cycle.
 */
export function builtByDistribution(os: { product: string; cycle: string | null }, ecosystem: string, version: string): boolean {
  const rev = revisionOf(version);
  if (!rev || !os.cycle) return false;
  const major = os.cycle.split('.')[0];
  switch (os.product) {
    case 'debian': {
      if (ecosystem !== 'deb') return false;
      const m = /^\d+(?:\.\d+)*(?:[+~]deb(\d+)u\d+)?(?:\+b\d+)?$/.exec(rev);
      return !!m && (m[1] === undefined || m[1] === major);
    }
    case 'ubuntu':
      return ecosystem === 'deb' && (/ubuntu/.test(rev) || /^\d+(?:\.\d+)*(?:\+b\d+)?$/.test(rev));
    case 'rhel':
    case 'rocky-linux':
    case 'almalinux':
    case 'centos':
    case 'centos-stream':
      return ecosystem === 'rpm' && new RegExp(`\\.el${major}(?:[._]|$)`).test(rev);
    case 'fedora':
      return ecosystem === 'rpm' && new RegExp(`\\.fc${major}(?:[._]|$)`).test(rev);
    case 'amazon-linux':
      return ecosystem === 'rpm' && new RegExp(`\\.amzn${major}(?:[._]|$)`).test(rev);
    case 'alpine-linux':
      return ecosystem === 'apk' && /^r\d+$/.test(rev);
    default:
      return false;
  }
}
