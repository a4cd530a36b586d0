/**
 * The remote half of SSH collection without ssh: the script that runs on a
 * host, run here by dash with GNU tar (Debian) and by BusyBox sh with
 * BusyBox tar (Alpine's tools), its output unpacked and collected exactly as
 * after an ssh transfer. Checks which files leave the host, that links are
 * followed inside the copy only, and that a hostile archive writes nothing
 * outside it.
 */
import { execFileSync, spawn } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { remoteScript } from '../../src/domain/ssh/remote.js';
import { ScriptOutput } from '../../src/services/ssh/extract.js';
import { collectReceived, RemoteCollectError } from '../../src/services/ssh/remote-collect.js';
import { debBinary } from '../support/sshd.js';
import { EXPECTED, fakeRoot, keysOf } from './fixtures.js';

const temps: string[] = [];
const tmp = (prefix: string) => {
  const d = fs.mkdtempSync(path.join(os.tmpdir(), prefix));
  temps.push(d);
  return d;
};
afterAll(() => {
  for (const d of temps) fs.rmSync(d, { recursive: true, force: true });
});
const onPath = (cmd: string) => (process.env.PATH ?? '').split(':').some((d) => d && fs.existsSync(path.join(d, cmd)));

/** Runs the script under `shell -s` with `PATH=pathDir` and collects what it printed, as collectOverSsh does. */
async function viaScript(shell: string, root: string, env: NodeJS.ProcessEnv = { PATH: process.env.PATH }) {
  const dir = tmp('patchloop-received-');
  const out = new ScriptOutput(dir);
  const child = spawn(shell, ['-s'], { env, stdio: ['pipe', 'pipe', 'pipe'] });
  let stderr = '';
  child.stderr.on('data', (d) => (stderr += d));
  child.stdin.end(remoteScript(root));
  for await (const chunk of child.stdout as AsyncIterable<Buffer>) await out.push(chunk);
  const code = await new Promise<number | null>((r) => (child.exitCode !== null ? r(child.exitCode) : child.once('close', r)));
  expect(code, stderr).toBe(0);
  const collection = await collectReceived(out, dir, root);
  return { collection, files: [...out.extractor.written].sort(), dir };
}

const SENT = ['etc/hostname', 'etc/hosts', 'etc/machine-id', 'etc/os-release', 'run/reboot-required', 'usr/lib/os-release', 'var/lib/dpkg/status', 'var/lib/dpkg/updates/0000', 'var/run'];

describe('dash and GNU tar (a Debian host)', () => {
  it('sends exactly the files the collectors read, and the collection is the one of the root itself', async () => {
    const root = fakeRoot();
    temps.push(root);
    const { collection, files, dir } = await viaScript('dash', root);
    expect(files).toEqual(SENT); // not etc/shadow, not dpkg's half-written updates/tmp.i
    expect(keysOf({ packages: collection.inventory.packages.map((p) => ({ ...p, sourceName: p.sourceName ?? p.name, sourceVersion: p.sourceVersion ?? p.version })) })).toEqual(EXPECTED);
    expect(collection.inventory).toMatchObject({ source: 'ssh', distro: 'debian', release: 'bookworm' });
    expect(collection.facts).toMatchObject({ hostname: 'fakehost', fqdn: 'fakehost.lab.example', machineId: 'ab'.repeat(16), rebootRequired: true, kernel: null });
    expect(collection.database.file).toBe(`${root}/var/lib/dpkg/status`);
    // The links in the copy point inside it, whatever they said on the host.
    expect(fs.readlinkSync(path.join(dir, 'var/run'))).toBe('../run');
    expect(fs.readlinkSync(path.join(dir, 'etc/os-release'))).toBe('../usr/lib/os-release');
  });

  it('a root without a package database is a clear collection error naming the host path', async () => {
    const root = tmp('patchloop-empty-root-');
    fs.mkdirSync(path.join(root, 'etc'));
    fs.writeFileSync(path.join(root, 'etc/os-release'), 'ID=debian\nVERSION_CODENAME=bookworm\n');
    const err = await viaScript('dash', root).catch((e) => e);
    expect(err).toBeInstanceOf(RemoteCollectError);
    expect(err.kind).toBe('collect_failed');
    expect(err.message).toBe(`${root}: no package database found (var/lib/dpkg/status, var/lib/rpm or usr/lib/sysimage/rpm, lib/apk/db/installed)`);
  });
});

