import { randomBytes } from 'node:crypto';
import os from 'node:os';
import { CompiledQuery, type KyselyPlugin, type PluginTransformQueryArgs, type PluginTransformResultArgs, type QueryResult, type RootOperationNode, sql, type UnknownRow } from 'kysely';
import pino from 'pino';
import { buildApp } from '../src/http/app.js';
import { permissionsOf } from '../src/domain/auth/roles.js';
import { loadConfig } from '../src/lib/config.js';
import { sha256Hex } from '../src/lib/crypto.js';
import { TOKEN_PREFIX } from '../src/services/auth/auth.service.js';
import { processPriorityRequests } from '../src/services/priority/worker.js';
import { type Database, migrate, openPostgres } from '../src/storage/db.js';
import { DEPARTMENTS, loadDataset, rng } from './support/dataset.js';
import { createDatabase, dropDatabase, machine } from './support/machine.js';
import { ms, summarise, table } from './support/stats.js';

/**
 * Issue #5 §6: "The findings list with 1,000,000 findings answers a filtered,
 * sorted page in under 300 ms at p95."
 *
 * A fresh PostgreSQL database with the asset register of bench/assets-list.ts
 * (10,000 assets), 20,000 vulnerabilities (severities, CVSS, EPSS, KEV as the
 * feeds store them), 3,000 packages and 1,000,000 findings written with SQL:
 * popular vulnerabilities sit on thousands of hosts and rare ones on a few,
 * servers carry more findings than laptops, 68% open, 26% resolved, 6%
 * validated; 62% found by the engine, the rest by Nessus, Trivy and Grype,
 * with evidence rows (one in seven engine findings also has Nessus
 * evidence). The real HTTP server answers real requests: the first page of
 * each scenario and the next page through its cursor, one client.
 *
 * Issue #6 added priority, due date and SLA state: the open findings are
 * prioritised by the real worker after loading (default policy), and the
 * register's priority views (by priority, overdue by due date, emergencies,
 * a system owner's "my overdue") are measured with the rest.
 */
export interface FindingsListOptions {
  databaseUrl: string;
  keep: boolean;
  explain: boolean;
  findings: number;
  assets: number;
  vulnerabilities: number;
  rounds: number;
  targetP95Ms: number;
  /** Measure on this database (left by an earlier --keep run) instead of building one. */
  reuseUrl?: string;
}

const PACKAGES = 3000;
const LIMIT = 50;
const log = (s = '') => process.stdout.write(`${s}\n`);

interface Data {
  departments: string[];
  teams: string[];
  hostnames: string[];
  popularVulns: string[];
  packages: string[];
}

interface Scenario {
  name: string;
  params: (d: Data, round: number) => Record<string, string>;
  path?: string;
  /** Informational: no target (grouping counts every selected finding). */
  untargeted?: boolean;
  /** Asked by the system owner who owns the most assets (their own token), not the local operator. */
  asOwner?: boolean;
}

