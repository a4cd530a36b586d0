import { randomBytes } from 'node:crypto';
import { createDatabase, dropDatabase, machine } from './support/machine.js';
import os from 'node:os';
import { PGlite } from '@electric-sql/pglite';
import { pg_trgm } from '@electric-sql/pglite/contrib/pg_trgm';
import type { KyselyPlugin, PluginTransformQueryArgs, PluginTransformResultArgs, QueryResult, RootOperationNode, UnknownRow } from 'kysely';
import pino from 'pino';
import { buildApp } from '../src/http/app.js';
import { loadConfig } from '../src/lib/config.js';
import { type Database, migrate, openPostgres, wrapPGlite } from '../src/storage/db.js';
import { DEPARTMENTS, type LoadedDataset, loadDataset, rng, SEARCH_TERMS } from './support/dataset.js';
import { ms, summarise, table } from './support/stats.js';

/**
 * Issue #2: "with 100,000 assets on PostgreSQL, a filtered, sorted page of
 * the asset API answers in under 100 ms at the 95th percentile."
 *
 * Creates a fresh database, loads a realistic register, starts the real HTTP
 * server and times real HTTP requests (keep-alive, one client, limit 50):
 * page 1 of each scenario and then its cursors to pages 2-5.
 */

export interface AssetsListOptions {
  embedded: boolean;
  keep: boolean;
  explain: boolean;
  assets: number;
  requests: number;
  warmupRounds: number;
  targetP95Ms: number;
  databaseUrl: string;
}

export const DEFAULT_DATABASE_URL = 'postgres://postgres@127.0.0.1:5432/postgres';

interface ScenarioCtx {
  round: number;
  data: LoadedDataset;
}
interface Scenario {
  name: string;
  params: (c: ScenarioCtx) => Record<string, string>;
}

const TAGS = ['pci-dss', 'gdpr', 'nginx', 'dora-critical', 'kubernetes', 'dmz'];
const LOCATIONS = ['Frankfurt DC1', 'Amsterdam DC2', 'AWS eu-central-1', 'Frankfurt HQ', 'Warsaw Office', 'Dublin DC3'];

export const SCENARIOS: Scenario[] = [
  { name: 'all, sort=hostname', params: () => ({ sort: 'hostname' }) },
  { name: 'environment=production, sort=hostname', params: () => ({ environment: 'production', sort: 'hostname' }) },
  { name: 'web_server+critical, sort=updatedAt desc', params: () => ({ systemType: 'web_server', businessCriticality: 'critical', sort: 'updatedAt', order: 'desc' }) },
  { name: 'department=X, sort=businessCriticality', params: (c) => ({ department: DEPARTMENTS[c.round % DEPARTMENTS.length] as string, sort: 'businessCriticality' }) },
  { name: 'q=<term> (search), sort=hostname', params: (c) => ({ q: SEARCH_TERMS[c.round % SEARCH_TERMS.length] as string, sort: 'hostname' }) },
  { name: 'tag=X, sort=hostname', params: (c) => ({ tag: TAGS[c.round % TAGS.length] as string, sort: 'hostname' }) },
  { name: 'unowned=true, sort=updatedAt desc', params: () => ({ unowned: 'true', sort: 'updatedAt', order: 'desc' }) },
  { name: 'location=X+internet_facing, sort=crit', params: (c) => ({ location: LOCATIONS[c.round % LOCATIONS.length] as string, networkExposure: 'internet_facing', sort: 'businessCriticality' }) },
  { name: 'ownerTeamId=X, sort=updatedAt desc', params: (c) => ({ ownerTeamId: (c.data.teams[(c.round * 7) % c.data.teams.length] as { id: string }).id, sort: 'updatedAt', order: 'desc' }) },
  { name: 'environment=test, sort=location desc', params: () => ({ environment: 'test', sort: 'location', order: 'desc' }) },
];
const PAGES = 5;
const LIMIT = 50;

interface Sample {
  scenario: string;
  page: number;
  ms: number;
  listMs?: number;
  countMs?: number;
  total: number;
}

/** Times every SQL statement between compilation and result (used to split request time into list vs count query). */
class QueryTimer implements KyselyPlugin {
  private readonly started = new WeakMap<object, { t: number; node: RootOperationNode }>();
  current: { list: number[]; count: number[]; slowest: Map<string, { ms: number; node: RootOperationNode; queryId: object }> } | null = null;
  scenario = '';

  transformQuery(args: PluginTransformQueryArgs): RootOperationNode {
    this.started.set(args.queryId, { t: performance.now(), node: args.node });
    return args.node;
  }

