import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { chunked, collect, formatError, fuzz } from './json-testkit.js';
import { nativeId, sarifReport } from './sarif.js';

/** As Trivy's SARIF writer (pkg/report/sarif.go) lays out an image scan. */
const trivySarif = () => ({
  version: '2.1.0',
  $schema: 'https://raw.githubusercontent.com/oasis-tcs/sarif-spec/main/sarif-2.1/schema/sarif-schema-2.1.0.json',
  runs: [
    {
      tool: {
        driver: {
          fullName: 'Trivy Vulnerability Scanner',
          informationUri: 'https://github.com/aquasecurity/trivy',
          name: 'Trivy',
          rules: [
            {
              id: 'CVE-2023-5363',
              name: 'OsPackageVulnerability',
              shortDescription: { text: 'openssl: Incorrect cipher key and IV length processing' },
              fullDescription: { text: 'Issue summary: A bug has been identified in the processing of key and initialisation vector (IV) lengths.' },
              defaultConfiguration: { level: 'error' },
              helpUri: 'https://avd.aquasec.com/nvd/cve-2023-5363',
              help: { text: 'Vulnerability CVE-2023-5363\nSeverity: HIGH\nPackage: libssl3\nFixed Version: 3.1.4-r0', markdown: '**Vulnerability CVE-2023-5363**' },
              properties: { precision: 'very-high', 'security-severity': '7.5', tags: ['vulnerability', 'security', 'HIGH'] },
            },
            {
              id: 'CVE-2023-42363',
              name: 'OsPackageVulnerability',
              shortDescription: { text: 'busybox: use-after-free in awk' },
              defaultConfiguration: { level: 'warning' },
              helpUri: 'https://avd.aquasec.com/nvd/cve-2023-42363',
              properties: { precision: 'very-high', 'security-severity': '5.5', tags: ['vulnerability', 'security', 'MEDIUM'] },
            },
          ],
          version: '0.50.1',
        },
      },
      results: [
        {
          ruleId: 'CVE-2023-5363',
          ruleIndex: 0,
          level: 'error',
          message: { text: 'Package: libssl3\nInstalled Version: 3.1.2-r0\nVulnerability CVE-2023-5363\nSeverity: HIGH\nFixed Version: 3.1.4-r0\nLink: [CVE-2023-5363](https://avd.aquasec.com/nvd/cve-2023-5363)' },
          locations: [{ physicalLocation: { artifactLocation: { uri: 'shop/web', uriBaseId: 'ROOTPATH' }, region: { startLine: 1, startColumn: 1, endLine: 1, endColumn: 1 } }, message: { text: 'shop/web: libssl3@3.1.2-r0' } }],
        },
        {
          ruleId: 'CVE-2023-42363',
          ruleIndex: 1,
          level: 'warning',
          message: { text: 'Package: busybox\nInstalled Version: 1.36.1-r2\nVulnerability CVE-2023-42363\nSeverity: MEDIUM\nFixed Version: 1.36.1-r6, 1.37.0-r0\nLink: [CVE-2023-42363](https://avd.aquasec.com/nvd/cve-2023-42363)' },
          locations: [{ physicalLocation: { artifactLocation: { uri: 'shop/web', uriBaseId: 'ROOTPATH' }, region: { startLine: 1, startColumn: 1, endLine: 1, endColumn: 1 } } }],
        },
      ],
      columnKind: 'utf16CodeUnits',
      originalUriBaseIds: { ROOTPATH: { uri: 'file:///' } },
      properties: { imageName: 'registry.example.com/shop/web:1.4', repoDigests: [`registry.example.com/shop/web@sha256:${'ab'.repeat(32)}`], repoTags: ['registry.example.com/shop/web:1.4'] },
    },
  ],
});

