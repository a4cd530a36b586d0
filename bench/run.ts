import { parseArgs } from 'node:util';
import path from 'node:path';
import { DEFAULT_DATABASE_URL, runAssetsList } from './assets-list.js';
import { runAgents } from './agents.js';
import { runFindingsList } from './findings-list.js';
import { runMatching } from './matching.js';
import { runReprioritise } from './reprioritise.js';
import { runScanImport } from './scan-import.js';

/**
 * Runs every benchmark in bench/ and prints its figures (see docs/benchmarks.md).
 * Exits non-zero when a benchmark misses its target.
 *
 *   npm run bench                      # PostgreSQL: PATCHLOOP_BENCH_DATABASE_URL or postgres://postgres@127.0.0.1:5432/postgres
 *   npm run bench -- --embedded        # the same on embedded PGlite, for comparison
 *   npm run bench -- --keep --explain  # keep the bench database; print EXPLAIN ANALYZE of the slowest queries
 *   npm run bench -- --only matching --hosts 10000 --db-hosts 10000   # issue #3's matching engine at full size
 */
const { values } = parseArgs({
  options: {
    embedded: { type: 'boolean', default: false },
    keep: { type: 'boolean', default: false },
    explain: { type: 'boolean', default: false },
    assets: { type: 'string', default: '100000' },
    requests: { type: 'string', default: '600' },
    'warmup-rounds': { type: 'string', default: '2' },
    only: { type: 'string' },
    hosts: { type: 'string', default: '10000' },
    'db-hosts': { type: 'string', default: '500' },
    'check-hosts': { type: 'string', default: '100' },
    'pglite-hosts': { type: 'string', default: '100' },
    'put-hosts': { type: 'string', default: '5' },
    'rematch-samples': { type: 'string', default: '100' },
    agents: { type: 'string', default: '2000' },
    'window-s': { type: 'string', default: '60' },
    'nessus-hosts': { type: 'string', default: '2000' },
    'nessus-findings': { type: 'string', default: '100000' },
    'trivy-findings': { type: 'string', default: '50000' },
    'big-mib': { type: 'string', default: '500' },
    findings: { type: 'string', default: '1000000' },
    'findings-assets': { type: 'string', default: '10000' },
    vulnerabilities: { type: 'string', default: '20000' },
    'findings-rounds': { type: 'string', default: '20' },
    'findings-database': { type: 'string' },
    help: { type: 'boolean', short: 'h', default: false },
  },
});

if (values.help) {
  process.stdout.write(
    [
      'usage: npm run bench -- [options]',
      '  --embedded          run on embedded PGlite (in memory) instead of PostgreSQL',
      '  --keep              keep the benchmark database (PostgreSQL) for inspection',
      '  --explain           print EXPLAIN (ANALYZE, BUFFERS) of the slowest queries',
      '  --assets N          assets to load (default 100000)',
      '  --requests N        measured requests at least (default 600)',
      '  --warmup-rounds N   unmeasured rounds first (default 2)',
      '  --only NAME         run only this benchmark (assets-list, matching, agents, scan-import, findings-list, reprioritise)',
      'matching (issue #3):',
      '  --hosts N           simulated Debian 12 hosts for the in-memory full re-evaluation (default 10000)',
      '  --db-hosts N        of which loaded, matched and stored on PostgreSQL end to end (default 500; target stated for 10000)',
      '  --pglite-hosts N    the same on PGlite (default 100)',
      '  --check-hosts N     hosts compared with debsecan (default 100)',
      '  --put-hosts N       hosts loaded through putInventory (the rest through the bulk path; default 5)',
      '  --rematch-samples N one-host re-matches measured (default 30)',
      'agents (issue #4, PostgreSQL only):',
      '  --agents N          simulated agents sending a full inventory, then differences (default 2000)',
      '  --window-s N        seconds over which their check-ins arrive (default 60)',
      'scan-import (issue #5, PostgreSQL only):',
      '  --nessus-hosts N    hosts in the generated Nessus report (default 2000)',
      '  --nessus-findings N findings in it (default 100000)',
      '  --trivy-findings N  findings in the generated Trivy report (default 50000)',
      '  --big-mib N         size of the large Nessus report for the memory check (default 500; 0 skips it)',
      'reprioritise (issue #6, PostgreSQL only): uses --findings, --findings-assets and --vulnerabilities',
      'findings-list (issue #5 §6, PostgreSQL only):',
      '  --findings N        findings in the register (default 1000000)',
      '  --findings-assets N assets they are on (default 10000)',
      '  --vulnerabilities N vulnerabilities (default 20000)',
      '  --findings-rounds N measured rounds over every scenario (default 20)',
      '  --findings-database URL  measure on a database an earlier --keep run left (migrated, not rebuilt)',
      'PATCHLOOP_BENCH_DATABASE_URL: server to create the benchmark database on',
      '',
    ].join('\n'),
  );
  process.exit(0);
}

