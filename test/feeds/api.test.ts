import fs from 'node:fs';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import path from 'node:path';
import { Readable } from 'node:stream';
import zlib from 'node:zlib';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { bearer, type TestApp, userWithToken } from '../support/app.js';
import { onPostgres } from '../support/db.js';
import { feedsApp } from './app.js';

const FIXTURES = path.resolve(process.cwd(), '../shared/fixtures');
const KEV_FILE = path.join(FIXTURES, 'kev/known_exploited_vulnerabilities.json');
const TRACKER_FILE = path.join(FIXTURES, 'debian-bookworm/tracker.json');
const haveFixtures = fs.existsSync(KEV_FILE) && fs.existsSync(TRACKER_FILE);
const where = onPostgres() ? 'PostgreSQL' : 'PGlite';

let t: TestApp;
let admin: string;
let analyst: string;

beforeAll(async () => {
  t = await feedsApp();
  ({ token: admin } = await userWithToken(t.database, 'admin', 'feed-admin'));
  ({ token: analyst } = await userWithToken(t.database, 'security_analyst', 'feed-analyst'));
});
afterAll(() => t?.close());

const post = (url: string, payload: string | Buffer, contentType: string, token = admin) =>
  t.app.inject({ method: 'POST', url, headers: { ...bearer(token), 'content-type': contentType }, payload });

/** Row counts of everything an import writes. */
async function snapshot() {
  const r = await t.database.executeSql(`select
    (select count(*) from vulnerabilities)::int as v, (select count(*) from advisories)::int as a,
    (select count(*) from vulnerability_aliases)::int as al, (select count(*) from feed_state)::int as f,
    (select count(*) from audit_log)::int as au,
    (select coalesce(string_agg(feed || ':' || coalesce(version, '') || ':' || records, ','), '') from feed_state) as fs,
    (select count(*) from vulnerabilities where kev_date_added is not null or epss_score is not null)::int as scored`);
  return r.rows[0];
}

function epssCsv(rows: string[]) {
  return `#model_version:v2025.03.14,score_date:2025-09-03T12:55:00Z\ncve,epss,percentile\n${rows.join('\n')}\n`;
}

