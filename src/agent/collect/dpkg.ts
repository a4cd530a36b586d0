/**
 * Installed Debian packages, read from dpkg's database under a root the way
 * `dpkg-query --admindir=ROOT/var/lib/dpkg -W` sees it: the status file, then
 * the records of the updates journal (`updates/NNNN`, written while dpkg runs
 * and folded into the status file only at its checkpoints — an agent that
 * runs during an upgrade must see them). Paragraphs are parsed by the domain's
 * deb822 reader one at a time, so memory stays bounded by the package count.
 */
import { readdir } from 'node:fs/promises';
import { type DpkgPackage, DpkgStatusError, parseDpkgStatus } from '../../domain/inventory/dpkg-status.js';
import { CollectError, MAX_DB_BYTES, readBlocks, resolveInRoot } from './facts.js';
import type { CollectorResult, SkippedPackage } from './index.js';

/** Every record of one deb822 file, with errors naming the file and absolute line. */
export async function readDpkgFile(file: string, maxBytes = MAX_DB_BYTES): Promise<DpkgPackage[]> {
  const out: DpkgPackage[] = [];
  for await (const block of readBlocks(file, maxBytes)) {
    try {
      out.push(...parseDpkgStatus(block.lines.join('\n')));
    } catch (e) {
      if (!(e instanceof DpkgStatusError)) throw e;
      const problem = e.message.replace(/^line \d+: /, '');
      throw new CollectError(`${file}: line ${block.line + e.line - 1}: ${problem}`);
    }
  }
  return out;
}

/**
 * The database after applying journal records in order. dpkg keys a package
 * by name and, for Multi-Arch: same packages, architecture; a record whose
 * architecture matches no instance replaces the only instance of that name
 * (an upgrade that changes amd64 → all), as dpkg's singleton lookup does.
 */
export function applyDpkgUpdates(status: readonly DpkgPackage[], updates: readonly DpkgPackage[]): DpkgPackage[] {
  const db = new Map<string, DpkgPackage>();
  const byName = new Map<string, Set<string>>();
  const key = (p: DpkgPackage) => `${p.name}\u0000${p.architecture ?? ''}`;
  const put = (p: DpkgPackage) => {
    db.set(key(p), p);
    byName.set(p.name, (byName.get(p.name) ?? new Set()).add(key(p)));
  };
  for (const p of status) put(p);
  for (const u of updates) {
    const instances = byName.get(u.name);
    if (!db.has(key(u)) && instances?.size === 1) {
      const [only] = instances as Set<string>;
      db.delete(only as string);
      instances.clear();
    }
    put(u);
  }
  return [...db.values()];
}

/** States in which a package's files are (partly) on disk without dpkg calling it installed. */
const PRESENT_STATES = new Set(['unpacked', 'half-configured', 'half-installed', 'triggers-awaited', 'triggers-pending']);

/**
 * Installed packages (state "installed", the set dpkg-query shows as `ii`/`hi`)
 * as inventory entries. Packages that are only partly installed are reported
 * as skipped so that a broken upgrade is visible; config-files and
 * not-installed records are not software on the host and are left out.
 */
export function dpkgToInventory(pkgs: readonly DpkgPackage[]): Pick<CollectorResult, 'packages' | 'skipped'> {
  const packages: CollectorResult['packages'] = [];
  const skipped: SkippedPackage[] = [];
  for (const p of pkgs) {
    const arch = p.architecture ?? '';
    if (p.state === 'installed') packages.push({ name: p.name, version: p.version, arch, sourceName: p.source, sourceVersion: p.sourceVersion });
    else if (PRESENT_STATES.has(p.state)) skipped.push({ name: p.name, version: p.version, arch, reason: `dpkg state is ${p.state}, not installed` });
  }
  return { packages, skipped };
}

export async function collectDpkg(root: string, maxBytes = MAX_DB_BYTES): Promise<CollectorResult> {
  const file = await resolveInRoot(root, 'var/lib/dpkg/status');
  if (!file) throw new CollectError(`${root}: no dpkg status database (var/lib/dpkg/status)`);
  const status = await readDpkgFile(file, maxBytes);
  const updates: DpkgPackage[] = [];
  const dir = await resolveInRoot(root, 'var/lib/dpkg/updates');
  // dpkg reads only all-digit names ("0000"…; "tmp.i" is a file being written), in name order.
  const names = dir ? (await readdir(dir)).filter((n) => /^\d+$/.test(n)).sort() : [];
  for (const n of names) updates.push(...(await readDpkgFile(`${dir}/${n}`, maxBytes)));
  return { kind: 'dpkg', file, ...dpkgToInventory(applyDpkgUpdates(status, updates)), warnings: [] };
}
