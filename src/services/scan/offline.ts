import fs from 'node:fs';
import path from 'node:path';
import { parseDebianTracker } from '../../domain/feeds/debian-tracker.js';
import { DpkgStatusError, parseDpkgStatus } from '../../domain/inventory/dpkg-status.js';
import { DebianAdvisoryIndex, type PackageFinding } from '../../domain/matching/debian.js';
import { compareDpkg } from '../../domain/versions/dpkg.js';
import { BadRequestError } from '../../lib/errors.js';

/**
 * One host's findings without a server, like `debsecan --status` or a
 * container scanner: a dpkg status file against a local copy of a feed.
 */
export interface OfflineScanInput {
  dpkgStatusFile: string;
  feed: string;
  /** Distribution release (bookworm, trixie, …); inferred when the feed has one release or the machine's os-release names one. */
  release?: string;
}

export interface OfflineScanResult {
  release: string;
  packages: number;
  findings: PackageFinding[];
  /** Packages left out because their version is not a valid Debian version. */
  skipped: { package: string; version: string; reason: string }[];
}

const MAX_STATUS_BYTES = 256 * 1024 * 1024;

function readText(file: string, what: string): string {
  let st: fs.Stats;
  try {
    st = fs.statSync(file);
  } catch {
    throw new BadRequestError(`${what} ${file} does not exist`);
  }
  if (st.isDirectory()) throw new BadRequestError(`${what} ${file} is a directory, expected a file`);
  if (st.size > MAX_STATUS_BYTES) throw new BadRequestError(`${what} ${file} is larger than ${MAX_STATUS_BYTES} bytes`);
  return fs.readFileSync(file, 'utf8');
}

function loadFeed(file: string): unknown {
  const text = readText(file, 'feed file');
  try {
    return JSON.parse(text);
  } catch (err) {
    throw new BadRequestError(`feed file ${file} is not valid JSON: ${(err as Error).message}`);
  }
}

function localCodename(): string | undefined {
  try {
    const m = /^VERSION_CODENAME=(.+)$/m.exec(fs.readFileSync('/etc/os-release', 'utf8'));
    return m?.[1]?.replace(/^"|"$/g, '');
  } catch {
    return undefined;
  }
}

export function scanDpkgStatus(input: OfflineScanInput): OfflineScanResult {
  const statusText = readText(input.dpkgStatusFile, 'dpkg status file');
  let packages: ReturnType<typeof parseDpkgStatus>;
  try {
    packages = parseDpkgStatus(statusText);
  } catch (err) {
    if (err instanceof DpkgStatusError) throw new BadRequestError(`${input.dpkgStatusFile}: ${err.message}`);
    throw err;
  }
  const feedPath = path.resolve(input.feed);
  const advisories = (() => {
    try {
      return parseDebianTracker(loadFeed(feedPath));
    } catch (err) {
      if (err instanceof BadRequestError) throw err;
      throw new BadRequestError(`feed file ${feedPath} is not a Debian security tracker export: ${(err as Error).message}`);
    }
  })();
  const releases = [...new Set(advisories.map((a) => a.release))];
  const release = input.release ?? (releases.length === 1 ? releases[0] : localCodename());
  if (!release) throw new BadRequestError(`the feed covers several releases (${releases.slice(0, 8).join(', ')}…): choose one with --release`);
  if (!releases.includes(release)) throw new BadRequestError(`the feed has no records for release ${release}; it has ${releases.slice(0, 8).join(', ')}`);
  const index = new DebianAdvisoryIndex(advisories.filter((a) => a.release === release));
  const cache = new Map<string, number>();
  const compare = (a: string, b: string) => {
    const k = `${a}\u0000${b}`;
    let c = cache.get(k);
    if (c === undefined) {
      c = compareDpkg(a, b);
      cache.set(k, c);
    }
    return c;
  };
  const skipped: OfflineScanResult['skipped'] = [];
  const installed = packages.filter((p) => {
    if (p.state !== 'installed') return false;
    try {
      compareDpkg(p.sourceVersion, p.sourceVersion);
      return true;
    } catch (err) {
      skipped.push({ package: p.name, version: p.sourceVersion, reason: (err as Error).message });
      return false;
    }
  });
  return { release, packages: installed.length, findings: index.match(installed, compare), skipped };
}
