import fs from 'node:fs';
import path from 'node:path';
import { sql } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { detectFormat } from '../../src/domain/scanners/detect.js';
import { parserFor } from '../../src/domain/scanners/index.js';
import type { ReportFinding, ScanFormat, VexStatement } from '../../src/domain/scanners/report.js';
import { bearer, type TestApp, testApp, userWithToken } from '../support/app.js';

/**
 * Every real report in ../shared/fixtures/scanners through POST /api/imports
 * into an empty register: nothing lost (each distinct (target, vulnerability,
 * package) the parser reads is one finding), nothing doubled (importing it
 * again adds nothing), and the reports with no findings import cleanly.
 */
const dir = path.resolve(process.cwd(), '../shared/fixtures/scanners');
const files = [
  'tenable/nessus/nessus_many_vuln.xml',
  'tenable/nessus/nessus_with_cvssv3.nessus',
  'openvas/many_vuln.xml',
  'openvas/one_vuln.xml',
  'openvas/no_vuln.xml',
  'qualys/Qualys_Sample_Report.xml',
  'qualys/empty.xml',
  'trivy/scheme_2_many_vulns.json',
  'trivy/legacy_many_vulns.json',
  'trivy/legacy_no_vuln.json',
  'anchore_grype/many_vulns4.json',
  'anchore_grype/fix_available.json',
  'anchore_grype/no_vuln.json',
  'osv_scanner/some_findings.json',
  'cyclonedx/log4j.json',
  'cyclonedx/valid-vulnerability-1.4.json',
];

/** What the parser reads, counted the way the register keys findings. */
async function distinctFindings(format: ScanFormat, file: string): Promise<{ findings: number; targets: number; statements: VexStatement[] }> {
  const parser = await parserFor(format);
  const keys = new Set<string>();
  const targets = new Set<string>();
  const statements: VexStatement[] = [];
  await parser(fs.createReadStream(file), {
    target: (t, fs2: ReportFinding[]) => {
      targets.add(t.key);
      for (const f of fs2) keys.add(`${t.key}\u0000${f.vulnerabilityId}\u0000${f.package ? `${f.package.ecosystem ?? 'unknown'}/${f.package.name}` : ''}`);
    },
    statement: (s) => void statements.push(s),
    skip: () => {},
  });
  return { findings: keys.size, targets: targets.size, statements };
}

describe.skipIf(!fs.existsSync(dir))('importing the real scanner reports (skipped: ../shared/fixtures/scanners is absent)', () => {
  let t: TestApp;
  let token: string;
  beforeAll(async () => {
    t = await testApp();
    ({ token } = await userWithToken(t.database, 'security_analyst', 'fixture-importer'));
  });
  afterAll(() => t?.close());

  const upload = (file: string) =>
    t.app.inject({ method: 'POST', url: `/api/imports?fileName=${encodeURIComponent(path.basename(file))}`, headers: { ...bearer(token), 'content-type': 'application/octet-stream' }, payload: fs.readFileSync(file) });

  it.each(files)('%s: every finding once, and again nothing new', async (rel) => {
    const file = path.join(dir, rel);
    const format = detectFormat(fs.readFileSync(file, 'utf8').slice(0, 256 * 1024), rel).format as ScanFormat;
    const expected = await distinctFindings(format, file);
    const before = await sql<{ n: number }>`select count(*)::int as n from findings`.execute(t.database.db);
    const r = await upload(file);
    expect(r.statusCode, r.body).toBe(200);
    const s = r.json();
    expect(s.format).toBe(format);
    expect(s.assets.reported).toBe(expected.targets);
    expect(s.findings.reported).toBe(expected.findings);
    const after = await sql<{ n: number }>`select count(*)::int as n from findings`.execute(t.database.db);
    expect(after.rows[0]?.n).toBe((before.rows[0]?.n ?? 0) + s.findings.new);
    const second = await upload(file);
    expect(second.statusCode, second.body).toBe(200);
    const again = second.json();
    expect(again.findings).toMatchObject({ reported: expected.findings, new: 0, seenAgain: expected.findings, resolved: 0 });
    expect(again.assets.created).toBe(0);
    expect(again.evidence).toEqual({ new: 0, changed: 0 });
  });

  it.each(['openvex/openvex_many_vuln.json', 'csaf/csaf_many_vuln.json'])('%s: VEX statements are read and counted', async (rel) => {
    const file = path.join(dir, rel);
    const format = detectFormat(fs.readFileSync(file, 'utf8'), rel).format as ScanFormat;
    const expected = await distinctFindings(format, file);
    expect(expected.statements.length).toBeGreaterThan(0);
    const r = await upload(file);
    expect(r.statusCode, r.body).toBe(200);
    expect(r.json()).toMatchObject({ assets: { reported: 0 }, findings: { reported: 0 }, vex: { statements: expected.statements.length } });
  });
});
