import pino from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseDebianTracker } from '../../src/domain/feeds/debian-tracker.js';
import { buildApp } from '../../src/http/app.js';
import { vulnerabilityRoutes } from '../../src/http/routes/vulnerabilities.js';
import { loadConfig } from '../../src/lib/config.js';
import { seedDebianAdvisories } from '../support/advisories.js';
import { call, type TestApp, userWithToken } from '../support/app.js';
import { freshDatabase } from '../support/db.js';

/** testApp(), plus the register routes when app.ts does not register them (yet). */
async function registerApp(): Promise<TestApp> {
  const database = await freshDatabase();
  const config = loadConfig({ PATCHLOOP_DATA_DIR: '/nonexistent', PATCHLOOP_LOG_LEVEL: 'silent' });
  const app = await buildApp({ database, config, logger: pino({ level: 'silent' }), webDir: null });
  if (!app.hasRoute({ method: 'GET', url: '/api/vulnerabilities' })) vulnerabilityRoutes(app, database.db);
  await app.ready();
  return {
    app,
    database,
    async close() {
      await app.close();
      await database.close();
    },
  };
}

const HOSTILE = '<img src=x onerror=alert(1)> "quoted" & ampersand';
const LONG = `${HOSTILE} ${'A heap overflow in the TLS handshake lets a remote attacker run code. '.repeat(8)}`;

type Item = { id: string; aliases: string[]; description: string | null; cvss: { score: number | null; version: string | null; severity: string | null }; epss: unknown; kev: unknown; counts: { assets: number; packages: number; openFindings: number } };

