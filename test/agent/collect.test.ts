/**
 * The collectors against the real tools: dpkg-query on this machine and on
 * Debian roots, rpm databases built with rpmbuild/rpm, an apk database file.
 * Nothing is mocked; each expectation comes from the tool that owns the format.
 */
import { execFile } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { collectInventory } from '../../src/agent/collect/index.js';
import type { Inventory } from '../../src/domain/inventory/inventory.js';
import { compareVersions } from '../../src/domain/versions/index.js';

const exec = promisify(execFile);
const sh = async (cmd: string, args: string[]) => (await exec(cmd, args, { encoding: 'utf8', maxBuffer: 1 << 28, env: { ...process.env, LC_ALL: 'C' } })).stdout;
const onPath = (cmd: string) => (process.env['PATH'] ?? '').split(':').some((d) => d && fs.existsSync(path.join(d, cmd)));

const temps: string[] = [];
afterAll(() => {
  // A debootstrap that died half-way can leave /proc or /dev mounted in its root: never recurse into a mount.
  const mounts = fs.readFileSync('/proc/self/mounts', 'utf8').split('\n').map((l) => l.split(' ')[1] ?? '');
  for (const t of temps) {
    const inside = mounts.filter((m) => m.startsWith(`${t}/`));
    if (inside.length) console.warn(`left ${t} in place: ${inside.join(', ')} still mounted`);
    else fs.rmSync(t, { recursive: true, force: true });
  }
});
/** A temporary root holding the given files. */
function mkroot(files: Record<string, string>): string {
  const root = fs.mkdtempSync(path.join(os.tmpdir(), 'plcollect-'));
  temps.push(root);
  for (const [rel, text] of Object.entries(files)) {
    fs.mkdirSync(path.dirname(path.join(root, rel)), { recursive: true });
    fs.writeFileSync(path.join(root, rel), text);
  }
  return root;
}
const osRelease = (fields: Record<string, string>) => Object.entries(fields).map(([k, v]) => `${k}="${v}"\n`).join('');
const DEBIAN = osRelease({ PRETTY_NAME: 'Debian GNU/Linux 12 (bookworm)', ID: 'debian', VERSION_ID: '12', VERSION_CODENAME: 'bookworm' });

const invKeys = (inv: Inventory) => inv.packages.map((p) => [p.name, p.arch, p.version, p.sourceName, p.sourceVersion].join(' ')).sort();

/** dpkg-query's view: installed packages as "name arch version source sourceVersion", and the partly installed ones. */
async function dpkgQuery(admindir?: string) {
  // biome-ignore lint/suspicious/noTemplateCurlyInString: dpkg-query's own ${field} syntax
  const fmt = '${binary:Package}\\t${Package}\\t${Architecture}\\t${Version}\\t${source:Package}\\t${source:Version}\\t${db:Status-Status}\\n';
  const out = await sh('dpkg-query', [...(admindir ? [`--admindir=${admindir}`] : []), '-W', '-f', fmt]);
  const installed: string[] = [];
  const partial: string[] = [];
  for (const line of out.split('\n').filter(Boolean)) {
    const [binary, name, arch, version, src, srcVersion, state] = line.split('\t') as string[];
    // binary:Package qualifies Multi-Arch: same packages with ":arch"; we carry name and arch apart.
    expect([name, `${name}:${arch}`]).toContain(binary);
    if (state === 'installed') installed.push([name, arch, version, src, srcVersion].join(' '));
    else if (!['config-files', 'not-installed'].includes(state as string)) partial.push(name as string);
  }
  return { installed: installed.sort(), partial: partial.sort() };
}

