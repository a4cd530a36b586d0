/**
 * Version ordering checked against the reference implementations:
 * dpkg (`dpkg --compare-versions`, python3-apt `apt_pkg.version_compare`),
 * rpm (python3-rpm `rpm.labelCompare`), apk (apk-tools' test table in
 * ../shared/fixtures/apk), PEP 440 (python3-packaging), Maven
 * (maven-artifact ComparableVersion 3.9+, via java) and SemVer (npm's
 * `semver`). Each suite skips, saying why, when its oracle is absent.
 */
import fs from 'node:fs';
import path from 'node:path';
import fc from 'fast-check';
import semver from 'semver';
import { describe, expect, it } from 'vitest';
import { apkVersion, dpkgVersion, mavenVersion, pep440Version, rpmVersion, semverVersion } from './generators.js';
import { type Cmp, compareApk, compareApkRaw, compareVersions, isValidApk, parseDpkg, parseRpm, VersionError } from '../../src/domain/versions/index.js';
import {
  type Pair, describeDisagreements, dpkgCompare, findMavenArtifactJar, findPython, hasCommand, mavenCompare, pythonCompare, realDebianVersions, rng,
} from './oracle-support.js';

const SEED = 20261123;

/** Pairs of generated versions: random pairs, each version against a mutation of itself, and neighbours in sorted order. */
function generatedPairs(arb: fc.Arbitrary<string>, n: number, mutate: (v: string, r: () => number) => string, seed = SEED): Pair[] {
  const r = rng(seed);
  const vs = fc.sample(arb, { seed, numRuns: n });
  const pairs: Pair[] = [];
  for (let i = 0; i + 1 < vs.length; i += 2) pairs.push([vs[i]!, vs[i + 1]!]);
  for (const v of vs) pairs.push([v, mutate(v, r)]);
  const sorted = [...vs].sort();
  for (let i = 0; i + 1 < sorted.length; i++) pairs.push([sorted[i]!, sorted[i + 1]!]);
  return pairs;
}

function expectAgreement(name: string, pairs: readonly Pair[], ours: readonly Cmp[], theirs: readonly Cmp[]) {
  const diffs = describeDisagreements(pairs, ours, theirs);
  expect(diffs, `${name}: ${diffs.length ? 'disagreements' : ''}`).toEqual([]);
  // a comparison that said "=" to everything would agree with nothing here: the answers must be varied
  for (const c of [-1, 0, 1] as const) expect(theirs.filter((x) => x === c).length, `${name} has ${c} answers`).toBeGreaterThan(0);
}

// ---------------------------------------------------------------- dpkg
const DPKG_CHARS = '0123456789.+~abzAZ';
function mutateDpkg(v: string, r: () => number): string {
  const choice = Math.floor(r() * 8);
  const ch = DPKG_CHARS[Math.floor(r() * DPKG_CHARS.length)]!;
  const hasRev = v.includes('-');
  switch (choice) {
    case 0: return `${v}~`;
    case 1: return `${v}${ch}`;
    case 2: return hasRev ? `${v}+b1` : `${v}-1`;
    case 3: return v.includes(':') ? v.replace(/^\d+:/, '') : `1:${v}`;
    case 4: return v.replace(/\d+/, (d) => String(Number(d) + 1));
    case 5: return v.replace(/(\d)(?!.*\d)/, '0$1');
    case 6: { const i = 1 + Math.floor(r() * (v.length - 1)); const c = v[i]!; return c === ':' || c === '-' ? v : `${v.slice(0, i)}${ch}${v.slice(i + 1)}`; }
    default: return v.replace(/~/, '+') === v ? `${v}.0` : v.replace(/~/, '+');
  }
}

const aptPy = findPython(['apt_pkg']);
const haveDpkg = hasCommand('dpkg', ['--version']);
const dpkgSkip = !haveDpkg ? 'dpkg is not installed' : aptPy.python ? '' : `python3-apt is missing (${aptPy.reason}; apt-get install python3-apt)`;

