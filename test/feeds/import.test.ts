import fs from 'node:fs';
import path from 'node:path';
import zlib from 'node:zlib';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { importFeed } from '../../src/services/feeds/feeds.service.js';
import type { Database } from '../../src/storage/db.js';
import { operator } from '../support/app.js';
import { freshDatabase, onPostgres } from '../support/db.js';

const FIXTURES = path.resolve(process.cwd(), '../shared/fixtures');
const KEV_FILE = path.join(FIXTURES, 'kev/known_exploited_vulnerabilities.json');
const TRACKER_FILE = path.join(FIXTURES, 'debian-bookworm/tracker.json');
const haveFixtures = fs.existsSync(KEV_FILE) && fs.existsSync(TRACKER_FILE);
const where = onPostgres() ? 'PostgreSQL' : 'PGlite';

let database: Database;
beforeAll(async () => {
  database = await freshDatabase();
});
afterAll(() => database?.close());

const n = async (table: 'advisories' | 'vulnerabilities' | 'vulnerability_aliases' | 'audit_log', where?: string) => {
  const r = await database.executeSql(`select count(*)::int as n from ${table}${where ? ` where ${where}` : ''}`);
  return Number(r.rows[0].n);
};

describe.skipIf(!haveFixtures)(`feed import on the real fixtures (${where})${haveFixtures ? '' : ' — skipped: ../shared/fixtures is absent'}`, () => {
  it('imports the Debian bookworm tracker export, then re-imports it as no change', async () => {
    const text = fs.readFileSync(TRACKER_FILE, 'utf8');
    const doc = JSON.parse(text) as Record<string, Record<string, { releases: Record<string, unknown> }>>;
    const expected = Object.values(doc).reduce((a, v) => a + Object.values(v).reduce((b, e) => b + Object.keys(e.releases).length, 0), 0);
    const cves = new Set(Object.values(doc).flatMap((v) => Object.keys(v)));
    const packages = new Set(Object.keys(doc));

    let t = performance.now();
    const first = await importFeed(database.db, operator, 'debian', Buffer.from(text), { source: 'tracker.json' });
    console.log(`[${where}] Debian tracker first import: ${first.records} records in ${Math.round(performance.now() - t)} ms`);
    expect(first).toMatchObject({ feed: 'debian', records: expected, added: expected, changed: 0, removed: 0, unchanged: 0 });
    expect(first.changedPackages).toHaveLength(packages.size);
    expect(first.changedVulnerabilities).toHaveLength(cves.size);
    expect(await n('advisories', "feed = 'debian' and ecosystem = 'deb' and release = 'bookworm'")).toBe(expected);
    expect(await n('vulnerabilities')).toBe(cves.size);

    t = performance.now();
    const again = await importFeed(database.db, operator, 'debian', Buffer.from(text), { source: 'tracker.json' });
    console.log(`[${where}] Debian tracker re-import: ${Math.round(performance.now() - t)} ms`);
    expect(again).toMatchObject({ records: expected, added: 0, changed: 0, removed: 0, unchanged: expected, changedPackages: [], changedVulnerabilities: [] });
  });

  it('imports exactly the edits of a changed copy', async () => {
    const doc = JSON.parse(fs.readFileSync(TRACKER_FILE, 'utf8'));
    const bookworm = doc.openssl['CVE-2023-5678'].releases.bookworm;
    bookworm.fixed_version = '3.0.99-1~deb12u1';
    const [gone] = Object.keys(doc.zlib ?? {});
    expect(gone).toBeDefined();
    delete doc.zlib[gone as string];
    doc.curl['TEMP-0000000-ABCDEF'] = { description: 'new issue', releases: { bookworm: { status: 'open', urgency: 'low' } } };
    const s = await importFeed(database.db, operator, 'debian', doc, { source: 'edited' });
    expect(s).toMatchObject({ added: 1, changed: 1, removed: 1 });
    expect(s.changedPackages).toEqual([
      { ecosystem: 'deb', release: 'bookworm', package: 'curl' },
      { ecosystem: 'deb', release: 'bookworm', package: 'openssl' },
      { ecosystem: 'deb', release: 'bookworm', package: 'zlib' },
    ]);
    expect(s.changedVulnerabilities.sort()).toEqual(['CVE-2023-5678', gone, 'TEMP-0000000-ABCDEF'].sort());
    const row = await database.db.selectFrom('advisories').selectAll().where('vulnerability_id', '=', 'CVE-2023-5678').where('package', '=', 'openssl').executeTakeFirstOrThrow();
    expect(row).toMatchObject({ state: 'fixed', fixed_version: '3.0.99-1~deb12u1', release: 'bookworm' });
    const temp = await database.db.selectFrom('vulnerabilities').select('description').where('id', '=', 'TEMP-0000000-ABCDEF').executeTakeFirstOrThrow();
    expect(temp.description).toBe('new issue');
  });

  it('imports the KEV catalogue and re-imports it as no change', async () => {
    const text = fs.readFileSync(KEV_FILE, 'utf8');
    const cat = JSON.parse(text);
    const t = performance.now();
    const s = await importFeed(database.db, operator, 'kev', Buffer.from(text), { source: 'kev.json' });
    console.log(`[${where}] KEV import: ${s.records} entries in ${Math.round(performance.now() - t)} ms`);
    expect(s).toMatchObject({ feed: 'kev', version: cat.catalogVersion, records: cat.vulnerabilities.length, added: cat.vulnerabilities.length, changed: 0, removed: 0 });
    expect(await n('vulnerabilities', 'kev_date_added is not null')).toBe(cat.vulnerabilities.length);
    const ransom = cat.vulnerabilities.filter((v: { knownRansomwareCampaignUse: string }) => v.knownRansomwareCampaignUse === 'Known').length;
    expect(await n('vulnerabilities', 'kev_ransomware')).toBe(ransom);
    const git = await database.db.selectFrom('vulnerabilities').selectAll().where('id', '=', 'CVE-2025-48384').executeTakeFirstOrThrow();
    expect(git).toMatchObject({ kev_name: 'Git Link Following Vulnerability', kev_ransomware: false });
    expect(new Date(git.kev_due_date as Date).toISOString().slice(0, 10)).toBe('2025-09-15');
    const ghsa = await database.db.selectFrom('vulnerability_aliases').selectAll().where('alias', '=', 'GHSA-vwqx-4fm8-6qc9').executeTakeFirst();
    expect(ghsa?.vulnerability_id).toBe('CVE-2025-48384');
    expect(s.aliases).toBe(await n('vulnerability_aliases'));

    const again = await importFeed(database.db, operator, 'kev', Buffer.from(text), { source: 'kev.json' });
    expect(again).toMatchObject({ added: 0, changed: 0, removed: 0, unchanged: cat.vulnerabilities.length, aliases: 0 });

    // An entry leaves the catalogue, another changes its due date.
    const [first, second, ...rest] = cat.vulnerabilities;
    const edited = { ...cat, count: cat.count - 1, vulnerabilities: [{ ...second, dueDate: '2030-01-01' }, ...rest] };
    const e = await importFeed(database.db, operator, 'kev', edited, { source: 'kev.json' });
    expect(e).toMatchObject({ added: 0, changed: 1, removed: 1 });
    expect(e.changedVulnerabilities.sort()).toEqual([first.cveID, second.cveID].sort());
    const cleared = await database.db.selectFrom('vulnerabilities').selectAll().where('id', '=', first.cveID).executeTakeFirstOrThrow();
    expect(cleared).toMatchObject({ kev_date_added: null, kev_due_date: null, kev_name: null, kev_ransomware: null });
  });
});

