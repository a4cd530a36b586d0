import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { ScanFormatError } from './report.js';
import { firstLabel, isIpAddress, isoDate, MAX_PENDING, mergeDuplicates, readXml, type XmlHandler, type XmlSpec } from './xml-stream.js';

const spec: XmlSpec = { what: 'a test report', roots: ['r'] };

/** Collects the own text of every <t> and emits it as a unit. */
const texts = (max = 100, overflow: 'fail' | 'truncate' = 'fail'): XmlHandler<string> => ({
  open(name, _a, at) {
    if (name === 't') at.capture(max, overflow);
  },
  close(name, text, at) {
    if (name === 't') at.emit(text ?? '');
  },
});

async function read(input: Iterable<string | Uint8Array> | AsyncIterable<string | Uint8Array>, s: XmlSpec = spec, h: XmlHandler<string> = texts()) {
  const got: string[] = [];
  await readXml(input, s, h, (u) => {
    got.push(u);
  });
  return got;
}

async function failure(p: Promise<unknown>): Promise<ScanFormatError> {
  try {
    await p;
  } catch (err) {
    expect(err).toBeInstanceOf(ScanFormatError);
    return err as ScanFormatError;
  }
  throw new Error('expected a ScanFormatError, the input was accepted');
}

describe('readXml', () => {
  it('hands on an element’s own text, not its children’s, with entities and CDATA', async () => {
    expect(await read(['<r><t>a &amp; b<x>not this</x> &#x41;<![CDATA[<c>]]></t><t/></r>'])).toEqual(['a & b A<c>', '']);
  });

  it('bounds captured text: refuses with the position, or keeps the first characters', async () => {
    const long = `<r>\n<t>${'y'.repeat(150)}</t></r>`;
    const err = await failure(read([long]));
    expect(err.message).toMatch(/^line 2, column \d+: <t> is longer than 100 characters$/);
    expect(err.where).toMatch(/^line 2, column \d+$/);
    expect(await read([long], spec, texts(100, 'truncate'))).toEqual(['y'.repeat(100)]);
  });

  it('refuses any DOCTYPE unless the format allows a bare external reference', async () => {
    const external = '<?xml version="1.0"?>\n<!DOCTYPE r SYSTEM "https://example.com/r.dtd">\n<r><t>x</t></r>';
    expect((await failure(read([external]))).message).toMatch(/^line 2, column \d+: a DOCTYPE is not allowed in a test report/);
    const lenient = { ...spec, externalDtd: true };
    expect(await read([external], lenient)).toEqual(['x']);
    expect(await read(['<!DOCTYPE r PUBLIC "-//X//DTD R//EN" \'r.dtd\'><r/>'], lenient)).toEqual([]);
    // An internal subset is where entities are declared: refused even then.
    const subset = '<!DOCTYPE r SYSTEM "r.dtd" [<!ENTITY x SYSTEM "file:///etc/passwd">]><r><t>&x;</t></r>';
    expect((await failure(read([subset], lenient))).message).toMatch(/DOCTYPE with declarations is not allowed/);
    const laughs = `<!DOCTYPE r [<!ENTITY a "lol">${Array.from({ length: 9 }, (_, i) => `<!ENTITY ${String.fromCharCode(98 + i)} "${`&${String.fromCharCode(97 + i)};`.repeat(10)}">`).join('')}]><r><t>&j;</t></r>`;
    expect((await failure(read([laughs], lenient))).message).toMatch(/DOCTYPE/);
    expect((await failure(read(['<!DOCTYPE other SYSTEM "o.dtd"><r/>'], lenient))).message).toMatch(/DOCTYPE names <other>: this is not a test report/);
  });

  it('refuses entities that XML does not predefine', async () => {
    expect((await failure(read(['<r><t>&nbsp;</t></r>']))).message).toMatch(/^line 1, column \d+: not well-formed XML: undefined entity/);
  });

  it('names the problem: wrong root, not XML, empty, truncated, a second root, mismatched tags', async () => {
    expect((await failure(read(['<report/>']))).message).toBe('line 1, column 9: this is not a test report: the root element is <report>, not <r>');
    expect((await failure(read(['{"SchemaVersion": 2}']))).message).toMatch(/^line 1, column 1: this is not XML, so not a test report: it starts with "\{"SchemaVersion/);
    // A gzip file: control characters and undecodable bytes are shown as "?".
    expect((await failure(read([Uint8Array.of(0x1f, 0x8b, 0x08, 0x00, 0x41)]))).message).toBe('line 1, column 1: this is not XML, so not a test report: it starts with "????A"');
    expect((await failure(read(['', '  \n']))).message).toBe('the file is empty: no <r> element');
    expect((await failure(read(['<r><t>abc</t>\n<t>de']))).message).toMatch(/^line 2, column \d+: the report ends inside <t>: the file is truncated$/);
    expect((await failure(read(['<?xml version="1.0"?><r']))).message).toMatch(/ends before its first element is complete/);
    expect((await failure(read(['<r/><r/>']))).message).toMatch(/not well-formed XML|second root/);
    expect((await failure(read(['<r><t></x></r>']))).message).toMatch(/^line 1, column \d+: not well-formed XML/);
    expect((await failure(read(['<r/>trailing']))).message).toMatch(/not well-formed XML/);
  });

  it('bounds what saxes holds, nesting depth and attribute count', async () => {
    let pulled = 0;
    async function* huge() {
      yield '<r><t>';
      for (let i = 0; i < 64; i++) {
        pulled++;
        yield 'x'.repeat(1024 * 1024);
      }
      yield '</t></r>';
    }
    expect((await failure(read(huge(), spec, texts(Number.MAX_SAFE_INTEGER)))).message).toMatch(/a single text, tag or declaration longer than/);
    // Stopped soon after the limit, not after reading everything.
    expect(pulled).toBeLessThanOrEqual(MAX_PENDING / (1024 * 1024) + 2);
    expect((await failure(read([`<r>${'<a>'.repeat(300)}`]))).message).toMatch(/nested more than 256 deep/);
    expect((await failure(read([`<r ${Array.from({ length: 300 }, (_, i) => `a${i}="1"`).join(' ')}/>`]))).message).toMatch(/more than 256 attributes/);
  });

  it('decodes by byte order mark or declared encoding, chunk boundaries anywhere', async () => {
    const latin1 = Uint8Array.from([...'<?xml version="1.0" encoding="ISO-8859-1"?><r><t>caf'].map((c) => c.charCodeAt(0)).concat([0xe9], [...'</t></r>'].map((c) => c.charCodeAt(0))));
    expect(await read([latin1.subarray(0, 10), latin1.subarray(10)])).toEqual(['café']);
    const utf16 = new Uint8Array([0xff, 0xfe, ...[...'<r><t>ü</t></r>'].flatMap((c) => [c.charCodeAt(0), 0])]);
    expect(await read([utf16])).toEqual(['ü']);
    const utf8 = new TextEncoder().encode('\uFEFF<r><t>日本</t></r>');
    expect(await read(Array.from(utf8, (b) => Uint8Array.of(b)))).toEqual(['日本']);
    expect((await failure(read(['<?xml version="1.0" encoding="x-klingon"?><r/>'].map((s) => new TextEncoder().encode(s))))).message).toMatch(/encoding "x-klingon"/);
  });

  it('hands each unit on before reading further input (the sink is awaited)', async () => {
    const log: string[] = [];
    async function* input() {
      yield '<r>';
      for (const n of ['a', 'b', 'c']) {
        log.push(`read ${n}`);
        yield `<t>${n}</t>`;
      }
      yield '</r>';
    }
    await readXml(input(), spec, texts(), async (u) => {
      log.push(`start ${u}`);
      await new Promise((r) => setTimeout(r, 2));
      log.push(`end ${u}`);
    });
    expect(log).toEqual(['read a', 'start a', 'end a', 'read b', 'start b', 'end b', 'read c', 'start c', 'end c']);
  });

  it('any input is either read or refused with a ScanFormatError, never another error', async () => {
    const doc = '<?xml version="1.0"?>\n<r a="1"><t>x &amp; y</t><!-- c --><t><![CDATA[z]]></t><u v="w"/></r>\n';
    await fc.assert(
      fc.asyncProperty(fc.nat(doc.length), fc.nat(doc.length), fc.string({ maxLength: 6, unit: 'binary' }), fc.boolean(), async (a, b, junk, lenient) => {
        const [from, to] = a < b ? [a, b] : [b, a];
        const broken = doc.slice(0, from) + junk + doc.slice(to);
        try {
          await read([broken], { ...spec, externalDtd: lenient });
        } catch (err) {
          expect(err).toBeInstanceOf(ScanFormatError);
        }
      }),
      { numRuns: 400 },
    );
  });
});

