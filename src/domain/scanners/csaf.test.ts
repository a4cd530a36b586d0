import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { csafReport } from './csaf.js';
import { ScanFormatError, type VexStatement } from './report.js';

async function run(doc: string | object, chunk = 13) {
  const text = typeof doc === 'string' ? doc : JSON.stringify(doc);
  const statements: VexStatement[] = [];
  const skips: { reason: string; count?: number }[] = [];
  const chunks: string[] = [];
  for (let i = 0; i < text.length; i += chunk) chunks.push(text.slice(i, i + chunk));
  const meta = await csafReport(chunks, {
    target: () => {
      throw new Error('CSAF has no targets');
    },
    statement: (s) => {
      statements.push(s);
    },
    skip: (reason, count) => {
      skips.push({ reason, count });
    },
  });
  return { meta, statements, skips };
}

async function failure(doc: string | object): Promise<ScanFormatError> {
  const err = await run(doc).then(
    () => null,
    (e: unknown) => e,
  );
  expect(err).toBeInstanceOf(ScanFormatError);
  return err as ScanFormatError;
}

const document = {
  category: 'csaf_vex',
  csaf_version: '2.0',
  title: 'curl and openssl in Example OS',
  publisher: { category: 'vendor', name: 'Example Inc', namespace: 'https://example.com' },
  tracking: { id: 'EX-VEX-2024-001', status: 'final', version: '2', initial_release_date: '2024-02-01T00:00:00Z', current_release_date: '2024-02-03T10:00:00Z' },
};

const productTree = {
  branches: [
    {
      category: 'vendor',
      name: 'Example Inc',
      branches: [
        {
          category: 'product_name',
          name: 'Example OS',
          branches: [
            { category: 'product_version', name: '9.1', product: { product_id: 'OS-9.1', name: 'Example OS 9.1' } },
            { category: 'product_version', name: '9.2', product: { product_id: 'OS-9.2', name: 'Example OS 9.2' } },
          ],
        },
        {
          category: 'product_name',
          name: 'curl',
          branches: [{ category: 'product_version', name: '8.4.0-1', product: { product_id: 'curl-8.4.0', name: 'curl 8.4.0-1', product_identification_helper: { purl: 'pkg:rpm/example/curl@8.4.0-1?arch=x86_64' } } }],
        },
      ],
    },
  ],
  full_product_names: [{ product_id: 'openssl-3', name: 'OpenSSL 3.0.13' }],
  relationships: [
    { category: 'default_component_of', product_reference: 'curl-8.4.0', relates_to_product_reference: 'OS-9.1', full_product_name: { product_id: 'OS-9.1:curl', name: 'curl 8.4.0-1 as a component of Example OS 9.1' } },
  ],
  product_groups: [{ group_id: 'all-os', product_ids: ['OS-9.1', 'OS-9.2'] }],
};

const vulnerabilities = [
  {
    cve: 'CVE-2024-2398',
    ids: [{ system_name: 'Example', text: 'EX-2024-17' }],
    product_status: { known_affected: ['OS-9.1:curl'], fixed: ['OS-9.2'], known_not_affected: ['openssl-3'], under_investigation: ['nowhere'], recommended: ['OS-9.2'] },
    flags: [{ label: 'component_not_present', product_ids: ['openssl-3'] }],
    remediations: [
      { category: 'vendor_fix', details: 'Update curl to 8.4.0-2.', product_ids: ['OS-9.1:curl'] },
      { category: 'workaround', details: 'Disable HTTP/2 push.', group_ids: ['all-os'] },
    ],
  },
  {
    ids: [{ system_name: 'Example', text: 'EX-2024-18' }],
    product_status: { known_not_affected: ['OS-9.1', 'OS-9.2', 'curl-8.4.0'] },
    threats: [{ category: 'impact', details: 'The vulnerable function is not compiled in.', group_ids: ['all-os'] }],
  },
];

const csaf = (order = ['document', 'product_tree', 'vulnerabilities']) => {
  const parts: Record<string, unknown> = { document, product_tree: productTree, vulnerabilities };
  return JSON.stringify(Object.fromEntries(order.map((k) => [k, parts[k]])));
};

