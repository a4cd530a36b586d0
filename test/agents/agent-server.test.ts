/**
 * The agent against the real server process over HTTPS (issue #4): enrolment
 * through the CLI with a private CA, reports collected from a Debian root that
 * changes between rounds, and the server killed (SIGKILL) and restarted while
 * the agent checks in. Every report must arrive exactly once and in order, and
 * the server's inventory must equal the root's final state.
 */
import { type ChildProcess, spawn, spawnSync } from 'node:child_process';
import fs from 'node:fs';
import https from 'node:https';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { collectReport, flush } from '../../src/agent/runner.js';
import { AgentState } from '../../src/agent/state.js';
import { loadConfig } from '../../src/lib/config.js';
import { applyQueuedReports } from '../../src/services/agents/report-applier.js';
import { openDatabase } from '../../src/storage/db.js';
import { freshDatabase, onPostgres } from '../support/db.js';
import { freePort } from '../support/net.js';

const hasOpenssl = spawnSync('openssl', ['version']).status === 0;
const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'patchloop-agent-e2e-'));
const root = path.join(dir, 'root');
const stateDir = path.join(dir, 'agent');
const env: Record<string, string> = {};
let port = 0;
let server: ChildProcess | null = null;

function openssl(...args: string[]) {
  const r = spawnSync('openssl', args, { cwd: dir, encoding: 'utf8' });
  if (r.status !== 0) throw new Error(`openssl ${args.join(' ')}: ${r.stderr}`);
}

function makeCerts() {
  openssl('req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-keyout', 'ca.key', '-out', 'ca.pem', '-days', '2', '-subj', '/CN=patchloop test CA');
  openssl('req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-keyout', 'rogue.key', '-out', 'rogue.pem', '-days', '2', '-subj', '/CN=someone else');
  openssl('req', '-newkey', 'rsa:2048', '-nodes', '-keyout', 'server.key', '-out', 'server.csr', '-subj', '/CN=localhost');
  fs.writeFileSync(path.join(dir, 'san.ext'), 'subjectAltName=IP:127.0.0.1,DNS:localhost\n');
  openssl('x509', '-req', '-in', 'server.csr', '-CA', 'ca.pem', '-CAkey', 'ca.key', '-CAcreateserial', '-out', 'server.pem', '-days', '2', '-extfile', 'san.ext');
}

type Pkg = { name: string; version: string; source?: string };
function writeRoot(pkgs: Pkg[]) {
  const paras = pkgs.map((p) => [`Package: ${p.name}`, 'Status: install ok installed', 'Architecture: amd64', ...(p.source ? [`Source: ${p.source}`] : []), `Version: ${p.version}`, 'Description: test'].join('\n'));
  fs.writeFileSync(path.join(root, 'var/lib/dpkg/status.tmp'), `${paras.join('\n\n')}\n`);
  fs.renameSync(path.join(root, 'var/lib/dpkg/status.tmp'), path.join(root, 'var/lib/dpkg/status'));
}

function cli(args: string[]) {
  const r = spawnSync(process.execPath, ['--import', 'tsx', 'src/main/cli.ts', ...args], { encoding: 'utf8', timeout: 120_000, env: { ...process.env, ...env } });
  return { code: r.status, out: r.stdout, err: r.stderr };
}


function healthy(): Promise<boolean> {
  return new Promise((resolve) => {
    const req = https.get({ host: '127.0.0.1', port, path: '/readyz', ca: fs.readFileSync(path.join(dir, 'ca.pem')), timeout: 2000 }, (res) => {
      res.resume();
      resolve(res.statusCode === 200);
    });
    req.on('error', () => resolve(false));
  });
}

async function startServer() {
  server = spawn(process.execPath, ['--import', 'tsx', 'src/main/cli.ts', 'serve'], { env: { ...process.env, ...env, PORT: String(port), HOST: '127.0.0.1' }, stdio: ['ignore', 'ignore', 'pipe'] });
  let err = '';
  server.stderr?.on('data', (c) => {
    err += String(c);
  });
  for (let i = 0; i < 300; i++) {
    if (await healthy()) return;
    if (server.exitCode !== null) throw new Error(`server exited: ${err}`);
    await new Promise((r) => setTimeout(r, 200));
  }
  throw new Error(`server did not come up: ${err}`);
}