function epssCsv(rows: [string, number, number][], date = '2025-09-03') {
  return `#model_version:v2025.03.14,score_date:${date}T12:55:00Z\ncve,epss,percentile\n${rows.map((r) => r.join(',')).join('\n')}\n`;
}

describe(`EPSS import (${where})`, () => {
  it('sets scores from a gzip CSV, creates unknown CVEs, clears dropped ones, and is idempotent', async () => {
    const rows: [string, number, number][] = Array.from({ length: 2000 }, (_, i) => [`CVE-2024-${String(10000 + i)}`, Math.round(((i * 37) % 1000) / 10) / 1000, Math.round((i / 2000) * 1e5) / 1e5]);
    const gz = zlib.gzipSync(epssCsv(rows));
    const s = await importFeed(database.db, operator, 'epss', gz, { source: 'epss.csv.gz' });
    expect(s).toMatchObject({ feed: 'epss', version: '2025-09-03 (model v2025.03.14)', records: 2000, removed: 0 });
    expect(s.added + s.changed).toBe(2000);
    const v = await database.db.selectFrom('vulnerabilities').selectAll().where('id', '=', 'CVE-2024-10005').executeTakeFirstOrThrow();
    expect(v.epss_score).toBe(rows[5]?.[1]);
    expect(v.epss_percentile).toBe(rows[5]?.[2]);
    expect(new Date(v.epss_date as Date).toISOString().slice(0, 10)).toBe('2025-09-03');

    const again = await importFeed(database.db, operator, 'epss', gz, { source: 'epss.csv.gz' });
    expect(again).toMatchObject({ added: 0, changed: 0, removed: 0, unchanged: 2000 });

    const next = rows.slice(1).map((r, i) => (i === 0 ? [r[0], 0.9, 0.99] : r) as [string, number, number]);
    const d = await importFeed(database.db, operator, 'epss', epssCsv(next), { source: 'epss.csv' });
    expect(d).toMatchObject({ records: 1999, added: 0, changed: 1, removed: 1 });
    expect(d.changedVulnerabilities).toEqual(['CVE-2024-10000', 'CVE-2024-10001']);
  });

  it('stays fast at 300,000 rows', async () => {
    const rows: [string, number, number][] = Array.from({ length: 300_000 }, (_, i) => [`CVE-2020-${String(100000 + i)}`, (i % 997) / 1000, (i % 9973) / 10000]);
    const gz = zlib.gzipSync(epssCsv(rows, '2025-09-04'));
    let t = performance.now();
    const s = await importFeed(database.db, operator, 'epss', gz, { source: 'epss.csv.gz' });
    console.log(`[${where}] EPSS 300k first import: ${Math.round(performance.now() - t)} ms`);
    expect(s).toMatchObject({ records: 300_000, added: 300_000 });
    t = performance.now();
    const again = await importFeed(database.db, operator, 'epss', gz, { source: 'epss.csv.gz' });
    console.log(`[${where}] EPSS 300k re-import: ${Math.round(performance.now() - t)} ms`);
    expect(again).toMatchObject({ added: 0, changed: 0, removed: 0 });
    const shifted = zlib.gzipSync(epssCsv(rows.map(([c, a, b]) => [c, a, b]), '2025-09-05'));
    t = performance.now();
    const daily = await importFeed(database.db, operator, 'epss', shifted, { source: 'epss.csv.gz' });
    console.log(`[${where}] EPSS 300k next-day import (every row changes): ${Math.round(performance.now() - t)} ms`);
    expect(daily).toMatchObject({ changed: 300_000 });
  }, 180_000);
});

