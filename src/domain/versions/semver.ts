/**
 * Semantic Versioning 2.0.0 (https://semver.org, §2, §9–§11), the order npm
 * uses: MAJOR.MINOR.PATCH compared numerically; a version with a pre-release
 * is lower than the same version without; pre-release identifiers compare
 * left to right, numeric ones by value and below alphanumeric ones, which
 * compare in ASCII order; a shorter set of identifiers is lower when all
 * before it are equal. Build metadata (`+…`) is ignored. A leading `v` or `V`
 * is accepted (as npm's `semver` does); leading zeros are not.
 */
import { type Cmp, VersionError, cmpDigits, cmpStr, describeChar } from './types.js';

export interface SemVer {
  readonly major: string;
  readonly minor: string;
  readonly patch: string;
  readonly prerelease: readonly string[];
  readonly build: readonly string[];
}

const IDENT = /^[0-9A-Za-z-]+$/;
const NUM = /^[0-9]+$/;

/** Parses a SemVer 2.0.0 version; `ecosystem` names the caller in error messages. */
export function parseSemVerCore(input: string, ecosystem: string, opts: { prefix: 'optional' | 'required'; shorthand?: boolean; lowerVOnly?: boolean }): SemVer {
  const fail = (problem: string): never => {
    throw new VersionError(ecosystem, input, problem);
  };
  if (input === '') return fail('version string is empty');
  let s = input;
  if (s[0] === 'v' || (s[0] === 'V' && !opts.lowerVOnly)) s = s.slice(1);
  else if (opts.prefix === 'required') return fail('must start with "v"');
  let build: string[] = [];
  const plus = s.indexOf('+');
  if (plus >= 0) {
    build = s.slice(plus + 1).split('.');
    s = s.slice(0, plus);
    for (const id of build) {
      if (id === '') return fail('empty build metadata identifier');
      if (!IDENT.test(id)) return fail(`invalid character in build metadata "${id}" (only 0-9, A-Z, a-z and "-")`);
    }
  }
  let prerelease: string[] = [];
  const dash = s.indexOf('-');
  if (dash >= 0) {
    prerelease = s.slice(dash + 1).split('.');
    s = s.slice(0, dash);
    for (const id of prerelease) {
      if (id === '') return fail('empty pre-release identifier');
      if (!IDENT.test(id)) return fail(`invalid character in pre-release identifier "${id}" (only 0-9, A-Z, a-z and "-")`);
      if (NUM.test(id) && id.length > 1 && id[0] === '0') return fail(`numeric pre-release identifier "${id}" has a leading zero`);
    }
  }
  const core = s.split('.');
  if (opts.shorthand && core.length < 3 && prerelease.length === 0 && build.length === 0) {
    while (core.length < 3) core.push('0');
  }
  if (core.length !== 3) return fail(`expected MAJOR.MINOR.PATCH, found ${core.length} dot-separated part${core.length === 1 ? '' : 's'}`);
  const names = ['major', 'minor', 'patch'];
  core.forEach((p, i) => {
    if (p === '') fail(`${names[i]} version is empty`);
    if (!NUM.test(p)) {
      const bad = [...p].find((c) => c < '0' || c > '9')!;
      fail(`${names[i]} version "${p}" is not a number (found ${describeChar(bad)})`);
    }
    if (p.length > 1 && p[0] === '0') fail(`${names[i]} version "${p}" has a leading zero`);
  });
  return { major: core[0]!, minor: core[1]!, patch: core[2]!, prerelease, build };
}

export function parseSemVer(input: string): SemVer {
  return parseSemVerCore(input, 'npm', { prefix: 'optional' });
}

function cmpIdent(a: string, b: string): Cmp {
  const an = NUM.test(a);
  const bn = NUM.test(b);
  if (an && bn) return cmpDigits(a, b);
  if (an) return -1;
  if (bn) return 1;
  return cmpStr(a, b);
}

export function compareSemVerParsed(a: SemVer, b: SemVer): Cmp {
  const core = cmpDigits(a.major, b.major) || cmpDigits(a.minor, b.minor) || cmpDigits(a.patch, b.patch);
  if (core !== 0) return core;
  const pa = a.prerelease;
  const pb = b.prerelease;
  if (pa.length === 0 || pb.length === 0) return pa.length === pb.length ? 0 : pa.length === 0 ? 1 : -1;
  for (let i = 0; i < Math.min(pa.length, pb.length); i++) {
    const r = cmpIdent(pa[i]!, pb[i]!);
    if (r !== 0) return r;
  }
  return pa.length === pb.length ? 0 : pa.length < pb.length ? -1 : 1;
}

export function compareSemVer(a: string, b: string): Cmp {
  return compareSemVerParsed(parseSemVer(a), parseSemVer(b));
}
