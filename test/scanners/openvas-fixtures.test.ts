/**
 * The Greenbone/OpenVAS importer on the real reports in
 * ../shared/fixtures/scanners/openvas (DefectDojo's unit-test files, BSD
 * licence): what it hands on is compared with the files counted here by plain
 * text matching, and with values looked up in them.
 */
import fs from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { openvasReport } from '../../src/domain/scanners/openvas.js';
import type { ReportFinding, ReportTarget } from '../../src/domain/scanners/report.js';

const dir = path.resolve(process.cwd(), '../shared/fixtures/scanners/openvas');
const files = fs.existsSync(dir) ? fs.readdirSync(dir).filter((f) => f.endsWith('.xml')) : [];

async function run(file: string) {
  const targets: { target: ReportTarget; findings: ReportFinding[] }[] = [];
  const skipped: string[] = [];
  const meta = await openvasReport(fs.createReadStream(path.join(dir, file), { highWaterMark: 2048 }), {
    target(target, findings) {
      targets.push({ target, findings });
    },
    skip(reason) {
      skipped.push(reason);
    },
  });
  return { meta, targets, skipped, findings: targets.flatMap((t) => t.findings) };
}

/** The results, cut out of the text: a <result id="…"> up to its </result> (no nested results in these files). */
function results(text: string) {
  const section = /<results[^>]*>([\s\S]*?)<\/results>/.exec(text)?.[1] ?? '';
  return section.split(/<result id="/).slice(1).map((b) => {
    const own = b.slice(0, b.indexOf('</result>'));
    const cves = [...new Set([...own.matchAll(/<ref\s+id="(CVE-[^"]+)"\s+type="cve"\s*\/>/g)].map((m) => m[1]))];
    return {
      ip: /<host>\s*([^<\s]+)/.exec(own)?.[1],
      oid: /<nvt oid="([^"]+)"/.exec(own)?.[1],
      port: /<port>([^<]+)<\/port>/.exec(own)?.[1],
      threat: /<threat>([^<]*)<\/threat>/.exec(own)?.[1],
      severity: Number(/<severity>([^<]+)<\/severity>/.exec(own)?.[1]),
      cves,
    };
  });
}

describe.skipIf(files.length === 0)(`Greenbone/OpenVAS fixtures (${dir}${files.length ? '' : ' is absent: skipped'})`, () => {
  it.each(files)('%s: one finding per CVE of every result, in the file’s order', async (file) => {
    const text = fs.readFileSync(path.join(dir, file), 'utf8');
    const rs = results(text);
    const { findings, skipped, targets } = await run(file);
    // Every result in these files is High/Medium or has a positive score: nothing is skipped.
    expect(rs.every((r) => r.severity > 0 && r.threat !== 'Log')).toBe(true);
    expect(skipped).toEqual([]);
    const band = (s: number) => (s >= 9 ? 'critical' : s >= 7 ? 'high' : s >= 4 ? 'medium' : 'low');
    const expected = rs.flatMap((r) => (r.cves.length ? r.cves : [`OPENVAS-${r.oid}`]).map((id) => `${r.ip} ${id} ${band(r.severity)} ${r.severity} ${r.oid}/${r.port}`));
    const got = targets.flatMap((t) => t.findings.map((f) => `${t.target.key} ${f.vulnerabilityId} ${f.severity} ${f.cvssScore} ${f.sourceKey}`));
    expect(got).toEqual(expected);
    expect(findings.every((f) => f.location && f.title && f.output !== undefined)).toBe(true);
    const hostCount = Number(/<hosts>\s*<count>(\d+)<\/count>/.exec(text)?.[1]);
    expect(new Set(targets.map((t) => t.target.key)).size).toBe(hostCount);
  });

  it.skipIf(!files.includes('many_vuln.xml'))('many_vuln.xml: values looked up in the file', async () => {
    const { meta, targets, findings } = await run('many_vuln.xml');
    expect(meta).toEqual({ format: 'openvas', scanner: 'Greenbone/OpenVAS', reportName: 'metasploitable2-scan', scannedAt: '2023-09-26T10:50:34.000Z' });
    // 44 results, 76 CVE-or-NVT findings, one (anonymised, not a valid address) host with a short host name.
    expect(findings).toHaveLength(76);
    expect(targets[0]?.target).toEqual({ key: '192.168.1.1001', kind: 'host', name: 'b6b9f466d63', fqdn: null, hostname: 'b6b9f466d63', addresses: [], os: null });
    expect(findings[0]).toEqual({
      vulnerabilityId: 'CVE-1999-0618', title: 'The rexec service is running', severity: 'critical', cvssScore: 10, cvssVector: null,
      sourceKey: '1.3.6.1.4.1.25623.1.0.100111/512/tcp', location: '512/tcp', output: 'The rexec service was detected on the target system.\n',
    });
    // The two results with an empty <threat> are placed by their score (4.0).
    const unthreatened = findings.filter((f) => f.cvssScore === 4);
    expect(unthreatened.length).toBeGreaterThanOrEqual(2);
    expect(unthreatened.every((f) => f.severity === 'medium')).toBe(true);
  });

  it.skipIf(!files.includes('one_vuln.xml'))('one_vuln.xml: twelve Firefox CVEs on one host', async () => {
    const { meta, targets, findings } = await run('one_vuln.xml');
    expect(meta).toMatchObject({ reportName: 'dc01-testlab-scan', scannedAt: '2023-09-28T14:48:02.000Z' });
    expect(targets[0]?.target).toMatchObject({ key: '10.0.101.2', name: '10.0.101.2', addresses: ['10.0.101.2'] });
    expect(findings.map((f) => f.vulnerabilityId)).toEqual(['4573', '4574', '4575', '4576', '4577', '4578', '4579', '4580', '4581', '4585', '4583', '4584'].map((n) => `CVE-2023-${n}`));
    expect(findings[0]).toMatchObject({ title: 'Mozilla Firefox Security Update (mfsa_2023-32_2023-36) - Windows', location: 'general/tcp', sourceKey: '1.3.6.1.4.1.25623.1.0.832260/general/tcp' });
    expect(findings[0]?.output).toMatch(/^Installed version: 116\.0\.3\nFixed version: {5}117\n/);
  });

  it.skipIf(!files.includes('no_vuln.xml'))('no_vuln.xml: an empty report imports cleanly', async () => {
    const { meta, targets, skipped } = await run('no_vuln.xml');
    expect(meta).toEqual({ format: 'openvas', scanner: 'Greenbone/OpenVAS', reportName: 'HP-scan', scannedAt: '2023-09-25T10:46:09.000Z' });
    expect(targets).toEqual([]);
    expect(skipped).toEqual([]);
  });
});
