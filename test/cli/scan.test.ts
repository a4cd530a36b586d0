import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';

/** `patchloop scan`, run from the sources (tsx) as a separate process: no server, no database. */
function scan(args: string[]) {
  const r = spawnSync(process.execPath, ['--import', 'tsx', 'src/main/cli.ts', 'scan', ...args], { encoding: 'utf8', timeout: 60_000, env: { ...process.env, DATABASE_URL: '' } });
  return { code: r.status, out: r.stdout, err: r.stderr };
}

const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'patchloop-scan-'));
afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));

const feed = path.join(dir, 'tracker.json');
fs.writeFileSync(
  feed,
  JSON.stringify({
    openssl: {
      'CVE-2024-1111': { description: 'fixed in a stable update', releases: { bookworm: { status: 'resolved', fixed_version: '3.0.15-1~deb12u1', urgency: 'high' } } },
      'CVE-2024-2222': { description: 'no fix yet', releases: { bookworm: { status: 'open', urgency: 'low' } } },
      'CVE-2024-3333': { description: 'never affected bookworm', releases: { bookworm: { status: 'resolved', fixed_version: '0', urgency: 'unimportant' } } },
      'CVE-2023-4444': { description: 'old, fixed long ago', releases: { bookworm: { status: 'resolved', fixed_version: '3.0.9-1', urgency: 'medium' } } },
    },
    zlib: { 'CVE-2024-5555': { description: '', releases: { bookworm: { status: 'resolved', fixed_version: '1:1.2.13.dfsg-1+deb12u1', urgency: 'medium' } } } },
  }),
);
const status = path.join(dir, 'status');
fs.writeFileSync(
  status,
  [
    'Package: libssl3\nStatus: install ok installed\nArchitecture: amd64\nSource: openssl\nVersion: 3.0.14-1~deb12u2\n',
    'Package: openssl\nStatus: install ok installed\nArchitecture: amd64\nVersion: 3.0.14-1~deb12u2\n',
    // binNMU: the binary's version differs from its source's; the epoch makes zlib newer than the fix.
    'Package: zlib1g\nStatus: install ok installed\nArchitecture: amd64\nSource: zlib (1:1.2.13.dfsg-1+deb12u1)\nVersion: 1:1.2.13.dfsg-1+deb12u1+b1\n',
    'Package: removed\nStatus: deinstall ok config-files\nArchitecture: amd64\nSource: openssl\nVersion: 3.0.1-1\n',
  ].join('\n'),
);

// Each call starts a process that compiles the sources (tsx): generous timeouts on a loaded machine.
describe('patchloop scan --dpkg-status', { timeout: 120_000 }, () => {
  it('prints findings as JSON with the installed binary and the fixed version', () => {
    const r = scan(['--dpkg-status', status, '--from', feed, '--format', 'json']);
    expect(r.err).toBe('');
    expect(r.code).toBe(0);
    const findings = JSON.parse(r.out) as { vulnerability: string; package: string; installedVersion: string; fixedVersion: string | null; rule: string }[];
    const pairs = findings.map((f) => `${f.vulnerability} ${f.package} ${f.installedVersion} ${f.fixedVersion}`).sort();
    expect(pairs).toEqual([
      'CVE-2024-1111 libssl3 3.0.14-1~deb12u2 3.0.15-1~deb12u1',
      'CVE-2024-1111 openssl 3.0.14-1~deb12u2 3.0.15-1~deb12u1',
      'CVE-2024-2222 libssl3 3.0.14-1~deb12u2 null',
      'CVE-2024-2222 openssl 3.0.14-1~deb12u2 null',
    ]);
    expect(findings.find((f) => f.vulnerability === 'CVE-2024-2222')?.rule).toBe('no_fix_available');
  });

  it('prints a table with a summary', () => {
    const r = scan(['--dpkg-status', status, '--from', feed]);
    expect(r.out).toMatch(/VULNERABILITY\s+PACKAGE\s+INSTALLED\s+FIXED/);
    expect(r.out).toContain('4 finding(s): 2 vulnerabilities in 2 of 3 installed package(s) (bookworm)');
  });

  it('rejects a broken status file naming the line, and a feed of the wrong kind', () => {
    const bad = path.join(dir, 'bad-status');
    fs.writeFileSync(bad, 'Package: a\nStatus: install ok installed\nVersion: 1\n\ngarbage line\n');
    const r = scan(['--dpkg-status', bad, '--from', feed]);
    expect(r.code).toBe(1);
    expect(r.err).toContain('line 5');
    const notFeed = path.join(dir, 'list.json');
    fs.writeFileSync(notFeed, '[1,2,3]');
    expect(scan(['--dpkg-status', status, '--from', notFeed]).err).toContain('not a Debian security tracker export');
    expect(scan(['--dpkg-status', path.join(dir, 'missing'), '--from', feed]).err).toContain('does not exist');
    expect(scan(['--dpkg-status', status, '--from', feed, '--release', 'trixie']).err).toContain('no records for release trixie');
  });
});