export const SCENARIOS: Scenario[] = [
  { name: 'open (default page), sort=severity', params: () => ({ status: 'open', sort: 'severity' }) },
  { name: 'open+critical, sort=epss', params: () => ({ status: 'open', severity: 'critical', sort: 'epss' }) },
  { name: 'kev=true, sort=firstSeen', params: () => ({ kev: 'true', sort: 'firstSeen' }) },
  { name: 'production+nessus, sort=severity', params: () => ({ environment: 'production', source: 'nessus', sort: 'severity' }) },
  { name: 'q=<hostname>, sort=severity', params: (d, r) => ({ q: d.hostnames[r % d.hostnames.length] as string, sort: 'severity' }) },
  { name: 'q=fra-db (many hosts), sort=cvss', params: () => ({ q: 'fra-db', status: 'open', sort: 'cvss' }) },
  { name: 'open, sort=firstSeen', params: () => ({ status: 'open', sort: 'firstSeen' }) },
  { name: 'department+open, sort=cvss', params: (d, r) => ({ department: d.departments[r % d.departments.length] as string, status: 'open', sort: 'cvss' }) },
  { name: 'owner=<team>, sort=hostname', params: (d, r) => ({ owner: d.teams[(r * 7) % d.teams.length] as string, sort: 'hostname' }) },
  { name: 'vulnerability=<popular>, sort=hostname', params: (d, r) => ({ vulnerabilityId: d.popularVulns[r % d.popularVulns.length] as string, sort: 'hostname' }) },
  { name: 'package+open, sort=severity', params: (d, r) => ({ package: d.packages[r % d.packages.length] as string, status: 'open', sort: 'severity' }) },
  { name: 'epssMin=0.5+internet-facing, sort=epss', params: () => ({ epssMin: '0.5', networkExposure: 'internet_facing', sort: 'epss' }) },
  { name: 'kevDueBefore+open, sort=vulnerability', params: () => ({ kevDueBefore: '2026-01-01', status: 'open', sort: 'vulnerability' }) },
  { name: 'open, sort=priority', params: () => ({ status: 'open', sort: 'priority' }) },
  { name: 'critical+high, sort=dueAt', params: () => ({ priority: 'critical,high', status: 'open', sort: 'dueAt' }) },
  { name: 'slaState=overdue, sort=dueAt', params: () => ({ slaState: 'overdue', sort: 'dueAt' }) },
  { name: 'emergency, sort=dueAt', params: () => ({ emergency: 'true', status: 'open', sort: 'dueAt' }) },
  { name: 'mine: overdue+due soon (owner), sort=dueAt', asOwner: true, params: () => ({ mine: 'true', slaState: 'overdue,due_soon', sort: 'dueAt' }) },
  { name: 'SLA summary (every open finding)', path: '/api/findings/sla-summary', untargeted: true, params: () => ({}) },
  { name: 'SLA summary, mine (owner)', path: '/api/findings/sla-summary', untargeted: true, asOwner: true, params: () => ({ mine: 'true' }) },
  { name: 'open, sort=lastSeen (no index)', untargeted: true, params: () => ({ status: 'open', sort: 'lastSeen' }) },
  { name: 'CSV export of kev=true (every row)', path: '/api/findings/export.csv', untargeted: true, params: () => ({ kev: 'true', sort: 'firstSeen' }) },
  { name: 'groups by vulnerability (open)', path: '/api/findings/groups', untargeted: true, params: () => ({ by: 'vulnerability', status: 'open' }) },
  { name: 'groups by asset (production+critical)', path: '/api/findings/groups', untargeted: true, params: () => ({ by: 'asset', environment: 'production', severity: 'critical' }) },
];

/** Times every statement, so --explain can show the plan of the slowest of each scenario. */
class QueryTimer implements KyselyPlugin {
  private readonly started = new WeakMap<object, { t: number; node: RootOperationNode }>();
  slowest = new Map<string, { ms: number; node: RootOperationNode; queryId: object }>();
  scenario: string | null = null;
  transformQuery(args: PluginTransformQueryArgs): RootOperationNode {
    this.started.set(args.queryId, { t: performance.now(), node: args.node });
    return args.node;
  }
  async transformResult(args: PluginTransformResultArgs): Promise<QueryResult<UnknownRow>> {
    const s = this.started.get(args.queryId);
    if (s && this.scenario) {
      const elapsed = performance.now() - s.t;
      const prev = this.slowest.get(this.scenario);
      if (!prev || prev.ms < elapsed) this.slowest.set(this.scenario, { ms: elapsed, node: s.node, queryId: args.queryId });
    }
    return args.result;
  }
}

const WORDS = ['ssl', 'xml2', 'curl', 'png', 'jpeg', 'yaml', 'json', 'http', 'zip', 'sqlite', 'kerberos', 'ldap', 'pcre', 'ffi', 'gnutls', 'idn', 'tiff', 'webp', 'expat', 'archive'];
const PREFIXES = ['lib', 'python3-', 'node-', 'golang-', 'perl-', 'ruby-', ''];

