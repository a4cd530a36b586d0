import fs from 'node:fs';
import { pipeline } from 'node:stream/promises';
import { Transform } from 'node:stream';
import zlib from 'node:zlib';

/** Where the feeds are published. */
export const DEFAULT_URLS = {
  debian: 'https://security-tracker.debian.org/tracker/data/json',
  kev: 'https://www.cisa.gov/sites/default/files/feeds/known_exploited_vulnerabilities.json',
  epss: 'https://epss.empiricalsecurity.com/epss_scores-current.csv.gz',
  // One archive per ecosystem (https://google.github.io/osv.dev/data/): without a URL, `osv` syncs OSV_ECOSYSTEMS.
  osv: 'https://osv-vulnerabilities.storage.googleapis.com/Debian/all.zip',
} as const;

/** The osv.dev ecosystems a sync of `osv` downloads, one all.zip each. */
export const OSV_ECOSYSTEMS = ['Debian', 'Ubuntu', 'Alpine', 'Red Hat', 'AlmaLinux', 'Rocky Linux', 'npm', 'PyPI', 'Maven', 'Go'] as const;
export const OSV_ARCHIVE_BASE = 'https://osv-vulnerabilities.storage.googleapis.com';

export interface FetchFeedOptions {
  /** Validators from the previous download: sent as If-None-Match / If-Modified-Since. */
  etag?: string | null;
  lastModified?: string | null;
  /** The file to write (decompressed); written as dest.part, then renamed. */
  dest: string;
  /** Abort an attempt when no byte arrives for this long. */
  timeoutMs: number;
  /** Further attempts after the first, on network errors, 5xx and 429. */
  retries: number;
  /** Largest download and largest decompressed file accepted. */
  maxBytes?: number;
  /** First backoff (doubled each retry); Retry-After wins when the server sends it. */
  backoffMs?: number;
  /** Longest wait honoured from Retry-After. */
  maxRetryAfterMs?: number;
  userAgent?: string;
}

export type FetchFeedResult =
  | { status: 'not-modified'; attempts: number }
  | {
      status: 'downloaded';
      path: string;
      /** Size of the written (decompressed) file. */
      bytes: number;
      /** Bytes received over the network. */
      received: number;
      etag: string | null;
      lastModified: string | null;
      gunzipped: boolean;
      /** Number of times an interrupted transfer continued with a Range request (206). */
      resumed: number;
      attempts: number;
    };

export type DownloadErrorKind = 'http' | 'network' | 'timeout' | 'too-large' | 'corrupt';

export class DownloadError extends Error {
  constructor(
    message: string,
    readonly kind: DownloadErrorKind,
    readonly status?: number,
    readonly retryAfterMs?: number,
  ) {
    super(message);
    this.name = 'DownloadError';
  }
  get retryable(): boolean {
    return this.kind === 'network' || this.kind === 'timeout' || (this.kind === 'http' && (this.status === 429 || (this.status ?? 0) >= 500));
  }
}

export const DEFAULT_MAX_BYTES = 512 * 1024 * 1024;

