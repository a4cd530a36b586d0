/**
 * OSV records (Open Source Vulnerability format, schema 1.7,
 * https://ossf.github.io/osv-schema/): parsing, validation and
 * normalisation. Pure: no I/O.
 *
 * Strict about types, tolerant about absent optional fields; unknown fields
 * are ignored because OSV is extensible. Affected entries of ecosystems we
 * do not match (crates.io, Packagist, entries without a package…) are kept
 * with `ecosystem: null` so that a mixed feed imports; `osvStats` counts them.
 *
 * Releases. Inventories store a host's release as Debian's codename, or
 * otherwise /etc/os-release VERSION_ID; `osvReleaseKey` maps an OSV
 * ecosystem string onto the same key space and `hostReleaseKey` maps a host's
 * VERSION_ID onto it:
 *   Debian:12 → bookworm (DEBIAN_CODENAMES; a number not in the table stays as is)
 *   Ubuntu:22.04:LTS, Ubuntu:Pro:22.04:LTS → 22.04. Pro (ESM) fixes patch the
 *     same packages of the same release, and a host without Pro stays affected
 *     until it takes them, so both streams match an ordinary 22.04 host.
 *   Ubuntu:Pro:FIPS-updates:20.04:LTS, Ubuntu:Pro:22.04:LTS:Realtime:Kernel →
 *     20.04/fips-updates, 22.04/realtime:kernel: separately built package
 *     streams a plain host does not run, so they must not match one.
 *   Alpine:v3.19 → 3.19 (a host's VERSION_ID 3.19.1 maps to 3.19)
 *   AlmaLinux:9, Rocky Linux:9 → 9; Red Hat:enterprise_linux:9::appstream → 9;
 *     other Red Hat streams (rhel_eus:9.2::appstream, …) keep the raw suffix,
 *     because an EUS/AUS z-stream fix is not what a mainline host installs.
 *   npm, PyPI, Maven (also Maven:<repository URL>), Go → '' (no release).
 * RHEL rebuilds share release keys ('9'), so each affected entry also carries
 * `distro` (the os-release ID: debian, ubuntu, alpine, almalinux, rocky, rhel).
 *
 * Dates are normalised to `Date.toISOString()` (millisecond precision).
 * `versions[]` entries are not checked against the ecosystem's grammar:
 * feeds enumerate every published version, including legacy ones (PyPI's
 * pre-PEP 440 releases), and a listed version only ever matches exactly or by
 * ecosystem equality. Range events are checked: SEMVER ranges as SemVer 2.0,
 * ECOSYSTEM ranges by the ecosystem's grammar; `introduced: "0"` and limits
 * containing `*` are special values; GIT ranges hold commit hashes and are
 * kept but never matched.
 */
import { type Ecosystem, parseSemVer, validateVersion } from '../versions/index.js';
import { FeedFormatError } from './kev.js';

export type OsvEventKind = 'introduced' | 'fixed' | 'last_affected' | 'limit';
export type OsvEvent = { introduced: string } | { fixed: string } | { last_affected: string } | { limit: string };
export type OsvRangeType = 'SEMVER' | 'ECOSYSTEM' | 'GIT';

export interface OsvRange {
  type: OsvRangeType;
  repo?: string;
  events: OsvEvent[];
}

export interface OsvSeverity {
  type: string;
  score: string;
}

export interface OsvAffected {
  /** Our ecosystem id; null for ecosystems we do not match (kept, never matched). */
  ecosystem: Ecosystem | null;
  /** os-release ID of the distribution, null for language ecosystems and unknown ones. */
  distro: string | null;
  /** Release key comparable with a host's (see osvReleaseKey); '' for language ecosystems. */
  release: string;
  /** The record's own ecosystem string, e.g. "Ubuntu:Pro:18.04:LTS"; '' when the entry names no package. */
  osvEcosystem: string;
  /** Package name as given (Maven group:artifact; Debian/Ubuntu/Alpine/Alma/Rocky: the source package). */
  package: string;
  purl: string | null;
  ranges: OsvRange[];
  versions: string[];
  severity: OsvSeverity[];
}

