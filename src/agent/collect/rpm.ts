/**
 * Installed RPM packages, read by the real `rpm` program (the database is
 * SQLite, Berkeley DB or NDB depending on the release, and only rpm reads all
 * of them): `rpm --root ROOT --dbpath DB -qa --qf FORMAT`, run without a shell.
 *
 * Versions are `[epoch:]version-release`, the epoch written only when it is
 * set and not 0: rpm's labelCompare treats a missing epoch as 0, so `0:1.0-1`
 * and `1.0-1` are one label, and writing it one way keeps one `packages` row
 * per label (it is also how dnf prints versions). A source RPM's file name
 * (`name-version-release.src.rpm`) carries no epoch; every package built from
 * one spec shares the spec's epoch, so the source version takes the binary's
 * epoch — without it `vim-enhanced 2:8.2-1` would compare as source version
 * `0:8.2-1`, below every fixed version an advisory names with epoch 2.
 */
import { execFile } from 'node:child_process';
import { readdir } from 'node:fs/promises';
import path from 'node:path';
import { promisify } from 'node:util';
import { CollectError, MAX_DB_BYTES, resolveInRoot } from './facts.js';
import type { CollectedPackage, CollectorResult, SkippedPackage } from './index.js';

const run = promisify(execFile);

/** rpm expands \t and \n itself. (none) is what it prints for an unset tag. */
export const RPM_QUERY_FORMAT = '%{NAME}\\t%{EPOCH}\\t%{VERSION}\\t%{RELEASE}\\t%{ARCH}\\t%{SOURCERPM}\\n';

/** Where rpm keeps its database: /usr/lib/sysimage/rpm since Fedora 36 and openSUSE (with /var/lib/rpm a link to it), else /var/lib/rpm. */
const DB_DIRS = ['usr/lib/sysimage/rpm', 'var/lib/rpm'];
const DB_FILES = ['rpmdb.sqlite', 'Packages', 'Packages.db'];

/** The database directory as a path inside the root (what --dbpath takes with --root) and on this host; null when there is none. */
export async function findRpmDb(root: string): Promise<{ dbPath: string; file: string } | null> {
  for (const rel of DB_DIRS) {
    const dir = await resolveInRoot(root, rel);
    if (!dir) continue;
    let names: string[];
    try {
      names = await readdir(dir);
    } catch {
      continue; // not a directory
    }
    const db = DB_FILES.find((f) => names.includes(f));
    if (db) return { dbPath: `/${path.relative(path.resolve(root), dir)}`, file: path.join(dir, db) };
  }
  return null;
}

/** `name-version-release.src.rpm` (or .nosrc.rpm) → its parts; null when it is not such a name. */
export function parseSourceRpm(file: string): { name: string; version: string; release: string } | null {
  const m = /^(.+)-([^-]+)-([^-]+)\.(?:no)?src\.rpm$/.exec(file);
  return m ? { name: m[1] as string, version: m[2] as string, release: m[3] as string } : null;
}

const unset = (v: string) => v === '(none)' || v === '';

/** Parses the output of RPM_QUERY_FORMAT. gpg-pubkey entries are imported signing keys, not software. */
export function parseRpmQuery(out: string): Pick<CollectorResult, 'packages' | 'skipped' | 'warnings'> {
  const packages: CollectedPackage[] = [];
  const skipped: SkippedPackage[] = [];
  const warnings: string[] = [];
  const lines = out.split('\n');
  for (let i = 0; i < lines.length; i++) {
    const line = lines[i] as string;
    if (line === '') continue;
    const f = line.split('\t');
    if (f.length !== 6) throw new CollectError(`rpm -qa output line ${i + 1}: expected 6 tab-separated fields, got ${JSON.stringify(line.slice(0, 120))}`);
    const [name, epoch, version, release, arch, srpm] = f as [string, string, string, string, string, string];
    if (name === 'gpg-pubkey') continue;
    const e = unset(epoch) || epoch === '0' ? '' : `${epoch}:`;
    const evr = `${e}${version}${unset(release) ? '' : `-${release}`}`;
    const p: CollectedPackage = { name, version: evr, arch: unset(arch) ? '' : arch };
    const src = unset(srpm) ? null : parseSourceRpm(srpm);
    if (src) {
      p.sourceName = src.name;
      p.sourceVersion = `${e}${src.version}-${src.release}`;
    } else if (!unset(srpm)) warnings.push(`${name}: source RPM ${JSON.stringify(srpm)} is not name-version-release.src.rpm; matched by its own name`);
    packages.push(p);
  }
  return { packages, skipped, warnings };
}

export async function collectRpm(root: string, opts: { rpmCommand?: string; maxBytes?: number } = {}): Promise<CollectorResult> {
  const cmd = opts.rpmCommand ?? 'rpm';
  const db = await findRpmDb(root);
  if (!db) throw new CollectError(`${root}: no rpm database (${DB_DIRS.map((d) => `${d}/{${DB_FILES.join(',')}}`).join(' or ')})`);
  let stdout: string;
  try {
    ({ stdout } = await run(cmd, ['--root', path.resolve(root), '--dbpath', db.dbPath, '-qa', '--qf', RPM_QUERY_FORMAT], {
      encoding: 'utf8',
      maxBuffer: opts.maxBytes ?? MAX_DB_BYTES,
      env: { ...process.env, LC_ALL: 'C' },
    }));
  } catch (e) {
    const err = e as NodeJS.ErrnoException & { stderr?: string };
    if (err.code === 'ENOENT') throw new CollectError(`${db.file}: reading the rpm database needs the rpm program, and "${cmd}" was not found on PATH (install rpm)`);
    throw new CollectError(`${db.file}: ${cmd} -qa failed: ${(err.stderr || err.message).trim()}`);
  }
  return { kind: 'rpm', file: db.file, ...parseRpmQuery(stdout) };
}