/** Retry-After as milliseconds (delta-seconds or an HTTP date). */
export function retryAfterMs(value: string | null, now = Date.now()): number | undefined {
  if (!value) return undefined;
  if (/^\d+$/.test(value.trim())) return Number(value.trim()) * 1000;
  const t = Date.parse(value);
  return Number.isNaN(t) ? undefined : Math.max(0, t - now);
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/**
 * Downloads a feed with Node's fetch: conditional request (304 = unchanged),
 * retries with exponential backoff on network errors, 5xx and 429 (honouring
 * Retry-After), continues an interrupted transfer with a Range request when
 * the server supports it (206; otherwise starts over), refuses files larger
 * than maxBytes, gunzips gzip files (Content-Encoding gzip is decoded by
 * fetch itself), and writes to a temporary file renamed into place at the end.
 */
export async function fetchFeed(url: string, opts: FetchFeedOptions): Promise<FetchFeedResult> {
  const maxBytes = opts.maxBytes ?? DEFAULT_MAX_BYTES;
  const part = `${opts.dest}.part`;
  fs.rmSync(part, { force: true });
  let have = 0;
  let validator: { etag: string | null; lastModified: string | null } | null = null;
  let resumable = false;
  let resumed = 0;
  let attempts = 0;
  try {
    for (let attempt = 0; ; attempt++) {
      attempts = attempt + 1;
      try {
        const r = await attemptOnce();
        if (r === 'not-modified') return { status: 'not-modified', attempts };
        break;
      } catch (err) {
        const e = err instanceof DownloadError ? err : new DownloadError(`${url}: ${describe(err)}`, 'network');
        if (!e.retryable || attempt >= opts.retries) throw e;
        if (!resumable) have = 0;
        const backoff = (opts.backoffMs ?? 1000) * 2 ** attempt;
        await sleep(e.retryAfterMs !== undefined ? Math.min(e.retryAfterMs, opts.maxRetryAfterMs ?? 120_000) : backoff);
      }
    }
    const received = have;
    const gunzipped = isGzipFile(part);
    const tmp = `${opts.dest}.tmp`;
    if (gunzipped) {
      let out = 0;
      const limit = new Transform({
        transform(chunk: Buffer, _enc, cb) {
          out += chunk.length;
          if (out > maxBytes) cb(new DownloadError(`${url}: decompresses to more than ${maxBytes} bytes`, 'too-large'));
          else cb(null, chunk);
        },
      });
      try {
        await pipeline(fs.createReadStream(part), zlib.createGunzip(), limit, fs.createWriteStream(tmp));
      } catch (err) {
        fs.rmSync(tmp, { force: true });
        if (err instanceof DownloadError) throw err;
        throw new DownloadError(`${url}: the gzip data is corrupt or truncated: ${describe(err)}`, 'corrupt');
      }
      fs.rmSync(part, { force: true });
    } else fs.renameSync(part, tmp);
    fs.renameSync(tmp, opts.dest);
    const v = validator as { etag: string | null; lastModified: string | null } | null;
    return { status: 'downloaded', path: opts.dest, bytes: fs.statSync(opts.dest).size, received, etag: v?.etag ?? null, lastModified: v?.lastModified ?? null, gunzipped, resumed, attempts };
  } finally {
    fs.rmSync(part, { force: true });
  }

  async function attemptOnce(): Promise<'done' | 'not-modified'> {
    const headers: Record<string, string> = { 'user-agent': opts.userAgent ?? 'patchloop feed sync' };
    const resuming = have > 0 && resumable && validator !== null;
    if (resuming && validator) {
      headers.range = `bytes=${have}-`;
      // Only a strong validator may guard a Range request.
      const ifRange = validator.etag && !validator.etag.startsWith('W/') ? validator.etag : validator.lastModified;
      if (ifRange) headers['if-range'] = ifRange;
      headers['accept-encoding'] = 'identity';
    } else {
      have = 0;
      if (opts.etag) headers['if-none-match'] = opts.etag;
      if (opts.lastModified) headers['if-modified-since'] = opts.lastModified;
    }
    const ac = new AbortController();
    let timer = setTimeout(() => ac.abort(), opts.timeoutMs);
    const touch = () => {
      clearTimeout(timer);
      timer = setTimeout(() => ac.abort(), opts.timeoutMs);
    };
    let fh: fs.promises.FileHandle | undefined;
    try {
      let res: Response;
      try {
        res = await fetch(url, { headers, signal: ac.signal, redirect: 'follow' });
      } catch (err) {
        throw ac.signal.aborted ? new DownloadError(`${url}: no response within ${opts.timeoutMs} ms`, 'timeout') : err;
      }
      if (res.status === 304 && !resuming) {
        await res.body?.cancel();
        return 'not-modified';
      }
      if (res.status !== 200 && res.status !== 206) {
        await res.body?.cancel().catch(() => {});
        throw new DownloadError(`${url}: HTTP ${res.status} ${res.statusText}`.trim(), 'http', res.status, retryAfterMs(res.headers.get('retry-after')));
      }
      let append = false;
      if (res.status === 206) {
        const m = /^bytes (\d+)-\d+\/(\d+|\*)$/.exec(res.headers.get('content-range') ?? '');
        if (!resuming || !m || Number(m[1]) !== have) {
          await res.body?.cancel().catch(() => {});
          resumable = false;
          have = 0;
          throw new DownloadError(`${url}: the server answered a range the download did not ask for`, 'network');
        }
        append = true;
        resumed++;
      } else {
        have = 0;
        validator = { etag: res.headers.get('etag'), lastModified: res.headers.get('last-modified') };
        // A transfer fetch decoded from Content-Encoding cannot continue by byte ranges of the decoded data.
        const encoded = !!res.headers.get('content-encoding') && res.headers.get('content-encoding') !== 'identity';
        resumable = !encoded && res.headers.get('accept-ranges') === 'bytes' && !!(validator.etag || validator.lastModified);
      }
      const length = res.headers.get('content-length');
      const expected = length !== null && /^\d+$/.test(length) && !res.headers.get('content-encoding') ? have + Number(length) : null;
      if (expected !== null && expected > maxBytes) {
        await res.body?.cancel().catch(() => {});
        throw new DownloadError(`${url}: the file is ${expected} bytes, more than the limit of ${maxBytes}`, 'too-large');
      }
      fh = await fs.promises.open(part, append ? 'a' : 'w');
      if (!res.body) throw new DownloadError(`${url}: empty response`, 'network');
      try {
        for await (const chunk of res.body as unknown as AsyncIterable<Uint8Array>) {
          touch();
          have += chunk.length;
          if (have > maxBytes) {
            ac.abort();
            throw new DownloadError(`${url}: the download exceeds the limit of ${maxBytes} bytes`, 'too-large');
          }
          await fh.write(chunk);
        }
      } catch (err) {
        if (err instanceof DownloadError) throw err;
        throw new DownloadError(`${url}: ${ac.signal.aborted ? `stalled for ${opts.timeoutMs} ms` : `connection lost after ${have} bytes (${describe(err)})`}`, ac.signal.aborted ? 'timeout' : 'network');
      }
      if (expected !== null && have < expected) throw new DownloadError(`${url}: connection closed after ${have} of ${expected} bytes`, 'network');
      return 'done';
    } finally {
      clearTimeout(timer);
      await fh?.close();
    }
  }
}

function isGzipFile(file: string): boolean {
  const fd = fs.openSync(file, 'r');
  try {
    const b = Buffer.alloc(2);
    return fs.readSync(fd, b, 0, 2, 0) === 2 && b[0] === 0x1f && b[1] === 0x8b;
  } finally {
    fs.closeSync(fd);
  }
}

function describe(err: unknown): string {
  const e = err as { message?: string; cause?: { message?: string; code?: string } };
  const cause = e.cause?.code ?? e.cause?.message;
  return `${e.message ?? String(err)}${cause ? ` (${cause})` : ''}`;
}
