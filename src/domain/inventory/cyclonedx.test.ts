import fs from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { inventorySchema } from './inventory.js';
import { packagesFromCycloneDx, packagesFromCycloneDxXml, SbomError } from './cyclonedx.js';

const bom = (components: unknown[]) => ({ bomFormat: 'CycloneDX', specVersion: '1.5', components });

describe('CycloneDX SBOM → inventory packages', () => {
  it('maps each matched purl type to its ecosystem and the advisories’ naming', () => {
    const r = packagesFromCycloneDx(
      bom([
        { name: 'log4j-core', purl: 'pkg:maven/org.apache.logging.log4j/log4j-core@2.14.1' },
        { name: 'core', purl: 'pkg:npm/%40angular/core@16.2.0' },
        { name: 'Jinja2', purl: 'pkg:pypi/jinja2@3.1.4' },
        { name: 'x/net', purl: 'pkg:golang/golang.org/x/net@v0.17.0' },
        { name: 'openssl', purl: 'pkg:rpm/rocky/openssl@3.0.7-28.el9_4?arch=x86_64&epoch=1' },
        { name: 'libssl3', purl: 'pkg:deb/debian/libssl3@3.0.14-1~deb12u2?arch=amd64&upstream=openssl' },
        { name: 'busybox', purl: 'pkg:apk/alpine/busybox@1.36.1-r15?arch=x86_64' },
        { name: 'app', components: [{ name: 'lodash', purl: 'pkg:npm/lodash@4.17.20' }] },
        { name: 'serde', purl: 'pkg:cargo/serde@1.0.0' },
      ]),
    );
    expect(r.packages.map((p) => `${p.ecosystem} ${p.name} ${p.version} ${p.arch}${p.sourceName ? ` src=${p.sourceName}` : ''}`)).toEqual([
      'maven org.apache.logging.log4j:log4j-core 2.14.1 ',
      'npm @angular/core 16.2.0 ',
      'pypi jinja2 3.1.4 ',
      'go golang.org/x/net v0.17.0 ',
      'rpm openssl 1:3.0.7-28.el9_4 x86_64',
      'deb libssl3 3.0.14-1~deb12u2 amd64 src=openssl',
      'apk busybox 1.36.1-r15 x86_64',
      'npm lodash 4.17.20 ',
    ]);
    expect(r.skipped).toEqual([
      { where: 'components[7]', reason: 'no purl' },
      { where: 'components[8]', reason: 'purl type cargo is not matched' },
    ]);
    // What comes out is a valid inventory.
    expect(inventorySchema.safeParse({ release: 'bookworm', packages: r.packages }).success).toBe(true);
  });

  it('refuses what is not CycloneDX or has a broken purl, naming where', () => {
    expect(() => packagesFromCycloneDx({ bomFormat: 'SPDX' })).toThrow(SbomError);
    expect(() => packagesFromCycloneDx(bom([{ name: 'x', purl: 'not-a-purl' }]))).toThrow(/components\[0\]\.purl/);
    expect(() => packagesFromCycloneDx(bom([{ name: 'x', purl: 42 }]))).toThrow(/components\[0\]\.purl/);
    expect(() => packagesFromCycloneDx({ bomFormat: 'CycloneDX', components: {} })).toThrow(/components: must be an array/);
  });

  const fixture = path.resolve('../shared/fixtures/scanners/cyclonedx/log4j.json');
  it.skipIf(!fs.existsSync(fixture))('reads the real grype-made SBOM (skipped without ../shared/fixtures)', () => {
    const r = packagesFromCycloneDx(JSON.parse(fs.readFileSync(fixture, 'utf8')));
    expect(r.packages).toEqual([{ ecosystem: 'maven', name: 'org.apache.logging.log4j:log4j-core', version: '2.13.2', arch: '', purl: 'pkg:maven/org.apache.logging.log4j/log4j-core@2.13.2' }]);
  });
});

describe('CycloneDX XML SBOM → inventory packages', () => {
  const xml = (components: string) => `<?xml version="1.0" encoding="UTF-8"?>
<bom xmlns="http://cyclonedx.org/schema/bom/1.5" version="1"><components>${components}</components></bom>`;

  it('reads components and nested components like the JSON form', () => {
    const r = packagesFromCycloneDxXml(
      xml(`<component type="library"><name>log4j-core</name><version>2.14.1</version><purl>pkg:maven/org.apache.logging.log4j/log4j-core@2.14.1</purl>
        <components><component type="library"><name>lodash</name><purl>pkg:npm/lodash@4.17.20</purl></component></components></component>
        <component type="file"><name>readme</name></component>`),
    );
    expect(r.packages.map((p) => `${p.ecosystem} ${p.name} ${p.version}`)).toEqual(['npm lodash 4.17.20', 'maven org.apache.logging.log4j:log4j-core 2.14.1']);
    expect(r.skipped).toEqual([{ where: 'components[1]', reason: 'no purl' }]);
  });

  it('refuses malformed XML and other roots, and does not expand entities', () => {
    expect(() => packagesFromCycloneDxXml('<bom><components><component></bom>')).toThrow(/not well-formed XML/);
    expect(() => packagesFromCycloneDxXml('<spdx/>')).toThrow(/<bom> root element/);
    const bomb = `<?xml version="1.0"?><!DOCTYPE bom [<!ENTITY a "aaaaaaaaaa"><!ENTITY b "&a;&a;&a;&a;&a;&a;&a;&a;&a;&a;">]>
<bom><components><component><name>&b;</name><purl>pkg:npm/x@1.0.0</purl></component></components></bom>`;
    const r = packagesFromCycloneDxXml(bomb);
    expect(r.packages).toEqual([{ ecosystem: 'npm', name: 'x', version: '1.0.0', arch: '', purl: 'pkg:npm/x@1.0.0' }]);
  });
});
