import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import zlib from 'node:zlib';
import { Command } from 'commander';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { assetCommands } from '../../src/cli/assets.js';
import { httpClient } from '../../src/cli/client.js';
import { eolCommands } from '../../src/cli/eol.js';
import type { Runner } from '../../src/cli/program.js';
import type { Config } from '../../src/lib/config.js';
import { call, type TestApp, testApp, userWithToken } from '../support/app.js';
import { asV1, day, relativeDataset, startMirror, type Mirror } from './support.js';

/**
 * `patchloop eol …` and `patchloop assets eol` against a real server on a
 * loopback port, through the CLI's own HTTP client; the dataset download
 * comes from a local HTTP server started here.
 */
let t: TestApp;
let token: string;
let baseUrl: string;
let mirror: Mirror;
const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'patchloop-eol-cli-'));

beforeAll(async () => {
  t = await testApp();
  ({ token } = await userWithToken(t.database, 'admin', 'eol-cli-admin'));
  baseUrl = await t.app.listen({ port: 0, host: '127.0.0.1' });
  mirror = await startMirror(JSON.stringify(asV1(relativeDataset())));
});
afterAll(async () => {
  await mirror?.close();
  await t?.close();
  fs.rmSync(dir, { recursive: true, force: true });
});

async function cli(...args: string[]): Promise<{ out: string; error?: Error }> {
  const client = httpClient(baseUrl, token, baseUrl);
  let error: Error | undefined;
  const run: Runner = async (fn) => {
    try {
      await fn(client, {} as Config);
    } catch (err) {
      error = err as Error;
    }
  };
  const lines: string[] = [];
  const log = vi.spyOn(console, 'log').mockImplementation((...a: unknown[]) => void lines.push(a.join(' ')));
  const write = vi.spyOn(process.stdout, 'write').mockImplementation((s: string | Uint8Array) => {
    lines.push(String(s));
    return true;
  });
  try {
    const program = new Command('patchloop').exitOverride();
    assetCommands(program, run);
    eolCommands(program, run);
    await program.parseAsync(['node', 'patchloop', ...args]);
  } finally {
    log.mockRestore();
    write.mockRestore();
  }
  return { out: lines.join('\n'), error };
}

describe('patchloop eol', () => {
  it('status shows the bundled dataset and the counts', async () => {
    const r = await cli('eol', 'status');
    expect(r.error).toBeUndefined();
    expect(r.out).toMatch(/dataset: bundled with patchloop: endoflife\.date/);
    expect(r.out).toMatch(/36 products/);
    expect(r.out).toMatch(/assets: 0 unsupported/);
  });

  it('import: a gzipped file loads; a bad one is refused naming the record, a non-JSON one locally', async () => {
    const good = path.join(dir, 'eol.json.gz');
    fs.writeFileSync(good, zlib.gzipSync(JSON.stringify(relativeDataset())));
    const r = await cli('eol', 'import', good);
    expect(r.error).toBeUndefined();
    expect(r.out).toContain(`end-of-life dataset loaded from ${good}: 6 products, 10 cycles`);
    const badDoc = relativeDataset();
    (badDoc.products.nodejs[0] as Record<string, unknown>).eol = 'soon';
    const bad = path.join(dir, 'bad.json');
    fs.writeFileSync(bad, JSON.stringify(badDoc));
    const b = await cli('eol', 'import', bad);
    expect(b.error?.message).toContain('products.nodejs[0] (cycle 22).eol: must be a date YYYY-MM-DD, true or false');
    fs.writeFileSync(bad, '{"products": ');
    expect((await cli('eol', 'import', bad)).error?.message).toMatch(/bad\.json is not JSON/);
    expect(JSON.parse((await cli('eol', 'status', '--json')).out).dataset.source).toBe(good);
  });

  it('sync fetches from a URL; the second time it is not modified', async () => {
    const url = `${mirror.url}/eol.json`;
    const r = await cli('eol', 'sync', '--url', url);
    expect(r.error).toBeUndefined();
    expect(r.out).toContain(`loaded from ${url}: 6 products`);
    expect((await cli('eol', 'sync', '--url', url)).out).toContain('not modified');
    expect((await cli('eol', 'sync', '--url', `${mirror.url}/nothing.json`)).error?.message).toMatch(/Could not download/);
  });

  it('lists unsupported assets, shows one, and records and retires a control', async () => {
    const a = await call(t.app, token, 'POST', '/api/assets', { hostname: 'cli-db-01', environment: 'production', systemType: 'database', businessCriticality: 'high', networkExposure: 'internal' });
    const id = a.json().id as string;
    await call(t.app, token, 'PUT', `/api/assets/${id}/inventory`, { release: 'bookworm', packages: [{ name: 'postgresql-15', version: '1:15.8-0+deb12u1' }] });

    const list = await cli('eol', 'assets');
    expect(list.error).toBeUndefined();
    expect(list.out).toMatch(/cli-db-01\s+unsupported\s+medium\s+debian 12\s+debian 12 \(/);
    expect(list.out).toContain('1 of 1 asset(s)');

    const show = await cli('assets', 'eol', id);
    expect(show.error).toBeUndefined();
    expect(show.out).toContain('cli-db-01: unsupported, risk medium');
    expect(show.out).toContain(`debian 12: unsupported (end of support ${day(-10)}, ended 10 days ago)`);
    expect(show.out).toContain('postgresql 15: supported');
    expect(show.out).toContain('built and patched by debian 12 (unsupported)');
    expect(show.out).toContain('Inventory required every 1 day(s) (raised: unsupported)');
    expect(show.out).toContain('No compensating control recorded');

    const add = await cli('eol', 'control', 'add', id, '--control', 'Only reachable from the app tier', '--kind', 'segmentation', '--review-date', day(30), '--json');
    expect(add.error).toBeUndefined();
    const c = JSON.parse(add.out);
    expect(c).toMatchObject({ control: 'Only reachable from the app tier', kind: 'segmentation', reviewDate: day(30), owner: { name: 'eol-cli-admin' } });
    expect((await cli('eol', 'control', 'update', id, c.id, '--review-date', day(45))).out).toContain(`review ${day(45)}`);
    expect((await cli('eol', 'control', 'add', id, '--control', 'x', '--review-date', 'tomorrow')).error?.message).toMatch(/reviewDate/);
    expect((await cli('eol', 'asset', id)).out).toContain(`[active] Only reachable from the app tier (segmentation) — owner eol-cli-admin, review ${day(45)}`);
    expect((await cli('eol', 'control', 'retire', id, c.id, '--reason', 'migrated to trixie')).out).toContain(`retired control ${c.id}`);
    expect(JSON.parse((await cli('eol', 'asset', id, '--json')).out).controls[0]).toMatchObject({ status: 'retired', retireReason: 'migrated to trixie' });
  });
});
