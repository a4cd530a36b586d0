import { sql } from 'kysely';
import type { EpssScores } from '../../domain/feeds/epss.js';
import type { Tx } from '../../storage/db.js';
import { changedKeys, createChangeLog, logged } from './changes.js';
import { canonicalise, createStage, dedupe, loadStage } from './stage.js';
import type { FeedChanges } from './types.js';

/**
 * Sets epss_score / epss_percentile / epss_date for every CVE in the file,
 * creating the vulnerabilities we do not know yet (one INSERT … SELECT), and
 * clears the scores of CVEs the file no longer lists. Added = first score,
 * changed = score, percentile or date differ, removed = cleared.
 */
export async function applyEpss(tx: Tx, s: EpssScores, scoreDate: string): Promise<FeedChanges> {
  const stage = await createStage(tx, 'feed_stage', { vid: 'text', score: 'float8', pct: 'float8' }, ['vid']);
  await loadStage(tx, stage, { vid: s.cves, score: s.scores, pct: s.percentiles });
  if ((await canonicalise(tx, stage)) > 0) await dedupe(tx, stage, ['vid']);
  await createChangeLog(tx);

  // CVEs new to us are created with their scores in one pass (no insert-then-update).
  const created = await logged(tx, 'added', sql`insert into vulnerabilities (id, epss_score, epss_percentile, epss_date, updated_at)
      select s.vid, s.score, s.pct, ${scoreDate}::date, now() from feed_stage s
      where not exists (select 1 from vulnerabilities v where v.id = s.vid)
      on conflict (id) do nothing
      returning id as vid`);
  const removed = await logged(tx, 'removed', sql`update vulnerabilities v
      set epss_score = null, epss_percentile = null, epss_date = null, updated_at = now()
      where v.epss_score is not null and not exists (select 1 from feed_stage s where s.vid = v.id)
      returning v.id as vid`);
  // Known CVEs without a score get their first (added), scored ones a different one (changed).
  const set = sql`epss_score = s.score, epss_percentile = s.pct, epss_date = ${scoreDate}::date, updated_at = now()`;
  const firstScore = await logged(tx, 'added', sql`update vulnerabilities v set ${set} from feed_stage s
      where v.id = s.vid and v.epss_score is null
      returning v.id as vid`);
  const changed = await logged(tx, 'changed', sql`update vulnerabilities v set ${set} from feed_stage s
      where v.id = s.vid and v.epss_score is not null
        and (v.epss_score, v.epss_percentile, v.epss_date) is distinct from (s.score, s.pct, ${scoreDate}::date)
      returning v.id as vid`);
  const added = created + firstScore;
  const keys = await changedKeys(tx, null);
  return { records: s.cves.length, added, changed, removed, changedPackages: [], changedVulnerabilities: keys.vulnerabilities, aliases: 0 };
}