  async transformResult(args: PluginTransformResultArgs): Promise<QueryResult<UnknownRow>> {
    const s = this.started.get(args.queryId);
    if (s && this.current && s.node.kind === 'SelectQueryNode') {
      const elapsed = performance.now() - s.t;
      const isCount = JSON.stringify(s.node.selections ?? []).includes('"AggregateFunctionNode"');
      (isCount ? this.current.count : this.current.list).push(elapsed);
      const key = `${this.scenario}|${isCount ? 'count' : 'list'}`;
      const prev = this.current.slowest.get(key);
      if (!prev || prev.ms < elapsed) this.current.slowest.set(key, { ms: elapsed, node: s.node, queryId: args.queryId });
    }
    return args.result;
  }
}

export async function runAssetsList(opts: AssetsListOptions): Promise<{ ok: boolean; p95: number }> {
  const log = (s: string) => process.stdout.write(`${s}\n`);
  const t0 = performance.now();
  let database: Database;
  let dbName: string | null = null;
  if (opts.embedded) {
    // pg_trgm is offered (not created): the search index proposed in docs/benchmarks.md needs it.
    const pgl = await PGlite.create({ parsers: { 20: Number }, extensions: { pg_trgm } });
    database = wrapPGlite(pgl);
  } else {
    const created = await createDatabase(opts.databaseUrl, 'assets');
    dbName = created.name;
    database = openPostgres(created.url);
    log(`database: ${created.url}${opts.keep ? ' (kept: --keep)' : ' (dropped at the end)'}`);
  }

  let app: Awaited<ReturnType<typeof buildApp>> | null = null;
  let ok = false;
  let overallP95 = Number.NaN;
  try {
    await migrate(database.db);
    const ds = await loadDataset(database, opts.assets);
    // VACUUM as well as ANALYZE: the steady state autovacuum reaches after a bulk load (visibility map set, so
    // index-only scans work), done now so that autovacuum does not start in the middle of the measurement.
    await database.executeSql('vacuum (analyze)');
    const counts = (await database.executeSql("select count(*)::int as n, count(*) filter (where lifecycle = 'active')::int as active from assets")).rows[0] as { n: number; active: number };
    const version = String((await database.executeSql('select version() as v')).rows[0].v).replace(/ on .*/, '').replace(/,.*/, '');
    const settings = (await database.executeSql("select name, current_setting(name) as v from pg_settings where name in ('shared_buffers','work_mem','effective_cache_size','jit','random_page_cost') order by name")).rows as { name: string; v: string }[];
    const loadS = (performance.now() - t0) / 1000;
    log(`loaded ${counts.n} assets (${counts.active} active), ${ds.users.length} users, ${ds.teams.length} teams in ${loadS.toFixed(1)} s; VACUUM (ANALYZE) done`);

    const timer = new QueryTimer();
    const timed: Database = { ...database, db: database.db.withPlugin(timer), executeSql: database.executeSql, close: database.close };
    const token = `plo_${randomBytes(24).toString('base64url')}`;
    const config = loadConfig({ DATABASE_URL: opts.embedded ? undefined : 'postgres://bench/unused', PORT: '0', HOST: '127.0.0.1', PATCHLOOP_LOG_LEVEL: 'info', PATCHLOOP_JOBS_IN_SERVER: 'false' });
    // A production-like logger: request logging on, written to /dev/null.
    const logger = pino({ level: 'info' }, pino.destination({ dest: '/dev/null', sync: false }));
    app = await buildApp({ database: timed, config, logger, webDir: null, localOperatorToken: token });
    await app.listen({ port: 0, host: '127.0.0.1' });
    const addr = app.server.address();
    const base = `http://127.0.0.1:${typeof addr === 'object' && addr ? addr.port : 0}`;
    const headers = { authorization: `Bearer ${token}`, accept: 'application/json' };

    const samples: Sample[] = [];
    const r = rng(7);
    let round = 0;
    const runRound = async (measure: boolean) => {
      // Scenarios in a shuffled order each round, so no one scenario always follows another.
      const order = SCENARIOS.map((s) => ({ s, k: r.next() })).sort((a, b) => a.k - b.k);
      for (const { s } of order) {
        const params = s.params({ round, data: ds });
        let cursor: string | null = null;
        for (let page = 1; page <= PAGES; page++) {
          const qs = new URLSearchParams({ ...params, limit: String(LIMIT), ...(cursor ? { cursor } : {}) });
          timer.scenario = s.name;
          timer.current = measure ? (timer.current ?? { list: [], count: [], slowest: new Map() }) : null;
          const before = timer.current ? { list: timer.current.list.length, count: timer.current.count.length } : null;
          const start = performance.now();
          const res = await fetch(`${base}/api/assets?${qs}`, { headers });
          const body = await res.text();
          const elapsed = performance.now() - start;
          if (res.status !== 200) throw new Error(`${s.name} page ${page}: HTTP ${res.status} ${body.slice(0, 500)}`);
          const json = JSON.parse(body) as { items: unknown[]; nextCursor: string | null; total: number };
          if (json.items.length > LIMIT) throw new Error(`${s.name}: ${json.items.length} items on a page of ${LIMIT}`);
          if (measure) {
            const cur = timer.current;
            samples.push({
              scenario: s.name,
              page,
              ms: elapsed,
              listMs: cur && before ? cur.list[before.list] : undefined,
              countMs: cur && before ? cur.count[before.count] : undefined,
              total: json.total,
            });
          }
          cursor = json.nextCursor;
          if (!cursor) break;
        }
      }
      round++;
    };

    log(`server: ${base} (buildApp + app.listen, bearer localOperatorToken, request logging at info to /dev/null)`);
    for (let i = 0; i < opts.warmupRounds; i++) await runRound(false);
    const loadBefore = os.loadavg()[0] ?? 0;
    const m0 = performance.now();
    while (samples.length < opts.requests) await runRound(true);
    const measureS = (performance.now() - m0) / 1000;
    const loadAfter = os.loadavg()[0] ?? 0;

    // Report.
    const mach = machine();
    log('');
    log(`Asset list benchmark: ${counts.n.toLocaleString('en')} assets, ${opts.embedded ? 'embedded PGlite (in memory)' : 'PostgreSQL'}, limit ${LIMIT}, pages 1-${PAGES} via cursor, 1 client, keep-alive`);
    log(`date: ${new Date().toISOString()}`);
    log(`machine: ${mach.cpu}, ${mach.cores} cores, ${mach.memory}, ${mach.os}`);
    log(`node ${mach.node}; database: ${version}${settings.length ? ` (${settings.map((s) => `${s.name}=${s.v}`).join(', ')})` : ''}`);
    log(`${samples.length} measured requests in ${round - opts.warmupRounds} rounds after ${opts.warmupRounds} warm-up rounds, ${measureS.toFixed(1)} s`);
    log(`1-minute load average ${loadBefore.toFixed(2)} before, ${loadAfter.toFixed(2)} after the measurement (other processes on the machine add noise)`);
    log('');
    const rows: string[][] = [];
    const add = (name: string, ss: Sample[]) => {
      const s = summarise(ss.map((x) => x.ms));
      const l = summarise(ss.flatMap((x) => (x.listMs !== undefined ? [x.listMs] : [])));
      const c = summarise(ss.flatMap((x) => (x.countMs !== undefined ? [x.countMs] : [])));
      const matched = Math.round(ss.reduce((a, x) => a + x.total, 0) / Math.max(1, ss.length));
      rows.push([name, String(s.n), String(matched), ms(s.p50), ms(s.p95), ms(s.p99), ms(s.max), ms(l.p50), ms(l.p95), ms(c.p50), ms(c.p95)]);
      return s;
    };
    for (const s of SCENARIOS) add(s.name, samples.filter((x) => x.scenario === s.name));
    add('page 1 only', samples.filter((x) => x.page === 1));
    add('pages 2-5 (cursor)', samples.filter((x) => x.page > 1));
    const overall = add('OVERALL', samples);
    overallP95 = overall.p95;
    log(table(['scenario (ms)', 'n', 'matched', 'p50', 'p95', 'p99', 'max', 'list p50', 'list p95', 'count p50', 'count p95'], rows));
    log('');
    log('n: measured requests; matched: mean `total` (rows matching the filter); p50..max: HTTP request time at the client;');
    log('list/count: time of the page query and of the count(*) query inside the server (they run concurrently).');
    ok = overall.p95 < opts.targetP95Ms;
    log('');
    log(`${ok ? 'PASS' : 'FAIL'}: overall p95 ${ms(overall.p95)} ms ${ok ? '<' : '≥'} ${opts.targetP95Ms} ms target`);

    if (opts.explain && timer.current) {
      log('');
      log('EXPLAIN (ANALYZE, BUFFERS) of the slowest list and count query of each scenario:');
      for (const [key, v] of [...timer.current.slowest.entries()].sort((a, b) => b[1].ms - a[1].ms)) {
        const compiled = database.db.getExecutor().compileQuery(v.node, v.queryId as never);
        const plan = await database.executeSql(`explain (analyze, buffers) ${compiled.sql}`, [...compiled.parameters]);
        log('');
        log(`--- ${key} (slowest ${ms(v.ms)} ms) ---`);
        log(compiled.sql.replace(/\s+/g, ' '));
        log(`params: ${JSON.stringify(compiled.parameters)}`);
        for (const row of plan.rows) log(`  ${row['QUERY PLAN']}`);
      }
    }
  } finally {
    if (app) await app.close();
    await database.close();
    if (dbName && !opts.keep) await dropDatabase(opts.databaseUrl, dbName);
  }
  log(`total run time ${((performance.now() - t0) / 1000).toFixed(1)} s`);
  return { ok, p95: overallP95 };
}
