import fs from 'node:fs';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { Command } from 'commander';
import { afterAll, beforeAll, beforeEach, describe, expect, it, vi } from 'vitest';
import type { ApiClient } from '../../src/cli/client.js';
import { feedCommands } from '../../src/cli/feeds.js';
import type { Runner } from '../../src/cli/program.js';
import type { Config } from '../../src/lib/config.js';
import { importFeed } from '../../src/services/feeds/feeds.service.js';
import { type Clock, fetchNvdPages } from '../../src/services/feeds/nvd-fetch.js';
import { FeedDownloadFailed, syncFeed } from '../../src/services/feeds/sync.js';
import type { Database } from '../../src/storage/db.js';
import { bearer, operator, type TestApp, userWithToken } from '../support/app.js';
import { freshDatabase, onPostgres } from '../support/db.js';
import { feedsApp } from './app.js';

const where = onPostgres() ? 'PostgreSQL' : 'PGlite';
const DAY = 86_400_000;
const T0 = Date.parse('2025-03-01T00:00:00.000Z');
/** NVD's own time format: UTC without a zone. */
const nvdTime = (t: number) => new Date(t).toISOString().replace('Z', '');

const V31_CRIT = 'CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H';
const V31_HIGH = 'CVSS:3.1/AV:N/AC:H/PR:N/UI:N/S:U/C:H/I:H/A:H';
const V40 = 'CVSS:4.0/AV:N/AC:L/AT:N/PR:N/UI:N/VC:H/VI:H/VA:H/SC:N/SI:N/SA:N';
const metric = (source: string, type: string, version: string, vectorString: string, baseScore: number) => ({ source, type, cvssData: { version, vectorString, baseScore } });
const rec = (id: string, lastModified: number, over: Record<string, unknown> = {}) => ({
  cve: {
    id, sourceIdentifier: 'cve@mitre.org', published: nvdTime(T0 - 400 * DAY), lastModified: nvdTime(lastModified), vulnStatus: 'Analyzed',
    descriptions: [{ lang: 'en', value: `NVD description of ${id}.` }],
    metrics: { cvssMetricV31: [metric('nvd@nist.gov', 'Primary', '3.1', V31_CRIT, 9.8)] },
    weaknesses: [{ source: 'nvd@nist.gov', type: 'Primary', description: [{ lang: 'en', value: 'CWE-787' }] }],
    references: [{ url: `https://example.com/advisory/${id}`, source: 'cve@mitre.org', tags: ['Vendor Advisory'] }],
    ...over,
  },
});
const page = (vulns: unknown[], timestamp = T0) => ({ resultsPerPage: Math.max(vulns.length, 1), startIndex: 0, totalResults: vulns.length, format: 'NVD_CVE', version: '2.0', timestamp: nvdTime(timestamp), vulnerabilities: vulns });

/** A fake clock: sleeping moves time on at once and is recorded. */
let clock: Clock & { t: number; sleeps: number[] };
const newClock = (t = T0) => {
  clock = {
    t,
    sleeps: [],
    now: () => clock.t,
    async sleep(ms: number) {
      clock.sleeps.push(ms);
      clock.t += ms;
    },
  };
  return clock;
};

// The local stand-in for services.nvd.nist.gov: filters the data set by lastMod (refusing more than 120 days, as the NVD does) and pages it.
let dataset: ReturnType<typeof rec>[] = [];
let failures: { status: number; times: number; at?: number; retryAfter?: string } | null = null;
let log: { query: URLSearchParams; apiKey: string | undefined; at: number; status: number }[] = [];
let server: http.Server;
let base: string;
let api: string;

