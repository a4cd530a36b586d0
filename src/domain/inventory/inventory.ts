import { z } from 'zod';
import { text } from '../text.js';
import { ECOSYSTEMS } from '../versions/index.js';

/**
 * An asset's installed software as a collector reports it (INV-2): the
 * distribution release and every package with its source package. One
 * definition feeds validation, the API document and the agent.
 */
const pkgName = z.string().min(1).max(500).regex(/^[a-z0-9@][a-z0-9+.\-_:@/~]*$/i, 'must be a package name');
const ecosystem = z.enum(ECOSYSTEMS);
const version = text(200).min(1, 'must not be empty');

export const inventoryPackageSchema = z.strictObject({
  name: pkgName,
  version,
  arch: z.string().max(32).regex(/^[a-z0-9_-]*$/i, 'must be an architecture name').default(''),
  sourceName: pkgName.optional().describe('Source package (dpkg Source field); defaults to the package name'),
  sourceVersion: version.optional().describe('Source version when it differs from the binary version (binNMU)'),
  ecosystem: ecosystem.optional().describe("The package's ecosystem when it is not the inventory's (an npm, PyPI, Maven or Go package on a Debian host)"),
  purl: z.string().max(1000).regex(/^pkg:[a-z][a-z0-9.+-]*\/\S+$/i, 'must be a package URL (pkg:type/…)').optional().describe('Package URL, e.g. from an SBOM'),
});
export type InventoryPackage = z.infer<typeof inventoryPackageSchema>;

export const MAX_INVENTORY_PACKAGES = 50_000;

export const inventorySchema = z.strictObject({
  ecosystem: ecosystem.default('deb').describe('The operating system\'s package manager (deb, rpm, apk); the default ecosystem of the packages'),
  distro: z.string().max(64).regex(/^[a-z0-9._-]+$/, 'must be a distribution id like debian').default('debian').describe('os-release ID: debian, ubuntu, alpine, rhel, rocky, almalinux…'),
  release: z.string().min(1).max(64).regex(/^[a-z0-9._-]+$/, 'must be a release codename like bookworm').describe('Debian/Ubuntu codename or os-release VERSION_ID (22.04, 3.19, 9)'),
  source: z.string().max(64).default('upload').describe('Who collected it: upload, agent, ssh, sbom…'),
  packages: z.array(inventoryPackageSchema).max(MAX_INVENTORY_PACKAGES, `at most ${MAX_INVENTORY_PACKAGES} packages`),
});
export type Inventory = z.infer<typeof inventorySchema>;

/** Stable digest of a package set: unchanged inventories are recognised without a diff. */
export function packageKey(p: { name: string; version: string; arch: string; sourceName?: string; sourceVersion?: string; ecosystem?: string }): string {
  const base = `${p.name}\t${p.arch}\t${p.version}\t${p.sourceName ?? p.name}\t${p.sourceVersion ?? p.version}`;
  return p.ecosystem ? `${p.ecosystem}\t${base}` : base;
}
