import { type ChildProcess, execFileSync, spawn } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import fs from 'node:fs';
import http from 'node:http';
import os from 'node:os';
import path from 'node:path';
import { gzipSync } from 'node:zlib';
import { type Checkin, diffPackages, type HostFactsReport, snapshotDigest } from '../src/domain/agents/protocol.js';
import { systemPrincipal } from '../src/domain/auth/principal.js';
import { parseDebianTracker } from '../src/domain/feeds/debian-tracker.js';
import { createEnrolmentToken } from '../src/services/agents/enrolment.service.js';
import { migrate, openPostgres } from '../src/storage/db.js';
import { seedAdvisories } from './matching.js';
import { freePort } from '../test/support/net.js';
import { buildFleet, type Fleet } from './support/fleet.js';
import { createDatabase, dropDatabase, machine } from './support/machine.js';
import { ms, summarise } from './support/stats.js';

/**
 * Issue #4's intake figure: N simulated agents (default 2,000), each sending a
 * full Debian-sized inventory (~2,150 packages from the real bookworm indexes,
 * as in the matching benchmark) to the real server process on PostgreSQL over
 * loopback, arrivals spread evenly over one minute (open loop: a slow server
 * makes requests queue, it does not slow the senders), then one round of
 * differences (each host takes a few security updates). Findings are matched
 * against the real Debian 12 advisories when each report is applied (after
 * it was accepted: the figure of the intake and the time to apply everything
 * are reported apart). A request that fails is sent again with the same report id, as the
 * agent does; at the end the database must hold every report exactly once.
 * Then the agent's own cost: `agent run --once` of this machine (built agent
 * from dist/), CPU time and peak memory, for the first (full) and a second
 * (differences) check-in.
 */
export interface AgentsBenchOptions {
  agents: number;
  windowS: number;
  databaseUrl: string;
  fixtures: string;
  keep: boolean;
}

const log = (s = '') => process.stdout.write(`${s}\n`);
const n0 = (v: number) => Math.round(v).toLocaleString('en-US');


const agentPool = new http.Agent({ keepAlive: true, maxSockets: 256 });

function post(port: number, p: string, body: Buffer, credential?: string): Promise<{ status: number; json: any }> {
  return new Promise((resolve, reject) => {
    const req = http.request(
      { host: '127.0.0.1', port, path: p, method: 'POST', agent: agentPool, timeout: 600_000, headers: { 'content-type': 'application/json', 'content-encoding': 'gzip', 'content-length': body.length, ...(credential ? { authorization: `Bearer ${credential}` } : {}) } },
      (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('end', () => {
          const text = Buffer.concat(chunks).toString('utf8');
          resolve({ status: res.statusCode ?? 0, json: text ? JSON.parse(text) : null });
        });
      },
    );
    req.on('timeout', () => req.destroy(new Error('timeout')));
    req.on('error', reject);
    req.end(body);
  });
}

function facts(h: number): HostFactsReport {
  return {
    hostname: `bench-agent-${String(h).padStart(5, '0')}`,
    fqdn: `bench-agent-${String(h).padStart(5, '0')}.bench.example`,
    machineId: h.toString(16).padStart(32, '0'),
    kernel: '6.1.0-26-amd64',
    uptimeSeconds: 86400,
    rebootRequired: false,
    os: { id: 'debian', versionId: '12', codename: 'bookworm', prettyName: 'Debian GNU/Linux 12 (bookworm)' },
    addresses: [`10.${(h >> 16) & 255}.${(h >> 8) & 255}.${h & 255}`],
  };
}

type OsPkg = { name: string; version: string; arch: string; sourceName?: string; sourceVersion?: string };
function packagesOf(fleet: Fleet, h: number, upgrades = 0): OsPkg[] {
  const ids = fleet.hostPkgs.subarray(fleet.offsets[h] as number, fleet.offsets[h + 1] as number);
  const out: OsPkg[] = [];
  let left = upgrades;
  for (const id of ids) {
    const v = fleet.variants[id as number] as (typeof fleet.variants)[number];
    // The "security update" of the diff round: a new Debian revision of a few packages.
    const upgrade = left > 0 && v.origin === 0 && v.name === v.source;
    if (upgrade) left--;
    const version = upgrade ? `${v.version}+bench1` : v.version;
    out.push({ name: v.name, version, arch: v.arch, ...(v.source !== v.name ? { sourceName: v.source } : {}), ...(v.sourceVersion !== v.version ? { sourceVersion: v.sourceVersion } : {}) });
  }
  return out;
}

