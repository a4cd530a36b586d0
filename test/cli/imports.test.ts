import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { gzipSync } from 'node:zlib';
import { Command } from 'commander';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { httpClient } from '../../src/cli/client.js';
import { importCommands } from '../../src/cli/imports.js';
import type { Runner } from '../../src/cli/program.js';
import type { Config } from '../../src/lib/config.js';
import { type TestApp, testApp, userWithToken } from '../support/app.js';
import { nessusXml } from '../support/reports.js';

/** `patchloop import FILE` and `patchloop imports list|show` over real HTTP: the file is streamed as the request body. */
let t: TestApp;
let url: string;
let token: string;
const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'patchloop-import-cli-'));

beforeAll(async () => {
  t = await testApp({ env: { PATCHLOOP_IMPORT_LIMIT_MB: '1' } });
  ({ token } = await userWithToken(t.database, 'security_analyst', 'import-cli'));
  url = await t.app.listen({ port: 0, host: '127.0.0.1' });
});
afterAll(async () => {
  await t?.close();
  fs.rmSync(dir, { recursive: true, force: true });
});

async function cli(...args: string[]): Promise<{ out: string; error?: Error }> {
  const client = httpClient(url, token, 'test');
  let error: Error | undefined;
  const run: Runner = async (fn) => {
    try {
      await fn(client, {} as Config);
    } catch (err) {
      error = err as Error;
    }
  };
  const out: string[] = [];
  const log = vi.spyOn(console, 'log').mockImplementation((...a: unknown[]) => void out.push(a.join(' ')));
  const write = vi.spyOn(process.stdout, 'write').mockImplementation((s: string | Uint8Array) => {
    out.push(String(s).replace(/\n$/, ''));
    return true;
  });
  try {
    const program = new Command('patchloop').exitOverride().configureOutput({ writeErr: () => {} });
    importCommands(program, run);
    await program.parseAsync(['node', 'patchloop', ...args]);
  } catch (e) {
    error = e as Error;
  } finally {
    log.mockRestore();
    write.mockRestore();
  }
  return { out: out.join('\n'), error };
}

const report = nessusXml([
  { name: '192.0.2.10', ip: '192.0.2.10', fqdn: 'cli-scan-01.example.org', items: [{ pluginId: 7, severity: 3, cves: ['CVE-2026-0700', 'CVE-2026-0701'] }, { pluginId: 8, severity: 0 }] },
]);

describe('patchloop import', () => {
  it('imports a file and prints what it did', async () => {
    const file = path.join(dir, 'week49.nessus');
    fs.writeFileSync(file, report);
    const r = await cli('import', file);
    expect(r.error).toBeUndefined();
    expect(r.out).toMatch(/^Nessus report \(nessus\) imported in [\d.]+ s: import [0-9a-f-]{36}$/m);
    expect(r.out).toContain('assets:   1 in the report; 0 matched; 1 created for review');
    expect(r.out).toContain('findings: 2 reported; 2 new, 0 seen again, 0 reopened, 0 resolved by scan');
    expect(r.out).toContain('1 × informational (severity 0)');
    expect(r.out).toMatch(/cli-scan-01 +[0-9a-f-]{36}/);
  });

  it('--json prints the summary; a gzip file and --format work; the same file again is seen again', async () => {
    const file = path.join(dir, 'week49.nessus.gz');
    fs.writeFileSync(file, gzipSync(report));
    const r = await cli('import', file, '--format', 'nessus', '--json');
    expect(r.error).toBeUndefined();
    expect(JSON.parse(r.out)).toMatchObject({ format: 'nessus', fileName: 'week49.nessus.gz', findings: { reported: 2, new: 0, seenAgain: 2 }, assets: { matched: 1, created: 0 } });
  });

  it('a broken file fails with the position; an unknown --format is refused before sending', async () => {
    const file = path.join(dir, 'broken.nessus');
    fs.writeFileSync(file, report.slice(0, report.indexOf('</ReportItem>')));
    const r = await cli('import', file);
    expect(r.error?.message).toMatch(/cannot be imported: .*truncated/);
    expect(r.error?.message).toMatch(/line \d+, column \d+/);
    const f = await cli('import', file, '--format', 'nexpose');
    expect(f.error?.message).toMatch(/must be one of nessus, openvas/);
    expect((await cli('import', path.join(dir, 'missing.nessus'))).error?.message).toMatch(/no such file/);
  });

  it('a file over PATCHLOOP_IMPORT_LIMIT_MB is refused and nothing is written', async () => {
    const before = (await cli('imports', 'list', '--json')).out;
    expect(JSON.parse(before)).toHaveLength(2);
    const big = nessusXml(Array.from({ length: 3000 }, (_, i) => ({ name: `198.51.${i >> 8}.${i & 255}`, ip: `198.51.${i >> 8}.${i & 255}`, items: [{ pluginId: 9, severity: 2 as const, cves: ['CVE-2026-0900'] }] })));
    expect(big.length).toBeGreaterThan(1024 * 1024);
    const file = path.join(dir, 'big.nessus');
    fs.writeFileSync(file, big);
    const r = await cli('import', file);
    expect(r.error?.message).toMatch(/larger than the limit of 1048576 bytes/);
    expect((await cli('imports', 'list', '--json')).out).toBe(before);
  });

  it('imports list and show', async () => {
    const list = JSON.parse((await cli('imports', 'list', '--json')).out);
    expect(list).toHaveLength(2);
    const shown = await cli('imports', 'show', list[1].id);
    expect(shown.out).toContain('findings: 2 reported; 2 new');
    const table = await cli('imports', 'list');
    expect(table.out).toMatch(/week49\.nessus\.gz/);
  });
});
