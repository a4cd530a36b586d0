import { describe, expect, it } from 'vitest';
import { SbomError } from './cyclonedx.js';
import { packagesFromSpdx } from './spdx.js';

const doc = (packages: unknown[]) => ({ spdxVersion: 'SPDX-2.3', SPDXID: 'SPDXRef-DOCUMENT', name: 'app', packages });
const purl = (locator: string) => [{ referenceCategory: 'PACKAGE-MANAGER', referenceType: 'purl', referenceLocator: locator }];

describe('SPDX SBOM → inventory packages', () => {
  it('takes the purl of each package, skips the others', () => {
    const r = packagesFromSpdx(
      doc([
        { SPDXID: 'SPDXRef-1', name: 'requests', versionInfo: '2.31.0', externalRefs: purl('pkg:pypi/requests@2.31.0') },
        { SPDXID: 'SPDXRef-2', name: 'jackson-databind', externalRefs: [{ referenceCategory: 'SECURITY', referenceType: 'cpe23Type', referenceLocator: 'cpe:2.3:a:x:y:1:*:*:*:*:*:*:*' }, ...purl('pkg:maven/com.fasterxml.jackson.core/jackson-databind@2.9.4')] },
        { SPDXID: 'SPDXRef-3', name: 'README' },
        { SPDXID: 'SPDXRef-4', name: 'gem', externalRefs: purl('pkg:gem/rails@7.0.0') },
      ]),
    );
    expect(r.packages.map((p) => `${p.ecosystem} ${p.name} ${p.version}`)).toEqual(['pypi requests 2.31.0', 'maven com.fasterxml.jackson.core:jackson-databind 2.9.4']);
    expect(r.skipped).toEqual([{ where: 'packages[2]', reason: 'no purl' }, { where: 'packages[3]', reason: 'purl type gem is not matched' }]);
  });

  it('refuses what is not SPDX JSON or has a broken purl, naming where', () => {
    expect(() => packagesFromSpdx({ bomFormat: 'CycloneDX' })).toThrow(SbomError);
    expect(() => packagesFromSpdx(doc([{ name: 'x', externalRefs: purl('nonsense') }]))).toThrow(/packages\[0\]\.externalRefs\[0\]\.referenceLocator/);
    expect(() => packagesFromSpdx({ spdxVersion: 'SPDX-2.3', packages: {} })).toThrow(/packages: must be an array/);
  });
});