beforeAll(async () => {
  server = http.createServer((req, res) => {
    const u = new URL(req.url ?? '/', 'http://localhost');
    const entry = { query: u.searchParams, apiKey: req.headers.apikey as string | undefined, at: clock?.now() ?? Date.now(), status: 200 };
    log.push(entry);
    const send = (status: number, headers: Record<string, string>, body?: unknown) => {
      entry.status = status;
      res.writeHead(status, { 'content-type': 'application/json', ...headers }).end(body === undefined ? undefined : JSON.stringify(body));
    };
    if (u.pathname === '/down') return send(503, { 'retry-after': '0' });
    const start = Number(u.searchParams.get('startIndex') ?? 0);
    const per = Number(u.searchParams.get('resultsPerPage') ?? 2000);
    if (failures && failures.times > 0 && (failures.at === undefined || failures.at === start)) {
      failures.times--;
      return send(failures.status, failures.retryAfter ? { 'retry-after': failures.retryAfter } : {});
    }
    const from = u.searchParams.get('lastModStartDate');
    const to = u.searchParams.get('lastModEndDate');
    if ((from === null) !== (to === null)) return send(404, { message: 'Both lastModStartDate and lastModEndDate are required when either is present' });
    if (from && to && Date.parse(to) - Date.parse(from) > 120 * DAY) return send(404, { message: 'The lastMod date range exceeds 120 days' });
    const hits = dataset.filter((r) => !from || !to || (Date.parse(`${r.cve.lastModified}Z`) >= Date.parse(from) && Date.parse(`${r.cve.lastModified}Z`) <= Date.parse(to)));
    send(200, {}, { resultsPerPage: per, startIndex: start, totalResults: hits.length, format: 'NVD_CVE', version: '2.0', timestamp: nvdTime(clock.now()), vulnerabilities: hits.slice(start, start + per) });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  api = `${base}/rest/json/cves/2.0`;
});
afterAll(() => new Promise((r) => server.close(r)));
beforeEach(() => {
  log = [];
  failures = null;
  newClock();
});

/** Everything an NVD import writes, to show that a failed one wrote nothing. */
async function snapshot(database: Database) {
  const r = await database.executeSql(`select (select md5(coalesce(string_agg(v::text, ',' order by id), '')) from vulnerabilities v) as v,
    (select count(*)::int from audit_log) as audit, (select coalesce(string_agg(f::text, ','), '') from feed_state f) as state`);
  return r.rows[0];
}

const vuln = (database: Database, id: string) => database.db.selectFrom('vulnerabilities').selectAll().where('id', '=', id).executeTakeFirstOrThrow();
const sync = (database: Database, extra: Record<string, unknown> = {}) =>
  syncFeed(database.db, operator, 'nvd', { url: api, nvd: { clock, apiKey: null, resultsPerPage: 2, retries: 2, backoffMs: 1000, ...extra } });

describe(`NVD sync against a local API server (${where})`, () => {
  let database: Database;
  beforeAll(async () => {
    database = await freshDatabase();
  });
  afterAll(() => database?.close());

  it('first sync: pages by startIndex until totalResults, without a date filter, and records where the next sync starts', async () => {
    dataset = ['CVE-2024-0001', 'CVE-2024-0002', 'CVE-2024-0003', 'CVE-2024-0004', 'CVE-2024-0005'].map((id, i) => rec(id, T0 - (10 - i) * DAY));
    const s = await sync(database);
    expect(log.map((l) => [...l.query.entries()])).toEqual([0, 2, 4].map((i) => [['resultsPerPage', '2'], ['startIndex', String(i)]]));
    expect(s).toMatchObject({ feed: 'nvd', source: api, records: 5, added: 5, changed: 0, removed: 0, unchanged: 0, nvd: { requests: 3, pages: 3, cvssDisagreements: 0 } });
    expect(s.changedVulnerabilities).toEqual(['CVE-2024-0001', 'CVE-2024-0002', 'CVE-2024-0003', 'CVE-2024-0004', 'CVE-2024-0005']);
    expect(clock.sleeps).toEqual([]);
    const state = await database.db.selectFrom('feed_state').selectAll().where('feed', '=', 'nvd').executeTakeFirstOrThrow();
    expect(state).toMatchObject({ source: api, version: '2025-03-01T00:00:00.000Z', last_modified: '2025-03-01T00:00:00.000Z', records: 5, changed: 5 });
    const v = await vuln(database, 'CVE-2024-0003');
    expect(v).toMatchObject({ description: 'NVD description of CVE-2024-0003.', cvss_version: '3.1', severity: 'critical' });
    expect(Number(v.cvss_score)).toBe(9.8);
    expect(new Date(v.modified_at as Date).toISOString()).toBe(new Date(T0 - 8 * DAY).toISOString());
    expect(v.cvss).toEqual([{ feed: 'nvd', source: 'nvd@nist.gov', type: 'Primary', version: '3.1', vector: V31_CRIT, score: 9.8 }]);
    expect(v.refs).toEqual([{ feed: 'nvd', url: 'https://example.com/advisory/CVE-2024-0003', source: 'cve@mitre.org', tags: ['Vendor Advisory'] }]);
    const audit = await database.executeSql(`select action, entity_id, after from audit_log order by seq desc limit 1`);
    expect(audit.rows[0]).toMatchObject({ action: 'feed.import', entity_id: 'nvd', after: { feed: 'nvd', records: 5, added: 5, changedVulnerabilities: 5, nvd: { pages: 3, requests: 3 } } });
  });

  it('300 days later: asks for what changed since (less an hour), in windows of at most 120 days; counts added, changed and unchanged', async () => {
    newClock(T0 + 300 * DAY);
    dataset = [
      ...dataset,
      rec('CVE-2024-0001', T0 - 30 * 60_000), // inside the overlap, content as stored but newer: changed (modified_at moves)
      rec('CVE-2025-0100', T0 + 10 * DAY), // new
      rec('CVE-2024-0002', T0 + 200 * DAY, { metrics: { cvssMetricV31: [metric('nvd@nist.gov', 'Primary', '3.1', V31_HIGH, 8.1)] } }),
    ].filter((r, i, all) => all.findLastIndex((x) => x.cve.id === r.cve.id) === i);
    const s = await sync(database);
    const windows = [...new Set(log.map((l) => `${l.query.get('lastModStartDate')} ${l.query.get('lastModEndDate')}`))];
    const hour = 3_600_000;
    const d = (t: number) => new Date(t).toISOString().replace('Z', '+00:00');
    expect(windows).toEqual([
      `${d(T0 - hour)} ${d(T0 - hour + 120 * DAY)}`,
      `${d(T0 - hour + 120 * DAY)} ${d(T0 - hour + 240 * DAY)}`,
      `${d(T0 - hour + 240 * DAY)} ${d(T0 + 300 * DAY)}`,
    ]);
    expect(log.every((l) => l.status === 200)).toBe(true);
    expect(s).toMatchObject({ records: 3, added: 1, changed: 2, unchanged: 0 });
    expect(s.changedVulnerabilities).toEqual(['CVE-2024-0001', 'CVE-2024-0002', 'CVE-2025-0100']);
    const v = await vuln(database, 'CVE-2024-0002');
    expect(v).toMatchObject({ cvss_version: '3.1', severity: 'high' });
    expect(Number(v.cvss_score)).toBe(8.1);
    const state = await database.db.selectFrom('feed_state').select('last_modified').where('feed', '=', 'nvd').executeTakeFirstOrThrow();
    expect(state.last_modified).toBe(new Date(T0 + 300 * DAY).toISOString());

    // The same again a day later: the overlap brings nothing new, so nothing is written.
    newClock(T0 + 300 * DAY + hour / 2);
    dataset.push(rec('CVE-2025-0200', T0 + 300 * DAY - hour / 4));
    const again = await sync(database);
    expect(again).toMatchObject({ records: 1, added: 1, changed: 0 });
    const third = await sync(database);
    expect(third).toMatchObject({ records: 1, added: 0, changed: 0, unchanged: 1, changedVulnerabilities: [] });
  });

  it('a page that keeps failing (503 thrice) fails the whole sync naming URL and status, and changes nothing', async () => {
    newClock(T0 + 301 * DAY);
    dataset.push(rec('CVE-2025-0300', T0 + 300 * DAY + 3_600_000), rec('CVE-2025-0301', T0 + 300 * DAY + 3_600_000), rec('CVE-2025-0302', T0 + 300 * DAY + 3_600_000));
    const before = await snapshot(database);
    failures = { status: 503, times: 3, at: 2 };
    const err = await sync(database).then(() => null, (e: unknown) => e);
    expect(err).toBeInstanceOf(FeedDownloadFailed);
    expect((err as FeedDownloadFailed).status).toBe(502);
    const message = (err as Error).message;
    expect(message).toContain(`${api}?resultsPerPage=2&startIndex=2&lastModStartDate=`);
    expect(message).toContain('HTTP 503');
    expect(message).toContain('gave up after 3 attempts');
    expect(log.map((l) => l.status)).toEqual([200, 503, 503, 503]);
    expect(clock.sleeps).toEqual([1000, 2000]);
    expect(await snapshot(database)).toEqual(before);
    // The next sync starts from the same point and gets everything.
    const ok = await sync(database);
    expect(ok).toMatchObject({ added: 3 });
  });
});

describe('NVD paging client: rate limits and retries (fake clock)', () => {
  const ids = (n: number) => Array.from({ length: n }, (_, i) => rec(`CVE-2023-${String(10000 + i)}`, T0 - DAY));
  const fetchAll = (apiKey: string | null, extra: Record<string, unknown> = {}) => fetchNvdPages(api, [null], { clock, apiKey, resultsPerPage: 1, backoffMs: 1000, ...extra }, () => {});

  it('without a key: at most 5 requests in any 30 s, no apiKey header', async () => {
    dataset = ids(12);
    const r = await fetchAll(null);
    expect(r).toEqual({ requests: 12, pages: 12 });
    expect(clock.sleeps).toEqual([30_000, 30_000]);
    expect(log.map((l) => l.at - T0)).toEqual([0, 0, 0, 0, 0, 30_000, 30_000, 30_000, 30_000, 30_000, 60_000, 60_000]);
    expect(log.every((l) => l.apiKey === undefined)).toBe(true);
  });

  it('with a key: 50 in any 30 s, the key sent as the apiKey header', async () => {
    dataset = ids(52);
    await fetchAll('0123-key');
    expect(clock.sleeps).toEqual([30_000]);
    expect(log.filter((l) => l.at === T0)).toHaveLength(50);
    expect(log.slice(50).map((l) => l.at - T0)).toEqual([30_000, 30_000]);
    expect(log.every((l) => l.apiKey === '0123-key')).toBe(true);
  });

  it('waits as long as Retry-After says after a 429, then goes on', async () => {
    dataset = ids(3);
    failures = { status: 429, times: 1, at: 1, retryAfter: '7' };
    const r = await fetchAll(null);
    expect(r).toEqual({ requests: 4, pages: 3 });
    expect(log.map((l) => `${l.query.get('startIndex')}:${l.status}`)).toEqual(['0:200', '1:429', '1:200', '2:200']);
    expect(clock.sleeps).toEqual([7000]);
  });

  it('backs off exponentially on 403, and does not retry a 404', async () => {
    dataset = ids(1);
    failures = { status: 403, times: 2 };
    await fetchAll(null, { retries: 3 });
    expect(clock.sleeps).toEqual([1000, 2000]);
    log = [];
    const err = await fetchNvdPages(`${base}/rest/json/cves/2.0`, [{ start: new Date(T0 - 200 * DAY), end: new Date(T0) }], { clock, apiKey: null }, () => {}).then(() => null, (e: Error) => e);
    expect(err?.message).toMatch(/HTTP 404 Not Found: The lastMod date range exceeds 120 days$/);
    expect(log).toHaveLength(1);
  });

  it('refuses a page that is not a valid API response, naming the URL, the CVE and the field', async () => {
    dataset = [...ids(1), rec('CVE-2023-20000', T0, { vulnStatus: 7 })];
    const err = await fetchAll(null, { resultsPerPage: 2000 }).then(() => null, (e: Error) => e);
    expect(err?.message).toBe(`${api}?resultsPerPage=2000&startIndex=0: not a valid NVD API page at vulnerabilities[1].cve.vulnStatus (CVE-2023-20000): expected a string, got 7`);
    expect(log).toHaveLength(1);
  });
});

describe(`NVD records in the database (${where})`, () => {
  let database: Database;
  beforeAll(async () => {
    database = await freshDatabase();
  });
  afterAll(() => database?.close());
  const imp = (doc: unknown) => importFeed(database.db, operator, 'nvd', doc as Record<string, unknown>, { source: 'page.json' });

  it("takes the NVD's Primary score as headline, keeps other sources' CVSS and references, replaces Debian's description", async () => {
    // What the Debian tracker and another source left there before.
    await importFeed(database.db, operator, 'debian', { openssl: { 'CVE-2025-5000': { description: 'openssl: short Debian text', releases: { bookworm: { status: 'open', urgency: 'high' } } } } }, { source: 'tracker.json' });
    await database.db.updateTable('vulnerabilities').where('id', '=', 'CVE-2025-5000').set({
      cvss: JSON.stringify([{ source: 'vendor', version: '3.1', vector: V31_HIGH, score: 8.1 }, { source: 'nvd@nist.gov', version: '3.1', vector: 'CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:L/I:N/A:N', score: 5.3 }]),
      refs: JSON.stringify([{ url: 'https://vendor.example/sa-1', source: 'vendor', tags: [] }]),
      cvss_score: 5.3, cvss_version: '3.1', severity: 'medium',
    }).execute();
    const both = rec('CVE-2025-5000', T0, {
      metrics: { cvssMetricV40: [metric('psirt@example.com', 'Secondary', '4.0', V40, 9.3)], cvssMetricV31: [metric('nvd@nist.gov', 'Primary', '3.1', V31_CRIT, 9.0)] },
    });
    const s = await imp(page([both, rec('CVE-2025-5001', T0, { vulnStatus: 'Awaiting Analysis', metrics: { cvssMetricV40: [metric('psirt@example.com', 'Secondary', '4.0', V40, 9.3)] } })]));
    expect(s).toMatchObject({ records: 2, added: 2, changed: 0, version: '2025-03-01T00:00:00.000Z', nvd: { requests: 0, pages: 1, cvssDisagreements: 1, cvssInvalid: 0 } });
    expect(s.nvd?.cvssNotes).toEqual([`CVE-2025-5000 ${V31_CRIT}: NVD states 9, we compute 9.8`]);
    const v = await vuln(database, 'CVE-2025-5000');
    expect(v).toMatchObject({ description: 'NVD description of CVE-2025-5000.', cvss_version: '3.1', severity: 'critical' });
    expect(Number(v.cvss_score)).toBe(9); // the NVD's stated score, not our 9.8
    expect(v.cvss).toEqual([
      { source: 'vendor', version: '3.1', vector: V31_HIGH, score: 8.1 },
      { feed: 'nvd', source: 'psirt@example.com', type: 'Secondary', version: '4.0', vector: V40, score: 9.3 },
      { feed: 'nvd', source: 'nvd@nist.gov', type: 'Primary', version: '3.1', vector: V31_CRIT, score: 9 },
    ]);
    expect(v.refs).toEqual([{ url: 'https://vendor.example/sa-1', source: 'vendor', tags: [] }, expect.objectContaining({ feed: 'nvd', url: 'https://example.com/advisory/CVE-2025-5000' })]);
    const cna = await vuln(database, 'CVE-2025-5001');
    expect(cna).toMatchObject({ cvss_version: '4.0', severity: 'critical' });
    // Debian's later imports only fill an empty description, so the NVD's stays.
    await importFeed(database.db, operator, 'debian', { openssl: { 'CVE-2025-5000': { description: 'openssl: changed Debian text', releases: { bookworm: { status: 'open', urgency: 'high' } } } } }, { source: 'tracker.json' });
    expect((await vuln(database, 'CVE-2025-5000')).description).toBe('NVD description of CVE-2025-5000.');
    const audit = await database.executeSql(`select after from audit_log where action = 'feed.import' and entity_id = 'nvd' order by seq desc limit 1`);
    expect(audit.rows[0].after).toMatchObject({ source: 'page.json', added: 2, nvd: { cvssDisagreements: 1 } });
  });

  it('re-imports as unchanged, ignores an older page, and a rejection hands the headline back to the other source', async () => {
    const both = rec('CVE-2025-5000', T0, {
      metrics: { cvssMetricV40: [metric('psirt@example.com', 'Secondary', '4.0', V40, 9.3)], cvssMetricV31: [metric('nvd@nist.gov', 'Primary', '3.1', V31_CRIT, 9.0)] },
    });
    expect(await imp(page([both]))).toMatchObject({ records: 1, added: 0, changed: 0, unchanged: 1, changedVulnerabilities: [] });
    const older = await imp(page([rec('CVE-2025-5000', T0 - DAY, { descriptions: [{ lang: 'en', value: 'old text' }] })]));
    expect(older).toMatchObject({ added: 0, changed: 0, unchanged: 1, nvd: { stale: 1 } });
    expect((await vuln(database, 'CVE-2025-5000')).description).toBe('NVD description of CVE-2025-5000.');

    const reason = 'Rejected reason: This CVE ID is a duplicate of CVE-2025-5999.';
    const r = await imp(page([rec('CVE-2025-5000', T0 + DAY, { vulnStatus: 'Rejected', descriptions: [{ lang: 'en', value: reason }], metrics: {}, references: [] })]));
    expect(r).toMatchObject({ changed: 1, nvd: { rejected: 1 } });
    const v = await vuln(database, 'CVE-2025-5000');
    expect(v).toMatchObject({ description: reason, cvss_version: '3.1', severity: null, refs: [{ url: 'https://vendor.example/sa-1', source: 'vendor', tags: [] }] });
    expect(Number(v.cvss_score)).toBe(8.1);
    expect(v.cvss).toEqual([{ source: 'vendor', version: '3.1', vector: V31_HIGH, score: 8.1 }]);
  });

  it("leaves a headline alone when the NVD never scored the CVE", async () => {
    await database.db.insertInto('vulnerabilities').values({ id: 'CVE-2025-6000', cvss: '[]', refs: '[]', cvss_score: 7.2, cvss_version: '3.1', severity: 'high', updated_at: new Date() }).execute();
    const s = await imp(page([rec('CVE-2025-6000', T0, { vulnStatus: 'Awaiting Analysis', metrics: {} })]));
    expect(s).toMatchObject({ added: 1 });
    const v = await vuln(database, 'CVE-2025-6000');
    expect(v).toMatchObject({ cvss_version: '3.1', severity: 'high', description: 'NVD description of CVE-2025-6000.' });
    expect(Number(v.cvss_score)).toBe(7.2);
  });

  it("a page file keeps the sync's starting point", async () => {
    await database.db.insertInto('feed_state').values({ feed: 'nvd', source: api, version: 'x', fetched_at: new Date(), last_modified: '2025-03-01T00:00:00.000Z' })
      .onConflict((oc) => oc.column('feed').doUpdateSet({ last_modified: '2025-03-01T00:00:00.000Z' })).execute();
    await imp(page([rec('CVE-2025-6001', T0)]));
    const state = await database.db.selectFrom('feed_state').selectAll().where('feed', '=', 'nvd').executeTakeFirstOrThrow();
    expect(state).toMatchObject({ source: 'page.json', last_modified: '2025-03-01T00:00:00.000Z' });
  });
});

describe(`NVD through the API and the CLI (${where})`, () => {
  let t: TestApp;
  let token: string;
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'patchloop-nvd-cli-'));
  beforeAll(async () => {
    t = await feedsApp();
    ({ token } = await userWithToken(t.database, 'admin', 'nvd-admin'));
  });
  afterAll(async () => {
    await t?.close();
    fs.rmSync(dir, { recursive: true, force: true });
  });
  const post = (url: string, payload?: string) => t.app.inject({ method: 'POST', url, headers: { ...bearer(token), ...(payload === undefined ? {} : { 'content-type': 'application/json' }) }, payload });

  /** `patchloop feeds …` against the test app through the ApiClient interface the CLI uses. */
  async function cli(...args: string[]): Promise<{ out: string; error?: Error }> {
    const client: ApiClient = {
      via: 'test',
      async request(method, p, opts = {}) {
        const qs = new URLSearchParams(Object.entries(opts.query ?? {}).filter((e): e is [string, string] => !!e[1])).toString();
        const payload = opts.raw ?? (opts.body !== undefined ? JSON.stringify(opts.body) : undefined);
        const res = await t.app.inject({ method: method as 'GET', url: `${p}${qs ? `?${qs}` : ''}`, headers: { ...bearer(token), ...(payload !== undefined ? { 'content-type': opts.contentType ?? 'application/json' } : {}) }, payload });
        return { status: res.statusCode, headers: res.headers as Record<string, string | string[] | undefined>, body: res.body, bytes: res.rawPayload, json: () => res.json() };
      },
      async close() {},
    };
    let error: Error | undefined;
    const run: Runner = async (fn) => {
      try {
        await fn(client, {} as Config);
      } catch (err) {
        error = err as Error;
      }
    };
    const lines: string[] = [];
    const spy = vi.spyOn(console, 'log').mockImplementation((...a: unknown[]) => void lines.push(a.join(' ')));
    try {
      const program = new Command('patchloop').exitOverride();
      feedCommands(program, run);
      await program.parseAsync(['node', 'patchloop', 'feeds', ...args]);
    } finally {
      spy.mockRestore();
    }
    return { out: lines.join('\n'), error };
  }

  it('imports a page by upload; a bad one names the CVE and field and changes nothing', async () => {
    const ok = await post('/api/feeds/nvd/import?source=nvd-page-0.json', JSON.stringify(page([rec('CVE-2025-7000', T0)])));
    expect(ok.statusCode, ok.body).toBe(200);
    expect(ok.json()).toMatchObject({ feed: 'nvd', source: 'nvd-page-0.json', records: 1, added: 1, nvd: { pages: 1, requests: 0, cvssDisagreements: 0 } });
    const before = await snapshot(t.database);
    const bad = await post('/api/feeds/nvd/import', JSON.stringify(page([rec('CVE-2025-7001', T0), rec('CVE-2025-7002', T0, { metrics: { cvssMetricV31: [metric('nvd@nist.gov', 'Primary', '3.1', V31_CRIT, 98)] } })])));
    expect(bad.statusCode).toBe(400);
    expect(bad.json().errors[0]).toEqual({ field: 'vulnerabilities[1].cve.metrics.cvssMetricV31[0].cvssData.baseScore (CVE-2025-7002)', message: 'expected a number from 0 to 10, got 98' });
    expect(await snapshot(t.database)).toEqual(before);
  });

  it('POST /api/feeds/nvd/sync answers 502 naming the URL and status, with PATCHLOOP_NVD_API_KEY sent as apiKey', async () => {
    const saved = process.env.PATCHLOOP_NVD_API_KEY;
    process.env.PATCHLOOP_NVD_API_KEY = 'env-key';
    try {
      const r = await post(`/api/feeds/nvd/sync?url=${encodeURIComponent(`${base}/down`)}`);
      expect(r.statusCode).toBe(502);
      expect(r.json().detail).toContain(`${base}/down?resultsPerPage=2000&startIndex=0: HTTP 503 Service Unavailable; gave up after 6 attempts`);
      expect(log.map((l) => l.apiKey)).toEqual(Array(6).fill('env-key'));
    } finally {
      if (saved === undefined) delete process.env.PATCHLOOP_NVD_API_KEY;
      else process.env.PATCHLOOP_NVD_API_KEY = saved;
    }
  });

  it('patchloop feeds sync nvd --from DIR imports every page file; a bad one stops all before the first upload', async () => {
    fs.writeFileSync(path.join(dir, 'nvd-page-0.json'), JSON.stringify(page([rec('CVE-2025-8000', T0), rec('CVE-2025-8001', T0)])));
    fs.mkdirSync(path.join(dir, 'more'));
    fs.writeFileSync(path.join(dir, 'more', 'nvd-page-1.json'), JSON.stringify(page([rec('CVE-2025-8002', T0)])));
    fs.writeFileSync(path.join(dir, 'notes.txt'), 'not a page');
    const r = await cli('sync', 'nvd', '--from', dir);
    expect(r.error).toBeUndefined();
    expect(r.out.split('\n').filter((l) => l.startsWith('nvd '))).toEqual([
      `nvd 2025-03-01T00:00:00.000Z: 2 records from ${path.join(dir, 'nvd-page-0.json')} — 2 added, 0 changed, 0 removed, 0 unchanged; 2 vulnerabilities and 0 package(s) changed; 1 page(s)`,
      `nvd 2025-03-01T00:00:00.000Z: 1 records from ${path.join(dir, 'more', 'nvd-page-1.json')} — 1 added, 0 changed, 0 removed, 0 unchanged; 1 vulnerability and 0 package(s) changed; 1 page(s)`,
    ]);
    fs.writeFileSync(path.join(dir, 'nvd-page-2.json'), JSON.stringify(page([rec('CVE-2025-8003', T0), { cve: { id: 'CVE-2025-8004' } }])));
    const before = await snapshot(t.database);
    const bad = await cli('sync', 'nvd', '--from', dir);
    expect(bad.error?.message).toBe(`${path.join(dir, 'nvd-page-2.json')}: vulnerabilities[1].cve.published (CVE-2025-8004): is missing; nothing was imported`);
    expect(await snapshot(t.database)).toEqual(before);
  });
});