describe('host name helpers', () => {
  it('tells addresses from names', () => {
    expect(['10.0.0.1', '255.255.255.255', '::1', 'fe80::1%eth0', '2001:db8::8a2e:370:7334', '::ffff:10.0.0.1'].every(isIpAddress)).toBe(true);
    expect(['10.0.0.256', '192.168.1.1001', 'host.example.com', 'dead:beef', 'abc', ''].some(isIpAddress)).toBe(false);
    expect(firstLabel('Web01.Example.com')).toBe('web01');
    expect(firstLabel('10.0.0.1')).toBeNull();
    expect(firstLabel('  ')).toBeNull();
  });

  it('reads ISO dates only, as UTC when no zone is given', () => {
    expect(isoDate('2023-09-28T14:48:02Z')).toBe('2023-09-28T14:48:02.000Z');
    expect(isoDate('2023-09-28T14:48:02.211438+0200')).toBe('2023-09-28T12:48:02.211Z');
    expect(isoDate('2023-09-28 14:48')).toBe('2023-09-28T14:48:00.000Z');
    expect(isoDate('Tue Jun 25 10:32:42 2013')).toBeNull();
    expect(isoDate('2023-13-45')).toBeNull();
    expect(isoDate(null)).toBeNull();
  });
});

describe('mergeDuplicates', () => {
  it('one finding per vulnerability, evidence key and package, keeping every output and the worst severity', () => {
    const f = (vulnerabilityId: string, sourceKey: string, output: string | null, severity: 'high' | 'critical' | null = 'high', pkg?: string) => ({ vulnerabilityId, sourceKey, output, severity, cvssScore: severity === 'critical' ? 9.8 : 7.5, package: pkg ? { name: pkg, version: '1' } : null });
    const merged = mergeDuplicates([f('CVE-1', '1/80/tcp', 'php 5.1'), f('CVE-2', '1/80/tcp', 'x'), f('CVE-1', '1/80/tcp', 'php 5.6', 'critical'), f('CVE-1', '1/80/tcp', 'php 5.1'), f('CVE-1', '1/80/tcp', 'y', 'high', 'libphp')], 20);
    expect(merged.map((m) => [m.vulnerabilityId, m.output, m.severity, m.cvssScore, m.package?.name ?? null])).toEqual([
      ['CVE-1', 'php 5.1\n\nphp 5.6', 'critical', 9.8, null],
      ['CVE-2', 'x', 'high', 7.5, null],
      ['CVE-1', 'y', 'high', 7.5, 'libphp'],
    ]);
    expect(mergeDuplicates([f('CVE-1', 'k', 'a'.repeat(15)), f('CVE-1', 'k', 'b'.repeat(15))], 20)[0]?.output).toHaveLength(20);
    const distinct = [f('CVE-1', 'a', null), f('CVE-1', 'b', null)];
    expect(mergeDuplicates(distinct, 10)).toBe(distinct);
  });
});
