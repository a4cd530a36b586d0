import { createHash } from 'node:crypto';
import { parseArgs } from 'node:util';
import { PGlite } from '@electric-sql/pglite';
import { systemPrincipal } from '../src/domain/auth/principal.js';
import { packageKey } from '../src/domain/inventory/inventory.js';
import type { Ctx } from '../src/services/context.js';
import { bundledDataset, importDataset } from '../src/services/eol/dataset.service.js';
import { getAssetEol, listEolAssets } from '../src/services/eol/eol.service.js';
import { reevaluateAll, refreshEvaluations } from '../src/services/eol/evaluation.js';
import * as assetsRepo from '../src/storage/assets.repo.js';
import { type Database, migrate, openPostgres, pgliteOptions, wrapPGlite } from '../src/storage/db.js';
import { buildFleet, hostVariants, type Variant } from './support/fleet.js';
import { createDatabase, dropDatabase, machine, peakRssMiB } from './support/machine.js';
import { ms, summarise } from './support/stats.js';

/**
 * End of life at fleet size (issue #4 §6): N simulated Debian 12 hosts with
 * ~2,300 packages each (bench/support/fleet.ts, from the real bookworm
 * package lists), a fifth of them with a Debian 11 or Ubuntu OS in the
 * register. Measures the first evaluation of every asset, the refresh when
 * nothing changed (paid by every list request), the list and one asset's
 * detail, a dataset replacement, 100 changed inventories, and the coverage
 * SQL (overdue filter, stats) that reads the evaluations.
 *
 *   npx tsx bench/eol.ts [--hosts 10000] [--embedded] [--keep]
 */
const { values } = parseArgs({ options: { hosts: { type: 'string', default: '10000' }, embedded: { type: 'boolean', default: false }, keep: { type: 'boolean', default: false } } });
const N = Number(values.hosts);
const ADMIN_URL = process.env.PATCHLOOP_BENCH_DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/postgres';
const ctx: Ctx = { principal: systemPrincipal('eol benchmark'), requestId: 'bench' };
const log = (s = '') => process.stdout.write(`${s}\n`);

async function timed<T>(label: string, fn: () => Promise<T>): Promise<T> {
  const t = performance.now();
  const r = await fn();
  log(`${label.padEnd(58)} ${ms(performance.now() - t).padStart(9)} ms`);
  return r;
}

async function sample(label: string, n: number, fn: () => Promise<unknown>) {
  const times: number[] = [];
  for (let i = 0; i < n; i++) {
    const t = performance.now();
    await fn();
    times.push(performance.now() - t);
  }
  const s = summarise(times);
  log(`${label.padEnd(58)} p50 ${ms(s.p50)} ms  p95 ${ms(s.p95)} ms  (n=${n})`);
}

async function load(database: Database) {
  const fleet = buildFleet({ hosts: N });
  const ids: string[] = [];
  for (let i = 0; i < N; i += 5000) {
    const rows = (await database.executeSql(
      `insert into assets (hostname, environment, system_type, business_criticality, network_exposure, os_family, os_name, os_version)
       select 'deb-' || lpad(g::text, 6, '0'), 'production', 'application_server', case when g % 20 = 0 then 'critical' else 'medium' end,
         case when g % 16 = 0 then 'internet_facing' else 'internal' end, 'linux',
         case when g % 5 = 1 then 'Ubuntu' else 'Debian GNU/Linux' end, case when g % 5 = 1 then '20.04' when g % 5 = 2 then '11' else '12' end
       from generate_series($1::int, $2::int) g order by g returning id`,
      [i, Math.min(N, i + 5000) - 1],
    )).rows as { id: string }[];
    for (const r of rows) ids.push(r.id);
  }
  const used = new Uint8Array(fleet.variants.length);
  for (let h = 0; h < N; h++) for (const v of hostVariants(fleet, h)) used[v] = 1;
  const wanted = [...used.keys()].filter((v) => used[v]);
  for (let i = 0; i < wanted.length; i += 5000) {
    const c = wanted.slice(i, i + 5000).map((v) => fleet.variants[v] as Variant);
    const cols = [c.map((x) => x.name), c.map((x) => x.version), c.map((x) => x.arch), c.map((x) => x.source), c.map((x) => x.sourceVersion)];
    await database.executeSql(`insert into package_names (ecosystem, name, arch) select distinct 'deb', n, a from unnest($1::text[], $2::text[]) as t(n, a) on conflict do nothing`, [cols[0], cols[2]]);
    await database.executeSql(
      `insert into packages (ecosystem, name, version, arch, source_name, source_version, name_id)
       select 'deb', t.*, n.id from unnest($1::text[], $2::text[], $3::text[], $4::text[], $5::text[]) as t(name, version, arch, src, srcv)
       join package_names n on n.ecosystem = 'deb' and n.name = t.name and n.arch = t.arch on conflict do nothing`,
      cols,
    );
  }
  const pkgId = new Map<string, number>();
  for (const r of (await database.executeSql(`select id, name, version, arch from packages`)).rows) pkgId.set(`${r.name}\t${r.arch}\t${r.version}`, Number(r.id));
  // Inventories collected two days ago: unsupported hosts are then overdue under the daily rule.
  const collected = new Date(Date.now() - 2 * 86_400_000).toISOString();
  for (let h0 = 0; h0 < N; h0 += 100) {
    const inv: [string, number, string, string][] = [];
    for (let h = h0; h < Math.min(N, h0 + 100); h++) {
      const vs = [...hostVariants(fleet, h)].map((v) => fleet.variants[v] as Variant);
      const pids = vs.map((x) => pkgId.get(`${x.name}\t${x.arch}\t${x.version}`) as number).sort((a, b) => a - b);
      const digest = createHash('sha256').update(vs.map((x) => packageKey({ name: x.name, version: x.version, arch: x.arch, sourceName: x.source, sourceVersion: x.sourceVersion })).sort().join('\n')).digest('hex');
      inv.push([ids[h] as string, vs.length, digest, `{${pids.join(',')}}`]);
    }
    await database.executeSql(
      `insert into asset_inventories (asset_id, distro, release, source, collected_at, package_count, digest, package_ids)
       select a, 'debian', 'bookworm', 'bench', $5::timestamptz, c, d, p::int[] from unnest($1::uuid[], $2::int[], $3::text[], $4::text[]) t(a, c, d, p)`,
      [inv.map((x) => x[0]), inv.map((x) => x[1]), inv.map((x) => x[2]), inv.map((x) => x[3]), collected],
    );
  }
  await database.executeSql('vacuum (analyze)');
  const total = (await database.executeSql('select sum(cardinality(package_ids))::bigint as n from asset_inventories')).rows[0]?.n;
  return { ids, installed: Number(total), packages: pkgId.size };
}

