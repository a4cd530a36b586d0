import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { openvasReport } from './openvas.js';
import { type ReportFinding, type ReportTarget, ScanFormatError } from './report.js';

const esc = (s: string) => s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;');

interface R {
  ip: string;
  hostname?: string;
  port?: string;
  oid: string;
  name?: string;
  cves?: string[];
  oldCve?: string;
  threat: string;
  severity: string;
  vector?: string;
  tags?: string;
  description?: string;
}

function result(r: R) {
  const refs = `${(r.cves ?? []).map((c) => `<ref type="cve" id="${c}"/>`).join('')}<ref type="url" id="https://example.com/a?b=1&amp;c=2"/>`;
  const severities = r.vector ? `<severities score="${r.severity}"><severity type="cvss_base_v3"><origin/><date>2023-01-01T00:00:00Z</date><score>${r.severity}</score><value>${r.vector}</value></severity></severities>` : '';
  return `<result id="x"><name>${esc(r.name ?? 'result name')}</name><owner><name>me</name></owner><creation_time>2023-10-04T21:40:07Z</creation_time><host>${r.ip}<asset asset_id=""/>${r.hostname !== undefined ? `<hostname>${r.hostname}</hostname>` : ''}</host><port>${r.port ?? 'general/tcp'}</port><nvt oid="${r.oid}"><type>nvt</type><name>${esc(r.name ?? 'NVT name')}</name><family>General</family><cvss_base>${r.severity}</cvss_base>${severities}<tags>${esc(r.tags ?? 'summary=s|insight=i')}</tags>${r.oldCve !== undefined ? `<cve>${r.oldCve}</cve>` : ''}<refs>${refs}</refs></nvt><threat>${r.threat}</threat><severity>${r.severity}</severity><qod><value>80</value></qod><description>${esc(r.description ?? 'seen')}</description><original_threat>${r.threat}</original_threat><original_severity>${r.severity}</original_severity><detection><result id="d"><details><detail><name>product</name><value>cpe:/a:x</value></detail></details></result></detection></result>`;
}

function doc(results: R[], hosts: { ip: string; hostname?: string; os?: string }[] = []) {
  const hd = hosts
    .map((h) => `<host><ip>${h.ip}</ip><asset asset_id=""/><start>2023-09-28T14:48:02Z</start>${h.hostname ? `<detail><name>hostname</name><value>${h.hostname}</value><source><name>s</name></source></detail>` : ''}${h.os ? `<detail><name>best_os_txt</name><value>${esc(h.os)}</value></detail>` : ''}</host>`)
    .join('');
  return `<report id="o" format_id="f" extension="xml" content_type="text/xml"><owner><name>gps</name></owner><name>weekly-scan</name><creation_time>2023-10-04T21:40:07.211438Z</creation_time><task id="t"><name>task name</name></task><report id="i"><gmp><version>9.0</version></gmp><scan_start>2023-09-28T14:48:02Z</scan_start><ports><port>general/tcp<host>10.9.9.9</host><severity>10.0</severity><threat>High</threat></port></ports><results start="1" max="-1">${results.map(result).join('\n')}</results>${hd}<scan_end>2023-09-28T16:12:15Z</scan_end></report></report>`;
}

async function run(chunks: Iterable<string> | AsyncIterable<string>) {
  const targets: { target: ReportTarget; findings: ReportFinding[] }[] = [];
  const skipped: Record<string, number> = {};
  const meta = await openvasReport(chunks, {
    target(target, findings) {
      targets.push({ target, findings });
    },
    skip(reason, count = 1) {
      skipped[reason] = (skipped[reason] ?? 0) + count;
    },
  });
  return { meta, targets, skipped };
}

const base: R = { ip: '10.0.0.1', oid: '1.3.6.1.4.1.25623.1.0.100111', threat: 'High', severity: '7.5' };

