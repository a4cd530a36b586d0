/**
 * Agent enrolment and check-in through the API (issue #4): one-time tokens,
 * matching hosts to the register, full and differential reports, idempotency,
 * ordering, compression, revocation, and bad input changing nothing.
 */
import { randomUUID } from 'node:crypto';
import { gzipSync } from 'node:zlib';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { diffPackages, type HostFactsReport, snapshotDigest } from '../../src/domain/agents/protocol.js';
import { applyQueuedReports } from '../../src/services/agents/report-applier.js';
import * as assets from '../../src/services/assets/assets.service.js';
import { seedDebianAdvisories } from '../support/advisories.js';
import { bearer, call, operator, type TestApp, testApp, userWithToken } from '../support/app.js';

let t: TestApp;
let admin: string;

const facts = (over: Partial<HostFactsReport> = {}): HostFactsReport => ({
  hostname: 'web-07',
  fqdn: 'web-07.example.org',
  machineId: 'a'.repeat(32),
  kernel: '6.1.0-26-amd64',
  uptimeSeconds: 3600,
  rebootRequired: false,
  os: { id: 'debian', versionId: '12', codename: 'bookworm', prettyName: 'Debian GNU/Linux 12 (bookworm)' },
  addresses: ['10.0.0.7'],
  ...over,
});

type Pkg = { name: string; version: string; arch: string; sourceName?: string };
const base: Pkg[] = [
  { name: 'openssl', version: '3.0.15-1~deb12u1', arch: 'amd64' },
  { name: 'libssl3', version: '3.0.15-1~deb12u1', arch: 'amd64', sourceName: 'openssl' },
  { name: 'bash', version: '5.2.15-2+b7', arch: 'amd64' },
];

async function token(body: Record<string, unknown> = {}) {
  const res = await call(t.app, admin, 'POST', '/api/agents/enrolment-tokens', { name: 'rollout', ...body });
  expect(res.statusCode, res.body).toBe(201);
  return res.json().token as string;
}

async function enrol(tok: string, f = facts()) {
  return t.app.inject({ method: 'POST', url: '/api/agent/enrol', payload: { token: tok, agentVersion: '0.1.0', facts: f } });
}

let seq = 0;
let reporting = facts();
function report(credential: string, rep: Record<string, unknown>, opts: { reportId?: string; seq?: number; f?: HostFactsReport; gzip?: boolean } = {}) {
  const body = {
    reportId: opts.reportId ?? randomUUID(),
    seq: opts.seq ?? ++seq,
    collectedAt: new Date().toISOString(),
    agentVersion: '0.1.0',
    facts: opts.f ?? reporting,
    report: { ecosystem: 'deb', distro: 'debian', release: 'bookworm', ...rep },
  };
  const json = JSON.stringify(body);
  return t.app.inject({
    method: 'POST',
    url: '/api/agent/checkin',
    headers: { ...bearer(credential), 'content-type': 'application/json', ...(opts.gzip ? { 'content-encoding': 'gzip' } : {}) },
    payload: opts.gzip ? gzipSync(json) : json,
  });
}

beforeAll(async () => {
  t = await testApp();
  admin = (await userWithToken(t.database, 'admin')).token;
  await seedDebianAdvisories(t.database.db, [
    { vulnerability: 'CVE-2024-0001', release: 'bookworm', source: 'openssl', state: 'fixed', fixedVersion: '3.0.16-1~deb12u1', urgency: 'high', description: 'test' },
  ]);
});
afterAll(() => t.close());

