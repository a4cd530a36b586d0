import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { scanDpkgStatus } from '../../src/services/scan/offline.js';
import { syntheticStatus } from '../support/dpkg.js';

/**
 * Differential test against Debian's own matcher: debsecan reads the same
 * records (its zlib format) as our engine reads in tracker JSON form; for
 * every status file the (vulnerability, binary package) pairs must be equal.
 */
const fixtures = path.resolve(process.cwd(), '../shared/fixtures/debian-bookworm');
const haveFixtures = fs.existsSync(path.join(fixtures, 'tracker.json'));
const haveDebsecan = (() => {
  try {
    execFileSync('debsecan', ['--help'], { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
})();
const why = !haveFixtures ? '../shared/fixtures/debian-bookworm is absent' : !haveDebsecan ? 'debsecan is not installed (apt-get install debsecan)' : '';

function debsecan(statusFile: string): string[] {
  const out = execFileSync('debsecan', ['--suite', 'bookworm', '--source', `file://${fixtures}/debsecan/`, '--status', statusFile, '--format', 'simple'], { encoding: 'utf8', maxBuffer: 256 * 1024 * 1024 });
  return out.split('\n').filter(Boolean).sort();
}

function ours(statusFile: string): string[] {
  const r = scanDpkgStatus({ dpkgStatusFile: statusFile, feed: path.join(fixtures, 'tracker.json'), release: 'bookworm' });
  return r.findings.map((f) => `${f.vulnerability} ${f.package}`).sort();
}

function fixedBySource(): Map<string, string[]> {
  const tracker = JSON.parse(fs.readFileSync(path.join(fixtures, 'tracker.json'), 'utf8')) as Record<string, Record<string, { releases: { bookworm?: { fixed_version?: string } } }>>;
  return new Map(
    Object.entries(tracker).map(([source, vulns]) => [
      source,
      Object.values(vulns)
        .map((v) => v.releases.bookworm?.fixed_version)
        .filter((v): v is string => !!v && v !== '0'),
    ]),
  );
}

describe.skipIf(!!why)(`findings equal debsecan's${why ? ` (skipped: ${why})` : ''}`, () => {
  it('on this machine\'s own dpkg status', () => {
    if (!fs.existsSync('/var/lib/dpkg/status')) return;
    const theirs = debsecan('/var/lib/dpkg/status');
    expect(ours('/var/lib/dpkg/status')).toEqual(theirs);
    expect(theirs.length).toBeGreaterThan(0);
  });

  it('on 20 synthetic hosts with versions around the fixed versions, binNMUs, own binary versions, epochs and backports', () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'patchloop-debsecan-'));
    let total = 0;
    try {
      const fixed = fixedBySource();
      for (let seed = 1; seed <= 20; seed++) {
        const file = path.join(dir, `status-${seed}`);
        fs.writeFileSync(file, syntheticStatus(fixed, seed));
        const theirs = debsecan(file);
        expect(ours(file), `host ${seed}`).toEqual(theirs);
        total += theirs.length;
      }
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
    expect(total).toBeGreaterThan(500);
  });
});
