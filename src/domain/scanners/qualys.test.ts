import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { qualysCvss, qualysReport } from './qualys.js';
import { type ReportFinding, type ReportTarget, ScanFormatError } from './report.js';

interface V {
  qid: number;
  type?: string;
  port?: number;
  protocol?: string;
  service?: string;
  fqdn?: string;
  status?: string;
  result?: string;
}
interface H {
  ip?: string;
  dns?: string;
  netbios?: string;
  os?: string;
  vulns: V[];
}
interface G {
  qid: number;
  severity: number;
  title?: string;
  cves?: string[];
  cvss?: string;
  cvss3?: string;
}

const cd = (s: string) => `<![CDATA[${s}]]>`;
const DOCTYPE = '<!DOCTYPE ASSET_DATA_REPORT SYSTEM "https://qualysguard.qg3.apps.qualys.com/asset_data_report.dtd">';

function host(h: H) {
  const vulns = h.vulns
    .map((v) => `<VULN_INFO><QID id="qid_${v.qid}">${v.qid}</QID><TYPE>${v.type ?? 'Vuln'}</TYPE>${v.port !== undefined ? `<PORT>${v.port}</PORT>` : ''}${v.service ? `<SERVICE>${v.service}</SERVICE>` : ''}${v.fqdn ? `<FQDN>${cd(v.fqdn)}</FQDN>` : ''}${v.protocol ? `<PROTOCOL>${v.protocol}</PROTOCOL>` : ''}<SSL>false</SSL>${v.result !== undefined ? `<RESULT format="table">${cd(v.result)}</RESULT>` : ''}<FIRST_FOUND>2019-07-31T21:57:48Z</FIRST_FOUND>${v.status ? `<VULN_STATUS>${v.status}</VULN_STATUS>` : ''}</VULN_INFO>`)
    .join('');
  return `<HOST>${h.ip ? `<IP>${h.ip}</IP>` : ''}<TRACKING_METHOD>IP</TRACKING_METHOD>${h.dns ? `<DNS>${cd(h.dns)}</DNS>` : ''}${h.netbios ? `<NETBIOS>${cd(h.netbios)}</NETBIOS>` : ''}${h.os ? `<OPERATING_SYSTEM>${cd(h.os)}</OPERATING_SYSTEM>` : ''}<ASSET_GROUPS><ASSET_GROUP_TITLE>${cd('All')}</ASSET_GROUP_TITLE></ASSET_GROUPS><VULN_INFO_LIST>${vulns}</VULN_INFO_LIST></HOST>`;
}

function glossary(gs: G[]) {
  return `<GLOSSARY><VULN_DETAILS_LIST>${gs
    .map((g) => `<VULN_DETAILS id="qid_${g.qid}"><QID id="qid_${g.qid}">${g.qid}</QID><TITLE>${cd(g.title ?? `Title ${g.qid}`)}</TITLE><SEVERITY>${g.severity}</SEVERITY><CATEGORY>X</CATEGORY><THREAT>${cd('<P>threat')}</THREAT>${g.cvss ? `<CVSS_SCORE><CVSS_BASE source="service">${g.cvss}</CVSS_BASE></CVSS_SCORE>` : ''}${g.cvss3 ? `<CVSS3_SCORE><CVSS3_BASE>${g.cvss3}</CVSS3_BASE></CVSS3_SCORE>` : ''}<VENDOR_REFERENCE_LIST><VENDOR_REFERENCE><ID>${cd('CVE-1999-0001-not-this')}</ID></VENDOR_REFERENCE></VENDOR_REFERENCE_LIST>${g.cves?.length ? `<CVE_ID_LIST>${g.cves.map((c) => `<CVE_ID><ID>${cd(c)}</ID><URL>${cd('http://x')}</URL></CVE_ID>`).join('')}</CVE_ID_LIST>` : ''}</VULN_DETAILS>`)
    .join('')}</VULN_DETAILS_LIST></GLOSSARY>`;
}