interface PhaseResult {
  latencies: number[];
  wallMs: number;
  accepted: number;
  duplicates: number;
  retries: number;
  errors: string[];
  bytes: number;
}

/** Sends one report per agent, arrivals evenly over the window; retries (same report id) until accepted. */
async function phase(port: number, bodies: Buffer[], credentials: string[], windowMs: number): Promise<PhaseResult> {
  const r: PhaseResult = { latencies: [], wallMs: 0, accepted: 0, duplicates: 0, retries: 0, errors: [], bytes: 0 };
  const t0 = performance.now();
  await Promise.all(
    bodies.map(async (body, i) => {
      await new Promise((res) => setTimeout(res, (i * windowMs) / bodies.length));
      r.bytes += body.length;
      for (let attempt = 0; ; attempt++) {
        const s = performance.now();
        try {
          const res = await post(port, '/api/agent/checkin', body, credentials[i]);
          if (res.status === 200 && res.json.status !== 'full_required') {
            r.latencies.push(performance.now() - s);
            if (res.json.status === 'duplicate') r.duplicates++;
            else r.accepted++;
            return;
          }
          if (res.status < 500 && res.status !== 429) throw new Error(`agent ${i}: ${res.status} ${JSON.stringify(res.json).slice(0, 300)}`);
        } catch (err) {
          if ((err as Error).message.startsWith(`agent ${i}:`)) {
            r.errors.push((err as Error).message);
            return;
          }
        }
        r.retries++;
        if (attempt > 20) {
          r.errors.push(`agent ${i}: gave up after ${attempt} attempts`);
          return;
        }
        await new Promise((res) => setTimeout(res, 1000 * 2 ** Math.min(attempt, 5)));
      }
    }),
  );
  r.wallMs = performance.now() - t0;
  return r;
}

/** Waits until the server has applied every accepted report; returns how long that took after the phase's last answer. */
async function drain(database: ReturnType<typeof openPostgres>, since: number): Promise<{ ms: number; waitingAtEnd: number }> {
  const waiting = async () => Number((await database.executeSql("select count(*)::int as n from agent_reports where status = 'queued'")).rows[0].n);
  const first = await waiting();
  while ((await waiting()) > 0) await new Promise((r) => setTimeout(r, 500));
  return { ms: performance.now() - since, waitingAtEnd: first };
}

function printPhase(name: string, p: PhaseResult, n: number) {
  const l = summarise(p.latencies);
  log(`${name}: ${n0(p.accepted)} accepted of ${n0(n)} in ${(p.wallMs / 1000).toFixed(1)} s → ${(p.accepted / (p.wallMs / 1000)).toFixed(1)} check-ins/s; latency p50 ${ms(l.p50)} ms, p95 ${ms(l.p95)} ms, max ${ms(l.max)} ms; ${p.retries} retries, ${p.duplicates} answered duplicate, ${p.errors.length} errors; ${(p.bytes / 2 ** 20).toFixed(1)} MiB gzip sent`);
  for (const e of p.errors.slice(0, 5)) log(`  ${e}`);
}

function agentCost(port: number, token: string): { full: string; diff: string } {
  const cli = path.resolve('dist/main/cli.js');
  if (!fs.existsSync(cli)) return { full: 'dist/ not built (npm run build)', diff: '-' };
  const state = fs.mkdtempSync(path.join(os.tmpdir(), 'patchloop-bench-agent-'));
  const measure = (args: string[]) => {
    try {
      execFileSync('/usr/bin/time', ['-f', 'TIME %U %S %M', '-o', path.join(state, 'time.txt'), process.execPath, cli, ...args], { stdio: 'ignore', env: { ...process.env, DATABASE_URL: '' } });
      const [, u, s, m] = (fs.readFileSync(path.join(state, 'time.txt'), 'utf8').match(/TIME ([\d.]+) ([\d.]+) (\d+)/) ?? []) as string[];
      return `CPU ${((Number(u) + Number(s)) * 1000).toFixed(0)} ms (user ${u} s, sys ${s} s), peak RSS ${(Number(m) / 1024).toFixed(0)} MiB`;
    } catch (err) {
      return `failed: ${(err as Error).message}`;
    }
  };
  execFileSync(process.execPath, [cli, 'agent', 'enroll', '--server', `http://127.0.0.1:${port}`, '--allow-http', '--token', token, '--state-dir', state], { stdio: 'ignore', env: { ...process.env, DATABASE_URL: '' } });
  const full = measure(['agent', 'run', '--once', '--state-dir', state]);
  const diff = measure(['agent', 'run', '--once', '--state-dir', state]);
  fs.rmSync(state, { recursive: true, force: true });
  return { full, diff };
}