describe(`feed API (${where})`, () => {
  it('lists feeds for readers and refuses imports and syncs to non-administrators', async () => {
    const list = await t.app.inject({ method: 'GET', url: '/api/feeds', headers: bearer(analyst) });
    expect(list.statusCode).toBe(200);
    expect(Array.isArray(list.json())).toBe(true);
    const denied = await post('/api/feeds/kev/import', '{}', 'application/json', analyst);
    expect(denied.statusCode).toBe(403);
    const sync = await t.app.inject({ method: 'POST', url: '/api/feeds/kev/sync?url=http://127.0.0.1:1/x', headers: bearer(analyst) });
    expect(sync.statusCode).toBe(403);
    const anon = await t.app.inject({ method: 'POST', url: '/api/feeds/kev/import', payload: '{}', headers: { 'content-type': 'application/json' } });
    expect(anon.statusCode).toBe(401);
  });

  it('rejects an unknown feed name', async () => {
    const r = await post('/api/feeds/nope/import', '{}', 'application/json');
    expect(r.statusCode).toBe(400);
    expect(r.json().errors[0].field).toBe('params.feed');
  });

  it('imports EPSS as CSV text and as gzip bytes, with one audit record per import', async () => {
    const rows = ['CVE-2021-44228,0.97,0.9999', 'CVE-2014-0160,0.94,0.999', 'CVE-2024-3094,0.85,0.998'];
    const before = await snapshot();
    const csv = await post('/api/feeds/epss/import?source=epss_scores-2025-09-03.csv', epssCsv(rows), 'text/csv');
    expect(csv.statusCode).toBe(200);
    expect(csv.json()).toMatchObject({ feed: 'epss', source: 'epss_scores-2025-09-03.csv', version: '2025-09-03 (model v2025.03.14)', records: 3, added: 3, changed: 0, removed: 0, unchanged: 0, changedVulnerabilitiesTruncated: false });
    const gz = await post('/api/feeds/epss/import', zlib.gzipSync(epssCsv(rows)), 'application/gzip');
    expect(gz.statusCode).toBe(200);
    expect(gz.json()).toMatchObject({ records: 3, added: 0, changed: 0, removed: 0, unchanged: 3 });
    const after = await snapshot();
    expect(after.au - before.au).toBe(2);
    const audit = await t.database.executeSql(`select action, entity_type, entity_id, after from audit_log order by seq desc limit 1`);
    expect(audit.rows[0]).toMatchObject({ action: 'feed.import', entity_type: 'feed', entity_id: 'epss' });
    expect(audit.rows[0].after).toMatchObject({ feed: 'epss', records: 3, added: 0, changed: 0, removed: 0, changedPackages: 0, changedVulnerabilities: 0 });
    const list = (await t.app.inject({ method: 'GET', url: '/api/feeds', headers: bearer(admin) })).json();
    expect(list.find((f: { feed: string }) => f.feed === 'epss')).toMatchObject({ source: 'upload', version: '2025-09-03 (model v2025.03.14)', records: 3, changed: 0 });
  });

  describe('malformed, truncated and hostile files change nothing and name the place', () => {
    const kevDoc = () => ({
      catalogVersion: '2025.08.25', dateReleased: '2025-08-25T17:04:19Z', count: 3,
      vulnerabilities: [0, 1, 2].map((i) => ({ cveID: `CVE-2025-000${i}1`, vendorProject: 'V', product: 'P', vulnerabilityName: `N${i}`, dateAdded: '2025-08-01', shortDescription: '', requiredAction: 'Patch', dueDate: '2025-08-22', knownRansomwareCampaignUse: 'Unknown', notes: '', cwes: [] })),
    });
    const cases: [string, string, () => string | Buffer | Promise<Buffer>, string, number, string | RegExp][] = [
      ['KEV with a bad due date', 'kev', () => { const d = kevDoc(); (d.vulnerabilities[2] as Record<string, unknown>).dueDate = '2025-13-01'; return JSON.stringify(d); }, 'application/json', 400, 'vulnerabilities[2].dueDate'],
      ['KEV cut in half', 'kev', () => { const s = JSON.stringify(kevDoc()); return s.slice(0, s.length / 2); }, 'application/json', 400, /end of file/],
      ['KEV that is not JSON', 'kev', () => 'cve,epss\n', 'application/json', 400, /line 1, column 1/],
      ['KEV whose count disagrees (truncated list)', 'kev', () => JSON.stringify({ ...kevDoc(), count: 1400 }), 'application/json', 400, 'count'],
      ['Debian with an unknown status', 'debian', () => JSON.stringify({ openssl: { 'CVE-2024-1': { releases: { bookworm: { status: 'maybe' } } } } }), 'application/json', 400, 'openssl/CVE-2024-1/bookworm'],
      ['Debian with a hostile package name', 'debian', () => JSON.stringify({ '<script>alert(1)</script>': { 'CVE-2024-1': { releases: { bookworm: { status: 'open' } } } } }), 'application/json', 400, '"<script>alert(1)</script>"'],
      ['Debian with __proto__ as a package', 'debian', () => '{"__proto__": {"CVE-2024-1": {"releases": {"bookworm": {"status": "open"}}}}}', 'application/json', 400, '"__proto__"'],
      ['Debian with a SQL-ish fixed version', 'debian', () => JSON.stringify({ zlib: { 'CVE-2024-1': { releases: { bookworm: { status: 'resolved', fixed_version: "1'; drop table advisories; --" } } } } }), 'application/json', 400, 'zlib/CVE-2024-1/bookworm/fixed_version'],
      ['Debian that is an array', 'debian', () => '[]', 'application/json', 400, 'document'],
      ['EPSS with a score out of range', 'epss', () => epssCsv(['CVE-2024-0001,0.1,0.2', 'CVE-2024-0002,7,0.2']), 'text/csv', 400, 'line 4, column epss'],
      ['EPSS gzip cut short', 'epss', () => { const g = zlib.gzipSync(epssCsv(['CVE-2024-0001,0.1,0.2'])); return g.subarray(0, g.length - 12); }, 'application/gzip', 400, /truncated/],
      ['EPSS that is not UTF-8', 'epss', () => Buffer.concat([Buffer.from(epssCsv(['CVE-2024-0001,0.1,0.2'])), Buffer.from([0xff, 0xfe, 0x00])]), 'text/csv', 400, /UTF-8/],
      ['empty body', 'kev', () => '', 'application/json', 400, /end of file|document/],
      ['a gzip bomb', 'epss', bomb, 'application/gzip', 413, /decompresses to more than/],
    ];
    for (const [name, feed, make, ct, status, place] of cases) {
      it(name, async () => {
        const before = await snapshot();
        const r = await post(`/api/feeds/${feed}/import`, await make(), ct);
        expect(r.statusCode, r.body).toBe(status);
        const p = r.json();
        expect(p.title).toBeTypeOf('string');
        const text = `${p.detail} ${(p.errors ?? []).map((e: { field: string }) => e.field).join(' ')}`;
        if (typeof place === 'string') expect(text).toContain(place);
        else expect(text).toMatch(place);
        expect(await snapshot()).toEqual(before);
      }, 60_000);
    }
  });

  it('keeps other routes\' JSON parsing', async () => {
    if (t.app.hasRoute({ method: 'POST', url: '/api/echo' })) {
      const r = await t.app.inject({ method: 'POST', url: '/api/echo', payload: { a: 1 } });
      expect(r.json()).toEqual({ type: 'object', body: { a: 1 } });
    } else {
      const r = await t.app.inject({ method: 'POST', url: '/api/teams', headers: bearer(admin), payload: { name: 'Feeds team' } });
      expect(r.statusCode).toBe(201);
    }
  });
});

