import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { openvexReport } from './openvex.js';
import { ScanFormatError, type VexStatement } from './report.js';

async function run(doc: string | object, chunk = 11) {
  const text = typeof doc === 'string' ? doc : JSON.stringify(doc);
  const statements: VexStatement[] = [];
  const skips: { reason: string; count?: number }[] = [];
  let targets = 0;
  const chunks: string[] = [];
  for (let i = 0; i < text.length; i += chunk) chunks.push(text.slice(i, i + chunk));
  const meta = await openvexReport(chunks, {
    target: () => {
      targets++;
    },
    statement: (s) => {
      statements.push(s);
    },
    skip: (reason, count) => {
      skips.push({ reason, count });
    },
  });
  return { meta, statements, skips, targets };
}

async function failure(doc: string | object): Promise<ScanFormatError> {
  const err = await run(doc).then(
    () => null,
    (e: unknown) => e,
  );
  expect(err).toBeInstanceOf(ScanFormatError);
  return err as ScanFormatError;
}

const CONTEXT = 'https://openvex.dev/ns/v0.2.0';
const doc = (statements: unknown[], extra: object = {}) => ({ '@context': CONTEXT, '@id': 'https://example.com/vex/1', author: 'Example Security', timestamp: '2024-05-01T00:00:00Z', version: 1, ...extra, statements });

const statements = [
  {
    vulnerability: { '@id': 'https://nvd.nist.gov/vuln/detail/CVE-2023-44487', name: 'GHSA-qppj-fm5r-hxr3', aliases: ['CVE-2023-44487'] },
    products: [
      {
        '@id': 'pkg:oci/shop@sha256%3A1234?repository_url=ghcr.io/example/shop',
        subcomponents: [{ '@id': 'pkg:golang/golang.org/x/net@v0.7.0' }, { '@id': 'urn:example:component', identifiers: { purl: 'pkg:npm/%40scope/lib@1.2.3' } }],
      },
    ],
    status: 'not_affected',
    justification: 'vulnerable_code_not_in_execute_path',
  },
  { vulnerability: { name: 'CVE-2024-0001' }, products: [{ '@id': 'pkg:deb/debian/curl@7.88.1-10' }], status: 'affected', action_statement: 'Upgrade curl to 7.88.1-10+deb12u5' },
  { vulnerability: { name: 'CVE-2024-0002' }, products: [{ '@id': 'https://example.com/products/router-x' }], status: 'not_affected', impact_statement: 'The router never parses the header.' },
  { vulnerability: { name: 'CVE-2024-0003' }, products: [{ '@id': 'pkg:pypi/django@4.2.1' }], status: 'not_affected' },
  { vulnerability: { name: 'CVE-2024-0004' }, products: [{ '@id': 'pkg:pypi/django@4.2.1' }], status: 'fixed', status_notes: 'fixed in the 4.2.1 build' },
  { vulnerability: { name: 'CVE-2024-0005' }, products: [], status: 'under_investigation' },
  { vulnerability: { '@id': 'https://nvd.nist.gov/vuln/detail/CVE-2024-0006' }, products: ['pkg:cargo/rustls@0.21.0'], status: 'under_investigation' },
];

