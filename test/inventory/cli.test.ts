import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { Command } from 'commander';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import type { ApiClient } from '../../src/cli/client.js';
import { inventoryCommands, parseMap } from '../../src/cli/inventory.js';
import type { Runner } from '../../src/cli/program.js';
import type { Config } from '../../src/lib/config.js';
import { call, type TestApp, testApp, userWithToken } from '../support/app.js';

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

async function cli(...args: string[]): Promise<{ out: string; err: string; error?: Error }> {
  const client: ApiClient = {
    via: 'test',
    async request(method, p, opts = {}) {
      const qs = new URLSearchParams(Object.entries(opts.query ?? {}).filter((e): e is [string, string] => !!e[1])).toString();
      const payload = opts.raw ?? (opts.body !== undefined ? JSON.stringify(opts.body) : undefined);
      const res = await t.app.inject({ method: method as 'GET', url: `${p}${qs ? `?${qs}` : ''}`, headers: { authorization: `Bearer ${token}`, ...(payload !== undefined ? { 'content-type': 'application/json' } : {}) }, payload });
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
  const out: string[] = [];
  const err: string[] = [];
  const log = vi.spyOn(console, 'log').mockImplementation((...a: unknown[]) => void out.push(a.join(' ')));
  const logErr = vi.spyOn(console, 'error').mockImplementation((...a: unknown[]) => void err.push(a.join(' ')));
  try {
    const program = new Command('patchloop').exitOverride().configureOutput({ writeErr: (s) => void err.push(s) });
    inventoryCommands(program, run);
    await program.parseAsync(['node', 'patchloop', 'inventory', ...args]);
  } catch (e) {
    error = e as Error;
  } finally {
    log.mockRestore();
    logErr.mockRestore();
  }
  return { out: out.join('\n'), err: err.join('\n'), error };
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
