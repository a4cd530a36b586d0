import { z } from 'zod';
import { text } from '../text.js';

/**
 * An asset's installed software as a collector reports it (INV-2): the
 * distribution release and every package with its source package. One
 * definition feeds validation, the API document and the agent.
 */
const pkgName = z.string().min(1).max(200).regex(/^[a-z0-9][a-z0-9+.\-_:@/]*$/i, 'must be a package name');
const version = text(200).min(1, 'must not be empty');

export const inventoryPackageSchema = z.strictObject({
  name: pkgName,
  version,
  arch: z.string().max(32).regex(/^[a-z0-9_-]*$/i, 'must be an architecture name').default(''),
  sourceName: pkgName.optional().describe('Source package (dpkg Source field); defaults to the package name'),
  sourceVersion: version.optional().describe('Source version when it differs from the binary version (binNMU)'),
});
export type InventoryPackage = z.infer<typeof inventoryPackageSchema>;

export const MAX_INVENTORY_PACKAGES = 50_000;

export const inventorySchema = z.strictObject({
  ecosystem: z.enum(['deb']).default('deb').describe('Package manager; more arrive with the agent (rpm, apk)'),
  distro: z.string().max(64).regex(/^[a-z0-9._-]+$/, 'must be a distribution id like debian').default('debian'),
  release: z.string().min(1).max(64).regex(/^[a-z0-9._-]+$/, 'must be a release codename like bookworm'),
  source: z.string().max(64).default('upload').describe('Who collected it: upload, agent, ssh, sbom…'),
  packages: z.array(inventoryPackageSchema).max(MAX_INVENTORY_PACKAGES, `at most ${MAX_INVENTORY_PACKAGES} packages`),
});
export type Inventory = z.infer<typeof inventorySchema>;

/** Stable digest of a package set: unchanged inventories are recognised without a diff. */
export function packageKey(p: { name: string; version: string; arch: string; sourceName?: string; sourceVersion?: string }): string {
  return `${p.name}\t${p.arch}\t${p.version}\t${p.sourceName ?? p.name}\t${p.sourceVersion ?? p.version}`;
}
