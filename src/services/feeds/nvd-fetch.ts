import { FeedFormatError } from '../../domain/feeds/kev.js';
import { type NvdPage, parseNvdPage } from '../../domain/feeds/nvd.js';
import type { Db } from '../../storage/db.js';
import { authorize, type Ctx } from '../context.js';
import { retryAfterMs } from './download.js';
import { commitImport, type ImportSummary } from './feeds.service.js';
import { applyNvd, NvdSpool, NvdTally } from './nvd.js';
import { parseJson } from './payload.js';

/**
 * The NVD CVE API 2.0 client: pages of `resultsPerPage` CVEs by `startIndex`
 * until `totalResults`; incremental syncs ask for what changed since the
 * last sync (`lastModStartDate`/`lastModEndDate`, at most 120 days per
 * request, so longer gaps are split); requests are spaced to the public
 * rate limits (sliding 30 s window: 5 requests without an API key, 50 with
 * one) and retried with exponential backoff on network errors, 403 (the
 * NVD's answer to too many requests), 429 and 5xx, honouring Retry-After.
 */
export const NVD_API_URL = 'https://services.nvd.nist.gov/rest/json/cves/2.0';
export const MAX_WINDOW_DAYS = 120;
export const RATE_WINDOW_MS = 30_000;
export const RATE_LIMIT = { withoutKey: 5, withKey: 50 } as const;
/** A sync re-reads this much before the last one's end: clock skew between us and the NVD costs nothing but unchanged records. */
export const OVERLAP_MS = 60 * 60_000;
const DAY_MS = 86_400_000;

export interface Clock {
  now(): number;
  sleep(ms: number): Promise<void>;
}

export const realClock: Clock = { now: () => Date.now(), sleep: (ms) => new Promise((r) => setTimeout(r, Math.max(0, ms))) };

export interface NvdFetchOptions {
  /** Sent as the apiKey header; default PATCHLOOP_NVD_API_KEY. Raises the rate limit tenfold. */
  apiKey?: string | null;
  resultsPerPage?: number;
  /** Further attempts per request after the first. */
  retries?: number;
  /** First backoff, doubled each retry; Retry-After wins when sent. */
  backoffMs?: number;
  maxRetryAfterMs?: number;
  /** Abort a request when no byte arrives for this long. */
  timeoutMs?: number;
  maxPageBytes?: number;
  clock?: Clock;
  userAgent?: string;
}

export interface LastModWindow {
  start: Date;
  end: Date;
}

export class NvdFetchError extends Error {
  constructor(
    message: string,
    readonly url: string,
    readonly status?: number,
    readonly retryAfterMs?: number,
    /** Worth another attempt: network errors, timeouts, 403, 429, 5xx. */
    readonly retryable = status === undefined || status === 403 || status === 429 || status >= 500,
  ) {
    super(message);
    this.name = 'NvdFetchError';
  }
}

/** [start, end] cut into consecutive windows of at most `maxDays` (none when start is not before end). */
export function lastModWindows(start: Date, end: Date, maxDays = MAX_WINDOW_DAYS): LastModWindow[] {
  const out: LastModWindow[] = [];
  for (let s = start.getTime(); s < end.getTime(); s += maxDays * DAY_MS) {
    out.push({ start: new Date(s), end: new Date(Math.min(s + maxDays * DAY_MS, end.getTime())) });
  }
  return out;
}

/** The date form the API documents (an explicit UTC offset). */
export const nvdDate = (d: Date) => d.toISOString().replace('Z', '+00:00');

/** At most `limit` request starts in any `windowMs`. */
export class SlidingWindowLimiter {
  private readonly starts: number[] = [];
  constructor(
    readonly limit: number,
    readonly windowMs: number,
    private readonly clock: Clock,
  ) {}

  async acquire(): Promise<void> {
    for (;;) {
      const now = this.clock.now();
      while (this.starts.length > 0 && (this.starts[0] as number) <= now - this.windowMs) this.starts.shift();
      if (this.starts.length < this.limit) {
        this.starts.push(now);
        return;
      }
      await this.clock.sleep((this.starts[0] as number) + this.windowMs - now);
    }
  }
}

function describe(err: unknown): string {
  const e = err as { message?: string; cause?: { message?: string; code?: string } };
  const cause = e.cause?.code ?? e.cause?.message;
  return `${e.message ?? String(err)}${cause ? ` (${cause})` : ''}`;
}

/**
 * Fetches every page of every window (null: no date filter, the whole
 * database) and hands each, validated, to `onPage`. Throws NvdFetchError
 * naming the URL (and status) when a request still fails after the retries
 * or a page is not a valid API response.
 */
