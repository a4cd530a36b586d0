import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { type NessusHost, type NessusItem, parseNessus, ScanFormatError } from './nessus.js';

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
