import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import zlib from 'node:zlib';
import { sql } from 'kysely';
import { type NvdPage, type NvdRecord, nvdHeadline } from '../../domain/feeds/nvd.js';
import type { Tx } from '../../storage/db.js';
import { changedKeys, createChangeLog, logged } from './changes.js';
import { canonicalise, type Stage } from './stage.js';
import type { FeedChanges, NvdStats } from './types.js';

/**
 * NVD records fill the CVE's description, published/modified times, CVSS
 * entries, headline score and references. Ownership, so other feeds' data
 * survives:
 *  - cvss and refs are lists shared by the feeds: entries written here carry
 *    feed "nvd" and only those (and legacy entries of source nvd@nist.gov)
 *    are replaced; entries of other sources are kept, ahead of the NVD's.
 *  - the headline (cvss_score, cvss_version, severity) is the NVD's best
 *    entry (see nvdHeadline). Without NVD entries it stays as it is, unless
 *    it was the NVD's (the row had NVD entries): then it falls to the best
 *    scored entry of another source, or none.
 *  - the NVD's English description is authoritative for CVEs and replaces
 *    any other (Debian's, KEV's short description); a CVE without one keeps
 *    what it has. Debian and KEV only fill an empty description, so they do
 *    not overwrite it back.
 *  - published_at and modified_at are the NVD's. A record older than the
 *    stored modified_at (an old page file imported after a newer sync) is
 *    left alone and counted as stale.
 * Added = the CVE had no NVD data (new, or created by another feed);
 * changed = any of the above differs. Nothing is ever removed: rejected CVEs
 * stay, with the NVD's rejection text as description and no NVD scores.
 */
export const NVD_SOURCE = 'nvd@nist.gov';
const CHUNK = 5_000;
const MAX_NOTES = 10;

/** Counts over the pages of one import or sync. */
export class NvdTally {
  requests = 0;
  pages = 0;
  rejected = 0;
  cvssDisagreements = 0;
  cvssInvalid = 0;
  readonly cvssNotes: string[] = [];

  add(page: NvdPage): void {
    this.pages++;
    this.rejected += page.records.filter((r) => r.status === 'Rejected').length;
    this.cvssDisagreements += page.disagreements.length;
    this.cvssInvalid += page.invalidVectors.length;
    for (const n of [...page.disagreements, ...page.invalidVectors]) {
      if (this.cvssNotes.length >= MAX_NOTES) break;
      this.cvssNotes.push(n.problem ? `${n.cve} ${n.vector}: ${n.problem}` : `${n.cve} ${n.vector}: NVD states ${n.stated}, we compute ${n.computed}`);
    }
  }

  stats(stale: number): NvdStats {
    const { requests, pages, rejected, cvssDisagreements, cvssInvalid, cvssNotes } = this;
    return { requests, pages, stale, rejected, cvssDisagreements, cvssInvalid, cvssNotes: [...cvssNotes] };
  }
}

/**
 * Validated records kept on disk between a sync's download and its
 * transaction: a first sync (~300,000 CVEs) holds one page in memory at a
 * time, and nothing is written to the database until every page has arrived.
 */
export class NvdSpool {
  private dir: string | null = null;
  private readonly files: string[] = [];

  add(records: readonly NvdRecord[]): void {
    if (records.length === 0) return;
    this.dir ??= fs.mkdtempSync(path.join(os.tmpdir(), 'patchloop-nvd-'));
    const file = path.join(this.dir, `${String(this.files.length).padStart(6, '0')}.json.gz`);
    fs.writeFileSync(file, zlib.gzipSync(JSON.stringify(records), { level: 1 }));
    this.files.push(file);
  }

  *batches(): Generator<NvdRecord[]> {
    for (const f of this.files) yield JSON.parse(zlib.gunzipSync(fs.readFileSync(f)).toString('utf8')) as NvdRecord[];
  }

  dispose(): void {
    if (this.dir) fs.rmSync(this.dir, { recursive: true, force: true });
  }
}

async function loadStage(tx: Tx, batches: Iterable<readonly NvdRecord[]>): Promise<void> {
  let ord = 0;
  for (const batch of batches) {
    for (let i = 0; i < batch.length; i += CHUNK) {
      // One JSON document per chunk: cheaper to send than ten parallel arrays of escaped JSON text.
      const rows = batch.slice(i, i + CHUNK).map((r) => {
        const h = nvdHeadline(r.cvss);
        return {
          ord: ord++, vid: r.id, published: r.published, modified: r.lastModified, description: r.description,
          cvss: r.cvss.map((c) => ({ feed: 'nvd', ...c })), refs: r.references.map((x) => ({ feed: 'nvd', ...x })),
          score: h?.score ?? null, version: h?.version ?? null, severity: h?.severity ?? null,
        };
      });
      await sql`insert into nvd_stage
        select * from jsonb_to_recordset(${JSON.stringify(rows)}::jsonb) as t(ord int, vid text, published timestamptz, modified timestamptz, description text,
          cvss jsonb, refs jsonb, score numeric(3,1), version text, severity text)`.execute(tx);
    }
  }
}

