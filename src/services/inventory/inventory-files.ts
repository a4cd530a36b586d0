import { z } from 'zod';
import { packagesFromCycloneDx, packagesFromCycloneDxXml, SbomError } from '../../domain/inventory/cyclonedx.js';
import { softwareChanges } from '../../domain/inventory/changes.js';
import { packagesFromSpdx } from '../../domain/inventory/spdx.js';
import { looksLikeSpdxTagValue, packagesFromSpdxTagValue } from '../../domain/inventory/spdx-tv.js';
import { DpkgStatusError, installedPackages, parseDpkgStatus } from '../../domain/inventory/dpkg-status.js';
import { type Inventory, type InventoryPackage, inventorySchema } from '../../domain/inventory/inventory.js';
import { ECOSYSTEMS } from '../../domain/versions/index.js';
import { ValidationError } from '../../lib/errors.js';
import type { Db } from '../../storage/db.js';
import * as auditRepo from '../../storage/audit.repo.js';
import { authorize, type Ctx } from '../context.js';
import { assetInventory } from '../findings/findings.service.js';
import { type InventorySummary, putInventory } from './inventory.service.js';

/**
 * An inventory from the files people have (INV-2, INV-3): a host's dpkg status
 * file, a CycloneDX SBOM (JSON, XML) or an SPDX one (JSON, tag-value); the
 * format is detected when not given. A file replaces the asset's packages of the
 * ecosystems it covers — dpkg status: the deb packages; an SBOM: every
 * ecosystem it lists — and keeps the others, so an SBOM of an application
 * adds to the operating system's packages instead of wiping them.
 */
export const inventoryFileSchema = z.strictObject({
  format: z
    .enum(['dpkg-status', 'cyclonedx', 'spdx'])
    .optional()
    .describe('dpkg-status: /var/lib/dpkg/status; cyclonedx: a CycloneDX SBOM, JSON or XML; spdx: an SPDX 2.x SBOM, JSON or tag-value (.spdx); default: detected from the content'),
  content: z.string().min(1).max(32 * 1024 * 1024).describe("The file's text"),
  release: inventorySchema.shape.release.optional().describe("The host's release; default: that of its current inventory"),
  distro: inventorySchema.shape.distro.unwrap().optional(),
  ecosystem: z.enum(ECOSYSTEMS).optional().describe("The host's package manager; default: that of its current inventory, else deb"),
  source: z.string().max(64).optional(),
});
export type InventoryFile = z.infer<typeof inventoryFileSchema>;

type FilePackage = Omit<InventoryPackage, 'ecosystem'> & { ecosystem: string };

type Format = NonNullable<InventoryFile['format']>;

/** The format of a file given without one: by its first characters and, for JSON, its top-level marker. */
export function detectFormat(content: string): Format | null {
  const head = content.replace(/^\uFEFF/, '').trimStart();
  if (head.startsWith('<')) return 'cyclonedx';
  if (head.startsWith('{')) {
    const top = head.slice(0, 4096);
    if (/"spdxVersion"\s*:/.test(top)) return 'spdx';
    if (/"bomFormat"\s*:/.test(top)) return 'cyclonedx';
    try {
      const doc = JSON.parse(content) as Record<string, unknown>;
      return 'spdxVersion' in doc ? 'spdx' : 'bomFormat' in doc ? 'cyclonedx' : null;
    } catch {
      return null;
    }
  }
  if (looksLikeSpdxTagValue(head)) return 'spdx';
  if (/^Package\s*:/m.test(head.slice(0, 4096))) return 'dpkg-status';
  return null;
}

const sbomInvalid = (err: SbomError) => new ValidationError('The SBOM is not valid; nothing was stored', [{ field: `body.content ${err.where}`, message: err.message.slice(err.where.length + 2) }]);

