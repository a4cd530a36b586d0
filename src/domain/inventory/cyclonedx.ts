import { XMLParser } from 'fast-xml-parser';
import { PackageURL } from 'packageurl-js';
import type { Ecosystem } from '../versions/index.js';
import type { InventoryPackage } from './inventory.js';

/**
 * Installed software from a CycloneDX SBOM (JSON, spec 1.2–1.6): every
 * component with a package URL of an ecosystem the engine matches becomes an
 * inventory package. Names follow the advisories' conventions: Maven
 * `group:artifact`, Go `module/path`, npm `@scope/name`. Components without a
 * purl, or of other types (generic, github, cargo…), are skipped and listed,
 * not refused: an SBOM describes more than the engine can match.
 */
export const PURL_TYPES: Readonly<Record<string, Ecosystem>> = { npm: 'npm', pypi: 'pypi', maven: 'maven', golang: 'go', deb: 'deb', rpm: 'rpm', apk: 'apk' };
const MAX_COMPONENTS = 50_000;

export class SbomError extends Error {
  constructor(
    readonly where: string,
    message: string,
  ) {
    super(`${where}: ${message}`);
    this.name = 'SbomError';
  }
}

export interface SbomPackages {
  packages: (InventoryPackage & { ecosystem: Ecosystem; purl: string })[];
  skipped: { where: string; reason: string }[];
}

const isObject = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);

export function nameOf(ecosystem: Ecosystem, p: PackageURL): string {
  const ns = p.namespace ?? '';
  switch (ecosystem) {
    case 'maven':
      return ns ? `${ns}:${p.name}` : p.name;
    case 'go':
    case 'npm':
      return ns ? `${ns}/${p.name}` : p.name;
    default:
      return p.name;
  }
}

export type SbomPackage = SbomPackages['packages'][number];

/** One package from a package URL (any SBOM format); a type the engine does not match, or no version, is a skip. */
export function packageFromPurl(purl: string, where: string, fallbackVersion?: string): { pkg: SbomPackage } | { skip: string } {
  let p: PackageURL;
  try {
    p = PackageURL.fromString(purl);
  } catch (err) {
    throw new SbomError(where, `${JSON.stringify(purl.slice(0, 80))} is not a package URL: ${(err as Error).message}`);
  }
  const ecosystem = PURL_TYPES[p.type];
  if (!ecosystem) return { skip: `purl type ${p.type} is not matched` };
  const q = (p.qualifiers ?? {}) as Record<string, string>;
  const version = p.version ?? fallbackVersion;
  if (!version) return { skip: 'no version' };
  // rpm carries its epoch as a qualifier; advisories compare epoch:version-release.
  const full = ecosystem === 'rpm' && q.epoch && q.epoch !== '0' ? `${q.epoch}:${version}` : version;
  const arch = (q.arch ?? '').replace(/[^a-z0-9_-]/gi, '');
  const pkg: SbomPackage = { ecosystem, name: nameOf(ecosystem, p), version: full, arch, purl };
  // Debian purls may name the source package (qualifier upstream=name or name@version, as syft writes them).
  if (ecosystem === 'deb' && q.upstream) {
    const [src, srcVersion] = q.upstream.split('@');
    if (src) pkg.sourceName = src;
    if (srcVersion) pkg.sourceVersion = srcVersion;
  }
  return { pkg };
}

export function packagesFromCycloneDx(doc: unknown): SbomPackages {
  if (!isObject(doc) || doc.bomFormat !== 'CycloneDX') throw new SbomError('document', 'is not a CycloneDX JSON document (bomFormat "CycloneDX")');
  const out: SbomPackages = { packages: [], skipped: [] };
  const seen = new Set<string>();
  let count = 0;
  const walk = (list: unknown, where: string) => {
    if (list === undefined) return;
    if (!Array.isArray(list)) throw new SbomError(where, 'must be an array');
    for (const [i, c] of list.entries()) {
      const at = `${where}[${i}]`;
      if (++count > MAX_COMPONENTS) throw new SbomError(where, `more than ${MAX_COMPONENTS} components`);
      if (!isObject(c)) throw new SbomError(at, 'must be an object');
      walk(c.components, `${at}.components`);
      if (c.purl === undefined) {
        out.skipped.push({ where: at, reason: 'no purl' });
        continue;
      }
      if (typeof c.purl !== 'string' || c.purl.length > 1000) throw new SbomError(`${at}.purl`, 'must be a package URL of at most 1,000 characters');
      const r = packageFromPurl(c.purl, `${at}.purl`, typeof c.version === 'string' ? c.version : undefined);
      if ('skip' in r) {
        out.skipped.push({ where: at, reason: r.skip });
        continue;
      }
      const pkg = r.pkg;
      const key = `${pkg.ecosystem}\t${pkg.name}\t${pkg.arch}`;
      if (seen.has(key)) continue; // the same package reached twice (nested components): one inventory entry
      seen.add(key);
      out.packages.push(pkg);
    }
  };
  walk(doc.components, 'components');
  return out;
}

const MAX_XML_CHARS = 64 * 1024 * 1024;

/**
 * A CycloneDX XML SBOM (`<bom xmlns="http://cyclonedx.org/schema/bom/1.x">`) read into the JSON shape,
 * then treated like a JSON one. Entities are not expanded (no entity-expansion or external-entity tricks).
 */
export function packagesFromCycloneDxXml(xml: string): SbomPackages {
  if (xml.length > MAX_XML_CHARS) throw new SbomError('document', `is larger than ${MAX_XML_CHARS} characters`);
  let doc: Record<string, unknown>;
  try {
    doc = new XMLParser({ ignoreAttributes: true, processEntities: false, parseTagValue: false, isArray: (name) => name === 'component' }).parse(xml, true);
  } catch (err) {
    throw new SbomError('document', `is not well-formed XML: ${(err as Error).message}`);
  }
  const bom = doc.bom;
  if (!isObject(bom)) throw new SbomError('document', 'is not a CycloneDX XML document (a <bom> root element)');
  const components = (node: unknown): unknown[] | undefined => {
    if (node === undefined || node === '') return undefined;
    if (!isObject(node)) throw new SbomError('bom/components', 'must hold <component> elements');
    const list = (node.component ?? []) as unknown[];
    return list.map((c) => (isObject(c) ? { name: c.name, version: c.version, purl: c.purl, components: components(c.components) } : c));
  };
  return packagesFromCycloneDx({ bomFormat: 'CycloneDX', components: components(bom.components) });
}
