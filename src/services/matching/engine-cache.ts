import { sql } from 'kysely';
import type { DebianAdvisory } from '../../domain/feeds/debian-tracker.js';
import type { OsvRange } from '../../domain/feeds/osv.js';
import { DebianAdvisoryIndex } from '../../domain/matching/debian.js';
import { type OsvAdvisory, OsvAdvisoryIndex } from '../../domain/matching/osv.js';
import type { Ecosystem } from '../../domain/versions/index.js';
import { compareDpkg } from '../../domain/versions/dpkg.js';
import type { Db, Tx } from '../../storage/db.js';
import { bareRelease } from '../feeds/osv.js';

/**
 * What the engine keeps in memory between matches, per database: the
 * advisories as indexes (Debian tracker records per release, OSV entries by
 * ecosystem, release and package), the packages it has seen, and which
 * advisories affect each (release, package) — so one asset's re-match is a
 * few map lookups, not a query over the advisories. Advisories are reloaded
 * when match_state.advisories_epoch (bumped by triggers on every change)
 * differs from the epoch they were loaded at; packages never change.
 */
export interface PackageInfo {
  id: number;
  nameId: number;
  ecosystem: string;
  name: string;
  version: string;
  arch: string;
  sourceName: string;
  sourceVersion: string;
}

/** Where a package is installed: the host's distribution (os-release ID) and release. */
export interface HostRelease {
  distro: string | null;
  release: string;
}

export interface Affecting {
  advisoryId: number;
  /** vulnerabilities.num */
  vulnerability: number;
  fixedVersion: string | null;
}

const NONE: readonly Affecting[] = Object.freeze([]);
const MAX_PACKAGES = 2_000_000;
const MAX_VERSION_PAIRS = 1_000_000;

class EngineCache {
  epoch: string | null = null;
  private indexes = new Map<string, DebianAdvisoryIndex>();
  private osv = new OsvAdvisoryIndex([]);
  private advisoryIds = new Set<number>();
  private affecting = new Map<string, readonly Affecting[]>();
  readonly packages = new Map<number, PackageInfo>();
  private versions = new Map<string, number>();

  /** Brings the advisories up to the database's epoch (read inside the caller's transaction). */
  async sync(tx: Tx, epoch: string): Promise<void> {
    if (this.epoch === epoch) return;
    const rows = await tx
      .selectFrom('advisories as a')
      .innerJoin('vulnerabilities as v', 'v.id', 'a.vulnerability_id')
      .select(['a.id', 'a.feed', 'a.ecosystem', 'v.num', 'a.release', 'a.package', 'a.state', 'a.fixed_version', 'a.urgency', 'a.ranges'])
      .execute();
    const byRelease = new Map<string, DebianAdvisory[]>();
    const osv: OsvAdvisory[] = [];
    this.advisoryIds = new Set();
    for (const r of rows) {
      this.advisoryIds.add(Number(r.id));
      if (r.feed === 'osv') {
        // One stored row can hold several OSV entries (AlmaLinux and Rocky records of one CVE): each is matched on its own.
        for (const e of (r.ranges ?? []) as { distro: string | null; ranges: OsvRange[]; versions: string[] }[]) {
          osv.push({ id: Number(r.id), vulnerability: String(r.num), ecosystem: r.ecosystem as Ecosystem, release: bareRelease(r.release), package: r.package, distro: e.distro, ranges: e.ranges, versions: e.versions });
        }
        continue;
      }
      if (r.ecosystem !== 'deb' || (r.state !== 'fixed' && r.state !== 'unfixed')) continue;
      let list = byRelease.get(r.release);
      if (!list) {
        list = [];
        byRelease.set(r.release, list);
      }
      list.push({ id: Number(r.id), source: r.package, vulnerability: String(r.num), release: r.release, state: r.state, fixedVersion: r.fixed_version, urgency: r.urgency, description: null });
    }
    this.indexes = new Map([...byRelease].map(([rel, list]) => [rel, new DebianAdvisoryIndex(list)]));
    this.osv = new OsvAdvisoryIndex(osv);
    this.affecting = new Map();
    this.epoch = epoch;
  }

