import { hostReleaseKey, type OsvRange, type OsvRecord } from '../feeds/osv.js';
import { ECOSYSTEM_ALIASES, type Ecosystem, VersionError, comparatorFor, compareSemVer, validateVersion } from '../versions/index.js';

/**
 * Matches installed packages against OSV affected entries, following the
 * schema's evaluation algorithm (https://ossf.github.io/osv-schema/#evaluation):
 * a version is affected when it is listed in `versions` or lies in a range.
 * Within a range the events are sorted by version (`introduced: "0"` first)
 * and walked in order: `introduced` ≤ v makes it vulnerable, `fixed` ≤ v and
 * `last_affected` < v make it not; a range with `limit` events only holds
 * below one of them (`*` = no limit). Events of equal version keep the
 * record's order (stable sort), so `fixed X` followed by `introduced X`
 * reads as "fixed and re-introduced in X". GIT ranges need the repository's
 * commit graph and are skipped. SEMVER ranges compare as SemVer 2.0,
 * ECOSYSTEM ranges with the ecosystem's order.
 *
 * Distribution entries name source packages: a package is looked up under
 * its source name (compared at its source version) and, when nothing is
 * filed under that, under its own name — as debian.ts does.
 *
 * An installed version its ecosystem's grammar rejects throws VersionError:
 * callers decide whether a package they cannot compare is an error.
 */
export type Compare = (a: string, b: string) => number;

export interface OsvRangeExplanation {
  introduced: string;
  fixed: string | null;
  lastAffected: string | null;
}

export type OsvMatch =
  | { affected: true; rule: 'listed_version' | 'in_range'; range: OsvRangeExplanation | null; fixedVersion: string | null }
  | { affected: false };
export type OsvAffectedMatch = Extract<OsvMatch, { affected: true }>;

/** The part of an affected entry the evaluation needs. */
export interface OsvAffectedRanges {
  ecosystem: Ecosystem | null;
  ranges: readonly OsvRange[];
  versions: readonly string[];
}

/** Ecosystems whose OSV entries name source packages. */
const DISTRO_ECOSYSTEMS: ReadonlySet<Ecosystem> = new Set(['deb', 'rpm', 'apk']);
const ecosystemOf = (e: string): Ecosystem | undefined => ECOSYSTEM_ALIASES[e.trim().toLowerCase()];

/** Package names as the ecosystem compares them: PyPI per PEP 503 (case and runs of - _ . are insignificant); others exactly. */
export function normalisePackageName(ecosystem: string, name: string): string {
  return ecosystemOf(ecosystem) === 'pypi' ? name.toLowerCase().replace(/[-_.]+/g, '-') : name;
}

type Kind = 'introduced' | 'fixed' | 'last_affected';
interface CompiledRange {
  compare: Compare;
  events: { kind: Kind; version: string }[];
  /** Empty: no limit. A null entry stands for `*`. */
  limits: (string | null)[];
}
export interface CompiledAffected {
  ecosystem: Ecosystem;
  ranges: CompiledRange[];
  listed: Set<string>;
  /** Listed versions valid in the ecosystem, sorted, for equality in the ecosystem's order (PyPI 1.0 = 1.0.0). */
  sorted: string[];
}

/** Sorts each range once; null for an entry that can never match (unknown ecosystem). */
export function compileOsvAffected(entry: OsvAffectedRanges): CompiledAffected | null {
  const { ecosystem } = entry;
  if (!ecosystem) return null;
  const eco = comparatorFor(ecosystem);
  const ranges: CompiledRange[] = [];
  for (const r of entry.ranges) {
    if (r.type === 'GIT') continue;
    const compare: Compare = r.type === 'SEMVER' ? compareSemVer : eco;
    const events: CompiledRange['events'] = [];
    const limits: (string | null)[] = [];
    for (const e of r.events) {
      if ('limit' in e) limits.push(e.limit.includes('*') ? null : e.limit);
      else if ('introduced' in e) events.push({ kind: 'introduced', version: e.introduced });
      else if ('fixed' in e) events.push({ kind: 'fixed', version: e.fixed });
      else events.push({ kind: 'last_affected', version: e.last_affected });
    }
    const zero = (e: { kind: Kind; version: string }) => e.kind === 'introduced' && e.version === '0';
    events.sort((a, b) => (zero(a) ? (zero(b) ? 0 : -1) : zero(b) ? 1 : compare(a.version, b.version)));
    ranges.push({ compare, events, limits });
  }
  const sorted = entry.versions.filter((v) => {
    try {
      validateVersion(ecosystem, v);
      return true;
    } catch {
      return false;
    }
  });
  sorted.sort(eco);
  return { ecosystem, ranges, listed: new Set(entry.versions), sorted };
}