function doc(hosts: H[], gs: G[] | null, opts: { glossaryFirst?: boolean; doctype?: string } = {}) {
  const head = `<?xml version="1.0" encoding="UTF-8" ?>\n\n${opts.doctype ?? DOCTYPE}\n<ASSET_DATA_REPORT><HEADER><COMPANY>${cd('Co')}</COMPANY><GENERATION_DATETIME>2019-08-01T20:03:10Z</GENERATION_DATETIME><TEMPLATE>${cd('Monthly & more')}</TEMPLATE></HEADER>`;
  const list = `<HOST_LIST>${hosts.map(host).join('\n')}</HOST_LIST>`;
  const g = gs ? glossary(gs) : '';
  return `${head}${opts.glossaryFirst ? g + list : list + g}<APPENDICES><NO_RESULTS><IP_LIST><RANGE><START>10.0.0.9</START><END>10.0.0.9</END></RANGE></IP_LIST></NO_RESULTS></APPENDICES></ASSET_DATA_REPORT>\n<!-- CONFIDENTIAL //-->\n`;
}

async function run(chunks: Iterable<string> | AsyncIterable<string>) {
  const targets: { target: ReportTarget; findings: ReportFinding[] }[] = [];
  const skipped: Record<string, number> = {};
  const meta = await qualysReport(chunks, {
    target(target, findings) {
      targets.push({ target, findings });
    },
    skip(reason, count = 1) {
      skipped[reason] = (skipped[reason] ?? 0) + count;
    },
  });
  return { meta, targets, skipped };
}

const gl: G[] = [
  { qid: 6, severity: 1, title: 'DNS Host Name' },
  { qid: 38739, severity: 2, title: 'Deprecated SSH Cryptographic Settings' },
  { qid: 13038, severity: 5, title: 'ShellShock', cves: ['CVE-2014-6271', 'CVE-2014-7169'], cvss: '10.0 (AV:N/AC:L/Au:N/C:C/I:C/A:C)', cvss3: '9.8 (AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H)' },
  { qid: 11803, severity: 3, cves: ['CVE-2016-1762'], cvss: '6.8 (AV:N/AC:M/Au:N/C:P/I:P/A:P)' },
  { qid: 90783, severity: 4 },
];

