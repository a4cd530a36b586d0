import { PackageURL } from 'packageurl-js';

/**
 * The package URL a VEX statement names its product by (issue #5 §5). A
 * package stored with the purl it was reported under keeps it; one the
 * inventory named by ecosystem, name and version gets one built here, so a
 * consumer of the VEX document (a scanner, an SBOM tool) recognises the
 * package it sees.
 */
export interface PackageRef {
  ecosystem: string | null;
  name: string;
  version: string | null;
  arch?: string | null;
  purl?: string | null;
}

const TYPES: Record<string, string> = {
  deb: 'deb', rpm: 'rpm', apk: 'apk', npm: 'npm', pypi: 'pypi', maven: 'maven', go: 'golang', cargo: 'cargo', nuget: 'nuget', gem: 'gem', composer: 'composer',
};

/** Distribution packages carry the distribution as namespace (purl-spec PURL-TYPES); these are the defaults when the host's is unknown. */
const DEFAULT_VENDOR: Record<string, string | undefined> = { deb: 'debian', apk: 'alpine' };
/** os-release ids whose purl vendor is spelt differently. */
const VENDOR_OF_DISTRO: Record<string, string> = { rhel: 'redhat' };
const VENDOR_RE = /^[a-z0-9][a-z0-9._-]{0,62}$/;

/** Splits the name the advisories use back into purl namespace and name (maven group:artifact, npm @scope/name, go module paths). */
function split(type: string, name: string): [string | undefined, string] {
  const cut = (sep: string): [string | undefined, string] => {
    const i = name.lastIndexOf(sep);
    return i > 0 && i < name.length - 1 ? [name.slice(0, i), name.slice(i + 1)] : [undefined, name];
  };
  if (type === 'maven') return cut(':');
  if (type === 'npm') return name.startsWith('@') ? cut('/') : [undefined, name];
  if (type === 'golang' || type === 'composer') return cut('/');
  return [undefined, name];
}

/**
 * `pkg:<type>/<namespace>/<name>@<version>?arch=…`: deb → pkg:deb/debian/…, rpm with its epoch as
 * the epoch qualifier (the purl convention), an unknown ecosystem → pkg:generic. `distro` is the
 * host's os-release id, the vendor of its distribution packages.
 */
export function purlOf(p: PackageRef, distro?: string | null): string {
  if (p.purl) return p.purl;
  const eco = (p.ecosystem ?? '').toLowerCase();
  const type = TYPES[eco] ?? 'generic';
  const [namespace, name] = split(type, p.name);
  let version = p.version ?? undefined;
  const qualifiers: Record<string, string> = {};
  if (p.arch) qualifiers.arch = p.arch;
  if (type === 'rpm' && version) {
    const m = /^(\d+):(.+)$/.exec(version);
    if (m) {
      qualifiers.epoch = m[1] as string;
      version = m[2];
    }
  }
  let vendor = namespace;
  if (type === 'deb' || type === 'rpm' || type === 'apk') {
    const d = distro?.trim().toLowerCase();
    const fromHost = d ? (VENDOR_OF_DISTRO[d] ?? d) : undefined;
    vendor = fromHost && VENDOR_RE.test(fromHost) ? fromHost : DEFAULT_VENDOR[type];
  }
  try {
    return new PackageURL(type, vendor, name, version, Object.keys(qualifiers).length ? qualifiers : undefined, undefined).toString();
  } catch {
    // The name does not fit the type's rules (a Maven artifact without its group): still a product, as a generic package.
    return new PackageURL('generic', undefined, p.name, p.version ?? undefined, p.arch ? { arch: p.arch } : undefined, undefined).toString();
  }
}
