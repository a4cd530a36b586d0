import fs from 'node:fs';
import path from 'node:path';
import { parseDebianTracker } from '../../domain/feeds/debian-tracker.js';
import { FeedFormatError } from '../../domain/feeds/kev.js';
import { type OsvRecord, parseOsvDocument } from '../../domain/feeds/osv.js';
import { parseOsvArchive } from '../../domain/feeds/osv-archive.js';
import { OsvAdvisoryIndex, osvAdvisories } from '../../domain/matching/osv.js';
import { vulnerabilitiesOf } from '../feeds/osv.js';
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

/** A Debian tracker finding, or an OSV one (advisory.feed 'osv', rule in_range/listed_version, the OSV id as advisory id). */
export type ScanFinding = Omit<PackageFinding, 'rule' | 'advisory'> & {
  rule: PackageFinding['rule'] | 'in_range' | 'listed_version';
  advisory: { feed: 'debian' | 'osv'; release: string; source: string; id: number | string | null };
};

export interface OfflineScanResult {
  release: string;
  packages: number;
  findings: ScanFinding[];
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
  const osv = loadOsv(feedPath);
  if (osv) return scanWithOsv(packages, osv, input.release ?? localCodename());
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

const MAX_OSV_FILES = 500_000;

/** OSV records when the feed is a directory of OSV JSON files or a file holding OSV records; null for a tracker export. */
function loadOsv(feedPath: string): OsvRecord[] | null {
  let st: fs.Stats;
  try {
    st = fs.statSync(feedPath);
  } catch {
    throw new BadRequestError(`feed ${feedPath} does not exist`);
  }
  try {
    if (st.isDirectory()) {
      const names = fs.readdirSync(feedPath).filter((n) => n.endsWith('.json')).sort();
      if (names.length === 0) throw new BadRequestError(`feed directory ${feedPath} holds no .json files`);
      if (names.length > MAX_OSV_FILES) throw new BadRequestError(`feed directory ${feedPath} holds more than ${MAX_OSV_FILES} files`);
      return parseOsvArchive(names.map((name) => ({ name, text: readText(path.join(feedPath, name), 'OSV file') }))).records;
    }
    const doc = loadFeed(feedPath);
    const looksOsv = (d: unknown) => typeof d === 'object' && d !== null && 'id' in d && 'modified' in d;
    if (Array.isArray(doc) ? doc.length > 0 && doc.every(looksOsv) : looksOsv(doc)) return parseOsvDocument(doc).records;
    return null;
  } catch (err) {
    if (err instanceof FeedFormatError) throw new BadRequestError(`feed ${feedPath}: ${err.message}`);
    throw err;
  }
}

function scanWithOsv(packages: ReturnType<typeof parseDpkgStatus>, records: OsvRecord[], release: string | undefined): OfflineScanResult {
  if (!release) throw new BadRequestError('choose the Debian release of the host with --release (this machine names none)');
  const canonical = new Map(records.map((r) => [r.id, vulnerabilitiesOf(r)]));
  const index = new OsvAdvisoryIndex(records.flatMap(osvAdvisories));
  const skipped: OfflineScanResult['skipped'] = [];
  const findings: ScanFinding[] = [];
  let n = 0;
  for (const p of packages) {
    if (p.state !== 'installed') continue;
    n++;
    let found: ReturnType<OsvAdvisoryIndex['affecting']>;
    try {
      found = index.affecting({ ecosystem: 'deb', distro: 'debian', release, name: p.name, version: p.version, sourceName: p.source, sourceVersion: p.sourceVersion }, compareDpkg);
    } catch (err) {
      skipped.push({ package: p.name, version: p.sourceVersion, reason: (err as Error).message });
      continue;
    }
    const seen = new Set<string>();
    for (const f of found) for (const vulnerability of canonical.get(f.advisory.vulnerability) ?? [f.advisory.vulnerability]) {
      if (seen.has(vulnerability)) continue;
      seen.add(vulnerability);
      findings.push({
        vulnerability, package: p.name, installedVersion: p.version, architecture: p.architecture, sourcePackage: p.source, sourceVersion: p.sourceVersion,
        fixedVersion: f.match.fixedVersion, urgency: null, rule: f.match.rule,
        advisory: { feed: 'osv', release, source: f.matchedName, id: String(f.advisory.id).replace(/\/affected\[\d+\]$/, '') },
      });
    }
  }
  return { release, packages: n, findings, skipped };
}
