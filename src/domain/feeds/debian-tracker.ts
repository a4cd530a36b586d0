/**
 * The Debian security tracker's JSON export
 * (https://security-tracker.debian.org/tracker/data/json):
 * { sourcePackage: { "CVE-…": { description, releases: { bookworm: { status,
 * fixed_version, urgency, repositories } } } } }.
 * status "resolved" with a fixed_version is fixed in that version;
 * fixed_version "0" means the release was never affected; "open" and
 * "undetermined" have no fix yet.
 */
export type DebianState = 'fixed' | 'not_affected' | 'unfixed';

export interface DebianAdvisory {
  /** Row id once stored; lets findings point at the advisory that matched. */
  id?: number;
  source: string;
  vulnerability: string;
  release: string;
  state: DebianState;
  fixedVersion: string | null;
  urgency: string | null;
  description: string | null;
}

export class TrackerFormatError extends Error {}

const isObject = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);

/** Flattens the export into one record per (source, vulnerability, release); only the given releases when set. */
export function parseDebianTracker(doc: unknown, releases?: ReadonlySet<string>): DebianAdvisory[] {
  if (!isObject(doc)) throw new TrackerFormatError('expected a JSON object keyed by source package');
  const out: DebianAdvisory[] = [];
  for (const [source, vulns] of Object.entries(doc)) {
    if (!isObject(vulns)) throw new TrackerFormatError(`${source}: expected an object keyed by vulnerability id`);
    for (const [id, entry] of Object.entries(vulns)) {
      if (!isObject(entry) || !isObject(entry.releases)) throw new TrackerFormatError(`${source}/${id}: expected an object with "releases"`);
      for (const [release, r] of Object.entries(entry.releases)) {
        if (releases && !releases.has(release)) continue;
        if (!isObject(r) || typeof r.status !== 'string') throw new TrackerFormatError(`${source}/${id}/${release}: expected an object with "status"`);
        const fixed = typeof r.fixed_version === 'string' && r.fixed_version !== '' ? r.fixed_version : null;
        let state: DebianState;
        if (r.status === 'resolved' && fixed === '0') state = 'not_affected';
        else if (r.status === 'resolved' && fixed) state = 'fixed';
        else if (r.status === 'open' || r.status === 'undetermined' || (r.status === 'resolved' && !fixed)) state = 'unfixed';
        else throw new TrackerFormatError(`${source}/${id}/${release}: unknown status ${JSON.stringify(r.status)}`);
        out.push({
          source,
          vulnerability: id,
          release,
          state,
          fixedVersion: state === 'fixed' ? fixed : null,
          urgency: typeof r.urgency === 'string' ? r.urgency : null,
          description: typeof entry.description === 'string' && entry.description ? entry.description : null,
        });
      }
    }
  }
  return out;
}