describe('enrolment', () => {
  it('creates the asset from the token defaults, once per one-time token', async () => {
    const team = (await call(t.app, admin, 'POST', '/api/teams', { name: 'Web team' })).json();
    const tok = await token({ assetDefaults: { environment: 'staging', systemType: 'web_server', businessCriticality: 'high', networkExposure: 'internet_facing', ownerTeamId: team.id, tags: ['agent'] } });
    const res = await enrol(tok, facts({ machineId: 'b'.repeat(32), hostname: 'edge-01', fqdn: 'edge-01.example.org', addresses: ['10.9.9.1'] }));
    expect(res.statusCode, res.body).toBe(200);
    const e = res.json();
    expect(e.matchedBy).toBe('created');
    expect(e.credential).toMatch(/^pla_/);
    const a = await assets.getAsset(t.database.db, operator, e.assetId);
    expect(a).toMatchObject({ hostname: 'edge-01', fqdn: 'edge-01.example.org', environment: 'staging', systemType: 'web_server', businessCriticality: 'high', networkExposure: 'internet_facing', ipAddresses: ['10.9.9.1'], osFamily: 'linux', osVersion: '12', tags: ['agent'] });
    expect(a.owner?.id).toBe(team.id);
    // One-time: the second host is refused and nothing is created.
    const before = (await call(t.app, admin, 'GET', '/api/assets/stats')).json();
    const again = await enrol(tok, facts({ machineId: 'c'.repeat(32), hostname: 'edge-02', fqdn: null, addresses: [] }));
    expect(again.statusCode).toBe(401);
    expect(again.json().detail).toMatch(/used up/);
    expect((await call(t.app, admin, 'GET', '/api/assets/stats')).json()).toEqual(before);
  });

  it('matches an existing asset by FQDN, then by machine id after a rename', async () => {
    const existing = await assets.createAsset(t.database.db, operator, { hostname: 'db-03', fqdn: 'db-03.example.org', environment: 'production', systemType: 'database', businessCriticality: 'critical', networkExposure: 'internal' });
    const f = facts({ hostname: 'db-03', fqdn: 'db-03.example.org', machineId: 'd'.repeat(32), addresses: ['10.0.3.3'] });
    const first = (await enrol(await token(), f)).json();
    expect(first).toMatchObject({ assetId: existing.id, matchedBy: 'fqdn' });
    // Re-installed and renamed: the machine id still finds it, and the earlier agent is replaced.
    const second = (await enrol(await token(), { ...f, hostname: 'db-03b', fqdn: 'db-03b.example.org' })).json();
    expect(second).toMatchObject({ assetId: existing.id, matchedBy: 'machine_id' });
    const list = (await call(t.app, admin, 'GET', '/api/agents?status=all&q=db-03')).json().items;
    expect(list.find((a: { id: string }) => a.id === first.agentId).status).toBe('replaced');
    expect((await report(first.credential, { kind: 'full', packages: base })).statusCode).toBe(401);
  });

  it('does not match by an address that several assets share', async () => {
    for (const h of ['nat-a', 'nat-b']) {
      await assets.createAsset(t.database.db, operator, { hostname: h, ipAddresses: ['192.0.2.10'], environment: 'production', systemType: 'other', businessCriticality: 'low', networkExposure: 'internal' });
    }
    const e = (await enrol(await token(), facts({ hostname: 'nat-c', fqdn: null, machineId: 'e'.repeat(32), addresses: ['192.0.2.10'] }))).json();
    expect(e.matchedBy).toBe('created');
  });

  it('refuses unknown, expired and revoked tokens and malformed facts', async () => {
    expect((await enrol('ple_nonexistent-token-value')).statusCode).toBe(401);
    const tok = await token();
    const id = (await call(t.app, admin, 'GET', '/api/agents/enrolment-tokens')).json().find((x: { prefix: string }) => tok.startsWith(x.prefix)).id;
    expect((await call(t.app, admin, 'DELETE', `/api/agents/enrolment-tokens/${id}`)).json().usable).toBe(false);
    expect((await enrol(tok)).statusCode).toBe(401);
    const bad = await enrol(await token(), facts({ machineId: 'not-hex' }));
    expect(bad.statusCode).toBe(400);
    expect(bad.body).toContain('machineId');
  });
});

