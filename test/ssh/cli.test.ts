/**
 * `patchloop ssh …` against the API of a test server and a real sshd:
 * set a target from a key file, scan the host key, pin it only with the
 * fingerprint that was checked, collect (exit status 1 on failure), show,
 * list and remove. The CLI runs through the same ApiClient interface as
 * the installed one.
 */
import { randomBytes } from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { Command } from 'commander';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import type { ApiClient } from '../../src/cli/client.js';
import type { Runner } from '../../src/cli/program.js';
import { sshCommands } from '../../src/cli/ssh.js';
import type { Config } from '../../src/lib/config.js';
import { call, type TestApp, testApp, userWithToken } from '../support/app.js';
import { obtainSshd, startSshd, strangerKey, type TestSshd } from '../support/sshd.js';
import { fakeRoot } from './fixtures.js';

const got = obtainSshd();
const SKIP = 'skip' in got ? got.skip : '';

describe.skipIf(!!SKIP)(SKIP || 'patchloop ssh', () => {
  let t: TestApp;
  let sshd: TestSshd;
  let token: string;
  let assetId: string;
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'patchloop-ssh-cli-'));

  /** Runs `patchloop ssh ARGS`: what it printed, on which stream, and the exit code the command asked for. */
  async function cli(...args: string[]) {
    const client: ApiClient = {
      via: 'test',
      async request(method, p, opts = {}) {
        const payload = opts.body !== undefined ? JSON.stringify(opts.body) : undefined;
        const res = await t.app.inject({ method: method as 'GET', url: p, headers: { authorization: `Bearer ${token}`, ...(payload ? { 'content-type': 'application/json' } : {}) }, payload });
        return { status: res.statusCode, headers: res.headers as Record<string, string>, body: res.body, bytes: res.rawPayload, json: () => res.json() };
      },
      async close() {},
    };
    let code = 0;
    let error: Error | undefined;
    const run: Runner = async (fn) => {
      try {
        const c = await fn(client, {} as Config);
        if (typeof c === 'number') code = c;
      } catch (e) {
        error = e as Error;
        code = 1;
      }
    };
    const out: string[] = [];
    const err: string[] = [];
    const log = vi.spyOn(console, 'log').mockImplementation((...a: unknown[]) => void out.push(a.join(' ')));
    const cerr = vi.spyOn(console, 'error').mockImplementation((...a: unknown[]) => void err.push(a.join(' ')));
    const write = vi.spyOn(process.stdout, 'write').mockImplementation((s: string | Uint8Array) => {
      out.push(String(s));
      return true;
    });
    try {
      const program = new Command('patchloop').exitOverride();
      sshCommands(program, run);
      await program.parseAsync(['node', 'patchloop', 'ssh', ...args]);
    } finally {
      log.mockRestore();
      cerr.mockRestore();
      write.mockRestore();
    }
    return { out: out.join('\n'), err: err.join('\n'), code, error };
  }

  beforeAll(async () => {
    sshd = await startSshd((got as { sshd: string }).sshd);
    t = await testApp({ env: { PATCHLOOP_SECRET_KEY: randomBytes(32).toString('base64') } });
    ({ token } = await userWithToken(t.database, 'admin', 'ssh-cli-admin'));
    assetId = (await call(t.app, token, 'POST', '/api/assets', { hostname: 'cli-ssh-host', environment: 'production', systemType: 'web_server', businessCriticality: 'high', networkExposure: 'internal' })).json().id;
    fs.writeFileSync(path.join(dir, 'id'), sshd.clientKey, { mode: 0o600 });
  });
  afterAll(async () => {
    await t?.close();
    await sshd?.stop();
    fs.rmSync(dir, { recursive: true, force: true });
  });

  it('set, scan, pin with the checked fingerprint, collect, show, list, remove', async () => {
    const root = fakeRoot();
    try {
      const set = await cli('set', assetId, '--host', sshd.host, '--port', String(sshd.port), '--user', sshd.user, '--root', root, '--key-file', path.join(dir, 'id'));
      expect(set.error).toBeUndefined();
      expect(set.out).toContain('created SSH target');
      expect(set.out).toContain('pinned host keys: none (collection is refused until a key is pinned)');
      expect(set.out).not.toContain('PRIVATE KEY');

      const refused = await cli('collect', assetId);
      expect(refused.code).toBe(1);
      expect(refused.err).toMatch(/^collection failed \(host_key_unpinned\)/);

      const scan = await cli('scan', sshd.host, '--port', String(sshd.port));
      expect(scan.code).toBe(0);
      expect(scan.out).toMatch(new RegExp(`ssh-ed25519\\s+${sshd.hostKeyFingerprint.replace(/[+/]/g, '\\$&')}`));

      const wrong = await cli('pin', assetId, '--fingerprint', `SHA256:${randomBytes(32).toString('base64').replace(/=+$/, '')}`);
      expect(wrong.code).toBe(1);
      expect(wrong.err).toContain(`offers ${sshd.hostKeyFingerprint}`);
      expect(wrong.err).toContain('nothing pinned');

      const pin = await cli('pin', assetId, '--fingerprint', sshd.hostKeyFingerprint);
      expect(pin.code).toBe(0);
      expect(pin.out).toBe(`pinned ${sshd.hostKeyFingerprint} for cli-ssh-host`);

      const collected = await cli('collect', assetId);
      expect(collected.err).toBe('');
      expect(collected.code).toBe(0);
      expect(collected.out).toMatch(/^collected 4 dpkg packages from fakehost \(Debian GNU\/Linux 12 \(bookworm\)\) in \d+ ms: 4 added, 0 removed; findings: 0 opened/);

      const show = await cli('show', assetId);
      expect(show.out).toContain(`cli-ssh-host: ${sshd.user}@${sshd.host}:${sshd.port} root ${root}`);
      expect(show.out).toMatch(/credential: key SHA256:\S+, stored encrypted/);
      expect(show.out).toMatch(/last collection: succeeded at /);

      // Changing one thing keeps the rest: the pinned key and the stored key stay.
      const moved = await cli('set', assetId, '--host-key', strangerKey());
      expect(moved.error).toBeUndefined();
      const failed = await cli('collect', assetId, '--json');
      expect(failed.code).toBe(1);
      expect(JSON.parse(failed.out)).toMatchObject({ status: 'failed', errorKind: 'host_key_changed' });

      const list = await cli('list');
      expect(list.out).toMatch(new RegExp(`cli-ssh-host\\s+${sshd.user}@127\\.0\\.0\\.1:${sshd.port}\\s+key\\s+1\\s+failed `));

      expect((await cli('remove', assetId)).out).toBe('SSH target removed');
      const gone = await cli('show', assetId);
      expect(gone.code).toBe(1);
      expect(gone.error?.message).toBe('SSH target was not found');
    } finally {
      fs.rmSync(root, { recursive: true, force: true });
    }
  });
});
