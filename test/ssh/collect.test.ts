/**
 * Agentless collection over SSH (INV-2, INV-3) against a real OpenSSH
 * server on a loopback port (test/support/sshd.ts), through the REST API.
 * The server reads a fake root whose packages are known, and the machine's
 * own root, compared with dpkg-query. Pinned host keys are enforced: a
 * changed key, an unknown key and no pin at all are refused and store
 * nothing. Credentials are sealed in the database (the raw row is read).
 */
import { execFileSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import { sql } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { call, type TestApp, testApp, userWithToken } from '../support/app.js';
import { seedDebianAdvisories } from '../support/advisories.js';
import { obtainSshd, startSshd, strangerKey, type TestSshd } from '../support/sshd.js';
import { EXPECTED, fakeRoot, keysOf } from './fixtures.js';

const got = obtainSshd();
const SKIP = 'skip' in got ? got.skip : '';
if (SKIP) console.warn(SKIP);

describe.skipIf(!!SKIP)(SKIP || 'SSH collection against a real sshd', () => {
  let sshd: TestSshd;
  let t: TestApp;
  let admin: string;
  let root: string;
  const api = (method: 'GET' | 'PUT' | 'POST' | 'DELETE', url: string, body?: unknown, token = admin) => call(t.app, token, method, url, body);
  const newAsset = async (hostname: string) => {
    const r = await api('POST', '/api/assets', { hostname, environment: 'production', systemType: 'web_server', businessCriticality: 'high', networkExposure: 'internal' });
    expect(r.statusCode, r.body).toBe(201);
    return r.json().id as string;
  };
  const target = (over: Record<string, unknown> = {}) => ({
    host: sshd.host, port: sshd.port, user: sshd.user, root, auth: { method: 'key', privateKey: sshd.clientKey }, hostKeys: [sshd.hostKey], ...over,
  });
  const put = async (assetId: string, body: unknown) => {
    const r = await api('PUT', `/api/assets/${assetId}/ssh-target`, body);
    expect([200, 201], r.body).toContain(r.statusCode);
    return r.json();
  };
  const collect = async (assetId: string) => {
    const r = await api('POST', `/api/assets/${assetId}/ssh-target/collect`);
    expect(r.statusCode, r.body).toBe(200);
    return r.json();
  };
  /** Logins the server accepted so far (its log says "Accepted publickey/password for …"). */
  const logins = () => (sshd.log().match(/^Accepted (publickey|password) for /gm) ?? []).length;
  const inventoryOf = async (assetId: string) => (await api('GET', `/api/assets/${assetId}/inventory`)).json();
  const auditOf = async (assetId: string, action: string) => (await api('GET', `/api/audit?entityId=${assetId}&action=${action}`)).json().items;

  beforeAll(async () => {
    sshd = await startSshd((got as { sshd: string }).sshd);
    root = fakeRoot();
    t = await testApp({ env: { PATCHLOOP_SECRET_KEY: randomBytes(32).toString('base64') } });
    ({ token: admin } = await userWithToken(t.database, 'admin'));
    await seedDebianAdvisories(t.database.db, [
      { source: 'openssl', vulnerability: 'CVE-2099-0001', release: 'bookworm', state: 'fixed', fixedVersion: '3.0.13-1~deb12u1', urgency: 'high', description: null },
      { source: 'bash', vulnerability: 'CVE-2099-0002', release: 'bookworm', state: 'fixed', fixedVersion: '5.0-1', urgency: 'low', description: null },
    ]);
  });
  afterAll(async () => {
    await t?.close();
    await sshd?.stop();
    if (root) fs.rmSync(root, { recursive: true, force: true });
  });

  it('a changed host key (another key pinned) is refused: nothing stored, the attempt kept and audited', async () => {
    const id = await newAsset('ssh-changed');
    await put(id, target({ hostKeys: [strangerKey()] }));
    const before = logins();
    const r = await collect(id);
    expect(logins(), 'ssh gave up before authenticating').toBe(before);
    expect(r).toMatchObject({ status: 'failed', errorKind: 'host_key_changed', result: null });
    expect(r.error).toContain(sshd.hostKeyFingerprint);
    expect(r.error).toMatch(/not pinned/);
    expect(await inventoryOf(id)).toBeNull();
    const tg = (await api('GET', `/api/assets/${id}/ssh-target`)).json();
    expect(tg.lastCollection).toMatchObject({ status: 'failed', errorKind: 'host_key_changed', lastSuccessAt: null, result: null });
    expect(await auditOf(id, 'ssh.collect_failed')).toHaveLength(1);
    expect(await auditOf(id, 'inventory.update')).toHaveLength(0);
  });

  it('an unknown host key (a fingerprint pin the host does not match) and no pin at all are refused before logging in', async () => {
    const id = await newAsset('ssh-unknown');
    const before = logins();
    await put(id, target({ hostKeys: [`SHA256:${randomBytes(32).toString('base64').replace(/=+$/, '')}`] }));
    const r = await collect(id);
    expect(r).toMatchObject({ status: 'failed', errorKind: 'host_key_unknown' });
    expect(r.error).toContain(sshd.hostKeyFingerprint);
    await put(id, target({ hostKeys: [], auth: { method: 'key' } }));
    expect(await collect(id)).toMatchObject({ status: 'failed', errorKind: 'host_key_unpinned' });
    expect(await inventoryOf(id)).toBeNull();
    expect(logins()).toBe(before);
  });

  it('with the pinned key: the fake root\'s packages are stored, findings matched, the change audited', async () => {
    const id = await newAsset('ssh-good');
    const created = await api('PUT', `/api/assets/${id}/ssh-target`, target());
    expect(created.statusCode).toBe(201);
    const before = logins();
    const r = await collect(id);
    expect(r.status, r.error).toBe('succeeded');
    expect(logins()).toBe(before + 1);
    expect(r.result).toMatchObject({ packages: 4, added: 4, removed: 0, unchanged: false, skipped: 1, database: 'dpkg', hostname: 'fakehost', machineId: 'ab'.repeat(16), hostKey: sshd.hostKeyFingerprint, os: 'Debian GNU/Linux 12 (bookworm)' });
    expect(r.result.kernel).toBeNull(); // another root: the running kernel is not its kernel
    expect(r.result.findings).toEqual({ opened: 2, reopened: 0, resolved: 0 });
    const inv = await inventoryOf(id);
    expect(inv).toMatchObject({ distro: 'debian', release: 'bookworm', source: 'ssh', openFindings: 2 });
    expect(keysOf(inv)).toEqual(EXPECTED);
    const findings = (await api('GET', `/api/findings?assetId=${id}&status=open`)).json().items.map((f: { vulnerabilityId: string; package: string }) => `${f.vulnerabilityId} ${f.package}`).sort();
    expect(findings).toEqual(['CVE-2099-0001 libssl3', 'CVE-2099-0001 openssl']);
    const [rec] = await auditOf(id, 'inventory.update');
    expect(rec.after).toMatchObject({ source: 'ssh', packages: 4 });
    expect(rec.after.added).toContain('zlib1g:amd64 1:1.2.13.dfsg-1+b1');
    const tg = (await api('GET', `/api/assets/${id}/ssh-target`)).json();
    expect(tg.lastCollection).toMatchObject({ status: 'succeeded', errorKind: null, error: null, result: { packages: 4 } });
    expect(tg.lastCollection.lastSuccessAt).toBe(tg.lastCollection.at);
    expect((await api('GET', `/api/assets/${id}/agent`)).json().facts).toMatchObject({ machineId: 'ab'.repeat(16), source: 'ssh', os: { id: 'debian' } });
    // Again: nothing changed, nothing new in the trail.
    expect((await collect(id)).result).toMatchObject({ unchanged: true, packages: 4 });
    expect(await auditOf(id, 'inventory.update')).toHaveLength(1);
  });

  it('replaces only the OS packages: application components from an SBOM stay', async () => {
    const id = await newAsset('ssh-sbom');
    const sbom = { bomFormat: 'CycloneDX', specVersion: '1.5', components: [{ type: 'library', name: 'lodash', version: '4.17.20', purl: 'pkg:npm/lodash@4.17.20' }] };
    const imp = await api('POST', `/api/assets/${id}/inventory/import`, { format: 'cyclonedx', release: 'bookworm', content: JSON.stringify(sbom) });
    expect(imp.statusCode, imp.body).toBe(200);
    await put(id, target());
    expect((await collect(id)).status).toBe('succeeded');
    const names = (await inventoryOf(id)).packages.map((p: { name: string; ecosystem: string }) => `${p.ecosystem} ${p.name}`);
    expect(names).toContain('npm lodash');
    expect(names.filter((n: string) => n.startsWith('deb '))).toHaveLength(4);
  });

  it('a fingerprint pin is enough: the offered key is taken only because its fingerprint is pinned (and a CRLF key is read)', async () => {
    const id = await newAsset('ssh-fingerprint');
    await put(id, target({ hostKeys: [sshd.hostKeyFingerprint], auth: { method: 'key', privateKey: sshd.clientKey.replace(/\n/g, '\r\n') } }));
    const r = await collect(id);
    expect(r.status, r.error).toBe('succeeded');
    expect(r.result.hostKey).toBe(sshd.hostKeyFingerprint);
  });

  it('credentials are sealed in the database, never returned, and open only in their own row', async () => {
    const id = await newAsset('ssh-sealed');
    const created = await api('PUT', `/api/assets/${id}/ssh-target`, target({ auth: { method: 'key', ...sshd.encryptedKey } }));
    expect(created.body).not.toContain('PRIVATE KEY');
    expect(created.body).not.toContain(sshd.encryptedKey.passphrase);
    expect(created.json().auth).toMatchObject({ method: 'key', set: true, passphrase: true, keyFingerprint: expect.stringMatching(/^SHA256:/) });
    const { rows } = await sql<{ credential: string }>`select credential from ssh_targets where asset_id = ${id}`.execute(t.database.db);
    const raw = rows[0]?.credential as string;
    expect(raw).toMatch(/^v1\.[0-9a-f]{12}\./);
    expect(raw).not.toContain('PRIVATE KEY');
    expect(raw).not.toContain(sshd.encryptedKey.passphrase);
    for (const line of sshd.encryptedKey.privateKey.split('\n').filter((l) => l.length > 20)) expect(raw).not.toContain(line);
    expect(Buffer.from(raw.split('.')[4] as string, 'base64url').toString('latin1')).not.toContain('PRIVATE KEY');
    const all = JSON.stringify((await api('GET', '/api/ssh-targets')).json());
    expect(all).not.toContain('PRIVATE KEY');
    expect(all).not.toContain(sshd.encryptedKey.passphrase);
    expect((await collect(id)).status).toBe('succeeded'); // the passphrase reaches ssh through SSH_ASKPASS

    // A sealed credential copied into another target's row does not open there.
    const other = await newAsset('ssh-copied');
    await put(other, target());
    await sql`update ssh_targets set credential = ${raw} where asset_id = ${other}`.execute(t.database.db);
    const r = await collect(other);
    expect(r).toMatchObject({ status: 'failed', errorKind: 'credentials_unavailable' });
    expect(r.error).toMatch(/does not decrypt/);
  });

  it('the machine\'s own root over SSH equals dpkg-query -W, with the live kernel', async (ctx) => {
    ctx.skip(!fs.existsSync('/var/lib/dpkg/status'), 'not a dpkg system');
    const id = await newAsset('ssh-self');
    await put(id, target({ root: '/' }));
    // biome-ignore lint/suspicious/noTemplateCurlyInString: dpkg-query's own ${field} syntax
    const fmt = '${Package} ${Architecture} ${Version} ${source:Package} ${source:Version} ${db:Status-Status}\\n';
    const query = () => execFileSync('dpkg-query', ['-W', '-f', fmt], { encoding: 'utf8' }).split('\n').filter((l) => l.endsWith(' installed')).map((l) => l.replace(/ installed$/, '')).sort();
    for (let attempt = 1; ; attempt++) {
      const before = query();
      const r = await collect(id);
      const after = query();
      if (JSON.stringify(before) !== JSON.stringify(after) && attempt < 4) continue; // apt ran meanwhile
      expect(r.status, r.error).toBe('succeeded');
      expect(keysOf(await inventoryOf(id))).toEqual(before);
      expect(before.length).toBeGreaterThan(50);
      expect(r.result.kernel).toBe(os.release());
      // The host facts reach the asset page as an agent's do.
      const facts = (await api('GET', `/api/assets/${id}/agent`)).json().facts;
      expect(facts).toMatchObject({ kernel: os.release(), source: 'ssh' });
      return;
    }
  });

  it('password authentication goes through SSH_ASKPASS; a wrong password is an authentication failure', async (ctx) => {
    ctx.skip(!sshd.password, 'the test sshd offers password login only when the tests run as root (it needs the shadow file)');
    const id = await newAsset('ssh-password');
    await put(id, target({ auth: { method: 'password', password: 'not the password' } }));
    expect(await collect(id)).toMatchObject({ status: 'failed', errorKind: 'auth_failed' });
    const tg = await put(id, target({ auth: { method: 'password', password: sshd.password } }));
    expect(tg.auth).toEqual({ method: 'password', set: true, keyFingerprint: null, passphrase: false });
    expect((await collect(id)).status).toBe('succeeded');
  });

  it('bad input is refused naming the field, and nothing is stored', async () => {
    const id = await newAsset('ssh-invalid');
    const bad = await api('PUT', `/api/assets/${id}/ssh-target`, target({ hostKeys: [sshd.hostKey, 'ssh-ed25519 not-base64!', 'MD5:aa:bb'], auth: { method: 'key', privateKey: sshd.encryptedKey.privateKey, passphrase: 'wrong' } }));
    expect(bad.statusCode).toBe(422);
    const fields = bad.json().errors.map((e: { field: string }) => e.field);
    expect(fields).toEqual(['body.hostKeys.1', 'body.hostKeys.2', 'body.auth.passphrase']);
    const noPass = await api('PUT', `/api/assets/${id}/ssh-target`, target({ auth: { method: 'key', privateKey: sshd.encryptedKey.privateKey } }));
    expect(noPass.json().errors).toEqual([{ field: 'body.auth.passphrase', message: expect.stringMatching(/passphrase/) }]);
    const notKey = await api('PUT', `/api/assets/${id}/ssh-target`, target({ auth: { method: 'key', privateKey: '-----BEGIN OPENSSH PRIVATE KEY-----\nAAAA\n-----END OPENSSH PRIVATE KEY-----\n' } }));
    expect(notKey.json().errors[0].field).toBe('body.auth.privateKey');
    const noCred = await api('PUT', `/api/assets/${id}/ssh-target`, target({ auth: { method: 'key' } }));
    expect(noCred.json().errors).toEqual([{ field: 'body.auth.privateKey', message: 'is required for a new target' }]);
    for (const host of ['-oProxyCommand=x', 'a b', '[::1]']) expect((await api('PUT', `/api/assets/${id}/ssh-target`, target({ host }))).statusCode).toBe(400);
    expect((await api('PUT', `/api/assets/${id}/ssh-target`, target({ root: "/tmp/x'; rm -rf /" }))).statusCode).toBe(400);
    expect((await api('GET', `/api/assets/${id}/ssh-target`)).statusCode).toBe(404);
    expect(await auditOf(id, 'ssh_target.create')).toHaveLength(0);
  });

  it('failures say what happened: a missing root directory, a closed port', async () => {
    const id = await newAsset('ssh-failures');
    await put(id, target({ root: '/nonexistent/patchloop-root' }));
    const r = await collect(id);
    expect(r).toMatchObject({ status: 'failed', errorKind: 'remote_failed' });
    expect(r.error).toContain('cannot change to directory /nonexistent/patchloop-root');
    await put(id, target({ port: 1, auth: { method: 'key' } }));
    const closed = await collect(id);
    expect(closed).toMatchObject({ status: 'failed', errorKind: 'unreachable' });
    expect(closed.error).toMatch(/Connection refused/);
  });

  it('roles: system owners manage their own assets only, auditors read, only administrators scan host keys', async () => {
    const owner = await userWithToken(t.database, 'system_owner');
    const auditor = await userWithToken(t.database, 'auditor');
    const theirs = await newAsset('ssh-not-owned');
    expect((await api('PUT', `/api/assets/${theirs}/ssh-target`, target(), owner.token)).statusCode).toBe(403);
    const mine = (await api('POST', '/api/assets', { hostname: 'ssh-owned', environment: 'production', systemType: 'web_server', businessCriticality: 'high', networkExposure: 'internal', ownerUserId: owner.user.id }, owner.token)).json().id;
    expect((await api('PUT', `/api/assets/${mine}/ssh-target`, target(), owner.token)).statusCode).toBe(201);
    expect((await api('POST', `/api/assets/${mine}/ssh-target/collect`, undefined, owner.token)).json().status).toBe('succeeded');
    expect((await api('GET', `/api/assets/${mine}/ssh-target`, undefined, auditor.token)).statusCode).toBe(200);
    expect((await api('POST', `/api/assets/${mine}/ssh-target/collect`, undefined, auditor.token)).statusCode).toBe(403);
    expect((await api('POST', '/api/ssh/host-keys/scan', { host: sshd.host, port: sshd.port }, owner.token)).statusCode).toBe(403);
    const scan = await api('POST', '/api/ssh/host-keys/scan', { host: sshd.host, port: sshd.port });
    expect(scan.json().keys).toEqual([{ type: 'ssh-ed25519', key: sshd.hostKey.split(' ')[1], fingerprint: sshd.hostKeyFingerprint, line: sshd.hostKey }]);
    expect((await api('POST', '/api/ssh/host-keys/scan', { host: '127.0.0.1', port: 1 })).json().keys).toEqual([]);
    expect((await api('DELETE', `/api/assets/${mine}/ssh-target`, undefined, owner.token)).statusCode).toBe(204);
    expect(await auditOf(mine, 'ssh_target.delete')).toHaveLength(1);
  });
});
