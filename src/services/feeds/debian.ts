import { sql } from 'kysely';
import { type DebianAdvisory, parseDebianTracker, TrackerFormatError } from '../../domain/feeds/debian-tracker.js';
import { FeedFormatError } from '../../domain/feeds/kev.js';
import type { Tx } from '../../storage/db.js';
import { changedKeys, createChangeLog, logged } from './changes.js';
import { canonicalise, createStage, dedupe, loadStage } from './stage.js';
import type { FeedChanges } from './types.js';

/** Debian tracker records are stored as advisories of feed 'debian', ecosystem 'deb', one per (vulnerability, release, source package). */
export const FEED = 'debian';
export const ECOSYSTEM = 'deb';

const SOURCE_RE = /^[A-Za-z0-9][A-Za-z0-9+._-]{0,199}$/;
const ID_RE = /^[A-Za-z0-9][A-Za-z0-9._:-]{0,99}$/;
const RELEASE_RE = /^[a-z][a-z0-9._-]{0,49}$/;
const VERSION_RE = /^[A-Za-z0-9.+~:_-]{1,200}$/;
const MAX_DESCRIPTION = 20_000;

/** Parses and checks a tracker export; every problem names source/vulnerability/release. */
export function parseDebian(doc: unknown, releases?: readonly string[]): DebianAdvisory[] {
  let records: DebianAdvisory[];
  try {
    records = parseDebianTracker(doc, releases?.length ? new Set(releases) : undefined);
  } catch (err) {
    if (err instanceof TrackerFormatError) {
      const i = err.message.lastIndexOf(': ');
      throw i > 0 ? new FeedFormatError(err.message.slice(0, i), err.message.slice(i + 2)) : new FeedFormatError('document', err.message);
    }
    throw err;
  }
  for (const r of records) {
    const place = `${r.source}/${r.vulnerability}/${r.release}`;
    const shown = (s: string) => JSON.stringify(s.length > 60 ? `${s.slice(0, 57)}…` : s);
    if (!SOURCE_RE.test(r.source)) throw new FeedFormatError(shown(r.source), 'is not a Debian source package name');
    if (!ID_RE.test(r.vulnerability)) throw new FeedFormatError(`${r.source}/${shown(r.vulnerability)}`, 'is not a vulnerability id (CVE-… or TEMP-…)');
    if (!RELEASE_RE.test(r.release)) throw new FeedFormatError(`${r.source}/${r.vulnerability}/${shown(r.release)}`, 'is not a Debian release name');
    if (r.fixedVersion !== null && !VERSION_RE.test(r.fixedVersion)) throw new FeedFormatError(`${place}/fixed_version`, `${shown(r.fixedVersion)} is not a Debian version`);
    if (r.urgency !== null && r.urgency.length > 50) throw new FeedFormatError(`${place}/urgency`, 'is longer than 50 characters');
    if (r.description !== null && r.description.length > MAX_DESCRIPTION) throw new FeedFormatError(`${r.source}/${r.vulnerability}/description`, `is longer than ${MAX_DESCRIPTION} characters`);
  }
  return records;
}

/**
 * Makes the stored Debian advisories equal the snapshot: new records are
 * added, differing ones changed, and records of the snapshot's releases
 * (or of `releases` when given) that it no longer holds are removed.
 */
export async function applyDebian(tx: Tx, records: readonly DebianAdvisory[], releases?: readonly string[]): Promise<FeedChanges> {
  const stage = await createStage(tx, 'feed_stage', { vid: 'text', release: 'text', package: 'text', state: 'text', fixed_version: 'text', urgency: 'text', description: 'text' }, ['vid', 'release', 'package']);
  await loadStage(tx, stage, {
    vid: records.map((r) => r.vulnerability),
    release: records.map((r) => r.release),
    package: records.map((r) => r.source),
    state: records.map((r) => r.state),
    fixed_version: records.map((r) => r.fixedVersion),
    urgency: records.map((r) => r.urgency),
    description: records.map((r) => r.description),
  });
  if ((await canonicalise(tx, stage)) > 0) await dedupe(tx, stage, ['vid', 'release', 'package']);
  await createChangeLog(tx);

  // Vulnerabilities first (advisories reference them); a description fills an empty one.
  await sql`insert into vulnerabilities (id, description, updated_at)
    select distinct on (vid) vid, description, now() from feed_stage order by vid, description nulls last
    on conflict (id) do update set description = excluded.description, updated_at = now()
      where vulnerabilities.description is null and excluded.description is not null`.execute(tx);

  // Which releases a full snapshot speaks for: those asked for, else every release it holds.
  const scope = releases?.length ? [...releases] : [...new Set(records.map((r) => r.release))];
  const removed = await logged(tx, 'removed', sql`delete from advisories a
      where a.feed = ${FEED} and a.ecosystem = ${ECOSYSTEM} and a.release = any(${scope}::text[])
        and not exists (select 1 from feed_stage s where s.vid = a.vulnerability_id and s.release = a.release and s.package = a.package)
      returning a.vulnerability_id as vid, a.release, a.package`, true);
  const changed = await logged(tx, 'changed', sql`update advisories a
      set state = s.state, fixed_version = s.fixed_version, urgency = s.urgency, modified_at = now()
      from feed_stage s
      where a.feed = ${FEED} and a.ecosystem = ${ECOSYSTEM} and a.vulnerability_id = s.vid and a.release = s.release and a.package = s.package
        and (a.state, a.fixed_version, a.urgency) is distinct from (s.state, s.fixed_version, s.urgency)
      returning a.vulnerability_id as vid, a.release, a.package`, true);
  const added = await logged(tx, 'added', sql`insert into advisories (feed, vulnerability_id, ecosystem, release, package, state, fixed_version, urgency)
      select ${FEED}, s.vid, ${ECOSYSTEM}, s.release, s.package, s.state, s.fixed_version, s.urgency from feed_stage s
      on conflict (feed, vulnerability_id, ecosystem, release, package) do nothing
      returning vulnerability_id as vid, release, package`, true);
  const keys = await changedKeys(tx, ECOSYSTEM);
  const total = await sql<{ n: number }>`select count(*)::int as n from feed_stage`.execute(tx);
  return { records: Number(total.rows[0]?.n ?? records.length), added, changed, removed, changedPackages: keys.packages, changedVulnerabilities: keys.vulnerabilities, aliases: 0 };
}