describe('dpkg', () => {
  const noDpkg = !onPath('dpkg-query') && 'dpkg-query is not installed (a Debian machine has it)';
  it('this machine: the inventory equals dpkg-query -W, and the facts equal what the system says', async (ctx) => {
    ctx.skip(!!noDpkg, noDpkg || '');
    // Other processes may run apt meanwhile: compare only against a database that held still.
    for (let attempt = 1; ; attempt++) {
      const before = await dpkgQuery();
      const c = await collectInventory({ root: '/' });
      const after = await dpkgQuery();
      if (JSON.stringify(before) !== JSON.stringify(after) && attempt < 5) {
        await new Promise((r) => setTimeout(r, 2000));
        continue;
      }
      expect(invKeys(c.inventory)).toEqual(before.installed);
      expect(before.installed.length).toBeGreaterThan(50);
      expect(c.skipped.map((s) => s.name).sort()).toEqual(before.partial);
      expect(c.database).toEqual({ kind: 'dpkg', file: '/var/lib/dpkg/status' });
      const osr = fs.readFileSync('/etc/os-release', 'utf8');
      expect(c.inventory).toMatchObject({ ecosystem: 'deb', distro: /^ID=(\S+)/m.exec(osr)?.[1], release: /^VERSION_CODENAME=(\S+)/m.exec(osr)?.[1], source: 'agent' });
      const f = c.facts;
      expect(f.machineId).toBe(fs.readFileSync('/etc/machine-id', 'utf8').trim());
      expect(f.kernel).toBe((await sh('uname', ['-r'])).trim());
      expect(f.hostname).toBe(fs.existsSync('/etc/hostname') ? fs.readFileSync('/etc/hostname', 'utf8').trim() : os.hostname());
      expect(Math.abs((f.uptimeSeconds ?? -1) - Number.parseFloat(fs.readFileSync('/proc/uptime', 'utf8')))).toBeLessThan(5);
      expect(f.rebootRequired).toBe(fs.existsSync('/var/run/reboot-required'));
      // hostname -I prints every address except loopback and IPv6 link-local.
      const hostnameI = (await sh('hostname', ['-I'])).trim().split(/\s+/).filter((a) => a && !a.startsWith('169.254.'));
      expect(f.addresses).toEqual(hostnameI.sort());
      return;
    }
  });

  const EXTRA = `
Package: plab-binnmu
Status: install ok installed
Maintainer: Lab <lab@example.invalid>
Architecture: amd64
Source: plab-src (1.2-3)
Version: 1.2-3+b1
Description: binNMU: the source version differs

Package: plab-gone
Status: deinstall ok config-files
Maintainer: Lab <lab@example.invalid>
Architecture: amd64
Version: 0.1-1
Description: only its configuration is left

Package: plab-half
Status: install reinstreq half-installed
Maintainer: Lab <lab@example.invalid>
Architecture: amd64
Version: 2.0-1
Description: an interrupted install

Package: libplab1
Status: install ok installed
Maintainer: Lab <lab@example.invalid>
Architecture: i386
Multi-Arch: same
Version: 1.0-1
Description: foreign architecture

Package: libplab1
Status: install ok installed
Maintainer: Lab <lab@example.invalid>
Architecture: amd64
Multi-Arch: same
Version: 1.0-1
Description: native architecture

Package: plab-archchange
Status: install ok installed
Maintainer: Lab <lab@example.invalid>
Architecture: amd64
Version: 1.0-1
Description: becomes Architecture: all in the journal
`;
  const record = (name: string, arch: string, version: string, source = '') =>
    `Package: ${name}\nStatus: install ok installed\nMaintainer: Lab <lab@example.invalid>\nArchitecture: ${arch}\n${source}Version: ${version}\nDescription: t\n`;

  it("a Debian root: this machine's status plus edge cases and dpkg's update journal, as dpkg-query --admindir sees it", async (ctx) => {
    ctx.skip(!!noDpkg, noDpkg || '');
    const root = mkroot({
      'usr/lib/os-release': osRelease({ ID: 'debian', VERSION_ID: '13', VERSION_CODENAME: 'plabtest', PRETTY_NAME: 'Plab Debian' }),
      'var/lib/dpkg/status': `${fs.readFileSync('/var/lib/dpkg/status', 'utf8').trimEnd()}\n${EXTRA}`,
      'var/lib/dpkg/updates/0000': record('plab-binnmu', 'amd64', '1.2-3+b2', 'Source: plab-src (1.2-3)\n'),
      'var/lib/dpkg/updates/0001': `${record('plab-new', 'all', '1:4.0-1', 'Source: plab-src\n')}\n${record('plab-archchange', 'all', '1.1-1')}`,
      'var/lib/dpkg/updates/tmp.i': 'being written, not read\n',
      'run/reboot-required': '',
      'var/lib/dbus/machine-id': 'aaaabbbbccccddddeeeeffff00001111\n',
      'etc/hostname': 'fakehost\n',
      'etc/hosts': '127.0.0.1 localhost\n127.0.1.1 fakehost.lab.example fakehost\n',
    });
    // Absolute and escaping links resolve inside the root, as in a chroot, never to this machine's files.
    fs.symlinkSync('/usr/lib/os-release', path.join(root, 'etc/os-release'));
    fs.symlinkSync('/run', path.join(root, 'var/run'));
    fs.symlinkSync('../../../../../../../var/lib/dbus/machine-id', path.join(root, 'etc/machine-id'));

    const c = await collectInventory({ root });
    const expected = await dpkgQuery(path.join(root, 'var/lib/dpkg'));
    expect(invKeys(c.inventory)).toEqual(expected.installed);
    const mine = invKeys(c.inventory).filter((k) => /plab/.test(k));
    expect(mine).toEqual([
      'libplab1 amd64 1.0-1 libplab1 1.0-1',
      'libplab1 i386 1.0-1 libplab1 1.0-1',
      'plab-archchange all 1.1-1 plab-archchange 1.1-1',
      'plab-binnmu amd64 1.2-3+b2 plab-src 1.2-3',
      'plab-new all 1:4.0-1 plab-src 1:4.0-1',
    ]);
    expect(c.skipped).toEqual([{ name: 'plab-half', version: '2.0-1', arch: 'amd64', reason: 'dpkg state is half-installed, not installed' }]);
    expect(c.inventory).toMatchObject({ distro: 'debian', release: 'plabtest' });
    expect(c.facts).toEqual({
      hostname: 'fakehost',
      fqdn: 'fakehost.lab.example',
      machineId: 'aaaabbbbccccddddeeeeffff00001111',
      kernel: null,
      uptimeSeconds: null,
      rebootRequired: true,
      os: { id: 'debian', versionId: '13', codename: 'plabtest', prettyName: 'Plab Debian' },
      addresses: [],
    });
  });

  it('Ubuntu: release is VERSION_ID, the key the matching engine uses; an invalid version is skipped with the reason', async () => {
    const root = mkroot({
      'etc/os-release': osRelease({ NAME: 'Ubuntu', ID: 'ubuntu', ID_LIKE: 'debian', VERSION_ID: '22.04', VERSION_CODENAME: 'jammy', PRETTY_NAME: 'Ubuntu 22.04.4 LTS' }),
      'var/lib/dpkg/status': `${record('openssl', 'amd64', '3.0.2-0ubuntu1.15')}\n${record('weird', 'amd64', 'v1_0')}`,
    });
    const c = await collectInventory({ root });
    expect(c.inventory).toMatchObject({ ecosystem: 'deb', distro: 'ubuntu', release: '22.04' });
    expect(invKeys(c.inventory)).toEqual(['openssl amd64 3.0.2-0ubuntu1.15 openssl 3.0.2-0ubuntu1.15']);
    expect(c.skipped).toEqual([{ name: 'weird', version: 'v1_0', arch: 'amd64', reason: expect.stringMatching(/^invalid deb version: /) }]);
    expect(c.facts.rebootRequired).toBe(false);
  });

  it('a status file several read buffers long, multi-byte text across their boundaries: still exact, errors still on the right line', async (ctx) => {
    ctx.skip(!!noDpkg, noDpkg || '');
    const desc = 'Ünïcödé ✓ ключ 鍵 '.repeat(20);
    const recs = Array.from({ length: 4000 }, (_, i) => record(`plab-big${i}`, i % 2 ? 'all' : 'amd64', `${i}.0-1`, i % 3 ? `Source: plab-bigsrc${i % 7} (${i}.0-1)\n` : '').replace('Description: t', `Description: ${desc}${i}`));
    const text = recs.join('\n');
    expect(Buffer.byteLength(text)).toBeGreaterThan(2 << 20);
    const root = mkroot({ 'etc/os-release': DEBIAN, 'var/lib/dpkg/status': text });
    const c = await collectInventory({ root });
    expect(c.inventory.packages).toHaveLength(4000);
    expect(invKeys(c.inventory)).toEqual((await dpkgQuery(path.join(root, 'var/lib/dpkg'))).installed);
    const n = text.split('\n').length - 1; // the file's lines; a blank line and "Package: last" follow
    fs.appendFileSync(path.join(root, 'var/lib/dpkg/status'), '\nPackage: last\nno colon here\n');
    await expect(collectInventory({ root })).rejects.toThrow(`status: line ${n + 3}: expected "Field: value", got "no colon here"`);
  });

  it('a malformed status file is refused naming the file and line; size and file type are bounded', async () => {
    const good = record('a', 'amd64', '1.0-1');
    const root = mkroot({ 'etc/os-release': DEBIAN, 'var/lib/dpkg/status': `${good}\n${good.replace('a\n', 'b\n')}\n\n${record('c', 'all', '1')}garbage line\n` });
    const status = path.join(root, 'var/lib/dpkg/status');
    // Lines: 2 records of 6 + their blank lines, one extra blank line, then record c (lines 16-21) and the garbage on line 22.
    await expect(collectInventory({ root })).rejects.toThrow(`${status}: line 22: expected "Field: value", got "garbage line"`);
    await expect(collectInventory({ root, maxBytes: 100 })).rejects.toThrow(/bytes is more than the limit of 100 bytes/);
    fs.rmSync(status);
    await sh('mkfifo', [status]); // would block a plain open() for ever
    await expect(collectInventory({ root })).rejects.toThrow(`${status}: not a regular file`);
  });

  it('no os-release or no package database: a clear error', async () => {
    await expect(collectInventory({ root: mkroot({ 'var/lib/dpkg/status': '' }) })).rejects.toThrow(/no os-release/);
    await expect(collectInventory({ root: mkroot({ 'etc/os-release': DEBIAN }) })).rejects.toThrow(/no package database found/);
  });

  it.runIf(process.env['PATCHLOOP_TEST_DEBOOTSTRAP'] === '1')('a Debian minbase root made by debootstrap (PATCHLOOP_TEST_DEBOOTSTRAP=1; .ci/run sets it)', { timeout: 900_000 }, async (ctx) => {
    ctx.skip(!!noDpkg, noDpkg || '');
    if (!fs.existsSync('/usr/sbin/debootstrap')) throw new Error('PATCHLOOP_TEST_DEBOOTSTRAP=1 needs /usr/sbin/debootstrap (apt-get install debootstrap)');
    const codename = /^VERSION_CODENAME=(\S+)/m.exec(fs.readFileSync('/etc/os-release', 'utf8'))?.[1] ?? 'bookworm';
    const mirror = (await sh('apt-get', ['indextargets', '--format', '$(REPO_URI)', `Codename: ${codename}`, 'Created-By: Packages'])).split('\n')[0];
    const root = mkroot({});
    await sh('/usr/sbin/debootstrap', ['--variant=minbase', codename, root, mirror as string]);
    const c = await collectInventory({ root });
    expect(invKeys(c.inventory)).toEqual((await dpkgQuery(path.join(root, 'var/lib/dpkg'))).installed);
    expect(c.inventory).toMatchObject({ distro: 'debian', release: codename });
  });
});