/** As CodeQL writes it: rules in a query-pack extension, results pointing at them by toolComponent index. */
const codeqlSarif = () => ({
  $schema: 'https://json.schemastore.org/sarif-2.1.0.json',
  version: '2.1.0',
  runs: [
    {
      tool: {
        driver: { name: 'CodeQL', organization: 'GitHub', semanticVersion: '2.16.1', notifications: [] },
        extensions: [
          {
            name: 'codeql/javascript-queries',
            semanticVersion: '0.8.8',
            rules: [
              { id: 'js/sql-injection', name: 'js/sql-injection', shortDescription: { text: 'Database query built from user-controlled sources' }, defaultConfiguration: { enabled: true, level: 'error' }, properties: { tags: ['security', 'external/cwe/cwe-089'], kind: 'path-problem', precision: 'high', 'security-severity': '8.8' } },
              { id: 'js/unused-local-variable', name: 'js/unused-local-variable', shortDescription: { text: 'Unused variable, import, function or class' }, defaultConfiguration: { enabled: true, level: 'note' }, properties: { tags: ['maintainability'] } },
            ],
          },
        ],
      },
      invocations: [{ toolExecutionNotifications: [], executionSuccessful: true, startTimeUtc: '2024-05-01T12:00:00Z' }],
      artifacts: [{ location: { uri: 'src/db.js', uriBaseId: '%SRCROOT%', index: 0 } }],
      results: [
        {
          ruleId: 'js/sql-injection',
          rule: { id: 'js/sql-injection', index: 0, toolComponent: { index: 0 } },
          message: { text: 'This query string depends on a [user-provided value](1).' },
          locations: [{ physicalLocation: { artifactLocation: { uri: 'src/db.js', uriBaseId: '%SRCROOT%', index: 0 }, region: { startLine: 42, startColumn: 17, endColumn: 40 } } }],
          partialFingerprints: { primaryLocationLineHash: 'abc:1' },
          codeFlows: [{ threadFlows: [{ locations: [{ location: { physicalLocation: { artifactLocation: { uri: 'src/app.js' }, region: { startLine: 7 } } } }] }] }],
        },
        {
          ruleId: 'js/unused-local-variable',
          rule: { id: 'js/unused-local-variable', index: 1, toolComponent: { index: 0 } },
          message: { text: 'Unused variable x.' },
          locations: [{ physicalLocation: { artifactLocation: { uri: 'src/util.js', uriBaseId: '%SRCROOT%' }, region: { startLine: 3 } } }],
        },
      ],
      automationDetails: { id: '.github/workflows/codeql.yml:analyze/language:javascript/' },
      versionControlProvenance: [{ repositoryUri: 'https://github.com/acme/shop', revisionId: '0123abc', branch: 'refs/heads/main' }],
      columnKind: 'utf16CodeUnits',
      properties: { semmle: { formatSpecifier: 'sarif-latest' } },
    },
  ],
});

/** A Semgrep-like log with its results before its tool (valid JSON: key order is free). */
const semgrepSarif = (results: unknown[], extra: Record<string, unknown> = {}) => ({
  version: '2.1.0',
  runs: [
    {
      results,
      tool: {
        driver: {
          name: 'Semgrep OSS',
          semanticVersion: '1.70.0',
          rules: [
            { id: 'python.lang.security.audit.eval-detected.eval-detected', shortDescription: { text: 'Detected the use of eval()' }, defaultConfiguration: { level: 'warning' }, properties: { tags: ['CWE-95', 'security'] } },
            { id: 'python.django.security.vuln-GHSA-2hrw-hx67-34x6', defaultConfiguration: { level: 'error' }, helpUri: 'https://github.com/advisories/GHSA-2hrw-hx67-34x6', properties: { tags: ['security', 'CVE-2023-36053'] } },
          ],
        },
      },
      ...extra,
    },
  ],
});

const semgrepResult = (i: number, over: Record<string, unknown> = {}) => ({
  ruleId: 'python.lang.security.audit.eval-detected.eval-detected',
  message: { text: `eval at ${i}` },
  locations: [{ physicalLocation: { artifactLocation: { uri: `app/views${i}.py` }, region: { startLine: i + 1 } } }],
  ...over,
});

