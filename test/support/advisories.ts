import type { DebianAdvisory } from '../../src/domain/feeds/debian-tracker.js';
import type { Db } from '../../src/storage/db.js';

/** Stores Debian advisories the way the feed importer does (test data set-up only). */
export async function seedDebianAdvisories(db: Db, advisories: DebianAdvisory[]): Promise<void> {
  const vulns = [...new Set(advisories.map((a) => a.vulnerability))];
  for (let i = 0; i < vulns.length; i += 1000) {
    await db.insertInto('vulnerabilities').values(vulns.slice(i, i + 1000).map((id) => ({ id, cvss: '[]', refs: '[]' }))).onConflict((oc) => oc.doNothing()).execute();
  }
  for (let i = 0; i < advisories.length; i += 1000) {
    await db
      .insertInto('advisories')
      .values(
        advisories.slice(i, i + 1000).map((a) => ({
          feed: 'debian',
          advisory_ref: null,
          vulnerability_id: a.vulnerability,
          ecosystem: 'deb',
          release: a.release,
          package: a.source,
          state: a.state,
          fixed_version: a.fixedVersion,
          ranges: null,
          urgency: a.urgency,
        })),
      )
      .execute();
  }
}
