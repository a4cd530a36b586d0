import { execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { PGlite } from '@electric-sql/pglite';
import { systemPrincipal } from '../src/domain/auth/principal.js';
import { type DebianAdvisory, parseDebianTracker } from '../src/domain/feeds/debian-tracker.js';
import { parseDpkgStatus } from '../src/domain/inventory/dpkg-status.js';
import { type Inventory, packageKey } from '../src/domain/inventory/inventory.js';
import { DebianAdvisoryIndex } from '../src/domain/matching/debian.js';
import { type FleetFindings, matchFleet } from '../src/domain/matching/fleet.js';
import { compareDpkg } from '../src/domain/versions/dpkg.js';
import type { Ctx } from '../src/services/context.js';
import { putInventory } from '../src/services/inventory/inventory.service.js';
import { runMatch } from '../src/services/matching/matching.service.js';
import { type Database, migrate, openPostgres, pgliteOptions, wrapPGlite } from '../src/storage/db.js';
import { buildFleet, type Fleet, hostVariants, statusFile, type Variant } from './support/fleet.js';
import { createDatabase, dropDatabase, machine, peakRssMiB } from './support/machine.js';
import { ms, summarise, table } from './support/stats.js';

/**
 * Issue #3, "Performance": a fleet of simulated Debian 12 hosts built from
 * the real package indexes (bench/support/fleet.ts), matched against the
 * Debian 12 records of ../shared/fixtures/debian-bookworm:
 *  1. correctness: on --check-hosts hosts, (host, CVE, binary package)
 *     equal to debsecan's, for the pure matcher, the in-memory fleet engine
 *     and (a sample) the database engine;
 *  2. speed side by side: debsecan with its data loaded once (per host)
 *     against the engine; a full re-evaluation of --hosts hosts in memory
 *     (time, memory); one host's re-match on PostgreSQL (p50/p95);
 *  3. end to end on PostgreSQL: --hosts hosts' inventories loaded, matched
 *     (runMatch 'full') and findings stored; the same on PGlite with
 *     --pglite-hosts hosts.
 */
export interface MatchingOptions {
  hosts: number;
  /** Hosts loaded into PostgreSQL end to end (the target is stated for 10,000). */
  dbHosts: number;
  checkHosts: number;
  dbCheckHosts: number;
  putHosts: number;
  pgliteHosts: number;
  rematchSamples: number;
  keep: boolean;
  explain: boolean;
  databaseUrl: string;
  fixtures: string;
  targets: { speedup: number; fullEvalS: number; fullEvalMiB: number; rematchMs: number; endToEndS: number };
}

const log = (s = '') => process.stdout.write(`${s}\n`);
const s1 = (msv: number) => (msv / 1000).toFixed(1);
const n0 = (v: number) => Math.round(v).toLocaleString('en');
const ctx: Ctx = { principal: systemPrincipal('matching benchmark'), requestId: 'bench' };

function resetPeakRss() {
  try {
    fs.writeFileSync('/proc/self/clear_refs', '5');
  } catch {
    /* not Linux: peak stays the process peak */
  }
}

/** One key per finding, the level debsecan reports at: "CVE binary-package". */
function keysOfEngine(fleet: Fleet, f: FleetFindings, h: number): string[] {
  const out: string[] = [];
  for (let i = f.offsets[h] as number; i < (f.offsets[h + 1] as number); i++) {
    out.push(`${(f.advisories[f.adv[i] as number] as DebianAdvisory).vulnerability} ${(fleet.variants[f.pkg[i] as number] as Variant).name}`);
  }
  return out.sort();
}

function diff(ours: string[], theirs: string[]) {
  const a = new Set(ours);
  const b = new Set(theirs);
  return { missing: theirs.filter((x) => !a.has(x)), extra: ours.filter((x) => !b.has(x)), dupOurs: ours.length - a.size, dupTheirs: theirs.length - b.size };
}

function inventoryOf(fleet: Fleet, h: number): Inventory {
  return {
    ecosystem: 'deb',
    distro: 'debian',
    release: 'bookworm',
    source: 'bench',
    packages: [...hostVariants(fleet, h)].map((id) => {
      const v = fleet.variants[id] as Variant;
      return { name: v.name, version: v.version, arch: v.arch, sourceName: v.source, sourceVersion: v.sourceVersion };
    }),
  };
}

interface DebsecanRun {
  import_s: number;
  load_s: number;
  python: string;
  hosts: { file: string; s: number; lines: string[] }[];
}

function runDebsecan(fixtures: string, files: string[]): DebsecanRun {
  const harness = path.join(path.dirname(new URL(import.meta.url).pathname), 'support', 'debsecan_harness.py');
  const out = execFileSync('/usr/bin/python3', [harness, 'bookworm', `file://${fixtures}/debsecan/`, ...files], { encoding: 'utf8', maxBuffer: 1024 * 1024 * 1024 });
  return JSON.parse(out) as DebsecanRun;
}

/** Stores the advisories the way the feed importer does (one vulnerability row per CVE), returns them with their row ids. */
export async function seedAdvisories(database: Database, advisories: DebianAdvisory[]): Promise<void> {
  const vulns = [...new Set(advisories.map((a) => a.vulnerability))];
  for (let i = 0; i < vulns.length; i += 5000) {
    await database.executeSql(`insert into vulnerabilities (id) select unnest($1::text[]) on conflict do nothing`, [vulns.slice(i, i + 5000)]);
  }
  for (let i = 0; i < advisories.length; i += 5000) {
    const c = advisories.slice(i, i + 5000);
    await database.executeSql(
      `insert into advisories (feed, vulnerability_id, ecosystem, release, package, state, fixed_version, urgency)
       select 'debian', v, 'deb', r, p, s, f, u from unnest($1::text[], $2::text[], $3::text[], $4::text[], $5::text[], $6::text[]) t(v, r, p, s, f, u)`,
      [c.map((a) => a.vulnerability), c.map((a) => a.release), c.map((a) => a.source), c.map((a) => a.state), c.map((a) => a.fixedVersion), c.map((a) => a.urgency)],
    );
  }
}

interface DbResult {
  kind: string;
  hosts: number;
  assetsMs: number;
  putMs: number[];
  putMatchMs: number[];
  bulkMs: number;
  analyzeMs: number;
  fullMatchMs: number;
  fullSummary: Awaited<ReturnType<typeof runMatch>>;
  rematch: number[];
  typicalPut: number[];
  typicalMatch: number[];
  typicalChanged: number[];
  checkinPut: number[];
  checkinMatch: number[];
  checkinChanged: number[];
  findings: number;
  events: number;
  assetPackages: number;
  sampleDiffs: number;
  sampleChecked: number;
  totalMs: number;
  dbSizeMiB: number | null;
  explain: string[];
}

/** Loads hosts [0, n) into a fresh database: the first putHosts through putInventory, the rest through the bulk path. */
async function endToEnd(
  database: Database,
  fleet: Fleet,
  advisories: DebianAdvisory[],
  n: number,
  opts: MatchingOptions,
  debsecanKeys: Map<number, string[]>,
  kind: string,
): Promise<DbResult> {
  await migrate(database.db);
  await seedAdvisories(database, advisories);
  await database.executeSql('analyze');
  const t0 = performance.now();
  // Assets: inserted straight into the table (the asset register is issue #2's benchmark).
  const ids: string[] = [];
  for (let i = 0; i < n; i += 5000) {
    const count = Math.min(5000, n - i);
    const rows = (await database.executeSql(
      `insert into assets (hostname, environment, system_type, business_criticality, network_exposure, os_family, os_name, os_version)
       select 'deb-' || lpad(g::text, 6, '0'), 'production', 'application_server', 'medium', 'internal', 'linux', 'Debian GNU/Linux', '12'
       from generate_series($1::int, $2::int) g order by g returning id`,
      [i, i + count - 1],
    )).rows as { id: string }[];
    for (const r of rows) ids.push(r.id);
  }
  const assetsMs = performance.now() - t0;

  // (a) The product path: putInventory (validation, package rows, links, audit record, re-match of the asset).
  const putN = Math.min(opts.putHosts, n);
  const putMs: number[] = [];
  const putMatchMs: number[] = [];
  for (let h = 0; h < putN; h++) {
    const t = performance.now();
    const r = await putInventory(database.db, ctx, ids[h] as string, inventoryOf(fleet, h));
    putMs.push(performance.now() - t);
    putMatchMs.push(r.match?.ms ?? 0);
  }

  // (b) Bulk path for the rest: the same rows putInventory stores (package_names, packages, asset_inventories), set-based.
  const tb = performance.now();
  const usedVariants = new Uint8Array(fleet.variants.length);
  for (let h = putN; h < n; h++) for (const v of hostVariants(fleet, h)) usedVariants[v] = 1;
  const wanted = [...usedVariants.keys()].filter((v) => usedVariants[v]);
  const pkgId = new Map<string, number>();
  for (let i = 0; i < wanted.length; i += 5000) {
    const c = wanted.slice(i, i + 5000).map((v) => fleet.variants[v] as Variant);
    const cols = [c.map((x) => x.name), c.map((x) => x.version), c.map((x) => x.arch), c.map((x) => x.source), c.map((x) => x.sourceVersion)];
    await database.executeSql(
      `insert into package_names (ecosystem, name, arch) select distinct 'deb', n, a from unnest($1::text[], $2::text[]) as t(n, a) on conflict do nothing`,
      [cols[0], cols[2]],
    );
    await database.executeSql(
      `insert into packages (ecosystem, name, version, arch, source_name, source_version, name_id)
       select 'deb', t.*, n.id from unnest($1::text[], $2::text[], $3::text[], $4::text[], $5::text[]) as t(name, version, arch, src, srcv)
       join package_names n on n.ecosystem = 'deb' and n.name = t.name and n.arch = t.arch on conflict do nothing`,
      cols,
    );
  }
  for (const r of (await database.executeSql(`select id, name, version, arch, source_name, source_version from packages where ecosystem = 'deb'`)).rows) {
    pkgId.set(`${r.name}\t${r.arch}\t${r.version}\t${r.source_name}\t${r.source_version}`, Number(r.id));
  }
  const variantPkg = new Float64Array(fleet.variants.length).fill(-1);
  for (const v of wanted) {
    const x = fleet.variants[v] as Variant;
    variantPkg[v] = pkgId.get(`${x.name}\t${x.arch}\t${x.version}\t${x.source}\t${x.sourceVersion}`) ?? -1;
  }
  const CHUNK_HOSTS = 100;
  const now = new Date().toISOString();
  for (let h0 = putN; h0 < n; h0 += CHUNK_HOSTS) {
    const inv: [string, number, string, string][] = [];
    for (let h = h0; h < Math.min(n, h0 + CHUNK_HOSTS); h++) {
      const id = ids[h] as string;
      const vs = hostVariants(fleet, h);
      const keys: string[] = [];
      const pids: number[] = [];
      for (const v of vs) {
        pids.push(variantPkg[v] as number);
        const x = fleet.variants[v] as Variant;
        keys.push(packageKey({ name: x.name, version: x.version, arch: x.arch, sourceName: x.source, sourceVersion: x.sourceVersion }));
      }
      pids.sort((a, b) => a - b);
      inv.push([id, vs.length, createHash('sha256').update(keys.sort().join('\n')).digest('hex'), `{${pids.join(',')}}`]);
    }
    await database.executeSql(
      `insert into asset_inventories (asset_id, distro, release, source, collected_at, package_count, digest, package_ids)
       select a, 'debian', 'bookworm', 'bench', $5::timestamptz, c, d, p::int[] from unnest($1::uuid[], $2::int[], $3::text[], $4::text[]) t(a, c, d, p)`,
      [inv.map((x) => x[0]), inv.map((x) => x[1]), inv.map((x) => x[2]), inv.map((x) => x[3]), now],
    );
  }
  const bulkMs = performance.now() - tb;
  // What autovacuum would do after such a load; without statistics the planner guesses the fan-out joins.
  const ta = performance.now();
  await database.executeSql('vacuum (analyze)');
  const analyzeMs = performance.now() - ta;

  // (c) Full re-evaluation: runMatch kind 'full', findings and their events stored.
  const tm = performance.now();
  const fullSummary = await runMatch(database.db, ctx, { kind: 'full' });
  const fullMatchMs = performance.now() - tm;
  const totalMs = performance.now() - t0;
  const counts = (await database.executeSql(
    `select (select count(*) from findings) as findings, (select count(*) from finding_events) as events, (select sum(cardinality(package_ids)) from asset_inventories) as ap`,
  )).rows[0] as { findings: number; events: number; ap: number };
  // Steady state for what follows: what autovacuum does after a bulk load (visibility map, statistics), done now so it
  // does not run in the middle of the check-in measurements.
  await database.executeSql('vacuum (analyze)');

  // (d) Database engine against debsecan on a sample of hosts.
  let sampleDiffs = 0;
  let sampleChecked = 0;
  for (const [h, theirs] of debsecanKeys) {
    if (h >= n || sampleChecked >= opts.dbCheckHosts) continue;
    const rows = (await database.executeSql(`select v.id as v, p.name as p from findings f join packages p on p.id = f.package_id join vulnerabilities v on v.num = f.vulnerability_num where f.asset_id = $1 and f.status = 'open'`, [ids[h]])).rows as { v: string; p: string }[];
    const d = diff(rows.map((r) => `${r.v} ${r.p}`).sort(), theirs);
    if (d.missing.length || d.extra.length) {
      sampleDiffs++;
      log(`  db engine host ${h}: missing ${d.missing.slice(0, 5).join(', ')} extra ${d.extra.slice(0, 5).join(', ')}`);
    }
    sampleChecked++;
  }

  // (e) One host's re-match after a check-in: runMatch over one asset, warm-up first; then check-ins through putInventory.
  const rematch: number[] = [];
  const pick = (i: number) => (i * 7919) % n;
  for (let i = 0; i < 5; i++) await runMatch(database.db, ctx, { kind: 'asset', assetIds: [ids[pick(i)] as string] });
  for (let i = 5; i < 5 + opts.rematchSamples; i++) {
    const t = performance.now();
    await runMatch(database.db, ctx, { kind: 'asset', assetIds: [ids[pick(i)] as string] });
    rematch.push(performance.now() - t);
  }
  const up = new Map(fleet.variants.filter((v) => v.origin === 1).map((v) => [v.name, v]));
  // A check-in: the host took some (`limit`) or all of its pending security updates.
  const checkIn = async (h: number, limit: number, put: number[], match: number[], changed: number[]) => {
    const inv = inventoryOf(fleet, h);
    let n = 0;
    inv.packages = inv.packages.map((p) => {
      const s = up.get(p.name);
      if (!s || s.version === p.version || n >= limit) return p;
      n++;
      return { name: s.name, version: s.version, arch: s.arch, sourceName: s.source, sourceVersion: s.sourceVersion };
    });
    const t = performance.now();
    const r = await putInventory(database.db, ctx, ids[h] as string, inv);
    put.push(performance.now() - t);
    match.push(r.match?.ms ?? 0);
    changed.push(n);
  };
  const typicalPut: number[] = [];
  const typicalMatch: number[] = [];
  const typicalChanged: number[] = [];
  for (let i = 0; i < 5; i++) await checkIn(pick(2000 + i), 3, [], [], []);
  for (let i = 0; i < opts.rematchSamples; i++) await checkIn(pick(3000 + i), 3, typicalPut, typicalMatch, typicalChanged);
  const checkinPut: number[] = [];
  const checkinMatch: number[] = [];
  const checkinChanged: number[] = [];
  for (let i = 0; i < Math.min(20, opts.rematchSamples); i++) await checkIn(pick(1000 + i), Number.POSITIVE_INFINITY, checkinPut, checkinMatch, checkinChanged);

  const explain: string[] = [];
  if (opts.explain) {
    const one = ids[pick(3)] as string;
    const q = `explain (analyze, buffers) select id, vulnerability_num, name_id, package_id, advisory_id, fixed_version, status from findings
      where asset_id = $1 and source = 'engine'`;
    explain.push(...((await database.executeSql(q, [one])).rows as Record<string, string>[]).map((r) => Object.values(r)[0] as string));
  }
  let dbSizeMiB: number | null = null;
  try {
    dbSizeMiB = Number((await database.executeSql('select pg_database_size(current_database()) as s')).rows[0].s) / 2 ** 20;
  } catch {
    /* PGlite */
  }
  return {
    kind,
    hosts: n,
    assetsMs,
    putMs,
    putMatchMs,
    bulkMs,
    analyzeMs,
    fullMatchMs,
    fullSummary,
    rematch,
    typicalPut,
    typicalMatch,
    typicalChanged,
    checkinPut,
    checkinMatch,
    checkinChanged,
    findings: Number(counts.findings),
    events: Number(counts.events),
    assetPackages: Number(counts.ap),
    sampleDiffs,
    sampleChecked,
    totalMs,
    dbSizeMiB,
    explain,
  };
}

function printDb(r: DbResult) {
  const put = summarise(r.putMs);
  const re = summarise(r.rematch);
  const ci = summarise(r.checkinPut);
  const cim = summarise(r.checkinMatch);
  log(`${r.kind}: ${n0(r.hosts)} hosts, ${n0(r.assetPackages)} installed-package rows, ${n0(r.findings)} findings, ${n0(r.events)} finding events${r.dbSizeMiB ? `, database ${n0(r.dbSizeMiB)} MiB` : ''}`);
  log(
    table(
      ['step', 'seconds', 'note'],
      [
        ['assets (insert)', s1(r.assetsMs), ''],
        [`putInventory × ${r.putMs.length}`, s1(r.putMs.reduce((a, b) => a + b, 0)), `per host p50 ${ms(put.p50)} ms, p95 ${ms(put.p95)} ms (of which runMatch p50 ${ms(summarise(r.putMatchMs).p50)} ms)`],
        [`bulk load × ${n0(r.hosts - r.putMs.length)}`, s1(r.bulkMs), 'package_names, packages, asset_inventories with package id arrays (unnest, 100 hosts a statement)'],
        ['vacuum (analyze)', s1(r.analyzeMs), ''],
        ['runMatch full', s1(r.fullMatchMs), `${n0(r.fullSummary.packagesEvaluated)} distinct packages; opened ${n0(r.fullSummary.opened)}, still open ${n0(r.fullSummary.stillOpen)}`],
        ['total (load + match + store)', s1(r.totalMs), ''],
      ],
    ),
  );
  const ty = summarise(r.typicalPut);
  const tym = summarise(r.typicalMatch);
  log(`re-match of an unchanged host (runMatch assetIds: [one], after warm-up, n=${re.n}): p50 ${ms(re.p50)} ms, p95 ${ms(re.p95)} ms, max ${ms(re.max)} ms`);
  log(`check-in, up to 3 security updates installed (putInventory, mean ${(r.typicalChanged.reduce((a, b) => a + b, 0) / Math.max(1, r.typicalChanged.length)).toFixed(1)} packages changed, n=${ty.n}): p50 ${ms(ty.p50)} ms, p95 ${ms(ty.p95)} ms; its re-match p50 ${ms(tym.p50)} ms, p95 ${ms(tym.p95)} ms, max ${ms(tym.max)} ms`);
  log(`check-in, all pending security updates installed (putInventory, mean ${(r.checkinChanged.reduce((a, b) => a + b, 0) / Math.max(1, r.checkinChanged.length)).toFixed(0)} packages changed, n=${ci.n}): p50 ${ms(ci.p50)} ms, p95 ${ms(ci.p95)} ms; its re-match p50 ${ms(cim.p50)} ms, p95 ${ms(cim.p95)} ms`);
  log(`database engine vs debsecan: ${r.sampleChecked} hosts, ${r.sampleDiffs} with differences`);
  for (const l of r.explain) log(`  ${l}`);
}

export async function runMatching(opts: MatchingOptions): Promise<{ ok: boolean }> {
  const tracker = path.join(opts.fixtures, 'tracker.json');
  if (!fs.existsSync(tracker)) throw new Error(`${tracker} is missing`);
  if (!fs.existsSync('/usr/bin/debsecan')) throw new Error('debsecan is not installed: apt-get install -y debsecan');
  const mach = machine();
  log(`machine: ${mach.cpu}, ${mach.cores} cores, ${mach.memory}, ${mach.os}, Node ${mach.node}, load average ${mach.load}`);

  // Advisories: the Debian 12 records, as the feed importer reads them.
  const advisories = parseDebianTracker(JSON.parse(fs.readFileSync(tracker, 'utf8')), new Set(['bookworm'])).map((a, i) => ({ ...a, id: i + 1 }));
  const index = new DebianAdvisoryIndex(advisories);
  log(`advisories: ${n0(advisories.length)} Debian 12 records, ${index.sources} source packages (${tracker})`);

  const tf = performance.now();
  const fleet = buildFleet({ hosts: opts.hosts, meanPackages: 2150 });
  const sizes = summarise([...Array(fleet.hosts).keys()].map((h) => (fleet.offsets[h + 1] as number) - (fleet.offsets[h] as number)));
  log(`fleet: ${n0(fleet.hosts)} hosts, ${n0(fleet.hostPkgs.length)} installed packages (mean ${n0(sizes.mean)}, p50 ${n0(sizes.p50)}, max ${n0(sizes.max)}), ${n0(fleet.variants.length)} package versions in the indexes, built in ${s1(performance.now() - tf)} s`);
  for (const l of fleet.lists) log(`  ${l.file}: ${n0(l.packages)} packages`);

  // 1. Correctness: debsecan, the pure matcher and the fleet engine on the same status files.
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'patchloop-bench-matching-'));
  const checkN = Math.min(opts.checkHosts, opts.hosts);
  const files: string[] = [];
  for (let h = 0; h < checkN; h++) {
    const f = path.join(dir, `host-${String(h).padStart(5, '0')}.status`);
    fs.writeFileSync(f, statusFile(fleet, h));
    files.push(f);
  }
  const deb = runDebsecan(opts.fixtures, files);
  fs.rmSync(dir, { recursive: true, force: true });
  const debsecanKeys = new Map<number, string[]>();
  for (const [h, x] of deb.hosts.entries()) debsecanKeys.set(h, [...x.lines].sort());

  const pureMs: number[] = [];
  let pureDiffHosts = 0;
  let debsecanTotal = 0;
  const ourFor: string[][] = [];
  for (let h = 0; h < checkN; h++) {
    const text = statusFile(fleet, h);
    const t = performance.now();
    const found = index.match(parseDpkgStatus(text), compareDpkg);
    pureMs.push(performance.now() - t);
    const ours = found.map((f) => `${f.vulnerability} ${f.package}`).sort();
    ourFor.push(ours);
    const theirs = debsecanKeys.get(h) as string[];
    debsecanTotal += theirs.length;
    const d = diff(ours, theirs);
    if (d.missing.length || d.extra.length || d.dupOurs || d.dupTheirs) {
      pureDiffHosts++;
      log(`  pure matcher host ${h}: ${d.missing.length} missing (${d.missing.slice(0, 5).join(', ')}), ${d.extra.length} extra (${d.extra.slice(0, 5).join(', ')}), duplicates ${d.dupOurs}/${d.dupTheirs}`);
    }
  }

  // 2. The in-memory engine over the whole fleet (distinct packages compared once, then fan-out).
  const input = { packages: fleet.variants, offsets: fleet.offsets, ids: fleet.hostPkgs };
  // Warm-up on a tenth of the fleet (JIT), not measured.
  const tenth = Math.max(1, Math.floor(fleet.hosts / 10));
  matchFleet(index, compareDpkg, { ...input, offsets: fleet.offsets.subarray(0, tenth + 1), ids: fleet.hostPkgs.subarray(0, fleet.offsets[tenth]) });
  (globalThis as { gc?: () => void }).gc?.();
  const rssBefore = process.memoryUsage().rss / 2 ** 20;
  resetPeakRss();
  const te = performance.now();
  const all = matchFleet(index, compareDpkg, input);
  const fullMs = performance.now() - te;
  const peak = peakRssMiB();
  let engineDiffHosts = 0;
  for (let h = 0; h < checkN; h++) {
    const d = diff(keysOfEngine(fleet, all, h), debsecanKeys.get(h) as string[]);
    if (d.missing.length || d.extra.length) engineDiffHosts++;
  }
  const findingsPerHost = summarise([...Array(fleet.hosts).keys()].map((h) => (all.offsets[h + 1] as number) - (all.offsets[h] as number)));

  const debPer = summarise(deb.hosts.map((x) => x.s * 1000));
  const engPerHostMs = fullMs / fleet.hosts;
  const speedup = debPer.mean / engPerHostMs;
  const pure = summarise(pureMs);

  log();
  log(`correctness on ${checkN} hosts (${n0(debsecanTotal)} debsecan findings at (host, CVE, binary package)):`);
  log(`  pure matcher (parseDpkgStatus + DebianAdvisoryIndex.match): ${pureDiffHosts} hosts differ`);
  log(`  in-memory fleet engine (matchFleet): ${engineDiffHosts} hosts differ`);
  log();
  log(`debsecan ${deb.python} (/usr/bin/debsecan imported as a module; data loaded once in ${(deb.load_s * 1000).toFixed(0)} ms, module import ${(deb.import_s * 1000).toFixed(0)} ms, both excluded):`);
  log(`  rate_system per host: mean ${ms(debPer.mean)} ms, p50 ${ms(debPer.p50)} ms, p95 ${ms(debPer.p95)} ms → ${n0(1000 / debPer.mean)} hosts/s`);
  log(`pure matcher per host (parse status file + match, no dedupe): mean ${ms(pure.mean)} ms, p50 ${ms(pure.p50)} ms`);
  log(
    `in-memory fleet engine, full re-evaluation: ${n0(fleet.hosts)} hosts, ${n0(fleet.hostPkgs.length)} installed packages, ${n0(all.distinctPackages)} distinct packages, ${n0(all.distinctSourceVersions)} distinct (source, version) pairs with advisories (${n0(all.comparisons)} version comparisons) → ${n0(all.pkg.length)} findings (per host mean ${n0(findingsPerHost.mean)}, max ${n0(findingsPerHost.max)}) in ${(fullMs / 1000).toFixed(2)} s`,
  );
  log(`  per host ${(engPerHostMs * 1000).toFixed(1)} µs → ${n0(1000 / engPerHostMs)} hosts/s = ${n0(speedup)}× debsecan; RSS before ${n0(rssBefore)} MiB, peak during ${n0(peak)} MiB`);

  // 3. End to end on PostgreSQL, then on PGlite.
  const results: DbResult[] = [];
  if (opts.dbHosts > 0) {
    const created = await createDatabase(opts.databaseUrl, 'matching');
    log();
    log(`PostgreSQL database: ${created.url}${opts.keep ? ' (kept: --keep)' : ' (dropped at the end)'}`);
    const database = openPostgres(created.url);
    try {
      const version = String((await database.executeSql('select version() as v')).rows[0].v).replace(/ on .*/, '');
      log(`server: ${version}`);
      results.push(await endToEnd(database, fleet, advisories, Math.min(opts.dbHosts, opts.hosts), opts, debsecanKeys, 'PostgreSQL'));
      printDb(results[results.length - 1] as DbResult);
    } finally {
      await database.close();
      if (!opts.keep) await dropDatabase(opts.databaseUrl, created.name);
    }
  }
  if (opts.pgliteHosts > 0) {
    log();
    const pgl = await PGlite.create(pgliteOptions());
    const database = wrapPGlite(pgl);
    try {
      results.push(await endToEnd(database, fleet, advisories, Math.min(opts.pgliteHosts, opts.hosts), opts, debsecanKeys, 'PGlite (in memory)'));
      printDb(results[results.length - 1] as DbResult);
    } finally {
      await database.close();
    }
  }

  const pgRes = results.find((r) => r.kind === 'PostgreSQL');
  const t = opts.targets;
  const checks: [string, string, string, boolean][] = [
    [`findings equal debsecan's (${checkN} hosts)`, 'all hosts equal', `${pureDiffHosts} / ${engineDiffHosts} / ${pgRes?.sampleDiffs ?? '-'} hosts differ (pure / fleet / db)`, pureDiffHosts === 0 && engineDiffHosts === 0 && (pgRes?.sampleDiffs ?? 0) === 0 && checkN >= 100],
    ['throughput vs debsecan', `≥ ${t.speedup}×`, `${n0(speedup)}×`, speedup >= t.speedup],
    [`full re-evaluation, ${n0(fleet.hosts)} hosts`, `< ${t.fullEvalS} s`, `${(fullMs / 1000).toFixed(2)} s`, fullMs < t.fullEvalS * 1000 && fleet.hosts >= 10_000],
    ['its memory (peak RSS)', `< ${t.fullEvalMiB} MiB`, `${n0(peak)} MiB`, peak < t.fullEvalMiB],
  ];
  if (pgRes) {
    const re = summarise(pgRes.typicalMatch);
    checks.push(['one host re-match after a check-in (PostgreSQL, p95)', `< ${t.rematchMs} ms`, `p50 ${ms(re.p50)} ms, p95 ${ms(re.p95)} ms`, re.p95 < t.rematchMs]);
    checks.push([`end to end, ${n0(pgRes.hosts)} hosts (PostgreSQL)`, `< ${t.endToEndS} s`, `${s1(pgRes.totalMs)} s`, pgRes.totalMs < t.endToEndS * 1000 && pgRes.hosts >= 10_000]);
  }
  log();
  log(table(['target', 'wanted', 'measured', 'met'], checks.map(([a, b, c, d]) => [a, b, c, d ? 'yes' : 'NO'])));
  return { ok: checks.every((c) => c[3]) };
}
