/**
 * The Grype parser on the real reports in ../shared/fixtures/scanners/anchore_grype
 * (DefectDojo's unit-test files, BSD licence): counts and fields checked
 * against the files themselves.
 */
import fs from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { grypeReport } from '../../src/domain/scanners/grype.js';
import { collect } from '../../src/domain/scanners/json-testkit.js';

const dir = path.resolve(process.cwd(), '../shared/fixtures/scanners/anchore_grype');
const present = fs.existsSync(dir);
if (!present) console.log(`Grype fixture tests skipped: ${dir} is absent`);
const read = (file: string) => fs.readFileSync(path.join(dir, file), 'utf8');
const parse = (file: string) => collect(grypeReport, fs.createReadStream(path.join(dir, file), { highWaterMark: 1024 }));

describe.skipIf(!present)(`Grype fixtures (${dir})`, () => {
  it.each(['fix_available.json', 'many_vulns4.json', 'no_vuln.json'])('%s: every match, filed under the CVE where one is named', async (file) => {
    const text = read(file);
    const doc = JSON.parse(text);
    const got = await parse(file);
    expect(got.findings).toHaveLength((text.match(/"artifact"\s*:/g) ?? []).length);
    expect(got.findings).toHaveLength(doc.matches.length);
    const ids = doc.matches.map((m: any) => {
      const all = [m.vulnerability.id, ...(m.relatedVulnerabilities ?? []).map((r: any) => r.id)];
      return all.find((i: string) => i.startsWith('CVE-')) ?? m.vulnerability.id;
    });
    expect(got.findings.map((f) => f.vulnerabilityId)).toEqual(ids);
    expect(got.findings.map((f) => f.package?.name)).toEqual(doc.matches.map((m: any) => m.artifact.name));
    expect(got.findings.map((f) => f.package?.fixedVersion ?? null)).toEqual(doc.matches.map((m: any) => m.vulnerability.fix?.versions?.[0] ?? null));
    expect(got.findings.map((f) => f.sourceKey)).toEqual(doc.matches.map((m: any) => m.artifact.locations?.[0]?.path ?? ''));
    expect(got.calls.length).toBeGreaterThanOrEqual(1);
    expect(got.meta.scanner).toBe(`Grype ${doc.descriptor.version}`);
  });

  it('fix_available.json: an image by its manifest digest; the NUL in the version is removed', async () => {
    const got = await parse('fix_available.json');
    expect(got.calls.map((c) => c.target)).toEqual([{ key: 'REDACTED', kind: 'image', name: 'REDACTED', imageDigest: 'sha256:4e1c538085614cbc0c9affbb206abbec3220118425409662e46b3d4bb71d1b6d', os: 'ubuntu 20.04' }]);
    expect(got.findings[0]).toMatchObject({ vulnerabilityId: 'CVE-2009-3882', severity: 'high', cvssScore: null, output: 'matched by cpe-match; fix state: fixed', package: { name: 'java', version: '17.0.10+7-J-ms8m', fixedVersion: '1.2.3', ecosystem: null } });
    expect(got.meta.scannedAt).toBe('2024-04-10T11:05:22.636338786Z');
  });

  it('many_vulns4.json: a directory scan is an application; the GHSA match is filed under its CVE', async () => {
    const got = await parse('many_vulns4.json');
    expect(got.calls.map((c) => c.target)).toEqual([{ key: '.', kind: 'application', name: '.', os: null }]);
    expect(got.findings.find((f) => f.aliases?.includes('GHSA-8v27-2fg9-7h62'))).toMatchObject({ vulnerabilityId: 'CVE-2021-23334', severity: 'critical', package: { ecosystem: 'npm', name: 'static-eval', version: '2.1.0' } });
    expect(got.findings.find((f) => f.vulnerabilityId === 'CVE-2021-32626')).toMatchObject({ sourceKey: 'requirements.txt', package: { ecosystem: 'pypi' } });
  });

  it('no_vuln.json: the image, with no findings', async () => {
    const got = await parse('no_vuln.json');
    expect(got.calls.map((c) => [c.target.name, c.target.imageDigest, c.target.os, c.findings.length])).toEqual([['busybox:latest', 'sha256:6bea45f4e050ffdbb3a0f57a6c6f16318314a482f31442c4461a72a3ee2f3ee6', 'busybox 1.32.1', 0]]);
  });
});