export async function generate(database: Database, opts: Pick<FindingsListOptions, 'assets' | 'vulnerabilities' | 'findings'>): Promise<void> {
  const r = rng(5);
  const t0 = performance.now();
  await loadDataset(database, opts.assets);
  log(`  assets, users, teams: ${((performance.now() - t0) / 1000).toFixed(1)} s`);

  const names = Array.from({ length: PACKAGES }, (_, i) => `${PREFIXES[i % PREFIXES.length]}${WORDS[Math.floor(i / PREFIXES.length) % WORDS.length]}${i >= PREFIXES.length * WORDS.length ? `-${i}` : ''}`);
  names.splice(0, 6, 'openssl', 'linux-image-amd64', 'nginx', 'glibc', 'openjdk-17', 'log4j-core');
  await database.executeSql(`insert into package_names (ecosystem, name, arch) select 'deb', n, 'amd64' from unnest($1::text[]) with ordinality u(n, o) order by o`, [names]);
  await database.executeSql(`insert into packages (ecosystem, name, version, arch, source_name, source_version, name_id)
    select ecosystem, name, '1.' || (id % 9) || '.' || (id % 31), arch, name, '1.' || (id % 9) || '.' || (id % 31), id from package_names order by id`);

  // Vulnerabilities as the feeds leave them: NVD severity and score (5% without), EPSS skewed low, 2% in KEV.
  const cols: Record<string, unknown[]> = { id: [], title: [], severity: [], cvss: [], epss: [], pct: [], kevAdded: [] };
  for (let i = 1; i <= opts.vulnerabilities; i++) {
    const sev = r.weighted([['CRITICAL', 11], ['HIGH', 36], ['MEDIUM', 40], ['LOW', 8], [null, 5]] as const);
    const cvss = sev === 'CRITICAL' ? 9 + r.int(0, 10) / 10 : sev === 'HIGH' ? 7 + r.int(0, 19) / 10 : sev === 'MEDIUM' ? 4 + r.int(0, 29) / 10 : sev === 'LOW' ? 1 + r.int(0, 29) / 10 : null;
    const epss = r.chance(0.9) ? Math.round(r.next() ** 6 * 1e5) / 1e5 : null;
    cols.id?.push(`CVE-${2014 + (i % 12)}-${String(10000 + i).padStart(5, '0')}`);
    cols.title?.push(`${r.pick(['Buffer overflow', 'Use after free', 'Path traversal', 'Improper input validation', 'Race condition', 'Integer overflow'])} in ${names[(i * 7919) % PACKAGES]}`);
    cols.severity?.push(sev);
    cols.cvss?.push(cvss);
    cols.epss?.push(epss);
    cols.pct?.push(epss === null ? null : Math.min(1, epss * 3));
    cols.kevAdded?.push(r.chance(0.02) ? new Date(Date.UTC(2022 + r.int(0, 4), r.int(0, 11), r.int(1, 28))).toISOString().slice(0, 10) : null);
  }
  await database.executeSql(
    `insert into vulnerabilities (id, title, severity, cvss_score, cvss_version, epss_score, epss_percentile, kev_date_added, kev_due_date, updated_at)
     select id, title, severity, cvss, case when cvss is null then null else '3.1' end, epss, pct, kev, kev + 21, now()
     from unnest($1::text[], $2::text[], $3::text[], $4::numeric[], $5::float8[], $6::float8[], $7::date[]) as u(id, title, severity, cvss, epss, pct, kev) order by id`,
    [cols.id, cols.title, cols.severity, cols.cvss, cols.epss, cols.pct, cols.kevAdded],
  );
  const t1 = performance.now();

  // Findings in rounds of ~30 draws per asset until there are enough; popular vulnerabilities (low num) repeat across hosts.
  const V = opts.vulnerabilities;
  for (let round = 0; ; round++) {
    const have = Number((await database.executeSql('select count(*) as n from findings')).rows[0].n);
    if (have >= opts.findings) break;
    const perAsset = Math.max(1, Math.ceil(((opts.findings - have) * 1.08) / opts.assets / 1.3));
    // One simple-protocol query: the seed and the insert run on the same connection, so the data is the same each run.
    await database.executeSql(`select setseed(${(round + 1) / 100}); insert into findings (asset_id, vulnerability_num, name_id, package_id, fixed_version, source, status, first_seen, last_seen, resolved_at)
      select asset_id, vnum, pkg, nullif(pkg, 0), case when rf < 0.7 then '1.' || (vnum % 9) || '.99' end, src, st, fs,
        case when src = 'engine' and st = 'open' then null when st = 'resolved' then fs + (now() - fs) * rl else now() - rl * interval '7 days' end,
        case when st = 'resolved' then fs + (now() - fs) * rl end
      from (
        select a.id as asset_id, vnum, case when vnum % 13 = 0 then 0 else 1 + (vnum * 7919) % ${PACKAGES} end as pkg, random() as rf, random() as rl,
          case when rs < 0.62 then 'engine' when rs < 0.86 then 'nessus' when rs < 0.96 then 'trivy' else 'grype' end as src,
          case when rt < 0.68 then 'open' when rt < 0.94 then 'resolved' when rt < 0.98 then 'false_positive' else 'not_affected' end as st,
          now() - random() * interval '730 days' as fs
        from assets a
        cross join lateral (select g, 1 + floor(${V} * power(random(), 2.2))::int as vnum, random() as rs, random() as rt
          from generate_series(1, case when a.system_type in ('laptop', 'desktop_workstation') then ${perAsset} else ${perAsset * 2} end + a.version) g) d
      ) x
      on conflict (asset_id, vulnerability_num, name_id) do nothing`);
  }
  await database.executeSql(`delete from findings where id > (select id from findings order by id offset ${opts.findings - 1} limit 1)`);
  const t2 = performance.now();
  log(`  vulnerabilities and packages: ${((t1 - t0) / 1000).toFixed(1)} s; findings: ${((t2 - t1) / 1000).toFixed(1)} s`);

  // Evidence: every scanner finding, and one engine finding in seven also seen by Nessus; gone when resolved. Scanners
  // state the vulnerability's severity when it has one, and one of five when it has none.
  await database.executeSql(`insert into finding_evidence (finding_id, asset_id, source, source_key, first_seen, last_seen, gone_at, fingerprint, title, severity, cvss_score, installed_version, fixed_version, output)
    select f.id, f.asset_id, s.source, s.source || ':' || f.vulnerability_num || ':' || f.name_id, f.first_seen, coalesce(f.last_seen, now()),
      case when f.status = 'resolved' then f.resolved_at end, md5(f.id::text), 'Reported by ' || s.source,
      coalesce(lower(v.severity), (array['critical', 'high', 'medium', 'low', 'info'])[1 + (f.id % 5)::int]), null, '1.0', f.fixed_version, 'output of ' || s.source
    from findings f join vulnerabilities v on v.num = f.vulnerability_num cross join lateral (select f.source as source where f.source <> 'engine' union all select 'nessus' where f.source = 'engine' and f.id % 7 = 0) s`);
  await database.executeSql(`insert into finding_validations (finding_id, status, justification, reason, reviewer_name, at, evidence_fingerprint)
    select id, status, case when status = 'not_affected' then 'vulnerable_code_not_in_execute_path' end, 'reviewed', 'bench', first_seen + interval '3 days', md5(id::text)
    from findings where status in ('false_positive', 'not_affected')`);
  await database.executeSql(`insert into finding_events (finding_id, at, from_status, to_status, reason) select id, resolved_at, 'open', 'resolved', 'fixed version installed' from findings where status = 'resolved'`);
  await database.executeSql(`insert into asset_inventories (asset_id, source, collected_at, package_count, digest, matched_at)
    select id, 'agent', now() - interval '1 day', 0, md5(id::text), now() - (random() * 24) * interval '1 hour' from assets`);
  log(`  evidence, validations, events, inventories: ${((performance.now() - t2) / 1000).toFixed(1)} s`);
}