describe(`aliases (${where})`, () => {
  it('stores a record under the canonical id when the feed uses an alias, once when both ids appear', async () => {
    const db = await freshDatabase();
    try {
      await db.db.insertInto('vulnerabilities').values({ id: 'CVE-2024-99999', updated_at: new Date() }).execute();
      await db.db.insertInto('vulnerability_aliases').values({ alias: 'TEMP-1234567-ABCDEF', vulnerability_id: 'CVE-2024-99999' }).execute();
      const rel = { releases: { bookworm: { status: 'resolved', fixed_version: '1.2-3', urgency: 'low' } } };
      const s = await importFeed(db.db, operator, 'debian', { foo: { 'TEMP-1234567-ABCDEF': rel, 'CVE-2024-99999': rel }, bar: { 'TEMP-1234567-ABCDEF': rel } }, { source: 'test' });
      expect(s).toMatchObject({ records: 2, added: 2 });
      expect(s.changedVulnerabilities).toEqual(['CVE-2024-99999']);
      const rows = await db.db.selectFrom('advisories').select(['vulnerability_id', 'package']).orderBy('package').execute();
      expect(rows).toEqual([{ vulnerability_id: 'CVE-2024-99999', package: 'bar' }, { vulnerability_id: 'CVE-2024-99999', package: 'foo' }]);
      expect(await db.db.selectFrom('vulnerabilities').select('id').where('id', 'like', 'TEMP-%').execute()).toEqual([]);
    } finally {
      await db.close();
    }
  });
});