  advisoryExists = (id: number) => this.advisoryIds.has(id);

  private compare = (a: string, b: string) => {
    const k = `${a}\u0000${b}`;
    let c = this.versions.get(k);
    if (c === undefined) {
      if (this.versions.size > MAX_VERSION_PAIRS) this.versions.clear();
      c = compareDpkg(a, b);
      this.versions.set(k, c);
    }
    return c;
  };

  /** The advisories that affect a package on a host's release, computed once per (distro, release, package) and epoch. */
  affects(host: HostRelease, p: PackageInfo): readonly Affecting[] {
    const k = `${host.distro ?? ''}\u0000${host.release}\u0000${p.id}`;
    let hit = this.affecting.get(k);
    if (hit === undefined) {
      const out: Affecting[] = [];
      try {
        if (p.ecosystem === 'deb') {
          const index = this.indexes.get(host.release);
          for (const a of index?.affecting({ name: p.name, source: p.sourceName, sourceVersion: p.sourceVersion }, this.compare) ?? []) {
            out.push({ advisoryId: a.id as number, vulnerability: Number(a.vulnerability), fixedVersion: a.fixedVersion });
          }
        }
        // OSV: distribution packages under the host's release, language packages under none.
        const release = p.ecosystem === 'deb' || p.ecosystem === 'rpm' || p.ecosystem === 'apk' ? host.release : '';
        const osvPkg = { ecosystem: p.ecosystem, release, distro: release ? host.distro : null, name: p.name, version: p.version, sourceName: p.sourceName, sourceVersion: p.sourceVersion };
        for (const f of this.osv.affecting(osvPkg, p.ecosystem === 'deb' ? this.compare : undefined)) {
          out.push({ advisoryId: f.advisory.id as number, vulnerability: Number(f.advisory.vulnerability), fixedVersion: f.match.fixedVersion });
        }
      } catch {
        out.length = 0; // a version its ecosystem rejects: refused on upload, so only rows written before that check
      }
      hit = out.length ? out : NONE;
      this.affecting.set(k, hit);
    }
    return hit;
  }

  /** Loads the packages not yet known (one query for all of them). */
  async loadPackages(tx: Tx | Db, ids: Iterable<number>): Promise<void> {
    const missing: number[] = [];
    for (const id of ids) if (!this.packages.has(id)) missing.push(id);
    if (missing.length === 0) return;
    if (this.packages.size + missing.length > MAX_PACKAGES) this.packages.clear();
    for (let i = 0; i < missing.length; i += 50_000) {
      const rows = await sql<{ id: string; name_id: number; ecosystem: string; name: string; version: string; arch: string; source_name: string; source_version: string }>`
        select id, name_id, ecosystem, name, version, arch, source_name, source_version from packages
        where id = any(${sql.val(missing.slice(i, i + 50_000))}::bigint[])`.execute(tx);
      for (const r of rows.rows) {
        this.packages.set(Number(r.id), { id: Number(r.id), nameId: r.name_id, ecosystem: r.ecosystem, name: r.name, version: r.version, arch: r.arch, sourceName: r.source_name, sourceVersion: r.source_version });
      }
    }
  }
}

const caches = new WeakMap<object, EngineCache>();

/** The cache of one database (tests and tools may hold several in one process). */
export function engineCache(db: Db): EngineCache {
  let c = caches.get(db);
  if (!c) {
    c = new EngineCache();
    caches.set(db, c);
  }
  return c;
}

export async function currentEpoch(tx: Tx | Db): Promise<string> {
  const r = await sql<{ e: string }>`select advisories_epoch::text as e from match_state where id = 1`.execute(tx);
  return r.rows[0]?.e ?? '0';
}

export type { EngineCache };
