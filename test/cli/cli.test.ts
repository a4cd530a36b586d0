import { execFileSync, spawn, spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import net from 'node:net';
import path from 'node:path';
import { sql } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadConfig } from '../../src/lib/config.js';
import { createLogger } from '../../src/lib/logger.js';
import { startServer } from '../../src/main/server.js';
import { openEmbedded } from '../../src/storage/db.js';

const root = process.cwd();
const bin = path.join(root, 'bin/patchloop.js');

/** Runs the installed CLI (bin/patchloop.js → dist) as a user would. */
function cli(args: string[], env: Record<string, string> = {}, input?: string) {
  const r = spawnSync(process.execPath, [bin, ...args], {
    env: { ...process.env, PATCHLOOP_LOG_LEVEL: 'silent', ...env, PATCHLOOP_URL: env.PATCHLOOP_URL ?? '', PATCHLOOP_TOKEN: env.PATCHLOOP_TOKEN ?? '', DATABASE_URL: '' },
    input,
    encoding: 'utf8',
    timeout: 60_000,
  });
  return { code: r.status, out: r.stdout, err: r.stderr };
}

/** The same, without blocking this process (needed when the server runs in it). */
function cliAsync(args: string[], env: Record<string, string> = {}): Promise<{ code: number | null; out: string; err: string }> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, [bin, ...args], { env: { ...process.env, PATCHLOOP_LOG_LEVEL: 'silent', ...env, PATCHLOOP_URL: '', PATCHLOOP_TOKEN: '', DATABASE_URL: '' } });
    let out = '';
    let err = '';
    child.stdout.on('data', (d) => (out += d));
    child.stderr.on('data', (d) => (err += d));
    child.on('close', (code) => resolve({ code, out, err }));
  });
}

const HEADER = 'hostname,environment,system_type,business_criticality,network_exposure,owner\n';

