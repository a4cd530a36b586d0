/**
 * Scanner package-type names mapped onto patchloop's ecosystem names (deb,
 * rpm, apk, npm, pypi, maven, go, cargo, nuget, gem, composer), shared by the
 * JSON importers (issue #5). Each scanner names ecosystems its own way: Trivy
 * by the lockfile or OS it read, Grype by its cataloguer, OSV by registry,
 * purl by type. A name not listed here maps to null: the finding keeps its
 * package name and version, but no ecosystem is guessed.
 */

export const REPORT_ECOSYSTEMS = ['deb', 'rpm', 'apk', 'npm', 'pypi', 'maven', 'go', 'cargo', 'nuget', 'gem', 'composer'] as const;
export type ReportEcosystem = (typeof REPORT_ECOSYSTEMS)[number];

function table(groups: Record<ReportEcosystem, string[]>): ReadonlyMap<string, ReportEcosystem> {
  const m = new Map<string, ReportEcosystem>();
  for (const [eco, names] of Object.entries(groups) as [ReportEcosystem, string[]][]) for (const n of names) m.set(n, eco);
  return m;
}

/** Trivy's Result.Type: the OS family for OS packages, the analyser for language packages. */
const TRIVY = table({
  deb: ['debian', 'ubuntu'],
  apk: ['alpine', 'wolfi', 'chainguard', 'minimos'],
  rpm: ['redhat', 'centos', 'rocky', 'alma', 'amazon', 'oracle', 'fedora', 'photon', 'suse linux enterprise server', 'suse linux enterprise micro', 'opensuse.leap', 'opensuse.tumbleweed', 'opensuse', 'cbl-mariner', 'azurelinux', 'echo'],
  npm: ['npm', 'yarn', 'pnpm', 'node-pkg', 'bun'],
  pypi: ['pip', 'pipenv', 'poetry', 'python-pkg', 'uv'],
  maven: ['jar', 'pom', 'gradle', 'sbt'],
  go: ['gomod', 'gobinary'],
  cargo: ['cargo', 'rustbinary'],
  nuget: ['nuget', 'dotnet-core', 'packages-props'],
  gem: ['bundler', 'gemspec'],
  composer: ['composer', 'composer-vendor'],
});

/** Grype's artifact.type (syft's package types). */
const GRYPE = table({
  deb: ['deb'],
  rpm: ['rpm'],
  apk: ['apk'],
  npm: ['npm'],
  pypi: ['python'],
  maven: ['java-archive', 'jenkins-plugin'],
  go: ['go-module'],
  cargo: ['rust-crate'],
  nuget: ['dotnet'],
  gem: ['gem'],
  composer: ['php-composer'],
});

/** OSV ecosystem names, before any ":release" suffix ("Debian:12", "Alpine:v3.19"). */
const OSV = table({
  deb: ['debian', 'ubuntu'],
  apk: ['alpine', 'wolfi', 'chainguard'],
  rpm: ['red hat', 'almalinux', 'rocky linux', 'suse', 'opensuse', 'mageia', 'openeuler', 'azure linux'],
  npm: ['npm'],
  pypi: ['pypi'],
  maven: ['maven'],
  go: ['go'],
  cargo: ['crates.io'],
  nuget: ['nuget'],
  gem: ['rubygems'],
  composer: ['packagist'],
});

/** Package URL types (purl-spec PURL-TYPES). */
const PURL = table({
  deb: ['deb'],
  rpm: ['rpm'],
  apk: ['apk'],
  npm: ['npm'],
  pypi: ['pypi'],
  maven: ['maven'],
  go: ['golang'],
  cargo: ['cargo'],
  nuget: ['nuget'],
  gem: ['gem'],
  composer: ['composer'],
});

const lookup = (m: ReadonlyMap<string, ReportEcosystem>, name: string | null | undefined) => (name ? (m.get(name.trim().toLowerCase()) ?? null) : null);

export const ecosystemOfTrivyType = (type: string | null | undefined): ReportEcosystem | null => lookup(TRIVY, type);
export const ecosystemOfGrypeType = (type: string | null | undefined): ReportEcosystem | null => lookup(GRYPE, type);

/** "Debian:12" → deb, "PyPI" → pypi, "crates.io" → cargo. */
export function ecosystemOfOsv(ecosystem: string | null | undefined): ReportEcosystem | null {
  if (!ecosystem) return null;
  const colon = ecosystem.indexOf(':');
  return lookup(OSV, colon < 0 ? ecosystem : ecosystem.slice(0, colon));
}

/** A purl type ("deb", "golang") → deb, go. */
export const ecosystemOfPurlType = (type: string): ReportEcosystem | null => lookup(PURL, type);

/** The ecosystem of a package URL string ("pkg:npm/%40scope/x@1" → npm), without parsing the rest. */
export function ecosystemOfPurl(purl: string | null | undefined): ReportEcosystem | null {
  const m = purl ? /^pkg:\/*([A-Za-z.+-][A-Za-z0-9.+-]*)\//.exec(purl.trim()) : null;
  return m ? ecosystemOfPurlType(m[1] as string) : null;
}
