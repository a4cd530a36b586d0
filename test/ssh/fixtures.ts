/** A Debian root whose packages are known, for the SSH collection tests. */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';

export const PARA = (fields: Record<string, string>) => `${Object.entries({ Maintainer: 'Lab <lab@example.invalid>', ...fields, Description: 'test package' }).map(([k, v]) => `${k}: ${v}`).join('\n')}\n`;
export const STATUS = [
  PARA({ Package: 'openssl', Status: 'install ok installed', Architecture: 'amd64', Version: '3.0.11-1~deb12u2' }),
  PARA({ Package: 'libssl3', Status: 'install ok installed', Architecture: 'amd64', Source: 'openssl', Version: '3.0.11-1~deb12u2' }),
  PARA({ Package: 'bash', Status: 'install ok installed', Architecture: 'amd64', Source: 'bash (5.2.15-2)', Version: '5.2.15-2+b2' }),
  PARA({ Package: 'zlib1g', Status: 'install ok installed', Architecture: 'amd64', Source: 'zlib', Version: '1:1.2.13.dfsg-1' }),
  PARA({ Package: 'plab-half', Status: 'install reinstreq half-installed', Architecture: 'all', Version: '2.0-1' }),
  PARA({ Package: 'plab-gone', Status: 'deinstall ok config-files', Architecture: 'all', Version: '0.1-1' }),
].join('\n');
// dpkg's journal: an upgrade not yet folded into the status file, which the collector must apply.
const JOURNAL = PARA({ Package: 'zlib1g', Status: 'install ok installed', Architecture: 'amd64', Source: 'zlib', Version: '1:1.2.13.dfsg-1+b1' });
export const EXPECTED = [
  'bash amd64 5.2.15-2+b2 bash 5.2.15-2',
  'libssl3 amd64 3.0.11-1~deb12u2 openssl 3.0.11-1~deb12u2',
  'openssl amd64 3.0.11-1~deb12u2 openssl 3.0.11-1~deb12u2',
  'zlib1g amd64 1:1.2.13.dfsg-1+b1 zlib 1:1.2.13.dfsg-1+b1',
];

/** A Debian root with known packages, laid out as on a real system: os-release and var/run are links. */
export function fakeRoot(): string {
  const root = fs.mkdtempSync(path.join(os.tmpdir(), 'patchloop-fakeroot-'));
  const put = (rel: string, text: string) => {
    fs.mkdirSync(path.dirname(path.join(root, rel)), { recursive: true });
    fs.writeFileSync(path.join(root, rel), text);
  };
  put('usr/lib/os-release', 'PRETTY_NAME="Debian GNU/Linux 12 (bookworm)"\nNAME="Debian GNU/Linux"\nID=debian\nVERSION_ID="12"\nVERSION_CODENAME=bookworm\n');
  put('etc/hostname', 'fakehost\n');
  fs.symlinkSync('../usr/lib/os-release', path.join(root, 'etc/os-release'));
  put('etc/hosts', '127.0.1.1 fakehost.lab.example fakehost\n');
  put('etc/machine-id', `${'ab'.repeat(16)}\n`);
  put('var/lib/dpkg/status', STATUS);
  put('var/lib/dpkg/updates/0000', JOURNAL);
  put('var/lib/dpkg/updates/tmp.i', 'Package: ignored-while-written\n');
  put('run/reboot-required', '');
  fs.symlinkSync('/run', path.join(root, 'var/run'));
  // Bait: files the collectors never read stay on the host.
  put('etc/shadow', 'root:$6$secret:1::::::\n');
  return root;
}

export const keysOf = (inv: { packages: { name: string; arch: string; version: string; sourceName: string; sourceVersion: string }[] }) =>
  inv.packages.map((p) => [p.name, p.arch, p.version, p.sourceName, p.sourceVersion].join(' ')).sort();

