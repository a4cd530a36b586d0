/**
 * The osv-scanner parser on the real report in ../shared/fixtures/scanners/osv_scanner
 * (DefectDojo's unit-test file, BSD licence), checked against the file itself.
 */
import fs from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { collect } from '../../src/domain/scanners/json-testkit.js';
import { osvScannerReport } from '../../src/domain/scanners/osv-scanner.js';

const dir = path.resolve(process.cwd(), '../shared/fixtures/scanners/osv_scanner');
const present = fs.existsSync(dir);
if (!present) console.log(`osv-scanner fixture tests skipped: ${dir} is absent`);

describe.skipIf(!present)(`osv-scanner fixtures (${dir})`, () => {
  it('some_findings.json: one finding per group, the application named by the lockfiles directory', async () => {
    const file = path.join(dir, 'some_findings.json');
    const doc = JSON.parse(fs.readFileSync(file, 'utf8'));
    const groups = doc.results.flatMap((r: any) => r.packages.flatMap((p: any) => p.groups.map((g: any) => ({ r, p, g }))));
    const got = await collect(osvScannerReport, fs.createReadStream(file, { highWaterMark: 512 }));
    expect(got.findings).toHaveLength(groups.length);
    expect(got.findings.map((f) => [f.package?.name, f.package?.version, f.sourceKey])).toEqual(groups.map(({ r, p }: any) => [p.package.name, p.package.version, r.source.path]));
    expect(got.calls.map((c) => c.target)).toEqual([{ key: '/tmp/components', kind: 'application', name: '/tmp/components' }]);
    expect(got.findings[0]).toMatchObject({ vulnerabilityId: 'MAL-2023-1035', aliases: ['GHSA-8348-2q94-ffjx'], title: 'Malicious code in flot-axis (npm)', severity: null, package: { ecosystem: 'npm', name: 'flot-axis', version: '0.0.0', fixedVersion: null } });
  });
});
