import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { type NessusHost, type NessusItem, nessusFindings, nessusReport, nessusTarget, packagesFromOutput, parseNessus } from './nessus.js';
import { type ReportFinding, type ReportTarget, ScanFormatError } from './report.js';

const esc = (s: string) => s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;');

function report(hosts: { name: string; ip: string; items: { plugin: number; sev: number; port: number; cves: string[]; output?: string }[] }[]) {
  return `<?xml version="1.0" ?>\n<NessusClientData_v2><Policy><policyName>p</policyName></Policy><Report name="weekly">${hosts
    .map(
      (h) =>
        `<ReportHost name="${esc(h.name)}"><HostProperties><tag name="host-ip">${h.ip}</tag><tag name="operating-system">Linux &amp; more</tag></HostProperties>${h.items
          .map(
            (i) =>
              `<ReportItem port="${i.port}" svc_name="www" protocol="tcp" severity="${i.sev}" pluginID="${i.plugin}" pluginName="P ${i.plugin}" pluginFamily="F">${i.cves.map((c) => `<cve>${c}</cve>`).join('')}<cvss3_base_score>7.5</cvss3_base_score><exploit_available>true</exploit_available>${i.output !== undefined ? `<plugin_output><![CDATA[${i.output}]]></plugin_output>` : ''}</ReportItem>`,
          )
          .join('')}</ReportHost>`,
    )
    .join('')}</Report></NessusClientData_v2>\n`;
}

async function parse(chunks: Iterable<string | Uint8Array>) {
  const got: { host: NessusHost; items: NessusItem[] }[] = [];
  const summary = await parseNessus(chunks, (host, items) => {
    got.push({ host, items });
  });
  return { summary, got };
}

const hostsArb = fc.array(
  fc.record({
    name: fc.stringMatching(/^[a-z0-9][a-z0-9.-]{0,20}$/),
    ip: fc.ipV4(),
    items: fc.array(fc.record({ plugin: fc.nat(999999), sev: fc.integer({ min: 0, max: 4 }), port: fc.integer({ min: 0, max: 65535 }), cves: fc.uniqueArray(fc.integer({ min: 1000, max: 99999 }).map((n) => `CVE-2024-${n}`), { maxLength: 3 }), output: fc.option(fc.string({ maxLength: 50 }).filter((s) => !s.includes(']]>')), { nil: undefined }) }), { maxLength: 5 }),
  }),
  { maxLength: 4 },
);