function fromFile(given: InventoryFile): { packages: FilePackage[]; covered: Set<string>; skipped: number; format: Format } {
  const format = given.format ?? detectFormat(given.content);
  if (!format) {
    throw new ValidationError('The file type could not be recognised; nothing was stored', [
      { field: 'body.format', message: 'give the format: dpkg-status, cyclonedx (JSON or XML) or spdx (JSON or tag-value)' },
    ]);
  }
  const f = { ...given, format };
  if (f.format === 'spdx' && !f.content.replace(/^\uFEFF/, '').trimStart().startsWith('{')) {
    try {
      const sbom = packagesFromSpdxTagValue(f.content);
      return { packages: sbom.packages, covered: new Set(sbom.packages.map((p) => p.ecosystem)), skipped: sbom.skipped.length, format };
    } catch (err) {
      if (err instanceof SbomError) throw sbomInvalid(err);
      throw err;
    }
  }
  if (f.format === 'dpkg-status') {
    let pkgs: ReturnType<typeof parseDpkgStatus>;
    try {
      pkgs = installedPackages(parseDpkgStatus(f.content));
    } catch (err) {
      if (err instanceof DpkgStatusError) throw new ValidationError('The dpkg status file is not valid; nothing was stored', [{ field: 'body.content', message: err.message }]);
      throw err;
    }
    const packages = pkgs.map((p): FilePackage => ({ ecosystem: 'deb', name: p.name, version: p.version, arch: p.architecture ?? '', sourceName: p.source, sourceVersion: p.sourceVersion }));
    return { packages, covered: new Set(['deb']), skipped: 0, format };
  }
  if (f.format === 'cyclonedx' && f.content.trimStart().startsWith('<')) {
    try {
      const sbom = packagesFromCycloneDxXml(f.content);
      return { packages: sbom.packages, covered: new Set(sbom.packages.map((p) => p.ecosystem)), skipped: sbom.skipped.length, format };
    } catch (err) {
      if (err instanceof SbomError) throw sbomInvalid(err);
      throw err;
    }
  }
  let doc: unknown;
  try {
    doc = JSON.parse(f.content);
  } catch (err) {
    throw new ValidationError('The SBOM is not JSON; nothing was stored', [{ field: 'body.content', message: (err as Error).message }]);
  }
  try {
    const sbom = f.format === 'spdx' ? packagesFromSpdx(doc) : packagesFromCycloneDx(doc);
    return { packages: sbom.packages, covered: new Set(sbom.packages.map((p) => p.ecosystem)), skipped: sbom.skipped.length, format };
  } catch (err) {
    if (err instanceof SbomError) throw sbomInvalid(err);
    throw err;
  }
}

export async function importInventoryFile(db: Db, ctx: Ctx, assetId: string, f: InventoryFile): Promise<InventorySummary & { skipped: number }> {
  const { packages, covered, skipped, format } = fromFile(f);
  const current = await assetInventory(db, ctx, assetId);
  const release = f.release ?? current?.release ?? undefined;
  if (!release) throw new ValidationError('The asset has no inventory yet: give its release', [{ field: 'body.release', message: 'is required for a first inventory' }]);
  const ecosystem = (f.ecosystem ?? (current?.packages[0] ? hostEcosystem(current.packages) : 'deb')) as Inventory['ecosystem'];
  const kept = (current?.packages ?? [])
    .filter((p) => !covered.has(p.ecosystem))
    .map((p) => ({ ecosystem: p.ecosystem, name: p.name, version: p.version, arch: p.arch, sourceName: p.sourceName, sourceVersion: p.sourceVersion }));
  const all = [...kept, ...packages].map(({ ecosystem: e, ...p }) => (e === ecosystem ? p : { ...p, ecosystem: e }));
  const parsed = inventorySchema.safeParse({ ecosystem, distro: f.distro ?? current?.distro ?? undefined, release, source: f.source ?? format, packages: all });
  if (!parsed.success) {
    throw new ValidationError('The file gives packages the inventory cannot hold; nothing was stored', parsed.error.issues.slice(0, 100).map((i) => ({ field: `packages.${i.path.slice(1).join('.')}`, message: i.message })));
  }
  return { ...(await putInventory(db, ctx, assetId, parsed.data)), skipped };
}

/** The operating system's package manager: the distribution ecosystem most packages belong to. */
function hostEcosystem(pkgs: readonly { ecosystem: string }[]): string {
  const n = new Map<string, number>();
  for (const p of pkgs) if (p.ecosystem === 'deb' || p.ecosystem === 'rpm' || p.ecosystem === 'apk') n.set(p.ecosystem, (n.get(p.ecosystem) ?? 0) + 1);
  return [...n].sort((a, b) => b[1] - a[1])[0]?.[0] ?? 'deb';
}

/** Recent software changes of an asset, newest first, from its inventory audit records (INV-2 history). */
export async function softwareHistory(db: Db, ctx: Ctx, assetId: string, limit = 50) {
  authorize(ctx, 'asset:read');
  await assetInventory(db, ctx, assetId); // 404 for an unknown asset
  const records = await auditRepo.listRecords(db, { entityType: 'asset', entityId: assetId, action: 'inventory.update', limit });
  return records.map((r) => {
    const before = (r.before ?? {}) as { removed?: string[]; release?: string };
    const after = (r.after ?? {}) as { added?: string[]; release?: string; source?: string; packages?: number };
    return {
      at: r.occurredAt,
      by: r.actorName,
      source: after.source ?? null,
      packages: after.packages ?? null,
      first: r.before === null,
      release: { from: before.release ?? null, to: after.release ?? null },
      changes: r.before === null ? [] : softwareChanges(before.removed ?? [], after.added ?? []),
    };
  });
}