describe.skipIf(!!dpkgSkip)(`dpkg order against dpkg --compare-versions and apt_pkg.version_compare${dpkgSkip ? ` — skipped: ${dpkgSkip}` : ''}`, () => {
  const APT_SCRIPT = 'import sys, apt_pkg\napt_pkg.init_system()\nw = sys.stdout.write\nfor line in sys.stdin:\n    a, b = line.rstrip("\\n").split("\\t")\n    w("%d\\n" % apt_pkg.version_compare(a, b))\n';
  const real = realDebianVersions();
  const realPairs: Pair[] = [];
  {
    const r = rng(SEED);
    const vs = [...real.versions].sort();
    for (let i = 0; i + 1 < vs.length; i++) realPairs.push([vs[i]!, vs[i + 1]!]); // neighbours share long prefixes
    for (let i = 0; i < 3000 && vs.length > 1; i++) realPairs.push([vs[Math.floor(r() * vs.length)]!, vs[Math.floor(r() * vs.length)]!]);
    for (const v of vs) realPairs.push([v, mutateDpkg(v, r)]);
  }
  const genPairs = generatedPairs(dpkgVersion, 8000, mutateDpkg);
  const valid = (p: Pair) => { try { parseDpkg(p[0]); parseDpkg(p[1]); return true; } catch { return false; } };

  it(`every real version from ${real.sources.length} package lists parses`, () => {
    expect(real.versions.length, `no versions found in ${real.sources.join(', ') || '(no status file or package lists)'}`).toBeGreaterThan(100);
    const bad = real.versions.filter((v) => { try { parseDpkg(v); return false; } catch { return true; } });
    expect(bad).toEqual([]);
  });

  it('agrees with apt_pkg.version_compare on real and generated pairs', () => {
    const pairs = [...realPairs, ...genPairs].filter(valid);
    expect(pairs.length).toBeGreaterThan(10_000);
    const theirs = pythonCompare(aptPy.python!, APT_SCRIPT, pairs);
    const ours = pairs.map(([a, b]) => compareVersions('deb', a, b));
    expectAgreement('apt_pkg', pairs, ours, theirs);
    console.info(`dpkg vs apt_pkg: ${pairs.length} pairs (${realPairs.length} from ${real.versions.length} real versions), 0 disagreements`);
  });

  it('agrees with dpkg --compare-versions on a sample of real and generated pairs', async () => {
    const r = rng(SEED + 1);
    const all = [...realPairs, ...genPairs].filter(valid);
    const pairs = Array.from({ length: 5000 }, () => all[Math.floor(r() * all.length)]!);
    const theirs = await dpkgCompare(pairs);
    const ours = pairs.map(([a, b]) => compareVersions('deb', a, b));
    expectAgreement('dpkg', pairs, ours, theirs);
  }, 120_000);
});

