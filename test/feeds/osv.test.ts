import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { syncFeed } from '../../src/services/feeds/sync.js';
import { bearer, operator, type TestApp, testApp, userWithToken } from '../support/app.js';

/**
 * The OSV feed end to end: osv.dev-style all.zip archives (written by
 * Python's zipfile, a real zip writer), downloaded from a local HTTP server
 * or uploaded, each a snapshot of its distribution's releases.
 */
const python = spawnSync('python3', ['-c', 'import zipfile'], { encoding: 'utf8' }).status === 0;
const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'patchloop-osv-'));
afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));

const rec = (id: string, alias: string, ecosystem: string, name: string, fixed: string) => ({
  id, modified: '2026-10-01T00:00:00Z', aliases: [alias],
  affected: [{ package: { ecosystem, name }, ranges: [{ type: 'ECOSYSTEM', events: [{ introduced: '0' }, { fixed }] }] }],
});

/** A zip with one JSON file per record (and a stray non-JSON file, as real archives may have). */
function zipOf(name: string, records: unknown[], extra: Record<string, string> = {}): string {
  const src = path.join(dir, `${name}-src`);
  fs.mkdirSync(src, { recursive: true });
  for (const r of records as { id: string }[]) fs.writeFileSync(path.join(src, `${r.id}.json`), JSON.stringify(r));
  for (const [f, text] of Object.entries(extra)) fs.writeFileSync(path.join(src, f), text);
  const out = path.join(dir, `${name}.zip`);
  const py = 'import os,sys,zipfile\nz=zipfile.ZipFile(sys.argv[2],"w",zipfile.ZIP_DEFLATED)\nfor f in sorted(os.listdir(sys.argv[1])): z.write(os.path.join(sys.argv[1],f),f)\nz.close()';
  const r = spawnSync('python3', ['-c', py, src, out], { encoding: 'utf8' });
  if (r.status !== 0) throw new Error(r.stderr);
  return out;
}

describe.skipIf(!python)('OSV feed: archives (skipped without python3 to write zip files)', () => {
  let t: TestApp;
  let admin: string;
  let server: http.Server;
  let base = '';
  const served = new Map<string, string>();

  beforeAll(async () => {
    t = await testApp();
    ({ token: admin } = await userWithToken(t.database, 'admin', 'osv-admin'));
    server = http.createServer((req, res) => {
      const file = served.get(req.url ?? '');
      if (!file) return res.writeHead(404).end();
      res.writeHead(200, { 'content-type': 'application/zip' }).end(fs.readFileSync(file));
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });
  afterAll(async () => {
    server?.close();
    await t?.close();
  });

  const advisories = async () =>
    (await t.database.executeSql(`select vulnerability_id || ' ' || ecosystem || ' ' || release || ' ' || package as k from advisories where feed = 'osv' order by 1`)).rows.map((r) => r.k);

  it('downloads an archive, stores its records under their CVEs, and a later archive is a snapshot of its releases', async () => {
    served.set('/Debian/all.zip', zipOf('debian-1', [rec('DEBIAN-CVE-2026-0101', 'CVE-2026-0101', 'Debian:12', 'openssl', '3.0.15-1~deb12u1'), rec('DEBIAN-CVE-2026-0102', 'CVE-2026-0102', 'Debian:12', 'curl', '7.88.1-10+deb12u9')], { 'README.txt': 'not a record' }));
    served.set('/Rocky/all.zip', zipOf('rocky-1', [rec('RLSA-2026:0103', 'CVE-2026-0103', 'Rocky Linux:9', 'openssl', '1:3.0.7-29.el9_4')]));
    const s1 = await syncFeed(t.database.db, operator, 'osv', { url: `${base}/Debian/all.zip` });
    expect(s1).toMatchObject({ added: 2, removed: 0, source: `${base}/Debian/all.zip` });
    expect((await syncFeed(t.database.db, operator, 'osv', { url: `${base}/Rocky/all.zip` })).added).toBe(1);
    expect(await advisories()).toEqual(['CVE-2026-0101 deb debian:bookworm openssl', 'CVE-2026-0102 deb debian:bookworm curl', 'CVE-2026-0103 rpm rocky:9 openssl']);
    // The next Debian archive no longer holds CVE-2026-0102: removed; Rocky's rows are another snapshot's and stay.
    served.set('/Debian/all.zip', zipOf('debian-2', [rec('DEBIAN-CVE-2026-0101', 'CVE-2026-0101', 'Debian:12', 'openssl', '3.0.15-1~deb12u1')]));
    const s2 = await syncFeed(t.database.db, operator, 'osv', { url: `${base}/Debian/all.zip` });
    expect(s2).toMatchObject({ added: 0, changed: 0, removed: 1, unchanged: 1 });
    expect(await advisories()).toEqual(['CVE-2026-0101 deb debian:bookworm openssl', 'CVE-2026-0103 rpm rocky:9 openssl']);
    const v = (await t.app.inject({ method: 'GET', url: '/api/vulnerabilities/RLSA-2026:0103', headers: bearer(admin) })).json();
    expect(v.id).toBe('CVE-2026-0103');
  });

  it('refuses an archive with a malformed record, naming the file, and changes nothing', async () => {
    const before = await advisories();
    const bad = zipOf('bad', [rec('DEBIAN-CVE-2026-0104', 'CVE-2026-0104', 'Debian:12', 'zlib', '1:1.2.13.dfsg-1+deb12u1'), { id: 'BROKEN-1', modified: 'yesterday', affected: [] }]);
    const r = await t.app.inject({ method: 'POST', url: '/api/feeds/osv/import', headers: { ...bearer(admin), 'content-type': 'application/zip' }, payload: fs.readFileSync(bad) });
    expect(r.statusCode).toBe(400);
    expect(JSON.stringify(r.json())).toContain('BROKEN-1.json');
    expect(await advisories()).toEqual(before);
    const truncated = fs.readFileSync(bad).subarray(0, 60);
    const r2 = await t.app.inject({ method: 'POST', url: '/api/feeds/osv/import', headers: { ...bearer(admin), 'content-type': 'application/zip' }, payload: truncated });
    expect(r2.statusCode).toBe(400);
    expect(await advisories()).toEqual(before);
  });

  it('imports an uploaded archive through the API the same way', async () => {
    const up = zipOf('npm', [rec('GHSA-osv-0105', 'CVE-2026-0105', 'npm', 'lodash', '4.17.21')]);
    const r = await t.app.inject({ method: 'POST', url: '/api/feeds/osv/import?source=npm-all.zip', headers: { ...bearer(admin), 'content-type': 'application/zip' }, payload: fs.readFileSync(up) });
    expect(r.statusCode, r.body).toBe(200);
    expect(r.json()).toMatchObject({ feed: 'osv', added: 1, source: 'npm-all.zip' });
    expect(await advisories()).toContain('CVE-2026-0105 npm  lodash');
  });
});