// Each command starts a process and opens the database: generous timeouts for a loaded CI machine.
describe('patchloop CLI on the embedded database', { timeout: 120_000 }, () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'patchloop-cli-'));
  const env = { PATCHLOOP_DATA_DIR: dir };

  beforeAll(() => {
    // The CLI runs from dist/, as after `npm ci`; rebuild so it matches the source under test.
    execFileSync(process.execPath, [path.join(root, 'node_modules/typescript/bin/tsc'), '-p', 'tsconfig.build.json'], { cwd: root });
  }, 120_000);
  afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));

  it('creates the first admin, reading the password from stdin', () => {
    const r = cli(['admin', 'create', '--username', 'root', '--password-stdin'], env, 'a long enough password\n');
    expect(r.err).toBe('');
    expect(r.out).toContain('created admin root');
    expect(r.out).not.toContain('a long enough password');
  });

  it('loads the demo organisation and lists it', () => {
    const r = cli(['demo'], env);
    expect(r.out).toMatch(/demo organisation loaded: (\d+) assets/);
    expect(Number(/(\d+) assets/.exec(r.out)?.[1])).toBeGreaterThanOrEqual(300);
    const list = cli(['assets', 'list', '--json', '--environment', 'production', '--system-type', 'database', '--limit', '5'], env);
    const parsed = JSON.parse(list.out);
    expect(parsed.items).toHaveLength(5);
    expect(parsed.items.every((a: { environment: string; systemType: string }) => a.environment === 'production' && a.systemType === 'database')).toBe(true);
    const table = cli(['assets', 'list', '--unowned', 'true'], env);
    expect(table.out).toMatch(/HOSTNAME\s+ENV/);
    expect(table.out).toMatch(/\d+ of \d+ asset\(s\)/);
  });

  it('imports nothing from a CSV with a bad row, naming it, and exits non-zero', () => {
    const before = JSON.parse(cli(['assets', 'list', '--json', '--limit', '1', '--lifecycle', 'all'], env).out).total;
    const file = path.join(dir, 'bad.csv');
    fs.writeFileSync(file, `${HEADER}cli-ok,production,web_server,high,internal,\ncli-bad,moon,web_server,high,internal,\n`);
    const r = cli(['assets', 'import', file], env);
    expect(r.code).toBe(1);
    expect(r.err).toContain('row 3, column environment');
    expect(JSON.parse(cli(['assets', 'list', '--json', '--limit', '1', '--lifecycle', 'all'], env).out).total).toBe(before);
    fs.writeFileSync(file, `${HEADER}cli-ok,production,web_server,high,internal,Platform Engineering\n`);
    expect(cli(['assets', 'import', file], env).out).toContain('1 created');
  });

  it('creates, updates and decommissions an asset, and the audit trail shows it', () => {
    const made = JSON.parse(cli(['assets', 'create', '--hostname', 'cli-made', '--environment', 'test', '--system-type', 'database', '--business-criticality', 'low', '--network-exposure', 'isolated', '--tags', 'a,b', '--json'], env).out);
    expect(made).toMatchObject({ hostname: 'cli-made', tags: ['a', 'b'] });
    expect(cli(['assets', 'update', made.id, '--department', 'Finance'], env).out).toContain('version 2');
    expect(cli(['assets', 'decommission', made.id, '--reason', 'test'], env).out).toContain('decommissioned');
    const trail = JSON.parse(cli(['audit', 'list', '--entity-id', made.id, '--json'], env).out);
    expect(trail.map((r: { action: string }) => r.action)).toEqual(['asset.decommission', 'asset.update', 'asset.create']);
    const bad = cli(['assets', 'create', '--hostname', 'x', '--environment', 'moon'], env);
    expect(bad.code).toBe(1);
    expect(bad.err).toContain('body.environment');
  });

  it('uploads an inventory from a dpkg status file and a CycloneDX SBOM, and lists the findings', () => {
    const made = JSON.parse(cli(['assets', 'create', '--hostname', 'cli-inv', '--environment', 'production', '--system-type', 'web_server', '--business-criticality', 'high', '--network-exposure', 'internal', '--json'], env).out);
    const feed = path.join(dir, 'osv.json');
    fs.writeFileSync(feed, JSON.stringify([
      { id: 'GHSA-cli-0001', modified: '2026-10-01T00:00:00Z', aliases: ['CVE-2026-7001'], affected: [{ package: { ecosystem: 'npm', name: 'lodash' }, ranges: [{ type: 'SEMVER', events: [{ introduced: '0' }, { fixed: '4.17.21' }] }] }] },
      { id: 'DEBIAN-CVE-2026-7002', modified: '2026-10-01T00:00:00Z', aliases: ['CVE-2026-7002'], affected: [{ package: { ecosystem: 'Debian:12', name: 'openssl' }, ranges: [{ type: 'ECOSYSTEM', events: [{ introduced: '0' }, { fixed: '3.0.15-1~deb12u1' }] }] }] },
    ]));
    const imported = cli(['feeds', 'sync', 'osv', '--from', feed], env);
    expect(imported.err).toBe('');
    const status = path.join(dir, 'status');
    fs.writeFileSync(status, 'Package: libssl3\nStatus: install ok installed\nArchitecture: amd64\nSource: openssl\nVersion: 3.0.14-1~deb12u2\n');
    const sbom = path.join(dir, 'bom.json');
    fs.writeFileSync(sbom, JSON.stringify({ bomFormat: 'CycloneDX', specVersion: '1.5', components: [{ name: 'lodash', purl: 'pkg:npm/lodash@4.17.20' }, { name: 'readme' }] }));
    const r = cli(['assets', 'inventory', made.id, '--dpkg-status', status, '--sbom', sbom, '--release', 'bookworm'], env);
    expect(r.out).toContain('inventory stored: 2 packages');
    expect(r.out).toContain('findings: 2 opened');
    expect(r.err).toContain('1 component(s) skipped');
    const list = JSON.parse(cli(['findings', 'list', '--asset', made.id, '--json'], env).out) as { vulnerabilityId: string; package: string; ecosystem: string }[];
    expect(list.map((f) => `${f.vulnerabilityId} ${f.ecosystem} ${f.package}`).sort()).toEqual(['CVE-2026-7001 npm lodash', 'CVE-2026-7002 deb libssl3']);
    const broken = path.join(dir, 'broken-bom.json');
    fs.writeFileSync(broken, JSON.stringify({ bomFormat: 'CycloneDX', components: [{ name: 'x', purl: 'nope' }] }));
    const bad = cli(['assets', 'inventory', made.id, '--sbom', broken, '--release', 'bookworm'], env);
    expect(bad.code).toBe(1);
    expect(bad.err).toContain('components[0].purl');
  });

  it('verifies the audit trail, and names the record after tampering by SQL', async () => {
    const ok = cli(['audit', 'verify'], env);
    expect(ok.code).toBe(0);
    expect(ok.out).toContain('audit trail intact');
    const database = await openEmbedded(dir);
    await sql`alter table audit_log disable trigger user`.execute(database.db);
    await sql`update audit_log set actor_name = 'mallory' where seq = 42`.execute(database.db);
    await sql`alter table audit_log enable trigger user`.execute(database.db);
    await database.close();
    const bad = cli(['audit', 'verify'], env);
    expect(bad.code).toBe(1);
    expect(bad.err).toContain('record 42 was altered');
  });

  it('exports the audit trail and assets to files', () => {
    const jsonl = path.join(dir, 'audit.jsonl');
    cli(['audit', 'export', jsonl], env);
    const lines = fs.readFileSync(jsonl, 'utf8').trim().split('\n');
    expect(lines.length).toBeGreaterThan(300);
    expect(JSON.parse(lines[0] as string).seq).toBe(1);
    const csv = path.join(dir, 'assets.csv');
    cli(['assets', 'export', csv, '--system-type', 'database'], env);
    const rows = fs.readFileSync(csv, 'utf8').trim().split('\n');
    expect(rows[0]).toMatch(/^id,hostname,fqdn/);
    expect(rows.slice(1).every((r) => r.includes(',database,'))).toBe(true);
  });

  it('talks to the running server when one holds the data directory', async () => {
    const server = await startServer(loadConfig({ PATCHLOOP_DATA_DIR: dir, PORT: '0', HOST: '127.0.0.1' }), createLogger('silent'));
    try {
      const r = await cliAsync(['teams', 'list'], env);
      expect(r.code).toBe(0);
      expect(r.out).toContain('Platform Engineering');
      const again = await cliAsync(['demo'], env);
      expect(again.code).toBe(1);
      expect(again.err).toContain('already loaded');
    } finally {
      await server.stop();
    }
  }, 60_000);

  it('stops with a message naming a bad setting', () => {
    const r = cli(['serve'], { ...env, PORT: 'eighty' });
    expect(r.code).toBe(2);
    expect(r.err).toContain('PORT');
  });

  it('needs a token for a remote server', () => {
    const r = cli(['assets', 'list'], { PATCHLOOP_URL: 'http://127.0.0.1:9' });
    expect(r.code).toBe(1);
    expect(r.err).toContain('PATCHLOOP_TOKEN');
  });
});