function inRange(r: CompiledRange, v: string, cmp: Compare): { range: OsvRangeExplanation; fixedVersion: string | null } | null {
  if (r.limits.length > 0 && !r.limits.some((l) => l === null || cmp(v, l) < 0)) return null;
  const ev = r.events;
  let active = -1;
  for (let i = 0; i < ev.length; i++) {
    const e = ev[i]!;
    if (e.kind === 'introduced' && e.version === '0') {
      active = i;
      continue;
    }
    const c = cmp(v, e.version);
    // Sorted: every later event is above v too, and none of them changes the state.
    if (c < 0) break;
    if (e.kind === 'introduced') active = i;
    else if (e.kind === 'fixed' || c > 0) active = -1;
  }
  if (active < 0) return null;
  // Every event after the active one is above v (one at or below it would have changed the state).
  const after = ev.slice(active + 1);
  const close = after.find((e) => e.kind !== 'introduced');
  return {
    range: {
      introduced: ev[active]!.version,
      fixed: close?.kind === 'fixed' ? close.version : null,
      lastAffected: close?.kind === 'last_affected' ? close.version : null,
    },
    fixedVersion: after.find((e) => e.kind === 'fixed')?.version ?? null,
  };
}

/** The lowest `fixed` above v among the ranges (events are sorted, so the first one found per range). */
function lowestFixAbove(ranges: readonly CompiledRange[], v: string, cmp: Compare, eco: Compare): string | null {
  let best: string | null = null;
  for (const r of ranges) {
    const f = r.events.find((e) => e.kind === 'fixed' && cmp(v, e.version) < 0);
    if (f && (best === null || eco(f.version, best) < 0)) best = f.version;
  }
  return best;
}

function listed(c: CompiledAffected, v: string, cmp: Compare): boolean {
  if (c.listed.has(v)) return true;
  let lo = 0;
  let hi = c.sorted.length - 1;
  while (lo <= hi) {
    const mid = (lo + hi) >> 1;
    const r = cmp(v, c.sorted[mid]!);
    if (r === 0) return true;
    if (r < 0) hi = mid - 1;
    else lo = mid + 1;
  }
  return false;
}

/** Evaluates a compiled entry; `compare` replaces the ecosystem's comparator (e.g. to count comparisons). */
export function evaluateOsv(c: CompiledAffected | null, version: string, compare?: Compare): OsvMatch {
  if (!c) return { affected: false };
  try {
    for (const r of c.ranges) {
      const hit = inRange(r, version, compare ?? r.compare);
      if (hit) return { affected: true, rule: 'in_range', ...hit };
    }
    const eco = comparatorFor(c.ecosystem);
    const cmp = compare ?? eco;
    if (listed(c, version, cmp)) return { affected: true, rule: 'listed_version', range: null, fixedVersion: lowestFixAbove(c.ranges, version, cmp, eco) };
  } catch (e) {
    // A version the grammar rejects can still be listed verbatim (legacy releases); otherwise the caller hears of it.
    if (e instanceof VersionError && e.input === version && c.listed.has(version)) return { affected: true, rule: 'listed_version', range: null, fixedVersion: null };
    throw e;
  }
  return { affected: false };
}

/** Is `version` affected by one entry? (Compiles the entry each call; OsvAdvisoryIndex compiles once.) */
export function matchOsvAffected(entry: OsvAffectedRanges, version: string, compare?: Compare): OsvMatch {
  return evaluateOsv(compileOsvAffected(entry), version, compare);
}

export interface InstalledPackage {
  name: string;
  version: string;
  sourceName?: string | null;
  sourceVersion?: string | null;
}

/** One entry against one installed package: a distribution entry naming the package's source is compared at the source version. */
export function matchOsvPackage(entry: OsvAffectedRanges & { package: string }, p: InstalledPackage, compare?: Compare): OsvMatch {
  const { ecosystem } = entry;
  if (!ecosystem) return { affected: false };
  const want = normalisePackageName(ecosystem, entry.package);
  if (DISTRO_ECOSYSTEMS.has(ecosystem) && p.sourceName && p.sourceName === want) return matchOsvAffected(entry, p.sourceVersion || p.version, compare);
  if (normalisePackageName(ecosystem, p.name) === want) return matchOsvAffected(entry, p.version, compare);
  return { affected: false };
}

export interface OsvAdvisory extends OsvAffectedRanges {
  /** Row id once stored (or any stable key); lets findings point at the entry that matched. */
  id: number | string;
  vulnerability: string;
  release: string;
  package: string;
  /** os-release ID of the entry's distribution; set, it must equal the package's when that is given. */
  distro?: string | null;
  /** Withdrawn advisories never match. */
  withdrawn?: string | null;
}

