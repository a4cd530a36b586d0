import fs from 'node:fs';
import path from 'node:path';
import { sql } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { canonicalJson } from '../../src/domain/audit/chain.js';
import { type DebianAdvisory, parseDebianTracker } from '../../src/domain/feeds/debian-tracker.js';
import { parseDpkgStatus } from '../../src/domain/inventory/dpkg-status.js';
import { DebianAdvisoryIndex } from '../../src/domain/matching/debian.js';
import { compareDpkg } from '../../src/domain/versions/dpkg.js';
import { sha256Hex } from '../../src/lib/crypto.js';
import { seedDebianAdvisories } from '../support/advisories.js';
import { call, type TestApp, testApp, userWithToken } from '../support/app.js';
import { syntheticStatus, toInventory } from '../support/dpkg.js';

const base = { environment: 'production', systemType: 'web_server', businessCriticality: 'high', networkExposure: 'internal' } as const;

async function newAsset(t: TestApp, token: string, hostname: string): Promise<string> {
  const r = await call(t.app, token, 'POST', '/api/assets', { ...base, hostname });
  expect(r.statusCode).toBe(201);
  return r.json().id;
}

type Found = { vulnerabilityId: string; package: string; id: string; fixedVersion: string | null };

async function openFindings(t: TestApp, token: string, assetId: string): Promise<Found[]> {
  const out: Found[] = [];
  let cursor: string | null = null;
  do {
    const page: { items: Found[]; nextCursor: string | null } = (await call(t.app, token, 'GET', `/api/findings?assetId=${assetId}&status=open&limit=1000${cursor ? `&cursor=${cursor}` : ''}`)).json();
    out.push(...page.items);
    cursor = page.nextCursor;
  } while (cursor);
  return out;
}

