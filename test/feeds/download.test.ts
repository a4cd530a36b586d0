import fs from 'node:fs';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import os from 'node:os';
import path from 'node:path';
import zlib from 'node:zlib';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { DownloadError, fetchFeed, retryAfterMs } from '../../src/services/feeds/download.js';

/** The real KEV catalogue when the fixtures are there, otherwise a generated stand-in of similar size (never the internet). */
const FIXTURE = path.resolve(process.cwd(), '../shared/fixtures/kev/known_exploited_vulnerabilities.json');
const body = fs.existsSync(FIXTURE) ? fs.readFileSync(FIXTURE) : Buffer.from(JSON.stringify({ vulnerabilities: Array.from({ length: 5000 }, (_, i) => ({ cveID: `CVE-2024-${10000 + i}`, notes: 'x'.repeat(100) })) }));
const gz = zlib.gzipSync(body);
const ETAG = '"kev-2025.08.25"';
const LAST_MODIFIED = 'Mon, 25 Aug 2025 17:04:19 GMT';

type Behaviour = { fail503?: number; retryAfter?: string; cutAfter?: number; noRanges?: boolean; encodeGzip?: boolean };
let behaviour: Behaviour = {};
let log: { path: string; headers: http.IncomingHttpHeaders; status: number }[] = [];
let server: http.Server;
let base: string;
let dir: string;

beforeAll(async () => {
  server = http.createServer((req, res) => {
    const entry = { path: req.url ?? '', headers: req.headers, status: 200 };
    log.push(entry);
    const send = (status: number, headers: Record<string, string | number>, data?: Buffer) => {
      entry.status = status;
      res.writeHead(status, headers);
      res.end(data);
    };
    if (behaviour.fail503 && behaviour.fail503 > 0) {
      behaviour.fail503--;
      return send(503, behaviour.retryAfter ? { 'retry-after': behaviour.retryAfter } : {});
    }
    if (req.url === '/missing') return send(404, {});
    const data = req.url?.endsWith('.gz') ? gz : behaviour.encodeGzip ? gz : body;
    if (req.headers['if-none-match'] === ETAG || req.headers['if-modified-since'] === LAST_MODIFIED) return send(304, { etag: ETAG });
    const headers: Record<string, string | number> = { etag: ETAG, 'last-modified': LAST_MODIFIED, 'content-type': 'application/json' };
    if (!behaviour.noRanges) headers['accept-ranges'] = 'bytes';
    if (behaviour.encodeGzip) headers['content-encoding'] = 'gzip';
    const range = /^bytes=(\d+)-$/.exec(String(req.headers.range ?? ''));
    if (range && !behaviour.noRanges && req.headers['if-range'] === ETAG) {
      const start = Number(range[1]);
      return send(206, { ...headers, 'content-range': `bytes ${start}-${data.length - 1}/${data.length}`, 'content-length': data.length - start }, data.subarray(start));
    }
    if (behaviour.cutAfter !== undefined) {
      const n = behaviour.cutAfter;
      behaviour.cutAfter = undefined;
      entry.status = 200;
      res.writeHead(200, { ...headers, 'content-length': data.length });
      res.write(data.subarray(0, n), () => setTimeout(() => res.socket?.destroy(), 20));
      return;
    }
    send(200, { ...headers, 'content-length': data.length }, data);
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'patchloop-download-'));
});
afterAll(async () => {
  await new Promise((r) => server.close(r));
  fs.rmSync(dir, { recursive: true, force: true });
});
beforeEach(() => {
  behaviour = {};
  log = [];
});

const opts = (name: string, extra: Partial<Parameters<typeof fetchFeed>[1]> = {}) => ({ dest: path.join(dir, name), timeoutMs: 5000, retries: 3, backoffMs: 10, ...extra });