describe('Qualys ASSET_DATA_REPORT', () => {
  it('maps hosts and detections once the glossary is read: one finding per CVE, severity 5–2', async () => {
    const hosts: H[] = [
      { ip: '64.41.200.250', dns: 'Demo20.s02.example.com', os: 'Ubuntu / Linux 2.6.x', vulns: [{ qid: 6, type: 'Ig', result: 'big' }, { qid: 13038, port: 80, protocol: 'tcp', service: 'http', result: 'uid=48(apache)', status: 'New' }, { qid: 38739, port: 22, protocol: 'tcp', service: 'ssh', result: 'ssh-dss' }] },
      { ip: '64.41.200.247', netbios: 'TRN-WIN7', vulns: [{ qid: 90783, result: 'QID: 90783 detected on port 3389 over TCP.' }, { qid: 11803, port: 80, protocol: 'tcp', fqdn: 'Vhost.example.com', type: 'Practice' }, { qid: 11803, port: 80, protocol: 'tcp' }] },
    ];
    const { meta, targets, skipped } = await run([doc(hosts, gl)]);
    expect(meta).toEqual({ format: 'qualys', scanner: 'Qualys', reportName: 'Monthly & more', scannedAt: '2019-08-01T20:03:10.000Z' });
    expect(skipped).toEqual({ 'information gathered (Qualys type Ig)': 1 });
    expect(targets.map((t) => t.target)).toEqual([
      { key: '64.41.200.250', kind: 'host', name: 'Demo20.s02.example.com', fqdn: 'demo20.s02.example.com', hostname: 'demo20', addresses: ['64.41.200.250'], os: 'Ubuntu / Linux 2.6.x' },
      { key: '64.41.200.247', kind: 'host', name: 'TRN-WIN7', fqdn: null, hostname: 'trn-win7', addresses: ['64.41.200.247'], os: null },
    ]);
    expect(targets[0]?.findings).toEqual([
      ...['CVE-2014-6271', 'CVE-2014-7169'].map((vulnerabilityId) => ({
        vulnerabilityId, title: 'ShellShock', severity: 'critical', cvssScore: 9.8, cvssVector: 'AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H', sourceKey: '13038/80/tcp', location: '80/tcp (http)', output: 'uid=48(apache)',
      })),
      { vulnerabilityId: 'QUALYS-38739', title: 'Deprecated SSH Cryptographic Settings', severity: 'low', cvssScore: null, cvssVector: null, sourceKey: '38739/22/tcp', location: '22/tcp (ssh)', output: 'ssh-dss' },
    ]);
    expect(targets[1]?.findings.map((f) => [f.vulnerabilityId, f.severity, f.cvssScore, f.cvssVector, f.sourceKey, f.location, f.output])).toEqual([
      ['QUALYS-90783', 'high', null, null, '90783//', null, 'QID: 90783 detected on port 3389 over TCP.'],
      ['CVE-2016-1762', 'medium', 6.8, 'AV:N/AC:M/Au:N/C:P/I:P/A:P', '11803/80/tcp/vhost.example.com', '80/tcp Vhost.example.com', null],
      ['CVE-2016-1762', 'medium', 6.8, 'AV:N/AC:M/Au:N/C:P/I:P/A:P', '11803/80/tcp', '80/tcp', null],
    ]);
  });

  it('does not import severity 1, information gathered or fixed detections, and says why', async () => {
    const { targets, skipped } = await run([doc([{ ip: '10.0.0.1', vulns: [{ qid: 6 }, { qid: 6, type: 'Ig' }, { qid: 38739, type: 'Ig' }, { qid: 90783, status: 'Fixed' }, { qid: 90783, status: 'Re-Opened' }] }], gl)]);
    expect(skipped).toEqual({ 'informational (severity 1)': 1, 'information gathered (Qualys type Ig)': 2, 'fixed (Qualys status Fixed)': 1 });
    expect(targets[0]?.findings.map((f) => f.vulnerabilityId)).toEqual(['QUALYS-90783']);
  });

  it('hosts after a glossary are handed on as read; without a glossary detections keep their QID and no severity', async () => {
    const log: string[] = [];
    const text = doc([{ ip: '10.0.0.1', vulns: [{ qid: 90783 }] }, { ip: '10.0.0.2', vulns: [] }], gl, { glossaryFirst: true });
    const cut = text.indexOf('<HOST>', text.indexOf('10.0.0.1'));
    async function* input() {
      log.push('read 1');
      yield text.slice(0, cut);
      log.push('read 2');
      yield text.slice(cut);
    }
    await qualysReport(input(), { target: (t) => void log.push(`target ${t.key}`), skip: () => {} });
    expect(log).toEqual(['read 1', 'target 10.0.0.1', 'read 2', 'target 10.0.0.2']);
    const bare = await run([doc([{ ip: '10.0.0.1', vulns: [{ qid: 6, port: 53, protocol: 'udp' }] }], null)]);
    expect(bare.targets[0]?.findings).toEqual([{ vulnerabilityId: 'QUALYS-6', title: null, severity: null, cvssScore: null, cvssVector: null, sourceKey: '6/53/udp', location: '53/udp', output: null }]);
  });

  it('reads Qualys CVSS "score (vector)"', () => {
    expect(qualysCvss('9.0 (AV:N/AC:H/PR:N/UI:N/S:C/C:H/I:H/A:H)')).toEqual({ score: 9, vector: 'AV:N/AC:H/PR:N/UI:N/S:C/C:H/I:H/A:H' });
    expect(qualysCvss('5.0')).toEqual({ score: 5, vector: null });
    expect(qualysCvss('-')).toBeNull();
    expect(qualysCvss('11.0 (x)')).toBeNull();
  });

  it('accepts the bare external DOCTYPE Qualys writes, never one with declarations', async () => {
    expect((await run([doc([], gl, { doctype: '' })])).targets).toEqual([]);
    const laughs = '<!DOCTYPE ASSET_DATA_REPORT [<!ENTITY a "lol"><!ENTITY b "&a;&a;&a;&a;&a;&a;&a;&a;&a;&a;"><!ENTITY c "&b;&b;&b;&b;&b;&b;&b;&b;&b;&b;">]>';
    await expect(run([doc([], gl, { doctype: laughs }).replace('Monthly &amp; more', '&c;')])).rejects.toThrow(/^line 3, column \d+: a DOCTYPE with declarations is not allowed/);
    const xxe = '<!DOCTYPE ASSET_DATA_REPORT SYSTEM "asset_data_report.dtd" [<!ENTITY x SYSTEM "file:///etc/passwd">]>';
    await expect(run([doc([], gl, { doctype: xxe })])).rejects.toThrow(/DOCTYPE with declarations/);
    await expect(run([doc([], gl, { doctype: '<!DOCTYPE SCAN SYSTEM "scan.dtd">' })])).rejects.toThrow(/DOCTYPE names <SCAN>/);
  });

  it('empty report: no targets', async () => {
    expect(await run([doc([], [])])).toEqual({ meta: { format: 'qualys', scanner: 'Qualys', reportName: 'Monthly & more', scannedAt: '2019-08-01T20:03:10.000Z' }, targets: [], skipped: {} });
  });

  it('reads the VM detection API output: severity per detection, QIDs without a glossary, hosts handed on as read', async () => {
    const detection = (qid: number, more: string) => `<DETECTION><UNIQUE_VULN_ID>1</UNIQUE_VULN_ID><QID>${qid}</QID>${more}<FIRST_FOUND_DATETIME>2026-01-01T00:00:00Z</FIRST_FOUND_DATETIME></DETECTION>`;
    const text = `<?xml version="1.0" encoding="UTF-8" ?>
<!DOCTYPE HOST_LIST_VM_DETECTION_OUTPUT SYSTEM "https://qualysapi.qg2.apps.qualys.com/api/2.0/fo/asset/host/vm/detection/host_list_vm_detection_output.dtd">
<HOST_LIST_VM_DETECTION_OUTPUT><RESPONSE><DATETIME>2014-11-13T21:59:59Z</DATETIME><HOST_LIST>
<HOST><ID>2973339</ID><IP>10.1.2.3</IP><TRACKING_METHOD>NETBIOS</TRACKING_METHOD><OS>${cd('Windows Server 2019')}</OS><DNS>${cd('brcwnt3b')}</DNS><DNS_DATA><HOSTNAME>brcwnt3b</HOSTNAME><DOMAIN>corp.example</DOMAIN><FQDN>${cd('BRCWNT3B.corp.example')}</FQDN></DNS_DATA><NETBIOS>${cd('BRCWNT3B')}</NETBIOS><DETECTION_LIST>
${detection(6, `<TYPE>Info</TYPE><SEVERITY>1</SEVERITY><RESULTS>${cd('IP address')}</RESULTS>`)}
${detection(105015, `<TYPE>Confirmed</TYPE><SEVERITY>3</SEVERITY><PORT>443</PORT><PROTOCOL>TCP</PROTOCOL><SSL>1</SSL><RESULTS>${cd('TLSv1.0 enabled')}</RESULTS><STATUS>Active</STATUS><IS_IGNORED>0</IS_IGNORED><IS_DISABLED>0</IS_DISABLED>`)}
${detection(38173, '<TYPE>Potential</TYPE><SEVERITY>5</SEVERITY><STATUS>Re-Opened</STATUS>')}
${detection(90001, '<TYPE>Confirmed</TYPE><SEVERITY>4</SEVERITY><STATUS>Fixed</STATUS>')}
${detection(90002, '<TYPE>Confirmed</TYPE><SEVERITY>4</SEVERITY><STATUS>Active</STATUS><IS_IGNORED>1</IS_IGNORED>')}
${detection(90003, '<TYPE>Confirmed</TYPE><SEVERITY>1</SEVERITY><STATUS>New</STATUS>')}
</DETECTION_LIST></HOST>
<HOST><ID>2</ID><IP>10.1.2.4</IP><DETECTION_LIST/></HOST>
</HOST_LIST><WARNING><CODE>1980</CODE><TEXT>1000 record limit exceeded.</TEXT><URL>${cd('https://qualysapi.example/?id_min=3')}</URL></WARNING></RESPONSE></HOST_LIST_VM_DETECTION_OUTPUT>`;
    const log: string[] = [];
    const cut = text.indexOf('<HOST><ID>2<');
    async function* input() {
      yield text.slice(0, cut);
      log.push('read rest');
      yield text.slice(cut);
    }
    const targets: ReportTarget[] = [];
    const findings: ReportFinding[] = [];
    const skipped: Record<string, number> = {};
    const meta = await qualysReport(input(), {
      target(t, f) {
        log.push(`target ${t.key}`);
        targets.push(t);
        findings.push(...f);
      },
      skip(r, n = 1) {
        skipped[r] = (skipped[r] ?? 0) + n;
      },
    });
    expect(log).toEqual(['target 10.1.2.3', 'read rest', 'target 10.1.2.4']);
    expect(meta).toEqual({ format: 'qualys', scanner: 'Qualys', reportName: null, scannedAt: '2014-11-13T21:59:59.000Z' });
    expect(targets[0]).toEqual({ key: '10.1.2.3', kind: 'host', name: 'BRCWNT3B.corp.example', fqdn: 'brcwnt3b.corp.example', hostname: 'brcwnt3b', addresses: ['10.1.2.3'], os: 'Windows Server 2019' });
    expect(findings.map((f) => [f.vulnerabilityId, f.severity, f.sourceKey, f.location, f.output])).toEqual([
      ['QUALYS-105015', 'medium', '105015/443/tcp', '443/tcp', 'TLSv1.0 enabled'],
      ['QUALYS-38173', 'critical', '38173//', null, null],
    ]);
    expect(skipped).toEqual({
      'information gathered (Qualys type Info)': 1, 'fixed (Qualys status Fixed)': 1, 'ignored or disabled in Qualys': 1, 'informational (severity 1)': 1,
      'hosts on further pages of the Qualys API output (import those pages too)': 1,
    });
  });

  it('refuses other formats, bad QIDs and truncated files with the position', async () => {
    await expect(run(['<?xml version="1.0"?>\n<SCAN value="scan/1"/>'])).rejects.toThrow(/^line 2, column \d+: this is not a Qualys XML report \(ASSET_DATA_REPORT or HOST_LIST_VM_DETECTION_OUTPUT\): the root element is <SCAN>/);
    await expect(run([doc([{ ip: '10.0.0.1', vulns: [{ qid: 6 }] }], gl).replace('<QID id="qid_6">6</QID><TYPE>', '<QID id="qid_6">six</QID><TYPE>')])).rejects.toThrow(/<QID> "six" is not a Qualys QID/);
    const text = doc([{ ip: '10.0.0.1', vulns: [{ qid: 6 }] }], gl);
    await expect(run([text.slice(0, text.indexOf('</GLOSSARY>'))])).rejects.toThrow(/^line 4, column \d+: the report ends inside <GLOSSARY>: the file is truncated$/);
  });

  it('a report cut after its root element (the trailing comment lost) is still whole', async () => {
    const xml = doc([{ ip: '10.0.0.1', vulns: [{ qid: 13038 }] }], gl);
    const whole = await run([xml]);
    expect(await run([xml.slice(0, xml.lastIndexOf('</ASSET_DATA_REPORT>') + '</ASSET_DATA_REPORT>'.length)])).toEqual(whole);
  });

  it('fuzz: a cut or corrupted report parses or is a ScanFormatError, never another error', async () => {
    const xml = doc([{ ip: '10.0.0.1', dns: 'a.example', vulns: [{ qid: 13038, port: 80, protocol: 'tcp', result: 'r' }, { qid: 6, type: 'Ig' }] }], gl);
    // Cut before the root element ends: the report's trailing comment (<!-- CONFIDENTIAL //-->) may be cut off and the document is still whole.
    const rootEnd = xml.lastIndexOf('</ASSET_DATA_REPORT>') + '</ASSET_DATA_REPORT>'.length;
    await fc.assert(
      fc.asyncProperty(fc.nat(rootEnd - 1), fc.option(fc.string({ minLength: 1, maxLength: 4 }), { nil: undefined }), fc.integer({ min: 1, max: 300 }), async (at, junk, size) => {
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
