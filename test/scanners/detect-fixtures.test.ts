import fs from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { DETECT_BYTES, detectFormat } from '../../src/domain/scanners/detect.js';

/** Auto-detection on the real reports in ../shared/fixtures/scanners: each file is recognised from its first bytes. */
const dir = path.resolve(process.cwd(), '../shared/fixtures/scanners');
const expected: Record<string, string> = {
  'tenable/nessus/nessus_many_vuln.xml': 'nessus',
  'tenable/nessus/nessus_with_cvssv3.nessus': 'nessus',
  'openvas/many_vuln.xml': 'openvas',
  'openvas/one_vuln.xml': 'openvas',
  'openvas/no_vuln.xml': 'openvas',
  'qualys/Qualys_Sample_Report.xml': 'qualys',
  'qualys/empty.xml': 'qualys',
  'trivy/scheme_2_many_vulns.json': 'trivy',
  'trivy/legacy_many_vulns.json': 'trivy',
  'trivy/legacy_no_vuln.json': 'trivy',
  'anchore_grype/many_vulns4.json': 'grype',
  'anchore_grype/no_vuln.json': 'grype',
  'anchore_grype/fix_available.json': 'grype',
  'osv_scanner/some_findings.json': 'osv-scanner',
  'cyclonedx/log4j.json': 'cyclonedx',
  'cyclonedx/valid-vulnerability-1.4.json': 'cyclonedx',
  'openvex/openvex_many_vuln.json': 'openvex',
  'csaf/csaf_many_vuln.json': 'csaf',
};

describe.skipIf(!fs.existsSync(dir))('format detection on the real scanner reports (skipped: ../shared/fixtures/scanners is absent)', () => {
  it.each(Object.entries(expected))('%s is %s', (file, format) => {
    const fd = fs.openSync(path.join(dir, file), 'r');
    const buf = Buffer.alloc(DETECT_BYTES);
    const n = fs.readSync(fd, buf, 0, DETECT_BYTES, 0);
    fs.closeSync(fd);
    expect(detectFormat(buf.subarray(0, n).toString('utf8'), path.basename(file)).format).toBe(format);
  });
});