describe('BusyBox sh and tar (the tools of an Alpine host)', () => {
  const bb = debBinary('busybox-static', 'bin/busybox');
  const why = 'skip' in bb ? `BusyBox tests skipped: ${bb.skip}` : '';
  if (why) console.warn(why);

  it.skipIf(!!why)(why || 'an Alpine root: apk database, merged /lib link, and no hostname -I', async () => {
    const applets = tmp('patchloop-busybox-');
    for (const a of ['sh', 'tar', 'uname', 'cat', 'hostname']) fs.symlinkSync((bb as { path: string }).path, path.join(applets, a));
    const root = tmp('patchloop-alpine-');
    const put = (rel: string, text: string) => {
      fs.mkdirSync(path.dirname(path.join(root, rel)), { recursive: true });
      fs.writeFileSync(path.join(root, rel), text);
    };
    put('etc/os-release', 'NAME="Alpine Linux"\nID=alpine\nVERSION_ID=3.19.1\nPRETTY_NAME="Alpine Linux v3.19"\n');
    put('etc/hostname', 'alpine1\n');
    // usr-merged layout: lib is a link, the database lives below usr/lib.
    put('usr/lib/apk/db/installed', 'C:Q1abc=\nP:musl\nV:1.2.4-r2\nA:x86_64\no:musl\n\nC:Q1def=\nP:libcrypto3\nV:3.1.4-r5\nA:x86_64\no:openssl\nF:usr/lib\nR:libcrypto.so.3\n\nP:.build-deps\nV:20240101.000000\nA:noarch\n');
    fs.symlinkSync('usr/lib', path.join(root, 'lib'));
    const { collection, files } = await viaScript(path.join(applets, 'sh'), root, { PATH: applets });
    expect(files).toEqual(['etc/hostname', 'etc/os-release', 'lib', 'usr/lib/apk/db/installed']);
    expect(collection.inventory).toMatchObject({ ecosystem: 'apk', distro: 'alpine', release: '3.19.1' });
    expect(collection.inventory.packages.map((p) => `${p.name} ${p.version} ${p.sourceName}`)).toEqual(['libcrypto3 3.1.4-r5 openssl', 'musl 1.2.4-r2 musl']);
    expect(collection.skipped.map((s) => s.name)).toEqual(['.build-deps']);
    expect(collection.facts.hostname).toBe('alpine1');
  });
});

describe('rpm (a Fedora-like host, the database behind a link)', () => {
  const why = onPath('rpm') && onPath('rpmbuild') ? '' : 'rpm tests skipped: rpm and rpmbuild are not installed (apt-get install rpm)';
  it.skipIf(!!why)(why || 'the rpm database is copied and read here with rpm', async () => {
    const top = tmp('patchloop-rpmbuild-');
    fs.mkdirSync(path.join(top, 'SPECS'));
    const spec = ['Name: plabssh', 'Version: 2.1', 'Release: 3', 'Summary: t', 'License: MIT', 'BuildArch: noarch', '%description', 't', '%files'].join('\n');
    fs.writeFileSync(path.join(top, 'SPECS/plabssh.spec'), `${spec}\n`);
    execFileSync('rpmbuild', ['-bb', '--quiet', '--define', `_topdir ${top}`, path.join(top, 'SPECS/plabssh.spec')], { stdio: 'pipe' });
    const root = tmp('patchloop-fedora-');
    fs.mkdirSync(path.join(root, 'etc'));
    fs.writeFileSync(path.join(root, 'etc/os-release'), 'ID=fedora\nVERSION_ID=40\n');
    execFileSync('rpm', ['--root', root, '--dbpath', '/usr/lib/sysimage/rpm', '--initdb'], { stdio: 'pipe' });
    execFileSync('rpm', ['--root', root, '--dbpath', '/usr/lib/sysimage/rpm', '--nodeps', '--justdb', '-i', path.join(top, 'RPMS/noarch/plabssh-2.1-3.noarch.rpm')], { stdio: 'pipe' });
    fs.mkdirSync(path.join(root, 'var/lib'), { recursive: true });
    fs.symlinkSync('../../usr/lib/sysimage/rpm', path.join(root, 'var/lib/rpm'));
    const { collection, files } = await viaScript('dash', root);
    expect(files).toContain('var/lib/rpm');
    expect(files.some((f) => f.startsWith('usr/lib/sysimage/rpm/rpmdb'))).toBe(true);
    expect(collection.inventory).toMatchObject({ ecosystem: 'rpm', distro: 'fedora', release: '40' });
    expect(collection.inventory.packages.map((p) => `${p.name} ${p.version} ${p.sourceName} ${p.sourceVersion}`)).toEqual(['plabssh 2.1-3 plabssh 2.1-3']);
  });
});

describe('a hostile archive writes nothing outside the copy', () => {
  /** An archive made by GNU tar: `etc` as a link to a folder outside, then a file below `etc`. */
  function linkThenFile(outside: string): Buffer {
    const a = tmp('patchloop-evil-a-');
    const b = tmp('patchloop-evil-b-');
    fs.symlinkSync(outside, path.join(a, 'etc'));
    fs.mkdirSync(path.join(b, 'etc'));
    fs.writeFileSync(path.join(b, 'etc/passwd'), 'evil\n');
    const file = path.join(tmp('patchloop-evil-'), 'a.tar');
    execFileSync('tar', ['-cf', file, '-C', a, 'etc']);
    execFileSync('tar', ['-rf', file, '-C', b, 'etc/passwd']);
    return fs.readFileSync(file);
  }

  it('refuses a file below a link the archive made, and a member with ..', async () => {
    const outside = tmp('patchloop-outside-');
    for (const archive of [linkThenFile(outside), execFileSync('tar', ['-cf', '-', '-P', '-C', tmp('patchloop-evil-c-'), '../../etc/hostname'], { stdio: ['ignore', 'pipe', 'ignore'] })]) {
      const dir = tmp('patchloop-received-');
      const out = new ScriptOutput(dir);
      const err = await out.push(Buffer.concat([Buffer.from('kernel=x\n@@patchloop:tar@@\n'), archive])).catch((e) => e);
      expect(String(err)).toMatch(/which the archive made a symbolic link|climbs out/);
      await out.extractor.close();
    }
    expect(fs.readdirSync(outside)).toEqual([]);
  });
});