/**
 * An API token of the user who owns the most assets, made a member of the
 * team owning the most too: "mine" then spans both ways of owning.
 */
async function ownerToken(database: Database): Promise<string> {
  const user = (await database.executeSql(`select owner_user_id as id from assets where owner_user_id is not null group by 1 order by count(*) desc, 1 limit 1`)).rows[0] as { id: string };
  const team = (await database.executeSql(`select owner_team_id as id from assets where owner_team_id is not null group by 1 order by count(*) desc, 1 limit 1`)).rows[0] as { id: string };
  await database.executeSql(`update users set role = 'system_owner' where id = $1`, [user.id]);
  await database.executeSql(`insert into team_members (team_id, user_id) values ($1, $2) on conflict do nothing`, [team.id, user.id]);
  const secret = `${TOKEN_PREFIX}${randomBytes(24).toString('base64url')}`;
  await database.executeSql(`insert into api_tokens (user_id, name, token_hash, prefix, scopes) values ($1, 'bench', $2, $3, $4)`, [
    user.id, sha256Hex(secret), secret.slice(0, 12), [...permissionsOf('system_owner')],
  ]);
  return secret;
}

/** The values the scenarios pick from. */
async function describe(database: Database): Promise<Data> {
  const teams = (await database.executeSql('select id from teams order by name')).rows;
  const popular = (await database.executeSql('select v.id from findings f join vulnerabilities v on v.num = f.vulnerability_num where f.vulnerability_num <= 200 group by v.id order by count(*) desc limit 20')).rows;
  const hosts = (await database.executeSql("select hostname from assets where lifecycle = 'active' order by md5(id::text) limit 50")).rows;
  return {
    departments: [...DEPARTMENTS],
    teams: teams.map((t: { id: string }) => t.id),
    hostnames: hosts.map((h: { hostname: string }) => h.hostname),
    popularVulns: popular.map((v: { id: string }) => v.id),
    packages: ['openssl', 'nginx', 'glibc', 'linux-image-amd64', 'libcurl', 'python3-yaml'],
  };
}