describe('matching engine with findings lifecycle (synthetic advisories)', () => {
  let t: TestApp;
  let token: string;
  let assetId: string;
  const advisories: DebianAdvisory[] = parseDebianTracker({
    openssl: {
      'CVE-2026-0001': { releases: { bookworm: { status: 'resolved', fixed_version: '3.0.15-1~deb12u1', urgency: 'high' } } },
      'CVE-2026-0002': { releases: { bookworm: { status: 'open', urgency: 'low' } } },
    },
    curl: { 'CVE-2026-0003': { releases: { bookworm: { status: 'resolved', fixed_version: '7.88.1-10+deb12u8', urgency: 'medium' } } } },
    zlib: { 'CVE-2026-0004': { releases: { bookworm: { status: 'resolved', fixed_version: '0', urgency: 'unimportant' } } } },
  });
  const pkgs = (ssl: string, curl: string | null) => ({
    ecosystem: 'deb' as const,
    distro: 'debian',
    release: 'bookworm',
    source: 'test',
    packages: [
      { name: 'libssl3', version: ssl, arch: 'amd64', sourceName: 'openssl' },
      { name: 'openssl', version: ssl, arch: 'amd64' },
      ...(curl ? [{ name: 'libcurl4', version: `${curl}+b1`, arch: 'amd64', sourceName: 'curl', sourceVersion: curl }] : []),
      { name: 'zlib1g', version: '1:1.2.13.dfsg-1', arch: 'amd64', sourceName: 'zlib' },
    ],
  });

  beforeAll(async () => {
    t = await testApp();
    ({ token } = await userWithToken(t.database, 'security_analyst', 'ana'));
    await seedDebianAdvisories(t.database.db, advisories);
    assetId = await newAsset(t, token, 'web-01');
  });
  afterAll(() => t.close());

  const put = (inv: unknown) => call(t.app, token, 'PUT', `/api/assets/${assetId}/inventory`, inv);

  it('opens one finding per (vulnerability, binary package), explained, on the first inventory', async () => {
    const r = await put(pkgs('3.0.14-1~deb12u2', '7.88.1-10+deb12u5'));
    expect(r.statusCode).toBe(200);
    expect(r.json()).toMatchObject({ packages: 4, added: 4, removed: 0, unchanged: false, match: { opened: 5, resolved: 0, reopened: 0 } });
    const f = await openFindings(t, token, assetId);
    expect(f.map((x) => `${x.vulnerabilityId} ${x.package}`).sort()).toEqual([
      'CVE-2026-0001 libssl3', 'CVE-2026-0001 openssl', 'CVE-2026-0002 libssl3', 'CVE-2026-0002 openssl', 'CVE-2026-0003 libcurl4',
    ]);
    const curl = (await call(t.app, token, 'GET', `/api/findings/${f.find((x) => x.package === 'libcurl4')?.id}`)).json();
    expect(curl).toMatchObject({
      installedVersion: '7.88.1-10+deb12u5+b1',
      sourcePackage: 'curl',
      sourceVersion: '7.88.1-10+deb12u5',
      fixedVersion: '7.88.1-10+deb12u8',
      rule: 'source_version_below_fixed',
      advisory: { feed: 'debian', release: 'bookworm', package: 'curl', urgency: 'medium' },
      history: [{ from: null, to: 'open', reason: 'detected' }],
    });
    const unfixed = f.find((x) => x.vulnerabilityId === 'CVE-2026-0002');
    expect(unfixed?.fixedVersion).toBeNull();
  });

  it('the same inventory again changes nothing', async () => {
    expect((await put(pkgs('3.0.14-1~deb12u2', '7.88.1-10+deb12u5'))).json()).toMatchObject({ unchanged: true, match: null });
  });

  it('resolves what an upgrade fixes, and what a removal takes away, with the reason', async () => {
    const r = await put(pkgs('3.0.15-1~deb12u1', null));
    expect(r.json().match).toMatchObject({ opened: 0, resolved: 3, reopened: 0 });
    const all = (await call(t.app, token, 'GET', `/api/findings?assetId=${assetId}&status=resolved`)).json().items as { id: string; package: string; vulnerabilityId: string }[];
    const reasons = await Promise.all(
      all.map(async (x) => {
        const last = (await call(t.app, token, 'GET', `/api/findings/${x.id}`)).json().history.at(-1);
        return `${x.vulnerabilityId} ${x.package}: ${last.reason} (now ${last.installedVersion})`;
      }),
    );
    expect(reasons.sort()).toEqual([
      'CVE-2026-0001 libssl3: fixed version installed (now 3.0.15-1~deb12u1)',
      'CVE-2026-0001 openssl: fixed version installed (now 3.0.15-1~deb12u1)',
      'CVE-2026-0003 libcurl4: package removed (now null)',
    ]);
    // The unfixed one stays open whatever the version.
    expect((await openFindings(t, token, assetId)).map((x) => x.vulnerabilityId)).toEqual(['CVE-2026-0002', 'CVE-2026-0002']);
  });

  it('reopens a finding when the vulnerable version comes back', async () => {
    const r = await put(pkgs('3.0.14-1~deb12u2', null));
    expect(r.json().match).toMatchObject({ opened: 0, reopened: 2, resolved: 0 });
    const ssl = (await openFindings(t, token, assetId)).find((x) => x.vulnerabilityId === 'CVE-2026-0001' && x.package === 'openssl');
    const detail = (await call(t.app, token, 'GET', `/api/findings/${ssl?.id}`)).json();
    expect(detail.history.map((h: { to: string; reason: string }) => `${h.to}: ${h.reason}`)).toEqual(['open: detected', 'resolved: fixed version installed', 'open: vulnerable version installed again']);
    expect(detail.firstSeen < detail.lastSeen).toBe(true);
  });

  it('audits every check-in once, with what it did to the findings and a digest of their events', async () => {
    // The three uploads above: each one chain record holding the package changes and the findings part of its match.
    const inv = (await call(t.app, token, 'GET', `/api/audit?action=inventory.update&entityId=${assetId}`)).json().items as { after: { added: string[]; findings: { runId: string; opened: number; reopened: number; resolved: number; eventsDigest: string } } }[];
    expect(inv.map((r) => [r.after.findings.opened, r.after.findings.reopened, r.after.findings.resolved])).toEqual([[0, 2, 0], [0, 0, 3], [5, 0, 0]]);
    for (const rec of inv) {
      const events = await t.database.db.selectFrom('finding_events').select(['finding_id', 'from_status', 'to_status', 'reason', 'installed_version']).where('run_id', '=', rec.after.findings.runId).orderBy('finding_id').orderBy('id').execute();
      expect(events.length).toBe(rec.after.findings.reopened + rec.after.findings.resolved);
      expect(rec.after.findings.eventsDigest).toBe(sha256Hex(events.map((e) => canonicalJson({ ...e, finding_id: String(e.finding_id) })).join('\n')));
    }
    expect(inv[0]?.after.added).toEqual(['libssl3:amd64 3.0.14-1~deb12u2', 'openssl:amd64 3.0.14-1~deb12u2']);
    // No separate findings.match record for a check-in.
    expect((await call(t.app, token, 'GET', '/api/audit?action=findings.match')).json().items).toEqual([]);
  });

  it('refuses an inventory with invalid versions or duplicates, storing nothing', async () => {
    const before = (await call(t.app, token, 'GET', `/api/assets/${assetId}/inventory`)).json();
    const r = await put({ release: 'bookworm', packages: [{ name: 'a', version: '1.0-1' }, { name: 'b', version: 'x y' }, { name: 'a', version: '2' }] });
    expect(r.statusCode).toBe(422);
    expect(r.json().errors.map((e: { field: string }) => e.field)).toEqual(['body.packages.1.version', 'body.packages.2']);
    expect((await call(t.app, token, 'GET', `/api/assets/${assetId}/inventory`)).json()).toEqual(before);
    expect((await put({ release: 'Bookworm!', packages: [] })).statusCode).toBe(400);
  });

  it('runs a full re-evaluation with progress, and decommissioned assets leave targeting', async () => {
    const other = await newAsset(t, token, 'web-02');
    await call(t.app, token, 'PUT', `/api/assets/${other}/inventory`, pkgs('3.0.1-1', null));
    await call(t.app, token, 'POST', `/api/assets/${other}/decommission`, { reason: 'test' });
    const open = (await openFindings(t, token, assetId))[0] as Found;
    const before = (await call(t.app, token, 'GET', `/api/findings/${open.id}`)).json();
    const xmin = async () => (await sql<{ x: string }>`select xmin::text as x from findings where id = ${open.id}`.execute(t.database.db)).rows[0]?.x;
    const rowVersion = await xmin();
    const run = await call(t.app, token, 'POST', '/api/matching/runs');
    expect(run.statusCode).toBe(202);
    // Seen again: "last seen" moves, but an unchanged finding's row is not rewritten.
    const after = (await call(t.app, token, 'GET', `/api/findings/${open.id}`)).json();
    expect(after.lastSeen > before.lastSeen).toBe(true);
    expect(await xmin()).toBe(rowVersion);
    const done = (await call(t.app, token, 'GET', `/api/matching/runs/${run.json().id}`)).json();
    expect(done).toMatchObject({ status: 'done', progress: 100, stats: { assets: 1, opened: 0, resolved: 0 } });
  });

  it('decommissioning closes the asset\'s open findings with their history; reactivating matches it again (INV-4)', async () => {
    const before = await openFindings(t, token, assetId);
    expect(before.length).toBeGreaterThan(0);
    const dec = await call(t.app, token, 'POST', `/api/assets/${assetId}/decommission`, { reason: 'replaced' });
    expect(dec.statusCode).toBe(200);
    expect(await openFindings(t, token, assetId)).toEqual([]);
    const closed = (await call(t.app, token, 'GET', `/api/findings/${before[0]?.id}`)).json();
    expect(closed.history.at(-1)).toMatchObject({ from: 'open', to: 'resolved', reason: 'asset decommissioned' });
    const trail = (await call(t.app, token, 'GET', `/api/audit?action=asset.decommission&entityId=${assetId}`)).json().items;
    expect(trail[0].after.findingsClosed).toBe(before.length);
    await call(t.app, token, 'POST', `/api/assets/${assetId}/reactivate`, { reason: 'back' });
    expect((await openFindings(t, token, assetId)).map((f) => f.id).sort()).toEqual(before.map((f) => f.id).sort());
  });
});

