import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseOsvDocument } from '../../src/domain/feeds/osv.js';
import { applyOsv } from '../../src/services/feeds/osv.js';
import { rematchForAdvisories } from '../../src/services/matching/matching.service.js';
import { call, operator, type TestApp, testApp, userWithToken } from '../support/app.js';

/**
 * OSV advisories through the database engine: records stored as advisories
 * of feed 'osv', matched against hosts of several distributions and the
 * language packages installed on them, with the lifecycle of the Debian path.
 */
const rec = (id: string, aliases: string[], affected: unknown[], extra: Record<string, unknown> = {}) => ({ id, modified: '2026-10-01T00:00:00Z', aliases, affected, ...extra });
const range = (events: Record<string, string>[], type = 'ECOSYSTEM') => [{ type, events }];

const records = [
  rec('GHSA-aaaa-bbbb-0001', ['CVE-2026-5001'], [{ package: { ecosystem: 'npm', name: 'lodash' }, ranges: range([{ introduced: '0' }, { fixed: '4.17.21' }], 'SEMVER') }], { summary: 'Prototype pollution in lodash' }),
  rec('PYSEC-2026-1', [], [{ package: { ecosystem: 'PyPI', name: 'Jinja2' }, ranges: range([{ introduced: '3.0.0' }, { fixed: '3.1.5' }]) }]),
  rec('ALSA-2026:0001', ['CVE-2026-5002'], [{ package: { ecosystem: 'AlmaLinux:9', name: 'openssl' }, ranges: range([{ introduced: '0' }, { fixed: '1:3.0.7-28.el9_4' }]) }]),
  rec('RLSA-2026:0001', ['CVE-2026-5002'], [{ package: { ecosystem: 'Rocky Linux:9', name: 'openssl' }, ranges: range([{ introduced: '0' }, { fixed: '1:3.0.7-29.el9_4' }]) }]),
  rec('ALPINE-CVE-2026-5003', ['CVE-2026-5003'], [{ package: { ecosystem: 'Alpine:v3.19', name: 'busybox' }, ranges: range([{ introduced: '0' }, { fixed: '1.36.1-r16' }]) }]),
  rec('DEBIAN-CVE-2026-5004', ['CVE-2026-5004'], [{ package: { ecosystem: 'Debian:12', name: 'curl' }, ranges: range([{ introduced: '0' }, { fixed: '7.88.1-10+deb12u9' }]) }]),
];