describe('Nessus v2 parser', () => {
  it('reads hosts, their properties and findings, whatever the chunk boundaries', async () => {
    await fc.assert(
      fc.asyncProperty(hostsArb, fc.array(fc.nat(), { maxLength: 10 }), async (hosts, cuts) => {
        const xml = report(hosts);
        const bytes = new TextEncoder().encode(xml);
        const points = [...new Set(cuts.map((c) => c % (bytes.length + 1)))].sort((a, b) => a - b);
        const chunks: Uint8Array[] = [];
        let last = 0;
        for (const p of [...points, bytes.length]) {
          chunks.push(bytes.subarray(last, p));
          last = p;
        }
        const { summary, got } = await parse(chunks);
        expect(summary).toEqual({ reportName: 'weekly', hosts: hosts.length, items: hosts.reduce((n, h) => n + h.items.length, 0) });
        expect(got.map((g) => g.host.name)).toEqual(hosts.map((h) => h.name));
        for (const [k, h] of hosts.entries()) {
          expect(got[k]?.host).toMatchObject({ ip: h.ip, os: 'Linux & more' });
          expect(got[k]?.items.map((i) => [i.pluginId, i.severity, i.port, i.cves, i.pluginOutput])).toEqual(h.items.map((i) => [i.plugin, i.sev, i.port, i.cves, i.output ?? null]));
        }
      }),
      { numRuns: 150 },
    );
  });

  it('a truncated or corrupted report is a ScanFormatError with a position, never another error and never a silent success', async () => {
    await fc.assert(
      fc.asyncProperty(hostsArb.filter((h) => h.length > 0), fc.nat(), fc.option(fc.string({ minLength: 1, maxLength: 3 }), { nil: undefined }), async (hosts, at, junk) => {
        const xml = report(hosts);
        const cut = at % (xml.trimEnd().length - 1);
        const broken = junk === undefined ? xml.slice(0, cut) : xml.slice(0, cut) + junk + xml.slice(cut);
        try {
          await parse([broken]);
          // Junk that is still well-formed (text between elements) may parse; a truncation never does.
          expect(junk).toBeDefined();
        } catch (err) {
          expect(err).toBeInstanceOf(ScanFormatError);
          expect((err as Error).message).toMatch(/line \d+, column \d+: |empty/);
        }
      }),
      { numRuns: 300 },
    );
  });

  it('refuses a DOCTYPE (external entities, entity expansion) and undeclared entities', async () => {
    const xxe = '<?xml version="1.0"?><!DOCTYPE r [<!ENTITY x SYSTEM "file:///etc/passwd">]><NessusClientData_v2><Report name="&x;"/></NessusClientData_v2>';
    await expect(parse([xxe])).rejects.toThrow(/DOCTYPE is not allowed/);
    const bomb = '<?xml version="1.0"?><!DOCTYPE r [<!ENTITY a "aaaa"><!ENTITY b "&a;&a;&a;&a;">]><NessusClientData_v2>&b;</NessusClientData_v2>';
    await expect(parse([bomb])).rejects.toThrow(/DOCTYPE/);
    await expect(parse(['<NessusClientData_v2>&nope;</NessusClientData_v2>'])).rejects.toThrow(ScanFormatError);
  });

  it('names the problem: another format, an empty file, bad attributes, a non-CVE', async () => {
    await expect(parse(['<report id="x"></report>'])).rejects.toThrow(/not a Nessus v2 report: the root element is <report>/);
    await expect(parse([''])).rejects.toThrow(/empty/);
    const bad = report([{ name: 'h', ip: '10.0.0.1', items: [{ plugin: 1, sev: 2, port: 80, cves: [] }] }]);
    await expect(parse([bad.replace('severity="2"', 'severity="9"')])).rejects.toThrow(/severity: "9" is not a number between 0 and 4/);
    await expect(parse([bad.replace('<cvss3_base_score>', '<cve>not-a-cve</cve><cvss3_base_score>')])).rejects.toThrow(/line 2, column \d+: <cve> "not-a-cve" is not a CVE id/);
  });

  it('an empty report is fine: no hosts, no findings', async () => {
    expect((await parse([report([])])).summary).toEqual({ reportName: 'weekly', hosts: 0, items: 0 });
  });

  it('bounds plugin output and hands hosts on one at a time (the sink is awaited)', async () => {
    const big = 'x'.repeat(200_000);
    const xml = report([{ name: 'a', ip: '10.0.0.1', items: [{ plugin: 1, sev: 1, port: 1, cves: [], output: big }] }, { name: 'b', ip: '10.0.0.2', items: [] }]);
    const order: string[] = [];
    await parseNessus([xml.slice(0, xml.indexOf('name="b"')), xml.slice(xml.indexOf('name="b"'))], async (h, items) => {
      order.push(`start ${h.name}`);
      expect(items[0]?.pluginOutput?.length ?? 0).toBeLessThanOrEqual(64 * 1024);
      await new Promise((r) => setTimeout(r, 5));
      order.push(`end ${h.name}`);
    });
    expect(order).toEqual(['start a', 'end a', 'start b', 'end b']);
  });
});

const host = (over: Partial<NessusHost> = {}): NessusHost => ({ name: '10.0.0.5', ip: null, fqdn: null, netbiosName: null, os: null, mac: null, scanStart: null, scanStartTimestamp: null, scanEnd: null, ...over });
const item = (over: Partial<NessusItem> = {}): NessusItem => ({
  port: 443, protocol: 'tcp', service: 'www', severity: 3, pluginId: 12345, pluginName: 'OpenSSL < 1.1.1w', pluginFamily: 'General', cves: [], cvss3BaseScore: null, cvss3Vector: null,
  cvss4Vector: null, cvss2BaseScore: null, epssScore: null, exploitAvailable: null, riskFactor: null, synopsis: null, solution: null, pluginOutput: null, ...over,
});