describe('rpm', () => {
  const tools = onPath('rpm') && onPath('rpmbuild');
  const why = 'rpm and rpmbuild are not installed (apt-get install rpm)';
  let top = '';
  const spec = (name: string, head: string, body = '') =>
    `%define debug_package %{nil}\nName: ${name}\n${head}Summary: t\nLicense: MIT\n%description\nt\n${body}%install\nmkdir -p %{buildroot}/usr/share/${name}\necho x > %{buildroot}/usr/share/${name}/f\n%files\n/usr/share/${name}/f\n`;
  const rpms = () => fs.readdirSync(path.join(top, 'RPMS'), { recursive: true, encoding: 'utf8' }).filter((f) => f.endsWith('.rpm')).map((f) => path.join(top, 'RPMS', f));
  /** rpm's name for this machine's architecture (x86_64, aarch64), the folder rpmbuild put plabtwo in. */
  const rpmArch = () => fs.readdirSync(path.join(top, 'RPMS')).find((d) => d !== 'noarch') as string;
  /** A root with a fresh rpm database at dbPath holding the built packages. */
  async function rpmRoot(osr: string, dbPath: string, extra: Record<string, string> = {}) {
    const root = mkroot({ 'etc/os-release': osr, ...extra });
    await sh('rpm', ['--root', root, '--dbpath', dbPath, '--initdb']);
    await sh('rpm', ['--root', root, '--dbpath', dbPath, '--nodeps', '-i', ...rpms()]);
    return root;
  }

  beforeAll(async () => {
    if (!tools) return;
    top = mkroot({
      'SPECS/plabone.spec': spec('plabone', 'Epoch: 0\nVersion: 1.0\nRelease: 1\nBuildArch: noarch\n'),
      // A library subpackage: its source RPM is plabtwo's, and it carries plabtwo's epoch.
      'SPECS/plabtwo.spec': `${spec('plabtwo', 'Epoch: 2\nVersion: 3.1~rc1\nRelease: 4.el9\n', '%package libs\nSummary: l\n%description libs\nl\n')}%files libs\n`,
    });
    for (const s of ['plabone', 'plabtwo']) await sh('rpmbuild', ['-bb', '--quiet', '--define', `_topdir ${top}`, path.join(top, 'SPECS', `${s}.spec`)]);
  }, 120_000);

  const ROCKY = osRelease({ NAME: 'Rocky Linux', ID: 'rocky', ID_LIKE: 'rhel centos fedora', VERSION_ID: '9.4', PRETTY_NAME: 'Rocky Linux 9.4 (Blue Onyx)' });

  it('a database made with rpmbuild and rpm --root: the inventory equals rpm -qa, without gpg-pubkey', async (ctx) => {
    ctx.skip(!tools, why);
    const root = await rpmRoot(ROCKY, '/var/lib/rpm');
    if (onPath('gpg')) {
      // An imported signing key is listed by rpm -qa as gpg-pubkey; it is not software.
      const gnupg = mkroot({});
      fs.chmodSync(gnupg, 0o700);
      const env = { ...process.env, GNUPGHOME: gnupg };
      await exec('gpg', ['-q', '--batch', '--passphrase', '', '--quick-gen-key', 'Plab <plab@example.invalid>', 'rsa2048', 'sign', 'never'], { env });
      fs.writeFileSync(path.join(gnupg, 'key.asc'), (await exec('gpg', ['--armor', '--export'], { env })).stdout);
      await exec('gpgconf', ['--kill', 'gpg-agent'], { env }).catch(() => {});
      await sh('rpm', ['--root', root, '--dbpath', '/var/lib/rpm', '--import', path.join(gnupg, 'key.asc')]);
    }
    const qa = await sh('rpm', ['--root', root, '--dbpath', '/var/lib/rpm', '-qa', '--qf', '%{NAME}\\t%{EPOCHNUM}\\t%{VERSION}\\t%{RELEASE}\\t%{ARCH}\\t%{SOURCERPM}\\n']);
    const rows = qa.split('\n').filter(Boolean).map((l) => l.split('\t') as [string, string, string, string, string, string]);
    if (onPath('gpg')) expect(rows.map((r) => r[0])).toContain('gpg-pubkey');

    const c = await collectInventory({ root });
    expect(c.inventory).toMatchObject({ ecosystem: 'rpm', distro: 'rocky', release: '9.4' });
    expect(c.database).toEqual({ kind: 'rpm', file: path.join(root, 'var/lib/rpm/rpmdb.sqlite') });
    const fromRpm = rows
      .filter((r) => r[0] !== 'gpg-pubkey')
      .map(([name, epoch, v, r, arch, srpm]) => {
        const m = /^(.+)-([^-]+)-([^-]+)\.src\.rpm$/.exec(srpm) as RegExpExecArray;
        return { name, arch, evr: `${epoch}:${v}-${r}`, src: m[1], srcEvr: `${epoch}:${m[2]}-${m[3]}` };
      })
      .sort((a, b) => a.name.localeCompare(b.name));
    expect(c.inventory.packages.map((p) => [p.name, p.arch, p.sourceName])).toEqual(fromRpm.map((r) => [r.name, r.arch, r.src]));
    c.inventory.packages.forEach((p, i) => {
      expect(compareVersions('rpm', p.version, fromRpm[i]?.evr as string)).toBe(0);
      expect(compareVersions('rpm', p.sourceVersion as string, fromRpm[i]?.srcEvr as string)).toBe(0);
    });
    const arch = rpmArch();
    expect(arch).toMatch(/^[a-z0-9_]+$/);
    expect(invKeys(c.inventory)).toEqual([
      'plabone noarch 1.0-1 plabone 1.0-1',
      `plabtwo ${arch} 2:3.1~rc1-4.el9 plabtwo 2:3.1~rc1-4.el9`,
      `plabtwo-libs ${arch} 2:3.1~rc1-4.el9 plabtwo 2:3.1~rc1-4.el9`,
    ]);
    expect(c.facts.rebootRequired).toBeNull();
  });

  it("AlmaLinux with a dpkg database beside rpm's: the distribution's own database wins", async (ctx) => {
    ctx.skip(!tools, why);
    const alma = osRelease({ NAME: 'AlmaLinux', ID: 'almalinux', ID_LIKE: 'rhel centos fedora', VERSION_ID: '9.4', PRETTY_NAME: 'AlmaLinux 9.4 (Seafoam Ocelot)' });
    const root = await rpmRoot(alma, '/var/lib/rpm', { 'var/lib/dpkg/status': 'Package: x\nStatus: install ok installed\nVersion: 1\n' });
    const c = await collectInventory({ root });
    expect(c.inventory).toMatchObject({ ecosystem: 'rpm', distro: 'almalinux', release: '9.4' });
    expect(c.inventory.packages.map((p) => p.name)).toEqual(['plabone', 'plabtwo', 'plabtwo-libs']);
  });

  it('Fedora layout: the database in /usr/lib/sysimage/rpm', async (ctx) => {
    ctx.skip(!tools, why);
    const root = await rpmRoot(osRelease({ ID: 'fedora', VERSION_ID: '40' }), '/usr/lib/sysimage/rpm');
    const c = await collectInventory({ root });
    expect(c.database.file).toBe(path.join(root, 'usr/lib/sysimage/rpm/rpmdb.sqlite'));
    expect(c.inventory).toMatchObject({ distro: 'fedora', release: '40' });
    expect(c.inventory.packages).toHaveLength(3);
  });

  it('without the rpm program: a clear error', async () => {
    const root = mkroot({ 'etc/os-release': ROCKY, 'var/lib/rpm/rpmdb.sqlite': '' });
    await expect(collectInventory({ root, rpmCommand: 'patchloop-no-such-rpm' })).rejects.toThrow(
      `${path.join(root, 'var/lib/rpm/rpmdb.sqlite')}: reading the rpm database needs the rpm program, and "patchloop-no-such-rpm" was not found on PATH (install rpm)`,
    );
  });
});

