/**
 * Version ordering for the package ecosystems patchloop matches: one module
 * per ecosystem (each names the specification it follows) and one entry
 * point, `compareVersions(ecosystem, a, b)`. Every comparison validates both
 * versions first and throws VersionError, naming the problem, for input its
 * ecosystem's grammar rejects. Pure: no I/O, no Node APIs.
 */
import { compareApk, parseApk } from './apk.js';
import { compareDpkg, parseDpkg } from './dpkg.js';
import { compareGo, parseGo } from './go.js';
import { compareMaven, parseMaven } from './maven.js';
import { comparePep440, parsePep440 } from './pep440.js';
import { compareRpm, parseRpm } from './rpm.js';
import { compareSemVer, parseSemVer } from './semver.js';
import type { Cmp } from './types.js';

export { type Cmp, VersionError } from './types.js';

export const ECOSYSTEMS = ['deb', 'rpm', 'apk', 'npm', 'pypi', 'maven', 'go'] as const;
export type Ecosystem = (typeof ECOSYSTEMS)[number];

/** Accepted names (lower-case) and the ecosystem each stands for. */
export const ECOSYSTEM_ALIASES: Readonly<Record<string, Ecosystem>> = {
  deb: 'deb', debian: 'deb', ubuntu: 'deb', dpkg: 'deb',
  rpm: 'rpm', redhat: 'rpm', 'red hat': 'rpm', rocky: 'rpm', 'rocky linux': 'rpm', alma: 'rpm', almalinux: 'rpm', fedora: 'rpm', suse: 'rpm', opensuse: 'rpm', centos: 'rpm', rhel: 'rpm',
  apk: 'apk', alpine: 'apk',
  npm: 'npm', semver: 'npm',
  pypi: 'pypi', pep440: 'pypi', python: 'pypi',
  maven: 'maven',
  go: 'go', golang: 'go',
};

export class UnknownEcosystemError extends Error {
  constructor(readonly given: string) {
    super(`unknown ecosystem ${JSON.stringify(given)}: use one of ${ECOSYSTEMS.join(', ')} (or an alias such as debian, ubuntu, alpine, rocky, alma, fedora, suse, semver, pep440)`);
    this.name = 'UnknownEcosystemError';
  }
}

/** Resolves an ecosystem name or alias, case-insensitively; throws UnknownEcosystemError. */
export function resolveEcosystem(name: string): Ecosystem {
  const e = ECOSYSTEM_ALIASES[name.trim().toLowerCase()];
  if (!e) throw new UnknownEcosystemError(name);
  return e;
}

const COMPARE: Record<Ecosystem, (a: string, b: string) => Cmp> = {
  deb: compareDpkg,
  rpm: compareRpm,
  apk: compareApk,
  npm: compareSemVer,
  pypi: comparePep440,
  maven: compareMaven,
  go: compareGo,
};

const PARSE: Record<Ecosystem, (v: string) => unknown> = {
  deb: parseDpkg,
  rpm: parseRpm,
  apk: parseApk,
  npm: parseSemVer,
  pypi: parsePep440,
  maven: parseMaven,
  go: parseGo,
};

/** Compares two versions of one ecosystem: -1 if a < b, 0 if equal in order, 1 if a > b. Throws VersionError or UnknownEcosystemError. */
export function compareVersions(ecosystem: string, a: string, b: string): Cmp {
  return COMPARE[resolveEcosystem(ecosystem)](a, b);
}

/** Validates a version of an ecosystem; throws VersionError naming the problem. */
export function validateVersion(ecosystem: string, v: string): void {
  PARSE[resolveEcosystem(ecosystem)](v);
}

/** A comparator for one ecosystem, resolved once (for sorting and bulk comparison). */
export function comparatorFor(ecosystem: string): (a: string, b: string) => Cmp {
  return COMPARE[resolveEcosystem(ecosystem)];
}

export const CMP_SYMBOL: Readonly<Record<Cmp, '<' | '=' | '>'>> = { [-1]: '<', 0: '=', 1: '>' } as Record<Cmp, '<' | '=' | '>'>;

export { compareApk, compareApkRaw, isValidApk, parseApk } from './apk.js';
export { compareDpkg, parseDpkg } from './dpkg.js';
export { compareGo, isGoPseudoVersion, parseGo } from './go.js';
export { canonicalMaven, compareMaven, parseMaven } from './maven.js';
export { comparePep440, normalizePep440, parsePep440 } from './pep440.js';
export { compareRpm, parseRpm, rpmvercmp } from './rpm.js';
export { compareSemVer, parseSemVer } from './semver.js';
