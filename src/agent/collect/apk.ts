/**
 * Installed Alpine packages from apk's database, lib/apk/db/installed: one
 * block per package, separated by blank lines, each line `X:value` with a
 * one-letter key (apk-tools src/database.c). We use P (name), V (version),
 * A (architecture) and o (origin: the APKBUILD the package was built from,
 * i.e. the source package, whose version is the same pkgver-pkgrel); the
 * others (C checksum, D depends, F/R file lists, …) are passed over, as apk
 * itself ignores keys it does not know.
 */
import { CollectError, MAX_DB_BYTES, readBlocks, resolveInRoot } from './facts.js';
import type { CollectedPackage, CollectorResult, SkippedPackage } from './index.js';

export const APK_DB = 'lib/apk/db/installed';

/** One package block; `block` is its 1-based position, `line` the line it starts on. Throws CollectError naming both. */
export function parseApkBlock(lines: readonly string[], line: number, block: number, file = APK_DB): CollectedPackage {
  const where = `${file}: package block ${block} (line ${line})`;
  const f = new Map<string, string>();
  for (let i = 0; i < lines.length; i++) {
    const l = (lines[i] as string).replace(/\r$/, '');
    if (!/^[A-Za-z]:/.test(l)) throw new CollectError(`${where}: line ${line + i}: expected "X:value", got ${JSON.stringify(l.slice(0, 60))}`);
    const k = l[0] as string;
    // File lists repeat their keys; the package's own fields appear once.
    if ('PVAo'.includes(k) && f.has(k)) throw new CollectError(`${where}: line ${line + i}: second ${k}: field in one package`);
    f.set(k, l.slice(2));
  }
  const name = f.get('P');
  const version = f.get('V');
  if (!name) throw new CollectError(`${where}: no P: (package name) field`);
  if (!version) throw new CollectError(`${where}: package ${name} has no V: (version) field`);
  return { name, version, arch: f.get('A') ?? '', sourceName: f.get('o') || name, sourceVersion: version };
}

/** Virtual packages (`apk add --virtual .name`) group dependencies; they are not software. */
function split(p: CollectedPackage, packages: CollectedPackage[], skipped: SkippedPackage[]) {
  if (p.name.startsWith('.')) skipped.push({ name: p.name, version: p.version, arch: p.arch, reason: 'virtual package (apk add --virtual)' });
  else packages.push(p);
}

/** Parses a whole database held in memory (tests, small files). */
export function parseApkInstalled(text: string, file = APK_DB): Pick<CollectorResult, 'packages' | 'skipped'> {
  const packages: CollectedPackage[] = [];
  const skipped: SkippedPackage[] = [];
  let block: string[] = [];
  let start = 0;
  let n = 0;
  const lines = text.split('\n');
  for (let i = 0; i <= lines.length; i++) {
    const l = lines[i];
    if (l === undefined || l.trim() === '') {
      if (block.length) split(parseApkBlock(block, start, ++n, file), packages, skipped);
      block = [];
    } else {
      if (!block.length) start = i + 1;
      block.push(l);
    }
  }
  return { packages, skipped };
}

export async function collectApk(root: string, maxBytes = MAX_DB_BYTES): Promise<CollectorResult> {
  const file = await resolveInRoot(root, APK_DB);
  if (!file) throw new CollectError(`${root}: no apk database (${APK_DB})`);
  const packages: CollectedPackage[] = [];
  const skipped: SkippedPackage[] = [];
  let n = 0;
  for await (const b of readBlocks(file, maxBytes)) split(parseApkBlock(b.lines, b.line, ++n, file), packages, skipped);
  return { kind: 'apk', file, packages, skipped, warnings: [] };
}