describe('check-in', () => {
  let cred: string;
  let assetId: string;
  beforeAll(async () => {
    reporting = facts({ hostname: 'app-11', fqdn: 'app-11.example.org', machineId: 'f'.repeat(32), addresses: ['10.0.11.1'] });
    const e = (await enrol(await token(), reporting)).json();
    cred = e.credential;
    assetId = e.assetId;
    seq = 0;
  });

  it('accepts a gzip-compressed full snapshot, then applies and matches it', async () => {
    const res = await report(cred, { kind: 'full', packages: base }, { gzip: true });
    expect(res.statusCode, res.body).toBe(200);
    expect(res.json()).toMatchObject({ status: 'accepted', seq: 1, packages: 3, digest: snapshotDigest(base), queued: 1 });
    expect((await call(t.app, admin, 'GET', `/api/assets/${assetId}/inventory`)).json()).toBeNull(); // accepted, not yet applied
    expect(await applyQueuedReports(t.database.db)).toEqual({ applied: 1, needsFull: 0, failed: 0 });
    const findings = (await call(t.app, admin, 'GET', `/api/findings?assetId=${assetId}`)).json();
    expect(findings.items.map((f: { package: string }) => f.package).sort()).toEqual(['libssl3', 'openssl']); // findings are per binary package
    const inv = (await call(t.app, admin, 'GET', `/api/assets/${assetId}/inventory`)).json();
    expect(inv.packages.map((p: { name: string }) => p.name).sort()).toEqual(['bash', 'libssl3', 'openssl']);
    const f = (await call(t.app, admin, 'GET', `/api/assets/${assetId}/agent`)).json();
    expect(f.facts).toMatchObject({ machineId: 'f'.repeat(32), kernel: '6.1.0-26-amd64', rebootRequired: false });
    expect(f.agent).toMatchObject({ hostname: 'app-11', health: 'ok', lastSeq: 1, reports: 1 });
  });

  it('applies differences, answers a repeated report id with the first answer, and writes history once', async () => {
    const next = base.map((p) => (p.name === 'bash' ? p : { ...p, version: '3.0.16-1~deb12u1' }));
    const d = diffPackages(base, next);
    const reportId = randomUUID();
    const body = { kind: 'diff', baseDigest: snapshotDigest(base), digest: snapshotDigest(next), ...d };
    const first = await report(cred, body, { reportId, seq: 2 });
    expect(first.json()).toMatchObject({ status: 'accepted', seq: 2, digest: snapshotDigest(next) });
    const repeat = await report(cred, body, { reportId, seq: 2 });
    expect(repeat.json()).toMatchObject({ status: 'duplicate', seq: 2 });
    expect(await applyQueuedReports(t.database.db)).toEqual({ applied: 1, needsFull: 0, failed: 0 });
    const findings = (await call(t.app, admin, 'GET', `/api/findings?assetId=${assetId}&status=resolved`)).json();
    expect(findings.items).toHaveLength(2);
    const history = (await call(t.app, admin, 'GET', `/api/audit?entityType=asset&entityId=${assetId}&limit=100`)).json().items;
    expect(history.filter((h: { action: string }) => h.action === 'inventory.update')).toHaveLength(2);
    const changes = (await call(t.app, admin, 'GET', `/api/assets/${assetId}/inventory/history`)).json();
    expect(JSON.stringify(changes)).toContain('3.0.16-1~deb12u1');
  });

  it('asks for a full snapshot when the differences do not apply, and refuses an out-of-order report', async () => {
    const wrongBase = await report(cred, { kind: 'diff', baseDigest: 'a'.repeat(64), digest: 'b'.repeat(64), added: [], removed: [] }, { seq: 3 });
    expect(wrongBase.json()).toMatchObject({ status: 'full_required', seq: 2 });
    const old = await report(cred, { kind: 'full', packages: base }, { seq: 2 });
    expect(old.statusCode).toBe(409);
    expect(old.json().detail).toMatch(/in order/);
    const agent = (await call(t.app, admin, 'GET', `/api/assets/${assetId}/agent`)).json().agent;
    expect(agent.lastSeq).toBe(2);
  });

  it('sets aside differences that no longer apply when their turn comes, and asks the agent for a full snapshot', async () => {
    const agentSeq = (await call(t.app, admin, 'GET', `/api/assets/${assetId}/agent`)).json().agent.lastSeq;
    const current = base.map((p) => (p.name === 'bash' ? p : { ...p, version: '3.0.16-1~deb12u1' }));
    const next = [...current, { name: 'curl', version: '7.88.1-10+deb12u8', arch: 'amd64' }];
    const diff = { kind: 'diff', baseDigest: snapshotDigest(current), digest: snapshotDigest(next), ...diffPackages(current, next) };
    expect((await report(cred, diff, { seq: agentSeq + 1 })).json().status).toBe('accepted');
    // Before it is applied, someone uploads another inventory for the host: the differences no longer build on it.
    await call(t.app, admin, 'PUT', `/api/assets/${assetId}/inventory`, { ecosystem: 'deb', distro: 'debian', release: 'bookworm', packages: [{ name: 'bash', version: '5.2.15-2+b7', arch: 'amd64' }] });
    expect(await applyQueuedReports(t.database.db)).toEqual({ applied: 0, needsFull: 1, failed: 0 });
    const again = await report(cred, { ...diff, baseDigest: snapshotDigest(next), digest: snapshotDigest(next), added: [], removed: [] }, { seq: agentSeq + 2 });
    expect(again.json().status).toBe('full_required');
    seq = agentSeq + 1;
  });

  it('updates the register from the facts and keeps them in the audit trail', async () => {
    const res = await report(cred, { kind: 'full', packages: base }, { seq: ++seq, f: { ...reporting, addresses: ['10.0.11.2'], rebootRequired: true } });
    expect(res.json().status).toBe('accepted');
    await applyQueuedReports(t.database.db);
    const a = await assets.getAsset(t.database.db, operator, assetId);
    expect(a.ipAddresses).toEqual(['10.0.11.2']);
    const history = (await call(t.app, admin, 'GET', `/api/audit?entityType=asset&entityId=${assetId}&limit=100`)).json().items;
    expect(history.some((h: { action: string; actorName: string }) => h.action === 'asset.facts_update' && h.actorName === 'agent app-11')).toBe(true);
  });

  it('rejects invalid reports and bodies and changes nothing', async () => {
    const before = (await call(t.app, admin, 'GET', `/api/assets/${assetId}/inventory`)).json();
    const lastSeq = (await call(t.app, admin, 'GET', `/api/assets/${assetId}/agent`)).json().agent.lastSeq;
    const badVersion = await report(cred, { kind: 'full', packages: [{ name: 'zlib', version: 'not a version!', arch: 'amd64' }] }, { seq: 100 });
    expect(badVersion.statusCode).toBe(422);
    expect(badVersion.body).toContain('body.report.packages.0.version');
    const notJson = await t.app.inject({ method: 'POST', url: '/api/agent/checkin', headers: { ...bearer(cred), 'content-type': 'application/json', 'content-encoding': 'gzip' }, payload: Buffer.from('plainly not gzip') });
    expect(notJson.statusCode).toBe(400);
    const br = await t.app.inject({ method: 'POST', url: '/api/agent/checkin', headers: { ...bearer(cred), 'content-type': 'application/json', 'content-encoding': 'br' }, payload: '{}' });
    expect(br.statusCode).toBe(415);
    // 40 MiB of zeros compress to ~40 KiB: the limit applies to what it inflates to.
    const bomb = await t.app.inject({ method: 'POST', url: '/api/agent/checkin', headers: { ...bearer(cred), 'content-type': 'application/json', 'content-encoding': 'gzip' }, payload: gzipSync(Buffer.alloc(40 * 1024 * 1024, 0x20)) });
    expect(bomb.statusCode).toBe(413);
    expect((await call(t.app, admin, 'GET', `/api/assets/${assetId}/inventory`)).json()).toEqual(before);
    expect((await call(t.app, admin, 'GET', `/api/assets/${assetId}/agent`)).json().agent.lastSeq).toBe(lastSeq);
  });

  it('refuses API tokens on the check-in route and a revoked agent credential', async () => {
    const agentUser = await userWithToken(t.database, 'agent');
    const viaToken = await report(agentUser.token, { kind: 'full', packages: base }, { seq: 200 });
    expect(viaToken.statusCode).toBe(403);
    const agentId = (await call(t.app, admin, 'GET', `/api/assets/${assetId}/agent`)).json().agent.id;
    const revoked = await call(t.app, admin, 'POST', `/api/agents/${agentId}/revoke`, { reason: 'host decommissioned' });
    expect(revoked.json()).toMatchObject({ status: 'revoked', health: 'revoked' });
    const after = await report(cred, { kind: 'full', packages: base }, { seq: 201 });
    expect(after.statusCode).toBe(401);
    expect(after.json().detail).toMatch(/revoked/);
  });
});