const benchmarks: { name: string; run: () => Promise<{ ok: boolean }> }[] = [
  {
    name: 'assets-list',
    run: () =>
      runAssetsList({
        embedded: values.embedded,
        keep: values.keep,
        explain: values.explain,
        assets: Number(values.assets),
        requests: Number(values.requests),
        warmupRounds: Number(values['warmup-rounds']),
        targetP95Ms: 100,
        databaseUrl: process.env.PATCHLOOP_BENCH_DATABASE_URL || DEFAULT_DATABASE_URL,
      }),
  },
  {
    name: 'matching',
    run: () =>
      runMatching({
        hosts: Number(values.hosts),
        dbHosts: values.embedded ? 0 : Number(values['db-hosts']),
        checkHosts: Number(values['check-hosts']),
        dbCheckHosts: 10,
        putHosts: Number(values['put-hosts']),
        pgliteHosts: Number(values['pglite-hosts']),
        rematchSamples: Number(values['rematch-samples']),
        keep: values.keep,
        explain: values.explain,
        databaseUrl: process.env.PATCHLOOP_BENCH_DATABASE_URL || DEFAULT_DATABASE_URL,
        fixtures: path.resolve(process.cwd(), '../shared/fixtures/debian-bookworm'),
        targets: { speedup: 100, fullEvalS: 10, fullEvalMiB: 2048, rematchMs: 10, endToEndS: 300 },
      }),
  },
  {
    name: 'agents',
    run: () =>
      values.embedded
        ? Promise.resolve({ ok: true })
        : runAgents({
            agents: Number(values.agents),
            windowS: Number(values['window-s']),
            keep: values.keep,
            databaseUrl: process.env.PATCHLOOP_BENCH_DATABASE_URL || DEFAULT_DATABASE_URL,
            fixtures: path.resolve(process.cwd(), '../shared/fixtures/debian-bookworm'),
          }),
  },
  {
    name: 'scan-import',
    run: () =>
      values.embedded
        ? Promise.resolve({ ok: true })
        : runScanImport({
            databaseUrl: process.env.PATCHLOOP_BENCH_DATABASE_URL || DEFAULT_DATABASE_URL,
            keep: values.keep,
            nessusHosts: Number(values['nessus-hosts']),
            nessusFindings: Number(values['nessus-findings']),
            trivyFindings: Number(values['trivy-findings']),
            bigMiB: Number(values['big-mib']),
            targets: { seconds: 60, rssMiB: 400 },
          }),
  },
  {
    name: 'findings-list',
    run: () =>
      values.embedded
        ? Promise.resolve({ ok: true })
        : runFindingsList({
            databaseUrl: process.env.PATCHLOOP_BENCH_DATABASE_URL || DEFAULT_DATABASE_URL,
            keep: values.keep,
            explain: values.explain,
            findings: Number(values.findings),
            assets: Number(values['findings-assets']),
            vulnerabilities: Number(values.vulnerabilities),
            rounds: Number(values['findings-rounds']),
            targetP95Ms: 300,
            reuseUrl: values['findings-database'],
          }),
  },
  {
    name: 'reprioritise',
    run: () =>
      values.embedded
        ? Promise.resolve({ ok: true })
        : runReprioritise({
            databaseUrl: process.env.PATCHLOOP_BENCH_DATABASE_URL || DEFAULT_DATABASE_URL,
            keep: values.keep,
            findings: Number(values.findings),
            assets: Number(values['findings-assets']),
            vulnerabilities: Number(values.vulnerabilities),
            targetS: 60,
          }),
  },
];

let failed = 0;
for (const b of benchmarks) {
  if (values.only && values.only !== b.name) continue;
  process.stdout.write(`\n== ${b.name} ==\n`);
  try {
    const { ok } = await b.run();
    if (!ok) failed++;
  } catch (err) {
    failed++;
    process.stderr.write(`${b.name} failed: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`);
  }
}
process.exit(failed ? 1 : 0);