async function main() {
  log(`machine: ${JSON.stringify(machine())}`);
  let database: Database;
  let dropName: string | null = null;
  if (values.embedded) database = wrapPGlite(await PGlite.create(pgliteOptions()));
  else {
    const created = await createDatabase(ADMIN_URL, 'eol');
    dropName = created.name;
    database = openPostgres(created.url, 4);
  }
  try {
    await migrate(database.db);
    const loaded = await timed(`load ${N} hosts (bulk SQL, not measured work)`, () => load(database));
    log(`${values.embedded ? 'PGlite' : 'PostgreSQL'}: ${N} assets, ${loaded.installed.toLocaleString('en')} installed packages, ${loaded.packages.toLocaleString('en')} distinct package versions`);
    log('');
    const db = database.db;
    const first = await timed('first evaluation of every asset (cold)', () => refreshEvaluations(db));
    log(`  evaluated ${first} assets; peak RSS ${peakRssMiB().toFixed(0)} MiB`);
    await timed('refresh with nothing stale', () => refreshEvaluations(db));
    await sample('refresh with nothing stale', 20, () => refreshEvaluations(db));
    await sample('GET /api/eol/assets (service: refresh + page of 100 + counts)', 20, () => listEolAssets(db, ctx, { limit: 100, offset: 0 }));
    await sample('GET /api/assets/:id/eol (service)', 50, () => getAssetEol(db, ctx, loaded.ids[Math.floor(Math.random() * N)] as string));
    const doc = await bundledDataset();
    await timed('dataset replaced + every asset re-evaluated (cached packages)', () => importDataset(db, ctx, { ...doc, products: { ...doc.products, nginx: doc.products.nginx?.slice(1) ?? [] } }, { source: 'bench' }, reevaluateAll));
    await database.executeSql(`update asset_inventories set digest = md5(digest) where asset_id = any($1::uuid[])`, [loaded.ids.slice(0, 100)]);
    await timed('100 changed inventories re-read and re-evaluated', () => refreshEvaluations(db));
    const counts = await listEolAssets(db, ctx, { limit: 1, offset: 0 });
    log(`  counts: ${JSON.stringify(counts.counts)}`);
    await sample('asset list ?inventory=overdue (coverage SQL), page of 50', 20, () => assetsRepo.listAssets(db, { inventory: 'overdue', lifecycle: 'active', sort: 'hostname', order: 'asc', limit: 50 } as never, null));
    await sample('asset stats (counts overdue with the daily rule)', 20, () => assetsRepo.assetStats(db));
    const stats = await assetsRepo.assetStats(db);
    log(`  inventoryOverdue ${stats.inventoryOverdue} of ${stats.total}`);
  } finally {
    await database.close();
    if (dropName && !values.keep) await dropDatabase(ADMIN_URL, dropName);
  }
}

await main();
