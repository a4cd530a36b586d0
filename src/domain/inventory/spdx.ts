import { packageFromPurl, SbomError, type SbomPackages } from './cyclonedx.js';

/**
 * Installed software from an SPDX SBOM (JSON, SPDX 2.2/2.3): each package
 * with an external reference of type `purl` (category PACKAGE-MANAGER or
 * PACKAGE_MANAGER) becomes an inventory package, the same way CycloneDX
 * components do. Packages without one are skipped and listed.
 */
const MAX_PACKAGES = 50_000;
const isObject = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);

export function packagesFromSpdx(doc: unknown): SbomPackages {
  if (!isObject(doc) || typeof doc.spdxVersion !== 'string' || !doc.spdxVersion.startsWith('SPDX-')) {
    throw new SbomError('document', 'is not an SPDX JSON document (spdxVersion "SPDX-2.x")');
  }
  const list = doc.packages ?? [];
  if (!Array.isArray(list)) throw new SbomError('packages', 'must be an array');
  if (list.length > MAX_PACKAGES) throw new SbomError('packages', `more than ${MAX_PACKAGES} packages`);
  const out: SbomPackages = { packages: [], skipped: [] };
  const seen = new Set<string>();
  for (const [i, p] of list.entries()) {
    const at = `packages[${i}]`;
    if (!isObject(p)) throw new SbomError(at, 'must be an object');
    const refs = p.externalRefs ?? [];
    if (!Array.isArray(refs)) throw new SbomError(`${at}.externalRefs`, 'must be an array');
    const j = refs.findIndex((r) => isObject(r) && r.referenceType === 'purl');
    if (j < 0) {
      out.skipped.push({ where: at, reason: 'no purl' });
      continue;
    }
    const locator = (refs[j] as Record<string, unknown>).referenceLocator;
    if (typeof locator !== 'string' || locator.length > 1000) throw new SbomError(`${at}.externalRefs[${j}].referenceLocator`, 'must be a package URL of at most 1,000 characters');
    const r = packageFromPurl(locator, `${at}.externalRefs[${j}].referenceLocator`, typeof p.versionInfo === 'string' ? p.versionInfo : undefined);
    if ('skip' in r) {
      out.skipped.push({ where: at, reason: r.skip });
      continue;
    }
    const key = `${r.pkg.ecosystem}\t${r.pkg.name}\t${r.pkg.arch}`;
    if (seen.has(key)) continue;
    seen.add(key);
    out.packages.push(r.pkg);
  }
  return out;
}