describe('SARIF 2.1.0', () => {
  it('Trivy: an image named by the run properties, CVE rule ids, package from the message, severity from security-severity', async () => {
    const got = await collect(sarifReport, [JSON.stringify(trivySarif(), null, 2)]);
    expect(got.meta).toEqual({ format: 'sarif', scanner: 'Trivy 0.50.1', reportName: 'registry.example.com/shop/web:1.4', scannedAt: null });
    expect(got.calls.map((c) => c.target)).toEqual([{ key: 'registry.example.com/shop/web:1.4', kind: 'image', name: 'registry.example.com/shop/web:1.4', imageDigest: `sha256:${'ab'.repeat(32)}` }]);
    expect(got.findings.map((f) => [f.vulnerabilityId, f.severity, f.title, f.package, f.sourceKey])).toEqual([
      ['CVE-2023-5363', 'high', 'openssl: Incorrect cipher key and IV length processing', { ecosystem: null, name: 'libssl3', version: '3.1.2-r0', fixedVersion: '3.1.4-r0', purl: null }, 'shop/web:1'],
      ['CVE-2023-42363', 'medium', 'busybox: use-after-free in awk', { ecosystem: null, name: 'busybox', version: '1.36.1-r2', fixedVersion: '1.36.1-r6', purl: null }, 'shop/web:1'],
    ]);
    expect(got.findings[0]?.output).toMatch(/^Package: libssl3\nInstalled Version: 3\.1\.2-r0\n/);
  });

  it('CodeQL: rules of an extension found by toolComponent index; the application is the repository; native ids', async () => {
    const got = await collect(sarifReport, chunked(JSON.stringify(codeqlSarif()), [50, 900, 1800]));
    expect(got.meta).toEqual({ format: 'sarif', scanner: 'CodeQL 2.16.1', reportName: 'https://github.com/acme/shop', scannedAt: '2024-05-01T12:00:00Z' });
    expect(got.calls.map((c) => c.target)).toEqual([{ key: 'https://github.com/acme/shop', kind: 'application', name: 'https://github.com/acme/shop' }]);
    expect(got.findings.map((f) => [f.vulnerabilityId, f.severity, f.title, f.sourceKey, f.location, f.output, f.package])).toEqual([
      ['CodeQL-js/sql-injection', 'high', 'Database query built from user-controlled sources', 'src/db.js:42', 'src/db.js:42', 'This query string depends on a [user-provided value](1).', null],
      ['CodeQL-js/unused-local-variable', 'low', 'Unused variable, import, function or class', 'src/util.js:3', 'src/util.js:3', 'Unused variable x.', null],
    ]);
  });

  it('results before the tool are read the same, whatever the chunking; advisory ids in tags and help URIs are used', async () => {
    await fc.assert(
      fc.asyncProperty(fc.integer({ min: 0, max: 12 }), fc.array(fc.nat(), { maxLength: 6 }), async (n, cuts) => {
        const results = [...Array.from({ length: n }, (_, i) => semgrepResult(i)), semgrepResult(99, { ruleId: 'python.django.security.vuln-GHSA-2hrw-hx67-34x6', ruleIndex: 1 })];
        const got = await collect(sarifReport, chunked(JSON.stringify(semgrepSarif(results)), cuts));
        expect(got.findings.map((f) => [f.vulnerabilityId, f.aliases ?? null, f.severity, f.sourceKey])).toEqual([
          ...Array.from({ length: n }, (_, i) => ['Semgrep-OSS-python.lang.security.audit.eval-detected.eval-detected', null, 'medium', `app/views${i}.py:${i + 1}`]),
          ['CVE-2023-36053', ['GHSA-2hrw-hx67-34x6'], 'high', 'app/views99.py:100'],
        ]);
        expect(new Set(got.calls.map((c) => c.target.name))).toEqual(new Set(['sarif']));
      }),
      { numRuns: 80 },
    );
  });

  it('severity from the level when there is no security-severity: the result level, else the rule default, else warning', async () => {
    const results = [
      semgrepResult(0, { level: 'error' }),
      semgrepResult(1, { level: 'warning' }),
      semgrepResult(2, { level: 'note' }),
      semgrepResult(3, { level: 'none' }),
      semgrepResult(4),
      semgrepResult(5, { ruleId: 'not-in-rules' }),
    ];
    const got = await collect(sarifReport, [JSON.stringify(semgrepSarif(results))]);
    expect(got.findings.map((f) => f.severity)).toEqual(['high', 'medium', 'low', 'info', 'medium', 'medium']);
  });

  it('skips passes, suppressed and absent results, counting why; a rejected suppression stands', async () => {
    const results = [
      semgrepResult(0, { kind: 'pass' }),
      semgrepResult(1, { kind: 'notApplicable' }),
      semgrepResult(2, { suppressions: [{ kind: 'inSource', status: 'accepted' }] }),
      semgrepResult(3, { suppressions: [{ kind: 'external', status: 'rejected' }] }),
      semgrepResult(4, { baselineState: 'absent' }),
      semgrepResult(5, { ruleId: undefined }),
      semgrepResult(6, { kind: 'fail', baselineState: 'unchanged' }),
    ];
    const got = await collect(sarifReport, [JSON.stringify(semgrepSarif(results))]);
    expect(got.findings.map((f) => f.sourceKey)).toEqual(['app/views3.py:4', 'app/views6.py:7']);
    expect(got.skips).toEqual({
      'SARIF result of kind pass (not a problem found)': 1,
      'SARIF result of kind notApplicable (not a problem found)': 1,
      'suppressed in the SARIF log': 1,
      'baselineState absent (no longer present)': 1,
      'a SARIF result without a rule id': 1,
    });
  });

  it('names the application by automation category (not the run instance), else the source root, else "sarif"', async () => {
    const name = async (extra: Record<string, unknown>) => (await collect(sarifReport, [JSON.stringify(semgrepSarif([semgrepResult(0)], extra))])).calls[0]?.target.name;
    expect(await name({ automationDetails: { id: 'nightly/web/2024-05-01T02:00' } })).toBe('nightly/web');
    expect(await name({ automationDetails: { id: 'run-8812' } })).toBe('sarif');
    expect(await name({ originalUriBaseIds: { SRCROOT: { uri: 'file:///home/ci/shop/' } } })).toBe('/home/ci/shop');
    expect(await name({ originalUriBaseIds: { ROOTPATH: { uri: 'file:///' } } })).toBe('sarif');
  });

  it('nativeId keeps within the id grammar', () => {
    expect(nativeId('Semgrep OSS', 'a.b')).toBe('Semgrep-OSS-a.b');
    expect(nativeId('T', 'x'.repeat(300))).toHaveLength(100);
    expect(nativeId('', '')).toBeNull();
    fc.assert(fc.property(fc.string(), fc.string({ minLength: 1 }), (t, r) => {
      const id = nativeId(t, r);
      if (id !== null) expect(id).toMatch(/^[A-Za-z0-9][A-Za-z0-9._:/+-]{1,99}$/);
    }));
  });

  it('empty logs import cleanly: no runs is nothing, a run without results is a clean scan', async () => {
    expect((await collect(sarifReport, ['{"version":"2.1.0","runs":[]}'])).calls).toEqual([]);
    const clean = await collect(sarifReport, [JSON.stringify({ version: '2.1.0', runs: [{ tool: { driver: { name: 'Semgrep' } }, results: [] }] })]);
    expect(clean.calls.map((c) => [c.target.name, c.findings.length])).toEqual([['sarif', 0]]);
  });

  it('another SARIF version, or another format, is refused with what was expected', async () => {
    const v = await formatError(sarifReport, [JSON.stringify({ version: '2.0.0', runs: [] })]);
    expect([v.where, v.message]).toEqual(['$.version', '$.version: SARIF version "2.0.0" is not supported: this importer reads SARIF 2.1.0']);
    for (const other of [{ SchemaVersion: 2, Results: [] }, { matches: [], source: {} }, { results: [] }]) {
      expect((await formatError(sarifReport, [JSON.stringify(other)])).message).toMatch(/expected a SARIF 2.1.0 log/);
    }
    expect((await formatError(sarifReport, [JSON.stringify({ bomFormat: 'CycloneDX', version: 1 })])).where).toBe('$.version');
  });

  it('a value of the wrong type is an error naming its JSON path; a run without tool; truncation', async () => {
    const broken = (f: (d: any) => void) => {
      const d = codeqlSarif();
      f(d);
      return JSON.stringify(d);
    };
    const cases: [string, string][] = [
      [broken((d) => { d.runs[0].results[0].ruleId = 5; }), '$.runs[0].results[0].ruleId'],
      [broken((d) => { d.runs[0].results[1].locations[0].physicalLocation.region.startLine = 'x'; }), '$.runs[0].results[1].locations[0].physicalLocation.region.startLine'],
      [broken((d) => { d.runs[0].tool.extensions[0].rules[1] = 3; }), '$.runs[0].tool.extensions[0].rules[1]'],
      [broken((d) => { d.runs[0].tool.extensions[0].rules[0].properties['security-severity'] = {}; }), '$.runs[0].tool.extensions[0].rules[0].properties["security-severity"]'],
      [broken((d) => { d.runs[0].results[0].message = 'text'; }), '$.runs[0].results[0].message'],
      [broken((d) => { delete d.runs[0].tool; }), '$.runs[0].tool'],
    ];
    for (const [text, where] of cases) expect((await formatError(sarifReport, [text])).where).toBe(where);
    const good = JSON.stringify(trivySarif());
    expect((await formatError(sarifReport, [good.slice(0, -5)])).message).toMatch(/truncated/);
  });

  it('fuzz: damaged documents parse or throw ScanFormatError only', async () => {
    await fuzz(sarifReport, JSON.stringify(trivySarif()), 200);
    await fuzz(sarifReport, JSON.stringify(semgrepSarif([semgrepResult(1, { suppressions: [{ status: 'accepted' }] })])), 200);
  });
});
