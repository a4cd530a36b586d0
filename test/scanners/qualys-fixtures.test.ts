/**
 * The Qualys importer on the real reports in ../shared/fixtures/scanners/qualys
 * (DefectDojo's unit-test files, BSD licence). Both are ASSET_DATA_REPORTs
 * with `<!DOCTYPE ASSET_DATA_REPORT SYSTEM "…dtd">`; the sample's glossary
 * (QID → title, severity, CVEs) follows the hosts. Expected findings are
 * worked out here from the text with plain matching.
 */
import fs from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { qualysReport } from '../../src/domain/scanners/qualys.js';
import type { ReportFinding, ReportTarget } from '../../src/domain/scanners/report.js';

const dir = path.resolve(process.cwd(), '../shared/fixtures/scanners/qualys');
const sample = path.join(dir, 'Qualys_Sample_Report.xml');
const empty = path.join(dir, 'empty.xml');

async function run(file: string) {
  const targets: { target: ReportTarget; findings: ReportFinding[] }[] = [];
  const skipped: Record<string, number> = {};
  const meta = await qualysReport(fs.createReadStream(file, { highWaterMark: 4096 }), {
    target(target, findings) {
      targets.push({ target, findings });
    },
    skip(reason, count = 1) {
      skipped[reason] = (skipped[reason] ?? 0) + count;
    },
  });
  return { meta, targets, skipped };
}

const tag = (block: string, name: string) => /^(?:<!\[CDATA\[)?([\s\S]*?)(?:\]\]>)?$/.exec(new RegExp(`<${name}(?: [^>]*)?>([\\s\\S]*?)</${name}>`).exec(block)?.[1]?.trim() ?? '')?.[1] ?? null;

describe.skipIf(!fs.existsSync(sample))(`Qualys fixtures (${dir}${fs.existsSync(sample) ? '' : ' is absent: skipped'})`, () => {
  it('Qualys_Sample_Report.xml: every host, and one finding per CVE of each detection imported', async () => {
    const text = fs.readFileSync(sample, 'utf8');
    const glossary = new Map(
      text.split('<VULN_DETAILS id=').slice(1).map((b) => {
        const own = b.slice(0, b.indexOf('</VULN_DETAILS>'));
        const cveList = /<CVE_ID_LIST>([\s\S]*?)<\/CVE_ID_LIST>/.exec(own)?.[1] ?? '';
        return [Number(tag(own, 'QID')), { severity: Number(tag(own, 'SEVERITY')), title: tag(own, 'TITLE'), cves: [...cveList.matchAll(/<ID><!\[CDATA\[(CVE-[^\]]+)\]\]><\/ID>/g)].map((m) => m[1]) }] as const;
      }),
    );
    const hostBlocks = (/<HOST_LIST>([\s\S]*)<\/HOST_LIST>/.exec(text)?.[1] ?? '').split('<HOST>').slice(1);
    const expected: string[] = [];
    const skips = { ig: 0, sev1: 0 };
    for (const h of hostBlocks) {
      const ip = tag(h, 'IP');
      for (const v of h.split('<VULN_INFO>').slice(1)) {
        const qid = Number(tag(v, 'QID'));
        const g = glossary.get(qid);
        if (tag(v, 'TYPE') === 'Ig') skips.ig++;
        else if (g?.severity === 1) skips.sev1++;
        else {
          const key = `${qid}/${tag(v, 'PORT') ?? ''}/${tag(v, 'PROTOCOL') ?? ''}${tag(v, 'FQDN') ? `/${tag(v, 'FQDN')}` : ''}`;
          const sev = ['', '', 'low', 'medium', 'high', 'critical'][g?.severity ?? 0];
          for (const id of g?.cves.length ? g.cves : [`QUALYS-${qid}`]) expected.push(`${ip} ${id} ${sev} ${key}`);
        }
      }
    }
    const { meta, targets, skipped } = await run(sample);
    expect(targets.map((t) => t.target.key)).toEqual(hostBlocks.map((h) => tag(h, 'IP')));
    expect(targets.flatMap((t) => t.findings.map((f) => `${t.target.key} ${f.vulnerabilityId} ${f.severity} ${f.sourceKey}`))).toEqual(expected);
    expect(skipped).toEqual({ 'information gathered (Qualys type Ig)': skips.ig, 'informational (severity 1)': skips.sev1 });
    // The file's own totals: 7 hosts, 301 detections of which 209 Ig, 93 glossary entries.
    expect([hostBlocks.length, skips.ig, glossary.size]).toEqual([7, 209, 93]);
    expect(meta).toEqual({ format: 'qualys', scanner: 'Qualys', reportName: 'All confirmed and Information Vulnerabilities 1-5', scannedAt: '2019-08-01T20:03:10.000Z' });
  });

  it('Qualys_Sample_Report.xml: values looked up in the file', async () => {
    const { targets } = await run(sample);
    const byIp = new Map(targets.map((t) => [t.target.key, t]));
    expect(byIp.get('64.41.200.247')?.target).toEqual({ key: '64.41.200.247', kind: 'host', name: 'trn-win7.trn.qualys.com', fqdn: 'trn-win7.trn.qualys.com', hostname: 'trn-win7', addresses: ['64.41.200.247'], os: 'Windows 2008 R2/7' });
    expect(byIp.get('64.41.200.243')?.target).toMatchObject({ name: 'demo13.s02.sjc01.qualys.com', hostname: 'demo13', os: 'Ubuntu / Tiny Core Linux / Linux 2.6.x' });
    const shellshock = byIp.get('64.41.200.250')?.findings.find((f) => f.vulnerabilityId === 'CVE-2014-6271');
    expect(shellshock).toMatchObject({ severity: 'critical', sourceKey: '13038/80/tcp', location: '80/tcp (http)', title: 'Bash Command Injection/Remote Code Execution Vulnerability (Remote Detection) (ShellShock)' });
    expect(shellshock?.output).toMatch(/^GET \/ HTTP\/1\.1\n[\s\S]*uid=48\(apache\) gid=48\(apache\)/);
    // QID 11803 (libxml2, severity 3) lists 16 CVEs in its glossary entry and no CVSS.
    const libxml = targets.flatMap((t) => t.findings).filter((f) => f.sourceKey.startsWith('11803/'));
    expect(new Set(libxml.map((f) => f.vulnerabilityId)).size).toBe(16);
    expect(libxml[0]).toMatchObject({ title: 'libxml2 Multiple Vulnerabilities', severity: 'medium' });
    const amd = targets.flatMap((t) => t.findings).find((f) => f.vulnerabilityId === 'CVE-2018-8930');
    // QID 370876 (AMD, severity 4): CVSS3_BASE "9.0 (AV:N/AC:H/…)" is preferred to CVSS_BASE "9.3 (…)".
    expect(amd).toMatchObject({ severity: 'high', cvssScore: 9, cvssVector: 'AV:N/AC:H/PR:N/UI:N/S:C/C:H/I:H/A:H', sourceKey: expect.stringMatching(/^370876\//) });
  });

  it.skipIf(!fs.existsSync(empty))('empty.xml: an empty report imports cleanly', async () => {
    expect(await run(empty)).toEqual({ meta: { format: 'qualys', scanner: 'Qualys', reportName: 'Report Template1', scannedAt: '2021-03-25T07:13:51.000Z' }, targets: [], skipped: {} });
  });
});
