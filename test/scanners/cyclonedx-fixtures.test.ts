/**
 * The CycloneDX importer on the real BOMs in ../shared/fixtures/scanners/
 * cyclonedx (DefectDojo's unit-test files): counts and fields checked against
 * the files themselves, read here with JSON.parse and a plain walk.
 */
import fs from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { cyclonedxReport } from '../../src/domain/scanners/cyclonedx-vex.js';
import type { ReportFinding, ReportTarget } from '../../src/domain/scanners/report.js';

const dir = path.resolve(process.cwd(), '../shared/fixtures/scanners/cyclonedx');
const present = fs.existsSync(dir);
if (!present) console.log(`CycloneDX fixtures skipped: ${dir} is absent`);

async function parse(file: string) {
  const targets: { target: ReportTarget; findings: ReportFinding[] }[] = [];
  const skips: string[] = [];
  const meta = await cyclonedxReport(fs.createReadStream(path.join(dir, file), { highWaterMark: 1024 }), {
    target: (target, findings) => {
      targets.push({ target, findings });
    },
    skip: (reason) => {
      skips.push(reason);
    },
  });
  return { meta, targets, skips, findings: targets.flatMap((t) => t.findings) };
}

interface RawVuln {
  id: string;
  references?: { id: string }[];
  affects?: { ref: string }[];
  ratings?: { method?: string; score?: number; severity?: string }[];
  analysis?: { state?: string };
}

describe.skipIf(!present)(`CycloneDX fixtures (${dir})`, () => {
  it.each(['log4j.json', 'valid-vulnerability-1.4.json'])('%s: one finding per vulnerability and affected component', async (file) => {
    const raw = JSON.parse(fs.readFileSync(path.join(dir, file), 'utf8')) as { vulnerabilities: RawVuln[]; metadata?: { component?: { name: string } }; serialNumber: string };
    const expected = raw.vulnerabilities.flatMap((v) => {
      const refs = [...new Set((v.affects ?? []).map((a) => a.ref))];
      const ids = [v.id, ...(v.references ?? []).map((r) => r.id)];
      const id = ids.find((i) => /^CVE-\d{4}-\d+$/.test(i)) ?? v.id;
      return (refs.length ? refs : ['']).map((ref) => ({ id, ref }));
    });
    const { targets, findings, skips, meta } = await parse(file);
    expect(skips).toEqual([]);
    expect(findings.map((f) => ({ id: f.vulnerabilityId, ref: f.sourceKey }))).toEqual(expected);
    expect(new Set(targets.map((t) => t.target.key)).size).toBe(1);
    expect(targets[0]?.target.name).toBe(raw.metadata?.component?.name ?? `cyclonedx ${raw.serialNumber}`);
    expect(meta.format).toBe('cyclonedx');
  });

  it('log4j.json: Grype BOM for log4j-core 2.13.2, severities from CVSS v3.1 or the severity word', async () => {
    const raw = JSON.parse(fs.readFileSync(path.join(dir, 'log4j.json'), 'utf8')) as { vulnerabilities: RawVuln[] };
    const { findings, meta, targets } = await parse('log4j.json');
    expect(meta).toMatchObject({ scanner: 'grype 0.41.0', scannedAt: '2022-07-22T09:45:32+01:00' });
    expect(targets[0]?.target.kind).toBe('application');
    // In this file every rating with a CVSSv31 score agrees with its severity word, and the others carry only the word.
    const words = raw.vulnerabilities.map((v) => v.ratings?.find((r) => r.severity)?.severity);
    expect(findings.map((f) => f.severity)).toEqual(words);
    expect(findings.map((f) => f.cvssScore)).toEqual(raw.vulnerabilities.map((v) => v.ratings?.find((r) => r.method === 'CVSSv31')?.score ?? null));
    const log4shell = findings.find((f) => f.vulnerabilityId === 'CVE-2021-44228');
    expect(log4shell).toMatchObject({
      severity: 'critical',
      cvssScore: 10,
      cvssVector: 'CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:C/C:H/I:H/A:H',
      package: { ecosystem: 'maven', name: 'org.apache.logging.log4j:log4j-core', version: '2.13.2', purl: 'pkg:maven/org.apache.logging.log4j/log4j-core@2.13.2' },
      vex: { status: 'under_investigation', justification: null, detail: null },
    });
    expect(findings.filter((f) => f.vex?.status === 'under_investigation')).toHaveLength(raw.vulnerabilities.filter((v) => v.analysis?.state === 'in_triage').length);
    expect(findings.find((f) => f.vulnerabilityId === 'GHSA-p6xc-xr62-6r2g')).toMatchObject({ severity: 'high', cvssScore: null });
  });

  it('valid-vulnerability-1.4.json: the Snyk id becomes an alias of its CVE, with the not_affected analysis', async () => {
    const { findings, targets } = await parse('valid-vulnerability-1.4.json');
    expect(targets[0]?.target).toMatchObject({ kind: 'application', name: 'cyclonedx urn:uuid:3e671687-395b-41f5-a30f-a58921a69b79' });
    expect(findings).toHaveLength(1);
    expect(findings[0]).toMatchObject({
      vulnerabilityId: 'CVE-2018-7489',
      aliases: ['SNYK-JAVA-COMFASTERXMLJACKSONCORE-32111'],
      severity: 'critical',
      cvssScore: 9.8,
      cvssVector: 'CVSS:3.0/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H',
      package: { ecosystem: 'maven', name: 'com.fasterxml.jackson.core:jackson-databind', version: '2.9.4' },
      vex: { status: 'not_affected', justification: 'vulnerable_code_not_in_execute_path', detail: expect.stringContaining('response: will_not_fix, update') },
    });
  });
});
