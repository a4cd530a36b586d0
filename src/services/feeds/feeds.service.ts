import { createHash } from 'node:crypto';
import { sql } from 'kysely';
import { parseEpss } from '../../domain/feeds/epss.js';
import { FeedFormatError, parseKev } from '../../domain/feeds/kev.js';
import { parseNvdPage } from '../../domain/feeds/nvd.js';
import { BadRequestError } from '../../lib/errors.js';
import type { Db, Tx } from '../../storage/db.js';
import * as audit from '../audit/audit.service.js';
import { type ProcessSummary, settlePriorities } from '../priority/worker.js';
import { rematchForAdvisories } from '../matching/matching.service.js';
import { authorize, type Ctx } from '../context.js';
import { applyDebian, parseDebian } from './debian.js';
import { applyEpss } from './epss.js';
import { applyKev } from './kev.js';
import { applyOsv } from './osv.js';
import { isZip, osvFromPayload } from './osv-source.js';
import { applyNvd, NvdTally } from './nvd.js';
import { formatError, parseJson, payloadText } from './payload.js';
import { FEEDS, type FeedChanges, type FeedName, type ImportSummary } from './types.js';

export { FEEDS, type FeedName, type ImportSummary } from './types.js';

export interface ImportMeta {
  /** Where the file came from: its URL, or "upload" / a file name. */
  source: string;
  /** The feed's own version when the caller knows it; otherwise read from the file (KEV catalogVersion, EPSS model and score date) or its SHA-256. */
  version?: string;
  /** Debian: only these releases (and removal only within them). */
  releases?: readonly string[];
  /** HTTP validators of the download, kept for the next conditional request. NVD: the end of the last sync's lastMod range, kept when not given. */
  etag?: string | null;
  lastModified?: string | null;
  /** Re-prioritise in the import's call when the changed vulnerabilities have at most this many open findings (default 50,000); more are left to the background worker. */
  reprioritiseInline?: number;
}

/** A feed file: raw bytes (gzip or not), text, or (JSON feeds) an already parsed document. */
export type FeedPayload = Uint8Array | string | Record<string, unknown> | unknown[];

export function isFeed(v: unknown): v is FeedName {
  return typeof v === 'string' && (FEEDS as readonly string[]).includes(v);
}

export type PreparedImport = { version: string | null; apply: (tx: Tx) => Promise<FeedChanges> };

function textOrDoc(payload: FeedPayload): string | unknown {
  return typeof payload === 'string' || payload instanceof Uint8Array ? payloadText(payload) : payload;
}

function digest(payload: FeedPayload): string {
  const h = createHash('sha256');
  h.update(typeof payload === 'string' || payload instanceof Uint8Array ? payload : JSON.stringify(payload));
  return `sha256:${h.digest('hex').slice(0, 16)}`;
}

