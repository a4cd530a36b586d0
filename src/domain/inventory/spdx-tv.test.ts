import { describe, expect, it } from 'vitest';
import { SbomError } from './cyclonedx.js';
import { packagesFromSpdx } from './spdx.js';
import { looksLikeSpdxTagValue, packagesFromSpdxTagValue } from './spdx-tv.js';

// INV-3: SPDX tag-value gives the same inventory packages as SPDX JSON.
const PKGS = [
  { name: 'openssl', version: '3.0.15-1~deb12u1', refs: [['SECURITY', 'cpe23Type', 'cpe:2.3:a:openssl:openssl:3.0.15:*:*:*:*:*:*:*'], ['PACKAGE-MANAGER', 'purl', 'pkg:deb/debian/openssl@3.0.15-1~deb12u1?arch=amd64&upstream=openssl%403.0.15-1~deb12u1']] },
  { name: 'requests', version: '2.31.0', refs: [['PACKAGE_MANAGER', 'purl', 'pkg:pypi/requests']] },
  { name: 'jackson-databind', version: '2.9.4', refs: [['PACKAGE-MANAGER', 'purl', 'pkg:maven/com.fasterxml.jackson.core/jackson-databind@2.9.4']] },
  { name: 'README', version: '1', refs: [] },
  { name: 'rails', version: '7.0.0', refs: [['PACKAGE-MANAGER', 'purl', 'pkg:gem/rails@7.0.0']] },
  { name: 'lodash', version: '4.17.20', refs: [['PACKAGE-MANAGER', 'purl', 'pkg:npm/lodash@4.17.20']] },
  { name: 'lodash again', version: '4.17.20', refs: [['PACKAGE-MANAGER', 'purl', 'pkg:npm/lodash@4.17.20']] },
];

function tagValue(): string {
  const head = ['SPDXVersion: SPDX-2.3', 'DataLicense: CC0-1.0', 'SPDXID: SPDXRef-DOCUMENT', 'DocumentName: app', 'DocumentComment: <text>built by', 'a tool: with colons', '</text>', 'Creator: Tool: test', ''];
  const body = PKGS.flatMap((p, i) => [
    `##### Package: ${p.name}`,
    '',
    `PackageName: ${p.name}`,
    `SPDXID: SPDXRef-${i}`,
    `PackageVersion: ${p.version}`,
    'PackageDownloadLocation: NOASSERTION',
    ...p.refs.map((r) => `ExternalRef: ${r.join(' ')}`),
    '',
  ]);
  return [...head, ...body, 'FileName: ./README', 'SPDXID: SPDXRef-F1', 'Relationship: SPDXRef-DOCUMENT DESCRIBES SPDXRef-0'].join('\n');
}

function json() {
  return {
    spdxVersion: 'SPDX-2.3',
    packages: PKGS.map((p, i) => ({ SPDXID: `SPDXRef-${i}`, name: p.name, versionInfo: p.version, externalRefs: p.refs.map(([c, t, l]) => ({ referenceCategory: c, referenceType: t, referenceLocator: l })) })),
  };
}

describe('SPDX tag-value → inventory packages', () => {
  it('gives the same packages as the JSON form of the same document', () => {
    const tv = packagesFromSpdxTagValue(tagValue());
    const js = packagesFromSpdx(json());
    expect(tv.packages).toEqual(js.packages);
    expect(tv.packages.map((p) => `${p.ecosystem} ${p.name} ${p.version} ${p.arch} ${p.sourceName ?? ''}`)).toEqual([
      'deb openssl 3.0.15-1~deb12u1 amd64 openssl',
      'pypi requests 2.31.0  ',
      'maven com.fasterxml.jackson.core:jackson-databind 2.9.4  ',
      'npm lodash 4.17.20  ',
    ]);
    expect(tv.skipped.map((s) => s.reason)).toEqual(js.skipped.map((s) => s.reason));
    // Skips name the PackageName line of the package.
    const lineOf = (text: string) => `line ${tagValue().split('\n').indexOf(text) + 1}`;
    expect(tv.skipped).toEqual([{ where: lineOf('PackageName: README'), reason: 'no purl' }, { where: lineOf('PackageName: rails'), reason: 'purl type gem is not matched' }]);
  });

  it('accepts CRLF line ends, a byte-order mark and comments before the version', () => {
    const text = `\uFEFF# made by hand\r\n${tagValue().replace(/\n/g, '\r\n')}`;
    expect(looksLikeSpdxTagValue(text)).toBe(true);
    expect(packagesFromSpdxTagValue(text).packages).toHaveLength(4);
  });

  it('refuses malformed documents, naming the line', () => {
    const bad = (text: string) => {
      try {
        packagesFromSpdxTagValue(text);
      } catch (err) {
        expect(err).toBeInstanceOf(SbomError);
        return (err as Error).message;
      }
      throw new Error('accepted');
    };
    expect(bad('PackageName: x\n')).toMatch(/^line 1: is not an SPDX tag-value document/);
    expect(bad('')).toMatch(/^document: is empty/);
    expect(bad('SPDXVersion: SPDX-2.3\nPackageName: a\nthis is not a tag\n')).toMatch(/^line 3: expected "Tag: value"/);
    expect(bad('SPDXVersion: SPDX-2.3\nPackageName: a\nPackageComment: <text>never closed\nmore\n')).toMatch(/^line 3: PackageComment: <text> is not closed/);
    expect(bad('SPDXVersion: SPDX-2.3\nPackageName: a\nExternalRef: PACKAGE-MANAGER purl\n')).toMatch(/^line 3: ExternalRef needs a category/);
    expect(bad('SPDXVersion: SPDX-2.3\nExternalRef: PACKAGE-MANAGER purl pkg:npm/x@1\n')).toMatch(/^line 2: ExternalRef purl outside a package/);
    expect(bad('SPDXVersion: SPDX-2.3\n\nPackageName: a\nPackageVersion: 1\nExternalRef: PACKAGE-MANAGER purl nonsense\n')).toMatch(/^line 5: "nonsense" is not a package URL/);
    expect(bad('SPDXVersion: SPDX-2.3\nFileName: a.c\nExternalRef: PACKAGE-MANAGER purl pkg:npm/x@1\n')).toMatch(/^line 3: ExternalRef purl outside a package/);
  });

  it('is not fooled by JSON or CycloneDX', () => {
    expect(looksLikeSpdxTagValue(JSON.stringify(json()))).toBe(false);
    expect(looksLikeSpdxTagValue('<bom/>')).toBe(false);
    expect(() => packagesFromSpdxTagValue(JSON.stringify(json()))).toThrow(/line 1/);
  });
});
