/**
 * What is installed on a Linux host, read from its own files: the OS from
 * os-release, the packages from the package database that belongs to the
 * distribution, and the host facts. `root` is `/` for the running host, or
 * the directory of a mounted image or chroot (`patchloop agent --root DIR`).
 *
 * Every package passes the same checks the server applies (the ecosystem's
 * version grammar, the inventory schema); one that fails is listed in
 * `skipped` with the reason instead of disappearing.
 */
import { type Inventory, type InventoryPackage, inventoryPackageSchema, inventorySchema, MAX_INVENTORY_PACKAGES } from '../../domain/inventory/inventory.js';
import { validateVersion } from '../../domain/versions/index.js';
import { APK_DB, collectApk } from './apk.js';
import { collectDpkg } from './dpkg.js';
import { CollectError, collectFacts, type HostFacts, MAX_DB_BYTES, type OsRelease, osFamily, readOsRelease, resolveInRoot } from './facts.js';
import { collectRpm, findRpmDb } from './rpm.js';

export { CollectError, type HostFacts, MAX_DB_BYTES, type OsRelease, parseOsRelease } from './facts.js';

export type DbKind = 'dpkg' | 'rpm' | 'apk';
const ECOSYSTEM_OF = { dpkg: 'deb', rpm: 'rpm', apk: 'apk' } as const;
const KIND_OF = { deb: 'dpkg', rpm: 'rpm', apk: 'apk' } as const;

export interface CollectedPackage {
  name: string;
  version: string;
  arch: string;
  sourceName?: string;
  sourceVersion?: string;
}

export interface SkippedPackage {
  name: string;
  version: string;
  arch: string;
  reason: string;
}

export interface CollectorResult {
  kind: DbKind;
  /** The database file that was read (a host path). */
  file: string;
  packages: CollectedPackage[];
  skipped: SkippedPackage[];
  /** Packages kept with something noteworthy (a source RPM name that could not be parsed). */
  warnings: string[];
}

export interface CollectOptions {
  root?: string;
  /** Upper bound on a package database's size (default 512 MiB). */
  maxBytes?: number;
  /** The rpm program (default `rpm` on PATH). */
  rpmCommand?: string;
}

export interface Collection {
  facts: HostFacts;
  inventory: Inventory;
  database: { kind: DbKind; file: string };
  skipped: SkippedPackage[];
  warnings: string[];
}

/**
 * The release key the matching engine uses (domain/feeds/osv.ts
 * hostReleaseKey): Debian and its derivatives by codename (the security
 * tracker's key), everyone else by VERSION_ID as written (Ubuntu 22.04,
 * Alpine 3.19.1, Rocky 9.4; the engine maps those onto its own keys).
 */
export function releaseOf(osr: OsRelease): string {
  const debianLike = osr.id === 'debian' || (osr.idLike.includes('debian') && osr.id !== 'ubuntu' && !osr.idLike.includes('ubuntu'));
  // Debian 8 and older have no VERSION_CODENAME, only VERSION="8 (jessie)".
  const codename = osr.codename ?? /\(([a-z]+)\)/i.exec(osr.fields['VERSION'] ?? '')?.[1] ?? null;
  const release = (debianLike ? (codename ?? osr.versionId) : (osr.versionId ?? codename))?.toLowerCase();
  if (!release || !/^[a-z0-9._-]{1,64}$/.test(release)) {
    throw new CollectError(`os-release of ${osr.id} names no usable release (VERSION_ID=${JSON.stringify(osr.versionId)}, VERSION_CODENAME=${JSON.stringify(osr.codename)})`);
  }
  return release;
}

/** Which databases exist under the root. */
async function presentDatabases(root: string): Promise<DbKind[]> {
  const found: DbKind[] = [];
  if (await resolveInRoot(root, 'var/lib/dpkg/status')) found.push('dpkg');
  if (await findRpmDb(root)) found.push('rpm');
  if (await resolveInRoot(root, APK_DB)) found.push('apk');
  return found;
}

/** The distribution's own database when it exists, else the only one there is. */
export function chooseDatabase(family: 'deb' | 'rpm' | 'apk' | null, present: readonly DbKind[], root: string): DbKind {
  if (family && present.includes(KIND_OF[family])) return KIND_OF[family];
  if (present.length === 1) return present[0] as DbKind;
  if (!present.length) throw new CollectError(`${root}: no package database found (var/lib/dpkg/status, var/lib/rpm or usr/lib/sysimage/rpm, ${APK_DB})`);
  throw new CollectError(`${root}: the distribution does not say which package database is its own, and there are several: ${present.join(', ')}`);
}

/** Checks one package as the server would: the package as the schema reads it, or why it would be refused. */
function admit(ecosystem: string, p: CollectedPackage): { pkg: InventoryPackage } | { reason: string } {
  for (const [what, v] of [['version', p.version], ['source version', p.sourceVersion]] as const) {
    if (v === undefined) continue;
    try {
      validateVersion(ecosystem, v);
    } catch (e) {
      return { reason: `invalid ${ecosystem} ${what}: ${(e as Error).message}` };
    }
  }
  const r = inventoryPackageSchema.safeParse(p);
  return r.success ? { pkg: r.data } : { reason: r.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`).join('; ') };
}

const byKey = (a: CollectedPackage, b: CollectedPackage) =>
  a.name < b.name ? -1 : a.name > b.name ? 1 : a.arch < b.arch ? -1 : a.arch > b.arch ? 1 : a.version < b.version ? -1 : a.version > b.version ? 1 : 0;

/** Facts and inventory of the host at `root`; throws CollectError (naming the file, line or block) when they cannot be read. */
export async function collectInventory(opts: CollectOptions = {}): Promise<Collection> {
  const root = opts.root ?? '/';
  const maxBytes = opts.maxBytes ?? MAX_DB_BYTES;
  const osr = await readOsRelease(root);
  if (!osr) throw new CollectError(`${root}: no os-release (etc/os-release or usr/lib/os-release)`);
  if (!/^[a-z0-9._-]{1,64}$/.test(osr.id)) throw new CollectError(`${root}: os-release ID ${JSON.stringify(osr.id)} is not a distribution id`);
  const family = osFamily(osr);
  const kind = chooseDatabase(family, await presentDatabases(root), root);
  const release = releaseOf(osr);
  const result =
    kind === 'dpkg' ? await collectDpkg(root, maxBytes) : kind === 'rpm' ? await collectRpm(root, { rpmCommand: opts.rpmCommand, maxBytes }) : await collectApk(root, maxBytes);
  const ecosystem = ECOSYSTEM_OF[kind];
  const warnings = [...result.warnings];
  if (family && KIND_OF[family] !== kind) warnings.push(`${osr.id} normally uses ${KIND_OF[family]}, but only a ${kind} database was found`);
  const packages: InventoryPackage[] = [];
  const skipped = [...result.skipped];
  for (const p of result.packages.sort(byKey)) {
    const a = admit(ecosystem, p);
    if ('pkg' in a) packages.push(a.pkg);
    else skipped.push({ name: p.name, version: p.version, arch: p.arch, reason: a.reason });
  }
  if (packages.length > MAX_INVENTORY_PACKAGES) throw new CollectError(`${result.file}: ${packages.length} packages, more than the ${MAX_INVENTORY_PACKAGES} an inventory may hold`);
  const inventory = inventorySchema.parse({ ecosystem, distro: osr.id, release, source: 'agent', packages });
  return { facts: await collectFacts(root, osr), inventory, database: { kind, file: result.file }, skipped, warnings };
}