// ---------------------------------------------------------------- rpm
const REAL_RPM = [
  '2.34-60.el9', '2.34-60.el9_2.7', '2.34-83.el9_3.7', '1:3.0.7-16.el9_2', '1:3.0.7-27.el9', '1:3.0.7-24.el9', '4.16.1.3-22.el9',
  '5.14.0-284.11.1.el9_2', '5.14.0-362.8.1.el9_3', '5.14.0-70.13.1.el9_0', '8.0.30-1.el9_2', '2:8.2.2637-20.el9_1', '2:8.2.2637-20.el9_1.1',
  '1.1.1k-9.el8_7', '1.1.1k-12.el8_9', '0.9.8e-40.el5_11', '3.6.8-51.el8_8.1', '3.9.16-1.el9_2.1', '7.76.1-26.el9_3.2', '7.61.1-30.el8_8.2',
  '1.2.3~rc1-1.fc39', '1.2.3-1.fc39', '1.2.3^20230101git1234abc-1.fc39', '0.1-0.1.beta.fc38', '10.2-3.20220314gitfeda.fc36',
];
function mutateRpm(v: string, r: () => number): string {
  const chars = '0123456789._+~^aZ';
  const ch = chars[Math.floor(r() * chars.length)]!;
  switch (Math.floor(r() * 6)) {
    case 0: return `${v}${ch}`;
    case 1: return v.includes('-') ? v.slice(0, v.lastIndexOf('-')) : `${v}-1`;
    case 2: return v.includes(':') ? v.slice(v.indexOf(':') + 1) : `0:${v}`;
    case 3: return v.replace(/\d+/, (d) => String(Number(d) + 1));
    case 4: return v.replace(/\./, '_');
    default: return `${v.includes('-') ? v : `${v}-1`}.el9_${Math.floor(r() * 3)}`;
  }
}
const rpmPy = findPython(['rpm']);
const rpmSkip = rpmPy.python ? '' : `python3-rpm is missing (${rpmPy.reason}; apt-get install python3-rpm)`;

describe.skipIf(!!rpmSkip)(`rpm order against rpm.labelCompare${rpmSkip ? ` — skipped: ${rpmSkip}` : ''}`, () => {
  const SCRIPT = [
    'import sys, rpm',
    'def evr(s):',
    '    e = None',
    '    if ":" in s: e, s = s.split(":", 1)',
    '    r = None',
    '    if "-" in s: s, r = s.rsplit("-", 1)',
    '    return (e, s, r)',
    'for line in sys.stdin:',
    '    a, b = line.rstrip("\\n").split("\\t")',
    '    sys.stdout.write("%d\\n" % rpm.labelCompare(evr(a), evr(b)))',
  ].join('\n');

  it('agrees with rpm.labelCompare on realistic and generated labels', () => {
    const r = rng(SEED);
    const pairs: Pair[] = [];
    for (const a of REAL_RPM) for (const b of REAL_RPM) pairs.push([a, b]);
    for (const a of REAL_RPM) pairs.push([a, mutateRpm(a, r)]);
    pairs.push(...generatedPairs(rpmVersion, 12000, mutateRpm));
    const ok = pairs.filter(([a, b]) => { try { parseRpm(a); parseRpm(b); return true; } catch { return false; } });
    expect(ok.length).toBeGreaterThan(15_000);
    const theirs = pythonCompare(rpmPy.python!, SCRIPT, ok);
    const ours = ok.map(([a, b]) => compareVersions('rpm', a, b));
    expectAgreement('rpm.labelCompare', ok, ours, theirs);
    console.info(`rpm vs labelCompare: ${ok.length} pairs, 0 disagreements`);
  });
});

// ---------------------------------------------------------------- apk
const fixtures = path.resolve(process.cwd(), '../shared/fixtures');
const apkData = path.join(fixtures, 'apk/version.data');
const apkSkip = fs.existsSync(apkData) ? '' : `${apkData} is absent (the shared fixtures are not checked out next to the repository)`;