export async function runFindingsList(opts: FindingsListOptions): Promise<{ ok: boolean }> {
  const t0 = performance.now();
  const created = opts.reuseUrl ? null : await createDatabase(opts.databaseUrl, 'findings');
  const database = openPostgres(opts.reuseUrl ?? created?.url ?? '');
  log(created ? `database: ${created.url}${opts.keep ? ' (kept: --keep)' : ' (dropped at the end)'}` : `database: ${opts.reuseUrl} (reused: migrated, not rebuilt)`);
  let app: Awaited<ReturnType<typeof buildApp>> | null = null;
  let ok = true;
  try {
    await migrate(database.db);
    if (created) {
      await generate(database, opts);
      const tp = performance.now();
      const prioritised = await processPriorityRequests(database.db);
      log(`  prioritised ${(prioritised.runs[0]?.evaluated ?? 0).toLocaleString('en')} open findings (the worker, default policy): ${((performance.now() - tp) / 1000).toFixed(1)} s`);
      await database.executeSql('vacuum (analyze)');
    }
    const data = await describe(database);
    const counts = (await database.executeSql(`select (select count(*) from findings) as findings, (select count(*) from finding_evidence) as evidence,
      (select count(*) from assets) as assets, (select count(*) from vulnerabilities) as vulns,
      (select count(*) from findings where status = 'open') as open, (select count(distinct vulnerability_num) from findings) as used_vulns`)).rows[0];
    const version = String((await database.executeSql('select version() as v')).rows[0].v).replace(/ on .*/, '').replace(/,.*/, '');
    log(`loaded ${counts.findings} findings (${counts.open} open) on ${counts.assets} assets, ${counts.used_vulns} of ${counts.vulns} vulnerabilities, ${counts.evidence} evidence rows in ${((performance.now() - t0) / 1000).toFixed(1)} s; VACUUM (ANALYZE) done`);

    const timer = new QueryTimer();
    const timed: Database = { ...database, db: database.db.withPlugin(timer) };
    const token = `plo_${randomBytes(24).toString('base64url')}`;
    const config = loadConfig({ DATABASE_URL: 'postgres://bench/unused', PORT: '0', HOST: '127.0.0.1', PATCHLOOP_LOG_LEVEL: 'info', PATCHLOOP_JOBS_IN_SERVER: 'false' });
    app = await buildApp({ database: timed, config, logger: pino({ level: 'info' }, pino.destination({ dest: '/dev/null', sync: false })), webDir: null, localOperatorToken: token });
    await app.listen({ port: 0, host: '127.0.0.1' });
    const addr = app.server.address();
    const base = `http://127.0.0.1:${typeof addr === 'object' && addr ? addr.port : 0}`;
    const headers = { authorization: `Bearer ${token}`, accept: 'application/json' };
    const ownerHeaders = { authorization: `Bearer ${await ownerToken(database)}`, accept: 'application/json' };

    const samples: { scenario: string; page: number; ms: number; items: number }[] = [];
    const fetchPage = async (s: Scenario, params: Record<string, string>, cursor: string | null) => {
      const csv = s.path?.endsWith('.csv');
      const summary = s.path?.endsWith('/sla-summary');
      const qs = new URLSearchParams({ ...params, ...(csv || summary ? {} : { limit: String(LIMIT) }), ...(cursor ? { cursor } : {}) });
      const start = performance.now();
      const res = await fetch(`${base}${s.path ?? '/api/findings'}?${qs}`, { headers: s.asOwner ? ownerHeaders : headers });
      const body = await res.text();
      const elapsed = performance.now() - start;
      if (res.status !== 200) throw new Error(`${s.name}: HTTP ${res.status} ${body.slice(0, 500)}`);
      // The export is one streamed response: its "items" are its data lines.
      // The summary is one aggregate: its "items" are the open findings it counted.
      const json = csv
        ? { items: body.trimEnd().split('\n').slice(1), nextCursor: null }
        : summary
          ? { items: { length: (JSON.parse(body) as { totals: { total: number } }).totals.total } as unknown[], nextCursor: null }
          : (JSON.parse(body) as { items: unknown[]; nextCursor: string | null });
      return { elapsed, json };
    };
    const round = async (n: number, measure: boolean) => {
      for (const s of SCENARIOS) {
        const params = s.params(data, n);
        timer.scenario = measure ? s.name : null;
        const first = await fetchPage(s, params, null);
        if (measure) samples.push({ scenario: s.name, page: 1, ms: first.elapsed, items: first.json.items.length });
        if (first.json.nextCursor) {
          const second = await fetchPage(s, params, first.json.nextCursor);
          if (measure) samples.push({ scenario: s.name, page: 2, ms: second.elapsed, items: second.json.items.length });
        }
      }
    };
    log(`server: ${base} (buildApp + app.listen, bearer token, request logging at info to /dev/null)`);
    await round(0, false);
    const loadBefore = os.loadavg()[0] ?? 0;
    const m0 = performance.now();
    for (let i = 1; i <= opts.rounds; i++) await round(i, true);
    const measureS = (performance.now() - m0) / 1000;

    const mach = machine();
    log('');
    log(`Findings register benchmark: ${Number(counts.findings).toLocaleString('en')} findings, PostgreSQL, limit ${LIMIT}, page 1 and page 2 (cursor), 1 client, keep-alive`);
    log(`date: ${new Date().toISOString()}`);
    log(`machine: ${mach.cpu}, ${mach.cores} cores, ${mach.memory}, ${mach.os}; node ${mach.node}; ${version}`);
    log(`${samples.length} measured requests in ${opts.rounds} rounds after 1 warm-up round, ${measureS.toFixed(1)} s; 1-minute load average ${loadBefore.toFixed(2)} before, ${(os.loadavg()[0] ?? 0).toFixed(2)} after`);
    log('');
    const rows: string[][] = [];
    for (const s of SCENARIOS) {
      const mine = samples.filter((x) => x.scenario === s.name);
      const p1 = summarise(mine.filter((x) => x.page === 1).map((x) => x.ms));
      const p2 = summarise(mine.filter((x) => x.page === 2).map((x) => x.ms));
      const all = summarise(mine.map((x) => x.ms));
      const pass = s.untargeted ? 'info' : all.p95 < opts.targetP95Ms ? 'PASS' : 'FAIL';
      if (pass === 'FAIL') ok = false;
      const items = Math.round(mine.filter((x) => x.page === 1).reduce((a, x) => a + x.items, 0) / Math.max(1, p1.n));
      rows.push([s.name, String(items), ms(p1.p50), ms(p1.p95), ms(p2.p50), ms(p2.p95), ms(all.p95), ms(all.max), pass]);
    }
    log(table(['scenario (ms)', 'items', 'p1 p50', 'p1 p95', 'p2 p50', 'p2 p95', 'p95', 'max', `< ${opts.targetP95Ms}`], rows));
    log('');
    log('p1: first page; p2: the next page through nextCursor; p95/max over both; items: rows on the first page.');
    log(`${ok ? 'PASS' : 'FAIL'}: every list scenario p95 ${ok ? '<' : 'not all <'} ${opts.targetP95Ms} ms`);

    if (opts.explain) {
      for (const [name, v] of [...timer.slowest.entries()].sort((a, b) => b[1].ms - a[1].ms)) {
        const compiled = database.db.getExecutor().compileQuery(v.node, v.queryId as never);
        // As the server runs it: JIT off (services/findings/register.ts, withoutJit).
        const plan = await database.db.transaction().execute(async (tx) => {
          await sql`set local jit = off`.execute(tx);
          return tx.executeQuery<Record<string, string>>(CompiledQuery.raw(`explain (analyze, buffers) ${compiled.sql}`, [...compiled.parameters]));
        });
        log('');
        log(`--- ${name}: slowest statement ${ms(v.ms)} ms ---`);
        log(compiled.sql.replace(/\s+/g, ' '));
        log(`params: ${JSON.stringify(compiled.parameters)}`);
        for (const row of plan.rows) log(`  ${row['QUERY PLAN']}`);
      }
    }
  } finally {
    if (app) await app.close();
    await database.close();
    if (created && !opts.keep) await dropDatabase(opts.databaseUrl, created.name);
  }
  log(`total run time ${((performance.now() - t0) / 1000).toFixed(1)} s`);
  return { ok };
}
