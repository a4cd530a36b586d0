import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { AppError, BadRequestError } from '../../lib/errors.js';
import type { Db } from '../../storage/db.js';
import { authorize, type Ctx } from '../context.js';
import { DEFAULT_URLS, DownloadError, type FetchFeedOptions, fetchFeed, OSV_ARCHIVE_BASE, OSV_ECOSYSTEMS } from './download.js';
import { type ImportSummary, importFeed, markNotModified } from './feeds.service.js';
import { NVD_API_URL, type NvdFetchOptions, NvdFetchError, syncNvd } from './nvd-fetch.js';
import { MAX_FEED_TEXT_BYTES } from './payload.js';
import type { FeedName } from './types.js';

export { DEFAULT_URLS } from './download.js';

export class FeedDownloadFailed extends AppError {
  constructor(message: string) {
    super(502, 'Feed download failed', message);
  }
}

export interface SyncOptions {
  /** Another place to fetch from (a mirror); the feed's public URL otherwise. */
  url?: string;
  releases?: readonly string[];
  /** Download tuning (tests shorten the backoff). */
  download?: Partial<Omit<FetchFeedOptions, 'dest' | 'etag' | 'lastModified'>>;
  /** NVD API paging: API key, rate limit clock, retries (tests use a fake clock). */
  nvd?: NvdFetchOptions;
  /** See ImportMeta.reprioritiseInline: the scheduled sync (already a background job) re-prioritises everything itself. */
  reprioritiseInline?: number;
}

/**
 * Downloads a feed (conditionally: the validators of the last download from
 * the same URL are sent) and imports it. The download happens before the
 * import's transaction; 304 Not Modified only records the check.
 */
export async function syncFeed(db: Db, ctx: Ctx, feed: FeedName, opts: SyncOptions = {}): Promise<ImportSummary> {
  authorize(ctx, 'system:admin');
  if (feed === 'osv' && !opts.url) {
    // One archive per ecosystem, each a snapshot of its own rows, imported one after the other.
    const all: ImportSummary[] = [];
    for (const eco of OSV_ECOSYSTEMS) all.push(await syncFeed(db, ctx, 'osv', { ...opts, url: `${OSV_ARCHIVE_BASE}/${encodeURIComponent(eco)}/all.zip` }));
    return mergeSummaries(all, OSV_ARCHIVE_BASE);
  }
  const url = opts.url ?? (feed === 'nvd' ? NVD_API_URL : DEFAULT_URLS[feed]);
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    throw new BadRequestError(`${JSON.stringify(url)} is not a URL`, [{ field: 'query.url', message: 'is not a URL' }]);
  }
  if (parsed.protocol !== 'https:' && parsed.protocol !== 'http:') throw new BadRequestError('Feeds are fetched over http or https only', [{ field: 'query.url', message: 'must be an http(s) URL' }]);
  if (parsed.username || parsed.password) throw new BadRequestError('The URL must not carry credentials', [{ field: 'query.url', message: 'must not contain a user name or password' }]);

  if (feed === 'nvd') {
    try {
      return await syncNvd(db, ctx, { ...opts.nvd, url });
    } catch (err) {
      if (err instanceof NvdFetchError) throw new FeedDownloadFailed(`Could not fetch the nvd feed: ${err.message}`);
      throw err;
    }
  }

  const state = await db.selectFrom('feed_state').select(['source', 'etag', 'last_modified']).where('feed', '=', feed).executeTakeFirst();
  // Conditional only when the last import came from this very URL (a file upload has no validators).
  const conditional = state && state.source === url ? { etag: state.etag, lastModified: state.last_modified } : {};
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'patchloop-feed-'));
  try {
    let result: Awaited<ReturnType<typeof fetchFeed>>;
    try {
      result = await fetchFeed(url, { timeoutMs: 60_000, retries: 4, maxBytes: MAX_FEED_TEXT_BYTES, ...opts.download, ...conditional, dest: path.join(dir, feed) });
    } catch (err) {
      if (err instanceof DownloadError) throw new FeedDownloadFailed(`Could not download the ${feed} feed: ${err.message}`);
      throw err;
    }
    if (result.status === 'not-modified') return markNotModified(db, ctx, feed, url);
    const bytes = fs.readFileSync(result.path);
    return await importFeed(db, ctx, feed, bytes, { source: url, etag: result.etag, lastModified: result.lastModified, releases: opts.releases, reprioritiseInline: opts.reprioritiseInline });
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
}

/** Several imports of one feed reported as one. */
function mergeSummaries(all: ImportSummary[], source: string): ImportSummary {
  const sum = (k: 'records' | 'added' | 'changed' | 'removed' | 'unchanged' | 'aliases') => all.reduce((n, s) => n + s[k], 0);
  const rematch = all.filter((s) => s.rematch).map((s) => s.rematch as NonNullable<ImportSummary['rematch']>);
  return {
    feed: all[0]?.feed ?? 'osv',
    source,
    version: null,
    records: sum('records'),
    added: sum('added'),
    changed: sum('changed'),
    removed: sum('removed'),
    unchanged: sum('unchanged'),
    aliases: sum('aliases'),
    changedPackages: all.flatMap((s) => s.changedPackages),
    changedVulnerabilities: [...new Set(all.flatMap((s) => s.changedVulnerabilities))],
    notModified: all.every((s) => s.notModified) || undefined,
    ...(rematch.length
      ? { rematch: { assets: rematch.reduce((n, r) => n + r.assets, 0), opened: rematch.reduce((n, r) => n + r.opened, 0), reopened: rematch.reduce((n, r) => n + r.reopened, 0), resolved: rematch.reduce((n, r) => n + r.resolved, 0) } }
      : {}),
  };
}
