import { sql } from 'kysely';
import type { OsvAffected, OsvRange, OsvRecord } from '../../domain/feeds/osv.js';
import { normalisePackageName } from '../../domain/matching/osv.js';
import type { Tx } from '../../storage/db.js';
import { changedKeys, createChangeLog, logged } from './changes.js';
import { canonicalise, createStage, dedupe, loadStage } from './stage.js';
import type { FeedChanges } from './types.js';

/**
 * OSV records are stored as advisories of feed 'osv', one row per
 * (vulnerability, ecosystem, release, normalised package), where a
 * distribution's release is prefixed with the distribution
 * (`almalinux:9`, `rocky:9`, `debian:bookworm`, `ubuntu:22.04`): rebuilds
 * share release numbers but not fixes, and each distribution's archive is a
 * snapshot of its own rows only. The vulnerability
 * is the record's CVE when it has one (so OSV, Debian, KEV, EPSS and NVD data
 * meet on one record), else its own id (GHSA-…, PYSEC-…); every other id
 * becomes an alias. Several records can fall on one row (a DSA and a
 * DEBIAN-CVE record of one CVE), so the row's `ranges` holds the list of
 * entries, each with its OSV id and distribution.
 *
 * An archive of whole ecosystems is a snapshot: rows of those ecosystems it
 * no longer holds are removed. Single records and directories only add and
 * change; a withdrawn record removes its rows.
 */
export const FEED = 'osv';

export interface OsvEntry {
  osvId: string;
  distro: string | null;
  ranges: OsvRange[];
  versions: string[];
}

const CVE_RE = /^CVE-\d{4}-\d{4,}$/;

/** The stored release of an affected entry: `distro:release` for distributions, '' for language ecosystems. */
export function storedRelease(a: Pick<OsvAffected, 'distro' | 'release'>): string {
  return a.distro ? `${a.distro}:${a.release}` : a.release;
}

/** The release a stored key names, without its distribution (what inventories hold). */
export function bareRelease(stored: string): string {
  const i = stored.indexOf(':');
  return i < 0 ? stored : stored.slice(i + 1);
}

/**
 * The vulnerabilities a record speaks for: itself when it is a CVE; else the one CVE among its aliases and
 * upstream ids (a GHSA, a DEBIAN-CVE record); else — none, or several, as a DSA fixing many CVEs at once — its
 * affected ranges hold for each such CVE, and with none the record's own id is the vulnerability.
 */
export function vulnerabilitiesOf(r: OsvRecord): string[] {
  if (CVE_RE.test(r.id)) return [r.id];
  const cves = [...new Set([...r.aliases, ...r.upstream].filter((a) => CVE_RE.test(a)))].sort();
  return cves.length ? cves : [r.id];
}

/** Ids that name the same vulnerability as the record: only when it speaks for exactly one (a DSA's id names no single CVE). */
function aliasPairs(r: OsvRecord, vids: readonly string[]): [string, string][] {
  if (vids.length !== 1) return [];
  const vid = vids[0] as string;
  return [r.id, ...r.aliases].filter((a) => a !== vid && !CVE_RE.test(a)).map((a) => [a, vid]);
}

/** The smallest fixed version of an entry, for display; the ranges decide. */
function firstFixed(entries: readonly OsvEntry[]): string | null {
  for (const e of entries) for (const r of e.ranges) for (const ev of r.events) if ('fixed' in ev) return ev.fixed;
  return null;
}

