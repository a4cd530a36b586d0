import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { inventoryCommands, parseMap } from '../../src/cli/inventory.js';
import { call, type TestApp, testApp, userWithToken } from '../support/app.js';
import { runCli } from '../support/cli.js';

/** `patchloop inventory import-csv|import-file` against a real app, through the ApiClient the CLI uses (INV-3). */
let t: TestApp;
let token: string;
const ids: Record<string, string> = {};
const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'patchloop-inventory-cli-'));

beforeAll(async () => {
  t = await testApp();
  ({ token } = await userWithToken(t.database, 'admin', 'inv-cli-admin'));
  for (const hostname of ['cli-web-01', 'cli-db-01']) {
    const r = await call(t.app, token, 'POST', '/api/assets', { hostname, environment: 'production', systemType: 'web_server', businessCriticality: 'high', networkExposure: 'internal' });
    ids[hostname] = r.json().id;
  }
});
afterAll(async () => {
  await t?.close();
  fs.rmSync(dir, { recursive: true, force: true });
});

async function cli(...args: string[]) {
  return runCli(t.app, token, inventoryCommands, ['inventory', ...args]);
}

describe('patchloop inventory', () => {
  const csv = path.join(dir, 'cmdb.csv');
  fs.writeFileSync(csv, 'CI Name;Software;Version;Class\ncli-web-01;curl;7.88.1-10+deb12u8;Server\ncli-db-01;postgresql-15;15.8-0+deb12u1;Server\ncli-db-01;pkg-with-comma;1.0;"Server; DB"\n');
  const map = ['--map', 'host=CI Name,name=Software', '--map', 'version=Version'];

  it('parses --map pairs and refuses unknown fields', () => {
    expect(parseMap('host=CI Name, name = Software')).toEqual({ host: 'CI Name', name: 'Software' });
    expect(() => parseMap('hots=CI Name')).toThrow('"hots=CI Name" is not FIELD=COLUMN');
  });

  it('--dry-run shows what would change and writes nothing; then the import writes it', async () => {
    const dry = await cli('import-csv', csv, ...map, '--release', 'bookworm', '--dry-run');
    expect(dry.error).toBeUndefined();
    expect(dry.out).toContain('dry run, nothing written: would update 2 of 2 asset(s) from 3 row(s): 3 package(s) added, 0 removed');
    expect(dry.out).toMatch(/cli-db-01\s+2\s+2\s+2\s+0/);
    expect((await call(t.app, token, 'GET', `/api/assets/${ids['cli-db-01']}/inventory`)).json()).toBeNull();
    const real = await cli('import-csv', csv, ...map, '--release', 'bookworm');
    expect(real.error).toBeUndefined();
    expect(real.out).toContain('updated 2 of 2 asset(s) from 3 row(s)');
    expect(real.out).toMatch(/import [0-9a-f-]{36} recorded in the audit trail/);
    expect((await call(t.app, token, 'GET', `/api/assets/${ids['cli-db-01']}/inventory`)).json().packages).toHaveLength(2);
  });

  it('reports every problem by row and column and fails', async () => {
    const bad = path.join(dir, 'bad.csv');
    fs.writeFileSync(bad, 'CI Name,Software,Version\nghost-01,curl,1.0\ncli-web-01,curl,\n');
    const r = await cli('import-csv', bad, ...map, '--json');
    expect(r.error?.message).toBe('2 row(s) have problems; nothing was imported\n  row 2, column CI Name: no active asset has the FQDN, host name or IP address "ghost-01"\n  row 3, column Version: is empty');
    const missing = await cli('import-csv', bad, '--map', 'host=Server,name=Software,version=Version');
    expect(missing.error?.message).toContain('body.mapping.host: no column "Server" in the header');
  });

  it('import-file detects an SPDX tag-value SBOM', async () => {
    const sbom = path.join(dir, 'app.spdx');
    fs.writeFileSync(sbom, 'SPDXVersion: SPDX-2.3\nDataLicense: CC0-1.0\n\nPackageName: lodash\nPackageVersion: 4.17.21\nExternalRef: PACKAGE-MANAGER purl pkg:npm/lodash@4.17.21\n');
    const r = await cli('import-file', ids['cli-web-01'] as string, sbom);
    expect(r.error).toBeUndefined();
    expect(r.out).toContain('inventory stored: 2 packages (1 added, 0 removed)');
  });
});
