/**
 * The findings lifecycle of one asset as a pure diff (VUL-8): what the
 * engine finds now against what is stored.
 *  - found now, not stored → open (first detection);
 *  - found now, stored resolved → reopen;
 *  - found now, stored open with another explanation (installed package,
 *    advisory or fix) → refresh, status unchanged;
 *  - stored open, not found now → resolve, with the reason a reviewer reads:
 *    the advisory was withdrawn, a fixed version is installed, or the package
 *    was removed.
 * A finding is keyed by (vulnerability, package name id): its identity
 * survives upgrades from one vulnerable version to another.
 */
export interface Desired {
  /** The vulnerability's numeric key. */
  vulnerability: number;
  nameId: number;
  packageId: number;
  advisoryId: number;
  fixedVersion: string | null;
}

export interface Stored {
  id: string;
  vulnerability: number;
  nameId: number;
  packageId: number;
  advisoryId: number | null;
  fixedVersion: string | null;
  status: string;
}

export interface Resolution {
  id: string;
  reason: 'advisory withdrawn' | 'fixed version installed' | 'package removed';
  /** The package now installed under that name, when there is one. */
  nowInstalledPackageId: number | null;
}

export interface LifecycleDiff {
  open: Desired[];
  reopen: (Desired & { id: string })[];
  refresh: (Desired & { id: string })[];
  resolve: Resolution[];
  unchanged: number;
}

export const findingKey = (vulnerability: number, nameId: number) => vulnerability * 2 ** 32 + nameId;

/**
 * @param installedByName what the asset has installed now: package id per name id
 * @param advisoryExists whether an advisory id is still stored (a withdrawn one is not)
 */
export function diffFindings(
  desired: Iterable<Desired>,
  stored: Iterable<Stored>,
  installedByName: ReadonlyMap<number, number>,
  advisoryExists: (id: number) => boolean,
): LifecycleDiff {
  const out: LifecycleDiff = { open: [], reopen: [], refresh: [], resolve: [], unchanged: 0 };
  const byKey = new Map<number, Stored>();
  for (const s of stored) byKey.set(findingKey(s.vulnerability, s.nameId), s);
  const seen = new Set<number>();
  for (const d of desired) {
    const k = findingKey(d.vulnerability, d.nameId);
    if (seen.has(k)) continue; // one finding per (vulnerability, package); the first advisory found explains it
    seen.add(k);
    const s = byKey.get(k);
    if (!s) out.open.push(d);
    else if (s.status === 'resolved') out.reopen.push({ ...d, id: s.id });
    else if (s.status !== 'open') out.unchanged++; // a status set by a person (later issues) is not the engine's to change
    else if (s.packageId !== d.packageId || s.advisoryId !== d.advisoryId || s.fixedVersion !== d.fixedVersion) out.refresh.push({ ...d, id: s.id });
    else out.unchanged++;
  }
  for (const [k, s] of byKey) {
    if (s.status !== 'open' || seen.has(k)) continue;
    const now = installedByName.get(s.nameId) ?? null;
    const reason = s.advisoryId === null || !advisoryExists(s.advisoryId) ? 'advisory withdrawn' : now !== null ? 'fixed version installed' : 'package removed';
    out.resolve.push({ id: s.id, reason, nowInstalledPackageId: now });
  }
  return out;
}