describe('CSAF VEX importer', () => {
  it('hands on one statement per vulnerability and product id, with product names from the tree', async () => {
    const { meta, statements, skips } = await run(csaf());
    expect(meta).toEqual({ format: 'csaf', scanner: 'Example Inc', reportName: 'EX-VEX-2024-001', scannedAt: '2024-02-03T10:00:00Z' });
    expect(statements).toEqual([
      { vulnerabilityId: 'CVE-2024-2398', aliases: ['EX-2024-17'], status: 'not_affected', justification: 'component_not_present', detail: null, product: { purl: null, name: 'OpenSSL 3.0.13', version: null } },
      // A relationship names the component: what findings match is curl, found by its purl.
      { vulnerabilityId: 'CVE-2024-2398', aliases: ['EX-2024-17'], status: 'affected', justification: null, detail: 'vendor_fix: Update curl to 8.4.0-2.', product: { purl: 'pkg:rpm/example/curl@8.4.0-1?arch=x86_64', name: 'curl', version: '8.4.0-1', within: 'curl 8.4.0-1 as a component of Example OS 9.1' } },
      { vulnerabilityId: 'CVE-2024-2398', aliases: ['EX-2024-17'], status: 'fixed', justification: null, detail: null, product: { purl: null, name: 'Example OS', version: '9.2' } },
      { vulnerabilityId: 'EX-2024-18', aliases: [], status: 'not_affected', justification: null, detail: 'The vulnerable function is not compiled in.', product: { purl: null, name: 'Example OS', version: '9.1' } },
      { vulnerabilityId: 'EX-2024-18', aliases: [], status: 'not_affected', justification: null, detail: 'The vulnerable function is not compiled in.', product: { purl: null, name: 'Example OS', version: '9.2' } },
    ]);
    expect(skips.map((s) => s.reason)).toEqual(['CVE-2024-2398, product nowhere: product id not in the product tree', 'EX-2024-18, product curl-8.4.0: known_not_affected without a flag or impact statement']);
  });

  it('keeps known_not_affected without a flag in a security advisory (the VEX profile rule does not apply)', async () => {
    const advisory = JSON.parse(csaf()) as { document: { category: string } };
    advisory.document.category = 'csaf_security_advisory';
    const { statements, skips } = await run(advisory);
    expect(statements.filter((s) => s.vulnerabilityId === 'EX-2024-18').map((s) => s.product.name)).toEqual(['Example OS', 'Example OS', 'curl']);
    expect(skips).toHaveLength(1);
  });

  it('gives the same result when vulnerabilities come before the product tree, whatever the chunk size', async () => {
    const expected = (await run(csaf())).statements;
    await fc.assert(
      fc.asyncProperty(fc.shuffledSubarray(['document', 'product_tree', 'vulnerabilities'], { minLength: 3 }), fc.integer({ min: 1, max: 300 }), async (order, chunk) => {
        expect((await run(csaf(order), chunk)).statements).toEqual(expected);
      }),
      { numRuns: 30 },
    );
  });

  it('refuses unknown flag labels, naming the path', async () => {
    const bad = JSON.parse(csaf());
    bad.vulnerabilities[0].flags[0].label = 'looks_fine';
    const err = await failure(bad);
    expect(err.where).toBe('$.vulnerabilities[0].flags[0].label');
    expect(err.message).toMatch(/unknown flag label "looks_fine" \(expected one of component_not_present/);
  });

  it('names the JSON path of a value of the wrong type', async () => {
    const at = async (change: (d: any) => void) => {
      const d = JSON.parse(csaf());
      change(d);
      return (await failure(d)).where;
    };
    expect(await at((d) => (d.vulnerabilities[1].product_status.known_not_affected = 'OS-9.1'))).toBe('$.vulnerabilities[1].product_status.known_not_affected');
    expect(await at((d) => (d.vulnerabilities[1].product_status.known_not_affected = [5]))).toBe('$.vulnerabilities[1].product_status.known_not_affected[0]');
    expect(await at((d) => (d.product_tree.branches[0].branches[0].branches[1].product.product_id = 9))).toBe('$.product_tree.branches[0].branches[0].branches[1].product.product_id');
    expect(await at((d) => (d.product_tree.full_product_names = { a: { product_id: 'x' } }))).toBe('$.product_tree.full_product_names');
    expect(await at((d) => (d.vulnerabilities[0].cve = 2024))).toBe('$.vulnerabilities[0].cve');
    expect(await at((d) => (d.document.csaf_version = '1.2'))).toBe('$.document.csaf_version');
  });

  it('refuses other formats and categories, naming what was expected', async () => {
    const openvex = await failure({ '@context': 'https://openvex.dev/ns/v0.2.0', '@id': 'x', statements: [] });
    expect(openvex.message).toMatch(/expected a CSAF 2\.0 document .*but this is an OpenVEX document/);
    expect((await failure({ bomFormat: 'CycloneDX', specVersion: '1.5' })).message).toMatch(/CSAF.*CycloneDX/);
    const base = await failure({ document: { ...document, category: 'csaf_informational_advisory' } });
    expect(base.where).toBe('$.document.category');
    expect(base.message).toMatch(/expected csaf_vex or csaf_security_advisory/);
    expect((await failure('[1, 2]')).message).toMatch(/expected a CSAF 2\.0 document/);
  });

  it('refuses product trees nested deeper than it reads', async () => {
    let branch: Record<string, unknown> = { category: 'product_version', name: '1', product: { product_id: 'deep', name: 'deep' } };
    for (let i = 0; i < 17; i++) branch = { category: 'vendor', name: `v${i}`, branches: [branch] };
    const err = await failure({ document, product_tree: { branches: [branch] }, vulnerabilities: [] });
    expect(err.message).toMatch(/nested deeper than 16/);
  });

  it('accepts a document without vulnerabilities and fails on empty or truncated files', async () => {
    expect((await run({ document, product_tree: productTree })).statements).toEqual([]);
    expect((await failure('')).message).toMatch(/empty/);
    const text = csaf();
    expect((await failure(text.slice(0, text.indexOf('EX-2024-18')))).message).toMatch(/truncated/);
  });

  it('parses or throws ScanFormatError on any truncation or corruption', async () => {
    const text = csaf();
    await fc.assert(
      fc.asyncProperty(fc.nat(text.length), fc.array(fc.tuple(fc.nat(text.length - 1), fc.integer({ min: 0, max: 255 })), { maxLength: 4 }), async (cut, flips) => {
        const bytes = new TextEncoder().encode(text.slice(0, cut));
        for (const [at, b] of flips) if (at < bytes.length) bytes[at] = b;
        try {
          await csafReport([bytes], { target: () => {}, statement: () => {}, skip: () => {} });
        } catch (err) {
          if (!(err instanceof ScanFormatError)) throw err;
        }
      }),
      { numRuns: 300 },
    );
  });
});