describe('Greenbone/OpenVAS XML', () => {
  it('maps a result: one finding per CVE, severity by score band, vector, port and description', async () => {
    const { meta, targets, skipped } = await run([doc([{ ...base, hostname: 'web01.example.org', port: '443/tcp', name: 'TLS & "things"', cves: ['CVE-2023-0001', 'CVE-2023-0002'], vector: 'CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:N/A:N', description: 'Installed version: 1.0\nFixed version: 1.1' }])]);
    expect(meta).toEqual({ format: 'openvas', scanner: 'Greenbone/OpenVAS', reportName: 'weekly-scan', scannedAt: '2023-09-28T14:48:02.000Z' });
    expect(skipped).toEqual({});
    expect(targets).toHaveLength(1);
    expect(targets[0]?.target).toEqual({ key: '10.0.0.1', kind: 'host', name: 'web01.example.org', fqdn: 'web01.example.org', hostname: 'web01', addresses: ['10.0.0.1'], os: null });
    expect(targets[0]?.findings).toEqual(['CVE-2023-0001', 'CVE-2023-0002'].map((vulnerabilityId) => ({
      vulnerabilityId, title: 'TLS & "things"', severity: 'high', cvssScore: 7.5, cvssVector: 'CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:N/A:N', sourceKey: '1.3.6.1.4.1.25623.1.0.100111/443/tcp', location: '443/tcp', output: 'Installed version: 1.0\nFixed version: 1.1',
    })));
  });

  it('decides severity and what is imported from threat and score', async () => {
    const rs: R[] = [
      { ...base, oid: '1.1', threat: 'High', severity: '10.0' },
      { ...base, oid: '1.2', threat: 'Medium', severity: '5.0' },
      { ...base, oid: '1.3', threat: '', severity: '4.0' },
      { ...base, oid: '1.4', threat: 'Low', severity: '' },
      { ...base, oid: '1.5', threat: 'Log', severity: '0.0' },
      { ...base, oid: '1.6', threat: 'False Positive', severity: '-1.0' },
      { ...base, oid: '1.7', threat: '', severity: '-2.0' },
      { ...base, oid: '1.8', threat: 'Debug', severity: '0.0' },
      { ...base, oid: '1.9', threat: 'Critical', severity: '' },
    ];
    const { targets, skipped } = await run([doc(rs)]);
    expect(targets[0]?.findings.map((f) => [f.vulnerabilityId, f.severity, f.cvssScore])).toEqual([
      ['OPENVAS-1.1', 'critical', 10],
      ['OPENVAS-1.2', 'medium', 5],
      ['OPENVAS-1.3', 'medium', 4],
      ['OPENVAS-1.4', 'low', null],
      ['OPENVAS-1.9', 'critical', null],
    ]);
    expect(skipped).toEqual({ 'informational (threat Log)': 1, 'false positive (marked in Greenbone)': 1, 'debug message (threat Debug)': 2 });
  });

  it('reads CVEs from refs, the older <cve> list and CVE-named NVTs; NOCVE is none; vector from the tags when no severities', async () => {
    const { targets } = await run([
      doc([
        { ...base, oid: '2.1', oldCve: 'CVE-2019-1111, CVE-2019-2222' },
        { ...base, oid: '2.2', oldCve: 'NOCVE', tags: 'cvss_base_vector=AV:N/AC:L/Au:N/C:P/I:P/A:P|summary=x' },
        { ...base, oid: 'CVE-2014-0160' },
        { ...base, oid: '2.3', cves: ['CVE-2020-1', 'not-a-cve'].map((c) => c.replace('CVE-2020-1', 'CVE-2020-1234')) },
      ]),
    ]);
    expect(targets[0]?.findings.map((f) => [f.vulnerabilityId, f.cvssVector])).toEqual([
      ['CVE-2019-1111', null],
      ['CVE-2019-2222', null],
      ['OPENVAS-2.2', 'AV:N/AC:L/Au:N/C:P/I:P/A:P'],
      ['CVE-2014-0160', null],
      ['CVE-2020-1234', null],
    ]);
  });

  it('bounds the description and hands findings on in bounded batches, a host possibly several times', async () => {
    const long = 'z'.repeat(100_000);
    const rs: R[] = [];
    for (let i = 0; i < 2500; i++) rs.push({ ...base, ip: i % 5 === 0 ? '10.0.0.2' : '10.0.0.1', oid: `3.${i}`, description: i === 0 ? long : 'd' });
    const { targets } = await run([doc(rs)]);
    expect(targets.every((t) => t.findings.length <= 1000)).toBe(true);
    expect(targets.filter((t) => t.target.key === '10.0.0.1').length).toBeGreaterThan(1);
    const all = targets.flatMap((t) => t.findings.map((f) => `${t.target.key} ${f.vulnerabilityId}`));
    expect(all).toHaveLength(2500);
    expect(new Set(all).size).toBe(2500);
    expect(targets.flatMap((t) => t.findings).find((f) => f.vulnerabilityId === 'OPENVAS-3.0')?.output).toHaveLength(64 * 1024);
  });

  it('takes OS and names from the host details, and hands on scanned hosts without results', async () => {
    const { targets } = await run([doc([{ ...base, hostname: 'db01' }], [{ ip: '10.0.0.1', os: 'Ubuntu 22.04' }, { ip: '10.0.0.7', hostname: 'quiet.example.org' }, { ip: '10.0.0.1' }])]);
    expect(targets.map((t) => [t.target.key, t.target.name, t.target.hostname, t.target.os, t.findings.length])).toEqual([
      ['10.0.0.1', 'db01', 'db01', null, 1],
      ['10.0.0.1', 'db01', 'db01', 'Ubuntu 22.04', 0],
      ['10.0.0.7', 'quiet.example.org', 'quiet', null, 0],
    ]);
  });

  it('an empty report imports cleanly: no targets', async () => {
    expect(await run([doc([])])).toEqual({ meta: { format: 'openvas', scanner: 'Greenbone/OpenVAS', reportName: 'weekly-scan', scannedAt: '2023-09-28T14:48:02.000Z' }, targets: [], skipped: {} });
  });

  it('refuses other formats, DOCTYPEs, broken values and truncated files, naming the position', async () => {
    await expect(run(['<NessusClientData_v2/>'])).rejects.toThrow(/not a Greenbone\/OpenVAS XML report: the root element is <NessusClientData_v2>/);
    await expect(run(['<report><something/></report>'])).rejects.toThrow(/no <report><results> element/);
    await expect(run(['<!DOCTYPE report [<!ENTITY a "a"><!ENTITY b "&a;&a;&a;">]><report>&b;</report>'])).rejects.toThrow(/DOCTYPE is not allowed/);
    await expect(run(['<!DOCTYPE report SYSTEM "report.dtd"><report/>'])).rejects.toThrow(/DOCTYPE is not allowed/);
    await expect(run([doc([{ ...base, severity: 'high' }])])).rejects.toThrow(/^line 1, column \d+: <severity> "high" is not a number$/);
    await expect(run([doc([base]).replace(` oid="${base.oid}"`, '')])).rejects.toThrow(/<nvt> without an oid/);
    await expect(run([doc([base]).slice(0, 900)])).rejects.toThrow(/^line 1, column \d+: the report ends inside <\w+>: the file is truncated$/);
  });

  it('fuzz: a cut or corrupted report parses or is a ScanFormatError, never another error', async () => {
    const xml = doc([{ ...base, cves: ['CVE-2023-0001'], hostname: 'h' }, { ...base, ip: '10.0.0.2', threat: 'Log', severity: '0.0' }], [{ ip: '10.0.0.2', os: 'x' }]);
    await fc.assert(
      fc.asyncProperty(fc.nat(xml.length - 1), fc.option(fc.string({ minLength: 1, maxLength: 4 }), { nil: undefined }), fc.integer({ min: 1, max: 200 }), async (at, junk, size) => {
        const broken = junk === undefined ? xml.slice(0, at) : xml.slice(0, at) + junk + xml.slice(at + 1);
        const chunks = broken.match(new RegExp(`[\\s\\S]{1,${size}}`, 'g')) ?? [];
        try {
          await run(chunks);
          expect(junk).toBeDefined();
        } catch (err) {
          expect(err).toBeInstanceOf(ScanFormatError);
        }
      }),
      { numRuns: 300 },
    );
  });
});