export async function fetchNvdPages(baseUrl: string, windows: readonly (LastModWindow | null)[], opts: NvdFetchOptions, onPage: (page: NvdPage) => void | Promise<void>): Promise<{ requests: number; pages: number }> {
  const clock = opts.clock ?? realClock;
  const apiKey = opts.apiKey === undefined ? process.env.PATCHLOOP_NVD_API_KEY || null : opts.apiKey;
  const limiter = new SlidingWindowLimiter(apiKey ? RATE_LIMIT.withKey : RATE_LIMIT.withoutKey, RATE_WINDOW_MS, clock);
  const retries = opts.retries ?? 5;
  const timeoutMs = opts.timeoutMs ?? 120_000;
  const maxBytes = opts.maxPageBytes ?? 256 * 1024 * 1024;
  const headers: Record<string, string> = { accept: 'application/json', 'user-agent': opts.userAgent ?? 'patchloop feed sync' };
  if (apiKey) headers.apiKey = apiKey;
  let requests = 0;
  let pages = 0;

  async function attempt(url: string): Promise<unknown> {
    const ac = new AbortController();
    let timer = setTimeout(() => ac.abort(), timeoutMs);
    try {
      const res = await fetch(url, { headers, signal: ac.signal, redirect: 'follow' });
      if (res.status !== 200) {
        await res.body?.cancel().catch(() => {});
        // The NVD explains refusals in a "message" header.
        const said = res.headers.get('message')?.slice(0, 200);
        const hint = res.status === 403 ? ' (the NVD answers 403 to too many requests and to an invalid API key)' : '';
        const status = `HTTP ${res.status}${res.statusText ? ` ${res.statusText}` : ''}`;
        throw new NvdFetchError(`${url}: ${status}${said ? `: ${said}` : ''}${hint}`, url, res.status, retryAfterMs(res.headers.get('retry-after'), clock.now()));
      }
      const chunks: Uint8Array[] = [];
      let size = 0;
      if (!res.body) throw new NvdFetchError(`${url}: empty response`, url);
      for await (const chunk of res.body as unknown as AsyncIterable<Uint8Array>) {
        clearTimeout(timer);
        timer = setTimeout(() => ac.abort(), timeoutMs);
        size += chunk.length;
        if (size > maxBytes) {
          ac.abort();
          throw new NvdFetchError(`${url}: the page is larger than ${maxBytes} bytes`, url, undefined, undefined, false);
        }
        chunks.push(chunk);
      }
      return parseJson(new TextDecoder('utf-8', { fatal: true }).decode(Buffer.concat(chunks)));
    } catch (err) {
      if (err instanceof NvdFetchError) throw err;
      if (err instanceof FeedFormatError) throw new NvdFetchError(`${url}: the response is not JSON (${err.message})`, url);
      throw new NvdFetchError(`${url}: ${ac.signal.aborted ? `no data for ${timeoutMs} ms` : describe(err)}`, url);
    } finally {
      clearTimeout(timer);
    }
  }

  async function get(url: string): Promise<unknown> {
    for (let n = 0; ; n++) {
      await limiter.acquire();
      requests++;
      try {
        return await attempt(url);
      } catch (err) {
        const e = err as NvdFetchError;
        if (!e.retryable) throw e;
        if (n >= retries) throw new NvdFetchError(`${e.message}; gave up after ${n + 1} attempts`, url, e.status, undefined, false);
        await clock.sleep(e.retryAfterMs !== undefined ? Math.min(e.retryAfterMs, opts.maxRetryAfterMs ?? 600_000) : (opts.backoffMs ?? 6_000) * 2 ** n);
      }
    }
  }

  for (const w of windows) {
    for (let start = 0; ; ) {
      const u = new URL(baseUrl);
      u.searchParams.set('resultsPerPage', String(opts.resultsPerPage ?? 2000));
      u.searchParams.set('startIndex', String(start));
      if (w) {
        u.searchParams.set('lastModStartDate', nvdDate(w.start));
        u.searchParams.set('lastModEndDate', nvdDate(w.end));
      }
      const url = u.toString();
      let page: NvdPage;
      try {
        page = parseNvdPage(await get(url));
      } catch (err) {
        if (err instanceof FeedFormatError) throw new NvdFetchError(`${url}: not a valid NVD API page at ${err.message}`, url, undefined, undefined, false);
        throw err;
      }
      if (page.startIndex !== start) throw new NvdFetchError(`${url}: asked for startIndex ${start}, the page starts at ${page.startIndex}`, url, undefined, undefined, false);
      pages++;
      await onPage(page);
      start += page.records.length;
      // An empty page before the total means the set shrank while paging; what moved is newer than this window and comes next sync.
      if (page.records.length === 0 || start >= page.totalResults) break;
    }
  }
  return { requests, pages };
}

export interface NvdSyncOptions extends NvdFetchOptions {
  /** The API (or a mirror of it); the NVD's own by default. */
  url?: string;
}

/**
 * Fetches what changed since the last successful sync (feed_state.last_modified
 * holds its end; without one, everything: ~300,000 CVEs in ~150 requests,
 * about 15 minutes at the public rate limit without a key) and imports it in
 * one transaction once every page has arrived. All or nothing: a failed sync
 * changes nothing and the next one starts from the same point.
 */
export async function syncNvd(db: Db, ctx: Ctx, opts: NvdSyncOptions = {}): Promise<ImportSummary> {
  authorize(ctx, 'system:admin');
  const url = opts.url ?? NVD_API_URL;
  const clock = opts.clock ?? realClock;
  const state = await db.selectFrom('feed_state').select('last_modified').where('feed', '=', 'nvd').executeTakeFirst();
  const since = state?.last_modified ? Date.parse(state.last_modified) : Number.NaN;
  const end = new Date(clock.now());
  const windows = Number.isNaN(since) ? [null] : lastModWindows(new Date(since - OVERLAP_MS), end);
  const spool = new NvdSpool();
  const tally = new NvdTally();
  try {
    let timestamp: string | null = null;
    const r = await fetchNvdPages(url, windows, { ...opts, clock }, (page) => {
      spool.add(page.records);
      tally.add(page);
      timestamp = page.timestamp;
    });
    tally.requests = r.requests;
    return await commitImport(db, ctx, 'nvd', { version: timestamp ?? end.toISOString(), apply: (tx) => applyNvd(tx, spool.batches(), tally) }, { source: url, lastModified: end.toISOString() });
  } finally {
    spool.dispose();
  }
}
