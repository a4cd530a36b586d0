import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { CSV_FIELDS, csvReport, MAX_CELL, MAX_ROWS, resolveCsvMapping } from './csv-findings.js';
import { type ReportFinding, type ReportTarget, ScanFormatError } from './report.js';

async function run(text: string | Iterable<string | Uint8Array> | AsyncIterable<string | Uint8Array>, mapping?: Record<string, string>, chunk = 9) {
  const targets: { target: ReportTarget; findings: ReportFinding[] }[] = [];
  const skips: { reason: string; count?: number }[] = [];
  let input = text;
  if (typeof text === 'string') {
    const chunks: string[] = [];
    for (let i = 0; i < text.length; i += chunk) chunks.push(text.slice(i, i + chunk));
    input = chunks;
  }
  const meta = await csvReport(
    input as Iterable<string>,
    {
      target: (target, findings) => {
        targets.push({ target, findings });
      },
      skip: (reason, count) => {
        skips.push({ reason, count });
      },
    },
    mapping ? { csvMapping: mapping } : undefined,
  );
  return { meta, targets, skips, findings: targets.flatMap((t) => t.findings) };
}

async function failure(text: string | Uint8Array[], mapping?: Record<string, string>): Promise<ScanFormatError> {
  const err = await run(text, mapping).then(
    () => null,
    (e: unknown) => e,
  );
  expect(err).toBeInstanceOf(ScanFormatError);
  return err as ScanFormatError;
}

// The columns of a Nessus CSV export.
const NESSUS = `Plugin ID,CVE,CVSS v2.0 Base Score,Risk,Host,Protocol,Port,Name,Synopsis,Description,Solution,See Also,Plugin Output
156860,CVE-2021-44228,10.0,Critical,10.0.0.5,tcp,8080,Apache Log4j RCE,"Remote code execution.","Long
description, with a comma",Upgrade,,"Path : /opt/app/log4j-core-2.14.1.jar
Installed version : 2.14.1"
156860,CVE-2021-45046,10.0,Critical,10.0.0.5,tcp,8080,Apache Log4j RCE,x,x,Upgrade,,
19506,,,None,10.0.0.5,tcp,0,Nessus Scan Information,x,x,n/a,,Nessus version 10
10107,CVE-2023-44487,,High,web-2.example.com,tcp,443,HTTP/2 Rapid Reset,x,x,Upgrade,,
`;

describe('resolveCsvMapping', () => {
  it('finds columns by their usual names, without case or punctuation', () => {
    expect(resolveCsvMapping(['Plugin ID', 'CVE', 'Risk', 'Host', 'Port', 'Plugin Output'])).toEqual({ vulnerability: 1, severity: 2, host: 3, location: 4, output: 5 });
    expect(resolveCsvMapping(['ip_address', 'CVE ID', 'package name', 'Installed Version', 'fixed-version', 'CVSS', 'agentId'])).toEqual({
      address: 0,
      vulnerability: 1,
      package: 2,
      version: 3,
      fixedVersion: 4,
      cvss: 5,
      agentId: 6,
    });
  });

  it('uses the mapping first, exactly or without case, and the usual names for the rest', () => {
    expect(resolveCsvMapping(['Asset', 'Finding', 'CVE', 'IP'], { host: 'Asset', vulnerability: 'finding' })).toEqual({ host: 0, vulnerability: 1, address: 3 });
  });

  it('names what is missing or wrong', () => {
    const unknownColumn = (() => {
      try {
        resolveCsvMapping(['Host', 'CVE'], { vulnerability: 'QID' });
      } catch (e) {
        return e as ScanFormatError;
      }
    })();
    expect(unknownColumn).toBeInstanceOf(ScanFormatError);
    expect(unknownColumn?.message).toMatch(/names column "QID" for vulnerability, but the file has no such column \(columns: "Host", "CVE"\)/);
    expect(() => resolveCsvMapping(['Host', 'CVE'], { hostname: 'Host' })).toThrow(/unknown field "hostname"/);
    expect(() => resolveCsvMapping(['Host', 'QID'])).toThrow(/no vulnerability column/);
    expect(() => resolveCsvMapping(['Name', 'CVE'])).toThrow(/no host column/);
    expect(CSV_FIELDS).toContain('fixedVersion');
  });
});