describe('OpenVEX importer', () => {
  it('hands on one statement per product and subcomponent, with status, justification and detail', async () => {
    const { meta, statements: got, skips, targets } = await run(doc(statements));
    expect(meta).toEqual({ format: 'openvex', scanner: 'Example Security', reportName: 'https://example.com/vex/1', scannedAt: '2024-05-01T00:00:00Z' });
    expect(targets).toBe(0);
    expect(got).toEqual([
      { vulnerabilityId: 'CVE-2023-44487', aliases: ['GHSA-qppj-fm5r-hxr3'], product: { purl: 'pkg:oci/shop@sha256%3A1234?repository_url=ghcr.io/example/shop', name: 'shop', version: 'sha256:1234' }, status: 'not_affected', justification: 'vulnerable_code_not_in_execute_path', detail: null },
      { vulnerabilityId: 'CVE-2023-44487', aliases: ['GHSA-qppj-fm5r-hxr3'], product: { purl: 'pkg:golang/golang.org/x/net@v0.7.0', name: 'golang.org/x/net', version: 'v0.7.0', within: 'pkg:oci/shop@sha256%3A1234?repository_url=ghcr.io/example/shop' }, status: 'not_affected', justification: 'vulnerable_code_not_in_execute_path', detail: null },
      { vulnerabilityId: 'CVE-2023-44487', aliases: ['GHSA-qppj-fm5r-hxr3'], product: { purl: 'pkg:npm/%40scope/lib@1.2.3', name: '@scope/lib', version: '1.2.3', within: 'pkg:oci/shop@sha256%3A1234?repository_url=ghcr.io/example/shop' }, status: 'not_affected', justification: 'vulnerable_code_not_in_execute_path', detail: null },
      { vulnerabilityId: 'CVE-2024-0001', aliases: [], product: { purl: 'pkg:deb/debian/curl@7.88.1-10', name: 'curl', version: '7.88.1-10' }, status: 'affected', justification: null, detail: 'Upgrade curl to 7.88.1-10+deb12u5' },
      { vulnerabilityId: 'CVE-2024-0002', aliases: [], product: { purl: null, name: 'https://example.com/products/router-x', version: null }, status: 'not_affected', justification: null, detail: 'The router never parses the header.' },
      { vulnerabilityId: 'CVE-2024-0004', aliases: [], product: { purl: 'pkg:pypi/django@4.2.1', name: 'django', version: '4.2.1' }, status: 'fixed', justification: null, detail: 'fixed in the 4.2.1 build' },
      { vulnerabilityId: 'CVE-2024-0006', aliases: [], product: { purl: 'pkg:cargo/rustls@0.21.0', name: 'rustls', version: '0.21.0' }, status: 'under_investigation', justification: null, detail: null },
    ]);
    // not_affected needs a justification or an impact statement (OpenVEX spec): skipped, not an error.
    expect(skips.map((s) => s.reason)).toEqual(['$.statements[3] (CVE-2024-0003): not_affected without a justification or impact statement', '$.statements[5] (CVE-2024-0005): statement without products']);
  });

  it('reads 0.0.x documents: vulnerability and products as strings, subcomponents beside them', async () => {
    const old = {
      '@context': 'https://openvex.dev/ns',
      '@id': 'https://example.com/vex/old',
      author: 'Someone',
      timestamp: '2023-01-08T18:02:03Z',
      statements: [{ vulnerability: 'CVE-2022-3602', products: ['pkg:apk/wolfi/openssl@3.0.7-r0'], subcomponents: ['pkg:apk/wolfi/libcrypto3@3.0.7-r0'], status: 'fixed' }],
    };
    const { statements: got } = await run(old);
    expect(got.map((s) => [s.vulnerabilityId, s.product.name, s.product.version, s.status])).toEqual([
      ['CVE-2022-3602', 'openssl', '3.0.7-r0', 'fixed'],
      ['CVE-2022-3602', 'libcrypto3', '3.0.7-r0', 'fixed'],
    ]);
  });

  it('hands statements on while reading', async () => {
    const many = Array.from({ length: 500 }, (_, i) => ({ vulnerability: { name: `CVE-2024-${10000 + i}` }, products: [{ '@id': 'pkg:npm/a@1.0.0' }], status: 'under_investigation' }));
    const text = JSON.stringify(doc(many));
    let read = 0;
    let readAtFirst = -1;
    function* chunks() {
      for (let i = 0; i < text.length; i += 512) {
        read = i;
        yield text.slice(i, i + 512);
      }
    }
    let n = 0;
    await openvexReport(chunks(), {
      target: () => {},
      statement: () => {
        if (n++ === 0) readAtFirst = read;
      },
      skip: () => {},
    });
    expect(n).toBe(500);
    expect(readAtFirst).toBeLessThan(text.length / 10);
  });

  it('refuses unknown justifications and statuses, naming the path', async () => {
    const bad = (s: object) => failure(doc([statements[1], { vulnerability: { name: 'CVE-2024-9' }, products: ['pkg:npm/a@1'], ...s }]));
    const j = await bad({ status: 'not_affected', justification: 'not_my_problem' });
    expect(j.where).toBe('$.statements[1].justification');
    expect(j.message).toMatch(/unknown justification "not_my_problem" \(expected one of component_not_present/);
    expect((await bad({ status: 'safe' })).where).toBe('$.statements[1].status');
    expect((await bad({})).where).toBe('$.statements[1].status');
  });

  it('names the JSON path of a value of the wrong type', async () => {
    expect((await failure(doc([{ vulnerability: 42, products: [], status: 'fixed' }]))).where).toBe('$.statements[0].vulnerability');
    expect((await failure(doc([{ vulnerability: { name: 'CVE-2024-1', aliases: [1] }, products: [], status: 'fixed' }]))).where).toBe('$.statements[0].vulnerability.aliases[0]');
    expect((await failure(doc([{ vulnerability: 'CVE-2024-1', products: [7], status: 'fixed' }]))).where).toBe('$.statements[0].products[0]');
    expect((await failure(doc([{ vulnerability: 'CVE-2024-1', products: 'pkg:npm/a@1', status: 'fixed' }]))).where).toBe('$.statements[0].products');
    expect((await failure({ '@context': CONTEXT, statements: { a: {} } })).where).toBe('$.statements');
  });

  it('refuses other formats, naming what was expected', async () => {
    const csaf = await failure({ document: { category: 'csaf_vex', csaf_version: '2.0' }, vulnerabilities: [] });
    expect(csaf.message).toMatch(/expected an OpenVEX document.*but this is a CSAF document/);
    expect((await failure({ bomFormat: 'CycloneDX', vulnerabilities: [] })).message).toMatch(/OpenVEX.*CycloneDX/);
    expect((await failure({ '@context': 'https://www.w3.org/2018/credentials/v1', statements: [] })).where).toBe('$["@context"]');
    expect((await failure('not json')).message).toMatch(/expected an OpenVEX JSON document/);
  });

  it('accepts an empty document and fails on empty or truncated files', async () => {
    expect((await run(doc([]))).statements).toEqual([]);
    expect((await failure('')).message).toMatch(/empty/);
    expect((await failure('{}')).message).toMatch(/@context/);
    const text = JSON.stringify(doc(statements));
    const cut = await failure(text.slice(0, text.indexOf('CVE-2024-0002')));
    expect(cut.message).toMatch(/truncated/);
  });

  it('parses or throws ScanFormatError on any truncation or corruption', async () => {
    const text = JSON.stringify(doc(statements));
    await fc.assert(
      fc.asyncProperty(fc.nat(text.length), fc.array(fc.tuple(fc.nat(text.length - 1), fc.integer({ min: 0, max: 255 })), { maxLength: 4 }), async (cut, flips) => {
        const bytes = new TextEncoder().encode(text.slice(0, cut));
        for (const [at, b] of flips) if (at < bytes.length) bytes[at] = b;
        try {
          await openvexReport([bytes], { target: () => {}, statement: () => {}, skip: () => {} });
        } catch (err) {
          if (!(err instanceof ScanFormatError)) throw err;
        }
      }),
      { numRuns: 300 },
    );
  });
});