const fixtures = path.resolve(process.cwd(), '../shared/fixtures/debian-bookworm/tracker.json');
describe.skipIf(!fs.existsSync(fixtures))(`engine on the real Debian 12 records${fs.existsSync(fixtures) ? '' : ' (skipped: ../shared/fixtures is absent)'}`, () => {
  it('stores exactly the findings the pure matcher (itself equal to debsecan) computes, for 8 hosts', async () => {
    const t = await testApp();
    try {
      const { token } = await userWithToken(t.database, 'security_analyst', 'ana');
      const advisories = parseDebianTracker(JSON.parse(fs.readFileSync(fixtures, 'utf8')), new Set(['bookworm']));
      await seedDebianAdvisories(t.database.db, advisories);
      const fixed = new Map<string, string[]>();
      for (const a of advisories) if (a.fixedVersion) fixed.set(a.source, [...(fixed.get(a.source) ?? []), a.fixedVersion]);
      const index = new DebianAdvisoryIndex(advisories);
      let total = 0;
      for (let seed = 1; seed <= 8; seed++) {
        const pkgs = parseDpkgStatus(syntheticStatus(fixed, seed, 300));
        const inv = toInventory(pkgs, 'bookworm');
        const id = await newAsset(t, token, `host-${seed}`);
        expect((await call(t.app, token, 'PUT', `/api/assets/${id}/inventory`, inv)).statusCode).toBe(200);
        const kept = new Set(inv.packages.map((p) => `${p.name}:${p.arch}:${p.version}`));
        const expected = index
          .match(pkgs.filter((p) => kept.has(`${p.name}:${p.architecture}:${p.version}`)), compareDpkg)
          .map((f) => `${f.vulnerability} ${f.package}`)
          .sort();
        const got = (await openFindings(t, token, id)).map((f) => `${f.vulnerabilityId} ${f.package}`).sort();
        expect(got, `host ${seed}`).toEqual([...new Set(expected)]);
        total += got.length;
      }
      expect(total).toBeGreaterThan(200);
    } finally {
      await t.close();
    }
  }, 120_000);

  it('keeps equal to the pure matcher through a sequence of check-ins (each re-matches only the packages that changed)', async () => {
    const t = await testApp();
    try {
      const { token } = await userWithToken(t.database, 'security_analyst', 'ana');
      const advisories = parseDebianTracker(JSON.parse(fs.readFileSync(fixtures, 'utf8')), new Set(['bookworm']));
      await seedDebianAdvisories(t.database.db, advisories);
      const fixed = new Map<string, string[]>();
      for (const a of advisories) if (a.fixedVersion) fixed.set(a.source, [...(fixed.get(a.source) ?? []), a.fixedVersion]);
      const index = new DebianAdvisoryIndex(advisories);
      const id = await newAsset(t, token, 'checkin-host');
      // Successive snapshots of one host: each keeps most packages, drops some, and takes others (new ones, or the
      // same package at another version) from another synthetic host.
      let pkgs = parseDpkgStatus(syntheticStatus(fixed, 11, 200));
      for (let seed = 11; seed <= 16; seed++) {
        if (seed > 11) {
          const incoming = parseDpkgStatus(syntheticStatus(fixed, seed, 200)).slice(0, 25);
          const replaced = new Set(incoming.map((p) => `${p.name}:${p.architecture}`));
          pkgs = [...pkgs.filter((p, i) => i % 17 !== seed % 17 && !replaced.has(`${p.name}:${p.architecture}`)), ...incoming];
        }
        const inv = toInventory(pkgs, 'bookworm');
        const r = await call(t.app, token, 'PUT', `/api/assets/${id}/inventory`, inv);
        expect(r.statusCode).toBe(200);
        if (seed > 11) expect(r.json().match.packagesEvaluated, 'a check-in compares only the changed packages').toBeLessThan(inv.packages.length);
        const kept = new Set(inv.packages.map((p) => `${p.name}:${p.arch}:${p.version}`));
        const expected = index.match(pkgs.filter((p) => kept.has(`${p.name}:${p.architecture}:${p.version}`)), compareDpkg).map((f) => `${f.vulnerability} ${f.package}`);
        const got = (await openFindings(t, token, id)).map((f) => `${f.vulnerabilityId} ${f.package}`).sort();
        expect(got, `after check-in ${seed}`).toEqual([...new Set(expected)].sort());
      }
      // A full run finds nothing to change: the check-ins kept the findings exact.
      const full = (await call(t.app, token, 'POST', '/api/matching/runs')).json();
      // With a job queue (PostgreSQL) the run is a background job: wait for it to end.
      let run = full;
      for (let i = 0; i < 600 && (run.status === 'queued' || run.status === 'running'); i++) {
        await new Promise((r) => setTimeout(r, 100));
        run = (await call(t.app, token, 'GET', `/api/matching/runs/${full.id}`)).json();
      }
      expect(run.status).toBe('done');
      expect(run.stats).toMatchObject({ opened: 0, reopened: 0, resolved: 0 });
    } finally {
      await t.close();
    }
  }, 120_000);
});

