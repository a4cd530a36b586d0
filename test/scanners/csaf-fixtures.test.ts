/**
 * The CSAF importer on ../shared/fixtures/scanners/csaf (DefectDojo's
 * unit-test file): statements counted with JSON.parse and a plain walk.
 */
import fs from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { csafReport } from '../../src/domain/scanners/csaf.js';
import type { VexStatement } from '../../src/domain/scanners/report.js';

const dir = path.resolve(process.cwd(), '../shared/fixtures/scanners/csaf');
const present = fs.existsSync(dir);
if (!present) console.log(`CSAF fixtures skipped: ${dir} is absent`);

const STATUS: Record<string, string> = { known_not_affected: 'not_affected', known_affected: 'affected', fixed: 'fixed', under_investigation: 'under_investigation' };

describe.skipIf(!present)(`CSAF fixtures (${dir})`, () => {
  it('csaf_many_vuln.json: one statement per vulnerability and product id in product_status', async () => {
    const file = path.join(dir, 'csaf_many_vuln.json');
    const raw = JSON.parse(fs.readFileSync(file, 'utf8')) as {
      document: { publisher: { name: string }; tracking: { id: string; current_release_date: string } };
      vulnerabilities: { cve?: string; ids?: { text: string }[]; product_status: Record<string, string[]> }[];
    };
    const got: VexStatement[] = [];
    const skips: string[] = [];
    const meta = await csafReport(fs.createReadStream(file, { highWaterMark: 300 }), {
      target: () => {
        throw new Error('CSAF has no targets');
      },
      statement: (s) => {
        got.push(s);
      },
      skip: (r) => {
        skips.push(r);
      },
    });
    expect(meta).toEqual({ format: 'csaf', scanner: raw.document.publisher.name, reportName: raw.document.tracking.id, scannedAt: raw.document.tracking.current_release_date });
    expect(skips).toEqual([]);
    // The parser walks the status lists in a fixed order; compare as sets of (id, status).
    const expected = raw.vulnerabilities.flatMap((v) => Object.entries(v.product_status).flatMap(([list, ids]) => ids.map((pid) => `${v.cve ?? v.ids?.[0]?.text} ${STATUS[list]} ${pid}`)));
    expect(got).toHaveLength(expected.length);
    const names: Record<string, string> = { 'CSAFPID-0001': 'Generic App 1.0.0', 'CSAFPID-0002': 'Generic App 1.0.1', 'CSAFPID-0003': 'Generic App 2.0.0', 'CSAFPID-0004': 'Generic Library 3.4.5', 'CSAFPID-0005': 'Generic Library 3.4.5' };
    const byName = (pid: string) => names[pid];
    expect(got.map((s) => `${s.vulnerabilityId} ${s.status} ${s.product.name} ${s.product.version}`).sort()).toEqual(
      expected
        .map((e) => {
          const [id, status, pid] = e.split(' ') as [string, string, string];
          const full = byName(pid) as string;
          return `${id} ${status} ${full.slice(0, full.lastIndexOf(' '))} ${full.slice(full.lastIndexOf(' ') + 1)}`;
        })
        .sort(),
    );
    const affected = got.find((s) => s.vulnerabilityId === 'CVE-2026-10002' && s.status === 'affected');
    expect(affected).toMatchObject({ product: { purl: null, name: 'Generic App', version: '1.0.0' }, detail: 'vendor_fix: Upgrade to Generic App 1.0.1.; workaround: Limit request body size at the proxy.' });
    // The second vulnerability has no CVE: its advisory id is the id; CSAFPID-0005 is the library inside the app.
    expect(got.filter((s) => s.vulnerabilityId === 'EXAMPLE-2026-0002-B').map((s) => [s.status, s.product.name, s.product.version])).toEqual([['affected', 'Generic Library', '3.4.5']]);
  });
});