export interface OsvRecord {
  id: string;
  aliases: string[];
  related: string[];
  upstream: string[];
  modified: string;
  published: string | null;
  withdrawn: string | null;
  summary: string | null;
  details: string | null;
  severity: OsvSeverity[];
  references: { type: string; url: string }[];
  affected: OsvAffected[];
}

export const OSV_LIMITS = {
  id: 100,
  summary: 1_000,
  details: 50_000,
  packageName: 500,
  versionsPerAffected: 10_000,
  affected: 1_000,
  version: 256,
  text: 10_000,
  list: 10_000,
} as const;

/** Debian release numbers and codenames (distro-info-data debian.csv). */
export const DEBIAN_CODENAMES: Readonly<Record<string, string>> = {
  '7': 'wheezy', '8': 'jessie', '9': 'stretch', '10': 'buster', '11': 'bullseye',
  '12': 'bookworm', '13': 'trixie', '14': 'forky', '15': 'duke',
};

export interface OsvEcosystemInfo {
  ecosystem: Ecosystem | null;
  distro: string | null;
  release: string;
}

const major = (s: string) => /^(\d+)(?:\.\d+)*$/.exec(s)?.[1] ?? s;

function ubuntuRelease(suffix: string): string {
  const parts = suffix.split(':');
  const at = parts.findIndex((p) => /^\d{2}\.\d{2}$/.test(p));
  if (at < 0) return suffix;
  const variant = parts.filter((p, i) => i !== at && p !== 'Pro' && p !== 'LTS' && p !== '').map((p) => p.toLowerCase()).join(':');
  return variant ? `${parts[at]}/${variant}` : (parts[at] as string);
}

function redHatRelease(suffix: string): string {
  const [product, version] = suffix.split(':');
  return product === 'enterprise_linux' && version && /^\d+(\.\d+)*$/.test(version) ? major(version) : suffix;
}

/** What an OSV ecosystem string (`Debian:12`, `PyPI`, `crates.io`…) means for matching. */
export function describeOsvEcosystem(osvEcosystem: string): OsvEcosystemInfo {
  const colon = osvEcosystem.indexOf(':');
  const base = (colon < 0 ? osvEcosystem : osvEcosystem.slice(0, colon)).trim().toLowerCase();
  const suffix = colon < 0 ? '' : osvEcosystem.slice(colon + 1);
  switch (base) {
    case 'debian': return { ecosystem: 'deb', distro: 'debian', release: DEBIAN_CODENAMES[suffix] ?? suffix };
    case 'ubuntu': return { ecosystem: 'deb', distro: 'ubuntu', release: ubuntuRelease(suffix) };
    case 'alpine': return { ecosystem: 'apk', distro: 'alpine', release: suffix.replace(/^v/, '') };
    case 'almalinux': return { ecosystem: 'rpm', distro: 'almalinux', release: major(suffix) };
    case 'rocky linux': return { ecosystem: 'rpm', distro: 'rocky', release: major(suffix) };
    case 'red hat': return { ecosystem: 'rpm', distro: 'rhel', release: redHatRelease(suffix) };
    case 'npm': return { ecosystem: 'npm', distro: null, release: '' };
    case 'pypi': return { ecosystem: 'pypi', distro: null, release: '' };
    case 'maven': return { ecosystem: 'maven', distro: null, release: '' };
    case 'go': return { ecosystem: 'go', distro: null, release: '' };
    default: return { ecosystem: null, distro: null, release: suffix };
  }
}

/** The release key of an OSV ecosystem string (see the module comment). */
export function osvReleaseKey(osvEcosystem: string): string {
  return describeOsvEcosystem(osvEcosystem).release;
}