describe('backup and restore of the embedded database', { timeout: 180_000 }, () => {
  const src = fs.mkdtempSync(path.join(os.tmpdir(), 'patchloop-bak-'));
  const dst = fs.mkdtempSync(path.join(os.tmpdir(), 'patchloop-rst-'));
  afterAll(() => {
    fs.rmSync(src, { recursive: true, force: true });
    fs.rmSync(dst, { recursive: true, force: true });
  });

  it('restores into an empty directory with every record and a valid audit chain', async () => {
    const env = { PATCHLOOP_DATA_DIR: src };
    cli(['admin', 'create', '--username', 'root'], env);
    cli(['demo'], env);
    const assetsBefore = JSON.parse(cli(['assets', 'list', '--json', '--limit', '1', '--lifecycle', 'all'], env).out).total;
    const verifyBefore = JSON.parse(cli(['audit', 'verify', '--json'], env).out);
    const file = path.join(src, 'backup.tar.gz');
    const b = cli(['backup', file], env);
    expect(b.code).toBe(0);
    expect(fs.statSync(file).size).toBeGreaterThan(1000);

    const r = cli(['restore', file], { PATCHLOOP_DATA_DIR: dst });
    expect(r.err).toBe('');
    expect(r.out).toContain(`${assetsBefore} asset(s)`);
    expect(r.out).toContain('audit trail intact');
    const verifyAfter = JSON.parse(cli(['audit', 'verify', '--json'], { PATCHLOOP_DATA_DIR: dst }).out);
    // The backup's own audit record comes after the dump, so the restored head is the one before it.
    expect(verifyAfter).toMatchObject({ ok: true, lastSeq: verifyBefore.lastSeq, lastHash: verifyBefore.lastHash });
    expect(JSON.parse(cli(['users', 'list', '--json'], { PATCHLOOP_DATA_DIR: dst }).out).map((u: { username: string }) => u.username)).toContain('root');

    const again = cli(['restore', file], { PATCHLOOP_DATA_DIR: dst });
    expect(again.code).toBe(1);
    expect(again.err).toContain('already holds a database');
  }, 120_000);
});

describe('patchloop serve (npm start)', { timeout: 120_000 }, () => {
  it('serves the UI and /healthz, then shuts down cleanly on SIGTERM', async () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'patchloop-serve-'));
    const port = await new Promise<number>((resolve) => {
      const srv = net.createServer().listen(0, '127.0.0.1', () => {
        const p = (srv.address() as net.AddressInfo).port;
        srv.close(() => resolve(p));
      });
    });
    const child = spawn(process.execPath, [bin, 'serve'], {
      env: { ...process.env, PATCHLOOP_DATA_DIR: dir, PORT: String(port), HOST: '127.0.0.1', PATCHLOOP_LOG_LEVEL: 'info', DATABASE_URL: '' },
    });
    let log = '';
    child.stdout.on('data', (d) => (log += d));
    child.stderr.on('data', (d) => (log += d));
    const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
    try {
      const started = Date.now();
      let healthy = false;
      while (!healthy && Date.now() - started < 60_000) {
        healthy = await fetch(`http://127.0.0.1:${port}/healthz`).then((r) => r.ok, () => false);
        if (!healthy) await new Promise((r) => setTimeout(r, 250));
      }
      expect(healthy, log).toBe(true);
      expect(log).toMatch(/set-up code [A-Z2-9]{4}-/);
      const page = await fetch(`http://127.0.0.1:${port}/`);
      expect(page.status).toBe(200);
      expect(fs.existsSync(path.join(dir, 'patchloop.lock'))).toBe(true);
      child.kill('SIGTERM');
      expect(await exited).toBe(0);
      expect(log).toContain('"msg":"stopped"');
      expect(fs.existsSync(path.join(dir, 'patchloop.lock'))).toBe(false);
      expect(fs.existsSync(path.join(dir, 'cli-token.json'))).toBe(false);
    } finally {
      child.kill('SIGKILL');
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });
});
