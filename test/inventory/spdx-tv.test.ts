import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { PackageURL } from 'packageurl-js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { packagesFromSpdxTagValue } from '../../src/domain/inventory/spdx-tv.js';
import { call, type TestApp, testApp, userWithToken } from '../support/app.js';

/**
 * SPDX tag-value SBOMs through POST /api/assets/{id}/inventory/import (INV-3):
 * the format is detected or given, the packages are those of the JSON path,
 * and a broken file is refused naming the line, with nothing stored.
 */
const FIXTURES = path.resolve(process.cwd(), '../shared/fixtures');
function findSpdx(dir: string, depth = 0): string[] {
  if (depth > 4 || !fs.existsSync(dir)) return [];
  return fs.readdirSync(dir, { withFileTypes: true }).flatMap((e) => (e.isDirectory() ? findSpdx(path.join(dir, e.name), depth + 1) : e.name.endsWith('.spdx') ? [path.join(dir, e.name)] : []));
}
const fixtureFiles = findSpdx(FIXTURES);

/** This machine's installed Debian packages, as dpkg itself lists them. */
function dpkgPackages(): { name: string; version: string; arch: string; source: string; sourceVersion: string }[] | null {
  // dpkg-query's own ${Field} format, not a template string.
  const format = ['Package', 'Version', 'Architecture', 'source:Package', 'source:Version', 'db:Status-Abbrev'].map((f) => `\${${f}}`).join('\t');
  const r = spawnSync('dpkg-query', ['-W', '-f', `${format}\n`], { encoding: 'utf8' });
  if (r.status !== 0) return null;
  return r.stdout
    .split('\n')
    .map((l) => l.split('\t'))
    .filter((f) => f[5]?.trim() === 'ii')
    .map(([name, version, arch, source, sourceVersion]) => ({ name: name as string, version: version as string, arch: arch as string, source: source as string, sourceVersion: sourceVersion as string }));
}
const installed = dpkgPackages();

/** An SPDX 2.3 tag-value document of those packages, written the way syft writes one. */
function spdxOf(pkgs: NonNullable<typeof installed>): string {
  const lines = ['SPDXVersion: SPDX-2.3', 'DataLicense: CC0-1.0', 'SPDXID: SPDXRef-DOCUMENT', 'DocumentName: this-host', 'DocumentNamespace: https://example.invalid/spdx/this-host', 'Creator: Tool: patchloop-test', 'Created: 2026-11-01T00:00:00Z', ''];
  for (const [i, p] of pkgs.entries()) {
    const q: Record<string, string> = { arch: p.arch, distro: 'debian-12' };
    if (p.source !== p.name || p.sourceVersion !== p.version) q.upstream = p.sourceVersion !== p.version ? `${p.source}@${p.sourceVersion}` : p.source;
    const purl = new PackageURL('deb', 'debian', p.name, p.version, q, undefined).toString();
    lines.push(`##### Package: ${p.name}`, '', `PackageName: ${p.name}`, `SPDXID: SPDXRef-Package-deb-${i}`, `PackageVersion: ${p.version}`, 'PackageDownloadLocation: NOASSERTION', 'FilesAnalyzed: false', `ExternalRef: PACKAGE-MANAGER purl ${purl}`, '');
  }
  return lines.join('\n');
}

