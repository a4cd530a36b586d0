/**
 * Debian package versions (dpkg), following Debian Policy §5.6.12 and the
 * behaviour of dpkg's lib/dpkg/version.c (parseversion, verrevcmp):
 * `[epoch:]upstream[-revision]`; epoch compared numerically, then upstream,
 * then revision, each by alternating non-digit and digit runs. In non-digit
 * runs `~` sorts before the end of the string, the end before letters, and
 * letters before every other character; digit runs compare numerically.
 * A missing revision equals an empty one (so `1.0` = `1.0-0`).
 * Ground truth: `dpkg --compare-versions` and python3-apt `apt_pkg.version_compare`.
 */
import { type Cmp, VersionError, describeChar, isAlphaCode, isDigitCode } from './types.js';

export interface DpkgVersion {
  readonly epoch: number;
  readonly upstream: string;
  /** '' when the version has no revision. */
  readonly revision: string;
}

const EPOCH_MAX = 2147483647;
const fail = (input: string, problem: string): never => {
  throw new VersionError('deb', input, problem);
};

function isUpstreamChar(c: number): boolean {
  // alphanumerics and . + ~ - :  (hyphen only with a revision, colon only with an epoch: guaranteed by the split)
  return isDigitCode(c) || isAlphaCode(c) || c === 46 || c === 43 || c === 126 || c === 45 || c === 58;
}
function isRevisionChar(c: number): boolean {
  return isDigitCode(c) || isAlphaCode(c) || c === 46 || c === 43 || c === 126;
}

/** Parses and validates a dpkg version; throws VersionError naming the problem. Surrounding whitespace is ignored, as dpkg does. */
export function parseDpkg(input: string): DpkgVersion {
  const s = input.replace(/^[ \t\n\r\f\v]+|[ \t\n\r\f\v]+$/g, '');
  if (s === '') return fail(input, 'version string is empty');
  if (/\s/.test(s)) return fail(input, 'version string has embedded spaces');
  let epoch = 0;
  let rest = s;
  const colon = s.indexOf(':');
  if (colon >= 0) {
    const e = s.slice(0, colon);
    if (e === '') return fail(input, 'epoch in version is empty');
    if (!/^[0-9]+$/.test(e)) return fail(input, 'epoch in version is not a number');
    const n = Number(e);
    if (e.replace(/^0+/, '').length > 10 || n > EPOCH_MAX) return fail(input, `epoch in version is too big (maximum ${EPOCH_MAX})`);
    epoch = n;
    rest = s.slice(colon + 1);
    if (rest === '') return fail(input, 'nothing after colon in version number');
  }
  let upstream = rest;
  let revision = '';
  const hyphen = rest.lastIndexOf('-');
  if (hyphen >= 0) {
    upstream = rest.slice(0, hyphen);
    revision = rest.slice(hyphen + 1);
    if (revision === '') return fail(input, 'revision number is empty');
  }
  if (upstream === '') return fail(input, 'version number is empty');
  if (!isDigitCode(upstream.charCodeAt(0))) return fail(input, 'version number does not start with a digit');
  for (let i = 0; i < upstream.length; i++) {
    if (!isUpstreamChar(upstream.charCodeAt(i))) return fail(input, `invalid character ${describeChar(upstream[i]!)} in version number`);
  }
  for (let i = 0; i < revision.length; i++) {
    if (!isRevisionChar(revision.charCodeAt(i))) return fail(input, `invalid character ${describeChar(revision[i]!)} in revision number`);
  }
  return { epoch, upstream, revision };
}

/** dpkg's weight of one character in a non-digit run; 0 for a digit or the end of the string. */
function order(s: string, i: number): number {
  if (i >= s.length) return 0;
  const c = s.charCodeAt(i);
  if (isDigitCode(c)) return 0;
  if (isAlphaCode(c)) return c;
  if (c === 126) return -1; // '~'
  return c + 256;
}

/** dpkg's comparison of one part (upstream or revision). */
export function verrevcmp(a: string, b: string): Cmp {
  let i = 0;
  let j = 0;
  while (i < a.length || j < b.length) {
    let firstDiff = 0;
    while ((i < a.length && !isDigitCode(a.charCodeAt(i))) || (j < b.length && !isDigitCode(b.charCodeAt(j)))) {
      const ac = order(a, i);
      const bc = order(b, j);
      if (ac !== bc) return ac < bc ? -1 : 1;
      i++;
      j++;
    }
    while (a.charCodeAt(i) === 48) i++;
    while (b.charCodeAt(j) === 48) j++;
    while (i < a.length && j < b.length && isDigitCode(a.charCodeAt(i)) && isDigitCode(b.charCodeAt(j))) {
      if (firstDiff === 0) firstDiff = a.charCodeAt(i) - b.charCodeAt(j);
      i++;
      j++;
    }
    if (i < a.length && isDigitCode(a.charCodeAt(i))) return 1;
    if (j < b.length && isDigitCode(b.charCodeAt(j))) return -1;
    if (firstDiff !== 0) return firstDiff < 0 ? -1 : 1;
  }
  return 0;
}

export function compareDpkgParsed(a: DpkgVersion, b: DpkgVersion): Cmp {
  if (a.epoch !== b.epoch) return a.epoch < b.epoch ? -1 : 1;
  return verrevcmp(a.upstream, b.upstream) || verrevcmp(a.revision, b.revision);
}

export function compareDpkg(a: string, b: string): Cmp {
  return compareDpkgParsed(parseDpkg(a), parseDpkg(b));
}