describe.skipIf(!!apkSkip)(`apk order against apk-tools test/version.data${apkSkip ? ` — skipped: ${apkSkip}` : ''}`, () => {
  const lines = apkSkip ? [] : fs.readFileSync(apkData, 'utf8').split('\n').map((l, i) => ({ l: l.replace(/#.*$/, '').trim(), n: i + 1 })).filter((x) => x.l);
  const SYM: Record<string, Cmp> = { '<': -1, '=': 0, '>': 1 };

  it('matches every line of the table', () => {
    expect(lines.length).toBeGreaterThan(700);
    const wrong: string[] = [];
    let strict = 0;
    for (const { l, n } of lines) {
      const [a, op, b] = l.split(/\s+/) as [string, string, string];
      const want = SYM[op];
      if (want === undefined) throw new Error(`line ${n}: unknown operator ${op}`);
      if (compareApkRaw(a, b) !== want) wrong.push(`line ${n}: ${l} (raw)`);
      if (isValidApk(a) && isValidApk(b)) {
        strict++;
        if (compareApk(a, b) !== want) wrong.push(`line ${n}: ${l}`);
      } else {
        // the table's few invalid versions ("1.0bc", "23_foo") are refused by the strict comparison, with a reason
        expect(() => compareApk(a, b)).toThrow(VersionError);
      }
    }
    expect(wrong).toEqual([]);
    expect(strict).toBeGreaterThan(lines.length - 5);
  });

  it('the generated versions are all valid to apk rules', () => {
    for (const v of fc.sample(apkVersion, { seed: SEED, numRuns: 500 })) expect(isValidApk(v), v).toBe(true);
  });
});

// ---------------------------------------------------------------- PEP 440
const pepPy = findPython(['packaging.version']);
const pepSkip = pepPy.python ? '' : `python3-packaging is missing (${pepPy.reason}; apt-get install python3-packaging)`;

describe.skipIf(!!pepSkip)(`PEP 440 order against packaging.version${pepSkip ? ` — skipped: ${pepSkip}` : ''}`, () => {
  const SCRIPT = [
    'import sys',
    'from packaging.version import Version',
    'for line in sys.stdin:',
    '    a, b = map(Version, line.rstrip("\\n").split("\\t"))',
    '    sys.stdout.write("%d\\n" % ((a > b) - (a < b)))',
  ].join('\n');
  it('agrees on generated versions in all spellings', () => {
    const pairs = generatedPairs(pep440Version, 6000, (v, r) => {
      const m = Math.floor(r() * 5);
      return m === 0 ? `${v}.0` : m === 1 ? v.toUpperCase() : m === 2 ? `v${v}` : m === 3 ? `${v}.post1` : `${v}.dev0`;
    }).filter(([a, b]) => { try { compareVersions('pypi', a, b); return true; } catch { return false; } });
    expect(pairs.length).toBeGreaterThan(10_000);
    const theirs = pythonCompare(pepPy.python!, SCRIPT, pairs);
    const ours = pairs.map(([a, b]) => compareVersions('pypi', a, b));
    expectAgreement('packaging', pairs, ours, theirs);
  });
});

// ---------------------------------------------------------------- Maven
const haveJava = hasCommand('java', ['-version']);
const mvn = findMavenArtifactJar();
const mavenSkip = !haveJava ? 'java is not installed' : mvn.jar ? '' : mvn.reason;

describe.skipIf(!!mavenSkip)(`Maven order against ComparableVersion${mavenSkip ? ` — skipped: ${mavenSkip}` : ` (${mvn.jar})`}`, () => {
  it('agrees on generated versions', () => {
    const pairs = generatedPairs(mavenVersion, 3000, (v, r) => {
      const m = Math.floor(r() * 5);
      return m === 0 ? `${v}.0` : m === 1 ? `${v}-1` : m === 2 ? v.replace('-', '.') : m === 3 ? v.toUpperCase() : `${v}-SNAPSHOT`;
    });
    const theirs = mavenCompare(mvn.jar!, pairs);
    const ours = pairs.map(([a, b]) => compareVersions('maven', a, b));
    expectAgreement('ComparableVersion', pairs, ours, theirs);
  }, 60_000);
});

// ---------------------------------------------------------------- SemVer
describe('SemVer order against npm semver', () => {
  it('agrees with semver.compare on generated versions', () => {
    const pairs = generatedPairs(semverVersion, 6000, (v, r) => (r() < 0.5 ? `${v.replace(/\+.*/, '')}-0` : v.replace(/\d+/, (d) => String(Number(d) + 1))));
    const theirs = pairs.map(([a, b]) => semver.compare(a, b) as Cmp);
    const ours = pairs.map(([a, b]) => compareVersions('npm', a, b));
    expectAgreement('semver', pairs, ours, theirs);
  });
});