async function normalise(chunks: Iterable<string>) {
  const targets: { target: ReportTarget; findings: ReportFinding[] }[] = [];
  const skipped: Record<string, number> = {};
  const meta = await nessusReport(chunks, {
    target(target, findings) {
      targets.push({ target, findings });
    },
    skip(reason, count = 1) {
      skipped[reason] = (skipped[reason] ?? 0) + count;
    },
  });
  return { meta, targets, skipped };
}

describe('Nessus onto the normalised model', () => {
  it('names the host from its FQDN, NetBIOS name or scan name, and lists its addresses once', () => {
    expect(nessusTarget(host({ name: 'web01', ip: '10.0.0.5', fqdn: 'Web01.corp.example', netbiosName: 'WEB01', os: 'Linux Kernel 5.10\nLinux Kernel 5.15' }))).toEqual({
      key: 'web01', kind: 'host', name: 'Web01.corp.example', fqdn: 'Web01.corp.example', hostname: 'web01', addresses: ['10.0.0.5'], os: 'Linux Kernel 5.10 / Linux Kernel 5.15',
    });
    expect(nessusTarget(host({ name: '10.0.0.5', ip: '10.0.0.5', netbiosName: 'FILESRV' }))).toMatchObject({ key: '10.0.0.5', name: '10.0.0.5', hostname: 'filesrv', addresses: ['10.0.0.5'], fqdn: null });
    expect(nessusTarget(host({ name: 'db.example.org', ip: '192.0.2.7' }))).toMatchObject({ name: 'db.example.org', hostname: 'db', addresses: ['192.0.2.7'] });
    expect(nessusTarget(host({ name: '2001:db8::5', ip: '10.0.0.9' }))).toMatchObject({ hostname: null, addresses: ['10.0.0.9', '2001:db8::5'] });
  });

  it('one finding per CVE, or NESSUS-<plugin> without one; severity, scores, location and evidence key from the item', () => {
    const f = nessusFindings(item({ cves: ['CVE-2023-0001', 'CVE-2023-0002'], cvss3BaseScore: 7.5, cvss2BaseScore: 5, cvss3Vector: 'CVSS:3.0/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:N/A:N', pluginOutput: 'seen' }));
    expect(f).toEqual(['CVE-2023-0001', 'CVE-2023-0002'].map((vulnerabilityId) => ({
      vulnerabilityId, title: 'OpenSSL < 1.1.1w', severity: 'high', cvssScore: 7.5, cvssVector: 'CVSS:3.0/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:N/A:N', sourceKey: '12345/443/tcp', location: '443/tcp (www)', output: 'seen', package: null,
    })));
    const [bare] = nessusFindings(item({ severity: 4, port: 0, service: 'general', cvss2BaseScore: 10, cvss3Vector: 'CVSS:3.0/x', cvss4Vector: 'CVSS:4.0/y' }));
    expect(bare).toMatchObject({ vulnerabilityId: 'NESSUS-12345', severity: 'critical', cvssScore: 10, cvssVector: 'CVSS:4.0/y', sourceKey: '12345/0/tcp', location: null, output: null });
    expect([1, 2].map((severity) => nessusFindings(item({ severity: severity as 1 | 2 }))[0]?.severity)).toEqual(['low', 'medium']);
  });

  it('reads the packages of local-check output: Debian, Ubuntu, RPM, Alpine', () => {
    const deb = 'Remote package installed : openssl_1.1.1n-0+deb11u3\nShould be                : openssl_1.1.1n-0+deb11u4\nRemote package installed : libbind9-90_1:9.9.5.dfsg-9+deb8u11\nShould be : libbind9-90_1:9.9.5.dfsg-9+deb8u12\n';
    expect(packagesFromOutput(deb, 'Debian Local Security Checks')).toEqual([
      { ecosystem: 'deb', name: 'openssl', version: '1.1.1n-0+deb11u3', fixedVersion: '1.1.1n-0+deb11u4' },
      { ecosystem: 'deb', name: 'libbind9-90', version: '1:9.9.5.dfsg-9+deb8u11', fixedVersion: '1:9.9.5.dfsg-9+deb8u12' },
    ]);
    const ubuntu = '\n  - Installed package : libssl1.1_1.1.1f-1ubuntu2.16\n    Fixed package     : libssl1.1_1.1.1f-1ubuntu2.17\n';
    expect(packagesFromOutput(ubuntu, 'Ubuntu Local Security Checks')).toEqual([{ ecosystem: 'deb', name: 'libssl1.1', version: '1.1.1f-1ubuntu2.16', fixedVersion: '1.1.1f-1ubuntu2.17' }]);
    const rpm = '\nRemote package installed : openssl-1.0.2k-19.el7\nShould be                : openssl-1.0.2k-26.el7_9\n\nRemote package installed : perl-Net_SSLeay-1.55-6.el7\nShould be : perl-Net_SSLeay-1.55-7.el7_9\n\nNOTE: The vulnerability information above was derived by checking the package versions.';
    expect(packagesFromOutput(rpm, 'Red Hat Local Security Checks')).toEqual([
      { ecosystem: 'rpm', name: 'openssl', version: '1.0.2k-19.el7', fixedVersion: '1.0.2k-26.el7_9' },
      { ecosystem: 'rpm', name: 'perl-Net_SSLeay', version: '1.55-6.el7', fixedVersion: '1.55-7.el7_9' },
    ]);
    expect(packagesFromOutput('Remote package installed : musl-1.2.2-r0\nShould be : musl-1.2.2-r1', 'Alpine Local Security Checks')).toEqual([{ ecosystem: 'apk', name: 'musl', version: '1.2.2-r0', fixedVersion: '1.2.2-r1' }]);
    // Without a known family: the host's OS, then the shape of the string.
    expect(packagesFromOutput('Remote package installed : openssl-1.0.2k-19.el7_9', 'Misc.', 'CentOS Linux 7')[0]).toMatchObject({ ecosystem: 'rpm', name: 'openssl', version: '1.0.2k-19.el7_9' });
    expect(packagesFromOutput('Remote package installed : openssl-1.0.2k-19.el7_9', 'Misc.')[0]).toMatchObject({ ecosystem: 'rpm', name: 'openssl' });
    expect(packagesFromOutput('Remote package installed : bash_5.1-2+deb11u1', 'Misc.')[0]).toMatchObject({ ecosystem: 'deb', name: 'bash', version: '5.1-2+deb11u1', fixedVersion: null });
    expect(packagesFromOutput('Installed version : 5.1.6\nFixed version : 5.3.9', 'CGI abuses')).toEqual([]);
    // The same package listed twice is one.
    expect(packagesFromOutput(`${deb}${deb}`, 'Debian Local Security Checks')).toHaveLength(2);
  });

  it('one finding per CVE and package when the output names packages', () => {
    const out = 'Remote package installed : libssl1.1_1.1.1n-0+deb11u3\nShould be : libssl1.1_1.1.1n-0+deb11u4\nRemote package installed : openssl_1.1.1n-0+deb11u3\nShould be : openssl_1.1.1n-0+deb11u4\n';
    const f = nessusFindings(item({ port: 0, pluginFamily: 'Debian Local Security Checks', cves: ['CVE-2023-1', 'CVE-2023-2'].map((c) => `${c}234`), pluginOutput: out }));
    expect(f.map((x) => [x.vulnerabilityId, x.package?.name, x.package?.fixedVersion])).toEqual([
      ['CVE-2023-1234', 'libssl1.1', '1.1.1n-0+deb11u4'],
      ['CVE-2023-1234', 'openssl', '1.1.1n-0+deb11u4'],
      ['CVE-2023-2234', 'libssl1.1', '1.1.1n-0+deb11u4'],
      ['CVE-2023-2234', 'openssl', '1.1.1n-0+deb11u4'],
    ]);
  });

  it('hands every host on, skips informational items with a count, and returns the meta', async () => {
    const xml = report([
      { name: 'a', ip: '10.0.0.1', items: [{ plugin: 19506, sev: 0, port: 0, cves: [] }, { plugin: 1, sev: 2, port: 80, cves: ['CVE-2024-1000', 'CVE-2024-1001'] }, { plugin: 2, sev: 0, port: 0, cves: [] }] },
      { name: 'b', ip: '10.0.0.2', items: [{ plugin: 19506, sev: 0, port: 0, cves: [] }] },
    ]);
    const late = '<tag name="HOST_START">Tue Jun 25 10:32:42 2013</tag>';
    const early = '<tag name="HOST_START">Wed Mar  3 09:05:01 2010</tag>';
    const withStart = xml.replace('<tag name="host-ip">10.0.0.1</tag>', `<tag name="host-ip">10.0.0.1</tag>${late}`).replace('<tag name="host-ip">10.0.0.2</tag>', `<tag name="host-ip">10.0.0.2</tag>${early}`);
    const { meta, targets, skipped } = await normalise([withStart]);
    expect(meta).toEqual({ format: 'nessus', scanner: 'Nessus', reportName: 'weekly', scannedAt: '2010-03-03T09:05:01.000Z' });
    expect(targets.map((t) => [t.target.key, t.target.os, t.findings.map((f) => `${f.vulnerabilityId} ${f.severity} ${f.sourceKey} ${f.location}`)])).toEqual([
      ['a', 'Linux & more', ['CVE-2024-1000 medium 1/80/tcp 80/tcp (www)', 'CVE-2024-1001 medium 1/80/tcp 80/tcp (www)']],
      ['b', 'Linux & more', []],
    ]);
    expect(skipped).toEqual({ 'informational (severity 0)': 3 });
    // HOST_START_TIMESTAMP is exact where HOST_START has no zone; no usable start at all gives null.
    const stamped = xml.replace('<tag name="host-ip">10.0.0.1</tag>', `<tag name="host-ip">10.0.0.1</tag>${late}<tag name="HOST_START_TIMESTAMP">1648042311</tag>`);
    expect((await normalise([stamped])).meta.scannedAt).toBe('2022-03-23T13:31:51.000Z');
    expect((await normalise([xml.replace('<tag name="host-ip">10.0.0.1</tag>', '<tag name="HOST_START">yesterday</tag>')])).meta.scannedAt).toBeNull();
    expect(await normalise([report([])])).toEqual({ meta: { format: 'nessus', scanner: 'Nessus', reportName: 'weekly', scannedAt: null }, targets: [], skipped: {} });
  });

  it('a broken file is a ScanFormatError naming the position, whatever the cut', async () => {
    const xml = report([{ name: 'a', ip: '10.0.0.1', items: [{ plugin: 1, sev: 2, port: 80, cves: ['CVE-2024-1000'], output: 'out' }] }]);
    await fc.assert(
      fc.asyncProperty(fc.integer({ min: 1, max: xml.trimEnd().length - 1 }), async (cut) => {
        const err = await normalise([xml.slice(0, cut)]).then(
          () => null,
          (e: unknown) => e,
        );
        expect(err).toBeInstanceOf(ScanFormatError);
        expect((err as ScanFormatError).where).toMatch(/^line \d+, column \d+$/);
      }),
      { numRuns: 200 },
    );
    await expect(normalise(['<?xml version="1.0"?><!DOCTYPE r [<!ENTITY a "a"><!ENTITY b "&a;&a;">]><NessusClientData_v2>&b;</NessusClientData_v2>'])).rejects.toThrow(/DOCTYPE is not allowed/);
    await expect(normalise(['<report xmlns="urn:x"/>'])).rejects.toThrow(/not a Nessus v2 report/);
  });
});
