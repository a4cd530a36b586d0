/**
 * RPM package versions, following rpm's rpmio/rpmvercmp.cc (rpmvercmp) for
 * each part and the python3-rpm `rpm.labelCompare` rules for the
 * epoch:version-release label: a missing epoch is 0; epochs, then versions,
 * then releases are compared with rpmvercmp; a missing release sorts before
 * any release (labelCompare treats None < "1"; note that dnf's rpmverCmp would
 * instead ignore the release when one side lacks it).
 *
 * rpmvercmp: characters other than ASCII letters, digits, `~` and `^` are
 * separators and are skipped; `~` sorts before everything (even the end);
 * `^` sorts after the end of the other string but before any other
 * continuation; digit runs compare numerically and beat letter runs; letter
 * runs compare by bytes; when all runs are equal the string with characters
 * left over is newer.
 * Ground truth: python3-rpm `rpm.labelCompare((e, v, r), (e, v, r))`.
 */
import { type Cmp, VersionError, cmpDigits, cmpStr, describeChar, isAlphaCode, isDigitCode } from './types.js';

export interface RpmVersion {
  /** null when the label has no epoch (compares as 0). */
  readonly epoch: string | null;
  readonly version: string;
  /** null when the label has no release. */
  readonly release: string | null;
}

const fail = (input: string, problem: string): never => {
  throw new VersionError('rpm', input, problem);
};

/** Characters rpmbuild accepts in Version and Release: ASCII letters, digits and . _ + ~ ^ */
function checkChars(input: string, part: string, what: string) {
  for (let i = 0; i < part.length; i++) {
    const c = part.charCodeAt(i);
    if (!(isDigitCode(c) || isAlphaCode(c) || c === 46 || c === 95 || c === 43 || c === 126 || c === 94)) {
      fail(input, `invalid character ${describeChar(part[i]!)} in ${what}`);
    }
  }
}

/** Parses `[epoch:]version[-release]`; the release follows the last hyphen. Throws VersionError naming the problem. */
export function parseRpm(input: string): RpmVersion {
  if (input === '') return fail(input, 'version string is empty');
  let rest = input;
  let epoch: string | null = null;
  const colon = input.indexOf(':');
  if (colon >= 0) {
    epoch = input.slice(0, colon);
    if (epoch === '') return fail(input, 'epoch is empty');
    if (!/^[0-9]+$/.test(epoch)) return fail(input, 'epoch is not a number');
    rest = input.slice(colon + 1);
  }
  let version = rest;
  let release: string | null = null;
  const hyphen = rest.lastIndexOf('-');
  if (hyphen >= 0) {
    version = rest.slice(0, hyphen);
    release = rest.slice(hyphen + 1);
    if (release === '') return fail(input, 'release is empty');
  }
  if (version === '') return fail(input, 'version is empty');
  checkChars(input, version, 'version');
  if (release !== null) checkChars(input, release, 'release');
  return { epoch, version, release };
}

const isAlnum = (c: number) => isDigitCode(c) || isAlphaCode(c);
const TILDE = 126;
const CARET = 94;

/** rpm's rpmvercmp over one part (epoch, version or release). */
export function rpmvercmp(a: string, b: string): Cmp {
  if (a === b) return 0;
  let i = 0;
  let j = 0;
  const at = (s: string, k: number) => (k < s.length ? s.charCodeAt(k) : 0);
  while (i < a.length || j < b.length) {
    while (i < a.length && !isAlnum(at(a, i)) && at(a, i) !== TILDE && at(a, i) !== CARET) i++;
    while (j < b.length && !isAlnum(at(b, j)) && at(b, j) !== TILDE && at(b, j) !== CARET) j++;
    const ca = at(a, i);
    const cb = at(b, j);
    if (ca === TILDE || cb === TILDE) {
      if (ca !== TILDE) return 1;
      if (cb !== TILDE) return -1;
      i++;
      j++;
      continue;
    }
    if (ca === CARET || cb === CARET) {
      if (i >= a.length) return -1;
      if (j >= b.length) return 1;
      if (ca !== CARET) return 1;
      if (cb !== CARET) return -1;
      i++;
      j++;
      continue;
    }
    if (!(i < a.length && j < b.length)) break;
    const numeric = isDigitCode(ca);
    const test = numeric ? isDigitCode : isAlphaCode;
    let ei = i;
    let ej = j;
    while (ei < a.length && test(a.charCodeAt(ei))) ei++;
    while (ej < b.length && test(b.charCodeAt(ej))) ej++;
    // b's segment is of the other type: numeric segments are newer than alphabetic ones
    if (ej === j) return numeric ? 1 : -1;
    const sa = a.slice(i, ei);
    const sb = b.slice(j, ej);
    const rc = numeric ? cmpDigits(sa, sb) : cmpStr(sa, sb);
    if (rc !== 0) return rc;
    i = ei;
    j = ej;
  }
  if (i >= a.length && j >= b.length) return 0;
  return i >= a.length ? -1 : 1;
}

function cmpOptional(a: string | null, b: string | null): Cmp {
  if (a === null && b === null) return 0;
  if (b === null) return 1;
  if (a === null) return -1;
  return rpmvercmp(a, b);
}

export function compareRpmParsed(a: RpmVersion, b: RpmVersion): Cmp {
  return rpmvercmp(a.epoch ?? '0', b.epoch ?? '0') || rpmvercmp(a.version, b.version) || cmpOptional(a.release, b.release);
}

export function compareRpm(a: string, b: string): Cmp {
  return compareRpmParsed(parseRpm(a), parseRpm(b));
}