async function stopServer(signal: NodeJS.Signals) {
  const s = server;
  if (!s || s.exitCode !== null) return;
  const exited = new Promise((r) => s.once('exit', r));
  s.kill(signal);
  await exited;
  server = null;
}

describe.skipIf(!hasOpenssl)('agent and server over HTTPS, with the server killed during check-ins', { timeout: 600_000 }, () => {
  beforeAll(async () => {
    makeCerts();
    for (const d of ['etc', 'var/lib/dpkg']) fs.mkdirSync(path.join(root, d), { recursive: true });
    fs.writeFileSync(path.join(root, 'etc/os-release'), 'PRETTY_NAME="Debian GNU/Linux 12 (bookworm)"\nID=debian\nVERSION_ID="12"\nVERSION_CODENAME=bookworm\n');
    fs.writeFileSync(path.join(root, 'etc/hostname'), 'e2e-host\n');
    fs.writeFileSync(path.join(root, 'etc/machine-id'), `${'1'.repeat(32)}\n`);
    Object.assign(env, {
      PATCHLOOP_DATA_DIR: path.join(dir, 'data'),
      PATCHLOOP_TLS_CERT: path.join(dir, 'server.pem'),
      PATCHLOOP_TLS_KEY: path.join(dir, 'server.key'),
      PATCHLOOP_FEED_SYNC: 'off',
      PATCHLOOP_LOG_LEVEL: 'warn',
      DATABASE_URL: '',
    });
    if (onPostgres()) {
      const db = await freshDatabase();
      env.DATABASE_URL = db.url as string;
      await db.close();
    }
    port = await freePort();
  });
  afterAll(async () => {
    await stopServer('SIGKILL');
    fs.rmSync(dir, { recursive: true, force: true });
  });

  let token = '';
  it('makes an enrolment token with the CLI', () => {
    const r = cli(['agents', 'tokens', 'create', 'e2e rollout', '--environment', 'test', '--system-type', 'application_server']);
    expect(r.code, r.err).toBe(0);
    token = /token \(shown once\): (ple_\S+)/.exec(r.out)?.[1] ?? '';
    expect(token).toMatch(/^ple_/);
  });

  it('enrols only with the right CA and over HTTPS', async () => {
    writeRoot([{ name: 'openssl', version: '3.0.15-1~deb12u1' }, { name: 'libssl3', version: '3.0.15-1~deb12u1', source: 'openssl' }, { name: 'bash', version: '5.2.15-2+b7' }]);
    await startServer();
    const base = ['agent', 'enroll', '--server', `https://127.0.0.1:${port}`, '--token', token, '--state-dir', stateDir, '--root', root];
    const rogue = cli([...base, '--ca-file', path.join(dir, 'rogue.pem')]);
    expect(rogue.code).toBe(1);
    expect(rogue.err).toMatch(/certificate/i);
    const plain = cli(['agent', 'enroll', '--server', `http://127.0.0.1:${port}`, '--token', token, '--state-dir', stateDir, '--root', root]);
    expect(plain.code).toBe(1);
    expect(plain.err).toMatch(/HTTPS only/);
    const ok = cli([...base, '--ca-file', path.join(dir, 'ca.pem')]);
    expect(ok.code, ok.err).toBe(0);
    expect(ok.out).toMatch(/enrolled as agent .* \(new asset\)/);
    // The token was one-time.
    expect(cli([...base, '--ca-file', path.join(dir, 'ca.pem'), '--state-dir', path.join(dir, 'other')]).err).toMatch(/used up/);
  });

  it('delivers every report exactly once across server kills, restarts and a lost answer', async () => {
    const state = new AgentState(stateDir);
    const made: string[] = [];
    const pkgs: Pkg[] = [{ name: 'openssl', version: '3.0.15-1~deb12u1' }, { name: 'libssl3', version: '3.0.15-1~deb12u1', source: 'openssl' }, { name: 'bash', version: '5.2.15-2+b7' }];
    const round = async (i: number) => {
      // Each round the host changes: a new package, and every third round one goes away.
      pkgs.push({ name: `tool-${i}`, version: `1.${i}-1` });
      if (i % 3 === 0) pkgs.splice(pkgs.findIndex((p) => p.name.startsWith('tool-')), 1);
      writeRoot(pkgs);
      made.push((await collectReport(state)).reportId);
    };
    for (let i = 1; i <= 3; i++) {
      await round(i);
      expect((await flush(state)).pending).toBe(0);
    }
    // Outage: reports wait in the spool, across a "restart" of the agent (a new state object on the same folder).
    await stopServer('SIGKILL');
    for (let i = 4; i <= 6; i++) {
      await round(i);
      const f = await flush(new AgentState(stateDir));
      expect(f.stoppedBy).toMatch(/ECONNREFUSED|connect/);
    }
    expect(state.spooled()).toHaveLength(3);
    await startServer();
    const back = await flush(state);
    expect(back).toMatchObject({ accepted: 3, pending: 0 });

    // Killed in the middle of deliveries: whatever the server committed is recognised when sent again.
    for (let i = 7; i <= 12; i++) await round(i);
    const inflight = flush(state);
    await new Promise((r) => setTimeout(r, 60));
    await stopServer('SIGKILL');
    const cut = await inflight;
    expect(cut.stoppedBy).not.toBeNull();
    await startServer();
    const after = await flush(state);
    expect(after.pending).toBe(0);
    expect(cut.accepted + after.accepted + after.duplicates).toBeGreaterThanOrEqual(6);

    // The answer lost on the way back: the agent sends the same report again; the server says it has it.
    await round(13);
    const file = state.spooled()[0] as string;
    const copy = fs.readFileSync(path.join(stateDir, 'spool', file));
    expect((await flush(state)).accepted).toBe(1);
    fs.writeFileSync(path.join(stateDir, 'spool', file), copy);
    expect(await flush(state)).toMatchObject({ accepted: 0, duplicates: 1, pending: 0 });

    // The CLI on the server's machine reaches the HTTPS server (embedded database) by the certificate it pinned.
    const listed = cli(['agents', 'list', '--json']);
    expect(listed.code, listed.err).toBe(0);
    expect(JSON.parse(listed.out).items).toMatchObject([{ hostname: 'e2e-host', health: 'ok', reports: made.length, lastSeq: made.length }]);

    await stopServer('SIGTERM');
    const database = await openDatabase(loadConfig(env));
    try {
      // Whatever the server had not applied yet when it stopped is applied now, as the next start would.
      await applyQueuedReports(database.db);
      const rows = await database.db.selectFrom('agent_reports').select(['report_id', 'seq', 'status']).orderBy('seq').execute();
      expect(rows.every((r) => r.status === 'applied'), JSON.stringify(rows)).toBe(true);
      expect(rows.map((r) => Number(r.seq))).toEqual(made.map((_, i) => i + 1));
      expect(rows.map((r) => r.report_id)).toEqual(made);
      const inv = await database.db.selectFrom('asset_inventories').select('package_ids').executeTakeFirstOrThrow();
      const names = await database.db.selectFrom('packages').select(['name', 'version']).where('id', 'in', inv.package_ids).execute();
      expect(names.map((p) => `${p.name} ${p.version}`).sort()).toEqual(pkgs.map((p) => `${p.name} ${p.version}`).sort());
      const asset = await database.db.selectFrom('assets').select(['hostname', 'environment', 'system_type']).executeTakeFirstOrThrow();
      expect(asset).toEqual({ hostname: 'e2e-host', environment: 'test', system_type: 'application_server' });
    } finally {
      await database.close();
    }
  });
});