describe('OSV advisories in the matching engine', () => {
  let t: TestApp;
  let token: string;
  const ids: Record<string, string> = {};

  async function host(hostname: string) {
    const r = await call(t.app, token, 'POST', '/api/assets', { hostname, environment: 'production', systemType: 'application_server', businessCriticality: 'high', networkExposure: 'internal' });
    expect(r.statusCode).toBe(201);
    ids[hostname] = r.json().id;
    return r.json().id as string;
  }
  const open = async (assetId: string) =>
    ((await call(t.app, token, 'GET', `/api/findings?assetId=${assetId}&status=open&limit=1000`)).json().items as { vulnerabilityId: string; package: string; installedVersion: string; fixedVersion: string | null; advisory: { feed: string } }[])
      .map((f) => `${f.vulnerabilityId} ${f.package} ${f.installedVersion} → ${f.fixedVersion} (${f.advisory.feed})`)
      .sort();

  beforeAll(async () => {
    t = await testApp();
    ({ token } = await userWithToken(t.database, 'admin'));
    const { records: parsed } = parseOsvDocument(records);
    const changes = await t.database.db.transaction().execute((tx) => applyOsv(tx, parsed));
    // AlmaLinux and Rocky records of one CVE are rows of their own (almalinux:9, rocky:9).
    expect(changes).toMatchObject({ added: 6, changed: 0, removed: 0 });
  });
  afterAll(async () => t?.close());

  it('stores CVE-aliased records under the CVE and keeps the OSV ids as aliases', async () => {
    const v = (await call(t.app, token, 'GET', '/api/vulnerabilities/GHSA-aaaa-bbbb-0001')).json();
    expect(v.id).toBe('CVE-2026-5001');
    expect(v.title).toBe('Prototype pollution in lodash');
    expect((await call(t.app, token, 'GET', '/api/vulnerabilities/PYSEC-2026-1')).json().id).toBe('PYSEC-2026-1');
  });

  it('matches distribution packages by distribution and release, and language packages on any host', async () => {
    const alma = await host('alma-01');
    const rocky = await host('rocky-01');
    const alpine = await host('alpine-01');
    const deb = await host('deb-01');
    const put = (id: string, body: unknown) => call(t.app, token, 'PUT', `/api/assets/${id}/inventory`, body);
    expect((await put(alma, { ecosystem: 'rpm', distro: 'almalinux', release: '9.4', packages: [
      { name: 'openssl', version: '1:3.0.7-28.el9_4', arch: 'x86_64' }, // fixed for Alma, not yet for Rocky
      { name: 'lodash', version: '4.17.20', ecosystem: 'npm', purl: 'pkg:npm/lodash@4.17.20' },
    ] })).statusCode).toBe(200);
    expect((await put(rocky, { ecosystem: 'rpm', distro: 'rocky', release: '9.4', packages: [{ name: 'openssl', version: '1:3.0.7-28.el9_4', arch: 'x86_64' }] })).statusCode).toBe(200);
    expect((await put(alpine, { ecosystem: 'apk', distro: 'alpine', release: '3.19.1', packages: [
      { name: 'busybox-binsh', version: '1.36.1-r15', arch: 'x86_64', sourceName: 'busybox' },
      { name: 'jinja2', version: '3.1.4', ecosystem: 'pypi' },
    ] })).statusCode).toBe(200);
    expect((await put(deb, { release: 'bookworm', packages: [{ name: 'libcurl4', version: '7.88.1-10+deb12u8+b1', arch: 'amd64', sourceName: 'curl', sourceVersion: '7.88.1-10+deb12u8' }] })).statusCode).toBe(200);

    expect(await open(alma)).toEqual(['CVE-2026-5001 lodash 4.17.20 → 4.17.21 (osv)']);
    expect(await open(rocky)).toEqual(['CVE-2026-5002 openssl 1:3.0.7-28.el9_4 → 1:3.0.7-29.el9_4 (osv)']);
    expect(await open(alpine)).toEqual(['CVE-2026-5003 busybox-binsh 1.36.1-r15 → 1.36.1-r16 (osv)', 'PYSEC-2026-1 jinja2 3.1.4 → 3.1.5 (osv)']);
    expect(await open(deb)).toEqual(['CVE-2026-5004 libcurl4 7.88.1-10+deb12u8+b1 → 7.88.1-10+deb12u9 (osv)']);
  });

  it('takes a dpkg status file and CycloneDX SBOMs: each replaces the packages of its ecosystems and keeps the rest', async () => {
    const id = await host('files-01');
    const imp = (body: unknown) => call(t.app, token, 'POST', `/api/assets/${id}/inventory/import`, body);
    const status = 'Package: libcurl4\nStatus: install ok installed\nArchitecture: amd64\nSource: curl (7.88.1-10+deb12u8)\nVersion: 7.88.1-10+deb12u8+b1\n';
    expect((await imp({ format: 'dpkg-status', content: status })).json().errors[0]).toMatchObject({ field: 'body.release' });
    const first = await imp({ format: 'dpkg-status', content: status, release: 'bookworm' });
    expect(first.statusCode, first.body).toBe(200);
    const bom = (v: string) => JSON.stringify({ bomFormat: 'CycloneDX', specVersion: '1.5', components: [{ name: 'lodash', purl: `pkg:npm/lodash@${v}` }, { name: 'docs' }] });
    const second = (await imp({ format: 'cyclonedx', content: bom('4.17.20') })).json();
    expect(second).toMatchObject({ packages: 2, added: 1, removed: 0, skipped: 1, match: { opened: 1 } });
    expect(await open(id)).toEqual(['CVE-2026-5001 lodash 4.17.20 → 4.17.21 (osv)', 'CVE-2026-5004 libcurl4 7.88.1-10+deb12u8+b1 → 7.88.1-10+deb12u9 (osv)']);
    // The application was updated: the new SBOM replaces the npm package, the Debian packages stay.
    expect((await imp({ format: 'cyclonedx', content: bom('4.17.21') })).json()).toMatchObject({ packages: 2, added: 1, removed: 1, match: { resolved: 1 } });
    expect(await open(id)).toEqual(['CVE-2026-5004 libcurl4 7.88.1-10+deb12u8+b1 → 7.88.1-10+deb12u9 (osv)']);
    const before = (await call(t.app, token, 'GET', `/api/assets/${id}/inventory`)).json();
    const bad = await imp({ format: 'cyclonedx', content: JSON.stringify({ bomFormat: 'CycloneDX', components: [{ name: 'x', purl: 'pkg:npm/x' }, { name: 'y', purl: 'nonsense' }] }) });
    expect(bad.statusCode).toBe(422);
    expect(bad.json().errors[0].field).toBe('body.content components[1].purl');
    expect((await imp({ format: 'cyclonedx', content: '{not json' })).statusCode).toBe(422);
    expect((await call(t.app, token, 'GET', `/api/assets/${id}/inventory`)).json()).toEqual(before);
  });

  it('takes an SPDX SBOM the same way', async () => {
    const id = await host('spdx-01');
    const content = JSON.stringify({ spdxVersion: 'SPDX-2.3', packages: [{ name: 'lodash', versionInfo: '4.17.19', externalRefs: [{ referenceCategory: 'PACKAGE-MANAGER', referenceType: 'purl', referenceLocator: 'pkg:npm/lodash@4.17.19' }] }] });
    const r = await call(t.app, token, 'POST', `/api/assets/${id}/inventory/import`, { format: 'spdx', content, release: 'bookworm' });
    expect(r.statusCode, r.body).toBe(200);
    expect(await open(id)).toEqual(['CVE-2026-5001 lodash 4.17.19 → 4.17.21 (osv)']);
    // CycloneDX XML replaces the npm packages the SPDX file brought.
    const xml = '<?xml version="1.0"?><bom xmlns="http://cyclonedx.org/schema/bom/1.5"><components><component type="library"><name>lodash</name><purl>pkg:npm/lodash@4.17.21</purl></component></components></bom>';
    const x = await call(t.app, token, 'POST', `/api/assets/${id}/inventory/import`, { format: 'cyclonedx', content: xml });
    expect(x.json()).toMatchObject({ packages: 1, added: 1, removed: 1, match: { resolved: 1 } });
    const bad = await call(t.app, token, 'POST', `/api/assets/${id}/inventory/import`, { format: 'cyclonedx', content: '<bom><components>' });
    expect(bad.statusCode).toBe(422);
    expect(bad.json().errors[0].message).toContain('not well-formed XML');
  });

  it('stores a record that fixes several CVEs (a DSA) under each of them, without making one CVE an alias of another', async () => {
    const dsa = parseOsvDocument([rec('DSA-9999-1', [], [{ package: { ecosystem: 'Debian:12', name: 'zlib' }, ranges: range([{ introduced: '0' }, { fixed: '1:1.2.13.dfsg-1+deb12u9' }]) }], { upstream: ['CVE-2026-5101', 'CVE-2026-5102'], summary: 'zlib security update' })]).records;
    const changes = await t.database.db.transaction().execute((tx) => applyOsv(tx, dsa));
    expect(changes.added).toBe(2);
    const rows = await t.database.executeSql(`select vulnerability_id, advisory_ref from advisories where package = 'zlib' order by 1`);
    expect(rows.rows).toEqual([{ vulnerability_id: 'CVE-2026-5101', advisory_ref: 'DSA-9999-1' }, { vulnerability_id: 'CVE-2026-5102', advisory_ref: 'DSA-9999-1' }]);
    expect((await call(t.app, token, 'GET', '/api/vulnerabilities/CVE-2026-5102')).json().id).toBe('CVE-2026-5102');
    expect((await call(t.app, token, 'GET', '/api/vulnerabilities/DSA-9999-1')).statusCode).toBe(404);
  });

  it('refuses a version its ecosystem rejects, naming the package', async () => {
    const r = await call(t.app, token, 'PUT', `/api/assets/${ids['alma-01']}/inventory`, { ecosystem: 'rpm', distro: 'almalinux', release: '9', packages: [{ name: 'lodash', version: 'not a version', ecosystem: 'npm' }] });
    expect(r.statusCode).toBe(422);
    expect(r.json().errors[0].field).toBe('body.packages.0.version');
  });

  it('re-matches the hosts a changed OSV record touches, and resolves what a new fix covers', async () => {
    const changed = parseOsvDocument([rec('PYSEC-2026-1', [], [{ package: { ecosystem: 'PyPI', name: 'jinja2' }, ranges: range([{ introduced: '3.0.0' }, { fixed: '3.1.4' }]) }], { modified: '2026-11-01T00:00:00Z' })]).records;
    const changes = await t.database.db.transaction().execute((tx) => applyOsv(tx, changed));
    expect(changes).toMatchObject({ added: 0, changed: 1 });
    expect(changes.changedPackages).toEqual([{ ecosystem: 'pypi', release: '', package: 'jinja2' }]);
    const summary = await rematchForAdvisories(t.database.db, operator, changes.changedPackages);
    expect(summary).toMatchObject({ assets: 1, resolved: 1 });
    expect(await open(ids['alpine-01'] as string)).toEqual(['CVE-2026-5003 busybox-binsh 1.36.1-r15 → 1.36.1-r16 (osv)']);
  });

  it('a withdrawn record removes its advisory and the findings it explained resolve', async () => {
    const w = parseOsvDocument([rec('ALPINE-CVE-2026-5003', ['CVE-2026-5003'], [], { withdrawn: '2026-11-02T00:00:00Z', modified: '2026-11-02T00:00:00Z' })]).records;
    const changes = await t.database.db.transaction().execute((tx) => applyOsv(tx, w));
    expect(changes.removed).toBe(1);
    await rematchForAdvisories(t.database.db, operator, changes.changedPackages);
    expect(await open(ids['alpine-01'] as string)).toEqual([]);
    const res = await call(t.app, token, 'GET', `/api/findings?assetId=${ids['alpine-01']}&status=resolved`);
    expect(res.statusCode, res.body).toBe(200);
    const resolved = res.json().items;
    const detail = (await call(t.app, token, 'GET', `/api/findings/${resolved.find((f: { package: string }) => f.package === 'busybox-binsh').id}`)).json();
    expect(detail.history.at(-1)).toMatchObject({ to: 'resolved', reason: 'advisory withdrawn' });
  });
});
