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

describe('patchloop scan --from an OSV directory', { timeout: 180_000 }, () => {
  const osvDir = path.join(dir, 'osv');
  fs.mkdirSync(osvDir);
  const osv = (id: string, aliases: string[], pkg: string, events: Record<string, string>[]) => ({
    id, modified: '2026-10-01T00:00:00Z', aliases, affected: [{ package: { ecosystem: 'Debian:12', name: pkg }, ranges: [{ type: 'ECOSYSTEM', events }] }],
  });
  fs.writeFileSync(path.join(osvDir, 'DEBIAN-CVE-2024-1111.json'), JSON.stringify(osv('DEBIAN-CVE-2024-1111', ['CVE-2024-1111'], 'openssl', [{ introduced: '0' }, { fixed: '3.0.15-1~deb12u1' }])));
  fs.writeFileSync(path.join(osvDir, 'DEBIAN-CVE-2024-2222.json'), JSON.stringify(osv('DEBIAN-CVE-2024-2222', ['CVE-2024-2222'], 'openssl', [{ introduced: '0' }])));
  fs.writeFileSync(path.join(osvDir, 'DEBIAN-CVE-2024-5555.json'), JSON.stringify(osv('DEBIAN-CVE-2024-5555', ['CVE-2024-5555'], 'zlib', [{ introduced: '0' }, { fixed: '1:1.2.13.dfsg-1+deb12u1' }])));
  fs.writeFileSync(path.join(osvDir, 'README.txt'), 'not a record');

  it('finds the same as the tracker export holding the same facts, named by CVE', () => {
    const viaOsv = scan(['--dpkg-status', status, '--from', osvDir, '--release', 'bookworm', '--format', 'json']);
    expect(viaOsv.err).toBe('');
    const viaTracker = scan(['--dpkg-status', status, '--from', feed, '--format', 'json']);
    const key = (out: string) => (JSON.parse(out) as { vulnerability: string; package: string; fixedVersion: string | null }[]).map((f) => `${f.vulnerability} ${f.package} ${f.fixedVersion}`).sort();
    expect(key(viaOsv.out)).toEqual(key(viaTracker.out));
    const one = (JSON.parse(viaOsv.out) as { advisory: { feed: string; id: string }; rule: string }[])[0];
    expect(one?.advisory.feed).toBe('osv');
    expect(one?.advisory.id).toMatch(/^DEBIAN-CVE-/);
  });

  it('rejects a malformed OSV file naming the file and the path in it, and another release matches nothing', () => {
    const bad = path.join(dir, 'osv-bad');
    fs.mkdirSync(bad);
    fs.writeFileSync(path.join(bad, 'X-1.json'), JSON.stringify({ id: 'X-1', modified: '2026-10-01T00:00:00Z', affected: [{ package: { ecosystem: 'Debian:12', name: 'a' }, ranges: [{ type: 'ECOSYSTEM', events: [{ introduced: '0', fixed: '1' }] }] }] }));
    const r = scan(['--dpkg-status', status, '--from', bad, '--release', 'bookworm']);
    expect(r.code).toBe(1);
    expect(r.err).toContain('X-1.json');
    expect(r.err).toContain('events[0]');
    expect(JSON.parse(scan(['--dpkg-status', status, '--from', osvDir, '--release', 'trixie', '--format', 'json']).out)).toEqual([]);
  });

  const fixtures = path.resolve('../shared/fixtures/debian-bookworm');
  it.skipIf(!fs.existsSync(fixtures))('equals the tracker path on the real bookworm records turned into OSV records (skipped without ../shared/fixtures)', () => {
    const records = JSON.parse(fs.readFileSync(path.join(fixtures, 'advisories.json'), 'utf8')) as { source: string; cve: string; fixed: string }[];
    const realDir = path.join(dir, 'osv-bookworm');
    fs.mkdirSync(realDir);
    const bySource = new Map<string, typeof records>();
    for (const r of records) bySource.set(`${r.source} ${r.cve}`, [...(bySource.get(`${r.source} ${r.cve}`) ?? []), r]);
    for (const [k, rs] of bySource) {
      const [source, cve] = k.split(' ') as [string, string];
      const id = `DEBIAN-${cve}-${source}`;
      fs.writeFileSync(path.join(realDir, `${id}.json`), JSON.stringify(osv(id, [cve], source, [{ introduced: '0' }, { fixed: (rs[0] as { fixed: string }).fixed }])));
    }
    // A host with old versions of packages the records name.
    const hostStatus = path.join(dir, 'status-real');
    fs.writeFileSync(hostStatus, [
      'Package: libssl3\nStatus: install ok installed\nArchitecture: amd64\nSource: openssl\nVersion: 3.0.11-1~deb12u2\n',
      'Package: curl\nStatus: install ok installed\nArchitecture: amd64\nVersion: 7.88.1-10+deb12u5\n',
      'Package: libc6\nStatus: install ok installed\nArchitecture: amd64\nSource: glibc\nVersion: 2.36-9+deb12u4\n',
    ].join('\n'));
    const key = (out: string) => (JSON.parse(out) as { vulnerability: string; package: string; fixedVersion: string | null }[]).map((f) => `${f.vulnerability} ${f.package} ${f.fixedVersion}`).sort();
    const viaOsv = key(scan(['--dpkg-status', hostStatus, '--from', realDir, '--release', 'bookworm', '--format', 'json']).out);
    const viaTracker = key(scan(['--dpkg-status', hostStatus, '--from', path.join(fixtures, 'tracker.json'), '--format', 'json']).out);
    expect(viaOsv.length).toBeGreaterThan(50);
    expect(viaOsv).toEqual(viaTracker);
  });
});