export async function runAgents(opts: AgentsBenchOptions): Promise<{ ok: boolean }> {
  const mach = machine();
  log(`machine: ${mach.cpu}, ${mach.cores} cores, ${mach.memory}, ${mach.os}, Node ${mach.node}, load average ${mach.load}`);
  const fleet = buildFleet({ hosts: opts.agents, meanPackages: 2150 });
  log(`fleet: ${n0(fleet.hosts)} simulated Debian 12 hosts, ${n0(fleet.hostPkgs.length)} installed packages (mean ${n0(fleet.hostPkgs.length / fleet.hosts)})`);

  const { url, name } = await createDatabase(opts.databaseUrl, 'agents');
  const database = openPostgres(url);
  let server: ChildProcess | null = null;
  try {
    await migrate(database.db);
    const tracker = path.join(opts.fixtures, 'tracker.json');
    if (fs.existsSync(tracker)) {
      const advisories = parseDebianTracker(JSON.parse(fs.readFileSync(tracker, 'utf8')), new Set(['bookworm']));
      await seedAdvisories(database, advisories);
      log(`advisories: ${n0(advisories.length)} Debian 12 records (each report is matched when it is applied)`);
    } else log(`advisories: none (${tracker} missing): reports are stored without findings`);
    const ctx = { principal: systemPrincipal('bench'), requestId: null };
    const { token } = await createEnrolmentToken(database.db, ctx, { name: 'bench', maxUses: opts.agents + 5, expiresInHours: 24, assetDefaults: { environment: 'production', systemType: 'other', businessCriticality: 'medium', networkExposure: 'internal', ownerTeamId: null, tags: [] } });

    const port = await freePort();
    server = spawn(process.execPath, ['--import', 'tsx', 'src/main/cli.ts', 'serve'], {
      env: { ...process.env, DATABASE_URL: url, PORT: String(port), HOST: '127.0.0.1', PATCHLOOP_LOG_LEVEL: 'warn', PATCHLOOP_FEED_SYNC: 'off', PATCHLOOP_DATA_DIR: fs.mkdtempSync(path.join(os.tmpdir(), 'patchloop-bench-data-')) },
      stdio: ['ignore', 'ignore', 'inherit'],
    });
    for (let i = 0; ; i++) {
      const up = await new Promise<boolean>((res) => http.get({ host: '127.0.0.1', port, path: '/readyz' }, (r) => {
        r.resume();
        res(r.statusCode === 200);
      }).on('error', () => res(false)));
      if (up) break;
      if (i > 600) throw new Error('server did not start');
      await new Promise((res) => setTimeout(res, 100));
    }

    // Enrolment (not measured as intake): each agent gets its credential and asset.
    const te = performance.now();
    const credentials: string[] = new Array(opts.agents);
    for (let i = 0; i < opts.agents; i += 50) {
      await Promise.all(
        Array.from({ length: Math.min(50, opts.agents - i) }, async (_, k) => {
          const h = i + k;
          const res = await post(port, '/api/agent/enrol', gzipSync(JSON.stringify({ token, agentVersion: 'bench', facts: facts(h) })));
          if (res.status !== 200) throw new Error(`enrol ${h}: ${res.status} ${JSON.stringify(res.json)}`);
          credentials[h] = res.json.credential;
        }),
      );
    }
    log(`enrolled ${n0(opts.agents)} agents in ${((performance.now() - te) / 1000).toFixed(1)} s`);

    const fulls: OsPkg[][] = [];
    const ids: string[][] = [[], []];
    const bodies1 = [...Array(opts.agents).keys()].map((h) => {
      const pkgs = packagesOf(fleet, h);
      fulls.push(pkgs);
      const c: Checkin = { reportId: randomUUID(), seq: 1, collectedAt: new Date().toISOString(), agentVersion: 'bench', facts: facts(h), report: { kind: 'full', ecosystem: 'deb', distro: 'debian', release: 'bookworm', packages: pkgs } };
      ids[0]?.push(c.reportId);
      return gzipSync(JSON.stringify(c));
    });
    const t1 = performance.now();
    const p1 = await phase(port, bodies1, credentials, opts.windowS * 1000);
    printPhase(`full snapshots (${n0(opts.agents)} agents within ${opts.windowS} s)`, p1, opts.agents);
    const d1 = await drain(database, t1 + p1.wallMs);
    log(`  applied (inventory stored, history, facts, findings matched): all ${n0(opts.agents)} ${(d1.ms / 1000).toFixed(1)} s after the last answer (${n0(d1.waitingAtEnd)} were waiting then); ${(opts.agents / ((p1.wallMs + d1.ms) / 1000)).toFixed(1)} reports/s applied from the first arrival`);

    const bodies2 = [...Array(opts.agents).keys()].map((h) => {
      const before = fulls[h] as OsPkg[];
      const after = packagesOf(fleet, h, 3);
      const c: Checkin = {
        reportId: randomUUID(), seq: 2, collectedAt: new Date().toISOString(), agentVersion: 'bench', facts: facts(h),
        report: { kind: 'diff', ecosystem: 'deb', distro: 'debian', release: 'bookworm', baseDigest: snapshotDigest(before), digest: snapshotDigest(after), ...diffPackages(before, after) },
      };
      ids[1]?.push(c.reportId);
      return gzipSync(JSON.stringify(c));
    });
    const t2 = performance.now();
    const p2 = await phase(port, bodies2, credentials, opts.windowS * 1000);
    printPhase(`differences (3 updated packages per host, ${n0(opts.agents)} agents within ${opts.windowS} s)`, p2, opts.agents);
    const d2 = await drain(database, t2 + p2.wallMs);
    log(`  applied: all ${n0(opts.agents)} ${(d2.ms / 1000).toFixed(1)} s after the last answer (${n0(d2.waitingAtEnd)} were waiting then); ${(opts.agents / ((p2.wallMs + d2.ms) / 1000)).toFixed(1)} reports/s applied from the first arrival`);

    // Exactly once: every report id in the database once, nothing else.
    const rows = (await database.executeSql('select report_id::text as id, count(*)::int as n from agent_reports group by 1')).rows as { id: string; n: number }[];
    const stored = new Map(rows.map((r) => [r.id, r.n]));
    const sent = [...(ids[0] ?? []), ...(ids[1] ?? [])];
    const lost = sent.filter((id) => !stored.has(id)).length;
    const dup = rows.filter((r) => r.n > 1).length;
    const extra = rows.filter((r) => !sent.includes(r.id)).length;
    const findings = (await database.executeSql("select count(*)::int as n from findings where status = 'open'")).rows[0].n as number;
    const statuses = (await database.executeSql('select status, count(*)::int as n from agent_reports group by 1 order by 1')).rows as { status: string; n: number }[];
    const audits = (await database.executeSql("select count(*)::int as n from audit_log where action = 'inventory.update'")).rows[0].n as number;
    log(`exactly once: ${n0(sent.length)} reports sent, ${n0(rows.length)} stored (${statuses.map((x) => `${x.status} ${n0(x.n)}`).join(', ')}); lost ${lost}, duplicated ${dup}, unexpected ${extra}; ${n0(audits)} inventory.update audit records; ${n0(findings)} open findings`);

    const cost = agentCost(port, token);
    log(`agent's own cost on this machine (\`agent run --once\`, dist/, this host's dpkg database): first check-in (full) ${cost.full}; next check-in (differences) ${cost.diff}`);
    return { ok: lost === 0 && dup === 0 && extra === 0 && audits === sent.length && statuses.every((x) => x.status === 'applied') && p1.errors.length === 0 && p2.errors.length === 0 };
  } finally {
    if (server && server.exitCode === null) {
      const s = server;
      const exited = new Promise((r) => s.once('exit', r));
      s.kill('SIGTERM');
      await exited;
    }
    agentPool.destroy();
    await database.close();
    if (!opts.keep) await dropDatabase(opts.databaseUrl, name);
  }
}
