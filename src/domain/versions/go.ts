/**
 * Go module versions, following golang.org/x/mod/semver and the Go modules
 * reference (https://go.dev/ref/mod#versions): semantic versions with a `v`
 * prefix (optional here, because OSV's Go ecosystem omits it), ordered by
 * SemVer 2.0.0 precedence. Build metadata such as `+incompatible` is ignored
 * (`v2.0.0+incompatible` = `v2.0.0`). The shorthands `v1` and `v1.2` mean
 * `v1.0.0` and `v1.2.0`, as in x/mod/semver. Pseudo-versions
 * (`vX.0.0-yyyymmddhhmmss-abcdefabcdef`, `vX.Y.(Z+1)-0.yyyymmddhhmmss-…`,
 * `vX.Y.Z-pre.0.yyyymmddhhmmss-…`) are pre-releases, so they sort below the
 * release they precede and by commit time among themselves.
 */
import { type SemVer, compareSemVerParsed, parseSemVerCore } from './semver.js';
import type { Cmp } from './types.js';

export function parseGo(input: string): SemVer {
  return parseSemVerCore(input, 'go', { prefix: 'optional', shorthand: true, lowerVOnly: true });
}

const PSEUDO = /^v?[0-9]+\.[0-9]+\.[0-9]+-(?:[0-9A-Za-z-.]+\.)?(?:0\.)?[0-9]{14}-[0-9a-f]{12}(?:\+incompatible)?$/;

/** True for a Go pseudo-version (a pre-release whose last identifiers are a 14-digit UTC time and a 12-hex-digit commit). */
export function isGoPseudoVersion(v: string): boolean {
  return PSEUDO.test(v);
}

export function compareGo(a: string, b: string): Cmp {
  return compareSemVerParsed(parseGo(a), parseGo(b));
}