export interface OsvPackage {
  ecosystem: string;
  release: string;
  name: string;
  version: string;
  sourceName?: string | null;
  sourceVersion?: string | null;
  /** os-release ID; when given, `release` may be VERSION_ID as the host reports it (12, 3.19.1, 9.4). */
  distro?: string | null;
}

export interface OsvAdvisoryFinding {
  advisory: OsvAdvisory;
  match: OsvAffectedMatch;
  /** The name the advisory is filed under (source or binary) and the version that was compared. */
  matchedName: string;
  comparedVersion: string;
}

/** One affected entry per matchable package of a record, ready for OsvAdvisoryIndex; withdrawn records give none. */
export function osvAdvisories(record: OsvRecord): OsvAdvisory[] {
  if (record.withdrawn) return [];
  return record.affected.flatMap((a, i) =>
    a.ecosystem
      ? [{ id: `${record.id}/affected[${i}]`, vulnerability: record.id, ecosystem: a.ecosystem, release: a.release, distro: a.distro, package: a.package, ranges: a.ranges, versions: a.versions }]
      : [],
  );
}

/**
 * OSV entries keyed by (ecosystem, release, normalised package name), so a
 * lookup is one map access; entries are compiled (events sorted) on first use.
 */
export class OsvAdvisoryIndex {
  private readonly byKey = new Map<string, OsvAdvisory[]>();
  private readonly compiled = new Map<OsvAdvisory, CompiledAffected | null>();
  private readonly byDistro = new Map<string, OsvAdvisory[] | undefined>();

  constructor(advisories: Iterable<OsvAdvisory>) {
    for (const a of advisories) {
      if (!a.ecosystem || a.withdrawn) continue;
      const key = this.key(a.ecosystem, a.release, a.package);
      const list = this.byKey.get(key);
      if (list) list.push(a);
      else this.byKey.set(key, [a]);
    }
  }

  /** Distinct (ecosystem, release, package) keys. */
  get size(): number {
    return this.byKey.size;
  }

  private key(ecosystem: Ecosystem, release: string, name: string): string {
    // Language packages have no release: one advisory covers every host.
    return `${ecosystem}\u0000${DISTRO_ECOSYSTEMS.has(ecosystem) ? release : ''}\u0000${normalisePackageName(ecosystem, name)}`;
  }

  /** The entries a package is looked up under and the version to compare: its source's, else its own name's. */
  candidates(p: OsvPackage): { advisories: readonly OsvAdvisory[]; name: string; version: string } | undefined {
    const ecosystem = ecosystemOf(p.ecosystem);
    if (!ecosystem) return undefined;
    const release = p.distro ? hostReleaseKey(p.distro, p.release) : p.release;
    const lookup = (name: string) => this.lookup(this.key(ecosystem, release, name), p.distro?.toLowerCase() || null);
    if (DISTRO_ECOSYSTEMS.has(ecosystem) && p.sourceName && p.sourceName !== p.name) {
      const bySource = lookup(p.sourceName);
      if (bySource) return { advisories: bySource, name: p.sourceName, version: p.sourceVersion || p.version };
    }
    const own = lookup(p.name);
    if (!own) return undefined;
    const viaSource = DISTRO_ECOSYSTEMS.has(ecosystem) && p.sourceName === p.name && p.sourceVersion;
    return { advisories: own, name: p.name, version: viaSource ? (p.sourceVersion as string) : p.version };
  }

  /** The entries under a key for one distribution; memoised so that callers can cache results by list identity (as fleet.ts does). */
  private lookup(key: string, distro: string | null): OsvAdvisory[] | undefined {
    const list = this.byKey.get(key);
    if (!list || !distro) return list;
    const k = `${key}\u0000${distro}`;
    if (!this.byDistro.has(k)) {
      const kept = list.filter((a) => !a.distro || a.distro === distro);
      this.byDistro.set(k, kept.length === list.length ? list : kept.length ? kept : undefined);
    }
    return this.byDistro.get(k);
  }

  private compile(a: OsvAdvisory): CompiledAffected | null {
    let c = this.compiled.get(a);
    if (c === undefined) {
      c = compileOsvAffected(a);
      this.compiled.set(a, c);
    }
    return c;
  }

  /** The entries that affect one installed package, each with the rule that matched. */
  affecting(p: OsvPackage, compare?: Compare): OsvAdvisoryFinding[] {
    const found = this.candidates(p);
    if (!found) return [];
    const out: OsvAdvisoryFinding[] = [];
    for (const advisory of found.advisories) {
      const match = evaluateOsv(this.compile(advisory), found.version, compare);
      if (match.affected) out.push({ advisory, match, matchedName: found.name, comparedVersion: found.version });
    }
    return out;
  }
}