describe('apk', () => {
  const ALPINE = osRelease({ NAME: 'Alpine Linux', ID: 'alpine', VERSION_ID: '3.19.1', PRETTY_NAME: 'Alpine Linux v3.19' });
  const DB = [
    'C:Q1Bo5/8yYHr6pEzuOpp1p6NCRUvu0=\nP:busybox\nV:1.36.1-r15\nA:x86_64\nS:508513\nI:958464\nT:Size optimized toolbox\no:busybox\nF:bin\nR:busybox\nZ:Q1nO9y0Ap9MHqF5VGI+t5Fp0rFtlo=',
    'P:libcrypto3\nV:3.1.4-r5\nA:x86_64\no:openssl\nD:so:libc.musl-x86_64.so.1',
    'P:ncurses-terminfo-base\nV:6.4_p20231125-r0\nA:x86_64\no:ncurses',
    'P:.plab-deps\nV:20240101.120000\nA:noarch',
    'P:badver\nV:1.0-beta\nA:x86_64',
  ].join('\n\n');

  it('a database file: name, version (apk grammar), architecture and origin; others skipped with the reason', async () => {
    const root = mkroot({ 'etc/os-release': ALPINE, 'lib/apk/db/installed': `${DB}\n\n` });
    const c = await collectInventory({ root });
    expect(c.inventory).toMatchObject({ ecosystem: 'apk', distro: 'alpine', release: '3.19.1' });
    expect(invKeys(c.inventory)).toEqual([
      'busybox x86_64 1.36.1-r15 busybox 1.36.1-r15',
      'libcrypto3 x86_64 3.1.4-r5 openssl 3.1.4-r5',
      'ncurses-terminfo-base x86_64 6.4_p20231125-r0 ncurses 6.4_p20231125-r0',
    ]);
    expect(c.skipped).toEqual([
      { name: '.plab-deps', version: '20240101.120000', arch: 'noarch', reason: 'virtual package (apk add --virtual)' },
      { name: 'badver', version: '1.0-beta', arch: 'x86_64', reason: expect.stringMatching(/^invalid apk version: /) },
    ]);
    expect(c.facts.rebootRequired).toBeNull();
  });

  it('malformed input is refused naming the block and line', async () => {
    const root = mkroot({ 'etc/os-release': ALPINE, 'lib/apk/db/installed': 'P:a\nV:1-r0\n\n\nP:b\nV:2-r0\nno colon here\n' });
    await expect(collectInventory({ root })).rejects.toThrow(`${path.join(root, 'lib/apk/db/installed')}: package block 2 (line 5): line 7: expected "X:value", got "no colon here"`);
  });
});