describe('a feed import re-matches the assets that have a changed package', () => {
  it('opens findings for a new advisory and resolves them when the feed lowers the fixed version', async () => {
    const t = await testApp();
    try {
      const { token: admin } = await userWithToken(t.database, 'admin', 'root');
      const feed = (fixed: string) =>
        t.app.inject({
          method: 'POST',
          url: '/api/feeds/debian/import?source=test',
          headers: { authorization: `Bearer ${admin}`, 'content-type': 'application/json' },
          payload: JSON.stringify({ openssl: { 'CVE-2026-7777': { description: 'x', releases: { bookworm: { status: 'resolved', fixed_version: fixed, urgency: 'high' } } } } }),
        });
      const id = await newAsset(t, admin, 'feed-host');
      // Inventory first, advisory later: the import itself must find the host.
      await call(t.app, admin, 'PUT', `/api/assets/${id}/inventory`, { release: 'bookworm', packages: [{ name: 'libssl3', version: '3.0.14-1', arch: 'amd64', sourceName: 'openssl' }] });
      const first = await feed('3.0.15-1');
      expect(first.statusCode).toBe(200);
      expect(first.json().rematch).toEqual({ assets: 1, opened: 1, reopened: 0, resolved: 0 });
      expect((await openFindings(t, admin, id)).map((f) => `${f.vulnerabilityId} ${f.package}`)).toEqual(['CVE-2026-7777 libssl3']);
      const second = await feed('3.0.13-1');
      expect(second.json().rematch).toEqual({ assets: 1, opened: 0, reopened: 0, resolved: 1 });
      expect(await openFindings(t, admin, id)).toEqual([]);
    } finally {
      await t.close();
    }
  });
});