describe('feed download over HTTP (local server)', () => {
  it('downloads, keeps the validators, and gets 304 on the conditional request', async () => {
    const r = await fetchFeed(`${base}/kev.json`, opts('kev.json'));
    expect(r).toMatchObject({ status: 'downloaded', etag: ETAG, lastModified: LAST_MODIFIED, gunzipped: false, bytes: body.length });
    expect(fs.readFileSync(path.join(dir, 'kev.json')).equals(body)).toBe(true);
    const again = await fetchFeed(`${base}/kev.json`, opts('kev2.json', { etag: ETAG, lastModified: LAST_MODIFIED }));
    expect(again.status).toBe('not-modified');
    expect(log.at(-1)?.headers['if-none-match']).toBe(ETAG);
    expect(log.at(-1)?.headers['if-modified-since']).toBe(LAST_MODIFIED);
    expect(fs.existsSync(path.join(dir, 'kev2.json'))).toBe(false);
  });

  it('gunzips a .gz file and a Content-Encoding: gzip response', async () => {
    const r = await fetchFeed(`${base}/kev.json.gz`, opts('a.json'));
    expect(r).toMatchObject({ status: 'downloaded', gunzipped: true, received: gz.length, bytes: body.length });
    expect(fs.readFileSync(path.join(dir, 'a.json')).equals(body)).toBe(true);
    behaviour = { encodeGzip: true };
    const e = await fetchFeed(`${base}/kev.json`, opts('b.json'));
    expect(e).toMatchObject({ status: 'downloaded', bytes: body.length });
    expect(fs.readFileSync(path.join(dir, 'b.json')).equals(body)).toBe(true);
  });

  it('retries after 503, honouring Retry-After', async () => {
    behaviour = { fail503: 2, retryAfter: '1' };
    const t = Date.now();
    const r = await fetchFeed(`${base}/kev.json`, opts('c.json'));
    expect(r).toMatchObject({ status: 'downloaded', attempts: 3 });
    expect(Date.now() - t).toBeGreaterThanOrEqual(1900);
    expect(log.map((l) => l.status)).toEqual([503, 503, 200]);
  });

  it('gives up after the last retry, naming the status', async () => {
    behaviour = { fail503: 10 };
    await expect(fetchFeed(`${base}/kev.json`, opts('d.json', { retries: 2 }))).rejects.toThrow('HTTP 503');
    expect(log).toHaveLength(3);
    expect(fs.readdirSync(dir).filter((f) => f.startsWith('d.json'))).toEqual([]);
  });

  it('does not retry a 404', async () => {
    const err = await fetchFeed(`${base}/missing`, opts('e.json')).then(() => null, (e) => e);
    expect(err).toBeInstanceOf(DownloadError);
    expect(err).toMatchObject({ kind: 'http', status: 404 });
    expect(err.message).toContain('HTTP 404');
    expect(log).toHaveLength(1);
  });

  it('resumes with Range after the connection is cut mid-body', async () => {
    behaviour = { cutAfter: 100_000 };
    const r = await fetchFeed(`${base}/kev.json`, opts('f.json'));
    expect(r).toMatchObject({ status: 'downloaded', resumed: 1, attempts: 2, bytes: body.length });
    expect(fs.readFileSync(path.join(dir, 'f.json')).equals(body)).toBe(true);
    expect(log[1]?.headers.range).toBe('bytes=100000-');
    expect(log[1]?.headers['if-range']).toBe(ETAG);
    expect(log[1]?.status).toBe(206);
  });

  it('starts over when the server does not support ranges', async () => {
    behaviour = { cutAfter: 50_000, noRanges: true };
    const r = await fetchFeed(`${base}/kev.json`, opts('g.json'));
    expect(r).toMatchObject({ status: 'downloaded', resumed: 0, attempts: 2 });
    expect(log[1]?.headers.range).toBeUndefined();
    expect(fs.readFileSync(path.join(dir, 'g.json')).equals(body)).toBe(true);
  });

  it('refuses an oversized file, by Content-Length and by decompressed size, leaving nothing behind', async () => {
    await expect(fetchFeed(`${base}/kev.json`, opts('h.json', { maxBytes: 1000 }))).rejects.toMatchObject({ kind: 'too-large' });
    expect(log).toHaveLength(1);
    await expect(fetchFeed(`${base}/kev.json.gz`, opts('i.json', { maxBytes: gz.length + 10 }))).rejects.toThrow(/decompresses to more than/);
    expect(fs.readdirSync(dir).filter((f) => /^[hi]\.json/.test(f))).toEqual([]);
  });

  it('reports a network error after the retries', async () => {
    await expect(fetchFeed('http://127.0.0.1:1/x', opts('j.json', { retries: 1 }))).rejects.toMatchObject({ kind: 'network' });
  });

  it('reads Retry-After as seconds or a date', () => {
    expect(retryAfterMs('3')).toBe(3000);
    expect(retryAfterMs(new Date(10_000).toUTCString(), 4000)).toBe(6000);
    expect(retryAfterMs('soon')).toBeUndefined();
  });
});
