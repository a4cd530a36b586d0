import type { DebianAdvisory } from '../feeds/debian-tracker.js';
import type { Compare, DebianAdvisoryIndex } from './debian.js';

/**
 * The matching engine over a whole fleet in memory: hosts share most
 * package versions, so each distinct package (name, source, source version)
 * is compared with its advisories once — the way `runMatch` does over the
 * database — and hosts are then a fan-out over integer ids. Packages and
 * findings are kept in typed arrays (compressed-row layout), not objects:
 * tens of millions of installed packages fit in a few hundred MB.
 */
export interface FleetPackage {
  name: string;
  source: string;
  sourceVersion: string;
}

export interface FleetInput {
  /** Distinct packages of the fleet, referenced by index. */
  packages: readonly FleetPackage[];
  /** Installed packages of host h: ids.subarray(offsets[h], offsets[h + 1]). */
  offsets: Uint32Array;
  ids: Uint32Array;
}

export interface FleetFindings {
  /** Advisories referenced by findings (index into this list). */
  advisories: DebianAdvisory[];
  /** Findings of host h: [offsets[h], offsets[h + 1]) into pkg/adv. */
  offsets: Uint32Array;
  pkg: Uint32Array;
  adv: Uint32Array;
  /** Distinct packages in the fleet, each compared once. */
  distinctPackages: number;
  /** Distinct (source package, source version) pairs with advisories: what is actually compared. */
  distinctSourceVersions: number;
  comparisons: number;
}

export function matchFleet(index: DebianAdvisoryIndex, compare: Compare, input: FleetInput): FleetFindings {
  const hosts = input.offsets.length - 1;
  const P = input.packages.length;
  // 1. The distinct packages in use.
  const used = new Uint8Array(P);
  for (let i = 0; i < input.ids.length; i++) used[input.ids[i] as number] = 1;
  // 2. Each compared once: affecting advisories as a compressed row per package.
  const advisories: DebianAdvisory[] = [];
  const advId = new Map<DebianAdvisory, number>();
  const affStart = new Uint32Array(P + 1);
  const affList: number[] = [];
  let distinct = 0;
  let comparisons = 0;
  const counting: typeof compare = (a, b) => {
    comparisons++;
    return compare(a, b);
  };
  // Binaries of one source at one version share the result: compared once per distinct (advisory list, source version).
  const bySourceVersion = new Map<readonly DebianAdvisory[], Map<string, number[]>>();
  let distinctSourceVersions = 0;
  for (let p = 0; p < P; p++) {
    affStart[p] = affList.length;
    if (!used[p]) continue;
    distinct++;
    const pkg = input.packages[p] as FleetPackage;
    const candidates = index.candidates(pkg);
    if (!candidates) continue;
    let versions = bySourceVersion.get(candidates);
    if (!versions) {
      versions = new Map();
      bySourceVersion.set(candidates, versions);
    }
    let ids = versions.get(pkg.sourceVersion);
    if (!ids) {
      distinctSourceVersions++;
      ids = [];
      for (const a of index.affecting(pkg, counting)) {
        let id = advId.get(a);
        if (id === undefined) {
          id = advisories.length;
          advisories.push(a);
          advId.set(a, id);
        }
        ids.push(id);
      }
      versions.set(pkg.sourceVersion, ids);
    }
    for (const id of ids) affList.push(id);
  }
  affStart[P] = affList.length;
  const aff = Uint32Array.from(affList);
  // 3. Fan-out to hosts: count, then fill.
  const offsets = new Uint32Array(hosts + 1);
  let total = 0;
  for (let h = 0; h < hosts; h++) {
    offsets[h] = total;
    for (let i = input.offsets[h] as number, end = input.offsets[h + 1] as number; i < end; i++) {
      const p = input.ids[i] as number;
      total += (affStart[p + 1] as number) - (affStart[p] as number);
    }
  }
  offsets[hosts] = total;
  const pkg = new Uint32Array(total);
  const adv = new Uint32Array(total);
  let k = 0;
  for (let i = 0; i < input.ids.length; i++) {
    const p = input.ids[i] as number;
    for (let j = affStart[p] as number, end = affStart[p + 1] as number; j < end; j++) {
      pkg[k] = p;
      adv[k++] = aff[j] as number;
    }
  }
  return { advisories, offsets, pkg, adv, distinctPackages: distinct, distinctSourceVersions, comparisons };
}