/** @param snapshot the (ecosystem, stored release) pairs a whole-ecosystem archive speaks for: their rows it lacks are removed */
export async function applyOsv(tx: Tx, records: readonly OsvRecord[], snapshot?: readonly { ecosystem: string; release: string }[]): Promise<FeedChanges> {
  const rows = new Map<string, { vid: string; ecosystem: string; release: string; package: string; refs: Set<string>; entries: OsvEntry[]; modified: string }>();
  const vulns = new Map<string, { own: boolean; title: string | null; description: string | null; published: string | null; modified: string }>();
  const aliases: [string, string][] = [];
  const withdrawn: string[] = [];
  for (const r of records) {
    const vids = vulnerabilitiesOf(r);
    aliases.push(...aliasPairs(r, vids));
    if (r.withdrawn) {
      withdrawn.push(r.id);
      continue;
    }
    for (const vid of vids) {
      const v = vulns.get(vid);
      // A DSA's summary is about its package, not about each CVE: only a record for one vulnerability describes it.
      const own = vids.length === 1;
      if (!v || (own && (!v.own || r.modified > v.modified))) vulns.set(vid, { own, title: own ? r.summary : null, description: own ? r.details : null, published: own ? r.published : null, modified: r.modified });
    }
    for (const vid of vids) for (const a of r.affected) {
      if (!a.ecosystem) continue;
      const pkg = normalisePackageName(a.ecosystem, a.package);
      const release = storedRelease(a);
      const k = `${vid}\u0000${a.ecosystem}\u0000${release}\u0000${pkg}`;
      let row = rows.get(k);
      if (!row) {
        row = { vid, ecosystem: a.ecosystem, release, package: pkg, refs: new Set(), entries: [], modified: r.modified };
        rows.set(k, row);
      }
      row.refs.add(r.id);
      row.entries.push({ osvId: r.id, distro: a.distro, ranges: a.ranges, versions: a.versions });
      if (r.modified > row.modified) row.modified = r.modified;
    }
  }
  const list = [...rows.values()];
  // Entries in a stable order, so that an unchanged record compares equal to what is stored.
  for (const row of list) row.entries.sort((a, b) => (a.osvId < b.osvId ? -1 : a.osvId > b.osvId ? 1 : 0));

  const newAliases = await insertAliases(tx, aliases);
  const stage = await createStage(tx, 'feed_stage', { vid: 'text', ecosystem: 'text', release: 'text', package: 'text', ref: 'text', fixed_version: 'text', ranges: 'text' }, ['vid', 'ecosystem', 'release', 'package']);
  await loadStage(tx, stage, {
    vid: list.map((r) => r.vid),
    ecosystem: list.map((r) => r.ecosystem),
    release: list.map((r) => r.release),
    package: list.map((r) => r.package),
    ref: list.map((r) => [...r.refs].sort().join(' ')),
    fixed_version: list.map((r) => firstFixed(r.entries)),
    ranges: list.map((r) => JSON.stringify(r.entries)),
  });
  if ((await canonicalise(tx, stage)) > 0) await dedupe(tx, stage, ['vid', 'ecosystem', 'release', 'package']);
  await createChangeLog(tx);

  const vs = [...vulns.entries()];
  await sql`insert into vulnerabilities (id, title, description, published_at, modified_at, updated_at)
    select distinct on (coalesce(al.vulnerability_id, v.id)) coalesce(al.vulnerability_id, v.id), v.title, v.description, v.published, v.modified, now()
    from unnest(${vs.map((x) => x[0])}::text[], ${vs.map((x) => x[1].title)}::text[], ${vs.map((x) => x[1].description)}::text[],
                ${vs.map((x) => x[1].published)}::timestamptz[], ${vs.map((x) => x[1].modified)}::timestamptz[]) as v(id, title, description, published, modified)
    left join vulnerability_aliases al on al.alias = v.id
    order by coalesce(al.vulnerability_id, v.id), v.modified desc
    on conflict (id) do update set title = coalesce(vulnerabilities.title, excluded.title),
      description = coalesce(vulnerabilities.description, excluded.description),
      published_at = coalesce(vulnerabilities.published_at, excluded.published_at), updated_at = now()
      where vulnerabilities.title is null or vulnerabilities.description is null or vulnerabilities.published_at is null`.execute(tx);

  const removed = await logged(tx, 'removed', sql`delete from advisories a
      where a.feed = ${FEED} and (
        ((a.ecosystem || ':' || a.release) = any(${(snapshot ?? []).map((p) => `${p.ecosystem}:${p.release}`)}::text[])
          and not exists (select 1 from feed_stage s where s.vid = a.vulnerability_id and s.ecosystem = a.ecosystem and s.release = a.release and s.package = a.package))
        or string_to_array(a.advisory_ref, ' ') && ${withdrawn}::text[])
      returning a.vulnerability_id as vid, a.ecosystem || ':' || a.release as release, a.package`, true);
  const changed = await logged(tx, 'changed', sql`update advisories a
      set advisory_ref = s.ref, fixed_version = s.fixed_version, ranges = s.ranges::jsonb, modified_at = now()
      from feed_stage s
      where a.feed = ${FEED} and a.vulnerability_id = s.vid and a.ecosystem = s.ecosystem and a.release = s.release and a.package = s.package
        and (a.advisory_ref, a.fixed_version, a.ranges) is distinct from (s.ref, s.fixed_version, s.ranges::jsonb)
      returning a.vulnerability_id as vid, a.ecosystem || ':' || a.release as release, a.package`, true);
  const added = await logged(tx, 'added', sql`insert into advisories (feed, advisory_ref, vulnerability_id, ecosystem, release, package, state, fixed_version, ranges)
      select ${FEED}, s.ref, s.vid, s.ecosystem, s.release, s.package, 'affected', s.fixed_version, s.ranges::jsonb from feed_stage s
      on conflict (feed, vulnerability_id, ecosystem, release, package) do nothing
      returning vulnerability_id as vid, ecosystem || ':' || release as release, package`, true);
  const keys = await changedKeys(tx, 'osv');
  const total = await sql<{ n: number }>`select count(*)::int as n from feed_stage`.execute(tx);
  return {
    records: Number(total.rows[0]?.n ?? list.length),
    added,
    changed,
    removed,
    // The change log holds "ecosystem:release" in its release column: split it back, as inventories name releases.
    changedPackages: keys.packages.map((p) => {
      const i = p.release.indexOf(':');
      return { ecosystem: p.release.slice(0, i), release: bareRelease(p.release.slice(i + 1)), package: p.package };
    }),
    changedVulnerabilities: keys.vulnerabilities,
    aliases: newAliases,
  };
}

async function insertAliases(tx: Tx, pairs: readonly (readonly [string, string])[]): Promise<number> {
  if (!pairs.length) return 0;
  // The target must exist first (the alias table references it); an alias already recorded keeps its target.
  await sql`insert into vulnerabilities (id) select distinct vid from unnest(${pairs.map((p) => p[1])}::text[]) as p(vid)
    where not exists (select 1 from vulnerability_aliases a where a.alias = p.vid) on conflict (id) do nothing`.execute(tx);
  const r = await sql`insert into vulnerability_aliases (alias, vulnerability_id)
    select distinct on (p.alias) p.alias, coalesce(c.vulnerability_id, p.vid)
    from unnest(${pairs.map((p) => p[0])}::text[], ${pairs.map((p) => p[1])}::text[]) as p(alias, vid)
    left join vulnerability_aliases c on c.alias = p.vid
    order by p.alias
    on conflict (alias) do nothing`.execute(tx);
  return Number(r.numAffectedRows ?? 0);
}