describe('vulnerability register API', () => {
  let t: TestApp;
  let token: string;
  const assets: Record<string, string> = {};

  const inv = (pkgs: { name: string; version: string; sourceName?: string; sourceVersion?: string }[]) => ({
    ecosystem: 'deb',
    distro: 'debian',
    release: 'bookworm',
    source: 'test',
    packages: pkgs.map((p) => ({ arch: 'amd64', ...p })),
  });
  const ids = (items: Item[]) => items.map((x) => x.id);
  const list = async (qs = '') => {
    const r = await call(t.app, token, 'GET', `/api/vulnerabilities${qs ? `?${qs}` : ''}`);
    expect(r.statusCode, r.body).toBe(200);
    return r.json() as { items: Item[]; nextCursor: string | null };
  };
  const putInventory = async (host: string, body: unknown) => {
    const r = await call(t.app, token, 'PUT', `/api/assets/${assets[host]}/inventory`, body);
    expect(r.statusCode, r.body).toBe(200);
    return r.json();
  };

  beforeAll(async () => {
    t = await registerApp();
    ({ token } = await userWithToken(t.database, 'security_analyst', 'vuln-analyst'));
    await seedDebianAdvisories(
      t.database.db,
      parseDebianTracker({
        openssl: {
          'CVE-2026-1001': { releases: { bookworm: { status: 'resolved', fixed_version: '3.0.15-1~deb12u1', urgency: 'high' } } },
          'CVE-2026-1002': { releases: { bookworm: { status: 'open', urgency: 'low' } } },
        },
        curl: { 'CVE-2026-1003': { releases: { bookworm: { status: 'resolved', fixed_version: '7.88.1-10+deb12u8', urgency: 'medium' } } } },
        zlib: { 'CVE-2026-1004': { releases: { bookworm: { status: 'resolved', fixed_version: '0', urgency: 'unimportant' } } } },
        nginx: { 'CVE-2026-1005': { releases: { bookworm: { status: 'resolved', fixed_version: '1.22.1-9+deb12u1', urgency: 'high' } } } },
      }),
    );
    // What the NVD, EPSS and KEV importers store.
    const db = t.database.db;
    await db
      .updateTable('vulnerabilities')
      .set({
        description: LONG,
        cvss_score: 9.8,
        cvss_version: '3.1',
        severity: 'CRITICAL',
        cvss: JSON.stringify([
          { source: 'nvd@nist.gov', version: '3.1', vector: 'CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H', score: 9.8 },
          { source: 'vendor', vector: 'CVSS:3.1/AV:N/AC:H/PR:N/UI:N/S:U/C:H/I:H/A:H' },
          { source: 'broken', vector: 'CVSS:3.1/AV:X' },
        ]),
        epss_score: 0.97,
        epss_percentile: 0.999,
        epss_date: '2026-11-22',
        kev_date_added: '2026-01-10',
        kev_due_date: '2026-01-31',
        kev_ransomware: true,
        kev_name: 'OpenSSL TLS heap overflow',
        kev_required_action: 'Apply updates per vendor instructions.',
        refs: JSON.stringify([{ url: 'https://www.openssl.org/news/secadv/x.txt', source: 'nvd', tags: ['Vendor Advisory'] }, 'javascript:alert(1)', 'https://www.openssl.org/news/secadv/x.txt']),
      })
      .where('id', '=', 'CVE-2026-1001')
      .execute();
    await db.updateTable('vulnerabilities').set({ description: 'Denial of service in the openssl 100 handler', cvss_score: 5.3, cvss_version: '3.1', epss_score: 0.01, epss_percentile: 0.4 }).where('id', '=', 'CVE-2026-1002').execute();
    await db.updateTable('vulnerabilities').set({ description: 'curl leaks credentials', cvss_score: 7.5, cvss_version: '3.1', severity: 'high', epss_score: 0.2, epss_percentile: 0.9, kev_date_added: '2025-06-01', kev_due_date: '2025-06-22', kev_ransomware: false }).where('id', '=', 'CVE-2026-1003').execute();
    await db.updateTable('vulnerabilities').set({ cvss_score: 10, cvss_version: '3.1', severity: 'critical' }).where('id', '=', 'CVE-2026-1005').execute();
    await db.insertInto('vulnerability_aliases').values([
      { alias: 'GHSA-aaaa-bbbb-cccc', vulnerability_id: 'CVE-2026-1001' },
      { alias: 'DSA-9999-1', vulnerability_id: 'CVE-2026-1001' },
      { alias: 'CVE-2026-1001', vulnerability_id: 'CVE-2026-1001' },
    ]).execute();

    for (const [hostname, environment, businessCriticality] of [['web-01', 'production', 'high'], ['web-02', 'staging', 'critical'], ['db-01', 'production', 'medium'], ['idle-01', 'test', 'low']] as const) {
      const r = await call(t.app, token, 'POST', '/api/assets', { hostname, environment, businessCriticality, systemType: 'web_server', networkExposure: 'internal' });
      expect(r.statusCode).toBe(201);
      assets[hostname] = r.json().id;
    }
    await putInventory('web-01', inv([
      { name: 'libssl3', version: '3.0.14-1~deb12u2', sourceName: 'openssl' },
      { name: 'openssl', version: '3.0.14-1~deb12u2' },
      { name: 'libcurl4', version: '7.88.1-10+deb12u5+b1', sourceName: 'curl', sourceVersion: '7.88.1-10+deb12u5' },
      { name: 'zlib1g', version: '1:1.2.13.dfsg-1', sourceName: 'zlib' },
    ]));
    await putInventory('web-02', inv([
      { name: 'libssl3', version: '3.0.14-1~deb12u2', sourceName: 'openssl' },
      { name: 'libcurl4', version: '7.88.1-10+deb12u8', sourceName: 'curl' },
    ]));
    await putInventory('db-01', inv([{ name: 'openssl', version: '3.0.15-1~deb12u1' }]));
  });
  afterAll(() => t?.close());

  it('lists what affects the fleet, most open findings first, with CVSS, EPSS, KEV, aliases and counts', async () => {
    const r = await list();
    expect(ids(r.items)).toEqual(['CVE-2026-1002', 'CVE-2026-1001', 'CVE-2026-1003']);
    expect(r.nextCursor).toBeNull();
    const [v1002, v1001, v1003] = r.items;
    // openssl unfixed: libssl3 + openssl on web-01, libssl3 on web-02, openssl on db-01.
    expect(v1002?.counts).toEqual({ assets: 3, packages: 2, openFindings: 4 });
    expect(v1002?.cvss).toEqual({ score: 5.3, version: '3.1', severity: 'medium' }); // severity from the score when the feed gave none
    expect(v1002?.kev).toBeNull();
    expect(v1001).toMatchObject({
      aliases: ['DSA-9999-1', 'GHSA-aaaa-bbbb-cccc'],
      cvss: { score: 9.8, version: '3.1', severity: 'critical' },
      epss: { score: 0.97, percentile: 0.999 },
      kev: { dateAdded: '2026-01-10', dueDate: '2026-01-31', ransomware: true },
      counts: { assets: 2, packages: 2, openFindings: 3 },
    });
    expect([...(v1001?.description ?? '')].length).toBe(300);
    expect(v1001?.description?.startsWith(HOSTILE)).toBe(true);
    expect(v1001?.description?.endsWith('…')).toBe(true);
    expect(v1003).toMatchObject({ counts: { assets: 1, packages: 1, openFindings: 1 }, kev: { dateAdded: '2025-06-01', ransomware: false }, description: 'curl leaks credentials' });
  });

  it('scope=all adds the vulnerabilities no asset has, with zero counts', async () => {
    const r = await list('scope=all');
    expect(ids(r.items)).toEqual(['CVE-2026-1002', 'CVE-2026-1001', 'CVE-2026-1003', 'CVE-2026-1004', 'CVE-2026-1005']);
    expect(r.items[4]?.counts).toEqual({ assets: 0, packages: 0, openFindings: 0 });
  });

  it('filters by KEV, severity, minimum CVSS and EPSS', async () => {
    expect(ids((await list('kev=true')).items)).toEqual(['CVE-2026-1001', 'CVE-2026-1003']);
    expect(ids((await list('kev=false')).items)).toEqual(['CVE-2026-1002']);
    expect(ids((await list('severity=critical')).items)).toEqual(['CVE-2026-1001']);
    expect(ids((await list('severity=CRITICAL&scope=all&sort=id')).items)).toEqual(['CVE-2026-1001', 'CVE-2026-1005']);
    expect(ids((await list('severity=medium')).items)).toEqual(['CVE-2026-1002']);
    expect(ids((await list('minCvss=7')).items)).toEqual(['CVE-2026-1001', 'CVE-2026-1003']);
    expect(ids((await list('minCvss=7.6')).items)).toEqual(['CVE-2026-1001']);
    expect(ids((await list('minEpss=0.1')).items)).toEqual(['CVE-2026-1001', 'CVE-2026-1003']);
    expect(ids((await list('minEpss=0.1&kev=true&minCvss=8')).items)).toEqual(['CVE-2026-1001']);
  });

  it('searches ids, aliases and descriptions, with LIKE wildcards taken literally', async () => {
    expect(ids((await list('q=GHSA-aaaa')).items)).toEqual(['CVE-2026-1001']);
    expect(ids((await list('q=cve-2026-1003')).items)).toEqual(['CVE-2026-1003']);
    expect(ids((await list(`q=${encodeURIComponent('onerror=alert')}`)).items)).toEqual(['CVE-2026-1001']);
    expect(ids((await list('q=credentials')).items)).toEqual(['CVE-2026-1003']);
    expect(ids((await list(`q=${encodeURIComponent('100 handler')}`)).items)).toEqual(['CVE-2026-1002']);
    expect((await list(`q=${encodeURIComponent('100%')}`)).items).toEqual([]);
    expect((await list('q=_')).items).toEqual([]);
    expect(ids((await list('q=nginx-nothing&scope=all')).items)).toEqual([]);
  });

  it('sorts by CVSS, EPSS, id and KEV date either way, unknown values last', async () => {
    expect(ids((await list('sort=cvss')).items)).toEqual(['CVE-2026-1001', 'CVE-2026-1003', 'CVE-2026-1002']);
    expect(ids((await list('sort=cvss&order=asc')).items)).toEqual(['CVE-2026-1002', 'CVE-2026-1003', 'CVE-2026-1001']);
    expect(ids((await list('sort=cvss&scope=all')).items)).toEqual(['CVE-2026-1005', 'CVE-2026-1001', 'CVE-2026-1003', 'CVE-2026-1002', 'CVE-2026-1004']);
    expect(ids((await list('sort=cvss&order=asc&scope=all')).items)).toEqual(['CVE-2026-1002', 'CVE-2026-1003', 'CVE-2026-1001', 'CVE-2026-1005', 'CVE-2026-1004']);
    expect(ids((await list('sort=epss')).items)).toEqual(['CVE-2026-1001', 'CVE-2026-1003', 'CVE-2026-1002']);
    expect(ids((await list('sort=id')).items)).toEqual(['CVE-2026-1001', 'CVE-2026-1002', 'CVE-2026-1003']);
    expect(ids((await list('sort=id&order=desc')).items)).toEqual(['CVE-2026-1003', 'CVE-2026-1002', 'CVE-2026-1001']);
    expect(ids((await list('sort=kevDateAdded')).items)).toEqual(['CVE-2026-1001', 'CVE-2026-1003', 'CVE-2026-1002']);
    expect(ids((await list('sort=kevDateAdded&order=asc')).items)).toEqual(['CVE-2026-1003', 'CVE-2026-1001', 'CVE-2026-1002']);
    expect(ids((await list('sort=openFindings&order=asc')).items)).toEqual(['CVE-2026-1003', 'CVE-2026-1001', 'CVE-2026-1002']);
  });

  it('pages with a cursor through every sort, ties included, without gaps or repeats', async () => {
    for (const qs of ['scope=all', 'scope=all&sort=cvss', 'scope=all&sort=cvss&order=asc', 'scope=all&sort=epss', 'scope=all&sort=id&order=desc', 'scope=all&sort=kevDateAdded', 'sort=openFindings&order=asc']) {
      const whole = ids((await list(qs)).items);
      const paged: string[] = [];
      let cursor: string | null = null;
      do {
        const page: { items: Item[]; nextCursor: string | null } = await list(`${qs}&limit=2${cursor ? `&cursor=${encodeURIComponent(cursor)}` : ''}`);
        expect(page.items.length).toBeLessThanOrEqual(2);
        paged.push(...ids(page.items));
        cursor = page.nextCursor;
      } while (cursor);
      expect(paged, qs).toEqual(whole);
    }
  });

  it('refuses bad input with problem+json naming the field', async () => {
    for (const qs of ['bogus=1', 'severity=extreme', 'minCvss=11', 'minCvss=abc', 'minEpss=2', 'limit=0', 'limit=501', 'sort=hostname', 'scope=mine', 'kev=yes', 'cursor=%21%21%21']) {
      const r = await call(t.app, token, 'GET', `/api/vulnerabilities?${qs}`);
      expect(r.statusCode, qs).toBe(400);
      expect(r.headers['content-type']).toMatch(/application\/problem\+json/);
      expect(r.json().errors?.length, qs).toBeGreaterThan(0);
    }
    // A cursor of another sort is not honoured silently.
    const cvssCursor = (await list('scope=all&sort=cvss&limit=1')).nextCursor as string;
    const r = await call(t.app, token, 'GET', `/api/vulnerabilities?scope=all&sort=epss&cursor=${encodeURIComponent(cvssCursor)}`);
    expect(r.statusCode).toBe(400);
    expect(r.json().errors[0].field).toBe('query.cursor');
  });

  it('shows one vulnerability: CVSS with our computed scores, EPSS, KEV, references, aliases, advisories, affected assets', async () => {
    const r = await call(t.app, token, 'GET', '/api/vulnerabilities/CVE-2026-1001');
    expect(r.statusCode, r.body).toBe(200);
    const d = r.json();
    expect(d).toMatchObject({
      id: 'CVE-2026-1001',
      aliases: ['DSA-9999-1', 'GHSA-aaaa-bbbb-cccc'],
      description: LONG,
      cvss: { score: 9.8, version: '3.1', severity: 'critical' },
      epss: { score: 0.97, percentile: 0.999, date: '2026-11-22' },
      kev: { dateAdded: '2026-01-10', dueDate: '2026-01-31', ransomware: true, name: 'OpenSSL TLS heap overflow', requiredAction: 'Apply updates per vendor instructions.' },
      counts: { assets: 2, packages: 2, openFindings: 3 },
      affectedTruncated: false,
    });
    expect(d.cvss.entries).toEqual([
      { source: 'nvd@nist.gov', version: '3.1', vector: 'CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H', score: 9.8, severity: 'critical', computed: { score: 9.8, severity: 'critical', version: '3.1' }, error: null },
      { source: 'vendor', version: '3.1', vector: 'CVSS:3.1/AV:N/AC:H/PR:N/UI:N/S:U/C:H/I:H/A:H', score: null, severity: null, computed: { score: 8.1, severity: 'high', version: '3.1' }, error: null },
      expect.objectContaining({ source: 'broken', vector: 'CVSS:3.1/AV:X', computed: null, error: expect.any(String) }),
    ]);
    // Duplicates dropped; stored strings returned as they are (the UI links only http(s)).
    expect(d.references).toEqual([
      { url: 'https://www.openssl.org/news/secadv/x.txt', source: 'nvd', tags: ['Vendor Advisory'] },
      { url: 'javascript:alert(1)', source: null, tags: [] },
    ]);
    expect(d.advisories).toEqual([expect.objectContaining({ feed: 'debian', ecosystem: 'deb', release: 'bookworm', package: 'openssl', state: 'fixed', fixedVersion: '3.0.15-1~deb12u1', urgency: 'high' })]);
    // Most critical asset first; each with its packages, installed and fixed versions.
    expect(d.affected.map((a: { asset: { hostname: string; environment: string; criticality: string }; packages: { package: string; installedVersion: string; fixedVersion: string }[] }) => ({
      ...a.asset,
      packages: a.packages.map((p) => `${p.package} ${p.installedVersion} -> ${p.fixedVersion}`),
    }))).toEqual([
      { id: assets['web-02'], hostname: 'web-02', environment: 'staging', criticality: 'critical', packages: ['libssl3 3.0.14-1~deb12u2 -> 3.0.15-1~deb12u1'] },
      { id: assets['web-01'], hostname: 'web-01', environment: 'production', criticality: 'high', packages: ['libssl3 3.0.14-1~deb12u2 -> 3.0.15-1~deb12u1', 'openssl 3.0.14-1~deb12u2 -> 3.0.15-1~deb12u1'] },
    ]);
    // The finding ids lead to the findings.
    const f = await call(t.app, token, 'GET', `/api/findings/${d.affected[0].packages[0].findingId}`);
    expect(f.json()).toMatchObject({ vulnerabilityId: 'CVE-2026-1001', package: 'libssl3', asset: { hostname: 'web-02' }, status: 'open' });
  });

  it('resolves aliases and lower-case ids to the vulnerability', async () => {
    for (const id of ['GHSA-aaaa-bbbb-cccc', 'DSA-9999-1', 'cve-2026-1001', 'ghsa-aaaa-bbbb-cccc']) {
      const r = await call(t.app, token, 'GET', `/api/vulnerabilities/${id}`);
      expect(r.statusCode, id).toBe(200);
      expect(r.json().id).toBe('CVE-2026-1001');
    }
  });

  it('shows unfixed advisories and vulnerabilities nothing has', async () => {
    const d = (await call(t.app, token, 'GET', '/api/vulnerabilities/CVE-2026-1002')).json();
    expect(d.advisories).toEqual([expect.objectContaining({ package: 'openssl', state: 'unfixed', fixedVersion: null })]);
    expect(d.affected.map((a: { asset: { hostname: string } }) => a.asset.hostname)).toEqual(['web-02', 'web-01', 'db-01']);
    expect(d.affected.flatMap((a: { packages: { fixedVersion: string | null }[] }) => a.packages.map((p) => p.fixedVersion))).toEqual([null, null, null, null]);
    const none = (await call(t.app, token, 'GET', '/api/vulnerabilities/CVE-2026-1005')).json();
    expect(none).toMatchObject({ counts: { assets: 0, packages: 0, openFindings: 0 }, affected: [], kev: null, epss: null, references: [], aliases: [] });
    expect(none.cvss).toEqual({ score: 10, version: '3.1', severity: 'critical', entries: [] });
  });

  it('404 for an unknown id, 400 for one that cannot be an id', async () => {
    const r = await call(t.app, token, 'GET', '/api/vulnerabilities/CVE-2099-0001');
    expect(r.statusCode).toBe(404);
    expect(r.headers['content-type']).toMatch(/application\/problem\+json/);
    expect(r.json().detail).toContain('CVE-2099-0001');
    for (const bad of [encodeURIComponent('<script>'), encodeURIComponent('CVE 2026'), encodeURIComponent('CVE-2026-1001\u0000'), encodeURIComponent("'; drop table vulnerabilities; --")]) {
      const b = await call(t.app, token, 'GET', `/api/vulnerabilities/${bad}`);
      expect(b.statusCode, bad).toBe(400);
    }
    // Longer than any id: Fastify refuses the path parameter before the route.
    expect((await call(t.app, token, 'GET', `/api/vulnerabilities/${'x'.repeat(101)}`)).statusCode).toBe(414);
  });

  it('needs asset:read', async () => {
    expect((await t.app.inject({ method: 'GET', url: '/api/vulnerabilities' })).statusCode).toBe(401);
    const { token: auditor } = await userWithToken(t.database, 'auditor', 'vuln-auditor');
    expect((await call(t.app, auditor, 'GET', '/api/vulnerabilities')).statusCode).toBe(200);
    expect((await call(t.app, auditor, 'GET', '/api/vulnerabilities/CVE-2026-1001')).statusCode).toBe(200);
    const { token: agent } = await userWithToken(t.database, 'agent', 'vuln-agent');
    expect((await call(t.app, agent, 'GET', '/api/vulnerabilities')).statusCode).toBe(403);
    expect((await call(t.app, agent, 'GET', '/api/vulnerabilities/CVE-2026-1001')).statusCode).toBe(403);
  });

  it('counts follow the inventory: an upgrade takes the asset off, a downgrade puts it back', async () => {
    await putInventory('web-01', inv([
      { name: 'libssl3', version: '3.0.15-1~deb12u1', sourceName: 'openssl' },
      { name: 'openssl', version: '3.0.15-1~deb12u1' },
      { name: 'libcurl4', version: '7.88.1-10+deb12u5+b1', sourceName: 'curl', sourceVersion: '7.88.1-10+deb12u5' },
    ]));
    let v = (await list()).items.find((x) => x.id === 'CVE-2026-1001');
    expect(v?.counts).toEqual({ assets: 1, packages: 1, openFindings: 1 });
    const d = (await call(t.app, token, 'GET', '/api/vulnerabilities/CVE-2026-1001')).json();
    expect(d.affected.map((a: { asset: { hostname: string } }) => a.asset.hostname)).toEqual(['web-02']);
    await putInventory('web-02', inv([{ name: 'libcurl4', version: '7.88.1-10+deb12u8', sourceName: 'curl' }]));
    expect(ids((await list()).items)).not.toContain('CVE-2026-1001');
    expect(ids((await list('scope=all')).items)).toContain('CVE-2026-1001');
    await putInventory('web-02', inv([{ name: 'libssl3', version: '3.0.14-1~deb12u2', sourceName: 'openssl' }]));
    v = (await list()).items.find((x) => x.id === 'CVE-2026-1001');
    expect(v?.counts).toEqual({ assets: 1, packages: 1, openFindings: 1 });
  });

  it('is described in the OpenAPI document', async () => {
    const doc = (await t.app.inject({ method: 'GET', url: '/api/openapi.json' })).json();
    const paths = doc.paths ?? {};
    expect(paths['/api/vulnerabilities']?.get?.operationId).toBe('listVulnerabilities');
    expect(paths['/api/vulnerabilities/{id}']?.get?.operationId).toBe('getVulnerability');
    expect(paths['/api/vulnerabilities']?.get?.tags).toEqual(['Vulnerabilities']);
  });
});
