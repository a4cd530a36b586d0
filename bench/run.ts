import { parseArgs } from 'node:util';
import { DEFAULT_DATABASE_URL, runAssetsList } from './assets-list.js';

/**
 * Runs every benchmark in bench/ and prints its figures (see docs/benchmarks.md).
 * Exits non-zero when a benchmark misses its target.
 *
 *   npm run bench                      # PostgreSQL: PATCHLOOP_BENCH_DATABASE_URL or postgres://postgres@127.0.0.1:5432/postgres
 *   npm run bench -- --embedded        # the same on embedded PGlite, for comparison
 *   npm run bench -- --keep --explain  # keep the bench database; print EXPLAIN ANALYZE of the slowest queries
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
      '  --only NAME         run only this benchmark (assets-list)',
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
