/**
 * The Trivy parser on the real reports in ../shared/fixtures/scanners/trivy
 * (DefectDojo's unit-test files, BSD licence): counts and fields checked
 * against the files themselves, read here with JSON.parse and regexes.
 */
import fs from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { collect } from '../../src/domain/scanners/json-testkit.js';
import { trivyReport } from '../../src/domain/scanners/trivy.js';

const dir = path.resolve(process.cwd(), '../shared/fixtures/scanners/trivy');
const present = fs.existsSync(dir);
if (!present) console.log(`Trivy fixture tests skipped: ${dir} is absent`);
const read = (file: string) => fs.readFileSync(path.join(dir, file), 'utf8');
const parse = (file: string) => collect(trivyReport, fs.createReadStream(path.join(dir, file), { highWaterMark: 1024 }));
const vulnerabilityCount = (text: string) => (text.match(/"VulnerabilityID"\s*:/g) ?? []).length;

describe.skipIf(!present)(`Trivy fixtures (${dir})`, () => {
  it('scheme_2_many_vulns.json: one image, every vulnerability in file order', async () => {
    const text = read('scheme_2_many_vulns.json');
    const doc = JSON.parse(text);
    const expected = doc.Results.flatMap((r: any) => (r.Vulnerabilities ?? []).map((v: any) => ({ r, v })));
    const got = await parse('scheme_2_many_vulns.json');
    expect(got.findings).toHaveLength(vulnerabilityCount(text));
    expect(got.findings).toHaveLength(expected.length);
    expect(got.findings.map((f) => [f.vulnerabilityId, f.package?.name, f.package?.version])).toEqual(expected.map(({ v }: any) => [v.VulnerabilityID, v.PkgName, v.InstalledVersion]));
    expect(got.findings.map((f) => f.location)).toEqual(expected.map(({ r, v }: any) => (v.PkgPath ? `${r.Target}: ${v.PkgPath}` : r.Target)));
    expect(new Set(got.calls.map((c) => JSON.stringify(c.target)))).toEqual(new Set([JSON.stringify({ key: 'teamdojo:latest', kind: 'image', name: 'teamdojo:latest', imageDigest: null, os: 'alpine 3.9.4' })]));
    expect(got.meta).toEqual({ format: 'trivy', scanner: 'Trivy', reportName: 'teamdojo:latest', scannedAt: null });
    // Looked up in the file: freetype's NVD v3 score is 6.5 (Red Hat's 8.6 is not taken).
    expect(got.findings[0]).toMatchObject({ vulnerabilityId: 'CVE-2020-15999', severity: 'medium', cvssScore: 6.5, cvssVector: 'CVSS:3.1/AV:N/AC:L/PR:N/UI:R/S:U/C:N/I:N/A:H', package: { ecosystem: 'apk', name: 'freetype', version: '2.9.1-r2', fixedVersion: '2.9.1-r3' } });
    // krb5-libs has only a Red Hat score; libbz2 none.
    expect(got.findings.slice(1, 3).map((f) => [f.vulnerabilityId, f.severity, f.cvssScore])).toEqual([['CVE-2020-28196', 'high', 7.5], ['CVE-2019-12900', 'critical', null]]);
    expect(got.findings[3]).toMatchObject({ vulnerabilityId: 'CVE-2018-11771', sourceKey: 'app/libs/commons-compress-1.14.jar|app/libs/commons-compress-1.14', package: { ecosystem: 'maven', name: 'org.apache.commons:commons-compress', fixedVersion: '1.18' } });
  });

  it('legacy_many_vulns.json: the list form, an image named from the first Target', async () => {
    const text = read('legacy_many_vulns.json');
    const doc = JSON.parse(text);
    const vulns = doc.flatMap((r: any) => r.Vulnerabilities ?? []);
    const got = await parse('legacy_many_vulns.json');
    expect(got.findings).toHaveLength(vulnerabilityCount(text));
    expect(got.findings.map((f) => f.vulnerabilityId)).toEqual(vulns.map((v: any) => v.VulnerabilityID));
    expect(got.findings.filter((f) => f.severity === null)).toHaveLength(vulns.filter((v: any) => v.Severity === 'UNKNOWN').length);
    expect(got.findings.map((f) => f.cvssScore)).toEqual(vulns.map((v: any) => v.CVSS?.nvd?.V3Score ?? (Object.values(v.CVSS ?? {}) as any[]).find((c) => c.V3Score !== undefined)?.V3Score ?? null));
    expect(got.calls.map((c) => c.target)).toEqual([{ key: 'debian', kind: 'image', name: 'debian', imageDigest: null, os: 'debian 10.8' }]);
    expect(got.findings.every((f) => f.package?.ecosystem === 'deb' && f.sourceKey === 'debian (debian 10.8)')).toBe(true);
    expect(got.findings[0]).toMatchObject({ vulnerabilityId: 'CVE-2011-3374', severity: 'low', cvssScore: 3.7, package: { name: 'apt', version: '1.8.2.2', fixedVersion: null } });
  });

  it('legacy_no_vuln.json (`null`): imports cleanly with nothing', async () => {
    expect(read('legacy_no_vuln.json').trim()).toBe('null');
    const got = await parse('legacy_no_vuln.json');
    expect(got.calls).toEqual([]);
    expect(got.skips).toEqual({});
  });
});