/** A host's release (os-release ID and VERSION_ID, or a Debian codename) as an OSV release key. */
export function hostReleaseKey(distro: string, release: string): string {
  const d = distro.trim().toLowerCase();
  const r = release.trim();
  if (d === 'debian') return /^\d+(\.\d+)*$/.test(r) ? (DEBIAN_CODENAMES[major(r)] ?? r) : r;
  if (d === 'alpine') return /^(\d+\.\d+)(?:\.\d+)*$/.exec(r)?.[1] ?? r;
  if (d === 'rhel' || d === 'almalinux' || d === 'rocky') return major(r);
  return r;
}

const isObject = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);
const show = (v: unknown) => {
  const s = JSON.stringify(v) ?? String(v);
  return s.length > 60 ? `${s.slice(0, 57)}…` : s;
};

/** C0/C1 control characters (and, for identifiers, whitespace) make ids and names unusable as keys. */
function badChar(s: string, identifier: boolean): number {
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (c < 0x20 || (c >= 0x7f && c <= 0x9f) || (identifier && c === 0x20)) return c;
  }
  return -1;
}

type At = (path: string) => string;
type Opt = { max: number; kind?: 'identifier' | 'name' | 'text' };

function text(v: unknown, place: string, { max, kind = 'text' }: Opt): string {
  if (typeof v !== 'string') throw new FeedFormatError(place, `expected a string, got ${show(v)}`);
  if (kind !== 'text' && v === '') throw new FeedFormatError(place, 'is empty');
  if (v.length > max) throw new FeedFormatError(place, `is longer than ${max} characters`);
  // Text may hold newlines and tabs, but never NUL, which PostgreSQL text cannot store.
  const c = kind === 'text' ? (v.includes('\u0000') ? 0 : -1) : badChar(v, kind === 'identifier');
  if (c >= 0) throw new FeedFormatError(place, c === 0x20 ? 'contains a space' : `contains the control character U+${c.toString(16).toUpperCase().padStart(4, '0')}`);
  return v;
}

const optText = (v: unknown, place: string, o: Opt) => (v === undefined || v === null ? null : text(v, place, o));

function list<T>(v: unknown, place: string, max: number, item: (x: unknown, place: string) => T): T[] {
  if (v === undefined || v === null) return [];
  if (!Array.isArray(v)) throw new FeedFormatError(place, `expected an array, got ${show(v)}`);
  if (v.length > max) throw new FeedFormatError(place, `holds ${v.length} entries, more than ${max}`);
  return v.map((x, i) => item(x, `${place}[${i}]`));
}

const RFC3339 = /^\d{4}-\d{2}-\d{2}[Tt ]\d{2}:\d{2}:\d{2}(?:\.\d+)?(?:[Zz]|[+-]\d{2}:\d{2})$/;
function date(v: unknown, place: string): string {
  const s = text(v, place, { max: 64 });
  const t = Date.parse(s);
  if (!RFC3339.test(s) || Number.isNaN(t)) throw new FeedFormatError(place, `expected an RFC 3339 date and time such as 2024-05-01T12:00:00Z, got ${show(s)}`);
  return new Date(t).toISOString();
}

const ids = (v: unknown, place: string) => list(v, place, OSV_LIMITS.list, (x, p) => text(x, p, { max: OSV_LIMITS.id, kind: 'identifier' }));
const severities = (v: unknown, place: string) =>
  list(v, place, OSV_LIMITS.list, (x, p) => {
    if (!isObject(x)) throw new FeedFormatError(p, 'expected an object with "type" and "score"');
    return { type: text(x.type, `${p}.type`, { max: 100, kind: 'name' }), score: text(x.score, `${p}.score`, { max: 1_000, kind: 'name' }) };
  });

const EVENT_KINDS: readonly OsvEventKind[] = ['introduced', 'fixed', 'last_affected', 'limit'];
const RANGE_TYPES: readonly string[] = ['SEMVER', 'ECOSYSTEM', 'GIT'];