describe('CSV importer', () => {
  it('reads a Nessus CSV export: targets by host, one finding per row and id, quoted multi-line cells', async () => {
    const { meta, targets, skips } = await run(NESSUS);
    expect(meta).toEqual({ format: 'csv', scanner: 'CSV', reportName: null, scannedAt: null });
    expect(targets.map((t) => [t.target.name, t.target.kind, t.findings.map((f) => f.vulnerabilityId)])).toEqual([
      ['10.0.0.5', 'host', ['CVE-2021-44228', 'CVE-2021-45046']],
      ['web-2.example.com', 'host', ['CVE-2023-44487']],
    ]);
    expect(targets[0]?.findings[0]).toEqual({
      vulnerabilityId: 'CVE-2021-44228',
      severity: 'critical',
      cvssScore: null,
      package: null,
      title: 'Apache Log4j RCE',
      location: '8080',
      output: 'Path : /opt/app/log4j-core-2.14.1.jar\nInstalled version : 2.14.1',
      sourceKey: '8080',
    });
    // Nessus's "Host" holds an address when the scan had no name: it is an address, not a host name.
    expect(targets[0]?.target).toMatchObject({ key: '||10.0.0.5||', hostname: null, addresses: ['10.0.0.5'] });
    expect(targets[1]?.target).toMatchObject({ hostname: 'web-2.example.com', addresses: [] });
    // Rows are counted as a spreadsheet shows them: the header is row 1, a quoted multi-line cell is one row.
    expect(skips).toEqual([{ reason: 'row 4: no vulnerability id', count: undefined }]);
  });

  it('maps every field, splits several ids in one cell, reads purls and image digests', async () => {
    const digest = `sha256:${'c'.repeat(64)}`;
    const csv = [
      'Agent;Name;FQDN;IP;Image;Vulns;Sev;Score;Pkg;Ver;Fix;Eco;Summary;Where;Seen',
      `a-1;db1;db1.example.com;10.1.1.1 10.1.1.2;;CVE-2024-1111, CVE-2024-2222;;7,5;openssl;3.0.2;3.0.13;DEB;OpenSSL issues;/usr/lib;found it`,
      `;;;;registry.example/shop@${digest};GHSA-aaaa-bbbb-cccc;moderate;;pkg:npm/%40scope/lib@1.2.3;;1.2.4;;;;`,
    ].join('\r\n');
    const mapping = { agentId: 'Agent', host: 'Name', fqdn: 'FQDN', address: 'IP', image: 'Image', vulnerability: 'Vulns', severity: 'Sev', cvss: 'Score', package: 'Pkg', version: 'Ver', fixedVersion: 'Fix', ecosystem: 'Eco', title: 'Summary', location: 'Where', output: 'Seen' };
    const { targets } = await run(csv, mapping);
    expect(targets).toHaveLength(2);
    expect(targets[0]?.target).toEqual({ key: 'a-1|db1.example.com|db1|10.1.1.1 10.1.1.2|', kind: 'host', name: 'db1', hostname: 'db1', fqdn: 'db1.example.com', addresses: ['10.1.1.1', '10.1.1.2'], agentId: 'a-1', imageDigest: null });
    expect(targets[0]?.findings.map((f) => [f.vulnerabilityId, f.severity, f.cvssScore])).toEqual([
      ['CVE-2024-1111', 'high', 7.5],
      ['CVE-2024-2222', 'high', 7.5],
    ]);
    expect(targets[0]?.findings[0]).toMatchObject({ package: { ecosystem: 'deb', name: 'openssl', version: '3.0.2', fixedVersion: '3.0.13' }, title: 'OpenSSL issues', location: '/usr/lib', output: 'found it', sourceKey: '/usr/lib' });
    expect(targets[1]?.target).toMatchObject({ kind: 'image', name: `registry.example/shop@${digest}`, imageDigest: digest });
    expect(targets[1]?.findings[0]).toMatchObject({ vulnerabilityId: 'GHSA-aaaa-bbbb-cccc', severity: 'medium', package: { ecosystem: 'npm', name: '@scope/lib', version: '1.2.3', fixedVersion: '1.2.4' } });
  });

  it('hands on consecutive rows of one target together, in batches, while reading', async () => {
    const rows = ['host,cve,title'];
    for (let i = 0; i < 2500; i++) rows.push(`h1,CVE-2024-${10000 + i},${'t'.repeat(200)}`);
    rows.push('h2,CVE-2024-1,t', 'h1,CVE-2024-2,t');
    const text = `${rows.join('\n')}\n`;
    let read = 0;
    const readAtCall: number[] = [];
    async function* chunks() {
      for (let i = 0; i < text.length; i += 4096) {
        read = i;
        yield new TextEncoder().encode(text.slice(i, i + 4096));
      }
    }
    const calls: [string, number][] = [];
    await csvReport(chunks(), {
      target: (t, f) => {
        calls.push([t.name, f.length]);
        readAtCall.push(read);
      },
      skip: () => {},
    });
    expect(calls).toEqual([
      ['h1', 1000],
      ['h1', 1000],
      ['h1', 500],
      ['h2', 1],
      ['h1', 1],
    ]);
    expect(readAtCall[0]).toBeLessThan(text.length / 2);
  });

  it('refuses an invalid severity, score or id, naming row and column', async () => {
    const sev = await failure('Host,CVE,Severity\nh,CVE-2024-1,High\nh,CVE-2024-2,urgent\n');
    expect(sev.where).toBe('row 3, column "Severity"');
    expect(sev.message).toMatch(/"urgent" is not a severity/);
    expect((await failure('Host,CVE,CVSS\nh,CVE-2024-1,11\n')).where).toBe('row 2, column "CVSS"');
    expect((await failure('Host,CVE,CVSS\nh,CVE-2024-1,high\n')).where).toBe('row 2, column "CVSS"');
    expect((await failure('Host,Vulnerability\nh,Log4j RCE\n')).where).toBe('row 2, column "Vulnerability"');
  });

  it('skips rows without a target or an id, detailing the first and counting the rest', async () => {
    const rows = ['Host,CVE', ...Array.from({ length: 25 }, () => 'h,'), ',CVE-2024-1', 'h,CVE-2024-2'];
    const { skips, findings } = await run(rows.join('\n'), undefined, 64);
    expect(findings).toHaveLength(1);
    expect(skips.slice(0, 2)).toEqual([
      { reason: 'row 2: no vulnerability id', count: undefined },
      { reason: 'row 3: no vulnerability id', count: undefined },
    ]);
    expect(skips.slice(20)).toEqual([
      { reason: 'no vulnerability id', count: 5 },
      { reason: 'no host, address, fqdn, agent id or image', count: 1 },
    ]);
    const few = await run('Host,CVE\n,CVE-2024-1\n');
    expect(few.skips).toEqual([{ reason: 'row 2: no host, address, fqdn, agent id or image', count: undefined }]);
  });

  it('limits cell sizes: plugin output is cut, any other long cell is refused', async () => {
    const long = 'x'.repeat(MAX_CELL + 10);
    const { findings } = await run(`Host,CVE,Plugin Output\nh,CVE-2024-1,${long}\n`, undefined, 100_000);
    expect(findings[0]?.output?.startsWith('x'.repeat(MAX_CELL))).toBe(true);
    expect(findings[0]?.output?.length).toBeLessThan(MAX_CELL + 100);
    expect((await failure(`Host,CVE\n${long},CVE-2024-1\n`)).where).toBe('row 2, column "Host"');
  });

  it(`refuses more than ${MAX_ROWS} rows`, { timeout: 60_000 }, async () => {
    function* rows() {
      yield 'host,cve\n';
      const block = 'h,CVE-2024-1\n'.repeat(10_000);
      for (let i = 0; i <= MAX_ROWS / 10_000; i++) yield block;
    }
    let findings = 0;
    const err = await csvReport(rows(), {
      target: (_, f) => {
        findings += f.length;
      },
      skip: () => {},
    }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ScanFormatError);
    expect((err as ScanFormatError).message).toBe(`row ${MAX_ROWS + 2}: more than ${MAX_ROWS} rows`);
    // Everything up to the last full batch was handed on while reading; the import as a whole fails.
    expect(findings).toBe(MAX_ROWS - 1000);
  });

  it('fails on empty, truncated, ragged and non-UTF-8 files with the position', async () => {
    expect((await failure('')).message).toMatch(/empty/);
    expect((await failure('\n\n')).message).toMatch(/no header row/);
    expect((await run('Host,CVE\n')).targets).toEqual([]);
    const quote = await failure('Host,CVE,Plugin Output\nh,CVE-2024-1,"unterminated\n');
    expect(quote.message).toMatch(/not valid CSV: Quote Not Closed/);
    expect(quote.where).toMatch(/^line \d+$/);
    const ragged = await failure('Host,CVE,Port\nh,CVE-2024-1,80\nh,CVE-20');
    expect(ragged.message).toMatch(/not valid CSV: Invalid Record Length/);
    expect(ragged.where).toBe('line 3');
    const latin1 = await failure([new TextEncoder().encode('Host,CVE\n'), Uint8Array.from([0x68, 0xe9, 0x2c, 0x43, 0x0a])]);
    expect(latin1.message).toMatch(/not UTF-8/);
    expect(latin1.where).toBe('byte 9');
  });

  it('parses or throws ScanFormatError on any truncation or corruption', async () => {
    const bytes0 = new TextEncoder().encode(NESSUS);
    await fc.assert(
      fc.asyncProperty(fc.nat(bytes0.length), fc.array(fc.tuple(fc.nat(bytes0.length - 1), fc.integer({ min: 0, max: 255 })), { maxLength: 4 }), fc.integer({ min: 1, max: 64 }), async (cut, flips, size) => {
        const bytes = bytes0.slice(0, cut);
        for (const [at, b] of flips) if (at < bytes.length) bytes[at] = b;
        const chunks: Uint8Array[] = [];
        for (let i = 0; i < bytes.length; i += size) chunks.push(bytes.subarray(i, i + size));
        try {
          await csvReport(chunks, { target: () => {}, skip: () => {} });
        } catch (err) {
          if (!(err instanceof ScanFormatError)) throw err;
        }
      }),
      { numRuns: 300 },
    );
  });
});