/** Parses and validates before any transaction starts: a malformed file never reaches the database. */
async function prepare(feed: FeedName, payload: FeedPayload, meta: ImportMeta): Promise<PreparedImport> {
  try {
    switch (feed) {
      case 'osv': {
        // A zip is osv.dev's whole-ecosystem archive (a snapshot of its ecosystems and releases); JSON is one record or an array.
        const input = await osvFromPayload(payload instanceof Uint8Array && isZip(payload) ? payload : textOrDoc(payload));
        if (input.records.length === 0) throw new FeedFormatError('document', 'holds no OSV records');
        return { version: null, apply: (tx) => applyOsv(tx, input.records, input.snapshot) };
      }
      case 'debian': {
        const t = textOrDoc(payload);
        const doc = typeof t === 'string' ? parseJson(t) : t;
        const records = parseDebian(doc, meta.releases);
        if (records.length === 0) throw new FeedFormatError('document', meta.releases?.length ? `no records for release(s) ${meta.releases.join(', ')}` : 'the tracker export holds no records');
        return { version: null, apply: (tx) => applyDebian(tx, records, meta.releases) };
      }
      case 'kev': {
        const t = textOrDoc(payload);
        const cat = parseKev(typeof t === 'string' ? parseJson(t) : t);
        return { version: cat.catalogVersion, apply: (tx) => applyKev(tx, cat) };
      }
      case 'epss': {
        const t = textOrDoc(payload);
        if (typeof t !== 'string') throw new FeedFormatError('document', 'EPSS scores are a CSV file, not JSON');
        const scores = parseEpss(t);
        const date = scores.scoreDate ?? new Date().toISOString().slice(0, 10);
        const version = scores.scoreDate ? `${scores.scoreDate}${scores.modelVersion ? ` (model ${scores.modelVersion})` : ''}` : null;
        return { version, apply: (tx) => applyEpss(tx, scores, date) };
      }
      case 'nvd': {
        const t = textOrDoc(payload);
        const page = parseNvdPage(typeof t === 'string' ? parseJson(t) : t);
        const tally = new NvdTally();
        tally.add(page);
        return { version: page.timestamp, apply: (tx) => applyNvd(tx, [page.records], tally) };
      }
    }
  } catch (err) {
    formatError(err);
  }
}

/**
 * Imports one feed file, incrementally: what is stored is compared with the
 * file and only differences are written, all in one transaction together
 * with the feed's state and one audit record. Importing the same file again
 * changes nothing. A malformed file is refused before anything is written.
 */
export async function importFeed(db: Db, ctx: Ctx, feed: FeedName, payload: FeedPayload, meta: ImportMeta): Promise<ImportSummary> {
  authorize(ctx, 'system:admin');
  if (!isFeed(feed)) throw new BadRequestError(`Unknown feed ${JSON.stringify(feed)}; expected one of ${FEEDS.join(', ')}`);
  const prepared = await prepare(feed, payload, meta);
  return commitImport(db, ctx, feed, { ...prepared, version: meta.version ?? prepared.version ?? digest(payload) }, meta);
}

/** The transaction of an import whose data is already parsed and checked (the NVD sync spools its pages first). */
export async function commitImport(db: Db, ctx: Ctx, feed: FeedName, prepared: PreparedImport, meta: ImportMeta): Promise<ImportSummary> {
  authorize(ctx, 'system:admin');
  const version = prepared.version;
  const summary = await db.transaction().execute(async (tx) => {
    // One import of a feed at a time; the audit chain lock comes last, so imports of different feeds overlap.
    await sql`select pg_advisory_xact_lock(hashtext(${`patchloop.feed.${feed}`}))`.execute(tx);
    const before = await tx.selectFrom('feed_state').select(['source', 'version', 'records', 'fetched_at']).where('feed', '=', feed).executeTakeFirst();
    const changes = await prepared.apply(tx);
    const summary: ImportSummary = { feed, source: meta.source, version, ...changes, unchanged: changes.records - changes.added - changes.changed };
    await saveState(tx, summary, meta);
    // Threat data changed (EPSS, KEV, CVSS): the findings of those vulnerabilities are re-prioritised (VUL-9).
    if (changes.changedVulnerabilities.length) {
      await sql`insert into priority_requests (scope, ids, trigger, at)
        select 'vulnerabilities', array_agg(num::text), ${`${feed} feed ${version}`}, now() from vulnerabilities
        where id = any(${sql.val(changes.changedVulnerabilities)}::text[]) having count(*) > 0`.execute(tx);
    }
    await audit.record(tx, ctx, { action: 'feed.import', entityType: 'feed', entityId: feed, before: before ?? null, after: counts(summary) });
    return summary;
  });
  await refreshStatistics(db, summary);
  // The advisories changed: re-match the assets that have an affected package (after commit).
  const rematch = await rematchForAdvisories(db, ctx, summary.changedPackages);
  if (rematch) summary.rematch = { assets: rematch.assets, opened: rematch.opened, reopened: rematch.reopened, resolved: rematch.resolved };
  const settled = await settlePriorities(db, meta.reprioritiseInline);
  if (settled) summary.reprioritised = { evaluated: sumOf(settled, 'evaluated'), changed: sumOf(settled, 'changed'), raised: sumOf(settled, 'raisedCount'), deferred: settled.deferred > 0 };
  return summary;
}