describe('SPDX tag-value SBOM upload', () => {
  let t: TestApp;
  let token: string;
  const asset = async (hostname: string) =>
    (await call(t.app, token, 'POST', '/api/assets', { hostname, environment: 'production', systemType: 'web_server', businessCriticality: 'high', networkExposure: 'internal' })).json().id as string;

  beforeAll(async () => {
    t = await testApp();
    ({ token } = await userWithToken(t.database, 'admin'));
  });
  afterAll(async () => t?.close());

  it.skipIf(!installed)(installed ? "this machine's packages (dpkg-query), as an SPDX tag-value SBOM, stored exactly; format detected" : 'skipped: no dpkg-query on this machine', async () => {
    const pkgs = installed as NonNullable<typeof installed>;
    const id = await asset('spdx-real-01');
    const r = await call(t.app, token, 'POST', `/api/assets/${id}/inventory/import`, { content: spdxOf(pkgs), release: 'bookworm' });
    expect(r.statusCode, r.body).toBe(200);
    expect(r.json()).toMatchObject({ packages: pkgs.length, added: pkgs.length, skipped: 0 });
    const inv = (await call(t.app, token, 'GET', `/api/assets/${id}/inventory`)).json();
    expect(inv.source).toBe('spdx');
    const key = (p: { name: string; version: string; arch: string; sourceName: string; sourceVersion: string }) => `${p.name}:${p.arch} ${p.version} (${p.sourceName} ${p.sourceVersion})`;
    expect(inv.packages.map(key).sort()).toEqual(pkgs.map((p) => key({ ...p, sourceName: p.source })).sort());
  });

  it.skipIf(fixtureFiles.length === 0)(fixtureFiles.length ? `the shared fixtures' SPDX tag-value SBOMs (${fixtureFiles.length})` : 'skipped: no .spdx file under ../shared/fixtures', async () => {
    for (const file of fixtureFiles) {
      const content = fs.readFileSync(file, 'utf8');
      const expected = packagesFromSpdxTagValue(content);
      const id = await asset(`fixture-${path.basename(file, '.spdx').toLowerCase().replace(/[^a-z0-9-]/g, '-').slice(0, 40)}`);
      const r = await call(t.app, token, 'POST', `/api/assets/${id}/inventory/import`, { format: 'spdx', content, release: 'bookworm' });
      expect(r.statusCode, `${file}: ${r.body}`).toBe(200);
      expect(r.json()).toMatchObject({ packages: expected.packages.length, skipped: expected.skipped.length });
    }
  });

  it('detects every file type when no format is given, as the given format would read it', async () => {
    const id = await asset('detect-01');
    const imp = (content: string) => call(t.app, token, 'POST', `/api/assets/${id}/inventory/import`, { content, release: 'bookworm' });
    const files: [string, string][] = [
      ['dpkg-status', 'Package: curl\nStatus: install ok installed\nArchitecture: amd64\nVersion: 7.88.1-10+deb12u8\n'],
      ['cyclonedx', JSON.stringify({ bomFormat: 'CycloneDX', specVersion: '1.5', components: [{ name: 'lodash', purl: 'pkg:npm/lodash@4.17.20' }] })],
      ['cyclonedx', '<?xml version="1.0"?><bom xmlns="http://cyclonedx.org/schema/bom/1.5"><components><component type="library"><name>lodash</name><purl>pkg:npm/lodash@4.17.21</purl></component></components></bom>'],
      ['spdx', JSON.stringify({ packages: [{ name: 'lodash', externalRefs: [{ referenceType: 'purl', referenceLocator: 'pkg:npm/lodash@4.17.19' }] }], spdxVersion: 'SPDX-2.3' })],
    ];
    for (const [format, content] of files) {
      const r = await imp(content);
      expect(r.statusCode, `${format}: ${r.body}`).toBe(200);
      expect((await call(t.app, token, 'GET', `/api/assets/${id}/inventory`)).json().source).toBe(format);
    }
    // The dpkg packages stayed beside the npm ones each SBOM replaced.
    expect((await call(t.app, token, 'GET', `/api/assets/${id}/inventory`)).json().packages.map((p: { name: string; version: string }) => `${p.name} ${p.version}`)).toEqual(['curl 7.88.1-10+deb12u8', 'lodash 4.17.19']);
  });

  it('format=spdx takes tag-value like JSON; a broken line is named and nothing changes', async () => {
    const id = await asset('spdx-tv-01');
    const doc = (locator: string) => `SPDXVersion: SPDX-2.3\nDataLicense: CC0-1.0\n\nPackageName: lodash\nPackageVersion: 4.17.19\nExternalRef: PACKAGE-MANAGER purl ${locator}\n`;
    const ok = await call(t.app, token, 'POST', `/api/assets/${id}/inventory/import`, { format: 'spdx', content: doc('pkg:npm/lodash@4.17.19'), release: 'bookworm' });
    expect(ok.statusCode, ok.body).toBe(200);
    expect(ok.json()).toMatchObject({ packages: 1, added: 1 });
    const before = (await call(t.app, token, 'GET', `/api/assets/${id}/inventory`)).json();
    const bad = await call(t.app, token, 'POST', `/api/assets/${id}/inventory/import`, { format: 'spdx', content: doc('pkg:npm/lodash@4.17.21').replace('PackageVersion: 4.17.19', 'PackageVersion 4.17.21') });
    expect(bad.statusCode).toBe(422);
    expect(bad.json().errors).toEqual([{ field: 'body.content line 5', message: 'expected "Tag: value", found "PackageVersion 4.17.21"' }]);
    const notClosed = await call(t.app, token, 'POST', `/api/assets/${id}/inventory/import`, { content: `${doc('pkg:npm/lodash@4.17.21')}PackageComment: <text>no end\n` });
    expect(notClosed.json().errors[0].field).toBe('body.content line 7');
    expect((await call(t.app, token, 'GET', `/api/assets/${id}/inventory`)).json()).toEqual(before);
    const unknown = await call(t.app, token, 'POST', `/api/assets/${id}/inventory/import`, { content: 'hello world' });
    expect(unknown.json().errors).toEqual([{ field: 'body.format', message: expect.stringContaining('give the format') }]);
  });
});
