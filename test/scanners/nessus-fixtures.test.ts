/**
 * The Nessus parser on the real reports in ../shared/fixtures/scanners/tenable
 * (DefectDojo's unit-test files, BSD licence): counts and fields checked
 * against the files themselves, counted here with plain text matching.
 */
import fs from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { type NessusHost, type NessusItem, nessusReport, parseNessus } from '../../src/domain/scanners/nessus.js';
import type { ReportFinding, ReportTarget } from '../../src/domain/scanners/report.js';

const dir = path.resolve(process.cwd(), '../shared/fixtures/scanners/tenable/nessus');
const files = fs.existsSync(dir) ? fs.readdirSync(dir).filter((f) => /\.(nessus|xml)$/.test(f)) : [];

describe.skipIf(files.length === 0)(`Nessus fixtures (${dir}${files.length ? '' : ' is absent: skipped'})`, () => {
  it.each(files)('%s: every host and finding, with its CVEs, severity and plugin', async (file) => {
    const text = fs.readFileSync(path.join(dir, file), 'utf8');
    const got: { host: NessusHost; items: NessusItem[] }[] = [];
    const summary = await parseNessus(fs.createReadStream(path.join(dir, file), { highWaterMark: 4096 }), (host, items) => {
      got.push({ host, items });
    });
    const hostNames = [...text.matchAll(/<ReportHost name="([^"]+)"/g)].map((m) => m[1]);
    const blocks = text.split('<ReportItem ').slice(1).map((b) => b.slice(0, b.indexOf('</ReportItem>') >= 0 ? b.indexOf('</ReportItem>') : b.indexOf('/>')));
    expect(summary.hosts).toBe(hostNames.length);
    expect(got.map((g) => g.host.name)).toEqual(hostNames);
    expect(summary.items).toBe(blocks.length);
    const items = got.flatMap((g) => g.items);
    expect(items.map((i) => i.pluginId)).toEqual(blocks.map((b) => Number(/pluginID="(\d+)"/.exec(b)?.[1])));
    expect(items.map((i) => i.severity)).toEqual(blocks.map((b) => Number(/severity="(\d)"/.exec(b)?.[1])));
    expect(items.map((i) => i.cves)).toEqual(blocks.map((b) => [...new Set([...b.matchAll(/<cve>([^<]+)<\/cve>/g)].map((m) => m[1]))]));
    expect(items.map((i) => i.cvss3BaseScore)).toEqual(blocks.map((b) => { const m = /<cvss3_base_score>([^<]+)</.exec(b); return m ? Number(m[1]) : null; }));
    const ips = [...text.matchAll(/<tag name="host-ip">([^<]+)<\/tag>/g)].map((m) => m[1]);
    expect(got.map((g) => g.host.ip).filter(Boolean)).toEqual(ips);
  });

  it.each(files)('%s: normalised, one finding per CVE of every item above informational', async (file) => {
    const text = fs.readFileSync(path.join(dir, file), 'utf8');
    const targets: { target: ReportTarget; findings: ReportFinding[] }[] = [];
    let skipped = 0;
    const meta = await nessusReport(fs.createReadStream(path.join(dir, file), { highWaterMark: 1000 }), {
      target(target, findings) {
        targets.push({ target, findings });
      },
      skip(reason, count = 1) {
        expect(reason).toBe('informational (severity 0)');
        skipped += count;
      },
    });
    const blocks = text.split('<ReportItem ').slice(1).map((b) => b.slice(0, b.indexOf('</ReportItem>') >= 0 ? b.indexOf('</ReportItem>') : b.indexOf('/>')));
    const sev = (b: string) => Number(/severity="(\d)"/.exec(b)?.[1]);
    const expected = blocks.filter((b) => sev(b) > 0).flatMap((b) => {
      const cves = [...new Set([...b.matchAll(/<cve>([^<]+)<\/cve>/g)].map((m) => m[1]))];
      const plugin = /pluginID="(\d+)"/.exec(b)?.[1];
      const port = /port="(\d+)"/.exec(b)?.[1];
      const proto = /protocol="([^"]*)"/.exec(b)?.[1];
      return (cves.length ? cves : [`NESSUS-${plugin}`]).map((id) => `${id} ${['', 'low', 'medium', 'high', 'critical'][sev(b)]} ${plugin}/${port}/${proto}`);
    });
    // A plugin reported twice on one port of a host is one finding (each host is one target here, so this is per file).
    expect(targets.flatMap((t) => t.findings.map((f) => `${f.vulnerabilityId} ${f.severity} ${f.sourceKey}`))).toEqual([...new Set(expected)]);
    expect(skipped).toBe(blocks.filter((b) => sev(b) === 0).length);
    expect(targets.map((t) => t.target.key)).toEqual([...text.matchAll(/<ReportHost name="([^"]+)"/g)].map((m) => m[1]));
    expect(meta.reportName).toBe(/<Report name="([^"]+)"/.exec(text)?.[1]);
    // No fixture is a local-check scan: no package is invented from web-application output.
    expect(text.includes('Remote package installed')).toBe(false);
    expect(targets.flatMap((t) => t.findings).filter((f) => f.package)).toEqual([]);
  });

  it('values looked up in the files', async () => {
    const run = async (file: string) => {
      const targets: { target: ReportTarget; findings: ReportFinding[] }[] = [];
      const meta = await nessusReport([fs.readFileSync(path.join(dir, file))], { target: (target, findings) => void targets.push({ target, findings }), skip: () => {} });
      return { meta, targets };
    };
    if (files.includes('nessus_with_cvssv3.nessus')) {
      const { meta, targets } = await run('nessus_with_cvssv3.nessus');
      // HOST_START_TIMESTAMP 1648042311 (HOST_START says 14:31:51 local time, +01:00).
      expect(meta).toEqual({ format: 'nessus', scanner: 'Nessus', reportName: 'dummy scan', scannedAt: '2022-03-23T13:31:51.000Z' });
      expect(targets[0]?.target).toMatchObject({ key: 'testphp.vulnweb.com', name: 'testphp.vulnweb.com', fqdn: 'testphp.vulnweb.com', hostname: 'testphp', addresses: ['44.228.249.3'] });
      // Plugin 58987 is reported twice on 80/tcp, for two PHP installations: one finding with both outputs.
      const php = targets[0]?.findings.filter((f) => f.sourceKey === '58987/80/tcp') ?? [];
      expect(php).toHaveLength(1);
      expect(php[0]).toMatchObject({ vulnerabilityId: 'NESSUS-58987', severity: 'critical', cvssScore: 10, cvssVector: 'CVSS:3.0/AV:N/AC:L/PR:N/UI:N/S:C/C:H/I:H/A:H', location: '80/tcp (www)', title: 'PHP Unsupported Version Detection' });
      expect(php[0]?.output).toMatch(/PHP\/5\.6\.40-38[\s\S]*secured\/phpinfo\.php/);
    }
    if (files.includes('nessus_many_vuln.xml')) {
      const { meta, targets } = await run('nessus_many_vuln.xml');
      expect(meta).toEqual({ format: 'nessus', scanner: 'Nessus', reportName: 'Remote', scannedAt: '2013-06-25T10:32:42.000Z' });
      expect(targets[0]?.target).toMatchObject({ key: 'preprod.boardvantage.net', fqdn: 'preprod.boardvantage.net', hostname: 'preprod', addresses: ['12.233.108.201'] });
    }
  });
});