const sumOf = (s: ProcessSummary, k: 'evaluated' | 'changed' | 'raisedCount') => s.runs.reduce((n, r) => n + r[k], 0);

/**
 * After a big change, fresh planner statistics for the tables the matching
 * queries read. PGlite has no autovacuum, so without this the planner keeps
 * estimating from the empty tables of the first start. Best effort.
 */
async function refreshStatistics(db: Db, s: ImportSummary) {
  if (s.added + s.changed + s.removed < 1000) return;
  try {
    await sql.raw(s.feed === 'debian' || s.feed === 'osv' ? 'analyze advisories, vulnerabilities' : 'analyze vulnerabilities').execute(db);
  } catch {
    /* statistics are an optimisation; the import has committed */
  }
}

async function saveState(tx: Tx, s: ImportSummary, meta: ImportMeta) {
  // A page file covers an unknown lastMod range, so it leaves the NVD sync's starting point (undefined: column not written).
  const keep = s.feed === 'nvd' && meta.lastModified === undefined;
  const row = {
    feed: s.feed,
    source: s.source,
    version: s.version,
    fetched_at: new Date(),
    etag: meta.etag ?? null,
    last_modified: keep ? undefined : (meta.lastModified ?? null),
    records: s.records,
    changed: s.added + s.changed + s.removed,
  };
  await tx.insertInto('feed_state').values(row).onConflict((oc) => oc.column('feed').doUpdateSet({ ...row, feed: undefined })).execute();
}

/** The summary as the audit trail keeps it: counts, not the lists. */
export function counts(s: ImportSummary) {
  const { changedPackages, changedVulnerabilities, ...rest } = s;
  return { ...rest, changedPackages: changedPackages.length, changedVulnerabilities: changedVulnerabilities.length };
}

export interface FeedStateView {
  feed: string;
  source: string;
  version: string | null;
  fetchedAt: string;
  records: number;
  changed: number;
  etag: string | null;
  lastModified: string | null;
}

export async function listFeeds(db: Db, ctx: Ctx): Promise<FeedStateView[]> {
  authorize(ctx, 'asset:read');
  const rows = await db.selectFrom('feed_state').selectAll().orderBy('feed').execute();
  return rows.map((r) => ({
    feed: r.feed,
    source: r.source,
    version: r.version,
    fetchedAt: new Date(r.fetched_at).toISOString(),
    records: Number(r.records),
    changed: Number(r.changed),
    etag: r.etag,
    lastModified: r.last_modified,
  }));
}

/** Records that a conditional download found the feed unchanged (304): only fetched_at moves. */
export async function markNotModified(db: Db, ctx: Ctx, feed: FeedName, source: string): Promise<ImportSummary> {
  authorize(ctx, 'system:admin');
  return db.transaction().execute(async (tx) => {
    const st = await tx.selectFrom('feed_state').selectAll().where('feed', '=', feed).forUpdate().executeTakeFirst();
    await tx.updateTable('feed_state').set({ fetched_at: new Date() }).where('feed', '=', feed).execute();
    const summary: ImportSummary = {
      feed, source, version: st?.version ?? null, records: Number(st?.records ?? 0), added: 0, changed: 0, removed: 0,
      unchanged: Number(st?.records ?? 0), changedPackages: [], changedVulnerabilities: [], aliases: 0, notModified: true,
    };
    await audit.record(tx, ctx, { action: 'feed.import', entityType: 'feed', entityId: feed, after: counts(summary) });
    return summary;
  });
}
