import type { DebianAdvisory } from '../feeds/debian-tracker.js';
import type { DpkgPackage } from '../inventory/dpkg-status.js';

/**
 * Matches installed Debian binary packages against distribution advisories.
 * Advisories name source packages, so a binary matches through its source
 * package name and source version; a binary without a known source is looked
 * up by its own name (as Debian's debsecan does). A package is affected when
 * its source version is older than the fixed version, or when no fix exists.
 */
export type Compare = (a: string, b: string) => number;

export interface PackageFinding {
  vulnerability: string;
  package: string;
  installedVersion: string;
  architecture: string | null;
  sourcePackage: string;
  sourceVersion: string;
  fixedVersion: string | null;
  urgency: string | null;
  /** Which rule matched, in words a reviewer can check. */
  rule: 'source_version_below_fixed' | 'no_fix_available';
  advisory: { feed: 'debian'; release: string; source: string; id: number | null };
}

export class DebianAdvisoryIndex {
  private readonly bySource = new Map<string, DebianAdvisory[]>();

  constructor(advisories: Iterable<DebianAdvisory>) {
    for (const a of advisories) {
      if (a.state === 'not_affected') continue;
      const list = this.bySource.get(a.source);
      if (list) list.push(a);
      else this.bySource.set(a.source, [a]);
    }
  }

  get sources(): number {
    return this.bySource.size;
  }

  /** The advisories a package is looked up under: its source package's, else (no advisory names the source) its own name's. */
  candidates(p: Pick<DpkgPackage, 'name' | 'source'>): readonly DebianAdvisory[] | undefined {
    return this.bySource.get(p.source) ?? this.bySource.get(p.name);
  }

  /** The advisories that affect one package at its source version (no state filter: callers pass installed packages). */
  affecting(p: Pick<DpkgPackage, 'name' | 'source' | 'sourceVersion'>, compare: Compare): DebianAdvisory[] {
    const advisories = this.candidates(p);
    if (!advisories) return [];
    return advisories.filter((a) => a.fixedVersion === null || compare(p.sourceVersion, a.fixedVersion) < 0);
  }

  /** Findings for one host's packages, one per (vulnerability, binary package). */
  match(packages: readonly DpkgPackage[], compare: Compare): PackageFinding[] {
    const out: PackageFinding[] = [];
    for (const p of packages) {
      if (p.state !== 'installed') continue;
      for (const a of this.affecting(p, compare)) {
        out.push({
          vulnerability: a.vulnerability,
          package: p.name,
          installedVersion: p.version,
          architecture: p.architecture,
          sourcePackage: p.source,
          sourceVersion: p.sourceVersion,
          fixedVersion: a.fixedVersion,
          urgency: a.urgency,
          rule: a.fixedVersion === null ? 'no_fix_available' : 'source_version_below_fixed',
          advisory: { feed: 'debian', release: a.release, source: a.source, id: a.id ?? null },
        });
      }
    }
    return out;
  }
}
