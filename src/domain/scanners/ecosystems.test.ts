import { describe, expect, it } from 'vitest';
import { ecosystemOfGrypeType, ecosystemOfOsv, ecosystemOfPurl, ecosystemOfPurlType, ecosystemOfTrivyType } from './ecosystems.js';

describe('scanner ecosystem names', () => {
  it('purl types', () => {
    const got = ['deb', 'rpm', 'apk', 'npm', 'pypi', 'maven', 'golang', 'cargo', 'nuget', 'gem', 'composer', 'generic', 'docker', 'GOLANG'].map(ecosystemOfPurlType);
    expect(got).toEqual(['deb', 'rpm', 'apk', 'npm', 'pypi', 'maven', 'go', 'cargo', 'nuget', 'gem', 'composer', null, null, 'go']);
    expect(['pkg:npm/%40angular/core@17.0.0', 'pkg:golang/golang.org/x/net@v0.7.0', 'pkg:deb/debian/openssl@3.0.11-1?arch=amd64', 'pkg:generic/java@17', 'npm/x', '', null].map(ecosystemOfPurl)).toEqual(['npm', 'go', 'deb', null, null, null, null]);
  });

  it('Trivy result types', () => {
    const cases: [string, string | null][] = [
      ['debian', 'deb'], ['ubuntu', 'deb'], ['alpine', 'apk'], ['redhat', 'rpm'], ['centos', 'rpm'], ['rocky', 'rpm'], ['alma', 'rpm'], ['amazon', 'rpm'], ['oracle', 'rpm'],
      ['npm', 'npm'], ['yarn', 'npm'], ['pnpm', 'npm'], ['node-pkg', 'npm'], ['pip', 'pypi'], ['pipenv', 'pypi'], ['poetry', 'pypi'], ['python-pkg', 'pypi'],
      ['jar', 'maven'], ['pom', 'maven'], ['gradle', 'maven'], ['gomod', 'go'], ['gobinary', 'go'], ['cargo', 'cargo'], ['nuget', 'nuget'], ['bundler', 'gem'], ['gemspec', 'gem'], ['composer', 'composer'],
      ['dockerfile', null], ['', null],
    ];
    expect(cases.map(([t]) => ecosystemOfTrivyType(t))).toEqual(cases.map(([, e]) => e));
  });

  it('Grype artifact types', () => {
    const cases: [string, string | null][] = [['deb', 'deb'], ['rpm', 'rpm'], ['apk', 'apk'], ['npm', 'npm'], ['python', 'pypi'], ['java-archive', 'maven'], ['go-module', 'go'], ['rust-crate', 'cargo'], ['gem', 'gem'], ['dotnet', 'nuget'], ['php-composer', 'composer'], ['binary', null]];
    expect(cases.map(([t]) => ecosystemOfGrypeType(t))).toEqual(cases.map(([, e]) => e));
  });

  it('OSV ecosystems, with or without a release', () => {
    const cases: [string, string | null][] = [['Debian:12', 'deb'], ['Ubuntu:22.04:LTS', 'deb'], ['Alpine:v3.19', 'apk'], ['Red Hat:enterprise_linux:9', 'rpm'], ['AlmaLinux:9', 'rpm'], ['Rocky Linux:9', 'rpm'], ['npm', 'npm'], ['PyPI', 'pypi'], ['Maven', 'maven'], ['Go', 'go'], ['crates.io', 'cargo'], ['NuGet', 'nuget'], ['RubyGems', 'gem'], ['Packagist', 'composer'], ['Hex', null], ['', null]];
    expect(cases.map(([t]) => ecosystemOfOsv(t))).toEqual(cases.map(([, e]) => e));
  });
});
