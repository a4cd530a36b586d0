import { sql } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseOsvDocument } from '../../src/domain/feeds/osv.js';
import { applyOsv } from '../../src/services/feeds/osv.js';
import { bearer, call, type TestApp, testApp, userWithToken } from '../support/app.js';

/**
 * The CMDB/CSV inventory import (INV-3) through the API: one CSV with the
 * packages of many hosts, a column mapping, hosts matched to assets, a dry
 * run that writes nothing, and a commit that writes every asset or none.
 */
const rec = (id: string, alias: string, ecosystem: string, name: string, fixed: string) => ({
  id, modified: '2026-10-01T00:00:00Z', aliases: [alias], affected: [{ package: { ecosystem, name }, ranges: [{ type: 'ECOSYSTEM', events: [{ introduced: '0' }, { fixed }] }] }],
});

const MAP = { host: 'CI Name', name: 'Software', version: 'Version', arch: 'Arch', ecosystem: 'Type' };
const CSV = [
  'CI Name,Software,Version,Arch,Type,Notes',
  'web-01,curl,7.88.1-10+deb12u8,amd64,deb,"front end, public"',
  'web-01,bash,5.2.15-2+b2,amd64,,',
  'app-01.example.net,curl,7.88.1-10+deb12u9,amd64,Debian,',
  'app-01.example.net,lodash,4.17.20,,npm,"=HYPERLINK(""http://evil"")"',
  '10.0.5.7,openssl,1:3.0.7-28.el9_4,x86_64,rpm,',
  '',
].join('\r\n');