function checkVersion(v: string, kind: OsvEventKind, type: OsvRangeType, ecosystem: Ecosystem | null, place: string) {
  if ((kind === 'introduced' && v === '0') || (kind === 'limit' && v.includes('*'))) return;
  if (type === 'GIT' || ecosystem === null) return;
  try {
    if (type === 'SEMVER') parseSemVer(v);
    else validateVersion(ecosystem, v);
  } catch (e) {
    throw new FeedFormatError(place, `${type === 'SEMVER' ? 'not a SemVer 2.0 version' : `not a valid ${ecosystem} version`}: ${e instanceof Error ? e.message : String(e)}`);
  }
}

function parseRange(r: unknown, place: string, ecosystem: Ecosystem | null): OsvRange {
  if (!isObject(r)) throw new FeedFormatError(place, 'expected an object with "type" and "events"');
  const type = r.type;
  if (typeof type !== 'string' || !RANGE_TYPES.includes(type)) throw new FeedFormatError(`${place}.type`, `expected SEMVER, ECOSYSTEM or GIT, got ${show(type)}`);
  const t = type as OsvRangeType;
  if (!Array.isArray(r.events) || r.events.length === 0) throw new FeedFormatError(`${place}.events`, 'expected a non-empty array of events');
  const events = list(r.events, `${place}.events`, OSV_LIMITS.list, (e, p): OsvEvent => {
    if (!isObject(e)) throw new FeedFormatError(p, 'expected an object with one of introduced, fixed, last_affected, limit');
    const kinds = EVENT_KINDS.filter((k) => e[k] !== undefined);
    if (kinds.length !== 1) throw new FeedFormatError(p, `an event holds exactly one of introduced, fixed, last_affected, limit; found ${kinds.length ? kinds.join(' and ') : 'none'}`);
    const kind = kinds[0] as OsvEventKind;
    const v = text(e[kind], `${p}.${kind}`, { max: OSV_LIMITS.version, kind: 'name' });
    checkVersion(v, kind, t, ecosystem, `${p}.${kind}`);
    return { [kind]: v } as OsvEvent;
  });
  if (!events.some((e) => 'introduced' in e)) throw new FeedFormatError(`${place}.events`, 'a range needs at least one "introduced" event');
  const out: OsvRange = { type: t, events };
  if (r.repo !== undefined && r.repo !== null) out.repo = text(r.repo, `${place}.repo`, { max: 2_000, kind: 'name' });
  return out;
}

function parseAffected(a: unknown, place: string): OsvAffected {
  if (!isObject(a)) throw new FeedFormatError(place, 'expected an object');
  let osvEcosystem = '';
  let name = '';
  let purl: string | null = null;
  if (a.package !== undefined && a.package !== null) {
    const p = a.package;
    if (!isObject(p)) throw new FeedFormatError(`${place}.package`, 'expected an object with "ecosystem" and "name"');
    osvEcosystem = text(p.ecosystem, `${place}.package.ecosystem`, { max: 200, kind: 'name' });
    name = text(p.name, `${place}.package.name`, { max: OSV_LIMITS.packageName, kind: 'name' });
    purl = optText(p.purl, `${place}.package.purl`, { max: 2_000, kind: 'name' });
  }
  const info: OsvEcosystemInfo = osvEcosystem ? describeOsvEcosystem(osvEcosystem) : { ecosystem: null, distro: null, release: '' };
  if (info.ecosystem === 'maven' && !/^[^:]+:[^:]+$/.test(name)) throw new FeedFormatError(`${place}.package.name`, `a Maven package is named groupId:artifactId, got ${show(name)}`);
  return {
    ...info,
    osvEcosystem,
    package: name,
    purl,
    ranges: list(a.ranges, `${place}.ranges`, OSV_LIMITS.list, (r, p) => parseRange(r, p, info.ecosystem)),
    versions: list(a.versions, `${place}.versions`, OSV_LIMITS.versionsPerAffected, (v, p) => text(v, p, { max: OSV_LIMITS.version, kind: 'name' })),
    severity: severities(a.severity, `${place}.severity`),
  };
}

