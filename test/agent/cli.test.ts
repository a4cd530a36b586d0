import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';

/** `patchloop agent inventory` as a process (tsx from the sources): what the agent would send, printed. */
function agent(args: string[]) {
  const r = spawnSync(process.execPath, ['--import', 'tsx', 'src/main/cli.ts', 'agent', 'inventory', ...args], { encoding: 'utf8', timeout: 60_000, env: { ...process.env, DATABASE_URL: '' } });
  return { code: r.status, out: r.stdout, err: r.stderr };
}

const root = fs.mkdtempSync(path.join(os.tmpdir(), 'patchloop-agent-cli-'));
afterAll(() => fs.rmSync(root, { recursive: true, force: true }));
fs.mkdirSync(path.join(root, 'etc'), { recursive: true });
fs.mkdirSync(path.join(root, 'lib/apk/db'), { recursive: true });
fs.writeFileSync(path.join(root, 'etc/os-release'), 'ID=alpine\nVERSION_ID=3.19.1\nPRETTY_NAME="Alpine Linux v3.19"\n');
fs.writeFileSync(path.join(root, 'etc/hostname'), 'edge-07\n');
fs.writeFileSync(path.join(root, 'lib/apk/db/installed'), 'P:busybox-binsh\nV:1.36.1-r15\nA:x86_64\no:busybox\n\nP:musl\nV:1.2.4_git20230717-r4\nA:x86_64\no:musl\n\n');

describe('patchloop agent inventory', { timeout: 120_000 }, () => {
  it('prints the inventory of a mounted root as the server takes it', () => {
    const r = agent(['--root', root, '--json']);
    expect(r.code, r.err).toBe(0);
    const out = JSON.parse(r.out);
    expect(out.facts.hostname).toBe('edge-07');
    expect(out.inventory).toMatchObject({ ecosystem: 'apk', distro: 'alpine', release: '3.19.1', source: 'agent' });
    expect(out.inventory.packages).toEqual([
      { name: 'busybox-binsh', version: '1.36.1-r15', arch: 'x86_64', sourceName: 'busybox', sourceVersion: '1.36.1-r15' },
      { name: 'musl', version: '1.2.4_git20230717-r4', arch: 'x86_64', sourceName: 'musl', sourceVersion: '1.2.4_git20230717-r4' },
    ]);
  });

  it('names the file and block of a broken package database and exits non-zero', () => {
    fs.writeFileSync(path.join(root, 'lib/apk/db/installed'), 'P:busybox\nthis is not a field\n\n');
    const r = agent(['--root', root]);
    expect(r.code).toBe(1);
    expect(r.err).toContain('lib/apk/db/installed');
  });
});