describe('CMDB/CSV inventory import (INV-3)', () => {
  let t: TestApp;
  let admin: string;
  const id: Record<string, string> = {};

  const imp = (body: unknown, dryRun = false, token = admin) => call(t.app, token, 'POST', `/api/inventory/import/csv${dryRun ? '?dryRun=true' : ''}`, body);
  const inventory = async (assetId: string) => (await call(t.app, admin, 'GET', `/api/assets/${assetId}/inventory`)).json();
  const count = async (table: 'audit_log' | 'asset_inventories' | 'findings') => Number((await sql<{ n: string }>`select count(*) as n from ${sql.table(table)}`.execute(t.database.db)).rows[0]?.n);
  const snapshot = async () => ({ audit: await count('audit_log'), inventories: await count('asset_inventories'), findings: await count('findings'), web: await inventory(id['web-01'] as string) });
  const open = async (assetId: string) =>
    ((await call(t.app, admin, 'GET', `/api/findings?assetId=${assetId}&status=open`)).json().items as { vulnerabilityId: string; package: string }[]).map((f) => `${f.vulnerabilityId} ${f.package}`).sort();

  beforeAll(async () => {
    t = await testApp();
    ({ token: admin } = await userWithToken(t.database, 'security_analyst'));
    const asset = async (hostname: string, extra: Record<string, unknown> = {}) => {
      const r = await call(t.app, admin, 'POST', '/api/assets', { hostname, environment: 'production', systemType: 'application_server', businessCriticality: 'high', networkExposure: 'internal', ...extra });
      expect(r.statusCode, r.body).toBe(201);
      id[hostname] = r.json().id;
    };
    await asset('web-01');
    await asset('app-01', { fqdn: 'app-01.example.net' });
    await asset('db-01', { ipAddresses: ['10.0.5.7'] });
    // Two active assets share a short host name (they differ by FQDN).
    await asset('dup', { fqdn: 'dup.a.example' });
    await asset('dup-b', { fqdn: 'dup.b.example' });
    await t.database.db.updateTable('assets').set({ hostname: 'dup' }).where('id', '=', id['dup-b'] as string).execute();
    await asset('old-01');
    expect((await call(t.app, admin, 'POST', `/api/assets/${id['old-01']}/decommission`, { reason: 'retired' })).statusCode).toBe(200);
    const { records } = parseOsvDocument([
      rec('DEBIAN-CVE-2026-7001', 'CVE-2026-7001', 'Debian:12', 'curl', '7.88.1-10+deb12u9'),
      rec('GHSA-cmdb-7002', 'CVE-2026-7002', 'npm', 'lodash', '4.17.21'),
      rec('RLSA-2026:7003', 'CVE-2026-7003', 'Rocky Linux:9', 'openssl', '1:3.0.7-29.el9_4'),
    ]);
    await t.database.db.transaction().execute((tx) => applyOsv(tx, records));
  });
  afterAll(async () => t?.close());

  it('a dry run reports what each asset would get and writes nothing', async () => {
    const before = await snapshot();
    const r = await imp({ csv: CSV, mapping: MAP, release: 'bookworm' }, true);
    expect(r.statusCode, r.body).toBe(200);
    const s = r.json();
    expect(s).toMatchObject({ dryRun: true, importId: null, rows: 5, skippedCount: 0 });
    expect(s.assets.map((a: { hostname: string; listed: number; added: number; findings: unknown }) => `${a.hostname} ${a.listed} +${a.added} ${a.findings}`).sort()).toEqual(['app-01 2 +2 null', 'db-01 1 +1 null', 'web-01 2 +2 null']);
    expect(await snapshot()).toEqual(before);
  });

  it('commits every asset in one go: inventories stored, findings matched, audited', async () => {
    const auditBefore = await count('audit_log');
    const r = await imp({ csv: CSV, mapping: MAP, release: 'bookworm', distro: 'debian' });
    expect(r.statusCode, r.body).toBe(200);
    const s = r.json();
    expect(s.dryRun).toBe(false);
    expect(s.assets).toHaveLength(3);
    expect((await inventory(id['web-01'] as string)).packages.map((p: { ecosystem: string; name: string; version: string }) => `${p.ecosystem} ${p.name} ${p.version}`)).toEqual(['deb bash 5.2.15-2+b2', 'deb curl 7.88.1-10+deb12u8']);
    // "Debian" in the Type column is the deb ecosystem; npm is kept beside it on the same host.
    expect((await inventory(id['app-01'] as string)).packages.map((p: { ecosystem: string; name: string }) => `${p.ecosystem} ${p.name}`)).toEqual(['deb curl', 'npm lodash']);
    expect((await inventory(id['db-01'] as string)).source).toBe('cmdb-csv');
    expect(await open(id['web-01'] as string)).toEqual(['CVE-2026-7001 curl']);
    expect(await open(id['app-01'] as string)).toEqual(['CVE-2026-7002 lodash']);
    expect(s.assets.find((a: { hostname: string }) => a.hostname === 'web-01').findings).toMatchObject({ opened: 1 });
    // One inventory.update per asset and one record of the import itself.
    const records = await t.database.db.selectFrom('audit_log').select(['action', 'entity_type', 'entity_id', 'after']).where('seq', '>', auditBefore).orderBy('seq').execute();
    expect(records.map((x) => x.action).sort()).toEqual(['inventory.import_csv', 'inventory.update', 'inventory.update', 'inventory.update']);
    const summary = records.find((x) => x.action === 'inventory.import_csv');
    expect(summary).toMatchObject({ entity_type: 'inventory_import', entity_id: s.importId });
    expect(summary?.after).toMatchObject({ mapping: MAP, mode: 'replace', assets: 3, changed: 3, file: { rows: 5 } });
    expect(((summary?.after ?? { assetIds: [] }) as { assetIds: string[] }).assetIds.sort()).toEqual([id['web-01'], id['app-01'], id['db-01']].sort());
    // The same file again changes nothing.
    const again = (await imp({ csv: CSV, mapping: MAP })).json();
    expect(again.assets.every((a: { unchanged: boolean }) => a.unchanged)).toBe(true);
  });

  it('replaces only the ecosystems the file lists for an asset (like an SBOM); merge mode only adds and updates', async () => {
    const csv = 'host,pkg,ver,eco\napp-01.example.net,lodash,4.17.21,npm\napp-01.example.net,express,4.19.2,npm\n';
    const map = { host: 'host', name: 'pkg', version: 'ver', ecosystem: 'eco' };
    const r = (await imp({ csv, mapping: map })).json();
    expect(r.assets[0]).toMatchObject({ hostname: 'app-01', packages: 3, added: 2, removed: 1, findings: { resolved: 1 } });
    expect((await inventory(id['app-01'] as string)).packages.map((p: { name: string; version: string }) => `${p.name} ${p.version}`)).toEqual(['curl 7.88.1-10+deb12u9', 'express 4.19.2', 'lodash 4.17.21']);
    const merged = (await imp({ csv: 'host,pkg,ver,eco\napp-01.example.net,lodash,4.17.20,npm\n', mapping: map, mode: 'merge' })).json();
    expect(merged.assets[0]).toMatchObject({ packages: 3, added: 1, removed: 1, findings: { opened: 0, reopened: 1 } });
    expect((await inventory(id['app-01'] as string)).packages.map((p: { name: string }) => p.name)).toEqual(['curl', 'express', 'lodash']);
  });

  it('matches hosts by asset id, FQDN, host name or IP address, and can be told which', async () => {
    const csv = (host: string) => `h,n,v\n${host},zlib1g,1:1.2.13.dfsg-1\n`;
    const map = { host: 'h', name: 'n', version: 'v' };
    for (const [host, asset] of [[id['db-01'], 'db-01'], ['APP-01.EXAMPLE.NET', 'app-01'], ['Web-01', 'web-01'], ['10.0.5.7', 'db-01']] as const) {
      const r = await imp({ csv: csv(host as string), mapping: map, mode: 'merge' }, true);
      expect(r.statusCode, `${host}: ${r.body}`).toBe(200);
      expect(r.json().assets[0].hostname).toBe(asset);
    }
    const byIpOnly = await imp({ csv: csv('web-01'), mapping: map, hostMatch: 'ip' }, true);
    expect(byIpOnly.json().errors).toEqual([{ field: 'row 2, column h', message: 'no active asset has the IP address "web-01"' }]);
    const ambiguous = (await imp({ csv: csv('dup'), mapping: map, release: 'bookworm' }, true)).json();
    expect(ambiguous.errors[0].message).toMatch(/^"dup" is the host name of 2 active assets \(dup\.(a|b)\.example, dup\.(a|b)\.example\); name the host by FQDN or asset id$/);
    expect((await imp({ csv: csv('dup.b.example'), mapping: map, release: 'bookworm' }, true)).json().assets[0].assetId).toBe(id['dup-b']);
    const retired = (await imp({ csv: csv('old-01'), mapping: map, release: 'bookworm' }, true)).json();
    expect(retired.errors[0].message).toContain('is decommissioned');
  });

  it('lists every problem by row and column, writes nothing, and a bad row aborts the good ones', async () => {
    const before = await snapshot();
    const csv = [
      'CI Name,Software,Version,Arch,Type',
      'web-01,curl,7.88.1-10+deb12u10,amd64,deb', // fine on its own
      'nobody-01,curl,7.88.1,amd64,deb', // unknown host
      'web-01,openssl,,amd64,deb', // missing version
      'app-01.example.net,lodash,not.a.version!,,npm', // a version npm cannot order
      ',bash,5.2,amd64,deb', // missing host
      'web-01,=cmd|\' /C calc\'!A0,1.0,amd64,deb', // a formula is no package name
      'web-01,foo,1.0,amd64,cobol', // unknown ecosystem
    ].join('\n');
    const r = await imp({ csv, mapping: MAP, release: 'bookworm' });
    expect(r.statusCode).toBe(422);
    expect(r.json().detail).toBe('6 row(s) have problems; nothing was imported');
    const errors = r.json().errors as { field: string; message: string }[];
    expect(errors.map((e) => e.field)).toEqual(['row 3, column CI Name', 'row 4, column Version', 'row 5, column Version', 'row 6, column CI Name', 'row 7, column Software', 'row 8, column Type']);
    expect(errors[0]?.message).toBe('no active asset has the FQDN, host name or IP address "nobody-01"');
    expect(errors[1]?.message).toBe('is empty');
    expect(errors[2]?.message).toContain('(a npm version)');
    expect(errors[4]?.message).toBe('must be a package name');
    expect(errors[5]?.message).toContain('unknown ecosystem "cobol"');
    expect(await snapshot()).toEqual(before);
    // The same file as a dry run gives the same answer.
    expect((await imp({ csv, mapping: MAP, release: 'bookworm' }, true)).json().errors).toEqual(errors);
  });

  it('refuses a package listed twice for a host with two versions, and a new asset without a release', async () => {
    const twice = await imp({ csv: 'h,n,v\nweb-01,curl,1.0-1\nweb-01,curl,1.0-1\nweb-01,curl,2.0-1\n', mapping: { host: 'h', name: 'n', version: 'v' } }, true);
    expect(twice.json().errors).toEqual([{ field: 'row 4, column v', message: 'curl is listed for this host on row 2 with version 1.0-1; an inventory holds one version of a package' }]);
    const r = await call(t.app, admin, 'POST', '/api/assets', { hostname: 'fresh-01', environment: 'production', systemType: 'web_server', businessCriticality: 'low', networkExposure: 'internal' });
    const fresh = await imp({ csv: 'h,n,v\nfresh-01,curl,1.0-1\n', mapping: { host: 'h', name: 'n', version: 'v' } }, true);
    expect(fresh.json().errors).toEqual([{ field: 'row 2, column h', message: 'asset "fresh-01" has no inventory yet: give its release (the release option or a release column)' }]);
    const withColumn = await imp({ csv: 'h,n,v,rel\nfresh-01,curl,1.0-1,trixie\n', mapping: { host: 'h', name: 'n', version: 'v', release: 'rel' } }, true);
    expect(withColumn.statusCode, withColumn.body).toBe(200);
    expect(withColumn.json().assets[0].assetId).toBe(r.json().id);
  });

  it('names the mapping field whose column is missing', async () => {
    const r = await imp({ csv: CSV, mapping: { ...MAP, host: 'Hostname', arch: 'Architecture' } }, true);
    expect(r.statusCode).toBe(422);
    expect(r.json().errors).toEqual([
      { field: 'body.mapping.host', message: 'no column "Hostname" in the header; the columns are "CI Name", "Software", "Version", "Arch", "Type", "Notes"' },
      { field: 'body.mapping.arch', message: expect.stringContaining('no column "Architecture"') },
    ]);
    const none = await imp({ csv: CSV, mapping: { name: 'Software', version: 'Version' } }, true);
    expect(none.json().errors).toEqual([{ field: 'body.mapping.host', message: expect.stringContaining('is required') }]);
    // Header names match loosely when nothing matches exactly.
    expect((await imp({ csv: CSV, mapping: { host: 'ci_name', name: 'SOFTWARE', version: 'version' } }, true)).statusCode).toBe(200);
  });

  it('refuses malformed CSV naming the line: unbalanced quotes, a wrong number of columns, nothing but a header', async () => {
    const quotes = await imp({ csv: 'CI Name,Software,Version\nweb-01,"curl,7.88\nweb-01,bash,5.2\n', mapping: MAP }, true);
    expect(quotes.statusCode).toBe(400);
    expect(quotes.json().errors[0]).toEqual({ field: 'line 2', message: 'is not valid CSV: the quoted cell opened on line 2 is never closed (Quote Not Closed)' });
    expect(quotes.json().detail).toBe('The file is not valid CSV: the quoted cell opened on line 2 is never closed (Quote Not Closed); nothing was imported');
    const columns = await imp({ csv: 'CI Name,Software,Version\nweb-01,curl,7.88\nweb-01,bash\n', mapping: MAP }, true);
    expect(columns.statusCode).toBe(400);
    expect(columns.json().errors[0]).toEqual({ field: 'line 3', message: expect.stringContaining('Invalid Record Length') });
    const header = await imp({ csv: 'CI Name,Software,Version\n', mapping: MAP }, true);
    expect(header.json().errors[0]).toEqual({ field: 'file', message: 'has a header but no package rows' });
  });

  it('reads semicolon-separated CMDB exports with a byte-order mark, and files of one asset', async () => {
    const r = await imp({ csv: '\uFEFF"CI Name";"Software";"Version"\r\nweb-01;curl;7.88.1-10+deb12u9\r\n', mapping: { host: 'CI Name', name: 'Software', version: 'Version' }, mode: 'merge' }, true);
    expect(r.statusCode, r.body).toBe(200);
    expect(r.json().assets[0]).toMatchObject({ hostname: 'web-01', added: 1, removed: 1 });
    const one = await imp({ csv: 'Package\tVersion\npython3-jinja2\t3.1.2-1\n', mapping: { name: 'Package', version: 'Version' }, assetId: id['web-01'], mode: 'merge' }, true);
    expect(one.statusCode, one.body).toBe(200);
    expect(one.json().assets[0]).toMatchObject({ assetId: id['web-01'], listed: 1, added: 1, removed: 0 });
    expect((await imp({ csv: 'Package,Version\na,1\n', mapping: { name: 'Package', version: 'Version' }, assetId: '00000000-0000-4000-8000-000000000000' }, true)).statusCode).toBe(404);
  });

  it('takes package URLs, skipping types the engine does not match', async () => {
    const csv = 'host,purl\nweb-01,pkg:deb/debian/libssl3@3.0.15-1~deb12u1?arch=amd64&upstream=openssl\nweb-01,pkg:gem/rails@7.0.0\nweb-01,pkg:npm/%40babel/core@7.24.0\n';
    const r = await imp({ csv, mapping: { host: 'host', purl: 'purl' }, mode: 'merge' }, true);
    expect(r.statusCode, r.body).toBe(200);
    expect(r.json()).toMatchObject({ skippedCount: 1, skipped: [{ row: 3, reason: 'purl type gem is not matched' }] });
    expect(r.json().assets[0]).toMatchObject({ listed: 2, added: 2 });
    const bad = await imp({ csv: 'host,purl\nweb-01,not-a-purl\n', mapping: { host: 'host', purl: 'purl' } }, true);
    expect(bad.json().errors[0]).toEqual({ field: 'row 2, column purl', message: expect.stringContaining('is not a package URL') });
  });

  it('bounds the size: too many rows is a clear 400, a body over the limit a 413', async () => {
    const rows = Array.from({ length: 100_001 }, (_, i) => `web-01,p${i},1`).join('\n');
    const many = await imp({ csv: `h,n,v\n${rows}\n`, mapping: { host: 'h', name: 'n', version: 'v' } }, true);
    expect(many.statusCode).toBe(400);
    expect(many.json().errors[0]).toEqual({ field: 'file', message: 'has more than 100000 rows; split it into files of at most 100000 rows' });
    const huge = await t.app.inject({ method: 'POST', url: '/api/inventory/import/csv', headers: { ...bearer(admin), 'content-type': 'application/json' }, payload: JSON.stringify({ csv: 'x'.repeat(41 * 1024 * 1024), mapping: MAP }) });
    expect(huge.statusCode).toBe(413);
    expect(huge.json().detail).toContain('larger than the limit');
  });

  it('is for the register keepers: a system owner or an auditor is refused', async () => {
    for (const role of ['system_owner', 'auditor'] as const) {
      const { token } = await userWithToken(t.database, role);
      expect((await imp({ csv: CSV, mapping: MAP }, true, token)).statusCode).toBe(403);
    }
  });

  it('rolls everything back when writing one asset fails half-way', async () => {
    const before = await snapshot();
    // A real failure inside the transaction, after earlier assets were written: the last asset (by id) cannot be stored.
    const last = [id['web-01'], id['app-01'], id['db-01']].sort()[2] as string;
    await sql.raw(`create function cmdb_test_fail() returns trigger language plpgsql as $$ begin if new.asset_id = '${last}' then raise exception 'disk full (test)'; end if; return new; end $$`).execute(t.database.db);
    await sql.raw('create trigger cmdb_test_fail before insert or update on asset_inventories for each row execute function cmdb_test_fail()').execute(t.database.db);
    try {
      const csv = 'h,n,v,e\nweb-01,curl,7.88.1-10+deb12u11,deb\napp-01.example.net,curl,7.88.1-10+deb12u11,deb\n10.0.5.7,openssl,1:3.0.7-30.el9_4,rpm\n';
      const r = await imp({ csv, mapping: { host: 'h', name: 'n', version: 'v', ecosystem: 'e' } });
      expect(r.statusCode).toBe(500);
    } finally {
      await sql.raw('drop trigger cmdb_test_fail on asset_inventories').execute(t.database.db);
      await sql.raw('drop function cmdb_test_fail()').execute(t.database.db);
    }
    expect(await snapshot()).toEqual(before);
    expect((await inventory(id['app-01'] as string)).packages.find((p: { name: string }) => p.name === 'curl').version).toBe('7.88.1-10+deb12u9');
  });
});
