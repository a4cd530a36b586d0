/**
 * The OpenVEX importer on ../shared/fixtures/scanners/openvex (DefectDojo's
 * unit-test file): statements counted with JSON.parse and a plain walk.
 */
import fs from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { openvexReport } from '../../src/domain/scanners/openvex.js';
import type { VexStatement } from '../../src/domain/scanners/report.js';

const dir = path.resolve(process.cwd(), '../shared/fixtures/scanners/openvex');
const present = fs.existsSync(dir);
if (!present) console.log(`OpenVEX fixtures skipped: ${dir} is absent`);

interface RawStatement {
  vulnerability: string | { name: string; aliases?: string[] };
  products: (string | { '@id': string })[];
  status: string;
  justification?: string;
  impact_statement?: string;
  action_statement?: string;
}

describe.skipIf(!present)(`OpenVEX fixtures (${dir})`, () => {
  it('openvex_many_vuln.json: one statement per product, as the file states it', async () => {
    const file = path.join(dir, 'openvex_many_vuln.json');
    const raw = JSON.parse(fs.readFileSync(file, 'utf8')) as { author: string; timestamp: string; statements: RawStatement[] };
    const got: VexStatement[] = [];
    const skips: string[] = [];
    const meta = await openvexReport(fs.createReadStream(file, { highWaterMark: 256 }), {
      target: () => {
        throw new Error('OpenVEX has no targets');
      },
      statement: (s) => {
        got.push(s);
      },
      skip: (r) => {
        skips.push(r);
      },
    });
    expect(meta).toEqual({ format: 'openvex', scanner: raw.author, reportName: 'https://openvex.dev/docs/public/vex-2222222222222222222222222222222222', scannedAt: raw.timestamp });
    expect(skips).toEqual([]);
    const expected = raw.statements.flatMap((s) =>
      s.products.map((p) => ({
        id: typeof s.vulnerability === 'string' ? s.vulnerability : s.vulnerability.name,
        purl: typeof p === 'string' ? p : p['@id'],
        status: s.status,
        justification: s.justification ?? null,
        detail: s.status === 'not_affected' ? (s.impact_statement ?? null) : s.status === 'affected' ? (s.action_statement ?? null) : null,
      })),
    );
    expect(got.map((s) => ({ id: s.vulnerabilityId, purl: s.product.purl, status: s.status, justification: s.justification, detail: s.detail }))).toEqual(expected);
    expect(got).toHaveLength(6);
    expect(got[0]?.product).toEqual({ purl: 'pkg:apk/alpine/apk-tools@2.10.6-r0?arch=x86_64&distro=alpine-3.10.9', name: 'apk-tools', version: '2.10.6-r0' });
    expect(got[4]).toMatchObject({ vulnerabilityId: 'CVE-2024-10005', aliases: ['GHSA-jfh8-c2jp-5v3q'], justification: 'inline_mitigations_already_exist', detail: 'The affected code path is disabled at build time.' });
    // The last statement uses the 0.0.x string forms.
    expect(got[5]).toMatchObject({ vulnerabilityId: 'CVE-2024-10006', product: { name: 'openssl', version: '1.1.1k-r0' }, justification: 'component_not_present' });
  });
});
