import { describe, expect, it } from 'vitest';
import { detectFormat } from './detect.js';

describe('detectFormat', () => {
  it.each([
    ['<?xml version="1.0" ?>\n<NessusClientData_v2><Report', 'nessus'],
    ['<?xml version="1.0"?><!-- exported --><report id="x" format_id="a994b278"><results>', 'openvas'],
    ['<get_reports_response status="200"><report>', 'openvas'],
    ['<?xml version="1.0" encoding="UTF-8" ?>\n<!DOCTYPE ASSET_DATA_REPORT SYSTEM "https://qualysguard.qualys.eu/asset_data_report.dtd">\n<ASSET_DATA_REPORT>', 'qualys'],
    ['<SCAN value="scan/1">', 'qualys'],
    ['<?xml version="1.0"?><bom xmlns="http://cyclonedx.org/schema/bom/1.5">', 'cyclonedx'],
    ['{"SchemaVersion": 2, "ArtifactName": "alpine:3.19", "Results": []}', 'trivy'],
    ['[{"Target": "debian (debian 10.8)", "Type": "debian", "Vulnerabilities": []}]', 'trivy'],
    ['null\n', 'trivy'],
    ['{"matches": [], "source": {"type": "image"}, "descriptor": {"name": "grype"}}', 'grype'],
    ['{"results": [{"source": {"path": "/src/package-lock.json", "type": "lockfile"}, "packages": []}]}', 'osv-scanner'],
    ['{"$schema": "https://json.schemastore.org/sarif-2.1.0.json", "version": "2.1.0", "runs": []}', 'sarif'],
    ['{"version": "2.1.0", "runs": [{"tool": {}}]}', 'sarif'],
    ['{"bomFormat": "CycloneDX", "specVersion": "1.6", "vulnerabilities": []}', 'cyclonedx'],
    ['{"@context": "https://openvex.dev/ns/v0.2.0", "statements": []}', 'openvex'],
    ['{"document": {"category": "csaf_vex", "csaf_version": "2.0"}}', 'csaf'],
    ['Host,CVE,Severity\n10.0.0.1,CVE-2024-1,High\n', 'csv'],
    ['\uFEFF  <NessusClientData_v2>', 'nessus'],
  ])('%s → %s', (head, format) => {
    expect(detectFormat(head).format).toBe(format);
  });

  it('says why it cannot tell', () => {
    expect(detectFormat('')).toEqual({ format: null, reason: 'the file is empty' });
    expect(detectFormat('<html><body>').reason).toMatch(/root element <html>/);
    expect(detectFormat('{"foo": 1}').reason).toMatch(/JSON file whose first bytes match no known report/);
    expect(detectFormat('\u0000\u0001binary').format).toBeNull();
  });

  it('takes a .csv file name as CSV even when the header has one column', () => {
    expect(detectFormat('CVE\nCVE-2024-1\n', 'findings.csv').format).toBe('csv');
  });
});