/** Applies NVD records (pages of one import or sync, in the order fetched) in the caller's transaction. */
export async function applyNvd(tx: Tx, batches: Iterable<readonly NvdRecord[]>, tally = new NvdTally()): Promise<FeedChanges> {
  await sql`create temp table nvd_stage (ord int, vid text, published timestamptz, modified timestamptz, description text,
    cvss jsonb, refs jsonb, score numeric(3,1), version text, severity text) on commit drop`.execute(tx);
  await loadStage(tx, batches);
  await sql`create index on nvd_stage (vid)`.execute(tx);
  await sql`analyze nvd_stage`.execute(tx);
  const stage: Stage = { name: 'nvd_stage', columns: {}, key: ['vid'] };
  await canonicalise(tx, stage);
  // A CVE met twice (adjacent windows, or a record that moved between pages) keeps its newest state.
  await sql`delete from nvd_stage a using nvd_stage b where a.vid = b.vid and (a.modified, a.ord) < (b.modified, b.ord)`.execute(tx);
  await createChangeLog(tx);

  const staleRows = await sql<{ n: number }>`select count(*)::int as n from nvd_stage s join vulnerabilities v on v.id = s.vid where s.modified < v.modified_at`.execute(tx);
  await sql`create temp table nvd_updated (vid text, was_absent boolean) on commit drop`.execute(tx);
  // The FROM list is read before the update, so was_absent tells a CVE's first NVD data from a change.
  await sql`with n as (
      select v.id, v.modified_at is null as was_absent, coalesce(s.description, v.description) as description, s.published, s.modified,
        c.others || s.cvss as cvss, r.others || s.refs as refs,
        case when s.score is not null then s.score when c.had_nvd then (c.best->>'score')::numeric(3,1) else v.cvss_score end as cvss_score,
        case when s.score is not null then s.version when c.had_nvd then c.best->>'version' else v.cvss_version end as cvss_version,
        case when s.score is not null then s.severity when c.had_nvd then lower(c.best->>'severity') else v.severity end as severity
      from nvd_stage s join vulnerabilities v on v.id = s.vid
      cross join lateral (
        select coalesce(jsonb_agg(x.e order by x.o) filter (where not x.nvd), '[]'::jsonb) as others, coalesce(bool_or(x.nvd), false) as had_nvd,
          (array_agg(x.e order by x.rank, x.o) filter (where not x.nvd and x.scored))[1] as best
        from (select e, o, coalesce(e->>'feed' = 'nvd' or e->>'source' = ${NVD_SOURCE}, false) as nvd,
            case when jsonb_typeof(e->'score') = 'number' then (e->'score')::float8 between 0 and 10 else false end as scored,
            case e->>'version' when '4.0' then 0 when '3.1' then 1 when '3.0' then 2 when '2.0' then 3 else 4 end as rank
          from jsonb_array_elements(case when jsonb_typeof(v.cvss) = 'array' then v.cvss else '[]'::jsonb end) with ordinality as x(e, o)) x
      ) c
      cross join lateral (
        select coalesce(jsonb_agg(e order by o) filter (where coalesce(e->>'feed' <> 'nvd', true)), '[]'::jsonb) as others
        from jsonb_array_elements(case when jsonb_typeof(v.refs) = 'array' then v.refs else '[]'::jsonb end) with ordinality as x(e, o)
      ) r
      where v.modified_at is null or s.modified >= v.modified_at),
    u as (
      update vulnerabilities v
      set description = n.description, published_at = n.published, modified_at = n.modified, cvss = n.cvss, refs = n.refs,
        cvss_score = n.cvss_score, cvss_version = n.cvss_version, severity = n.severity, updated_at = now()
      from n
      where v.id = n.id
        and (v.description, v.published_at, v.modified_at, v.cvss, v.refs, v.cvss_score, v.cvss_version, v.severity)
          is distinct from (n.description, n.published, n.modified, n.cvss, n.refs, n.cvss_score, n.cvss_version, n.severity)
      returning v.id as vid, n.was_absent)
    insert into nvd_updated select vid, was_absent from u`.execute(tx);
  const firstData = await logged(tx, 'added', sql`select vid from nvd_updated where was_absent`);
  const changed = await logged(tx, 'changed', sql`select vid from nvd_updated where not was_absent`);
  const created = await logged(tx, 'added', sql`insert into vulnerabilities (id, description, published_at, modified_at, cvss, cvss_score, cvss_version, severity, refs, updated_at)
      select s.vid, s.description, s.published, s.modified, s.cvss, s.score, s.version, s.severity, s.refs, now() from nvd_stage s
      where not exists (select 1 from vulnerabilities v where v.id = s.vid)
      on conflict (id) do nothing
      returning id as vid`);

  const total = await sql<{ n: number }>`select count(*)::int as n from nvd_stage`.execute(tx);
  const keys = await changedKeys(tx, null);
  return {
    records: Number(total.rows[0]?.n ?? 0),
    added: created + firstData,
    changed,
    removed: 0,
    changedPackages: [],
    changedVulnerabilities: keys.vulnerabilities,
    aliases: 0,
    nvd: tally.stats(Number(staleRows.rows[0]?.n ?? 0)),
  };
}