/** ~600 MB of zeros in ~600 kB of gzip, made without holding the 600 MB. */
async function bomb(): Promise<Buffer> {
  const zeros = Buffer.alloc(1024 * 1024);
  const src = Readable.from((function* () { for (let i = 0; i < 600; i++) yield zeros; })());
  const chunks: Buffer[] = [];
  for await (const c of src.pipe(zlib.createGzip({ level: 1 }))) chunks.push(c as Buffer);
  return Buffer.concat(chunks);
}

describe.skipIf(!haveFixtures)(`feed API on the real fixtures (${where})${haveFixtures ? '' : ' — skipped: ../shared/fixtures is absent'}`, () => {
  it('imports the Debian tracker export and the KEV catalogue by upload', async () => {
    const tracker = fs.readFileSync(TRACKER_FILE);
    const doc = JSON.parse(tracker.toString('utf8')) as Record<string, Record<string, unknown>>;
    const records = Object.values(doc).reduce((a, v) => a + Object.keys(v).length, 0);
    const d = await post('/api/feeds/debian/import?source=tracker.json&release=bookworm', tracker, 'application/json');
    expect(d.statusCode, d.body).toBe(200);
    expect(d.json()).toMatchObject({ feed: 'debian', records, added: records, removed: 0 });
    expect(d.json().changedPackages).toHaveLength(Object.keys(doc).length);
    // 16,079 CVEs changed: the response lists the first 10,000 and says how many there were.
    const cves = new Set(Object.values(doc).flatMap((v) => Object.keys(v)));
    expect(d.json()).toMatchObject({ changedVulnerabilitiesTotal: cves.size, changedVulnerabilitiesTruncated: cves.size > 10_000 });
    expect(d.json().changedVulnerabilities).toHaveLength(Math.min(cves.size, 10_000));
    const kev = fs.readFileSync(KEV_FILE);
    const entries = JSON.parse(kev.toString('utf8')).vulnerabilities.length;
    const k = await post('/api/feeds/kev/import', kev, 'application/json');
    expect(k.json()).toMatchObject({ feed: 'kev', version: '2025.08.25', records: entries, removed: 0 });
    expect(k.json().added + k.json().unchanged + k.json().changed).toBe(entries);
  });

  describe('sync from a local HTTP server', () => {
    let server: http.Server;
    let base: string;
    let fail = 0;
    beforeAll(async () => {
      const kev = fs.readFileSync(KEV_FILE);
      server = http.createServer((req, res) => {
        if (req.url === '/down') return res.writeHead(503, { 'retry-after': '0' }).end();
        if (req.headers['if-none-match'] === '"v1"') return res.writeHead(304).end();
        if (fail-- > 0) return res.writeHead(503, { 'retry-after': '0' }).end();
        res.writeHead(200, { etag: '"v1"', 'content-type': 'application/json', 'content-length': kev.length }).end(kev);
      });
      await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
      base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
    });
    afterAll(() => new Promise((r) => server.close(r)));

    it('downloads and imports, then gets 304 Not Modified', async () => {
      fail = 1;
      const url = `${base}/kev.json`;
      const r = await t.app.inject({ method: 'POST', url: `/api/feeds/kev/sync?url=${encodeURIComponent(url)}`, headers: bearer(admin) });
      expect(r.statusCode, r.body).toBe(200);
      expect(r.json()).toMatchObject({ feed: 'kev', source: url, version: '2025.08.25' });
      const again = await t.app.inject({ method: 'POST', url: `/api/feeds/kev/sync?url=${encodeURIComponent(url)}`, headers: bearer(admin) });
      expect(again.json()).toMatchObject({ notModified: true, added: 0, changed: 0, removed: 0 });
      const list = (await t.app.inject({ method: 'GET', url: '/api/feeds', headers: bearer(admin) })).json();
      expect(list.find((f: { feed: string }) => f.feed === 'kev')).toMatchObject({ source: url, etag: '"v1"' });
    });

    it('answers 502 naming the problem when the server keeps failing', async () => {
      const r = await t.app.inject({ method: 'POST', url: `/api/feeds/kev/sync?url=${encodeURIComponent(`${base}/down`)}`, headers: bearer(admin) });
      expect(r.statusCode).toBe(502);
      expect(r.json().detail).toContain('HTTP 503');
    }, 30_000);

    it('refuses non-http URLs', async () => {
      const r = await t.app.inject({ method: 'POST', url: `/api/feeds/kev/sync?url=${encodeURIComponent('file:///etc/passwd')}`, headers: bearer(admin) });
      expect(r.statusCode).toBe(400);
    });
  });
});