/**
 * Validates and normalises one OSV record. Every problem throws a
 * FeedFormatError naming the record id and the JSON path, prefixed with
 * `where` (a file name, an array index) when given.
 */
export function parseOsvRecord(doc: unknown, where?: string): OsvRecord {
  const head = where ? `${where}: ` : '';
  if (!isObject(doc)) throw new FeedFormatError(where ?? 'record', 'expected an OSV record (a JSON object with "id" and "modified")');
  const id = text(doc.id, `${where ?? 'record'}/id`, { max: OSV_LIMITS.id, kind: 'identifier' });
  const at: At = (path) => `${head}${id}/${path}`;
  return {
    id,
    aliases: ids(doc.aliases, at('aliases')),
    related: ids(doc.related, at('related')),
    upstream: ids(doc.upstream, at('upstream')),
    modified: date(doc.modified, at('modified')),
    published: doc.published === undefined || doc.published === null ? null : date(doc.published, at('published')),
    withdrawn: doc.withdrawn === undefined || doc.withdrawn === null ? null : date(doc.withdrawn, at('withdrawn')),
    summary: optText(doc.summary, at('summary'), { max: OSV_LIMITS.summary }),
    details: optText(doc.details, at('details'), { max: OSV_LIMITS.details }),
    severity: severities(doc.severity, at('severity')),
    references: list(doc.references, at('references'), OSV_LIMITS.list, (x, p) => {
      if (!isObject(x)) throw new FeedFormatError(p, 'expected an object with "type" and "url"');
      return { type: text(x.type, `${p}.type`, { max: 100, kind: 'name' }), url: text(x.url, `${p}.url`, { max: OSV_LIMITS.text, kind: 'name' }) };
    }),
    affected: list(doc.affected, at('affected'), OSV_LIMITS.affected, (a, p) => parseAffected(a, p)),
  };
}

export interface OsvStats {
  records: number;
  withdrawn: number;
  affected: number;
  /** Affected entries of an ecosystem we match. */
  matchable: number;
  /** Affected entries we keep but do not match, by OSV ecosystem name ('' = no package). */
  unknownEcosystems: Record<string, number>;
}

export function osvStats(records: readonly OsvRecord[]): OsvStats {
  const s: OsvStats = { records: records.length, withdrawn: 0, affected: 0, matchable: 0, unknownEcosystems: {} };
  for (const r of records) {
    if (r.withdrawn) s.withdrawn++;
    for (const a of r.affected) {
      s.affected++;
      if (a.ecosystem) s.matchable++;
      else {
        const base = a.osvEcosystem.split(':')[0] as string;
        s.unknownEcosystems[base] = (s.unknownEcosystems[base] ?? 0) + 1;
      }
    }
  }
  return s;
}

/** Checks that ids are unique across a set of records; `where(i)` names record i. */
function assertUniqueIds(records: readonly OsvRecord[], where: (i: number) => string): void {
  const seen = new Map<string, number>();
  records.forEach((r, i) => {
    const first = seen.get(r.id);
    if (first !== undefined) throw new FeedFormatError(`${where(i)}: ${r.id}/id`, `${r.id} appears twice (also in ${where(first)})`);
    seen.set(r.id, i);
  });
}

/** A single record or an array of records (the body of a `GET /v1/vulns/{id}` or a JSON dump). */
export function parseOsvDocument(doc: unknown): { records: OsvRecord[]; stats: OsvStats } {
  const records = Array.isArray(doc) ? doc.map((d, i) => parseOsvRecord(d, `[${i}]`)) : [parseOsvRecord(doc)];
  assertUniqueIds(records, (i) => `[${i}]`);
  return { records, stats: osvStats(records) };
}
